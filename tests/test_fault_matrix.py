"""The fault matrix: one test per fault, end to end through `handler.lambda_handler`, with the
real slack_sdk against the loopback Slack server and SQS/SSM in moto's server.

For each fault the test observes what Slack received, what the failure queue holds and how
the invocation ended, and asserts the one acceptable outcome: delivered, queued, or failed
loudly (the invocation fails so that Lambda retries it, with an ERROR line) — never silently
dropped, never posted twice. The observations are rendered into docs/reliability.md; the last
test fails when that file is stale (`scripts/reliability_report.py` rewrites it).
"""

from __future__ import annotations

import base64
import gzip
import json
import os
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import handler
from engine.delivery import Outbound, RetryPolicy
from tests.aws_emulator import boto_client
from tests.test_properties_messages import check_payload

ROOT = Path(__file__).parent.parent
RULES = Path(__file__).parent / "data" / "adversarial" / "fault-rules.yaml"
DOC = ROOT / "docs" / "reliability.md"
TOKEN = "xoxb-4815162342-fa17ed0c"
FAST = RetryPolicy(backoff=0.05, max_backoff=0.2, default_retry_after=0.1, min_request_time=0.1)
PERMANENT = [
    "channel_not_found",
    "not_in_channel",
    "is_archived",
    "msg_too_long",
    "invalid_blocks",
    "invalid_auth",
    "account_inactive",
    "not_authed",
]


def record(name: str = "DeleteUser", **fields: Any) -> dict[str, Any]:
    return {
        "eventVersion": "1.09",
        "eventTime": "2024-05-14T03:21:09Z",
        "eventSource": "iam.amazonaws.com",
        "eventName": name,
        "awsRegion": "us-east-1",
        "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::111122223333:user/alice"},
        "sourceIPAddress": "203.0.113.10",
        "requestParameters": {"userName": "bob"},
        "eventID": str(uuid.uuid4()),
        "recipientAccountId": "111122223333",
        **fields,
    }


def payload(*records: dict[str, Any]) -> str:
    document = {
        "messageType": "DATA_MESSAGE",
        "logGroup": "CloudTrail/faults",
        "logStream": "s",
        "logEvents": [
            {"id": f"{i:056d}", "timestamp": 0, "message": json.dumps(r)}
            for i, r in enumerate(records)
        ],
    }
    return base64.b64encode(gzip.compress(json.dumps(document).encode())).decode()


def cloudwatch(*records: dict[str, Any]) -> dict[str, Any]:
    return {"awslogs": {"data": payload(*records)}}


def kinesis(*items: dict[str, Any]) -> dict[str, Any]:
    """A Kinesis batch, one CloudTrail record per item, sequence numbers 49, 50, …"""
    return {
        "Records": [
            {
                "eventSource": "aws:kinesis",
                "kinesis": {"sequenceNumber": str(49 + i), "data": payload(item)},
            }
            for i, item in enumerate(items)
        ]
    }


class Context:
    aws_request_id = "fault-matrix"
    function_name = "cloudtrail-to-slack"

    def __init__(self, seconds: float = 30.0) -> None:
        self._deadline = time.monotonic() + seconds

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


@dataclass
class Observed:
    """What one fault did, as the reliability document shows it."""

    slack: str  # what Slack received
    queue: str  # what the failure queue holds afterwards
    invocation: str  # how the invocation ended
    outcome: str  # delivered, queued, or failed loudly


OBSERVED: dict[str, Observed] = {}


