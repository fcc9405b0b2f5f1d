"""Compile a syntax tree, once, into plain closures: no tree walking per record.

This is the hot path (a Lambda matching thousands of records a second), so the common leaf,
a one-key selector compared with a string, is a dict lookup plus one string operation.

Semantics (reference/filter-patterns.md, table "Evaluation"), in short:
- only strings and numbers are compared. A missing field, null, a boolean, an array or an
  object makes every comparison false, `!=` included;
- `!=` is the negation of `=` on a present string or number, so `$.x != 1` is true when x
  holds the string "1" (a string never equals a number: fail closed, both ways);
- `<` `>` `<=` `>=` need a JSON number (never a bool);
- `IS TRUE` / `IS FALSE` / `IS NULL` test for the JSON literal itself; `= true` compares
  with the *string* "true" and is therefore false on a JSON boolean (**decided**);
- a wildcard selector (`[*]`, `.*`) is true when any value it reaches satisfies the
  condition; `NOT EXISTS` is true when the selector reaches no value at all (**decided**:
  for a plain selector that is exactly "the key is absent"; explicit null exists).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
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
    StringValue,
)
from .regex import compile_regex

Predicate = Callable[[Any], bool]
Matcher = Callable[[dict[str, Any]], bool]


class _Missing:
    __slots__ = ()

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()
_SCALARS = frozenset({str, int, float})  # `type(v) in …` excludes bool, unlike isinstance
_NUMBERS = frozenset({int, float})


def compile_node(node: Node) -> Matcher:
    """A function of one record (a dict) telling whether `node` matches it."""
    if isinstance(node, And):
        return _all([compile_node(term) for term in node.terms])
    if isinstance(node, Or):
        return _any([compile_node(term) for term in node.terms])
    if isinstance(node, Comparison):
        fast = _fast_string_leaf(node)
        if fast is not None:
            return fast
        return _comparison_leaf(node.selector, _comparison_test(node))
    if isinstance(node, Check):
        if node.kind == "NOT EXISTS":
            return _absent(node.selector)
        return _leaf(node.selector, _CHECKS[node.kind])
    raise TypeError(f"not a filter-pattern node: {node!r}")


# --- combinations -------------------------------------------------------------------------


def _all(fns: Sequence[Matcher]) -> Matcher:
    if len(fns) == 2:
        first, second = fns
        return lambda record: first(record) and second(record)

    # An explicit loop: measurably faster than all() over a generator on this hot path.
    def every(record: dict[str, Any]) -> bool:
        for fn in fns:  # noqa: SIM110
            if not fn(record):
                return False
        return True

    return every


def _any(fns: Sequence[Matcher]) -> Matcher:
    if len(fns) == 2:
        first, second = fns
        return lambda record: first(record) or second(record)

    def some(record: dict[str, Any]) -> bool:
        for fn in fns:  # noqa: SIM110
            if fn(record):
                return True
        return False

    return some


# --- leaves -------------------------------------------------------------------------------


def _fast_string_leaf(node: Comparison) -> Matcher | None:
    """`$.key = "text"` (any wildcard form) as one closure with the lookup inlined."""
    steps = node.selector.steps
    value = node.value
    if node.op != "=" or len(steps) != 1 or not isinstance(steps[0], Key):
        return None
    if not isinstance(value, StringValue) or value.kind == "any":
        return None
    key, literal, kind = steps[0].name, value.literal, value.kind
    if kind == "exact":
        return lambda record: record.get(key) == literal  # None (missing) never equals a str

    if kind == "prefix":

        def prefix(record: dict[str, Any]) -> bool:
            found = record.get(key)
            return type(found) is str and found.startswith(literal)

        return prefix
    if kind == "suffix":

        def suffix(record: dict[str, Any]) -> bool:
            found = record.get(key)
            return type(found) is str and found.endswith(literal)

        return suffix

    def contains(record: dict[str, Any]) -> bool:
        found = record.get(key)
        return type(found) is str and literal in found

    return contains


def _comparison_leaf(selector: Selector, test: Predicate) -> Matcher:
    """Like `_leaf`, with the lookup inlined for `$.a` and `$.a.b` (most CloudTrail fields).

    A comparison is false on null exactly as on a missing key, so `.get()`'s None will do.
    """
    path = selector.key_path()
    if path is not None and len(path) == 1:
        (key,) = path
        return lambda record: test(record.get(key))
    if path is not None and len(path) == 2:
        outer, inner = path

        def nested(record: dict[str, Any]) -> bool:
            found = record.get(outer)
            return isinstance(found, dict) and test(found.get(inner))

        return nested
    return _leaf(selector, test)


def _leaf(selector: Selector, test: Predicate) -> Matcher:
    if selector.wildcards:
        resolve = _resolver(selector)
        return lambda record: any(map(test, resolve(record)))
    get = _getter(selector)
    return lambda record: test(get(record))


def _absent(selector: Selector) -> Matcher:
    if selector.wildcards:
        resolve = _resolver(selector)
        return lambda record: not resolve(record)
    get = _getter(selector)
    return lambda record: get(record) is MISSING


def _comparison_test(node: Comparison) -> Predicate:
    equal = _equality(node)
    op = node.op
    if op == "=":
        return equal
    if op == "!=":
        return lambda found: type(found) in _SCALARS and not equal(found)
    number = node.value.number  # type: ignore[union-attr]  # the parser allows only numbers
    if op == "<":
        return lambda found: type(found) in _NUMBERS and found < number
    if op == ">":
        return lambda found: type(found) in _NUMBERS and found > number
    if op == "<=":
        return lambda found: type(found) in _NUMBERS and found <= number
    if op == ">=":
        return lambda found: type(found) in _NUMBERS and found >= number
    raise ValueError(f"unknown operator {op!r}")


def _equality(node: Comparison) -> Predicate:
    value = node.value
    if isinstance(value, NumberValue):
        number = value.number
        return lambda found: type(found) in _NUMBERS and found == number
    if isinstance(value, RegexValue):
        search = compile_regex(value.source)
        return lambda found: type(found) is str and search(found)
    literal, kind = value.literal, value.kind
    if kind == "any":  # `= *`: present as a string or a number
        return lambda found: type(found) in _SCALARS
    if kind == "exact":
        return lambda found: type(found) is str and found == literal
    if kind == "prefix":
        return lambda found: type(found) is str and found.startswith(literal)
    if kind == "suffix":
        return lambda found: type(found) is str and found.endswith(literal)
    return lambda found: type(found) is str and literal in found


_CHECKS: dict[str, Predicate] = {
    "NULL": lambda found: found is None,
    "TRUE": lambda found: found is True,
    "FALSE": lambda found: found is False,
}

# --- selectors ----------------------------------------------------------------------------


def _getter(selector: Selector) -> Callable[[Any], Any]:
    """For a selector without wildcards: the value it reaches, or MISSING."""
    steps = selector.steps
    if len(steps) == 1 and isinstance(steps[0], Key):
        key = steps[0].name
        return lambda record: record.get(key, MISSING)  # a record is always a dict
    if len(steps) == 2 and isinstance(steps[0], Key) and isinstance(steps[1], Key):
        outer, inner = steps[0].name, steps[1].name

        def get_nested(record: Any) -> Any:
            found = record.get(outer)
            return found.get(inner, MISSING) if isinstance(found, dict) else MISSING

        return get_nested
    plan = [
        (isinstance(step, Key), step.name if isinstance(step, Key) else step.n) for step in steps
    ]  # type: ignore[union-attr]

    def get(record: Any) -> Any:
        value = record
        for is_key, part in plan:
            if is_key:
                if not isinstance(value, dict):
                    return MISSING
                value = value.get(part, MISSING)
                if value is MISSING:
                    return MISSING
            elif isinstance(value, list) and part < len(value):
                value = value[part]
            else:
                return MISSING
        return value

    return get


def _resolver(selector: Selector) -> Callable[[Any], list[Any]]:
    """For a selector with wildcards: every value it reaches (an empty list for none)."""
    steps = selector.steps

    def resolve(record: Any) -> list[Any]:
        values = [record]
        for step in steps:
            reached: list[Any] = []
            for value in values:
                if isinstance(step, Key):
                    if isinstance(value, dict) and step.name in value:
                        reached.append(value[step.name])
                elif isinstance(step, Index):
                    if isinstance(value, list) and step.n < len(value):
                        reached.append(value[step.n])
                elif isinstance(step, AnyIndex):
                    if isinstance(value, list):
                        reached.extend(value)
                elif isinstance(step, AnyKey) and isinstance(value, dict):
                    reached.extend(value.values())
            if not reached:
                return reached
            values = reached
        return values

    return resolve
