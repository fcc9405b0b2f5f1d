"""engine.observability: JSON lines, the EMF summary, and redaction of the token."""

from __future__ import annotations

import io
import json
import logging

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.model import Origin
from engine.observability import (
    MASK,
    MAX_PROBLEM_LINES,
    NAMESPACE,
    SUMMARY_COUNTS,
    Log,
    Redactor,
    protect_logging,
)
from engine.pipeline import Problem

TOKEN = "xoxb-5820348867-7730412598203-AbCdEfGhIjKlMnOpQrStUvWx"


def lines(stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_a_problem_line_names_its_place_event_and_rules():
    out = io.StringIO()
    run = Log(stream=out).invocation("req-1", "fn")
    origin = Origin("cloudwatch-logs", log_group="CloudTrail/logs", log_event_id="369")

    run.problem(Problem("rule-error", "when could not be evaluated: x", origin, "ev-1", ("r1",)))

    [line] = lines(out)
    assert line == {
        "level": "ERROR",
        "message": "rule-error: CloudTrail/logs log event 369: when could not be evaluated: x",
        "request_id": "req-1",
        "problem": "rule-error",
        "event_id": "ev-1",
        "rule_ids": ["r1"],
        "log_group": "CloudTrail/logs",
        "log_event_id": "369",
        "source": "cloudwatch-logs",
    }


def test_the_summary_line_is_an_emf_document_of_the_same_counts():
    out = io.StringIO()
    run = Log(stream=out).invocation("req-1", "alerts-fn")

    run.summary("invocation summary", {"records": 5, "posted": 2, "queued": 1}, SUMMARY_COUNTS)

    [line] = lines(out)
    assert line["records"] == 5 and line["posted"] == 2 and line["skipped"] == 0
    assert line["function_name"] == "alerts-fn" and line["request_id"] == "req-1"
    [directive] = line["_aws"]["CloudWatchMetrics"]
    assert directive["Namespace"] == NAMESPACE
    assert directive["Dimensions"] == [["function_name"]]
    assert [m["Name"] for m in directive["Metrics"]] == list(SUMMARY_COUNTS)
    assert all(isinstance(line[m["Name"]], int) for m in directive["Metrics"])
    assert isinstance(line["_aws"]["Timestamp"], int)


def test_problem_lines_are_capped_per_kind_and_the_rest_counted():
    out = io.StringIO()
    run = Log(stream=out).invocation("req-1", None)
    for i in range(MAX_PROBLEM_LINES + 7):
        run.problem(Problem("skipped", "not JSON", Origin("kinesis", kinesis_sequence=str(i))))

    run.summary("invocation summary", {}, SUMMARY_COUNTS)

    written = lines(out)
    assert len([w for w in written if w.get("problem") == "skipped"]) == MAX_PROBLEM_LINES + 1
    assert written[-2]["message"] == "7 more 'skipped' problems were not logged"
    assert written[-1]["_aws"]["CloudWatchMetrics"][0]["Dimensions"] == [[]]


def test_the_token_is_masked_in_every_line():
    out = io.StringIO()
    redactor = Redactor()
    redactor.add(TOKEN)

    Log(redactor, out).line("ERROR", f"bad {TOKEN}", detail={"tail": TOKEN[-12:]})

    text = out.getvalue()
    assert TOKEN[-12:] not in text and "xoxb-582" not in text
    assert lines(out)[0]["message"] == f"bad {MASK}"


@given(st.integers(0, len(TOKEN) - 8), st.integers(8, len(TOKEN)), st.text(max_size=20))
def test_any_stretch_of_eight_or_more_characters_of_the_token_is_masked(start, length, around):
    redactor = Redactor()
    redactor.add(TOKEN)
    part = TOKEN[start : start + length]

    masked = redactor(f"{around}{part}{around}")

    for i in range(len(TOKEN) - 7):
        assert TOKEN[i : i + 8] not in masked


def test_text_without_the_token_is_left_alone():
    redactor = Redactor()
    redactor.add(TOKEN)

    assert redactor("account 123456789012, channel #security") == (
        "account 123456789012, channel #security"
    )
    assert Redactor()("anything") == "anything"


def test_logging_handlers_mask_the_token(caplog):
    redactor = Redactor()
    redactor.add(TOKEN)
    caplog.set_level(logging.INFO)
    protect_logging(redactor)

    logging.getLogger("some.library").info("sending with %s", TOKEN)
    try:
        raise ValueError(f"refused {TOKEN}")
    except ValueError:
        logging.getLogger("some.library").exception("failed")

    assert TOKEN not in caplog.text and TOKEN[-16:] not in caplog.text
    assert "sending with [redacted]" in caplog.text


@pytest.mark.parametrize("secret", ["short", "exactly8"])
def test_short_secrets_are_masked_whole(secret):
    redactor = Redactor()
    redactor.add(secret)

    assert redactor(f"a {secret} b") == f"a {MASK} b"
