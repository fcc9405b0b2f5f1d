"""sources: turn any supported input into CloudTrail records, each with its origin.

Two entry points: `iter_event` for a Lambda event (strict: an unknown shape is a problem)
and `read_inputs` for the CLI's files (lenient: any JSON object that is not a known envelope
is a record). Both stream: records come out one at a time, and bad input becomes a
`SourceProblem` in the stream instead of an exception.

Importing this package does not import boto3; an S3 client is created only when needed.
"""

from __future__ import annotations

from collections.abc import Iterator

from engine.model import Origin, SourceProblem, SourceRecord
from engine.sources.cloudwatch import decode_cloudwatch_payload
from engine.sources.errors import SourceError
from engine.sources.events import Reading, iter_document
from engine.sources.files import read_inputs
from engine.sources.s3 import S3ObjectReader

__all__ = [
    "SourceError",
    "SourceProblem",
    "SourceRecord",
    "decode_cloudwatch_payload",
    "iter_event",
    "read_inputs",
]


def iter_event(
    event: object, *, s3_client: object | None = None
) -> Iterator[SourceRecord | SourceProblem]:
    """The CloudTrail records in one Lambda event of any supported shape, auto-detected.

    CloudWatch Logs subscription, Kinesis, EventBridge, S3 notifications (direct, via SNS,
    via SQS) and CloudTrail's own SNS notification. S3 objects are fetched with `s3_client`,
    or with a `boto3.client("s3")` created on first need. A fetch that fails yields a problem
    with `retryable=True`.
    """
    reading = Reading(strict=True, read_object=S3ObjectReader(s3_client))
    return iter_document(event, Origin("event"), reading)
