"""Property tests for filter patterns, beyond tests/test_filterpattern.py.

That file's generators use three plain fields, `=`/`!=` on strings and two checks. Here trees
use every kind of step (odd bracketed keys, indexes, `[*]`, `.*`), every operator, numbers,
regexes and every check, up to AWS's per-pattern limits; records hold any JSON value. Three
properties:

* printing a tree and parsing the text gives the same tree, and minifying keeps it;
* the compiled pattern agrees with a small reference evaluator written from the semantics
  table in reference/filter-patterns.md (the printed and minified texts too);
* any text, random or assembled from the language's own tokens, either parses or raises
  FilterPatternError with a column inside the text; never anything else.
"""

from __future__ import annotations

import re
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.filterpattern import (
    And,
    AnyIndex,
    AnyKey,
    Check,
    Comparison,
    FilterPatternError,
    Index,
    Key,
    Node,
    NumberValue,
    Or,
    Pattern,
    RegexValue,
    Selector,
    StringValue,
    minify,
    parse,
    to_text,
)
from engine.filterpattern.regex import parse_regex, python_source

# Keys records and selectors share, so that selectors often reach something. Odd ones must be
# written `.['…']`; plain ones as `.name`.
KEYS = ["a", "b", "eventName", "x-y_1", "c.d", "sp ace", "é", "q'uote", '"', "0", "[*]", "$"]
STRINGS = ["", "A", "AB", "BA", "a b", "*", "**", "A*", "*B", "*A*", "A*B", "1", "true", "null"]

# --- trees -----------------------------------------------------------------------------------

_REGEX_ATOMS = ["a", "b", ".", "[ab]", "[^a]", "[a-c]", "\\d", "\\s", "\\w", "\\.", "\\x41", "-"]
_REGEX_QUANTS = ["", "", "*", "+", "?", "{2}", "{1,3}", "{0,2}", "{2,}", "*?"]


@st.composite
def regexes(draw: st.DrawFn) -> str:
    alternatives = []
    for _ in range(draw(st.integers(1, 3))):
        items = ["^"] if draw(st.booleans()) else []
        for _ in range(draw(st.integers(1, 4))):
            items.append(draw(st.sampled_from(_REGEX_ATOMS)) + draw(st.sampled_from(_REGEX_QUANTS)))
        if draw(st.booleans()):
            items.append("$")
        alternatives.append("".join(items))
    return "|".join(alternatives)


numbers = st.one_of(
    st.integers(-(10**20), 10**20).map(str),
    st.floats(allow_nan=False, allow_infinity=False, width=32).map(repr),
    st.sampled_from(["+1", "-0", "1e-3", "5e+1", ".5", "5.", "1E3", "007", "-2.50"]),
)
strings = st.one_of(st.sampled_from(STRINGS), st.text(max_size=8))


@st.composite
def selectors(draw: st.DrawFn, budget: list[int]) -> Selector:
    """A selector with at most one wildcard, taking wildcards from the pattern's `budget`."""
    steps: list[Any] = [Key(draw(st.sampled_from(KEYS)))]
    wildcard = False
    for _ in range(draw(st.integers(0, 3))):
        kind = draw(st.sampled_from(["key", "key", "index", "any-index", "any-key"]))
        if kind in ("any-index", "any-key") and (wildcard or budget[0] == 0):
            kind = "key"
        if kind == "key":
            steps.append(Key(draw(st.sampled_from(KEYS))))
        elif kind == "index":
            steps.append(Index(draw(st.integers(0, 2))))
        else:
            wildcard = True
            budget[0] -= 1
            steps.append(AnyIndex() if kind == "any-index" else AnyKey())
    return Selector(tuple(steps))


@st.composite
def leaves(draw: st.DrawFn, budget: list[int]) -> Node:
    selector = draw(selectors(budget))
    kind = draw(st.sampled_from(["string", "string", "number", "relational", "regex", "check"]))
    if kind == "check":
        return Check(selector, draw(st.sampled_from(["NULL", "TRUE", "FALSE", "NOT EXISTS"])))
    op = draw(st.sampled_from(["=", "!="]))
    if kind == "string":
        return Comparison(selector, op, StringValue(draw(strings)))
    if kind == "regex" and budget[1] > 0:
        budget[1] -= 1
        return Comparison(selector, op, RegexValue(draw(regexes())))
    if kind == "relational":
        op = draw(st.sampled_from(["<", ">", "<=", ">=", "=", "!="]))
    return Comparison(selector, op, NumberValue(draw(numbers)))


@st.composite
def trees(draw: st.DrawFn, depth: int = 0, budget: list[int] | None = None) -> Node:
    """A tree within AWS's limits: [wildcards left (3), regexes left (2)] is shared."""
    budget = [3, 2] if budget is None else budget
    if depth >= 3 or draw(st.integers(0, 2)) == 0:
        return draw(leaves(budget))
    kind = draw(st.sampled_from([And, Or]))
    terms: list[Node] = []
    for _ in range(draw(st.integers(2, 3))):
        term = draw(trees(depth + 1, budget))
        # The parser flattens `(a && b) && c`; so does the canonical tree.
        terms.extend(term.terms if isinstance(term, kind) else (term,))
    return kind(tuple(terms))


# --- records ---------------------------------------------------------------------------------

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**20), 10**20),
    st.floats(allow_nan=False),
    st.sampled_from(STRINGS),
    st.text(alphabet="ab1. \n-AB*", max_size=6),
)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(KEYS), inner, max_size=4)
    ),
    max_leaves=12,
)
records = st.dictionaries(st.sampled_from(KEYS), json_values, max_size=6)


