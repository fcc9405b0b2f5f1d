"""engine.pipeline: records in, Outbounds and problems out, with counts; no AWS, no Slack."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.delivery import Outbound
from engine.model import Origin, SourceProblem, SourceRecord
from engine.pipeline import NO_CHANNEL, RULE_ERROR, SKIPPED, Counts, Problem, process
from engine.rules import load_rules

DATA = Path(__file__).parent / "data"


def source(name: str, log_event_id: str = "1") -> SourceRecord:
    record = json.loads((DATA / "records" / f"{name}.json").read_text())
    return SourceRecord(record, Origin("cloudwatch-logs", log_group="g", log_event_id=log_event_id))


@pytest.fixture(scope="module")
def ruleset():
    return load_rules([DATA / "handler" / "rules.yaml"])


def test_one_outbound_per_record_and_channel_with_its_rules_and_origin(ruleset):
    counts = Counts()
    items = [
        source("cloudtrail-stop-logging-iam-user", "7"),
        source("sts-assume-role-aws-service"),
        source("iam-get-user-iam-user"),  # ignored
    ]

    out = list(process(items, ruleset, fallback_channel=None, counts=counts))

    assert all(isinstance(o, Outbound) for o in out)
    assert [(o.channel, o.rule_ids, o.severity) for o in out] == [
        ("#security", ("stop-logging",), "critical"),
        ("#audit", ("stop-logging",), "critical"),
    ]
    assert out[0].event_id == "a94df273-40ec-4e59-af36-309064c915c8"
    assert out[0].origin == {"source": "cloudwatch-logs", "log_group": "g", "log_event_id": "7"}
    assert "StopLogging" in out[0].text and out[0].blocks
    assert counts == Counts(records=3, matched=1, alerts=2)


def test_source_problems_pass_through_as_problems(ruleset):
    origin = Origin("s3", bucket="b", key="k", sqs_message_id="m")
    items = [SourceProblem(origin, "cannot fetch the object: 404", retryable=True)]
    counts = Counts()

    [problem] = process(items, ruleset, fallback_channel=None, counts=counts)

    assert problem == Problem(SKIPPED, "cannot fetch the object: 404", origin, retryable=True)
    assert counts.skipped == 1 and counts.records == 0


def test_an_alert_without_a_channel_is_a_problem_followed_by_its_outbound():
    ruleset = load_rules([DATA / "handler" / "unrouted.yaml"])

    problem, outbound = process(
        [source("cloudtrail-stop-logging-iam-user")], ruleset, fallback_channel=None
    )

    assert (problem.kind, problem.rule_ids) == (NO_CHANNEL, ("stop-logging",))
    assert outbound.channel == "" and outbound.rule_ids == ("stop-logging",)


def test_the_fallback_channel_routes_what_nothing_else_does():
    ruleset = load_rules([DATA / "handler" / "unrouted.yaml"])

    [outbound] = process(
        [source("cloudtrail-stop-logging-iam-user")], ruleset, fallback_channel="#fallback"
    )

    assert outbound.channel == "#fallback"


def test_a_condition_that_raises_is_reported_with_the_rule_and_the_record(tmp_path):
    rules = tmp_path / "rules.yaml"
    rules.write_text(
        "version: 1\n"
        "defaults: {channel: '#security'}\n"
        "rules:\n"
        "  - id: odd\n"
        "    title: Odd\n"
        "    filter: '{ $.eventName = \"StopLogging\" }'\n"
        '    when: "length(requestParameters.missing) > `0`"\n'
    )
    counts = Counts()

    out = list(
        process(
            [source("cloudtrail-stop-logging-iam-user")],
            load_rules([rules]),
            fallback_channel=None,
            counts=counts,
        )
    )

    assert [(p.kind, p.rule_ids) for p in out if isinstance(p, Problem)] == [(RULE_ERROR, ("odd",))]
    assert out[0].event_id == "a94df273-40ec-4e59-af36-309064c915c8"
    assert counts.rule_errors == 1


def test_a_record_without_an_event_id_gets_a_content_key(ruleset):
    item = source("cloudtrail-stop-logging-iam-user")
    del item.record["eventID"]

    outbounds = list(process([item], ruleset, fallback_channel=None))

    assert all(o.event_id is None and o.key.startswith("sha256:") for o in outbounds)


def test_records_are_processed_one_at_a_time(ruleset):
    """A stream in, a stream out: the first alert comes before the input is exhausted."""
    read: list[int] = []

    def items():
        for i in range(3):
            read.append(i)
            yield source("cloudtrail-stop-logging-iam-user", str(i))

    stream = process(items(), ruleset, fallback_channel=None)
    next(stream)

    assert read == [0]
