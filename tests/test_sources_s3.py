"""CloudTrail log files fetched from S3 (moto's server through real boto3), however notified."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest

from engine.model import SourceProblem, SourceRecord
from engine.sources import iter_event
from engine.sources.s3 import default_s3_client, is_cloudtrail_log_key
from tests.aws_emulator import boto_client

DATA = Path(__file__).parent / "data" / "sources"
BUCKET = "org-trail-logs-123456789012"
LOG_NAME = "123456789012_CloudTrail_us-east-1_20240115T1205Z_Ab12Cd34Ef56Gh78.json.gz"
LOG_PATH = f"AWSLogs/o-a1b2c3d4e5/123456789012/CloudTrail/us-east-1/2024/01/15/{LOG_NAME}"
# The key as S3 stores it; notifications carry it URL-encoded ("my+trail/…").
LOG_KEY = f"my trail/{LOG_PATH}"
DIGEST_KEY = (
    "my trail/AWSLogs/o-a1b2c3d4e5/123456789012/CloudTrail-Digest/us-east-1/2024/01/15/"
    "123456789012_CloudTrail-Digest_us-east-1_my-trail_us-east-1_20240115T130000Z.json.gz"
)
SQS_MESSAGE_ID = "059f36b4-87a3-44ab-83d2-661975830a7d"


def load(name: str) -> Any:
    return json.loads((DATA / name).read_text(encoding="utf-8"))


RECORDS = load("records.json")
LOG_FILE = (DATA / LOG_NAME).read_bytes()


@pytest.fixture
def s3(aws_endpoint: str) -> Any:
    """An S3 client on the emulator with an empty trail bucket."""
    client = boto_client("s3", aws_endpoint)
    existing = {bucket["Name"] for bucket in client.list_buckets()["Buckets"]}
    if BUCKET not in existing:
        client.create_bucket(Bucket=BUCKET)
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=BUCKET):
        for obj in page.get("Contents", []):
            client.delete_object(Bucket=BUCKET, Key=obj["Key"])
    return client


@pytest.fixture
def trail(s3: Any) -> Any:
    """The bucket holding one CloudTrail log file, and a digest that must never be read."""
    s3.put_object(Bucket=BUCKET, Key=LOG_KEY, Body=LOG_FILE)
    # Not even JSON: were it fetched, a problem would come out.
    s3.put_object(Bucket=BUCKET, Key=DIGEST_KEY, Body=b"digest signature, not records")
    return s3


def records_of(event: Any, s3: Any) -> list[SourceRecord]:
    items = list(iter_event(event, s3_client=s3))
    assert [item for item in items if isinstance(item, SourceProblem)] == []
    return items  # type: ignore[return-value]


def test_s3_via_sns_via_sqs_reads_the_log_file_and_skips_the_digest(trail):
    records = records_of(load("s3-via-sns-via-sqs-event.json"), trail)

    assert [r.record for r in records] == RECORDS
    origins = [r.origin for r in records]
    assert {(o.kind, o.bucket, o.key, o.sqs_message_id) for o in origins} == {
        ("s3", BUCKET, LOG_KEY, SQS_MESSAGE_ID)
    }
    assert [o.index for o in origins] == [0, 1, 2]
    assert origins[2].where() == f"s3://{BUCKET}/{LOG_KEY}#2"


def test_direct_s3_notification_decodes_url_encoded_keys(trail):
    notification = load("s3-notification.json")
    assert notification["Records"][0]["s3"]["object"]["key"].startswith("my+trail/")

    records = records_of(notification, trail)

    assert [r.record for r in records] == RECORDS
    assert {(r.origin.key, r.origin.sqs_message_id) for r in records} == {(LOG_KEY, None)}


def test_s3_notification_via_sns(trail):
    message = (DATA / "s3-notification.json").read_text(encoding="utf-8")
    event = {
        "Records": [{"EventSource": "aws:sns", "Sns": {"Type": "Notification", "Message": message}}]
    }

    assert [r.record for r in records_of(event, trail)] == RECORDS


def test_raw_s3_notification_in_sqs(trail):
    body = (DATA / "s3-notification.json").read_text(encoding="utf-8")
    event = {"Records": [{"eventSource": "aws:sqs", "messageId": "raw-1", "body": body}]}
    records = records_of(event, trail)

    assert [r.record for r in records] == RECORDS
    assert {r.origin.sqs_message_id for r in records} == {"raw-1"}


def test_cloudtrail_sns_notification(s3):
    s3.put_object(Bucket=BUCKET, Key=LOG_PATH, Body=LOG_FILE)
    records = records_of(load("cloudtrail-sns-notification-event.json"), s3)

    assert [r.record for r in records] == RECORDS
    assert {r.origin.key for r in records} == {LOG_PATH}


def test_missing_object_is_a_retryable_problem_naming_bucket_key_and_sqs_message(s3):
    [problem] = list(iter_event(load("s3-via-sns-via-sqs-event.json"), s3_client=s3))

    assert isinstance(problem, SourceProblem)
    assert problem.retryable
    assert (problem.origin.bucket, problem.origin.key) == (BUCKET, LOG_KEY)
    assert problem.origin.sqs_message_id == SQS_MESSAGE_ID
    assert problem.message.startswith("cannot fetch the object: ")
    assert "NoSuchKey" in problem.message


def test_uncompressed_log_file_is_read_too(s3):
    body = json.dumps({"Records": RECORDS}, ensure_ascii=False).encode("utf-8")
    s3.put_object(Bucket=BUCKET, Key=LOG_KEY, Body=body)

    records = records_of(load("s3-notification.json"), s3)

    assert records[0].record["userIdentity"]["userName"] == "jörg.müller"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (LOG_FILE[:200], "corrupt or truncated gzip data"),
        (gzip.compress(b'{"records": []}'), 'not a CloudTrail log file: no {"Records": [...]}'),
        (gzip.compress(b"\xc3\x28"), "not UTF-8 text (byte 0)"),
        (gzip.compress(b"[1,"), "not JSON: Expecting value"),
    ],
)
def test_bad_log_file_is_a_problem_that_retrying_would_not_fix(s3, body, expected):
    s3.put_object(Bucket=BUCKET, Key=LOG_KEY, Body=body)
    [problem] = list(iter_event(load("s3-notification.json"), s3_client=s3))

    assert isinstance(problem, SourceProblem)
    assert problem.message.startswith(expected), problem.message
    assert not problem.retryable
    assert problem.origin.key == LOG_KEY


def test_non_object_record_in_log_file_is_a_problem_with_its_index(s3):
    body = gzip.compress(json.dumps({"Records": [RECORDS[0], "x", RECORDS[2]]}).encode())
    s3.put_object(Bucket=BUCKET, Key=LOG_KEY, Body=body)
    items = list(iter_event(load("s3-notification.json"), s3_client=s3))

    assert [type(item).__name__ for item in items] == [
        "SourceRecord",
        "SourceProblem",
        "SourceRecord",
    ]
    assert str(items[1]) == f"s3://{BUCKET}/{LOG_KEY}#1: Records[1] is a JSON string"


def test_without_a_client_one_is_created_from_the_environment(trail, aws_endpoint, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", aws_endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    default_s3_client.cache_clear()  # the client is made once per process; make it here
    try:
        items = list(iter_event(load("s3-notification.json")))
    finally:
        default_s3_client.cache_clear()  # so that no later test inherits this endpoint

    assert [item.record for item in items if isinstance(item, SourceRecord)] == RECORDS


@pytest.mark.parametrize(
    ("key", "wanted"),
    [
        (LOG_KEY, True),
        (
            "AWSLogs/123456789012/CloudTrail/eu-west-1/2024/01/15/x_CloudTrail_eu-west-1_y.json.gz",
            True,
        ),
        (DIGEST_KEY, False),
        ("AWSLogs/123456789012/CloudTrail/us-east-1/2024/01/15/notes.txt", False),
        ("AWSLogs/123456789012/CloudTrail-Insight/us-east-1/2024/01/15/x.json.gz", False),
        ("AWSLogs/123456789012/elasticloadbalancing/us-east-1/x.log.gz", False),
    ],
)
def test_only_cloudtrail_log_files_are_read(key, wanted):
    assert is_cloudtrail_log_key(key) is wanted
