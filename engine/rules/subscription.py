"""Compile a rule set into one CloudWatch Logs subscription filter pattern.

The filter runs inside AWS before the function is invoked, so it may only ever be a
*superset* of what the rules alert on: a record a rule would alert on must never be dropped.
Hence: a rule's JMESPath conditions are left out (they only narrow), an ignore entry is
folded in only when its negation is exact, and anything that cannot be expressed within
AWS's limits is refused with a reason rather than approximated from below.
"""

from __future__ import annotations

import re

from engine.filterpattern import (
    MAX_PATTERN_LENGTH,
    And,
    Check,
    Comparison,
    FilterPatternError,
    Key,
    Or,
    StringValue,
    parse,
    to_text,
)
from engine.filterpattern import minify as minify_pattern
from engine.rules.model import RuleSet
from engine.struct import Struct

# Fields that CloudTrail itself writes, always as a string when present. Negating a condition
# on them is exact: "not (x = v)" is "x != v or x is absent", with no array/object/null case
# in between where the negation would wrongly drop a record.
AWS_STRING_FIELDS: frozenset[tuple[str, ...]] = frozenset(
    {
        ("eventName",),
        ("eventSource",),
        ("eventType",),
        ("eventCategory",),
        ("awsRegion",),
        ("recipientAccountId",),
        ("errorCode",),
        ("userIdentity", "type"),
    }
)

_NEGATED_OP = {"=": "!=", "!=": "="}


class SubscriptionFilterError(ValueError):
    """The rules cannot be expressed as one subscription filter within AWS's limits."""


class CompiledFilter(Struct):
    __slots__ = ("pattern", "notes")

    def __init__(self, pattern: str, notes: tuple[str, ...] = ()) -> None:
        self.pattern = pattern
        self.notes = notes


def compile_subscription_filter(ruleset: RuleSet) -> CompiledFilter:
    rules = ruleset.enabled_rules
    if not rules:
        raise SubscriptionFilterError("no enabled rules: the filter would pass nothing")
    jmespath_only = [rule.id for rule in rules if rule.filter_pattern is None]
    if jmespath_only:
        raise SubscriptionFilterError(
            "rules with only a JMESPath condition cannot be expressed as a filter pattern: "
            f"{', '.join(jmespath_only)}; give each a `filter` that covers what it matches"
        )
    notes: list[str] = []
    if any(rule.filter_pattern.node is None for rule in rules):
        notes.append("a rule has an empty filter, which matches every record")
        positive = None
    else:
        positive = _either([rule.filter_pattern.node for rule in rules])

    exclusions = []
    for ignore in ruleset.ignores:
        negated = None
        if ignore.when_text is None and ignore.filter_pattern is not None:
            negated = negate(ignore.filter_pattern.node)
        if negated is None:
            notes.append(f"ignore '{ignore.name}' stays in the function only (not expressible)")
        else:
            exclusions.append(negated)

    # From exact to ever broader, each still a superset of what the rules alert on.
    attempts: list[tuple[object | None, str | None]] = []
    if exclusions:
        attempts.append((_both([*exclusions, positive]) if positive else _both(exclusions), None))
    attempts.append((positive, "the ignore list was left out of the filter to fit AWS's limits"))
    if positive is not None:
        relaxed = relax(positive)
        attempts.append((relaxed, "conditions on other fields were left to the function"))
        if relaxed is not None:
            attempts.append(
                (broaden_event_names(relaxed), "event names were broadened to shared *words*")
            )
    last_error = ""
    for node, note in attempts:
        if node is None:
            return CompiledFilter("", (*notes, note or "the filter passes every record"))
        try:
            text = fit(to_text(node))
        except SubscriptionFilterError as error:
            last_error = last_error or str(error)
            continue
        return CompiledFilter(text, (*notes, note) if note else tuple(notes))
    raise SubscriptionFilterError(last_error)


def fit(text: str) -> str:
    """`text`, minified if need be, checked against AWS's limits by parsing it again."""
    if len(text) > MAX_PATTERN_LENGTH:
        text = minify_pattern(text)
    if len(text) > MAX_PATTERN_LENGTH:
        raise SubscriptionFilterError(
            f"the compiled pattern is {len(text)} characters, over AWS's limit of "
            f"{MAX_PATTERN_LENGTH}; split the rules or use broader filters"
        )
    try:
        parse(text)  # enforces the regex and wildcard limits
    except FilterPatternError as error:
        message = f"the compiled pattern is not valid: {error.message}"
        raise SubscriptionFilterError(message) from None
    return text


