"""What operators see: one JSON line per problem, one summary line per invocation, metrics.

Lines go to stdout, which Lambda sends to CloudWatch Logs as they are. The summary line is also
a CloudWatch embedded-metric-format (EMF) document, so the counts in the logs and the metrics
come from one object and cannot disagree.

Every line passes through a `Redactor` that masks the Slack token and any stretch of it of
`Redactor.MIN_PART` characters or more; `protect_logging` puts the same mask on the standard
`logging` handlers (slack_sdk's and botocore's own messages included).
"""

from __future__ import annotations

import json
import logging
import sys
import time
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any, TextIO

from engine.pipeline import Problem

NAMESPACE = "CloudTrailToSlack"
# The counts of an invocation's summary, in the order they are printed; each is a metric.
SUMMARY_COUNTS = (
    "records",  # CloudTrail records read
    "matched",  # records that matched a rule
    "posted",  # messages Slack accepted
    "queued",  # messages kept in the failure queue for the redrive
    "skipped",  # inputs that could not be read
    "duplicates",  # messages not posted because the same event went to the same channel already
    "rule_errors",  # rule conditions that raised
    "unrouted",  # messages without a channel (queued, never posted)
    "lost",  # messages neither posted nor queued: the invocation fails (partly) so AWS retries
)
REDRIVE_COUNTS = ("received", "posted", "failed", "deleted", "delete_errors")
# After this many lines of one kind of problem in one invocation, the rest are only counted.
MAX_PROBLEM_LINES = 50
MASK = "[redacted]"


class Redactor:
    """Masks secrets, and every part of one that is at least MIN_PART characters long."""

    MIN_PART = 8

    def __init__(self) -> None:
        self._secrets: list[str] = []
        self._parts: set[str] = set()

    def add(self, secret: str) -> None:
        if not secret or secret in self._secrets:
            return
        self._secrets.append(secret)
        n = self.MIN_PART
        # Every stretch of the secret of n characters or more is covered by its n-character
        # windows, so masking where any window occurs masks every such stretch.
        self._parts.update(secret[i : i + n] for i in range(len(secret) - n + 1))

    def __call__(self, text: str) -> str:
        if not self._secrets:
            return text
        hidden = [False] * len(text)
        for secret in self._secrets:
            if len(secret) < self.MIN_PART:
                _mark(text, secret, hidden)
        for part in self._parts:
            if part in text:
                _mark(text, part, hidden)
        if not any(hidden):
            return text
        out: list[str] = []
        for i, char in enumerate(text):
            if not hidden[i]:
                out.append(char)
            elif i == 0 or not hidden[i - 1]:
                out.append(MASK)
        return "".join(out)


def _mark(text: str, part: str, hidden: list[bool]) -> None:
    start = text.find(part)
    while start != -1:
        hidden[start : start + len(part)] = [True] * len(part)
        start = text.find(part, start + 1)


class _RedactingFilter(logging.Filter):
    def __init__(self, redactor: Redactor) -> None:
        super().__init__()
        self.redactor = redactor

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = self.redactor(message)
        if masked != message:
            record.msg, record.args = masked, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redactor(record.exc_text)
        return True


def protect_logging(redactor: Redactor) -> None:
    """Mask secrets in everything the root logger's handlers write (Lambda's handler included)."""
    for handler in logging.getLogger().handlers:
        if not any(
            isinstance(f, _RedactingFilter) and f.redactor is redactor for f in handler.filters
        ):
            handler.addFilter(_RedactingFilter(redactor))


class Log:
    """Writes redacted JSON lines to `stream` (stdout when None, looked up at each write)."""

    def __init__(self, redactor: Redactor | None = None, stream: TextIO | None = None) -> None:
        self.redactor = redactor or Redactor()
        self._stream = stream

    def line(self, level: str, message: str, **fields: Any) -> None:
        document = {"level": level, "message": message, **_without_none(fields)}
        text = self.redactor(json.dumps(document, ensure_ascii=False, default=str))
        print(text, file=self._stream or sys.stdout, flush=True)

    def invocation(self, request_id: str | None, function_name: str | None) -> Invocation:
        return Invocation(self, request_id, function_name)


class Invocation:
    """The log of one invocation: its problems, then its summary (with the metrics)."""

    def __init__(self, log: Log, request_id: str | None, function_name: str | None) -> None:
        self.log = log
        self.request_id = request_id
        self.function_name = function_name
        self._problem_lines: Counter[str] = Counter()

    def problem(self, problem: Problem) -> None:
        """One line per problem, naming where it came from, up to MAX_PROBLEM_LINES per kind."""
        self._problem_lines[problem.kind] += 1
        if self._problem_lines[problem.kind] > MAX_PROBLEM_LINES:
            return
        level = "WARNING" if problem.kind == "skipped" and not problem.retryable else "ERROR"
        self.log.line(
            level,
            f"{problem.kind}: {problem.origin.where()}: {problem.message}",
            request_id=self.request_id,
            problem=problem.kind,
            event_id=problem.event_id,
            rule_ids=list(problem.rule_ids) or None,
            retryable=problem.retryable or None,
            **problem.origin.log_fields(),
            **problem.extra,
        )

    def error(self, problem: str, message: str, **fields: Any) -> None:
        """A problem that is not about one input (the queue, the token, a failed delivery)."""
        self.log.line("ERROR", message, request_id=self.request_id, problem=problem, **fields)

    def summary(self, message: str, counts: Mapping[str, int], names: Iterable[str]) -> None:
        """The summary line, which is also the EMF document for the same counts."""
        names = list(names)
        for kind, seen in self._problem_lines.items():
            if seen > MAX_PROBLEM_LINES:
                self.log.line(
                    "WARNING",
                    f"{seen - MAX_PROBLEM_LINES} more '{kind}' problems were not logged",
                    request_id=self.request_id,
                    problem=kind,
                )
        values = {name: int(counts.get(name, 0)) for name in names}
        dimensions = {"function_name": self.function_name} if self.function_name else {}
        self.log.line(
            "INFO",
            message,
            request_id=self.request_id,
            **values,
            **dimensions,
            _aws=emf_metadata(names, list(dimensions)),
        )


def emf_metadata(names: Iterable[str], dimensions: list[str]) -> dict[str, Any]:
    """The `_aws` member of an EMF document whose top level holds `names` as counts."""
    return {
        "Timestamp": int(time.time() * 1000),
        "CloudWatchMetrics": [
            {
                "Namespace": NAMESPACE,
                "Dimensions": [dimensions],
                "Metrics": [{"Name": name, "Unit": "Count"} for name in names],
            }
        ],
    }


def _without_none(fields: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in fields.items() if value is not None}
