"""Fuzz targets: functions of one input (bytes) that raise only when they find a bug.

Each target feeds the input to one entry point and lets through only the errors that entry
point promises for bad input (FilterPatternError, RuleFileError, SourceError, or problems in
the stream); anything else, or a broken invariant (an AssertionError), is a crash. They are
plain functions so that pytest can replay any input (tests/test_fuzz_smoke.py), and
fuzz/run.py drives them with atheris.
"""

from __future__ import annotations

import base64
import gzip
import io
import json
import os
import re
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from engine.filterpattern import (
    And,
    Comparison,
    FilterPatternError,
    Or,
    RegexValue,
    minify,
    parse,
)
from engine.messages import render, route
from engine.model import SourceProblem, SourceRecord
from engine.pipeline import process
from engine.rules import RuleFileError, RuleSet, load_rules
from engine.sources import SourceError, decode_cloudwatch_payload, iter_event
from engine.sources.files import iter_content

ROOT = Path(__file__).resolve().parent.parent

# Records of every shape a selector can meet, for evaluating whatever pattern parses.
RECORDS: list[Any] = [
    {},
    {"eventName": "DeleteTrail", "a": 1, "b": "x y", "c": None, "d": True, "e": [1, "a", {}]},
    {"a": {"b": [{"c": "1"}, None, 2.5]}, "eventName": ["x"], "x-y_1": "*", "é": "é"},
    {"a": "a" * 500 + "b", "b": -1e300, "c": 10**30, "d": False, "": ""},
    [],
    "text",
    None,
]


def filterpattern(data: bytes) -> None:
    """parse; and when it parses: canonical and minified texts give the same tree and verdicts."""
    if data[:1] == b"\x00":  # UTF-16, where lone surrogates can be written
        text = data[1 : len(data) - (len(data) - 1) % 2].decode("utf-16-le", "surrogatepass")
    else:
        text = data.decode("utf-8", "replace")
    try:
        pattern = parse(text)
    except FilterPatternError as error:
        assert 0 <= error.position <= len(text), (error.position, len(text))
        str(error)
        return
    verdicts = [pattern.matches(record) for record in RECORDS]
    assert all(type(v) is bool for v in verdicts)
    if pattern.node is None:
        return
    small = parse(minify(text))
    assert small.node == pattern.node, (text, small.text)
    assert [small.matches(record) for record in RECORDS] == verdicts
    # The canonical text writes a space in a regex as `\s` (reference/filter-patterns.md), which
    # also matches tabs and newlines, and as `\x20` inside a class: the same tree up to that,
    # and never fewer matches.
    canonical = parse(pattern.canonical())
    assert canonical.node == _canonical_regexes(pattern.node), (text, canonical.text)
    for record, verdict in zip(RECORDS, verdicts, strict=True):
        assert canonical.matches(record) or not verdict, (text, record)


def _canonical_regexes(node: Any) -> Any:
    if isinstance(node, And | Or):
        return type(node)(tuple(_canonical_regexes(term) for term in node.terms))
    if isinstance(node, Comparison) and isinstance(node.value, RegexValue):
        # Escapes, classes (which may hold escapes) and the rest, as the regex parser reads them.
        parts = re.split(r"(\\.|\[(?:\\.|[^\]\\])*\])", node.value.source)
        source = "".join(
            part if part.startswith("\\")
            else part.replace(" ", "\\x20") if part.startswith("[")
            else part.replace(" ", "\\s")
            for part in parts
        )  # fmt: skip
        return node.replace(value=RegexValue(source))
    return node


class _RuleFile:
    """One temporary rule file per process, rewritten for each input (load_rules reads paths)."""

    def __init__(self) -> None:
        self.directory = tempfile.mkdtemp(prefix="fuzz-rules-")
        self.path = os.path.join(self.directory, "rules.yaml")

    def load(self, data: bytes) -> RuleSet:
        with open(self.path, "wb") as file:
            file.write(data)
        return load_rules([self.path])


_rule_file: _RuleFile | None = None


def rules(data: bytes) -> None:
    """load_rules on any bytes; a file that loads must match and render ordinary records."""
    global _rule_file
    _rule_file = _rule_file or _RuleFile()
    try:
        ruleset = _rule_file.load(data)
    except RuleFileError as error:
        assert error.problems
        for problem in error.problems:
            assert len(str(problem).splitlines()) == 1, str(problem)
        return
    for record in RECORDS[:4]:
        errors: list[Any] = []
        for alert in route(record, ruleset.match(record, errors), ruleset, fallback_channel="#f"):
            render(alert, ruleset)


