"""The CLI's inputs: files, directories and stdin holding any supported shape.

A file is one JSON document (object or array) or JSON lines, gzip-compressed or not — told
apart by content, never by name. Every problem names its place (path:line#index) and reading
goes on, so one bad line cannot hide the records around it.
"""

from __future__ import annotations

import gzip
import os
import sys
import zlib
from collections.abc import Iterator, Sequence
from json import JSONDecodeError, loads
from typing import IO

from engine.model import Origin, SourceProblem, SourceRecord
from engine.sources.errors import describe_json_error, json_type
from engine.sources.events import Reading, iter_document
from engine.sources.s3 import unfetched_object_reader

Item = SourceRecord | SourceProblem

# Names picked up when walking a directory (a file named explicitly is read whatever its name).
SUFFIXES = (".json", ".jsonl", ".json.gz", ".gz", ".ndjson", ".log", ".txt")
STDIN = "-"
_STDIN_LABEL = "<stdin>"
_GZIP_MAGIC = b"\x1f\x8b"
_READING = Reading(strict=False, read_object=unfetched_object_reader)


def read_inputs(paths: Sequence[str], *, stdin: IO[bytes] | None = None) -> Iterator[Item]:
    """Records and problems from each path in turn: a file, a directory (walked, sorted) or `-`.

    A problem about a whole input that yielded nothing (unreadable, not gzip, not JSON at all,
    an empty directory) has `extra["unreadable"] = True`, so the CLI can tell "nothing could be
    read" from "some lines were bad".
    """
    for path in paths:
        if path == STDIN:
            stream = stdin if stdin is not None else sys.stdin.buffer
            yield from _iter_stream(stream, _STDIN_LABEL)
        elif os.path.isdir(path):
            yield from _iter_directory(path)
        else:
            yield from _iter_file(path)


def _iter_directory(root: str) -> Iterator[Item]:
    found = failed = False
    for entry in _walk(root):
        if isinstance(entry, SourceProblem):
            failed = True
            yield entry
        else:
            found = True
            yield from _iter_file(entry)
    if not found and not failed:
        yield _unreadable(
            Origin("file", path=root), f"no input files ({', '.join(SUFFIXES)}) in the directory"
        )


def _walk(folder: str) -> Iterator[str | SourceProblem]:
    """Input files under `folder` in path order (`a/z.json` before `b.json`), as `sort` would
    list them; hidden entries (.git, …) skipped; symlinked folders not followed (no loops)."""
    try:
        with os.scandir(folder) as scan:
            entries = sorted(scan, key=lambda entry: entry.name)
    except OSError as exc:
        yield _unreadable(Origin("file", path=folder), f"cannot read: {exc.strerror or exc}")
        return
    for entry in entries:
        if entry.name.startswith("."):
            continue
        if entry.is_dir(follow_symlinks=False):
            yield from _walk(entry.path)
        elif entry.name.lower().endswith(SUFFIXES) and entry.is_file():
            yield entry.path


def _iter_file(path: str) -> Iterator[Item]:
    try:
        with open(path, "rb") as stream:
            data = stream.read()
    except OSError as exc:
        yield _unreadable(Origin("file", path=path), f"cannot read: {exc.strerror or exc}")
        return
    yield from iter_content(data, path)


def _iter_stream(stream: IO[bytes], label: str) -> Iterator[Item]:
    try:
        data = stream.read()
    except OSError as exc:
        yield _unreadable(Origin("file", path=label), f"cannot read: {exc.strerror or exc}")
        return
    if isinstance(data, str):  # a text stream handed in by mistake still holds the input
        data = data.encode("utf-8")
    yield from iter_content(data, label)


def iter_content(data: bytes, path: str) -> Iterator[Item]:
    """Records and problems from the bytes of one input; `path` is used only to name places."""
    base = Origin("file", path=path)
    if data[:2] == _GZIP_MAGIC:
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as exc:
            yield _unreadable(base, f"corrupt or truncated gzip data: {exc}")
            return
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Some line is not UTF-8: read line by line so that only that line is lost.
        yield from _iter_lines(data, path)
        return
    if not text.strip():
        yield _unreadable(base, "empty input")
        return
    try:
        document = loads(text)
    except (ValueError, RecursionError) as exc:
        if _is_json_lines(text, exc):
            yield from _iter_lines(data, path)
        else:
            line = exc.lineno if isinstance(exc, JSONDecodeError) else None
            yield _unreadable(
                Origin("file", path=path, line=line), f"not JSON: {describe_json_error(exc)}"
            )
        return
    del data, text  # only the parsed document is needed while its records stream out
    yield from _iter_whole(document, base)


def _iter_whole(document: object, base: Origin) -> Iterator[Item]:
    if isinstance(document, list):
        for index, element in enumerate(document):
            origin = Origin("file", path=base.path, index=index)
            if isinstance(element, dict):
                yield from iter_document(element, origin, _READING)
            else:
                yield SourceProblem(origin, f"a JSON {json_type(element)}, not an object")
    elif isinstance(document, dict):
        yield from iter_document(document, base, _READING)
    else:
        yield _unreadable(base, f"a JSON {json_type(document)}, not an object or an array")


def _is_json_lines(text: str, error: ValueError | RecursionError) -> bool:
    """Whether text that is not one JSON document is JSON lines (with some bad lines).

    "Extra data" means the first value ended before the text did: lines. Otherwise the first
    line itself is bad; still lines if one of the next few lines is an object on its own, which
    a broken pretty-printed document almost never has.
    """
    if isinstance(error, JSONDecodeError) and error.msg == "Extra data":
        return True
    lines = [line.strip() for line in text.split("\n", 6)[:6] if line.strip()]
    if len(lines) < 2:
        return False
    for line in lines:
        if line.startswith("{") and line.endswith("}"):
            try:
                if isinstance(loads(line), dict):
                    return True
            except (ValueError, RecursionError):
                continue
    return False


def _iter_lines(data: bytes, path: str) -> Iterator[Item]:
    """JSON lines, one document a line; blank lines skipped; line numbers start at 1."""
    start = 3 if data.startswith(b"\xef\xbb\xbf") else 0  # a UTF-8 byte order mark
    number = 0
    size = len(data)
    while start < size:
        end = data.find(b"\n", start)
        if end < 0:
            end = size
        number += 1
        raw = data[start:end]
        start = end + 1
        if raw.strip():
            yield from _iter_line(raw, Origin("file", path=path, line=number))


def _iter_line(raw: bytes, origin: Origin) -> Iterator[Item]:
    try:
        line = raw.decode("utf-8").strip()
    except UnicodeDecodeError as exc:
        yield SourceProblem(origin, f"not UTF-8 text (byte {exc.start} of the line)")
        return
    if not line:
        return  # only Unicode spaces: as blank as a blank line
    if line[0] not in "{[":
        # A CloudWatch Logs export puts a timestamp before each message: "2024-… {…}".
        _, _, rest = line.partition(" ")
        if rest.lstrip().startswith("{"):
            line = rest.lstrip()
    try:
        document = loads(line)
    except (ValueError, RecursionError) as exc:
        message = f"not JSON: {describe_json_error(exc)}"
        if isinstance(exc, JSONDecodeError):
            message = f"not JSON: {exc.msg} (column {exc.colno})"
        yield SourceProblem(origin, message)
        return
    if isinstance(document, dict):
        yield from iter_document(document, origin, _READING)
    else:
        yield SourceProblem(origin, f"a JSON {json_type(document)}, not an object")


def _unreadable(origin: Origin, message: str) -> SourceProblem:
    return SourceProblem(origin, message, extra={"unreadable": True})
