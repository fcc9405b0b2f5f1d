"""End to end: `handler` with every input shape, the real slack_sdk talking to the loopback
Slack server, and SQS, S3, SSM and Secrets Manager in moto's server.

Each test builds a fresh instance with `handler.create_app` (pacing and retries shortened with
App options: `min_interval=0`, a fast RetryPolicy, a small queue reserve) and asserts exactly
which messages Slack received.
"""

from __future__ import annotations

import base64
import gzip
import json
import os
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus

import pytest

import handler
from engine.delivery import Outbound, QueueUnavailable, RetryPolicy
from engine.rules import RuleFileError
from engine.runtime import normalise_api_url
from tests.aws_emulator import boto_client

ROOT = Path(__file__).parent.parent
DATA = Path(__file__).parent / "data"
RULES = DATA / "handler" / "rules.yaml"
TOKEN = "xoxb-5820348867-7730412598203-AbCdEfGhIjKlMnOpQrStUvWx"
FAST = RetryPolicy(backoff=0.05, max_backoff=0.2, default_retry_after=0.1, min_request_time=0.1)

# Records from tests/data/records, by what the handler's test rules do with them.
SG = "ec2-authorize-sg-ingress-assumed-role"  # security-group-change → #security
STOP = "cloudtrail-stop-logging-iam-user"  # stop-logging → #security and #audit
USER = "iam-create-user-root"  # user-change → #gone
NOISE = "sts-assume-role-aws-service"  # matches nothing
READ = "iam-get-user-iam-user"  # ignored as a read


def record(name: str) -> dict[str, Any]:
    return json.loads((DATA / "records" / f"{name}.json").read_text())


def event_id(name: str) -> str:
    return record(name)["eventID"]


# ---------------------------------------------------------------- input shapes


def subscription_payload(*messages: str, message_type: str = "DATA_MESSAGE") -> str:
    """awslogs.data / kinesis.data: base64 of gzip of the CloudWatch Logs payload."""
    payload = {
        "messageType": message_type,
        "owner": "123456789012",
        "logGroup": "CloudTrail/logs",
        "logStream": "123456789012_CloudTrail_us-east-1",
        "subscriptionFilters": ["cloudtrail-to-slack"],
        "logEvents": [
            {"id": f"3{i:055d}", "timestamp": 1705320000000 + i, "message": message}
            for i, message in enumerate(messages)
        ],
    }
    return base64.b64encode(gzip.compress(json.dumps(payload).encode())).decode()


def cloudwatch_event(*names: str) -> dict[str, Any]:
    return {"awslogs": {"data": subscription_payload(*(json.dumps(record(n)) for n in names))}}


def kinesis_event(*batches: tuple[str, ...]) -> dict[str, Any]:
    return {
        "Records": [
            {
                "eventSource": "aws:kinesis",
                "eventID": f"shardId-000000000000:{sequence(i)}",
                "kinesis": {
                    "sequenceNumber": sequence(i),
                    "partitionKey": "p",
                    "data": subscription_payload(*(json.dumps(record(n)) for n in names)),
                },
            }
            for i, names in enumerate(batches)
        ]
    }


def sequence(i: int) -> str:
    return f"4959{i:052d}"


def eventbridge_event(name: str) -> dict[str, Any]:
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "AWS API Call via CloudTrail",
        "source": "aws.cloudtrail",
        "account": "123456789012",
        "time": "2024-01-15T12:00:00Z",
        "region": "us-east-1",
        "resources": [],
        "detail": record(name),
    }


def s3_item(bucket: str, key: str) -> dict[str, Any]:
    return {
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "eventName": "ObjectCreated:Put",
        "s3": {"bucket": {"name": bucket}, "object": {"key": quote_plus(key)}},
    }


def sqs_item(message_id: str, body: dict[str, Any]) -> dict[str, Any]:
    return {"messageId": message_id, "eventSource": "aws:sqs", "body": json.dumps(body)}


