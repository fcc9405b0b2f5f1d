"""CloudWatch Logs subscription payloads: base64 → gzip → JSON, one CloudTrail record per log event.

This is the hot path (every record of the default deployment passes here), so it does the
minimum: one b64decode, one zlib call, one json.loads per payload and one per message.
"""

from __future__ import annotations

import binascii
import zlib
from collections.abc import Iterator
from json import loads
from typing import Any

from engine.model import Origin, SourceProblem, SourceRecord
from engine.sources.errors import SourceError, describe_json_error, json_type

_GZIP_MAGIC = b"\x1f\x8b"
_GZIP_WBITS = 16 + zlib.MAX_WBITS  # tells zlib to expect a gzip header and trailer


def decode_cloudwatch_payload(data: str | bytes) -> dict[str, Any]:
    """Decode `awslogs.data` (or a Kinesis record's data): base64, then gzip, then UTF-8 JSON.

    Raises SourceError, with a one-line reason, when any step fails or the JSON is not an object.
    """
    try:
        raw = binascii.a2b_base64(data)
    except (binascii.Error, ValueError) as exc:  # ValueError: a str with non-ASCII characters
        raise SourceError(f"not base64: {exc}") from None
    if raw[:2] != _GZIP_MAGIC:
        raise SourceError("not gzip data (no gzip header after base64 decoding)")
    try:
        text = zlib.decompress(raw, _GZIP_WBITS).decode("utf-8")
    except zlib.error as exc:
        raise SourceError(f"corrupt or truncated gzip data: {exc}") from None
    except UnicodeDecodeError as exc:
        raise SourceError(f"not UTF-8 text (byte {exc.start})") from None
    try:
        payload = loads(text)
    except (ValueError, RecursionError) as exc:
        raise SourceError(f"not JSON: {describe_json_error(exc)}") from None
    if not isinstance(payload, dict):
        raise SourceError(f"payload is a JSON {json_type(payload)}, not an object")
    return payload


def iter_log_events(
    payload: dict[str, Any], base: Origin
) -> Iterator[SourceRecord | SourceProblem]:
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
    for position, event in enumerate(events):
        if not isinstance(event, dict):
            origin = _origin(base, group, stream, None)
            message = f"logEvents[{position}] is a JSON {json_type(event)}, not an object"
            yield SourceProblem(origin, message)
            continue
        origin = _origin(base, group, stream, _text_or_none(event.get("id")))
        message = event.get("message")
        if not isinstance(message, str):
            yield SourceProblem(
                origin, f"log event message is a JSON {json_type(message)}, not a string"
            )
            continue
        try:
            record = loads(message)
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


def _origin(base: Origin, group: str | None, stream: str | None, event_id: str | None) -> Origin:
    # Built field by field rather than with dataclasses.replace: this runs once per log event.
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
