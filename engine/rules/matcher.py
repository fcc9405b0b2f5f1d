"""Match one record against a rule set: ignores first, then every enabled rule in file order.

This is the plain, obviously-correct matcher. Faster matchers must agree with it on every
record (see tests/test_matcher_differential.py).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from engine.rules.conditions import EvaluationError
from engine.rules.model import Ignore, Rule
from engine.struct import Struct


class RuleEvaluationError(Struct):
    """A condition that raised on a record; reported by the caller, never fatal."""

    __slots__ = ("rule_id", "condition", "error")

    def __init__(
        self,
        rule_id: str,
        condition: str,  # "when", "unless", or "ignore:<name>"
        error: str,
    ) -> None:
        self.rule_id = rule_id
        self.condition = condition
        self.error = error


def matches_rule(
    rule: Rule, record: Mapping[str, Any], errors: list[RuleEvaluationError] | None
) -> bool:
    try:
        return rule.matches(record)
    except EvaluationError as error:
        if errors is not None:
            errors.append(RuleEvaluationError(rule.id, error.condition, str(error.cause)))
        # `unless` is only evaluated after filter and `when` held: an exception that cannot
        # be evaluated must not silence the alert.
        return error.condition == "unless"


def is_ignored(
    ignores: Sequence[Ignore], record: Mapping[str, Any], errors: list[RuleEvaluationError] | None
) -> bool:
    for ignore in ignores:
        try:
            if ignore.matches(record):
                return True
        except EvaluationError as error:
            # An ignore entry that cannot be evaluated does not suppress anything.
            if errors is not None:
                errors.append(RuleEvaluationError("", f"ignore:{ignore.name}", str(error.cause)))
    return False


def plain_match(
    rules: Sequence[Rule],
    ignores: Sequence[Ignore],
    record: Mapping[str, Any],
    errors: list[RuleEvaluationError] | None = None,
) -> list[Rule]:
    """Every enabled rule matching `record`, in order; [] when an ignore entry matches."""
    if is_ignored(ignores, record, errors):
        return []
    return [rule for rule in rules if rule.enabled and matches_rule(rule, record, errors)]
