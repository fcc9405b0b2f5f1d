"""Hostile and broken CloudTrail records, end to end through `handler.lambda_handler`.

Records come in CloudWatch Logs subscription events, to the loopback Slack server, with the
rules in tests/data/adversarial/rules.yaml (every record matches one rule per format, each
format posting to its own channel). For every batch:

* the handler returns (a record-level problem never raises);
* every valid record alerts in every format: the `everything` format shows each record's
  `adversarialCase` marker, so that channel must hold exactly one message per record;
* every message Slack received is a valid payload within Slack's limits, and nothing in it
  pings or links where the event wanted (`check_payload`: the only `<…>` tokens are our own
  date and console-link tokens and the one mention the rules configure);
* nothing was queued or lost.

The bulky records (200 KB strings, nesting 400 deep) are made here, not committed. The last
section shows a rule's JMESPath cannot hang on big or deep records (issue 7, item 5; the
`%regex%` side is in tests/test_filterpattern.py).
"""

from __future__ import annotations

import base64
import copy
import gzip
import json
import os
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

import handler
from engine.delivery import RetryPolicy
from engine.rules import load_rules
from tests.aws_emulator import boto_client
from tests.test_properties_messages import check_payload

DATA = Path(__file__).parent / "data"
ADVERSARIAL = DATA / "adversarial"
CORPUS = json.loads((ADVERSARIAL / "identities.json").read_text())
IDENTITIES: dict[str, dict[str, Any]] = CORPUS["identities"]
HOSTILE: list[str] = CORPUS["hostile"]
INSIGHT = json.loads((DATA / "records" / "cloudtrail-insight-api-call-rate.json").read_text())
CHANNELS = ("#standard", "#compact", "#detailed", "#seed", "#everything")
MENTIONS = ("<!subteam^SADVERSE1>",)
FAST = RetryPolicy(backoff=0.05, max_backoff=0.2, default_retry_after=0.1, min_request_time=0.1)

BASE: dict[str, Any] = {
    "eventVersion": "1.09",
    "userIdentity": IDENTITIES["AssumedRole"],
    "eventTime": "2024-05-14T03:21:09Z",
    "eventSource": "iam.amazonaws.com",
    "eventName": "DeleteUser",
    "awsRegion": "us-east-1",
    "sourceIPAddress": "203.0.113.10",
    "userAgent": "aws-cli/2.15.30",
    "errorCode": "AccessDenied",
    "errorMessage": "User is not authorized",
    "requestParameters": {"userName": "bob"},
    "responseElements": None,
    "additionalEventData": {"MFAUsed": "No"},
    "resources": [{"ARN": "arn:aws:iam::111122223333:user/bob", "type": "AWS::IAM::User"}],
    "requestID": "5f1a2b3c-4d5e-4f60-8a7b-9c0d1e2f3a4b",
    "eventID": "to be replaced",
    "readOnly": False,
    "eventType": "AwsApiCall",
    "managementEvent": True,
    "recipientAccountId": "111122223333",
    "eventCategory": "Management",
}
# Every field a format shows, as paths into the record.
SHOWN: list[tuple[str, ...]] = [
    ("eventName",), ("eventSource",), ("eventType",), ("eventTime",), ("eventID",),
    ("awsRegion",), ("sourceIPAddress",), ("userAgent",), ("errorCode",), ("errorMessage",),
    ("recipientAccountId",), ("requestParameters", "userName"), ("responseElements", "x"),
    ("additionalEventData", "x"), ("resources",), ("userIdentity", "arn"),
    ("userIdentity", "userName"), ("userIdentity", "invokedBy"), ("userIdentity", "principalId"),
    ("userIdentity", "type"), ("userIdentity", "accountId"),
    ("userIdentity", "sessionContext", "sessionIssuer", "userName"),
    ("userIdentity", "sessionContext", "attributes", "mfaAuthenticated"),
]  # fmt: skip
# The actor is the first of these present ("who did it"); each is shown only once those
# before it are gone, so hostile values are tried at every step of the chain.
ACTOR_CHAIN = [
    ("userIdentity", "arn"),
    ("userIdentity", "sessionContext"),
    ("userIdentity", "userName"),
    ("userIdentity", "invokedBy"),
    ("userIdentity", "principalId"),
]
WRONG = [None, 0, -1.5, True, "", [], {}, ["a", {"b": None}], {"a": [1, {"b": "c"}]}]


# ---------------------------------------------------------------- building records and events


def make(case: str, **fields: Any) -> dict[str, Any]:
    record = copy.deepcopy(BASE)
    record.update(fields)
    record["adversarialCase"] = case = "".join(case.split())  # the first word of the text
    if "eventID" not in fields:
        record["eventID"] = str(uuid.uuid5(uuid.NAMESPACE_URL, case))
    return record