def sns_envelope(message: dict[str, Any]) -> dict[str, Any]:
    return {"Type": "Notification", "MessageId": str(uuid.uuid4()), "Message": json.dumps(message)}


def log_key(tag: str) -> str:
    return (
        "my trail/AWSLogs/123456789012/CloudTrail/us-east-1/2024/01/15/"
        f"123456789012_CloudTrail_us-east-1_20240115T1205Z_{tag}.json.gz"
    )


# ---------------------------------------------------------------- fixtures and helpers


@dataclass
class Context:
    """What the handler reads from Lambda's context object."""

    seconds: float = 30.0
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    function_name: str = "cloudtrail-to-slack-alerts"

    def __post_init__(self) -> None:
        self._deadline = time.monotonic() + self.seconds

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


@pytest.fixture
def sqs(aws_endpoint):
    return boto_client("sqs", aws_endpoint)


@pytest.fixture
def queue_url(sqs) -> str:
    return sqs.create_queue(QueueName=f"failed-alerts-{uuid.uuid4().hex[:8]}")["QueueUrl"]


@pytest.fixture
def env(monkeypatch, aws_endpoint, slack_server, queue_url):
    """The function's environment, pointed at the loopback Slack and the AWS emulator."""
    for name in ("SLACK_TOKEN_PARAMETER", "SLACK_TOKEN_SECRET", "SLACK_CHANNEL", "_HANDLER"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("RULES_FILE", str(RULES))
    monkeypatch.setenv("SLACK_TOKEN", TOKEN)
    monkeypatch.setenv("SLACK_API_URL", slack_server.url.rstrip("/"))  # the handler adds "/"
    monkeypatch.setenv("FAILED_ALERTS_QUEUE_URL", queue_url)
    monkeypatch.setenv("AWS_ENDPOINT_URL", aws_endpoint)
    return os.environ


def make_app(**options: Any) -> handler.App:
    settings = {"min_interval": 0.0, "policy": FAST, "queue_reserve": 0.3} | options
    return handler.create_app(os.environ, **settings)


def posted(slack_server) -> list[tuple[str, str]]:
    """(channel, CloudTrail event name) of every message Slack accepted, in arrival order."""
    names = ("AuthorizeSecurityGroupIngress", "StopLogging", "CreateUser", "CreateSecurityGroup")
    return [
        (m["channel"], next((n for n in names if n in m["text"]), m["text"]))
        for m in slack_server.messages
    ]


def queued(sqs, url: str) -> list[Outbound]:
    """The failure queue's alerts (left on the queue, visible)."""
    messages = sqs.receive_message(
        QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0, WaitTimeSeconds=0
    ).get("Messages", [])
    return sorted((Outbound.from_json(m["Body"]) for m in messages), key=lambda o: o.key)


def log_lines(capsys) -> list[dict[str, Any]]:
    return [
        json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")
    ]


def summary_of(lines: list[dict[str, Any]]) -> dict[str, Any]:
    [summary] = [line for line in lines if line["message"] == "invocation summary"]
    return summary


# ---------------------------------------------------------------- every input shape


def test_cloudwatch_logs_event_posts_one_message_per_record_and_channel(env, slack_server, capsys):
    app = make_app()
    context = Context()

    result = app.handle(cloudwatch_event(SG, NOISE, STOP, READ), context)

    assert sorted(posted(slack_server)) == [
        ("#audit", "StopLogging"),
        ("#security", "AuthorizeSecurityGroupIngress"),
        ("#security", "StopLogging"),
    ]
    assert all(m["unfurl_links"] in (False, "0", "false") for m in slack_server.messages)
    assert slack_server.requests[0]["authorization"] == f"Bearer {TOKEN}"
    summary = summary_of(log_lines(capsys))
    expected = {"records": 4, "matched": 2, "posted": 3, "queued": 0, "skipped": 0, "lost": 0}
    assert {k: summary[k] for k in expected} == expected
    assert summary["request_id"] == context.aws_request_id
    assert result["posted"] == 3


def test_control_message_is_acknowledged_and_posts_nothing(env, slack_server, capsys):
    event = {"awslogs": {"data": subscription_payload(message_type="CONTROL_MESSAGE")}}

    make_app().handle(event, Context())

    assert slack_server.requests == []
    summary = summary_of(log_lines(capsys))
    assert (summary["records"], summary["skipped"], summary["posted"]) == (0, 0, 0)


def test_a_bad_line_is_logged_with_its_place_and_the_good_ones_still_alert(
    env, slack_server, capsys
):
    messages = [json.dumps(record(SG)), '{"eventName": "StopLogging", oops', "[1, 2]"]
    event = {"awslogs": {"data": subscription_payload(*messages)}}
    context = Context()

    make_app().handle(event, context)

    assert posted(slack_server) == [("#security", "AuthorizeSecurityGroupIngress")]
    lines = log_lines(capsys)
    problems = [line for line in lines if line.get("problem") == "skipped"]
    assert [p["log_event_id"] for p in problems] == [f"3{1:055d}", f"3{2:055d}"]
    assert all(p["log_group"] == "CloudTrail/logs" for p in problems)
    assert all(p["request_id"] == context.aws_request_id for p in problems)
    assert "not JSON" in problems[0]["message"] and problems[0]["level"] == "WARNING"
    assert summary_of(lines)["skipped"] == 2


def test_eventbridge_event(env, slack_server):
    make_app().handle(eventbridge_event(SG), Context())

    assert posted(slack_server) == [("#security", "AuthorizeSecurityGroupIngress")]


def test_kinesis_batch(env, slack_server):
    result = make_app().handle(kinesis_event((SG, NOISE), (STOP,)), Context())

    assert result == {"batchItemFailures": []}
    assert sorted(posted(slack_server)) == [
        ("#audit", "StopLogging"),
        ("#security", "AuthorizeSecurityGroupIngress"),
        ("#security", "StopLogging"),
    ]


@pytest.fixture
def bucket(aws_endpoint) -> str:
    name = f"trail-{uuid.uuid4().hex[:8]}"
    boto_client("s3", aws_endpoint).create_bucket(Bucket=name)
    return name


def put_log_file(aws_endpoint: str, bucket: str, key: str, *names: str) -> None:
    body = gzip.compress(json.dumps({"Records": [record(n) for n in names]}).encode())
    boto_client("s3", aws_endpoint).put_object(Bucket=bucket, Key=key, Body=body)


@pytest.mark.parametrize("wrapping", ["direct", "sns", "sqs+sns", "sqs raw", "cloudtrail sns"])
def test_s3_log_file_notifications(env, slack_server, aws_endpoint, bucket, wrapping):
    key = log_key("Ab12")
    put_log_file(aws_endpoint, bucket, key, SG, NOISE, STOP)
    digest = key.replace("/CloudTrail/", "/CloudTrail-Digest/")  # never read: not even there
    notification = {"Records": [s3_item(bucket, key), s3_item(bucket, digest)]}
    event = {
        "direct": notification,
        "sns": {
            "Records": [{"EventSource": "aws:sns", "Sns": {"Message": json.dumps(notification)}}]
        },
        "sqs+sns": {"Records": [sqs_item("m-1", sns_envelope(notification))]},
        "sqs raw": {"Records": [sqs_item("m-1", notification)]},
        "cloudtrail sns": {
            "Records": [
                {
                    "EventSource": "aws:sns",
                    "Sns": {"Message": json.dumps({"s3Bucket": bucket, "s3ObjectKey": [key]})},
                }
            ]
        },
    }[wrapping]

    result = make_app().handle(event, Context())

    assert sorted(posted(slack_server)) == [
        ("#audit", "StopLogging"),
        ("#security", "AuthorizeSecurityGroupIngress"),
        ("#security", "StopLogging"),
    ]
    if wrapping.startswith("sqs"):
        assert result == {"batchItemFailures": []}


# ---------------------------------------------------------------- once, and only once


def test_duplicates_are_posted_once_within_a_batch_and_across_warm_invocations(
    env, slack_server, capsys
):
    app = make_app()

    app.handle(cloudwatch_event(SG, SG, STOP), Context())
    app.handle(cloudwatch_event(SG), Context())  # Lambda delivered the event again

    assert sorted(posted(slack_server)) == [
        ("#audit", "StopLogging"),
        ("#security", "AuthorizeSecurityGroupIngress"),
        ("#security", "StopLogging"),
    ]
    first, second = [s for s in log_lines(capsys) if s["message"] == "invocation summary"]
    assert (first["duplicates"], second["duplicates"], second["posted"]) == (1, 1, 0)


@pytest.mark.parametrize(
    "fault",
    [
        {"status": 429, "retry_after": 0.2},
        {"status": 500},
        {"status": 502},
        {"status": 503},
        {"status": 504},
        {"reset": True},
        {"error": "internal_error"},
    ],
    ids=["429", "500", "502", "503", "504", "reset", "internal_error"],
)
def test_every_alert_is_posted_once_through_transient_failures(
    env, slack_server, sqs, queue_url, fault
):
    slack_server.fail_next(2, **fault)

    make_app().handle(cloudwatch_event(SG, STOP), Context())

    assert sorted(posted(slack_server)) == [
        ("#audit", "StopLogging"),
        ("#security", "AuthorizeSecurityGroupIngress"),
        ("#security", "StopLogging"),
    ]
    assert queued(sqs, queue_url) == []


def test_a_slow_reply_past_the_timeout_is_retried(env, slack_server, monkeypatch):
    app = make_app()
    monkeypatch.setattr(app.slack, "timeout", 0.5)
    slack_server.fail_next(1, delay=1.0, channel="#security")  # answered, but too late

    app.handle(cloudwatch_event(SG), Context())

    # The slow first attempt may still have been accepted by the server (Slack would post it):
    # what matters is that the handler saw a failure, retried, and the retry got through.
    assert len(slack_server.requests) == 2
    assert posted(slack_server)[-1] == ("#security", "AuthorizeSecurityGroupIngress")


def test_permanent_channel_error_is_queued_logged_and_redriven_exactly_once(
    env, slack_server, sqs, queue_url, capsys
):
    slack_server.fail_next(1, error="channel_not_found", channel="#gone")
    app = make_app()

    result = app.handle(cloudwatch_event(USER, SG), Context())

    assert posted(slack_server) == [("#security", "AuthorizeSecurityGroupIngress")]
    [kept] = queued(sqs, queue_url)
    assert (kept.channel, kept.rule_ids, kept.event_id) == (
        "#gone",
        ("user-change",),
        event_id(USER),
    )
    assert "CreateUser" in kept.text and kept.blocks
    lines = log_lines(capsys)
    [refused] = [line for line in lines if line.get("problem") == "not-delivered"]
    assert refused["channel"] == "#gone" and refused["rule_ids"] == ["user-change"]
    assert refused["error"] == "channel_not_found" and refused["permanent"] is True
    assert "user-change" in refused["message"] and "#gone" in refused["message"]
    assert summary_of(lines)["queued"] == 1 and result["lost"] == 0

    # The channel now exists: the redrive posts the alert, once.
    redrive_app = make_app()
    first = redrive_app.redrive(Context())
    second = redrive_app.redrive(Context())

    assert posted(slack_server) == [
        ("#security", "AuthorizeSecurityGroupIngress"),
        ("#gone", "CreateUser"),
    ]
    assert (first["posted"], second["posted"], second["received"]) == (1, 0, 0)
    assert queued(sqs, queue_url) == []


def test_slack_down_past_the_deadline_queues_everything_then_redrive_posts_each_once(
    env, slack_server, sqs, queue_url, capsys
):
    slack_server.fail_next(1000, status=503)
    app = make_app(queue_reserve=0.5)
    started = time.monotonic()

    result = app.handle(cloudwatch_event(SG, STOP), Context(seconds=2.0))

    assert time.monotonic() - started < 2.0  # within the invocation's time
    assert slack_server.messages == [] and result["queued"] == 3 and result["lost"] == 0
    assert [(o.channel, o.event_id) for o in queued(sqs, queue_url)] == sorted(
        [("#security", event_id(SG)), ("#security", event_id(STOP)), ("#audit", event_id(STOP))],
        key=lambda pair: f"{pair[1]}|{pair[0]}",
    )

    slack_server.recover()
    app.redrive(Context())
    app.redrive(Context())
    app.handle(cloudwatch_event(SG, STOP), Context())  # Lambda retried the event anyway

    assert sorted(posted(slack_server)) == [
        ("#audit", "StopLogging"),
        ("#security", "AuthorizeSecurityGroupIngress"),
        ("#security", "StopLogging"),
    ]
    assert queued(sqs, queue_url) == []


def test_an_alert_without_a_channel_is_logged_naming_the_rule_and_queued(
    env, slack_server, sqs, queue_url, monkeypatch, capsys
):
    monkeypatch.setenv("RULES_FILE", str(DATA / "handler" / "unrouted.yaml"))

    make_app().handle(cloudwatch_event(STOP), Context())

    assert slack_server.requests == []
    [kept] = queued(sqs, queue_url)
    assert (kept.channel, kept.rule_ids) == ("", ("stop-logging",))
    lines = log_lines(capsys)
    [problem] = [line for line in lines if line.get("problem") == "no-channel"]
    assert problem["rule_ids"] == ["stop-logging"] and problem["event_id"] == event_id(STOP)
    assert "SLACK_CHANNEL" in problem["message"]
    assert (summary_of(lines)["unrouted"], summary_of(lines)["queued"]) == (1, 1)


# ---------------------------------------------------------------- when even the queue fails


@pytest.fixture
def no_queue(env, monkeypatch, aws_endpoint):
    monkeypatch.setenv("FAILED_ALERTS_QUEUE_URL", f"{aws_endpoint}/123456789012/no-such-queue")


def test_kinesis_reports_only_the_records_whose_alerts_were_lost(slack_server, no_queue):
    slack_server.fail_next(1, error="channel_not_found", channel="#gone")

    result = make_app().handle(kinesis_event((SG,), (USER,), (STOP,)), Context())

    assert result == {"batchItemFailures": [{"itemIdentifier": sequence(1)}]}
    assert len(posted(slack_server)) == 3  # SG, and STOP to two channels


def test_sqs_reports_the_messages_whose_alerts_were_lost(
    slack_server, no_queue, aws_endpoint, bucket
):
    put_log_file(aws_endpoint, bucket, log_key("good"), SG)
    put_log_file(aws_endpoint, bucket, log_key("gone"), USER)
    slack_server.fail_next(1, error="channel_not_found", channel="#gone")
    event = {
        "Records": [
            sqs_item("m-good", sns_envelope({"Records": [s3_item(bucket, log_key("good"))]})),
            sqs_item("m-gone", sns_envelope({"Records": [s3_item(bucket, log_key("gone"))]})),
        ]
    }

    result = make_app().handle(event, Context())

    assert result == {"batchItemFailures": [{"itemIdentifier": "m-gone"}]}
    assert posted(slack_server) == [("#security", "AuthorizeSecurityGroupIngress")]


def test_other_inputs_raise_after_posting_what_they_could(slack_server, no_queue, capsys):
    slack_server.fail_next(1, error="channel_not_found", channel="#gone")
    app = make_app()

    with pytest.raises(handler.InvocationFailed):
        app.handle(cloudwatch_event(SG, USER), Context())
    assert posted(slack_server) == [("#security", "AuthorizeSecurityGroupIngress")]
    lines = log_lines(capsys)
    [queue_error] = [line for line in lines if line.get("problem") == "queue"]
    assert "no-such-queue" in queue_error["message"] and summary_of(lines)["lost"] == 1

    # Lambda's retry of the same event: what was posted is not posted again by this instance.
    app.handle(cloudwatch_event(SG, USER), Context())
    assert posted(slack_server) == [
        ("#security", "AuthorizeSecurityGroupIngress"),
        ("#gone", "CreateUser"),
    ]


def test_an_s3_object_that_cannot_be_fetched_fails_only_its_sqs_message(
    env, slack_server, aws_endpoint, bucket, capsys
):
    put_log_file(aws_endpoint, bucket, log_key("good"), SG)
    event = {
        "Records": [
            sqs_item("m-good", {"Records": [s3_item(bucket, log_key("good"))]}),
            sqs_item("m-missing", {"Records": [s3_item(bucket, log_key("missing"))]}),
        ]
    }

    result = make_app().handle(event, Context())

    assert result == {"batchItemFailures": [{"itemIdentifier": "m-missing"}]}
    assert posted(slack_server) == [("#security", "AuthorizeSecurityGroupIngress")]
    [problem] = [line for line in log_lines(capsys) if line.get("problem") == "skipped"]
    assert problem["key"] == log_key("missing") and problem["retryable"] is True
    assert problem["sqs_message_id"] == "m-missing" and problem["level"] == "ERROR"


def test_a_batch_whose_every_item_failed_raises(env, slack_server, bucket):
    """The same retry as listing every item, and no loss should the event source mapping
    lack ReportBatchItemFailures (which would take a returned list for success)."""
    event = {"Records": [sqs_item("m-missing", {"Records": [s3_item(bucket, log_key("gone"))]})]}

    with pytest.raises(handler.InvocationFailed):
        make_app().handle(event, Context())
    assert slack_server.requests == []


def test_a_direct_s3_notification_that_cannot_be_fetched_raises_after_the_rest(
    env, slack_server, aws_endpoint, bucket
):
    put_log_file(aws_endpoint, bucket, log_key("good"), SG)
    event = {"Records": [s3_item(bucket, log_key("missing")), s3_item(bucket, log_key("good"))]}

    with pytest.raises(handler.InvocationFailed):
        make_app().handle(event, Context())
    assert posted(slack_server) == [("#security", "AuthorizeSecurityGroupIngress")]


# ---------------------------------------------------------------- the token


def test_token_from_ssm_is_read_once_per_cold_start(env, slack_server, aws_endpoint, monkeypatch):
    ssm = boto_client("ssm", aws_endpoint)
    name = f"/cloudtrail-to-slack/{uuid.uuid4().hex[:8]}"
    ssm.put_parameter(Name=name, Value="xoxb-from-ssm-0001", Type="SecureString")
    monkeypatch.delenv("SLACK_TOKEN")
    monkeypatch.setenv("SLACK_TOKEN_PARAMETER", name)
    app = make_app()

    app.handle(cloudwatch_event(SG), Context())
    ssm.delete_parameter(Name=name)  # a second read would now fail
    app.handle(cloudwatch_event(STOP), Context())

    assert len(slack_server.messages) == 3
    assert {r["authorization"] for r in slack_server.requests} == {"Bearer xoxb-from-ssm-0001"}


def test_token_from_secrets_manager(env, slack_server, aws_endpoint, monkeypatch):
    secrets = boto_client("secretsmanager", aws_endpoint)
    name = f"slack-{uuid.uuid4().hex[:8]}"
    secrets.create_secret(Name=name, SecretString=json.dumps({"token": "xoxb-from-secret-02"}))
    monkeypatch.delenv("SLACK_TOKEN")
    monkeypatch.setenv("SLACK_TOKEN_SECRET", name)

    make_app().handle(cloudwatch_event(SG), Context())

    assert slack_server.requests[0]["authorization"] == "Bearer xoxb-from-secret-02"
    assert len(slack_server.messages) == 1


def test_a_refused_token_is_read_again_at_the_next_invocation(
    env, slack_server, aws_endpoint, monkeypatch, sqs, queue_url
):
    ssm = boto_client("ssm", aws_endpoint)
    name = f"/cloudtrail-to-slack/{uuid.uuid4().hex[:8]}"
    ssm.put_parameter(Name=name, Value="xoxb-old-token-0001", Type="SecureString")
    monkeypatch.delenv("SLACK_TOKEN")
    monkeypatch.setenv("SLACK_TOKEN_PARAMETER", name)
    app = make_app()
    slack_server.fail_next(1, error="invalid_auth")

    app.handle(cloudwatch_event(SG), Context())
    ssm.put_parameter(Name=name, Value="xoxb-new-token-0002", Type="SecureString", Overwrite=True)
    app.handle(cloudwatch_event(STOP), Context())

    assert [o.event_id for o in queued(sqs, queue_url)] == [event_id(SG)]
    assert [r["authorization"] for r in slack_server.requests] == [
        "Bearer xoxb-old-token-0001",
        "Bearer xoxb-new-token-0002",
        "Bearer xoxb-new-token-0002",
    ]


def test_no_token_anywhere_keeps_the_alerts_in_the_queue(
    env, slack_server, monkeypatch, sqs, queue_url, capsys
):
    monkeypatch.delenv("SLACK_TOKEN")

    make_app().handle(cloudwatch_event(SG), Context())

    assert slack_server.requests == []
    assert [o.event_id for o in queued(sqs, queue_url)] == [event_id(SG)]
    [problem] = [line for line in log_lines(capsys) if line.get("problem") == "token"]
    assert "SLACK_TOKEN_PARAMETER" in problem["message"]


def test_the_token_never_appears_in_any_output(env, slack_server, no_queue, capsys, caplog):
    caplog.set_level("DEBUG")  # slack_sdk and botocore included
    hostile = record(SG) | {"userAgent": f"curl {TOKEN}"}
    messages = [json.dumps(hostile), f"not json {TOKEN[-20:]}", json.dumps(record(USER))]
    slack_server.fail_next(1, error="channel_not_found", channel="#gone")
    slack_server.fail_next(1, status=429, retry_after=0.1, channel="#security")
    app = make_app()

    with pytest.raises(handler.InvocationFailed):
        app.handle({"awslogs": {"data": subscription_payload(*messages)}}, Context())
    with pytest.raises(QueueUnavailable):
        app.redrive(Context(seconds=1))

    captured = capsys.readouterr()
    outputs = {"stdout": captured.out, "stderr": captured.err, "logging": caplog.text}
    assert "skipped" in captured.out and caplog.records  # something was written
    for where, text in outputs.items():
        for i in range(len(TOKEN) - 8):
            assert TOKEN[i : i + 9] not in text, f"part of the token in {where}"


# ---------------------------------------------------------------- cold start


def test_a_broken_rule_file_fails_the_start_with_every_problem_logged(env, monkeypatch, capsys):
    monkeypatch.setenv("RULES_FILE", str(DATA / "handler" / "broken-rules.yaml"))

    with pytest.raises(RuleFileError):
        make_app()

    lines = log_lines(capsys)
    problems = [line for line in lines if line.get("problem") == "rule-file"]
    assert [(p["line"], p["column"]) for p in problems] == [(7, 44), (11, 5)]
    assert "missing '}'" in problems[0]["message"] and "chanel" in problems[1]["message"]
    assert problems[0]["message"].startswith(str(DATA / "handler" / "broken-rules.yaml") + ":7:44:")


def run_python(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if k not in ("_HANDLER", "RULES_FILE")}
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=environ | env,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


def test_lambda_init_fails_on_a_broken_rule_file():
    result = run_python(
        "import handler",
        _HANDLER="handler.lambda_handler",
        RULES_FILE=str(DATA / "handler" / "broken-rules.yaml"),
    )

    assert result.returncode != 0 and "RuleFileError" in result.stderr
    assert sum('"problem": "rule-file"' in line for line in result.stdout.splitlines()) == 2


def test_lambda_init_loads_the_rules_but_neither_slack_sdk_nor_boto3():
    code = (
        "import sys, handler\n"
        "assert handler._app is not None\n"
        "print(sorted(m for m in ('slack_sdk', 'boto3', 'botocore') if m in sys.modules))"
    )
    result = run_python(code, _HANDLER="handler.lambda_handler")

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_lambda_init_from_the_rules_cache_imports_only_what_matching_needs(tmp_path):
    # What keeps a cold start cheap (bench/run.py measures it): with the cache the package
    # ships, no YAML parser or schema validator; no Slack or AWS client before the first
    # alert; no JMESPath before the first when/unless; no dataclasses (it imports `inspect`,
    # and defining dataclasses execs generated code: see engine/struct.py); no pathlib.
    from engine.rules.cache import ENVIRONMENT, build_cache

    cache = tmp_path / "rules.cache.json"
    build_cache([ROOT / "rules.yaml"], cache)
    heavy = ("slack_sdk", "boto3", "yaml", "jsonschema", "jmespath", "dataclasses", "inspect")
    heavy += ("pathlib", "urllib.parse")  # os.path does; S3 notifications only need unquote
    code = (  # what importing the handler adds (the venv's site may load pathlib itself)
        "import sys; before = set(sys.modules)\n"
        "import handler\n"
        "assert handler._app is not None\n"
        f"print(sorted(m for m in {heavy!r} if m in set(sys.modules) - before))"
    )
    result = run_python(
        code,
        _HANDLER="handler.lambda_handler",
        RULES_FILE=str(ROOT / "rules.yaml"),
        **{ENVIRONMENT: str(cache)},
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_importing_handler_elsewhere_loads_nothing_yet():
    result = run_python("import handler; print(handler._app)")

    assert result.stdout.strip() == "None"


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("", "https://slack.com/api/"),
        ("http://127.0.0.1:9/api", "http://127.0.0.1:9/api/"),
        (" http://127.0.0.1:9/api/ ", "http://127.0.0.1:9/api/"),
    ],
)
def test_slack_api_url_is_normalised(given, expected):
    assert normalise_api_url(given) == expected


