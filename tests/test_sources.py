"""engine.sources.iter_event on Lambda events: CloudWatch Logs, Kinesis, EventBridge, envelopes."""

from __future__ import annotations

import base64
import gzip
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from engine.model import SourceProblem, SourceRecord
from engine.sources import SourceError, decode_cloudwatch_payload, iter_event

DATA = Path(__file__).parent / "data" / "sources"
ROOT = Path(__file__).parent.parent
GROUP = "aws-cloudtrail-logs-123456789012"


def load(name: str) -> Any:
    return json.loads((DATA / name).read_text(encoding="utf-8"))


RECORDS = load("records.json")


def encode(payload: Any) -> str:
    """awslogs.data as CloudWatch Logs sends it: base64 of gzip of UTF-8 JSON."""
    raw = payload if isinstance(payload, bytes) else json.dumps(payload).encode("utf-8")
    return base64.b64encode(gzip.compress(raw)).decode("ascii")


def log_payload(messages: list[Any], message_type: str = "DATA_MESSAGE") -> dict[str, Any]:
    return {
        "messageType": message_type,
        "owner": "123456789012",
        "logGroup": GROUP,
        "logStream": "123456789012_CloudTrail_us-east-1",
        "subscriptionFilters": ["cloudtrail-to-slack"],
        "logEvents": [
            {"id": f"id-{n}", "timestamp": 1705320067000 + n, "message": message}
            for n, message in enumerate(messages)
        ],
    }


def cloudwatch_event(payload: Any) -> dict[str, Any]:
    return {"awslogs": {"data": encode(payload)}}


def split(items: Iterator[SourceRecord | SourceProblem]):
    found = list(items)
    records = [item for item in found if isinstance(item, SourceRecord)]
    problems = [item for item in found if isinstance(item, SourceProblem)]
    assert len(records) + len(problems) == len(found)
    return records, problems


def test_cloudwatch_event_yields_each_message_as_a_record_with_its_log_event():
    records, problems = split(iter_event(load("cloudwatch-logs-event.json")))

    assert problems == []
    assert [r.record for r in records] == RECORDS
    origin = records[1].origin
    assert origin.kind == "cloudwatch-logs"
    assert origin.log_group == GROUP
    assert origin.log_stream == "123456789012_CloudTrail_us-east-1"
    assert origin.log_event_id == "37650198933815778592847987161482936572080401" + "4928"


def test_non_ascii_user_names_are_decoded_as_utf8():
    messages = [json.dumps(RECORDS[0], ensure_ascii=False), json.dumps(RECORDS[1])]
    records, problems = split(iter_event(cloudwatch_event(log_payload(messages))))

    assert problems == []
    assert records[0].record["userIdentity"]["userName"] == "jörg.müller"
    assert records[1].record["requestParameters"]["userName"] == "björn-ci"


def test_control_message_yields_nothing():
    payload = log_payload(["CWL CONTROL MESSAGE: Checking health of destination Lambda."])
    payload["messageType"] = "CONTROL_MESSAGE"
    payload["logGroup"] = payload["logStream"] = ""

    assert list(iter_event(cloudwatch_event(payload))) == []


def test_bad_message_between_good_ones_is_a_problem_and_the_others_still_come_out():
    messages = [json.dumps(RECORDS[0]), "{not json", json.dumps(RECORDS[2])]
    records, problems = split(iter_event(cloudwatch_event(log_payload(messages))))

    assert [r.record["eventID"] for r in records] == [RECORDS[0]["eventID"], RECORDS[2]["eventID"]]
    [problem] = problems
    assert problem.origin.log_event_id == "id-1"
    assert problem.origin.log_group == GROUP
    assert str(problem).startswith(f"{GROUP} log event id-1: log event message is not JSON")
    assert not problem.retryable


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ('["a", "list"]', "log event message is a JSON array, not an object"),
        ("42", "log event message is a JSON number, not an object"),
        (None, "log event message is a JSON null, not a string"),
        ({"eventName": "X"}, "log event message is a JSON object, not a string"),
    ],
)
def test_message_that_is_not_a_json_object_text_is_a_problem(message, expected):
    payload = log_payload([message, json.dumps(RECORDS[1])])
    records, problems = split(iter_event(cloudwatch_event(payload)))

    assert [r.record for r in records] == [RECORDS[1]]
    assert [p.message for p in problems] == [expected]
    assert problems[0].origin.log_event_id == "id-0"