def put(record: dict[str, Any], path: tuple[str, ...], value: Any) -> dict[str, Any]:
    node = record
    for key in path[:-1]:
        if not isinstance(node.get(key), dict):
            node[key] = {}
        node = node[key]
    node[path[-1]] = value
    return record


def drop(record: dict[str, Any], path: tuple[str, ...]) -> dict[str, Any]:
    node = record
    for key in path[:-1]:
        node = node.get(key) if isinstance(node, dict) else None
    if isinstance(node, dict):
        node.pop(path[-1], None)
    return record


def cloudwatch_event(messages: list[str]) -> dict[str, Any]:
    payload = {
        "messageType": "DATA_MESSAGE",
        "owner": "111122223333",
        "logGroup": "CloudTrail/adversarial",
        "logStream": "111122223333_CloudTrail_us-east-1",
        "subscriptionFilters": ["cloudtrail-to-slack"],
        "logEvents": [
            {"id": f"{i:056d}", "timestamp": 1715656869000, "message": message}
            for i, message in enumerate(messages)
        ],
    }
    data = gzip.compress(json.dumps(payload).encode())
    return {"awslogs": {"data": base64.b64encode(data).decode()}}


class Context:
    aws_request_id = "adversarial"
    function_name = "cloudtrail-to-slack"

    def __init__(self, seconds: float = 120.0) -> None:
        self._deadline = time.monotonic() + seconds

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


# ---------------------------------------------------------------- running the handler


@pytest.fixture
def run(monkeypatch, aws_endpoint, slack_server):
    """Send records (dicts, or raw log-event messages) through handler.lambda_handler."""
    sqs = boto_client("sqs", aws_endpoint)
    queue_url = sqs.create_queue(QueueName=f"adversarial-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    for name in ("SLACK_TOKEN_PARAMETER", "SLACK_TOKEN_SECRET", "SLACK_CHANNEL", "_HANDLER"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("RULES_FILE", str(ADVERSARIAL / "rules.yaml"))
    monkeypatch.setenv("SLACK_TOKEN", "xoxb-5550123-9f8e7d6c5b4a")
    monkeypatch.setenv("SLACK_API_URL", slack_server.url)
    monkeypatch.setenv("FAILED_ALERTS_QUEUE_URL", queue_url)
    monkeypatch.setenv("AWS_ENDPOINT_URL", aws_endpoint)
    app = handler.create_app(os.environ, min_interval=0.0, policy=FAST, queue_reserve=0.5)
    monkeypatch.setattr(handler, "_app", app)

    def send(items: list[dict[str, Any] | str]) -> dict[str, Any]:
        messages = [item if isinstance(item, str) else json.dumps(item) for item in items]
        result = handler.lambda_handler(cloudwatch_event(messages), Context())
        left = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10)
        assert "Messages" not in left, "an alert was queued instead of posted"
        return result

    return send


def assert_every_record_alerted(slack_server, records: list[dict[str, Any]]) -> None:
    """Exactly one message per record in the `everything` channel, one per record (up to
    records merged for lacking an eventID) in every other, and every one harmless."""
    cases = sorted(record["adversarialCase"] for record in records)
    texts = slack_server.texts("#everything")
    shown = sorted(text.split(" ", 1)[0] for text in texts)
    assert shown == cases
    with_ids = len({r["eventID"] for r in records if isinstance(r.get("eventID"), str)})
    for channel in CHANNELS:
        assert with_ids <= len(slack_server.texts(channel)) <= len(records), channel
    assert {m["channel"] for m in slack_server.messages} == set(CHANNELS)
    for message in slack_server.messages:
        check_payload(message, MENTIONS if message["channel"] == "#detailed" else ())


# ---------------------------------------------------------------- the corpus


def test_every_identity_type_and_none_and_insight_records_alert(run, slack_server) -> None:
    records = [
        make(f"identity-{name}", userIdentity=identity) for name, identity in IDENTITIES.items()
    ]
    records.append(drop(make("identity-absent"), ("userIdentity",)))
    records.append({**INSIGHT, "adversarialCase": "insight"})
    insight_console = {**INSIGHT, "eventID": str(uuid.uuid4()), "adversarialCase": "insight-2"}
    insight_console["insightDetails"] = {**INSIGHT["insightDetails"], "state": "End"}
    records.append(insight_console)

    result = run(records)

    assert_every_record_alerted(slack_server, records)
    assert result["records"] == len(records) and result["lost"] == 0