class Harness:
    def __init__(self, slack_server, sqs, queue_url: str, capsys) -> None:
        self.slack = slack_server
        self.sqs = sqs
        self.queue_url = queue_url
        self.capsys = capsys
        self.app: handler.App | None = None

    def start(self, **options: Any) -> handler.App:
        settings = {"min_interval": 0.0, "policy": FAST, "queue_reserve": 0.5} | options
        self.app = handler.create_app(os.environ, **settings)
        self.app.slack.timeout = 0.5  # seconds a Slack call may take (the timeout row)
        handler._app = self.app
        return self.app

    def invoke(self, event: dict[str, Any], seconds: float = 30.0) -> tuple[str, Any]:
        """("returned", result) or ("raised", exception), via the real entry point."""
        if self.app is None:
            self.start()
        try:
            return "returned", handler.lambda_handler(event, Context(seconds))
        except Exception as error:
            return "raised", error

    def queued(self) -> list[tuple[Outbound, str]]:
        messages = self.sqs.receive_message(
            QueueUrl=self.queue_url,
            MaxNumberOfMessages=10,
            VisibilityTimeout=0,
            MessageAttributeNames=["All"],
        ).get("Messages", [])
        return [
            (Outbound.from_json(m["Body"]), m["MessageAttributes"]["permanent"]["StringValue"])
            for m in messages
        ]

    def errors(self) -> list[dict[str, Any]]:
        lines = self.capsys.readouterr().out.splitlines()
        documents = [json.loads(line) for line in lines if line.startswith("{")]
        return [d for d in documents if d.get("level") == "ERROR"]

    def observe(self, case: str, ended: tuple[str, Any], alerts: int) -> Observed:
        """Record what happened to `alerts` alerts, after checking none was lost or doubled."""
        posted = [m for m in self.slack.messages if m["method"] == "chat.postMessage"]
        keys = [(m["channel"], m["text"]) for m in posted]
        assert len(keys) == len(set(keys)), "an alert was posted twice"
        for message in posted:
            check_payload(message)
        queued = self.queued()
        kind, value = ended
        if kind == "raised":
            invocation = f"fails ({type(value).__name__}): Lambda retries the event"
        elif isinstance(value, dict) and value.get("batchItemFailures"):
            ids = [item["itemIdentifier"] for item in value["batchItemFailures"]]
            invocation = f"reports batch item failure {', '.join(ids)}: Lambda retries it"
        else:
            invocation = "succeeds"
        if kind == "raised" or "retries" in invocation:
            outcome = "failed loudly"
        elif queued:
            outcome = "queued" if not posted else "delivered + queued"
        else:
            outcome = "delivered"
        # Not silently dropped: every alert is in Slack or the queue, or AWS delivers it again.
        assert len(posted) + len(queued) == alerts or outcome == "failed loudly", "dropped"
        attempts = len([r for r in self.slack.requests if r["method"] == "chat.postMessage"])
        slack = f"{len(posted)} posted in {attempts} request{'s' * (attempts != 1)}"
        permanence = sorted({flag for _, flag in queued})
        queue = f"{len(queued)} alert(s), permanent={'/'.join(permanence)}" if queued else "empty"
        seen = Observed(slack, queue, invocation, outcome)
        OBSERVED[case] = seen
        return seen


