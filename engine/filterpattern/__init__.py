"""CloudWatch Logs JSON filter patterns: parse, evaluate, print (reference/filter-patterns.md).

    pattern = parse('{ $.eventName = "Delete*" && $.errorCode NOT EXISTS }')
    pattern.matches(record)   # compiled once at parse time; cheap per record
    pattern.canonical()       # '{ ($.eventName = "Delete*") && ($.errorCode NOT EXISTS) }'

Only JSON patterns (`{ … }`) are supported; the empty pattern matches everything.
"""

from __future__ import annotations

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
    """A parsed and compiled pattern. `node` is None for the empty pattern."""

    __slots__ = ("_match", "node", "text")

    def __init__(self, text: str, node: Node | None) -> None:
        self.text = text
        self.node = node
        self._match = None if node is None else compile_node(node)

    def matches(self, record: object) -> bool:
        """Whether `record` (a decoded JSON value) passes; only a dict can match a JSON pattern."""
        if self._match is None:
            return True
        return isinstance(record, dict) and self._match(record)

    def canonical(self) -> str:
        """The canonical text (see `to_text`); "" for the empty pattern."""
        return "" if self.node is None else to_text(self.node)

    def __repr__(self) -> str:
        return f"Pattern({self.text!r})"

    def __eq__(self, other: Any) -> bool:
        return isinstance(other, Pattern) and other.node == self.node

    def __hash__(self) -> int:
        return hash(self.node)


def parse(text: str) -> Pattern:
    """Parse and compile `text`; raises FilterPatternError (see `check_limits` for length)."""
    return Pattern(text, parse_node(text))
