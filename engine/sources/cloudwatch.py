"""CloudWatch Logs subscription payloads: base64 → gzip → JSON, one CloudTrail record per log event.

This is the hot path (every record of the default deployment passes here). Two readers:

- `decode_cloudwatch_payload` + `iter_log_events`: the plain one. The whole payload is parsed
  at once, so every message string of the batch is alive at the same time.
- `iter_cloudwatch_data`: the streaming one the Lambda uses. It reads the header keys, then
  parses the `logEvents` array one element at a time from text decoded a chunk at a time,
  so a 10,000-event payload never exists as one string nor as one parsed object.

Both give the same records and problems for the same payload (tests/test_sources_stream.py
holds them equal), with two documented exceptions, both impossible in what AWS sends:

- JSON that breaks *inside or after* the `logEvents` array: the plain reader reports one
  problem and nothing else; the streaming reader has already yielded the events before the
  break, then raises the same SourceError. (gzip damage cannot do this: the whole stream is
  inflated and its CRC checked before the first event is read; only a producer writing
  malformed JSON into a valid gzip stream can.) Invalid UTF-8 after valid events is the same.
- A header key (messageType, logGroup, logStream, logEvents) repeated *after* the array:
  JSON leaves duplicate keys undefined; the plain reader keeps the last value, the streaming
  one has used the first and reports the repetition as a problem.

Anything else unusual (header keys missing or after `logEvents`, a CONTROL_MESSAGE, a
`logEvents` that is not an array, JSON broken before the array) goes to the plain reader,
so its wording and its results are the reference.
"""

from __future__ import annotations

import binascii
import re
import zlib
from codecs import getincrementaldecoder
from collections.abc import Iterable, Iterator
from json import JSONDecoder, loads
from json.decoder import scanstring
from typing import Any

from engine.model import Origin, SourceProblem, SourceRecord
from engine.sources.errors import SourceError, describe_json_error, json_type

Item = SourceRecord | SourceProblem

_GZIP_MAGIC = b"\x1f\x8b"
_GZIP_WBITS = 16 + zlib.MAX_WBITS  # tells zlib to expect a gzip header and trailer
_INFLATE_CHUNK = 1 << 18  # bytes inflated per call: keeps zlib's own buffers small
_TEXT_CHUNK = 1 << 16  # bytes of UTF-8 turned into text at a time by the streaming reader

# The header keys whose values every record's origin depends on. The streaming reader needs
# them all before `logEvents` (AWS's order); otherwise the plain reader decides.
_HEADER_KEYS = frozenset({"messageType", "logGroup", "logStream"})
_STREAMED_KEYS = _HEADER_KEYS | {"logEvents"}

_scan_once = JSONDecoder().scan_once  # the C scanner json.loads itself uses: one value at idx
_WS = re.compile(r"[ \t\n\r]*")  # JSON whitespace, exactly as the json module defines it
_COMMA = re.compile(r"[ \t\n\r]*,")
_SEPARATOR = re.compile(r"[ \t\n\r]*([,\]])[ \t\n\r]*")  # after an array element


def decode_cloudwatch_payload(data: str | bytes) -> dict[str, Any]:
    """Decode `awslogs.data` (or a Kinesis record's data): base64, then gzip, then UTF-8 JSON.

    Raises SourceError, with a one-line reason, when any step fails or the JSON is not an object.
    """
    return _parse(_inflate(data))


def iter_enveloped_data(envelope: Any, name: str, base: Origin) -> Iterator[Item]:
    """The records of an envelope object carrying a CloudWatch Logs payload under `data`.

    Lambda's `awslogs` and a Kinesis record's `kinesis` object are both such envelopes; a wrong
    type or an undecodable payload is one problem naming `name`, never an exception.
    """
    if not isinstance(envelope, dict):
        yield SourceProblem(base, f"{name} is a JSON {json_type(envelope)}, not an object")
        return
    data = envelope.get("data")
    if not isinstance(data, str):
        yield SourceProblem(base, f"{name}.data is a JSON {json_type(data)}, not a string")
        return
    try:
        yield from iter_cloudwatch_data(data, base)
    except SourceError as exc:
        yield SourceProblem(base, f"{name}.data: {exc}")