@pytest.mark.parametrize("value", [*WRONG, "missing"], ids=repr)
def test_every_field_with_the_wrong_type_or_missing(run, slack_server, value: Any) -> None:
    records = []
    for path in [*SHOWN, ("userIdentity",), ("requestParameters",), ("eventVersion",)]:
        case = f"{'.'.join(path)}={value!r}"
        record = make(case)
        records.append(drop(record, path) if value == "missing" else put(record, path, value))
    valid_line = make("a-valid-record-in-the-same-batch")
    unreadable = ['{"eventName": "DeleteUser", oops', "[1, 2]", '"text"', "null", ""]

    result = run([*records, valid_line, *unreadable])

    assert_every_record_alerted(slack_server, [*records, valid_line])
    assert result["skipped"] == len(unreadable) and result["lost"] == 0


@pytest.mark.parametrize("hostile", HOSTILE, ids=lambda h: repr(h)[:30])
def test_hostile_text_in_every_field_a_format_shows(run, slack_server, hostile: str) -> None:
    records = []
    for step, _ in enumerate(ACTOR_CHAIN):
        record = make(f"hostile-{step}", userIdentity=dict(IDENTITIES["AssumedRole"]))
        for path in SHOWN:
            put(record, path, hostile)
        for gone in ACTOR_CHAIN[:step]:  # reveal the next source of "who did it"
            drop(record, gone)
        record["eventID"] = f"{hostile}-{step}"
        record["requestParameters"] = {hostile: hostile, "policy": {hostile: [hostile]}}
        records.append(record)
    # A hostile value as the *key* of every field the record has, too.
    keys = make("hostile-keys")
    keys.update({hostile: hostile, f"{hostile}2": {hostile: hostile}})
    records.append(keys)

    run(records)

    assert_every_record_alerted(slack_server, records)


def test_200_kb_strings_and_nesting_400_deep(run, slack_server) -> None:
    big = ("<!channel> " + "A" * 1000 + "&<>") * 200  # ~200 KB
    nested: Any = "<!here> at the bottom"
    for i in range(400):
        nested = {f"level{i}": nested} if i % 2 else [nested]
    records = [make(f"big-{'.'.join(path)}") for path in SHOWN]
    for record, path in zip(records, SHOWN, strict=True):
        put(record, path, big)
    records.append(make("deep-request", requestParameters={"deep": nested}))
    records.append(make("deep-identity", userIdentity={"type": "AssumedRole", "arn": nested}))
    records.append(make("deep-everywhere", responseElements=nested, additionalEventData=nested))

    run(records)

    assert_every_record_alerted(slack_server, records)
    assert all(len(json.dumps(m)) < 100_000 for m in slack_server.messages)


# ---------------------------------------------------------------- JMESPath cannot hang


JMESPATH_RULES = """\
version: 1
defaults: {channel: "#x"}
rules:
  - id: search-everything
    title: Searches every value
    when: "length(requestParameters.*[] | [?contains(@, 'zzz')]) > `0`"
  - id: deep-flatten
    title: Flattens and sorts
    when: "length(sort(map(&to_string(@), requestParameters.items[]))) > `0`"
  - id: recursive-ish
    title: Projects through every level
    when: "requestParameters.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a != null"
    unless: "contains(to_string(@), 'never-there')"
"""


def test_jmespath_on_100_kb_and_deeply_nested_records_finishes(tmp_path: Path) -> None:
    # JMESPath has no regex and no recursion operator; its cost is bounded by the size of the
    # record (to_string of the whole record is the worst: linear). Show it on the worst case.
    path = tmp_path / "rules.yaml"
    path.write_text(JMESPATH_RULES)
    ruleset = load_rules([path])
    deep: Any = "x"
    for _ in range(400):
        deep = {"a": deep}
    records = [
        {"requestParameters": {f"k{i}": "y" * 100 for i in range(1000)}},  # 100 KB, 1000 keys
        {"requestParameters": {"items": [str(i) * 10 for i in range(10_000)]}},  # 100 KB list
        {"requestParameters": deep},
        {"requestParameters": {"items": [deep] * 10, "k": "z" * 100_000}},
    ]
    started = time.monotonic()
    for record in records:
        errors: list[Any] = []
        ruleset.match(record, errors)
    assert time.monotonic() - started < 2.0


def test_a_rule_with_a_pathological_regex_on_a_100_kb_field_finishes(tmp_path: Path) -> None:
    # The filter-pattern tests time the regex engine alone; this is the same through a loaded
    # rule file, the rule index and RuleSet.match, as the Lambda runs it.
    path = tmp_path / "rules.yaml"
    path.write_text(
        "version: 1\ndefaults: {channel: '#x'}\nrules:\n"
        "  - {id: r, title: R, filter: '{ $.userAgent = %a*a*a*a*b% || $.eventName = %.*.*x% }'}\n"
    )
    ruleset = load_rules([path])
    record = {"userAgent": "a" * 100_000, "eventName": "y" * 100_000}
    started = time.monotonic()
    assert ruleset.match(record, []) == []
    assert time.monotonic() - started < 2.0
