"""The syntax tree of a JSON filter pattern: small frozen (hashable, comparable) dataclasses.

Other code may build patterns from these and print them with `to_text`. Equality ignores how
a string was written (quoted or bare), since both mean the same, so that
`parse(to_text(node)).node == node` holds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

# --- selector steps -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Key:
    """`.name` or `.['name']`: a field of an object."""

    name: str


@dataclass(frozen=True, slots=True)
class Index:
    """`[n]`: an element of an array, zero-based."""

    n: int


@dataclass(frozen=True, slots=True)
class AnyIndex:
    """`[*]`: any element of an array."""


@dataclass(frozen=True, slots=True)
class AnyKey:
    """`.*`: any field of an object."""


Step = Key | Index | AnyIndex | AnyKey


@dataclass(frozen=True, slots=True)
class Selector:
    """`$` followed by one or more steps."""

    steps: tuple[Step, ...]

    @property
    def wildcards(self) -> int:
        return sum(isinstance(step, AnyIndex | AnyKey) for step in self.steps)

    def key_path(self) -> tuple[str, ...] | None:
        """The field names when every step is a plain key (`$.a.b` → `("a", "b")`), else None."""
        if all(isinstance(step, Key) for step in self.steps):
            return tuple(step.name for step in self.steps)  # type: ignore[union-attr]
        return None


# --- values -------------------------------------------------------------------------------

StringKind = Literal["any", "exact", "prefix", "suffix", "contains"]


@dataclass(frozen=True, slots=True)
class StringValue:
    """A string, quoted or bare (the two mean the same).

    A `*` at the start and/or end is a wildcard; a `*` anywhere else is a literal asterisk.
    """

    text: str
    quoted: bool = field(default=True, compare=False)

    @property
    def kind(self) -> StringKind:
        text = self.text
        if text == "*":
            return "any"
        starts, ends = text.startswith("*"), text.endswith("*")
        if starts and ends:
            return "contains"
        if starts:
            return "suffix"
        if ends:
            return "prefix"
        return "exact"

    @property
    def literal(self) -> str:
        """The text without its wildcard asterisks (empty for a lone `*`)."""
        kind = self.kind
        if kind == "any":
            return ""
        if kind == "contains":
            return self.text[1:-1]
        if kind == "suffix":
            return self.text[1:]
        if kind == "prefix":
            return self.text[:-1]
        return self.text

    @property
    def is_wildcard(self) -> bool:
        return self.kind != "exact"


@dataclass(frozen=True, slots=True)
class NumberValue:
    """A number as written (`50`, `-1.5`, `5e+1`); `number` is its value."""

    text: str

    @property
    def number(self) -> int | float:
        text = self.text
        # An integer literal stays an int so that large integers compare exactly.
        if any(ch in text for ch in ".eE"):
            return float(text)
        return int(text)


@dataclass(frozen=True, slots=True)
class RegexValue:
    """`%source%`: a regex searched anywhere in a string value."""

    source: str


Value = StringValue | NumberValue | RegexValue

# --- conditions and their combinations ----------------------------------------------------

Operator = Literal["=", "!=", "<", ">", "<=", ">="]
CheckKind = Literal["NULL", "TRUE", "FALSE", "NOT EXISTS"]

OPERATORS: tuple[str, ...] = ("=", "!=", "<", ">", "<=", ">=")
CHECK_KINDS: tuple[str, ...] = ("NULL", "TRUE", "FALSE", "NOT EXISTS")


@dataclass(frozen=True, slots=True)
class Comparison:
    """`selector OP value`."""

    selector: Selector
    op: Operator
    value: Value


@dataclass(frozen=True, slots=True)
class Check:
    """`selector IS NULL|TRUE|FALSE` or `selector NOT EXISTS` (kind "NOT EXISTS")."""

    selector: Selector
    kind: CheckKind


@dataclass(frozen=True, slots=True)
class And:
    terms: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Or:
    terms: tuple[Node, ...]


Node = Or | And | Comparison | Check