def iter_cloudwatch_data(data: str | bytes, base: Origin) -> Iterator[Item]:
    """`iter_log_events(decode_cloudwatch_payload(data), base)`, holding one log event at a time.

    Raises SourceError when the payload cannot be decoded; when the JSON breaks inside or
    after the `logEvents` array, that is after yielding the events before the break (see the
    module's docstring).
    """
    blob = _inflate(data)  # whole, so that a damaged stream fails its CRC before any record
    text = _Text(blob)
    try:
        header, pos = _read_header(text)
    except _Unexpected:
        yield from iter_log_events(_parse(blob), base)
        return
    if header.get("messageType") == "CONTROL_MESSAGE" or not header.keys() >= _HEADER_KEYS:
        yield from iter_log_events(_parse(blob), base)
        return
    group = _text_or_none(header["logGroup"])
    stream = _text_or_none(header["logStream"])
    elements = _Elements(text, pos)
    try:
        yield from _read_events(elements, base, group, stream)
        repeated = _read_tail(text, elements.end)
    except (_Unexpected, RecursionError):
        # Broken JSON (or a reader bug): the plain reader words the error. Should it succeed
        # after all, what it finds beyond the events already yielded still comes out.
        plain = iter_log_events(_parse(blob), base)
        for position, item in enumerate(plain):
            if position >= elements.count:
                yield item
        return
    for key in repeated:
        yield SourceProblem(
            _origin(base, group, stream, None),
            f"the payload repeats {key!r} after logEvents (a duplicate JSON key);"
            " its log events were read with the first value",
        )


def iter_log_events(payload: dict[str, Any], base: Origin) -> Iterator[Item]:
    """The records in a decoded payload; a CONTROL_MESSAGE (a reachability probe) has none.

    `base` supplies the kind and any outer place (Kinesis sequence, file path and line); each
    record's origin adds the log group, stream and log event id.
    """
    if payload.get("messageType") == "CONTROL_MESSAGE":
        return
    group = _text_or_none(payload.get("logGroup"))
    stream = _text_or_none(payload.get("logStream"))
    events = payload.get("logEvents")
    if not isinstance(events, list):
        origin = _origin(base, group, stream, None)
        yield SourceProblem(origin, f"logEvents is a JSON {json_type(events)}, not an array")
        return
    yield from _read_events(events, base, group, stream)


def _read_events(
    events: Iterable[Any], base: Origin, group: str | None, stream: str | None
) -> Iterator[Item]:
    """One record or problem per log event: the part both readers share."""
    kind = base.kind
    place = (base.kinesis_sequence, base.path, base.line, base.index, base.sqs_message_id)
    for position, event in enumerate(events):
        if not isinstance(event, dict):
            origin = _origin(base, group, stream, None)
            message = f"logEvents[{position}] is a JSON {json_type(event)}, not an object"
            yield SourceProblem(origin, message)
            continue
        # Positional, in field order: this runs once per record.
        origin = Origin(kind, group, stream, _text_or_none(event.get("id")), None, None, *place)
        message = event.get("message")
        if not isinstance(message, str):
            yield SourceProblem(
                origin, f"log event message is a JSON {json_type(message)}, not a string"
            )
            continue
        try:
            record = _loads(message)
        except (ValueError, RecursionError) as exc:
            yield SourceProblem(
                origin,
                f"log event message is not JSON: {describe_json_error(exc)}",
                extra={"excerpt": message[:200]},
            )
            continue
        if type(record) is dict:
            yield SourceRecord(record, origin)
        else:
            yield SourceProblem(
                origin, f"log event message is a JSON {json_type(record)}, not an object"
            )


def _loads(text: str) -> Any:
    """`json.loads(text)`, by a direct call of the C scanner when `text` is one bare value.

    json.loads wraps that scanner in two Python calls and a whitespace match, about a tenth
    of reading a record; a CloudTrail message is one compact object, which the scan alone
    reads. Anything else (whitespace around it, text after it, broken JSON) goes through
    json.loads, which gives exactly its result or its error.
    """
    try:
        value, end = _scan_once(text, 0)
    except (StopIteration, ValueError):
        return loads(text)
    return value if end == len(text) else loads(text)


# --- decoding --------------------------------------------------------------------------------