def negate(node: object) -> object | None:
    """The exact negation of `node`, or None when it cannot be written as a filter pattern."""
    if isinstance(node, Or):
        parts = [negate(term) for term in node.terms]
        return None if any(part is None for part in parts) else _both(parts)
    if isinstance(node, And):
        parts = [negate(term) for term in node.terms]
        return None if any(part is None for part in parts) else _either(parts)
    if not _on_aws_string_field(node):
        return None
    if isinstance(node, Comparison) and node.op in _NEGATED_OP:
        flipped = Comparison(node.selector, _NEGATED_OP[node.op], node.value)
        return Or((flipped, Check(node.selector, "NOT EXISTS")))
    if isinstance(node, Check) and node.kind == "NOT EXISTS":
        return Comparison(node.selector, "=", StringValue("*", quoted=True))
    return None


# Kept when relaxing: the fields that narrow CloudTrail traffic the most. Dropping any other
# condition only widens the filter, so the result stays a superset.
RELAXED_FIELDS: frozenset[tuple[str, ...]] = frozenset(
    {("eventName",), ("errorCode",), ("userIdentity", "type"), ("errorMessage",)}
)


def relax(node: object) -> object | None:
    """`node` with every condition not on RELAXED_FIELDS dropped; None when nothing is left."""
    if isinstance(node, Or):
        parts = [relax(term) for term in node.terms]
        return None if any(part is None for part in parts) else _either(parts)
    if isinstance(node, And):
        parts = [part for part in (relax(term) for term in node.terms) if part is not None]
        return _both(parts) if parts else None
    return node if _field(node) in RELAXED_FIELDS else None


_WORD = re.compile(r"[A-Z][a-z0-9]+|[A-Z]+(?![a-z])|[a-z0-9]+")


def broaden_event_names(node: object) -> object:
    """Replace exact `eventName` alternatives with `*Word*` wildcards that cover several.

    Greedy set cover over the CamelCase word runs of the names: each chosen wildcard is a
    contains-match, so every name it replaces still passes (and some others do too).
    """
    terms = list(node.terms) if isinstance(node, Or) else [node]
    exact = [term for term in terms if _exact_event_name(term) is not None]
    if len(exact) < 2:
        return node
    names = {_exact_event_name(term): term for term in exact}
    candidates: dict[str, set[str]] = {}
    for name in names:
        words = _WORD.findall(name)
        for size in (1, 2, 3):
            for start in range(len(words) - size + 1):
                run = "".join(words[start : start + size])
                if len(run) >= 3:
                    candidates.setdefault(run, set()).add(name)
    for run, covered in list(candidates.items()):
        candidates[run] = {name for name in names if run in name} | covered
    uncovered, chosen = set(names), []
    while uncovered:
        run, covered = max(
            candidates.items(), key=lambda item: (len(item[1] & uncovered), len(item[0]))
        )
        if len(covered & uncovered) < 2:
            break
        chosen.append(run)
        uncovered -= covered
    selector = exact[0].selector
    broadened = [term for term in terms if _exact_event_name(term) is None]
    broadened += [Comparison(selector, "=", StringValue(f"*{run}*")) for run in chosen]
    broadened += [term for name, term in names.items() if name in uncovered]
    return _either(broadened)


def _exact_event_name(node: object) -> str | None:
    if (
        isinstance(node, Comparison)
        and node.op == "="
        and isinstance(node.value, StringValue)
        and node.value.kind == "exact"
        and _field(node) == ("eventName",)
    ):
        return node.value.text
    return None


def _field(node: object) -> tuple[str, ...] | None:
    selector = getattr(node, "selector", None)
    steps = getattr(selector, "steps", ())
    if not steps or not all(isinstance(step, Key) for step in steps):
        return None
    return tuple(step.name for step in steps)


def _on_aws_string_field(node: object) -> bool:
    selector = getattr(node, "selector", None)
    steps = getattr(selector, "steps", ())
    if not steps or not all(isinstance(step, Key) for step in steps):
        return False
    return tuple(step.name for step in steps) in AWS_STRING_FIELDS


def _either(nodes: list) -> object:
    flat: list = []
    for node in nodes:
        for term in node.terms if isinstance(node, Or) else (node,):
            if term not in flat:
                flat.append(term)
    return flat[0] if len(flat) == 1 else Or(tuple(flat))


def _both(nodes: list) -> object:
    flat: list = []
    for node in nodes:
        for term in node.terms if isinstance(node, And) else (node,):
            if term not in flat:
                flat.append(term)
    return flat[0] if len(flat) == 1 else And(tuple(flat))