# --- a reference evaluator, straight from the semantics table ---------------------------------


def reached(selector: Selector, record: Any) -> list[Any]:
    values = [record]
    for step in selector.steps:
        following: list[Any] = []
        for value in values:
            if isinstance(step, Key) and isinstance(value, dict) and step.name in value:
                following.append(value[step.name])
            elif isinstance(step, Index) and isinstance(value, list) and step.n < len(value):
                following.append(value[step.n])
            elif isinstance(step, AnyIndex) and isinstance(value, list):
                following.extend(value)
            elif isinstance(step, AnyKey) and isinstance(value, dict):
                following.extend(value.values())
        values = following
    return values


def is_number(value: Any) -> bool:
    return type(value) in (int, float)


def equals(value: Any, expected: Any) -> bool:
    if isinstance(expected, NumberValue):
        return is_number(value) and value == expected.number
    if isinstance(expected, RegexValue):
        source = python_source(parse_regex(expected.source))
        return isinstance(value, str) and re.search(source, value, re.ASCII) is not None
    text = expected.text
    if text == "*":
        return isinstance(value, str) or is_number(value)
    if not isinstance(value, str):
        return False
    if len(text) >= 2 and text.startswith("*") and text.endswith("*"):
        return text[1:-1] in value
    if text.startswith("*"):
        return value.endswith(text[1:])
    if text.endswith("*"):
        return value.startswith(text[:-1])
    return value == text


def holds(node: Node, record: Any) -> bool:
    if isinstance(node, And):
        return all(holds(term, record) for term in node.terms)
    if isinstance(node, Or):
        return any(holds(term, record) for term in node.terms)
    values = reached(node.selector, record)
    if isinstance(node, Check):
        if node.kind == "NOT EXISTS":
            return not values
        literal = {"NULL": None, "TRUE": True, "FALSE": False}[node.kind]
        return any(value is literal for value in values)
    op, expected = node.op, node.value
    if op == "=":
        return any(equals(value, expected) for value in values)
    if op == "!=":
        scalar = [v for v in values if isinstance(v, str) or is_number(v)]
        return any(not equals(value, expected) for value in scalar)
    number = expected.number  # type: ignore[union-attr]
    compare = {
        "<": number.__gt__,
        ">": number.__lt__,
        "<=": number.__ge__,
        ">=": number.__le__,
    }[op]
    return any(is_number(v) and compare(v) is True for v in values)


# --- properties ------------------------------------------------------------------------------


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(trees(), st.lists(records, min_size=1, max_size=6))
def test_print_parse_round_trip_and_evaluation_agree(node: Node, sample: list[dict]) -> None:
    text = to_text(node)
    parsed = parse(text)
    assert parsed.node == node
    assert parsed.canonical() == text
    small = parse(minify(text))
    assert small.node == node
    direct = Pattern("", node)
    for record in sample:
        expected = holds(node, record)
        assert direct.matches(record) is expected, (text, record)
        assert parsed.matches(record) is expected
        assert small.matches(record) is expected


# Fragments of the language, so that random concatenations get deep into the parser.
FRAGMENTS = [
    "{", "}", "(", ")", " ", "\n", "$", ".", "$.a", "$.b.c", "[0]", "[*]", ".*", ".['x y']",
    ".['", "']", "[", "]", "=", "!=", "<", ">", "<=", ">=", "==", "!", "&&", "||", "&", "|",
    "IS", "NULL", "TRUE", "FALSE", "NOT", "EXISTS", "is", "null", '"', '"a b"', '\\"', "\\",
    "%", "%a*b%", "%(x)%", "%[%", "%\\%", "%a{2,1}%", "%a{99999}%", "1", "-1.5e3", "1e999",
    "*", "Get*", "é", "\x00", "\ud800",
]  # fmt: skip
pattern_text = st.one_of(
    st.text(max_size=60),
    st.lists(st.sampled_from(FRAGMENTS), max_size=25).map("".join),
    trees()
    .map(to_text)
    .flatmap(
        lambda text: st.integers(0, len(text)).map(lambda cut: text[:cut])
    ),  # every prefix of a valid pattern: where an unfinished edit stops
)


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pattern_text, records)
def test_any_text_parses_or_raises_filter_pattern_error(text: str, record: dict) -> None:
    try:
        pattern = parse(text)
    except FilterPatternError as error:
        assert 1 <= error.column <= len(text) + 1
        assert error.message and "\n" not in str(error)
        return
    assert isinstance(pattern.matches(record), bool)
    if pattern.node is not None:
        assert parse(pattern.canonical()).node == pattern.node
        assert parse(minify(text)).node == pattern.node


def test_a_space_in_a_regex_class_prints_as_a_valid_pattern() -> None:
    # Found by fuzzing: the printer wrote every space as `\s`, which made `[ -$]` (a range from
    # space to `$`) the invalid `[\s-$]`, so canonical() raised on a pattern that had parsed.
    pattern = parse("{ $.* = %11].q=[ -$9,21{]+}% }")
    canonical = parse(pattern.canonical())
    assert canonical.canonical() == pattern.canonical()
    printed = parse("{ $.a = %[ -$]x y% }").canonical()
    assert printed == "{ ($.a = %[\\x20-$]x\\sy%) }"
    for text in ["# x y", "# x\ty", "% x y", "\t x y"]:
        # `\x20` keeps the class exact; `\s` outside a class may only add matches.
        expected = parse("{ $.a = %[ -$]x y% }").matches({"a": text})
        assert parse(printed).matches({"a": text}) is (expected or text == "# x\ty")
