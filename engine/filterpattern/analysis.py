"""What a pattern requires of a few string fields: input for a future index of rules.

`literal_constraints(node)` says, for field paths such as `eventName`, which literal
alternatives every matching record satisfies: `{"eventName": {exact "StopLogging",
prefix "Delete"}}` means a record can only match if its eventName equals "StopLogging" or
starts with "Delete". An index may then skip the pattern for records that satisfy none.

It is deliberately conservative: a path is constrained only by `path = "string"` leaves that
the pattern cannot do without. Anything else (numbers, regexes, `!=`, wildcards, checks)
leaves the path unconstrained. Claiming a constraint that a matching record violates would
make an index drop an alert, so when unsure the answer is "unconstrained".
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from engine.struct import Struct

from .ast import And, Check, Comparison, Node, Or, StringValue

LiteralKind = Literal["exact", "prefix", "suffix", "contains"]


class LiteralConstraint(Struct, order=True):
    """The field is a string that equals / starts with / ends with / contains `text`."""

    __slots__ = ("kind", "text")

    def __init__(self, kind: LiteralKind, text: str) -> None:
        self.kind = kind
        self.text = text

    def satisfied_by(self, value: object) -> bool:
        if not isinstance(value, str):
            return False
        if self.kind == "exact":
            return value == self.text
        if self.kind == "prefix":
            return value.startswith(self.text)
        if self.kind == "suffix":
            return value.endswith(self.text)
        return self.text in value


Alternatives = frozenset[LiteralConstraint]


def literal_constraints(
    node: Node | None, fields: Iterable[str] | None = None
) -> dict[str, Alternatives | None]:
    """Per dotted field path, the alternatives every match satisfies (at least one of them).

    With `fields`, the result has exactly those keys, None for an unconstrained one; without,
    it has every constrained path found. Paths are the dotted keys of plain selectors
    (`$.userIdentity.type` → "userIdentity.type"); a key that itself contains a dot is never
    reported, to keep paths unambiguous.
    """
    found = {} if node is None else _constraints(node)
    if fields is None:
        return dict(found)
    return {name: found.get(name) for name in fields}


def _constraints(node: Node) -> dict[str, Alternatives]:
    if isinstance(node, Comparison):
        return _leaf(node)
    if isinstance(node, Check):
        return {}
    if isinstance(node, And):
        # Every term must hold, so every term's constraints hold: keep them all, and where
        # two terms constrain the same path, keep a requirement implied by both.
        merged: dict[str, Alternatives] = {}
        for term in node.terms:
            for path, alternatives in _constraints(term).items():
                merged[path] = _both(merged[path], alternatives) if path in merged else alternatives
        return merged
    if isinstance(node, Or):
        # A path is constrained only if every branch constrains it; any of them may match.
        branches = [_constraints(term) for term in node.terms]
        common = set(branches[0]).intersection(*branches[1:])
        return {path: frozenset().union(*(b[path] for b in branches)) for path in common}
    return {}


def _leaf(node: Comparison) -> dict[str, Alternatives]:
    value = node.value
    path = node.selector.key_path()
    if node.op != "=" or path is None or not isinstance(value, StringValue):
        return {}
    if value.kind == "any" or any("." in key for key in path):
        return {}
    return {".".join(path): frozenset({LiteralConstraint(value.kind, value.literal)})}


def _both(first: Alternatives, second: Alternatives) -> Alternatives:
    """A set of alternatives implied by "one of `first` and one of `second`" (sound, not tight).

    When one side lists only exact strings, those that also satisfy the other side are the
    exact answer. Otherwise either side alone is still implied; keep the smaller.
    """
    for exacts, other in ((first, second), (second, first)):
        if all(alt.kind == "exact" for alt in exacts):
            return frozenset(alt for alt in exacts if any(o.satisfied_by(alt.text) for o in other))
    return min(first, second, key=len)
