"""Property tests: no input, however malformed, makes the sources raise."""

from __future__ import annotations

import base64
import gzip
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.model import SourceProblem, SourceRecord
from engine.sources import SourceError, decode_cloudwatch_payload, iter_event
from engine.sources.files import iter_content
from tests.aws_emulator import boto_client

# Keys and values of the envelopes, so that generated documents reach their readers.
KEYS = st.sampled_from(
    [
        "awslogs", "data", "messageType", "logGroup", "logEvents", "id", "message", "Records",
        "eventSource", "EventSource", "Sns", "Message", "body", "messageId", "kinesis",
        "sequenceNumber", "s3", "bucket", "name", "object", "key", "s3Bucket", "s3ObjectKey",
        "detail-type", "detail", "Type", "Event", "eventName",
    ]
)  # fmt: skip
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.sampled_from(["aws:s3", "aws:sns", "aws:sqs", "aws:kinesis", "Notification"])
    | st.sampled_from(["CONTROL_MESSAGE", "DATA_MESSAGE", "s3:TestEvent", "{}", "[", "H4sI"])
    | st.text(max_size=20)
)
DOCUMENTS = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEYS, inner, max_size=5),
    max_leaves=25,
)


def embed(document: Any) -> Any:
    """Also try each document as awslogs data, as an SQS body and as Kinesis data."""
    raw = json.dumps(document).encode()
    encoded = base64.b64encode(gzip.compress(raw)).decode()
    return [
        {"awslogs": {"data": encoded}},
        {"Records": [{"eventSource": "aws:sqs", "messageId": "m", "body": raw.decode()}]},
        {"Records": [{"eventSource": "aws:kinesis", "kinesis": {"data": encoded}}]},
    ]


@pytest.fixture(scope="module")
def s3(aws_endpoint: str) -> Any:
    return boto_client("s3", aws_endpoint)


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(DOCUMENTS)
def test_iter_event_never_raises(s3, document):
    for event in [document, *embed(document)]:
        for item in iter_event(event, s3_client=s3):
            assert isinstance(item, (SourceRecord, SourceProblem))
            assert isinstance(item, SourceProblem) or isinstance(item.record, dict)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200) | DOCUMENTS.map(lambda d: json.dumps(d).encode()))
def test_iter_content_never_raises(data):
    for content in (data, gzip.compress(data), data + b"\n" + data):
        for item in iter_content(content, "input"):
            assert isinstance(item, (SourceRecord, SourceProblem))


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80) | st.binary(max_size=80).map(lambda b: base64.b64encode(b).decode()))
def test_decode_cloudwatch_payload_returns_an_object_or_raises_source_error(data):
    try:
        assert isinstance(decode_cloudwatch_payload(data), dict)
    except SourceError as exc:
        assert "\n" not in str(exc)