@pytest.fixture
def h(monkeypatch, aws_endpoint, slack_server, capsys):
    sqs = boto_client("sqs", aws_endpoint)
    queue_url = sqs.create_queue(QueueName=f"faults-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    for name in ("SLACK_TOKEN_PARAMETER", "SLACK_TOKEN_SECRET", "SLACK_CHANNEL", "_HANDLER"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("RULES_FILE", str(RULES))
    monkeypatch.setenv("SLACK_TOKEN", TOKEN)
    monkeypatch.setenv("SLACK_API_URL", slack_server.url)
    monkeypatch.setenv("FAILED_ALERTS_QUEUE_URL", queue_url)
    monkeypatch.setenv("AWS_ENDPOINT_URL", aws_endpoint)
    monkeypatch.setattr(handler, "_app", None)
    return Harness(slack_server, sqs, queue_url, capsys)


# ---------------------------------------------------------------- transient Slack faults


TRANSIENT = {
    "Slack 429 with Retry-After: 1": {"status": 429, "retry_after": 1},
    "Slack 429 without Retry-After": {"status": 429},
    "Slack HTTP 500": {"status": 500},
    "Slack HTTP 502": {"status": 502},
    "Slack HTTP 503": {"status": 503},
    "connection reset": {"reset": True},
    "timeout (no reply within the client's timeout)": {"delay": 1.0, "reset": True},
}


@pytest.mark.parametrize("case", list(TRANSIENT))
def test_transient_fault_once_is_retried_and_delivered(h, case: str) -> None:
    h.slack.fail_next(1, **TRANSIENT[case])
    started = time.monotonic()

    seen = h.observe(case, h.invoke(cloudwatch(record())), alerts=1)

    assert seen.outcome == "delivered" and seen.slack == "1 posted in 2 requests"
    if "Retry-After: 1" in case:
        assert time.monotonic() - started >= 1.0  # Slack's wait was honoured


def test_slack_failing_for_the_whole_invocation_queues_the_alert(h) -> None:
    case = "Slack HTTP 503 on every attempt"
    h.slack.fail_next(100, status=503)

    seen = h.observe(case, h.invoke(cloudwatch(record())), alerts=1)

    assert seen.outcome == "queued" and seen.queue == "1 alert(s), permanent=false"
    assert seen.slack == f"0 posted in {FAST.max_attempts} requests"


# ---------------------------------------------------------------- permanent Slack errors


@pytest.mark.parametrize("error", PERMANENT)
def test_permanent_error_is_not_retried_and_the_alert_is_queued(h, error: str) -> None:
    h.slack.fail_next(1, error=error)

    seen = h.observe(f"Slack ok:false {error}", h.invoke(cloudwatch(record())), alerts=1)

    assert seen.outcome == "queued" and seen.slack == "0 posted in 1 request"
    assert seen.queue == "1 alert(s), permanent=true"
    assert any(e.get("error") == error for e in h.errors())  # said loudly, in the log


def test_one_channel_refused_the_other_still_delivered(h) -> None:
    h.slack.fail_next(1, error="channel_not_found", channel="#audit")

    seen = h.observe(
        "one of two channels is channel_not_found", h.invoke(cloudwatch(record("StopLogging"))), 2
    )

    assert seen.outcome == "delivered + queued"
    assert h.slack.texts("#alerts") and not h.slack.texts("#audit")
    assert [outbound.channel for outbound, _ in h.queued()] == ["#audit"]


# ---------------------------------------------------------------- the function's own resources


def test_failure_queue_unavailable_fails_the_invocation_then_the_retry_posts_once(
    h, monkeypatch, aws_endpoint
) -> None:
    case = "failure queue unavailable while Slack is down"
    monkeypatch.setenv("FAILED_ALERTS_QUEUE_URL", f"{aws_endpoint}/123456789012/no-such-queue")
    h.start()
    event = cloudwatch(record(), record(eventName="DeleteUser"))
    h.slack.fail_next(100, status=503)

    seen = h.observe(case, h.invoke(event), alerts=2)

    assert seen.outcome == "failed loudly" and seen.slack.startswith("0 posted")
    assert any(e.get("problem") == "queue" for e in h.errors())
    # Lambda retries the event; Slack is back: each alert is posted, once.
    h.slack.recover()
    assert h.invoke(event)[0] == "returned"
    assert len(h.slack.texts("#alerts")) == 2
    assert h.invoke(event)[0] == "returned"  # a third delivery of the same event
    assert len(h.slack.texts("#alerts")) == 2


def test_failure_queue_unavailable_for_a_kinesis_batch_reports_the_item(
    h, monkeypatch, aws_endpoint
) -> None:
    monkeypatch.setenv("FAILED_ALERTS_QUEUE_URL", f"{aws_endpoint}/123456789012/no-such-queue")
    h.start()
    h.slack.fail_next(100, status=503)

    event = kinesis(record(), record("GetUser"))  # the second item alerts on nothing

    seen = h.observe("failure queue unavailable, Kinesis batch", h.invoke(event), alerts=1)

    assert seen.outcome == "failed loudly"
    assert seen.invocation == "reports batch item failure 49: Lambda retries it"


def test_ssm_parameter_missing_queues_every_alert(h, monkeypatch) -> None:
    monkeypatch.delenv("SLACK_TOKEN")
    monkeypatch.setenv("SLACK_TOKEN_PARAMETER", f"/cloudtrail-to-slack/missing-{uuid.uuid4()}")

    seen = h.observe("SSM token parameter missing", h.invoke(cloudwatch(record())), alerts=1)

    assert seen.outcome == "queued" and seen.slack == "0 posted in 0 requests"
    assert any(e.get("problem") == "token" for e in h.errors())


def test_a_rule_whose_jmespath_raises_is_logged_and_the_others_still_alert(h) -> None:
    odd = record(requestParameters={"userName": "bob", "tags": 12345})

    seen = h.observe("a rule's JMESPath raises on odd data", h.invoke(cloudwatch(odd)), 1)

    assert seen.outcome == "delivered"
    errors = h.errors()
    assert any(
        e.get("problem") == "rule-error" and e.get("rule_ids") == ["fragile"] for e in errors
    )


def test_almost_no_time_left_queues_and_the_redrive_posts_once(h) -> None:
    seen = h.observe("0.2 s left in the invocation", h.invoke(cloudwatch(record()), 0.2), 1)

    assert seen.outcome == "queued" and seen.slack == "0 posted in 0 requests"
    for _ in range(2):  # the redrive, twice: the alert reaches Slack exactly once
        handler.redrive_handler({}, Context(10))
    assert len(h.slack.texts("#alerts")) == 1
    assert h.queued() == []


# ---------------------------------------------------------------- the document


def render(observed: dict[str, Observed]) -> str:
    lines = [
        "# Reliability: what happens when things fail",
        "",
        "<!-- Generated by scripts/reliability_report.py from tests/test_fault_matrix.py;"
        " do not edit. -->",
        "",
        "Every row is one test in `tests/test_fault_matrix.py`, run end to end through",
        "`handler.lambda_handler` with the real slack_sdk against a loopback Slack server and",
        "SQS/SSM in moto. One CloudTrail record, one alert, unless the row says otherwise. Each",
        "test checks that no alert was dropped (every alert is posted, queued, or the invocation",
        "fails so that Lambda retries it) and none was posted twice.",
        "",
        "Outcomes: **delivered** (Slack has it), **queued** (kept in the failure queue for the",
        "redrive, with an ERROR log line), **failed loudly** (the invocation fails, or reports the",
        "batch item, so that AWS delivers the event again; an ERROR log line says why).",
        "",
        "| Fault | Slack received | Failure queue | Invocation | Outcome |",
        "|---|---|---|---|---|",
    ]
    for case, seen in observed.items():
        lines.append(
            f"| {case} | {seen.slack} | {seen.queue} | {seen.invocation} | **{seen.outcome}** |"
        )
    lines += [
        "",
        "Related: with every alert either posted or queued the invocation succeeds, so Lambda's",
        "own retry never re-posts what Slack already has; alerts posted or queued are remembered",
        "by the warm instance (a re-delivered event posts nothing new), and the redrive deletes",
        "each queued alert once Slack has accepted it.",
        "",
    ]
    return "\n".join(lines)


def expected_cases() -> list[str]:
    return [
        *TRANSIENT,
        "Slack HTTP 503 on every attempt",
        *(f"Slack ok:false {error}" for error in PERMANENT),
        "one of two channels is channel_not_found",
        "failure queue unavailable while Slack is down",
        "failure queue unavailable, Kinesis batch",
        "SSM token parameter missing",
        "a rule's JMESPath raises on odd data",
        "0.2 s left in the invocation",
    ]


def test_reliability_document_is_current() -> None:
    """Runs last in this file: compares docs/reliability.md with what the tests observed."""
    cases = expected_cases()
    if set(OBSERVED) != set(cases):
        pytest.skip("only part of the fault matrix ran")
    text = render({case: OBSERVED[case] for case in cases})
    if os.environ.get("RELIABILITY_REPORT_WRITE") == "1":
        DOC.write_text(text, encoding="utf-8")
    assert DOC.read_text(encoding="utf-8") == text, (
        "docs/reliability.md is stale: run .venv/bin/python scripts/reliability_report.py"
    )
