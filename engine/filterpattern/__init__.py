"""CloudWatch Logs JSON filter patterns: parse, evaluate, print (reference/filter-patterns.md).

    pattern = parse('{ $.eventName = "Delete*" && $.errorCode NOT EXISTS }')
    pattern.matches(record)   # compiled once at parse time; cheap per record
    pattern.canonical()       # '{ ($.eventName = "Delete*") && ($.errorCode NOT EXISTS) }'

Only JSON patterns (`{ … }`) are supported; the empty pattern matches everything.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .ast import (
    And,
    AnyIndex,
    AnyKey,
    Check,
    Comparison,
    Index,
    Key,
    Node,
    NumberValue,
    Or,
    RegexValue,
    Selector,
    Step,
    StringValue,
    Value,
)
from .errors import FilterPatternError
from .evaluator import compile_node
from .parser import MAX_PATTERN_LENGTH, check_limits, parse_node
from .printer import minify, to_text

__all__ = [
    "MAX_PATTERN_LENGTH",
    "And",
    "AnyIndex",
    "AnyKey",
    "Check",
    "Comparison",
    "FilterPatternError",
    "Index",
    "Key",
    "Node",
    "NumberValue",
    "Or",
    "Pattern",
    "RegexValue",
    "Selector",
    "Step",
    "StringValue",
    "Value",
    "check_limits",
    "minify",
    "parse",
    "to_text",
]


class Pattern:
    """A parsed and compiled pattern. `node` is None for the empty pattern.

    `matches(record)` tells whether a record (a decoded JSON value) passes; only a dict can
    match a JSON pattern, and the empty pattern matches anything. It is a plain function
    stored on the instance, not a method, to save a call layer on the hot path.
    """

    __slots__ = ("matches", "node", "text")

    matches: Callable[[object], bool]

    def __init__(self, text: str, node: Node | None) -> None:
        self.text = text
        self.node = node
        self.matches = _match_all if node is None else _guarded(compile_node(node))

    def canonical(self) -> str:
        """The canonical text (see `to_text`); "" for the empty pattern."""
        return "" if self.node is None else to_text(self.node)

    def __repr__(self) -> str:
        return f"Pattern({self.text!r})"

    def __eq__(self, other: Any) -> bool:
        return isinstance(other, Pattern) and other.node == self.node

    def __hash__(self) -> int:
        return hash(self.node)


def _match_all(record: object) -> bool:
    return True


def _guarded(match: Callable[[dict[str, Any]], bool]) -> Callable[[object], bool]:
    return lambda record: isinstance(record, dict) and match(record)


def parse(text: str) -> Pattern:
    """Parse and compile `text`; raises FilterPatternError (see `check_limits` for length)."""
    return Pattern(text, parse_node(text))