def _truncated_gzip() -> str:
    raw = gzip.compress(json.dumps(log_payload([json.dumps(RECORDS[0])])).encode())
    return base64.b64encode(raw[: len(raw) // 2]).decode()


@pytest.mark.parametrize(
    ("event", "expected"),
    [
        ({"awslogs": "abc"}, "awslogs is a JSON string, not an object"),
        ({"awslogs": {"data": 12}}, "awslogs.data is a JSON number, not a string"),
        ({"awslogs": {}}, "awslogs.data is a JSON null, not a string"),
        ({"awslogs": {"data": "abc"}}, "awslogs.data: not base64"),
        ({"awslogs": {"data": "dGjDqQ=="}}, "awslogs.data: not gzip data"),
        ({"awslogs": {"data": "ünïcode"}}, "awslogs.data: not base64"),
        ({"awslogs": {"data": _truncated_gzip()}}, "awslogs.data: corrupt or truncated gzip"),
        ({"awslogs": {"data": encode(b"\xff\xfe{}")}}, "awslogs.data: not UTF-8 text"),
        ({"awslogs": {"data": encode(b"{oops")}}, "awslogs.data: not JSON: Expecting"),
        ({"awslogs": {"data": encode([1, 2])}}, "awslogs.data: payload is a JSON array"),
        (
            cloudwatch_event({"messageType": "DATA_MESSAGE", "logEvents": {"id": "1"}}),
            "logEvents is a JSON object, not an array",
        ),
        (
            cloudwatch_event({"messageType": "DATA_MESSAGE", "logGroup": GROUP, "logEvents": [7]}),
            "logEvents[0] is a JSON number, not an object",
        ),
        (
            cloudwatch_event({"messageType": "DATA_MESSAGE", "logEvents": [{"id": "1"}]}),
            "log event message is a JSON null, not a string",
        ),
        ({"Records": "nope"}, "Records is a JSON string, not an array"),
        (
            {"Records": [{"eventSource": "aws:sqs", "messageId": "m-1", "body": "{oops"}]},
            "SQS message m-1 body is not JSON: Expecting",
        ),
        (
            {"Records": [{"eventSource": "aws:sqs", "messageId": "m-1", "body": None}]},
            "SQS message m-1 body is a JSON null, not a string",
        ),
        (
            {"Records": [{"EventSource": "aws:sns", "Sns": {"Message": 3}}]},
            "SNS message is a JSON number, not a string",
        ),
        (
            {"Records": [{"eventSource": "aws:s3", "s3": {"bucket": "b"}}]},
            "S3 notification without s3.bucket.name and s3.object.key strings",
        ),
        ({"s3Bucket": ["b"], "s3ObjectKey": []}, "s3Bucket is a JSON array, not a string"),
        ({"s3Bucket": "b", "s3ObjectKey": "k"}, "s3ObjectKey is not an array of strings"),
        (
            {"detail-type": "AWS API Call via CloudTrail", "detail": "x"},
            "EventBridge detail is a JSON string, not an object",
        ),
        ({"Records": [{"eventSource": "aws:kinesis"}]}, "kinesis is a JSON null, not an object"),
    ],
)
def test_malformed_envelope_is_one_problem_never_an_exception(event, expected):
    [problem] = list(iter_event(event))

    assert isinstance(problem, SourceProblem)
    assert problem.message.startswith(expected), problem.message
    assert "\n" not in problem.message
    assert not problem.retryable


def test_each_bad_item_of_a_batch_is_its_own_problem():
    event = {
        "Records": [
            {"eventSource": "aws:s3"},
            5,
            {"eventSource": "aws:sqs", "body": "["},
            {"eventSource": ["aws:s3"]},
        ]
    }

    assert [p.message for p in iter_event(event)] == [
        "S3 notification without s3.bucket.name and s3.object.key strings",
        "Records[1] is a JSON number, not an object",
        "SQS message body (Records[2]) is not JSON: Expecting value (line 1, column 2)",
        "Records[3] is not an S3, SNS, SQS or Kinesis item (eventSource ['aws:s3'])",
    ]


def test_decode_cloudwatch_payload_returns_the_payload_or_raises_source_error():
    payload = log_payload([json.dumps(RECORDS[0])])

    assert decode_cloudwatch_payload(encode(payload)) == payload
    assert decode_cloudwatch_payload(encode(payload).encode("ascii")) == payload
    with pytest.raises(SourceError, match="corrupt or truncated gzip"):
        decode_cloudwatch_payload(_truncated_gzip())
    assert issubclass(SourceError, ValueError)


def test_eventbridge_event_detail_is_the_record():
    [item] = list(iter_event(load("eventbridge-event.json")))

    assert isinstance(item, SourceRecord)
    assert item.record == RECORDS[1]
    assert item.origin.kind == "eventbridge"


def test_kinesis_records_carry_sequence_number_and_log_event():
    records, problems = split(iter_event(load("kinesis-event.json")))

    assert problems == []
    assert [r.record for r in records] == RECORDS
    assert {r.origin.kind for r in records} == {"kinesis"}
    first, last = records[0].origin, records[2].origin
    assert first.kinesis_sequence == "49590338271490256608559692538361571095921575989136588898"
    assert last.kinesis_sequence == "49590338271490256608559692540925702759324208523137515618"
    assert last.log_group == GROUP
    assert last.log_stream == "123456789012_CloudTrail_eu-west-1"
    assert last.log_event_id is not None


def test_kinesis_item_that_cannot_be_decoded_names_its_sequence_and_others_go_on():
    event = load("kinesis-event.json")
    event["Records"][0]["kinesis"]["data"] = base64.b64encode(b"plain text").decode()
    records, problems = split(iter_event(event))

    assert len(records) == 1
    [problem] = problems
    assert problem.origin.kinesis_sequence == event["Records"][0]["kinesis"]["sequenceNumber"]
    assert problem.message.startswith("kinesis.data: not gzip")


def test_kinesis_control_message_yields_nothing():
    event = load("kinesis-event.json")
    payload = log_payload(["CWL CONTROL MESSAGE"], message_type="CONTROL_MESSAGE")
    event["Records"] = [event["Records"][0]]
    event["Records"][0]["kinesis"]["data"] = encode(payload)

    assert list(iter_event(event)) == []


@pytest.mark.parametrize(
    ("event", "expected"),
    [
        ({"eventName": "CreateUser", "eventID": "x"}, "unrecognised event shape: keys 'eventName'"),
        ([{"awslogs": {}}], "unrecognised event shape: a JSON array"),
        ("hello", "unrecognised event shape: a JSON string"),
        ({"Records": RECORDS}, "unrecognised event shape: its Records are not S3, SNS, SQS"),
        ({"Records": [{"eventSource": "aws:dynamodb"}]}, "Records[0] is not an S3, SNS, SQS or"),
    ],
)
def test_unknown_shape_in_the_lambda_is_a_problem_not_a_record(event, expected):
    [problem] = list(iter_event(event))

    assert isinstance(problem, SourceProblem)
    assert problem.message.startswith(expected), problem.message


def test_sqs_body_of_unknown_shape_names_the_message():
    event = {"Records": [{"eventSource": "aws:sqs", "messageId": "m-9", "body": '{"a": 1}'}]}
    [problem] = list(iter_event(event))

    assert problem.message == "unrecognised SQS message m-9 body shape: keys 'a'"
    assert problem.origin.sqs_message_id == "m-9"


def test_eventbridge_event_delivered_through_sqs_keeps_the_message_id():
    body = (DATA / "eventbridge-event.json").read_text(encoding="utf-8")
    event = {"Records": [{"eventSource": "aws:sqs", "messageId": "m-2", "body": body}]}
    [item] = list(iter_event(event))

    assert isinstance(item, SourceRecord)
    assert item.record == RECORDS[1]
    assert (item.origin.kind, item.origin.sqs_message_id) == ("eventbridge", "m-2")


def test_s3_test_event_and_removals_yield_nothing():
    test_event = {"Service": "Amazon S3", "Event": "s3:TestEvent", "Bucket": "b"}
    sqs = {
        "Records": [{"eventSource": "aws:sqs", "messageId": "1", "body": json.dumps(test_event)}]
    }
    removal = load("s3-notification.json")
    for item in removal["Records"]:
        item["eventName"] = "ObjectRemoved:Delete"

    assert list(iter_event(sqs)) == []
    assert list(iter_event(removal)) == []


def test_envelopes_nested_too_deep_are_a_problem():
    event: dict[str, Any] = {"Type": "Notification", "Message": json.dumps({"s3Bucket": "b"})}
    for _ in range(6):
        event = {"Type": "Notification", "Message": json.dumps(event)}
    [problem] = list(iter_event(event))

    assert "nested more than" in problem.message


def test_iter_event_streams():
    result = iter_event(load("cloudwatch-logs-event.json"))

    assert isinstance(result, Iterator)
    assert not isinstance(result, (list, tuple))
    assert isinstance(next(result), SourceRecord)


def test_importing_sources_does_not_import_boto3():
    code = "import sys, engine.sources; print('boto3' in sys.modules, 'botocore' in sys.modules)"
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )

    assert done.stdout.split() == ["False", "False"]