def _inflate(data: str | bytes) -> bytearray:
    """base64, then gzip, with the CRC checked; SourceError with a one-line reason otherwise.

    Inflated a chunk at a time into one growing buffer: `zlib.decompress` would briefly hold
    the output twice (its pieces, then their join), which for a large batch is the peak.
    """
    try:
        raw = binascii.a2b_base64(data)
    except (binascii.Error, ValueError) as exc:  # ValueError: a str with non-ASCII characters
        raise SourceError(f"not base64: {exc}") from None
    if raw[:2] != _GZIP_MAGIC:
        raise SourceError("not gzip data (no gzip header after base64 decoding)")
    inflater = zlib.decompressobj(_GZIP_WBITS)
    out = bytearray()
    try:
        chunk = inflater.decompress(raw, _INFLATE_CHUNK)
        while chunk:
            out += chunk
            chunk = inflater.decompress(inflater.unconsumed_tail, _INFLATE_CHUNK)
        out += inflater.flush()
        if not inflater.eof:
            zlib.decompress(raw, _GZIP_WBITS)  # raises, in zlib's words, as the plain call did
            raise zlib.error("incomplete or truncated stream")
    except zlib.error as exc:
        raise SourceError(f"corrupt or truncated gzip data: {exc}") from None
    # Bytes after the gzip member (padding, a second member) are ignored, as zlib.decompress does.
    return out


def _parse(blob: bytes | bytearray) -> dict[str, Any]:
    """UTF-8, then JSON, which must be an object; SourceError otherwise."""
    try:
        text = blob.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SourceError(f"not UTF-8 text (byte {exc.start})") from None
    try:
        payload = loads(text)
    except (ValueError, RecursionError) as exc:
        raise SourceError(f"not JSON: {describe_json_error(exc)}") from None
    if not isinstance(payload, dict):
        raise SourceError(f"payload is a JSON {json_type(payload)}, not an object")
    return payload


# --- the streaming reader ---------------------------------------------------------------------


class _Unexpected(Exception):
    """Not JSON, or not the shape the streaming reader handles: the plain reader decides."""


class _Text:
    """The payload's text, decoded from UTF-8 a chunk at a time.

    `buf` holds the text not yet parsed; `done` says whether it runs to the end of the payload.
    `whole_before` is where the last object in `buf` starts: the elements before it are
    almost surely whole. Reading up to there, not into the cut one at the end, spares a
    failed parse per chunk (and a JSONDecodeError is costly: it counts the lines before it).
    """

    __slots__ = ("_blob", "_next", "_utf8", "buf", "done", "whole_before")

    def __init__(self, blob: bytearray) -> None:
        self._blob = memoryview(blob)
        self._next = 0
        self._utf8 = getincrementaldecoder("utf-8")()
        self.buf = ""
        self.done = False
        self.whole_before = 0

    def more(self, keep_from: int) -> None:
        """Drop `buf[:keep_from]` and append the next chunk; _Unexpected past the end.

        A chunk is at least as long as what is kept, so that re-reading a value longer than a
        chunk (a 200 KB message) costs linear time, not quadratic.
        """
        if self.done:
            raise _Unexpected
        start = self._next
        self._next = min(start + max(_TEXT_CHUNK, len(self.buf) - keep_from), len(self._blob))
        self.done = self._next == len(self._blob)
        try:
            text = self._utf8.decode(self._blob[start : self._next], self.done)
        except UnicodeDecodeError:
            raise _Unexpected from None
        self.buf = self.buf[keep_from:] + text
        # '{"' cannot occur inside a JSON string but at its very end: a good guess, and only
        # a guess (a wrong one costs a failed parse, never a wrong result).
        self.whole_before = len(self.buf) if self.done else self.buf.rfind('{"')
        if self.done:
            self._blob.release()


def _read_header(text: _Text) -> tuple[dict[str, Any], int]:
    """The keys before `logEvents`, and where its array's first element may start."""
    while True:
        try:
            return _header_in(text.buf)
        except _Unexpected:
            if text.done:
                raise
            text.more(0)  # the header is short: read it again with more text


def _header_in(buf: str) -> tuple[dict[str, Any], int]:
    """As `_read_header`, on the text read so far; _Unexpected where it stops or differs."""
    header: dict[str, Any] = {}
    pos = _WS.match(buf).end()
    if buf[pos : pos + 1] != "{":
        raise _Unexpected
    pos += 1
    while True:
        key, pos = _key_at(buf, pos)
        if key == "logEvents":
            if buf[pos : pos + 1] != "[":
                raise _Unexpected
            return header, pos + 1
        header[key], pos = _value_at(buf, pos)  # a repeated key keeps the last, as json does
        match = _COMMA.match(buf, pos)
        if match is None:  # "}" (no logEvents at all), or the text read so far stops here
            raise _Unexpected
        pos = match.end()