# ---------------------------------------------------------------- the redrive command


def test_redrive_command_posts_the_queue_once(env, slack_server, sqs, queue_url, capsys):
    from engine.cli import main

    slack_server.fail_next(1000, status=503)
    make_app(queue_reserve=0.5).handle(cloudwatch_event(SG), Context(seconds=1.5))
    slack_server.recover()
    capsys.readouterr()

    assert main(["redrive", "--queue-url", queue_url]) == 0
    assert main(["redrive"]) == 0  # FAILED_ALERTS_QUEUE_URL

    assert posted(slack_server) == [("#security", "AuthorizeSecurityGroupIngress")]
    assert capsys.readouterr().out.splitlines() == [
        "redrive: 1 posted, 0 still queued",
        "redrive: 0 posted, 0 still queued",
    ]


def test_redrive_command_without_a_queue_says_so(env, monkeypatch, capsys):
    from engine.cli import main

    monkeypatch.delenv("FAILED_ALERTS_QUEUE_URL")

    assert main(["redrive"]) == 2
    assert "FAILED_ALERTS_QUEUE_URL" in capsys.readouterr().err


def test_redrive_command_reports_what_stays_queued(env, slack_server, sqs, queue_url, capsys):
    from engine.cli import main

    slack_server.fail_next(2, error="channel_not_found", channel="#gone")
    make_app().handle(cloudwatch_event(USER), Context())
    capsys.readouterr()

    assert main(["redrive", "--time-limit", "5"]) == 1
    err = capsys.readouterr().err
    assert f"still queued: event {event_id(USER)} to #gone (user-change): channel_not_found" in err
