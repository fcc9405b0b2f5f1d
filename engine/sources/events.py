"""Route a JSON document to the reader of its shape, unwrapping SNS and SQS on the way."""

from __future__ import annotations

from collections.abc import Iterator
from json import loads
from typing import Any

from engine.model import Origin, SourceProblem, SourceRecord
from engine.sources import detect
from engine.sources.cloudwatch import iter_enveloped_data, iter_log_events
from engine.sources.errors import SourceError, describe_json_error, describe_keys, json_type
from engine.sources.eventbridge import iter_eventbridge
from engine.sources.kinesis import iter_kinesis_item
from engine.sources.s3 import (
    ObjectReader,
    cloudtrail_notification_objects,
    is_cloudtrail_log_key,
    s3_event_object,
)
from engine.struct import Struct

Item = SourceRecord | SourceProblem

# SQS → SNS → S3 notification is three levels; anything deeper is not something AWS sends.
_MAX_DEPTH = 4


class Reading(Struct):
    """How to treat what the envelopes hold, which differs between the Lambda and the CLI."""

    __slots__ = ("strict", "read_object")

    def __init__(
        self,
        # Lambda: a document of unknown shape is a problem (a misconfigured trigger, say);
        # CLI: it is a CloudTrail record ("any JSON object that is not a known envelope is a
        # record").
        strict: bool,
        # Reads the S3 objects a notification names (or, in the CLI, says it cannot).
        read_object: ObjectReader,
    ) -> None:
        self.strict = strict
        self.read_object = read_object


def iter_document(
    document: Any, base: Origin, reading: Reading, depth: int = 0, what: str = "event"
) -> Iterator[Item]:
    """Records and problems from one document of any supported shape.

    `base` is where the document came from; `what` names it in messages ("event",
    "SNS message", …).
    """
    if not isinstance(document, dict):
        yield SourceProblem(base, f"unrecognised {what} shape: a JSON {json_type(document)}")
        return
    shape = detect.detect(document)
    if shape == detect.CLOUDWATCH:
        origin = _derive(base, "cloudwatch-logs")
        yield from iter_enveloped_data(document["awslogs"], "awslogs", origin)
    elif shape == detect.BATCH:
        yield from _iter_batch(document["Records"], base, reading, depth)
    elif shape == detect.EVENTBRIDGE:
        yield from iter_eventbridge(document, _derive(base, "eventbridge"))
    elif shape == detect.CLOUDTRAIL_NOTIFICATION:
        yield from _iter_cloudtrail_notification(document, _derive(base, "s3"), reading)
    elif shape == detect.SNS_NOTIFICATION:
        yield from _iter_embedded(document["Message"], "SNS message", base, reading, depth)
    elif shape == detect.CLOUDWATCH_PAYLOAD:
        yield from iter_log_events(document, _derive(base, "cloudwatch-logs"))
    elif shape == detect.S3_TEST_EVENT:
        return  # S3 checking that it may notify: nothing to read
    elif reading.strict:
        if shape == detect.CLOUDTRAIL_LOG:
            message = (
                f"unrecognised {what} shape: its Records are not S3, SNS, SQS or Kinesis items"
            )
        else:
            message = f"unrecognised {what} shape: keys {describe_keys(document)}"
        yield SourceProblem(base, message)
    elif shape == detect.CLOUDTRAIL_LOG:
        for index, record in enumerate(document["Records"]):
            origin = base.replace(index=index)
            if isinstance(record, dict):
                yield SourceRecord(record, origin)
            else:
                yield SourceProblem(origin, f"Records[{index}] is a JSON {json_type(record)}")
    else:
        yield SourceRecord(document, base)


def _derive(base: Origin, kind: str) -> Origin:
    # A file stays the origin's kind: the CLI reports places as path:line, whatever the shape.
    return base if base.kind == "file" else base.replace(kind=kind)


def _iter_batch(records: Any, base: Origin, reading: Reading, depth: int) -> Iterator[Item]:
    if not isinstance(records, list):
        yield SourceProblem(base, f"Records is a JSON {json_type(records)}, not an array")
        return
    for position, item in enumerate(records):
        if not isinstance(item, dict):
            message = f"Records[{position}] is a JSON {json_type(item)}, not an object"
            yield SourceProblem(base, message)
            continue
        source = detect.batch_source(item)
        if source == detect.KINESIS:
            yield from iter_kinesis_item(item, _derive(base, "kinesis"))
        elif source == detect.S3:
            yield from _iter_s3_item(item, _derive(base, "s3"), reading)
        elif source == detect.SQS:
            message_id = item.get("messageId")
            if isinstance(message_id, str):
                base_here = base.replace(sqs_message_id=message_id)
                what = f"SQS message {message_id} body"
            else:
                base_here, what = base, f"SQS message body (Records[{position}])"
            yield from _iter_embedded(item.get("body"), what, base_here, reading, depth)
        elif source == detect.SNS:
            sns = item.get("Sns")
            message = sns.get("Message") if isinstance(sns, dict) else None
            yield from _iter_embedded(message, "SNS message", base, reading, depth)
        else:
            found = item.get("eventSource", item.get("EventSource"))
            yield SourceProblem(
                base,
                f"Records[{position}] is not an S3, SNS, SQS or Kinesis item"
                f" (eventSource {found!r:.60})",
            )


def _iter_embedded(
    text: Any, what: str, base: Origin, reading: Reading, depth: int
) -> Iterator[Item]:
    """A document carried as a JSON string inside another (SNS Message, SQS body)."""
    if not isinstance(text, str):
        yield SourceProblem(base, f"{what} is a JSON {json_type(text)}, not a string")
        return
    if depth >= _MAX_DEPTH:
        yield SourceProblem(base, f"{what}: envelopes nested more than {_MAX_DEPTH} deep")
        return
    try:
        document = loads(text)
    except (ValueError, RecursionError) as exc:
        yield SourceProblem(base, f"{what} is not JSON: {describe_json_error(exc)}")
        return
    yield from iter_document(document, base, reading, depth + 1, what)


def _iter_s3_item(item: dict[str, Any], base: Origin, reading: Reading) -> Iterator[Item]:
    try:
        found = s3_event_object(item)
    except SourceError as exc:
        yield SourceProblem(base, str(exc))
        return
    if found is not None and is_cloudtrail_log_key(found[1]):
        yield from reading.read_object(*found, base)


def _iter_cloudtrail_notification(
    document: dict[str, Any], base: Origin, reading: Reading
) -> Iterator[Item]:
    try:
        bucket, keys = cloudtrail_notification_objects(document)
    except SourceError as exc:
        yield SourceProblem(base, str(exc))
        return
    for key in keys:
        if is_cloudtrail_log_key(key):
            yield from reading.read_object(bucket, key, base)
