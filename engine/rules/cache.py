"""A checked cache of rule files already known to be valid, so a cold start skips the costly part.

Reading a rule file means parsing YAML (with positions for error messages) and checking it
against the JSON Schema, which imports jsonschema: together about three quarters of a cold
start. Neither can change its answer while the inputs stay the same, so the package build
(`build_cache`) records, for each rule file that passed both, the data and the positions the
loader needs, under a key that hashes everything the answer depends on:

    sha256(format version, rule file text, schema file, the YAML and schema modules' code)

At load, `lookup` returns the recorded document only when the key of the file as it is now is
present and the entry's own digest still holds; anything else (no cache, another rule file, an
edited file or schema, a newer engine, a damaged or hand-edited entry) is a miss, and the
loader reads and checks the file as always. Everything after this step — compiling filters
and JMESPath, cross-file checks — runs at every load, cached or not.

The package build calls `build_cache([rule files], "<package>/rules.cache.json")`.

Where: one JSON file, `rules.cache.json` beside `handler.py` in the package (the package
directory is read-only in Lambda, so it is built with the package), or `RULES_CACHE_FILE`;
an empty `RULES_CACHE_FILE` turns the cache off. Nothing writes a cache at run time: /tmp
starts empty at every Lambda cold start, the one moment the cache is for.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Sequence
from functools import cache
from os import PathLike
from typing import Any

from engine.rules import schema as schema_module
from engine.rules import yamldoc
from engine.rules.problems import Problem, RuleFileError
from engine.rules.yamldoc import Position, YamlDocument

try:  # CPython's built-in SHA-256: the same digests, without loading OpenSSL (~4 ms at start)
    from _sha2 import sha256  # Python 3.12+
except ImportError:
    try:
        from _sha256 import sha256  # Python 3.11
    except ImportError:
        from hashlib import sha256

FORMAT = 1
DEFAULT_FILE = os.path.join(schema_module.PROJECT_ROOT, "rules.cache.json")
ENVIRONMENT = "RULES_CACHE_FILE"


def cache_file() -> str | None:
    """The cache to consult: RULES_CACHE_FILE if set (empty = none), else the default."""
    configured = os.environ.get(ENVIRONMENT)
    if configured is None:
        return DEFAULT_FILE
    return configured if configured.strip() else None


@cache
def _inputs_digest() -> bytes:
    """What besides the rule file decides its parsed data and schema verdict."""
    digest = sha256(f"rules-cache-{FORMAT}".encode())
    for path in (schema_module.SCHEMA_PATH, yamldoc.__file__, schema_module.__file__):
        digest.update(b"\0")
        digest.update(_read_bytes(path))
    return digest.digest()


def _read_bytes(path: str) -> bytes:
    with open(path, "rb") as f:
        return f.read()


def key_of(text: str) -> str:
    """The cache key of a rule file's text, under the current schema and engine."""
    return sha256(_inputs_digest() + text.encode("utf-8")).hexdigest()


def _entry_digest(key: str, body: dict[str, Any]) -> str:
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return sha256(f"{key}\0{canonical}".encode()).hexdigest()


@cache
def _entries(path: str) -> dict[str, Any]:
    """The entries of a cache file; {} when it is missing, unreadable or of another format."""
    try:
        content = json.loads(_read_bytes(path))
    except (OSError, ValueError):
        return {}
    if not isinstance(content, dict) or content.get("format") != FORMAT:
        return {}
    entries = content.get("entries")
    return entries if isinstance(entries, dict) else {}


def lookup(file: str, text: str, path: str | None = None) -> YamlDocument | None:
    """The checked document for `text`, or None when the cache cannot vouch for it."""
    path = path or cache_file()
    if path is None:
        return None
    key = key_of(text)
    entry = _entries(path).get(key)
    if not isinstance(entry, dict):
        return None
    body = entry.get("body")
    if not isinstance(body, dict) or entry.get("digest") != _entry_digest(key, body):
        return None
    try:
        return YamlDocument(
            file=file,
            text=text,
            data=body["data"],
            positions=_positions(body["positions"]),
            key_positions=_positions(body["key_positions"]),
        )
    except (KeyError, TypeError, ValueError):
        return None


def _positions(rows: Iterable[list[Any]]) -> dict[tuple[str | int, ...], Position]:
    return {tuple(path): Position(line, column, style) for path, line, column, style in rows}


def _rows(positions: dict[tuple[str | int, ...], Position]) -> list[list[Any]]:
    return [[list(p), at.line, at.column, at.style] for p, at in positions.items()]


def build_cache(paths: Sequence[str | PathLike[str]], out: str | PathLike[str]) -> int:
    """Check each rule file as the loader does and write the cache of them to `out`.

    Raises RuleFileError when a file has YAML or schema problems: an invalid file is never
    cached (and should not be shipped). Returns the number of entries written.
    """
    from engine.rules.schema import schema_problems

    entries: dict[str, Any] = {}
    problems: list[Problem] = []
    for file in paths:
        with open(file, encoding="utf-8") as f:
            text = f.read()
        document, found = yamldoc.read_yaml(str(file), text)
        if not found and not isinstance(document.data, dict):
            found = [Problem(str(file), 1, 1, "the rule file must be a mapping")]
        if not found:
            found = schema_problems(document)
        if found:
            problems.extend(found)
            continue
        key = key_of(text)
        body = {
            "data": document.data,
            "positions": _rows(document.positions),
            "key_positions": _rows(document.key_positions),
        }
        entries[key] = {
            "file": os.path.basename(file),
            "digest": _entry_digest(key, body),
            "body": body,
        }
    if problems:
        raise RuleFileError(problems)
    content = {"format": FORMAT, "entries": entries}
    with open(out, "w", encoding="utf-8") as f:
        f.write(json.dumps(content, ensure_ascii=False))
    _entries.cache_clear()
    return len(entries)
