"""Run the tests written inside rules: does the record alert, where, and what does it say?

A test runs its record through the whole rule set, ignores included, exactly as the Lambda
would, then checks that *its* rule is (or is not) among the matches. On failure it explains
which condition did not hold, so the rule owner knows what to change.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping
from typing import Any

import jmespath

from engine.rules import Rule, RuleSet, RuleTest
from engine.rules.conditions import truthy
from engine.struct import Struct


class TestOutcome(Struct):
    __slots__ = ("rule", "test", "failure")

    def __init__(
        self,
        rule: Rule,
        test: RuleTest,
        failure: str | None,  # None when the test passed
    ) -> None:
        self.rule = rule
        self.test = test
        self.failure = failure

    @property
    def passed(self) -> bool:
        return self.failure is None

    def line(self) -> str:
        status = "PASS" if self.passed else "FAIL"
        place = f"{self.test.location}: " if self.test.location and not self.passed else ""
        reason = f": {self.failure}" if self.failure else ""
        return f"{status} {place}{self.rule.id} › {self.test.name}{reason}"


def run_tests(ruleset: RuleSet, fallback_channel: str | None = None) -> Iterator[TestOutcome]:
    """Every test of every rule (enabled or not), in file order."""
    if fallback_channel is None:
        fallback_channel = os.environ.get("SLACK_CHANNEL")
    for rule in ruleset.rules:
        for test in rule.tests:
            yield TestOutcome(rule, test, _check(ruleset, rule, test, fallback_channel))


def _check(ruleset: RuleSet, rule: Rule, test: RuleTest, fallback: str | None) -> str | None:
    errors: list[Any] = []
    matched = ruleset.match(test.record, errors)
    alerted = rule in matched
    if alerted != test.expect_alert:
        if test.expect_alert:
            return f"expected an alert, got none: {explain_miss(ruleset, rule, test.record)}"
        return f"expected no alert, but it alerted ({explain_hit(rule)})"
    if not alerted or (test.channels is None and not test.contains and not test.not_contains):
        return None
    return _check_message(ruleset, rule, test, matched, fallback)


def _check_message(
    ruleset: RuleSet, rule: Rule, test: RuleTest, matched: list[Rule], fallback: str | None
) -> str | None:
    from engine.messages import render, route
    from engine.messages.plain import plain_text

    alerts = [
        alert
        for alert in route(test.record, matched, ruleset, fallback_channel=fallback)
        if rule in alert.rules
    ]
    if test.channels is not None:
        got = sorted(alert.channel for alert in alerts)
        if got != sorted(test.channels):
            return f"expected channels {sorted(test.channels)}, got {got}"
    for alert in alerts:
        message = render(alert, ruleset)
        # `contains` looks at what a reader sees (entities decoded, links shown) and at the
        # payload as sent; `not_contains` at the payload as sent, where a live `<!channel>`
        # or `<https://evil|label>` would be, while the reader may well see those as text.
        sent = json.dumps(message.to_payload(), ensure_ascii=False)
        seen = plain_text(message)
        channel = alert.channel or "(no channel)"
        for wanted in test.contains:
            if wanted not in seen and wanted not in sent:
                return f"the message to {channel} does not contain {wanted!r}"
        for unwanted in test.not_contains:
            if unwanted in sent:
                return f"the message to {channel} contains {unwanted!r}"
    return None


def explain_miss(ruleset: RuleSet, rule: Rule, record: Mapping[str, Any]) -> str:
    """Which condition kept `rule` from alerting on `record`."""
    if not rule.enabled:
        return "the rule is disabled"
    for ignore in ruleset.ignores:
        try:
            if ignore.matches(record):
                return f"the record is ignored by '{ignore.name}'"
        except Exception:  # an ignore that raises does not suppress; see matcher.is_ignored
            continue
    account = record.get("recipientAccountId")
    if rule.accounts is not None and account not in rule.accounts:
        return f"recipientAccountId {account!r} is not among the rule's accounts"
    if rule.filter_pattern is not None and not rule.filter_pattern.matches(record):
        return f"filter did not match: {rule.filter_text}"
    for name, text, wanted in (("when", rule.when_text, True), ("unless", rule.unless_text, False)):
        if not text:
            continue
        try:
            value = jmespath.search(text, record)
        except Exception as error:
            return f"{name} raised {type(error).__name__}: {error}"
        if truthy(value) != wanted:
            shown = repr(value)[:80]
            return f"{name} was {'falsy' if wanted else 'truthy'} ({shown}): {text}"
    return "no condition failed on its own (check the rule file order)"


def explain_hit(rule: Rule) -> str:
    held = [f"filter {rule.filter_text}"] if rule.filter_text else []
    if rule.when_text:
        held.append(f"when {rule.when_text}")
    if rule.unless_text:
        held.append(f"unless {rule.unless_text} was falsy")
    return "; ".join(held) or "the rule has no conditions"
