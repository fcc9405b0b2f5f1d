"""Recognise which envelope a JSON object is, from its keys alone, without decoding anything.

CloudTrail records never carry these top-level keys (`awslogs`, `Records`, `detail-type`,
`s3Bucket`, …), so a document that matches none of the shapes below is, where the caller
allows it, a record itself.
"""

from __future__ import annotations

from typing import Any, Final

CLOUDWATCH: Final = "cloudwatch"  # Lambda subscription event {"awslogs": {"data": "<b64 gzip>"}}
CLOUDWATCH_PAYLOAD: Final = "cloudwatch-payload"  # the decoded {"messageType", "logEvents"}
BATCH: Final = "batch"  # Lambda batch {"Records": [{"eventSource": "aws:…"}]}
CLOUDTRAIL_LOG: Final = "cloudtrail-log"  # CloudTrail log file {"Records": [record, …]}
CLOUDTRAIL_NOTIFICATION: Final = "cloudtrail-notification"  # {"s3Bucket", "s3ObjectKey": [...]}
S3_TEST_EVENT: Final = "s3-test-event"  # sent once when a bucket notification is configured
SNS_NOTIFICATION: Final = "sns-notification"  # SNS JSON as SQS receives it {"Type", "Message"}
EVENTBRIDGE: Final = "eventbridge"  # {"detail-type", "source", "detail": record}

# The item sources of a Lambda batch. SNS spells its key `EventSource`, the others `eventSource`.
S3: Final = "aws:s3"
SNS: Final = "aws:sns"
SQS: Final = "aws:sqs"
KINESIS: Final = "aws:kinesis"
_BATCH_SOURCES: Final = frozenset({S3, SNS, SQS, KINESIS})


def detect(document: dict[str, Any]) -> str | None:
    """The shape of `document`, one of the constants above, or None when it is none of them.

    `{"Records": …}` whose Records is not a list is reported as BATCH, so that the batch
    reader can say what is wrong with it.
    """
    if "awslogs" in document:
        return CLOUDWATCH
    if "Records" in document:
        records = document["Records"]
        if not isinstance(records, list) or not records:
            return BATCH
        first = records[0]
        if isinstance(first, dict):
            source = first.get("eventSource", first.get("EventSource"))
            # Any "aws:…" source is a Lambda batch, so that an unsupported one (aws:dynamodb) is
            # named as such; CloudTrail's own eventSource values are host names.
            if isinstance(source, str) and source.startswith("aws:"):
                return BATCH
        return CLOUDTRAIL_LOG
    if "detail-type" in document and "detail" in document:
        return EVENTBRIDGE
    if "s3Bucket" in document and "s3ObjectKey" in document:
        return CLOUDTRAIL_NOTIFICATION
    if document.get("Type") == "Notification" and "Message" in document:
        return SNS_NOTIFICATION
    if document.get("Event") == "s3:TestEvent":
        return S3_TEST_EVENT
    if "logEvents" in document and "messageType" in document:
        return CLOUDWATCH_PAYLOAD
    return None


def batch_source(item: dict[str, Any]) -> str | None:
    """`aws:s3`, `aws:sns`, `aws:sqs` or `aws:kinesis` for an item of a Lambda batch, else None."""
    source = item.get("eventSource", item.get("EventSource"))
    return source if isinstance(source, str) and source in _BATCH_SOURCES else None