def _read_tail(text: _Text, pos: int) -> list[str]:
    """After the array: the remaining keys up to "}", then nothing but whitespace.

    Returns the header keys repeated there, which the plain reader would have taken instead.
    """
    while True:
        try:
            repeated, pos = _tail_in(text.buf, pos)
            break
        except _Unexpected:
            if text.done:
                raise
            text.more(pos)
            pos = 0
    while _WS.match(text.buf, pos).end() == len(text.buf):
        if text.done:
            return repeated
        text.more(len(text.buf))
        pos = 0
    raise _Unexpected  # "Extra data", in the plain reader's words


def _tail_in(buf: str, pos: int) -> tuple[list[str], int]:
    repeated: list[str] = []
    while True:
        pos = _WS.match(buf, pos).end()
        found = buf[pos : pos + 1]
        if found == "}":
            return repeated, pos + 1
        if found != ",":
            raise _Unexpected
        key, pos = _key_at(buf, pos + 1)
        _, pos = _value_at(buf, pos)
        if key in _STREAMED_KEYS:
            repeated.append(key)


def _key_at(buf: str, pos: int) -> tuple[str, int]:
    """`"key" :` (whitespace allowed around), and where its value starts."""
    pos = _WS.match(buf, pos).end()
    if buf[pos : pos + 1] != '"':
        raise _Unexpected
    try:
        key, pos = scanstring(buf, pos + 1)
    except ValueError:
        raise _Unexpected from None
    pos = _WS.match(buf, pos).end()
    if buf[pos : pos + 1] != ":":
        raise _Unexpected
    return key, _WS.match(buf, pos + 1).end()


def _value_at(buf: str, pos: int) -> tuple[Any, int]:
    """One JSON value at `pos`, and where it ends.

    The caller must then find a delimiter before trusting it: cut short by the end of the
    text read so far, `1e5` may read as `1`.
    """
    try:
        return _scan_once(buf, pos)
    except (StopIteration, ValueError, RecursionError):
        raise _Unexpected from None


class _Elements:
    """The elements of the `logEvents` array, parsed one at a time as the text arrives.

    Iterating yields them; afterwards `end` is the position in `text.buf` after `]` (and any
    whitespace), and `count` says how many were yielded. Raises _Unexpected where the JSON
    breaks, RecursionError where an element nests too deeply.
    """

    __slots__ = ("_start", "_text", "count", "end")

    def __init__(self, text: _Text, start: int) -> None:
        self._text = text
        self._start = start  # just after "["
        self.end = -1
        self.count = 0

    def __iter__(self) -> Iterator[Any]:
        text = self._text
        scan = _scan_once
        separator = _SEPARATOR.match
        pos = _WS.match(text.buf, self._start).end()
        while pos == len(text.buf) and not text.done:
            text.more(pos)
            pos = _WS.match(text.buf).end()
        buf = text.buf
        if buf[pos : pos + 1] == "]":
            self.end = pos + 1
            return
        whole_before = text.whole_before
        while True:
            if pos >= whole_before and not text.done:  # most likely cut: read on first
                text.more(pos)
                buf, pos, whole_before = text.buf, 0, text.whole_before
                if pos < whole_before or text.done:
                    continue
            try:
                value, end = scan(buf, pos)
                match = separator(buf, end)
            except (StopIteration, ValueError):
                match = None
            # An element counts only once the "," or "]" after it (and the whitespace after
            # that) lies inside the text read so far: a value cut short by the end of a
            # chunk may still look whole ("1e5" as "1"). Otherwise read it again with more.
            if match is None or (match.end() == len(buf) and not text.done):
                text.more(pos)  # _Unexpected when there is no more: the JSON is broken here
                buf, pos, whole_before = text.buf, 0, text.whole_before
                continue
            self.count += 1
            yield value
            pos = match.end()
            if match.group(1) == "]":
                self.end = pos
                return


def _origin(base: Origin, group: str | None, stream: str | None, event_id: str | None) -> Origin:
    return Origin(
        base.kind,
        log_group=group,
        log_stream=stream,
        log_event_id=event_id,
        kinesis_sequence=base.kinesis_sequence,
        path=base.path,
        line=base.line,
        index=base.index,
        sqs_message_id=base.sqs_message_id,
    )


def _text_or_none(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return str(value)  # ids are strings in practice; a number still names the event
