"""The matcher the loader installs on a RuleSet: an index on literal event names and sources.

Most CloudTrail records are reads and STS calls that no rule can match, and most rules name
the events they care about in their filter pattern (`$.eventName = "StopLogging"`,
`"*SecurityGroup*"`, `$.eventSource = kms.amazonaws.com`). `literal_constraints` says which
strings a rule's filter requires of `eventName` and `eventSource`; a record whose values
satisfy none of them cannot match that rule, so the rule is never evaluated on it.

Which rules remain for a given (eventName, eventSource) pair is computed once and memoised:
the vocabulary of AWS API names is small, so after a few records every lookup is one dict
access. Rules without a usable constraint (no filter, or one on other fields) are always
candidates. Candidates keep file order, and are evaluated exactly as `matcher.plain_match`
evaluates them, errors included; tests/test_matcher_differential.py holds the two equal.

Why skipping is exact, not approximate: a rule's predicate checks its filter before anything
else (`when`, `unless`, the account scope only narrow it further), and a filter that cannot
hold returns False without raising. So a skipped rule or ignore entry is one that would have
returned False and reported nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from engine.filterpattern.analysis import Alternatives, literal_constraints
from engine.rules.conditions import EvaluationError
from engine.rules.matcher import RuleEvaluationError
from engine.rules.model import Ignore, Rule

Matcher = Callable[[Mapping[str, Any], list[Any] | None], list[Rule]]

# The fields every CloudTrail record has, and that rules nearly always key on.
INDEXED_FIELDS = ("eventName", "eventSource")

# Distinct (eventName, eventSource) pairs remembered. A busy organisation sees a few thousand;
# past the bound, plans are computed per record (correct, only slower), so odd input cannot
# grow memory without limit.
MAX_PLANS = 20_000

Constraints = tuple[Alternatives | None, ...]  # per INDEXED_FIELDS; None = unconstrained
Plan = tuple[tuple[Ignore, ...], tuple[Rule, ...]]


def constraints_of(pattern: Any) -> Constraints:
    """What a filter pattern (or None) requires of each indexed field."""
    node = getattr(pattern, "node", None)
    found = literal_constraints(node, INDEXED_FIELDS)
    return tuple(found[name] for name in INDEXED_FIELDS)


def _possible(constraints: Constraints, values: tuple[str | None, ...]) -> bool:
    """Whether a record with these field values can satisfy the constraints."""
    for alternatives, value in zip(constraints, values, strict=True):
        if alternatives is None:
            continue
        if value is None or not any(alt.satisfied_by(value) for alt in alternatives):
            return False
    return True


def build_matcher(
    rules: Sequence[Rule],
    ignores: Sequence[Ignore],
    *,
    fallback: Callable[..., list[Rule]],
) -> Matcher:
    """A matcher agreeing with `fallback` (the plain matcher) on every record, only faster.

    `fallback` still serves records that are not dicts, which no index can key on.
    """
    all_rules, all_ignores = tuple(rules), tuple(ignores)
    indexed_rules = [
        (rule, constraints_of(rule.filter_pattern)) for rule in all_rules if rule.enabled
    ]
    indexed_ignores = [(ignore, constraints_of(ignore.filter_pattern)) for ignore in all_ignores]
    plans: dict[tuple[str | None, str | None], Plan] = {}

    def plan_for(values: tuple[str | None, str | None]) -> Plan:
        plan = plans.get(values)
        if plan is None:
            plan = (
                tuple(ignore for ignore, c in indexed_ignores if _possible(c, values)),
                tuple(rule for rule, c in indexed_rules if _possible(c, values)),
            )
            if len(plans) < MAX_PLANS:
                plans[values] = plan
        return plan

    def match(record: Mapping[str, Any], errors: list[Any] | None = None) -> list[Rule]:
        if type(record) is not dict:
            return fallback(all_rules, all_ignores, record, errors)
        name = record.get("eventName")
        source = record.get("eventSource")
        # Constraints only ever hold for strings: any other value is as good as absent.
        if type(name) is not str:
            name = None
        if type(source) is not str:
            source = None
        ignore_candidates, rule_candidates = plans.get((name, source)) or plan_for((name, source))
        for ignore in ignore_candidates:
            try:
                if ignore.matches(record):
                    return []
            except EvaluationError as error:
                # As in matcher.is_ignored: an entry that cannot be evaluated ignores nothing.
                if errors is not None:
                    errors.append(
                        RuleEvaluationError("", f"ignore:{ignore.name}", str(error.cause))
                    )
        matched: list[Rule] = []
        for rule in rule_candidates:
            try:
                if rule.matches(record):
                    matched.append(rule)
            except EvaluationError as error:
                # As in matcher.matches_rule: a failing `unless` must not silence the alert.
                if errors is not None:
                    errors.append(RuleEvaluationError(rule.id, error.condition, str(error.cause)))
                if error.condition == "unless":
                    matched.append(rule)
        return matched

    return match
