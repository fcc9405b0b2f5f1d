"""The syntax tree of a JSON filter pattern: small immutable, hashable, comparable Structs.

Other code may build patterns from these and print them with `to_text`. Equality ignores how
a string was written (quoted or bare), since both mean the same, so that
`parse(to_text(node)).node == node` holds.
"""

from __future__ import annotations

from typing import Literal

from engine.struct import Struct

# --- selector steps -----------------------------------------------------------------------


class Key(Struct):
    """`.name` or `.['name']`: a field of an object."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name


class Index(Struct):
    """`[n]`: an element of an array, zero-based."""

    __slots__ = ("n",)

    def __init__(self, n: int) -> None:
        self.n = n


class AnyIndex(Struct):
    """`[*]`: any element of an array."""

    __slots__ = ()


class AnyKey(Struct):
    """`.*`: any field of an object."""

    __slots__ = ()


Step = Key | Index | AnyIndex | AnyKey


class Selector(Struct):
    """`$` followed by one or more steps."""

    __slots__ = ("steps",)

    def __init__(self, steps: tuple[Step, ...]) -> None:
        self.steps = steps

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


class StringValue(Struct, internal=("quoted",)):
    """A string, quoted or bare (the two mean the same).

    A `*` at the start and/or end is a wildcard; a `*` anywhere else is a literal asterisk.
    """

    __slots__ = ("text", "quoted")

    def __init__(self, text: str, quoted: bool = True) -> None:
        self.text = text
        self.quoted = quoted

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


class NumberValue(Struct):
    """A number as written (`50`, `-1.5`, `5e+1`); `number` is its value."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    @property
    def number(self) -> int | float:
        text = self.text
        # An integer literal stays an int so that large integers compare exactly.
        if any(ch in text for ch in ".eE"):
            return float(text)
        return int(text)


class RegexValue(Struct):
    """`%source%`: a regex searched anywhere in a string value."""

    __slots__ = ("source",)

    def __init__(self, source: str) -> None:
        self.source = source


Value = StringValue | NumberValue | RegexValue

# --- conditions and their combinations ----------------------------------------------------

Operator = Literal["=", "!=", "<", ">", "<=", ">="]
CheckKind = Literal["NULL", "TRUE", "FALSE", "NOT EXISTS"]

OPERATORS: tuple[str, ...] = ("=", "!=", "<", ">", "<=", ">=")
CHECK_KINDS: tuple[str, ...] = ("NULL", "TRUE", "FALSE", "NOT EXISTS")


class Comparison(Struct):
    """`selector OP value`."""

    __slots__ = ("selector", "op", "value")

    def __init__(self, selector: Selector, op: Operator, value: Value) -> None:
        self.selector = selector
        self.op = op
        self.value = value


class Check(Struct):
    """`selector IS NULL|TRUE|FALSE` or `selector NOT EXISTS` (kind "NOT EXISTS")."""

    __slots__ = ("selector", "kind")

    def __init__(self, selector: Selector, kind: CheckKind) -> None:
        self.selector = selector
        self.kind = kind


class And(Struct):
    __slots__ = ("terms",)

    def __init__(self, terms: tuple[Node, ...]) -> None:
        self.terms = terms


class Or(Struct):
    __slots__ = ("terms",)

    def __init__(self, terms: tuple[Node, ...]) -> None:
        self.terms = terms


Node = Or | And | Comparison | Check
