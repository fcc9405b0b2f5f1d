"""Sources on broken input, beyond tests/test_sources_fuzz.py (random documents and bytes):
truncated gzip, wrong base64, and every field of every envelope given every wrong type.

The promise (engine/sources): a record, or a problem naming its place, for each item; never
an exception, and a retryable problem only when an S3 fetch failed.
"""

from __future__ import annotations

import base64
import copy
import gzip
import io
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.model import SourceProblem, SourceRecord
from engine.sources import SourceError, decode_cloudwatch_payload, iter_event

RECORD = {"eventVersion": "1.09", "eventName": "DeleteUser", "eventID": "e1"}
LOGS = {
    "messageType": "DATA_MESSAGE",
    "logGroup": "g",
    "logStream": "s",
    "logEvents": [{"id": "1", "timestamp": 0, "message": json.dumps(RECORD)}],
}
DATA = base64.b64encode(gzip.compress(json.dumps(LOGS).encode())).decode()
S3_ITEM = {
    "eventSource": "aws:s3",
    "eventName": "ObjectCreated:Put",
    "s3": {
        "bucket": {"name": "b"},
        "object": {"key": "AWSLogs/1/CloudTrail/us-east-1/2024/01/01/1_CloudTrail_x.json.gz"},
    },
}
# One valid event of every shape; each is taken apart field by field below.
ENVELOPES: dict[str, Any] = {
    "cloudwatch": {"awslogs": {"data": DATA}},
    "kinesis": {
        "Records": [
            {"eventSource": "aws:kinesis", "kinesis": {"sequenceNumber": "1", "data": DATA}}
        ]
    },
    "eventbridge": {
        "version": "0",
        "detail-type": "AWS API Call via CloudTrail",
        "source": "aws.cloudtrail",
        "detail": RECORD,
    },
    "s3": {"Records": [S3_ITEM]},
    "sns-s3": {
        "Records": [
            {
                "EventSource": "aws:sns",
                "Sns": {"Type": "Notification", "Message": json.dumps({"Records": [S3_ITEM]})},
            }
        ]
    },
    "sqs-s3": {
        "Records": [
            {"eventSource": "aws:sqs", "messageId": "m", "body": json.dumps({"Records": [S3_ITEM]})}
        ]
    },
    "cloudtrail-sns": {
        "Records": [
            {
                "EventSource": "aws:sns",
                "Sns": {
                    "Type": "Notification",
                    "Message": json.dumps(
                        {"s3Bucket": "b", "s3ObjectKey": [S3_ITEM["s3"]["object"]["key"]]}
                    ),
                },
            }
        ]
    },
}
WRONG = [None, 0, 1.5, True, "", "x", "{}", "[]", [], {}, [None], {"a": None}]


class FakeS3:
    """Every object holds one CloudTrail log file with RECORD."""

    def get_object(self, **_: Any) -> dict[str, Any]:
        body = gzip.compress(json.dumps({"Records": [RECORD]}).encode())
        return {"Body": io.BytesIO(body)}


def paths(node: Any, prefix: tuple = ()) -> list[tuple]:
    """Every path to a value inside an event (list indexes included)."""
    found = []
    items = (
        node.items()
        if isinstance(node, dict)
        else enumerate(node)
        if isinstance(node, list)
        else []
    )
    for key, value in items:
        found.append((*prefix, key))
        found.extend(paths(value, (*prefix, key)))
    return found


def replaced(event: Any, path: tuple, value: Any) -> Any:
    event = copy.deepcopy(event)
    node = event
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return event


def assert_items(event: Any) -> list[SourceRecord | SourceProblem]:
    items = list(iter_event(event, s3_client=FakeS3()))
    for item in items:
        assert isinstance(item, SourceRecord | SourceProblem), item
        if isinstance(item, SourceProblem):
            assert str(item) and "\n" not in item.message and not item.retryable
        else:
            assert type(item.record) is dict
    return items


@pytest.mark.parametrize("shape", list(ENVELOPES))
def test_every_envelope_gives_its_record(shape: str) -> None:
    items = assert_items(ENVELOPES[shape])
    assert [item.record for item in items] == [RECORD]


@pytest.mark.parametrize("shape", list(ENVELOPES))
def test_every_field_of_every_envelope_with_every_wrong_type(shape: str) -> None:
    event = ENVELOPES[shape]
    for path in paths(event):
        for value in WRONG:
            assert_items(replaced(event, path, value))


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 10_000), st.sampled_from(["cloudwatch", "kinesis"]))
def test_truncated_gzip_is_a_problem(cut: int, shape: str) -> None:
    raw = gzip.compress(json.dumps(LOGS).encode())
    data = base64.b64encode(raw[: cut % len(raw)]).decode()
    event = replaced(
        ENVELOPES[shape],
        ("awslogs", "data") if shape == "cloudwatch" else ("Records", 0, "kinesis", "data"),
        data,
    )
    items = assert_items(event)
    assert len(items) == 1 and isinstance(items[0], SourceProblem)
    with pytest.raises(SourceError):
        decode_cloudwatch_payload(data)


@settings(max_examples=300, deadline=None)
@given(
    st.text(alphabet=st.characters(codec="utf-8"), max_size=60)
    | st.sampled_from(
        [
            "=",
            "A",
            "AB=",
            "====",
            "H4sI",
            "H4sIAAAA",
            DATA[:-3],
            DATA + "!",
            DATA.replace("A", "é", 1),
            DATA[1:],
        ]
    )
)
def test_wrong_base64_is_a_problem_or_a_payload(data: str) -> None:
    try:
        decode_cloudwatch_payload(data)
    except SourceError as error:
        assert "\n" not in str(error)
    for item in assert_items({"awslogs": {"data": data}}):
        assert isinstance(item, SourceProblem) or item.record == RECORD