class _FakeS3:
    """An S3 client whose every object holds the fuzz input."""

    def __init__(self, body: bytes) -> None:
        self.body = body

    def get_object(self, **_: Any) -> dict[str, Any]:
        return {"Body": io.BytesIO(self.body)}


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def _events(payload: bytes, mode: int) -> list[Any]:
    """The input, wrapped in the envelope `mode` picks: every way bytes reach the decoder."""
    text = payload.decode("utf-8", "replace")
    zipped = gzip.compress(payload, mtime=0)
    s3_item = {
        "eventSource": "aws:s3",
        "eventName": "ObjectCreated:Put",
        "s3": {
            "bucket": {"name": "b"},
            "object": {"key": "AWSLogs/1/CloudTrail/us-east-1/2024/01/01/x.json.gz"},
        },
    }
    if mode == 0:
        try:
            return [json.loads(payload)]  # the input is itself the event
        except (ValueError, RecursionError):
            return []
    if mode == 1:
        return [{"awslogs": {"data": _b64(zipped)}}]
    if mode == 2:
        return [{"awslogs": {"data": _b64(zipped[: len(zipped) // 2])}}]  # truncated gzip
    if mode == 3:
        return [{"awslogs": {"data": text}}, {"awslogs": {"data": _b64(payload)}}]  # not base64
    if mode == 4:
        kinesis = {"sequenceNumber": "1", "data": _b64(zipped)}
        return [{"Records": [{"eventSource": "aws:kinesis", "kinesis": kinesis}]}]
    if mode == 5:
        sqs = {"eventSource": "aws:sqs", "messageId": "m", "body": text}
        sns = {"EventSource": "aws:sns", "Sns": {"Type": "Notification", "Message": text}}
        return [{"Records": [sqs]}, {"Records": [sns]}]
    if mode == 6:
        return [{"Records": [s3_item]}]  # the S3 object holds the input (see _FakeS3)
    detail = {"detail-type": "AWS API Call via CloudTrail", "source": "aws.cloudtrail"}
    return [{**detail, "detail": text}, {"Records": [s3_item]}]


def sources(data: bytes) -> None:
    """Every decoder on any bytes: a record or a problem per item, SourceError at most."""
    if not data:
        return
    mode, payload = data[0] % 8, data[1:]
    s3 = _FakeS3(gzip.compress(payload, mtime=0) if data[0] & 0x80 else payload)
    for event in _events(payload, mode):
        for item in iter_event(event, s3_client=s3):
            assert isinstance(item, SourceRecord | SourceProblem), item
            if isinstance(item, SourceRecord):
                assert type(item.record) is dict
            else:
                assert str(item) and not item.retryable
    for item in iter_content(payload, "fuzz"):
        assert isinstance(item, SourceRecord | SourceProblem), item
    for candidate in (payload, payload.decode("latin-1")):
        try:
            decode_cloudwatch_payload(candidate)
        except SourceError as error:
            assert "\n" not in str(error)


_catch_all: RuleSet | None = None


def _catch_all_rules() -> RuleSet:
    """A rule per format that matches every record, so that every record is rendered."""
    global _catch_all
    if _catch_all is None:
        _catch_all = load_rules([ROOT / "fuzz" / "catch-all.yaml"], with_tests=False)
    return _catch_all


def records(data: bytes) -> None:
    """Any JSON document as a CloudTrail record through match → route → render."""
    try:
        document = json.loads(data)
    except (ValueError, RecursionError):
        return
    event = {"awslogs": {"data": _b64(gzip.compress(json.dumps(
        {"messageType": "DATA_MESSAGE", "logGroup": "g", "logEvents": [
            {"id": "1", "timestamp": 0, "message": json.dumps(document)}
        ]}
    ).encode(), mtime=0))}}  # fmt: skip
    for item in process(iter_event(event), _catch_all_rules(), fallback_channel="#f"):
        text = getattr(item, "text", None)
        if text is not None:
            assert text.strip() and len(text) <= 4000


TARGETS: dict[str, Callable[[bytes], None]] = {
    "filterpattern": filterpattern,
    "rules": rules,
    "sources": sources,
    "records": records,
}
