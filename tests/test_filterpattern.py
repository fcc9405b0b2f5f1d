"""The filter-pattern engine beyond the shared vectors: errors, printing, minifying, limits,
the decided semantics (tests/data/filterpattern/*.json), the regex engine, and analysis."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.filterpattern import (
    MAX_PATTERN_LENGTH,
    And,
    AnyIndex,
    Check,
    Comparison,
    FilterPatternError,
    Index,
    Key,
    NumberValue,
    Or,
    RegexValue,
    Selector,
    StringValue,
    check_limits,
    minify,
    parse,
    to_text,
)
from engine.filterpattern.analysis import LiteralConstraint, literal_constraints
from engine.filterpattern.regex import LinearMatcher, compile_regex, parse_regex, python_source

DATA = Path(__file__).parent / "data"
VECTORS = json.loads((DATA / "filter-pattern-vectors.json").read_text())
SEMANTICS = json.loads((DATA / "filterpattern" / "semantics.json").read_text())["cases"]
ERRORS = json.loads((DATA / "filterpattern" / "errors.json").read_text())["cases"]
VECTOR_PATTERNS = sorted({vector["pattern"] for vector in VECTORS["vectors"]})


# --- semantics and errors from the fixture files ------------------------------------------


@pytest.mark.parametrize("case", SEMANTICS, ids=[case["why"] for case in SEMANTICS])
def test_semantics(case: dict) -> None:
    assert parse(case["pattern"]).matches(case["record"]) is case["match"]


@pytest.mark.parametrize("case", ERRORS, ids=[case["pattern"] for case in ERRORS])
def test_error_column_and_message(case: dict) -> None:
    with pytest.raises(FilterPatternError) as caught:
        parse(case["pattern"])
    error = caught.value
    assert case["message"] in error.message
    assert error.column == case["column"]
    assert error.position == case["column"] - 1
    assert error.pattern == case["pattern"]
    assert str(error) == f"{error.message} at column {case['column']}"
    assert "\n" not in error.message


def test_pretty_puts_a_caret_under_the_column() -> None:
    with pytest.raises(FilterPatternError) as caught:
        parse('{ $.eventName == "x" }')
    assert caught.value.pretty().splitlines() == [
        "'==' is not an operator: write '='",
        '{ $.eventName == "x" }',
        "               ^",
    ]


def test_pretty_shows_only_the_faulty_line_of_a_multiline_pattern() -> None:
    text = '{\n\t$.eventName = "x" &&\n  $.errorCode IS MISSING\n}'
    with pytest.raises(FilterPatternError) as caught:
        parse(text)
    _, line, caret = caught.value.pretty().split("\n")
    assert line == "  $.errorCode IS MISSING"
    assert caret == "                 ^"
    assert caught.value.column == text.index("MISSING") + 1


def test_an_error_at_the_end_points_just_past_it() -> None:
    with pytest.raises(FilterPatternError) as caught:
        parse('{ $.a = "x"')
    assert caught.value.position == len('{ $.a = "x"')
    assert caught.value.pretty().splitlines()[2] == " " * 11 + "^"


def test_non_json_patterns_are_refused_saying_why() -> None:
    for text in ('"Failed authentication"', "[ip, user, status=4*]", "ERROR -DEBUG"):
        with pytest.raises(FilterPatternError, match="only JSON filter patterns"):
            parse(text)


# --- empty pattern, records that are not objects ------------------------------------------


@pytest.mark.parametrize("text", ["", "   ", "\n\t "])
def test_the_empty_pattern_matches_everything(text: str) -> None:
    pattern = parse(text)
    assert pattern.node is None
    assert pattern.canonical() == ""
    assert all(pattern.matches(record) for record in ({}, {"a": 1}, [], "text", None))


@pytest.mark.parametrize("record", [[{"a": "x"}], "x", 1, None, True])
def test_a_record_that_is_not_an_object_never_matches(record: object) -> None:
    assert not parse('{ $.a = "x" || $.a NOT EXISTS }').matches(record)


# --- whitespace, brackets, numbers --------------------------------------------------------


def test_whitespace_and_newlines_between_tokens_are_optional() -> None:
    spaced = (
        "{\n  ( $.eventName = ConsoleLogin )\n\t&&\r\n"
        '  ( $.errorMessage = "Failed authentication" )\n}'
    )
    tight = '{($.eventName=ConsoleLogin)&&($.errorMessage="Failed authentication")}'
    assert parse(spaced).node == parse(tight).node
    assert parse(spaced).matches(
        {"eventName": "ConsoleLogin", "errorMessage": "Failed authentication"}
    )


def test_whitespace_inside_a_quoted_string_is_part_of_the_value() -> None:
    pattern = parse('{ $.m = " padded  " }')
    assert pattern.node.value.text == " padded  "
    assert pattern.matches({"m": " padded  "})
    assert not pattern.matches({"m": "padded"})


def test_bracketed_keys() -> None:
    node = parse("{ $.['cluster.name'].['x y'][2].z = 1 }").node
    assert node.selector.steps == (Key("cluster.name"), Key("x y"), Index(2), Key("z"))
    assert to_text(node) == "{ ($.['cluster.name'].['x y'][2].z = 1) }"
    # A plain name in brackets prints without them: same key, same tree.
    assert to_text(parse("{ $.['eventName'] = x }").node) == '{ ($.eventName = "x") }'


@pytest.mark.parametrize(
    ("text", "number"),
    [("1e-3", 0.001), ("+1000", 1000), ("5e+1", 50.0), ("-2.5E2", -250.0), ("7", 7), (".5", 0.5)],
)
def test_numbers(text: str, number: float) -> None:
    value = parse(f"{{ $.n = {text} }}").node.value
    assert value == NumberValue(text)
    assert value.number == number
    assert to_text(parse(f"{{ $.n >= {text} }}").node) == f"{{ ($.n >= {text}) }}"


def test_bare_words_that_only_look_numeric_are_strings() -> None:
    assert parse("{ $.ip = 123.123.* }").node.value == StringValue("123.123.*")
    assert parse("{ $.v = 1.2.3 }").node.value == StringValue("1.2.3")
    assert parse('{ $.v = "42" }').node.value == StringValue("42")


# --- limits --------------------------------------------------------------------------------


def test_check_limits_allows_1024_characters_and_refuses_1025() -> None:
    assert MAX_PATTERN_LENGTH == 1024
    base = '{ $.a = "" }'
    check_limits(base[:-3] + "x" * (1024 - len(base)) + base[-3:])
    too_long = base[:-3] + "x" * (1025 - len(base)) + base[-3:]
    parse(too_long)  # the length is a compile limit, not a grammar rule
    with pytest.raises(FilterPatternError, match="1025 characters") as caught:
        check_limits(too_long)
    assert caught.value.column == 1025


def test_two_regexes_and_three_wildcards_are_allowed() -> None:
    parse("{ $.a = %x% && $.b = %y% }")
    parse("{ $.* = 1 || $.a[*] = 1 || $.b.* = 1 }")


# --- printer and minify --------------------------------------------------------------------


@pytest.mark.parametrize("text", VECTOR_PATTERNS)
def test_printing_then_parsing_gives_the_same_tree(text: str) -> None:
    pattern = parse(text)
    printed = pattern.canonical()
    assert parse(printed).node == pattern.node
    assert parse(printed).canonical() == printed  # canonical is a fixed point


@pytest.mark.parametrize("text", VECTOR_PATTERNS)
def test_minify_keeps_the_meaning_of_every_vector(text: str) -> None:
    small = minify(text)
    assert parse(small).node == parse(text).node
    assert len(small) <= len(text)


def test_canonical_form() -> None:
    pattern = parse('{ $.a = x || $.b = "q\\"" && ($.c != 1 || $.d NOT EXISTS) || $.e IS NULL }')
    assert pattern.canonical() == (
        '{ ($.a = "x") || (($.b = "q\\"") && (($.c != 1) || ($.d NOT EXISTS))) || ($.e IS NULL) }'
    )


def test_minify_never_touches_quoted_strings_or_regexes() -> None:
    # Seed defect 2: squeezing out every space broke "Failed authentication".
    text = '{ ($.eventName = ConsoleLogin) && ($.errorMessage = "Failed authentication") }'
    assert minify(text) == '{($.eventName=ConsoleLogin)&&($.errorMessage="Failed authentication")}'
    record = next(r for r in [VECTORS["events"]["CT_FAIL"]])
    assert parse(minify(text)).matches(record)
    regex = '{ $.a = %a b\\s+c% && $.k IS NULL && $.z NOT EXISTS && $.q = " x \\" y " }'
    assert minify(regex) == '{$.a=%a b\\s+c%&&$.k IS NULL&&$.z NOT EXISTS&&$.q=" x \\" y "}'
    assert parse(minify(regex)).node == parse(regex).node


def test_minify_of_the_empty_pattern() -> None:
    assert minify("  \n") == ""


def test_to_text_builds_patterns_from_trees() -> None:
    event = Selector((Key("eventName"),))
    node = And(
        (
            Or((Comparison(event, "=", StringValue("Delete*")), Check(event, "NOT EXISTS"))),
            Comparison(Selector((Key("a"), AnyIndex())), "=", RegexValue("^x y$")),
        )
    )
    text = to_text(node)
    assert (
        text
        == '{ (($.eventName = "Delete*") || ($.eventName NOT EXISTS)) && ($.a[*] = %^x\\sy$%) }'
    )
    assert parse(text).matches({"eventName": "DeleteTrail", "a": ["x\ty"]})


@pytest.mark.parametrize(
    "node",
    [
        Comparison(Selector((Key("it's ']"),)), "=", StringValue("x")),
        Comparison(Selector((Key("a"),)), "=", RegexValue("(x)")),
        Comparison(Selector(()), "=", StringValue("x")),
        And((Check(Selector((Key("a"),)), "NULL"),)),
    ],
)
def test_to_text_refuses_trees_it_cannot_write(node: object) -> None:
    with pytest.raises(ValueError):
        to_text(node)


# --- the regex engine ----------------------------------------------------------------------


@pytest.mark.parametrize("source", ["a*a*a*a*b", ".*.*.*x", "[ab]*a?a?a?a?b$", "(?:x)|a{0,1000}b"])
def test_nasty_regexes_on_100_kb_finish(source: str) -> None:
    # Python's re would backtrack for hours on these (a*a*b alone takes minutes on 10 KB);
    # long strings go to the linear-time matcher instead. Completing is the assertion.
    if "(" in source:
        with pytest.raises(FilterPatternError):
            parse(f"{{ $.a = %{source}% }}")
        return
    pattern = parse(f"{{ $.a = %{source}% }}")
    assert not pattern.matches({"a": "a" * 100_000})


def test_long_strings_still_match_correctly() -> None:
    pattern = parse("{ $.a = %a*a*a*b% }")
    assert pattern.matches({"a": "a" * 100_000 + "b"})
    assert parse("{ $.a = %^x% }").matches({"a": "x" + "y" * 50_000})
    assert not parse("{ $.a = %^y% }").matches({"a": "x" + "y" * 50_000})


_ATOMS = ["a", "b", ".", "[ab]", "[^a]", "\\d", "\\s", "\\w", "x", "\\.", "^", "$"]
_QUANTS = ["", "", "*", "+", "?", "{2}", "{1,3}", "{0,2}", "{2,}", "*?"]


@st.composite
def _regex_sources(draw: st.DrawFn) -> str:
    alternatives = []
    for _ in range(draw(st.integers(1, 3))):
        items = []
        for _ in range(draw(st.integers(1, 5))):
            atom = draw(st.sampled_from(_ATOMS))
            items.append(atom + ("" if atom in "^$" else draw(st.sampled_from(_QUANTS))))
        alternatives.append("".join(items))
    return "|".join(alternatives)


@settings(max_examples=400, deadline=None)
@given(_regex_sources(), st.text(alphabet="ab1x. \n", max_size=12))
def test_linear_matcher_agrees_with_re(source: str, text: str) -> None:
    alternatives = parse_regex(source)
    expected = re.search(python_source(alternatives), text, re.ASCII) is not None
    assert LinearMatcher(alternatives).search(text) is expected
    assert compile_regex(source)(text) is expected


def test_linear_matcher_handles_non_ascii_text() -> None:
    matcher = LinearMatcher(parse_regex("\\xe9|\\w[^a]b|^.\\s$"))
    assert matcher.search("zzé")
    assert matcher.search("xñb")  # [^a] takes a non-ASCII character
    assert not matcher.search("ñcb")  # \w is ASCII only
    assert matcher.search("ñ ")
    assert not matcher.search("ñ\u2003")  # \s is ASCII whitespace only


# --- analysis --------------------------------------------------------------------------------


def _constraints(text: str, fields: tuple[str, ...] | None = None) -> dict:
    return literal_constraints(parse(text).node, fields)


def _lits(*pairs: tuple[str, str]) -> frozenset[LiteralConstraint]:
    return frozenset(LiteralConstraint(kind, text) for kind, text in pairs)


def test_literal_constraints_of_typical_rules() -> None:
    assert _constraints('{ $.eventName = "StopLogging" }') == {
        "eventName": _lits(("exact", "StopLogging"))
    }
    iam = '($.eventSource = "iam.amazonaws.com")'
    assert _constraints(f"{{ {iam} && ($.eventName = Delete* || $.eventName = *Policy) }}") == {
        "eventSource": _lits(("exact", "iam.amazonaws.com")),
        "eventName": _lits(("prefix", "Delete"), ("suffix", "Policy")),
    }
    assert _constraints('{ $.userIdentity.type = "Root" && $.x = *SecurityGroup* }') == {
        "userIdentity.type": _lits(("exact", "Root")),
        "x": _lits(("contains", "SecurityGroup")),
    }


def test_literal_constraints_with_requested_fields() -> None:
    text = '{ $.eventName = "A" || ($.eventName = "B" && $.eventSource = "s") }'
    assert _constraints(text, ("eventName", "eventSource")) == {
        "eventName": _lits(("exact", "A"), ("exact", "B")),
        "eventSource": None,  # the first branch says nothing about it
    }
    assert literal_constraints(None, ("eventName",)) == {"eventName": None}


@pytest.mark.parametrize(
    "text",
    [
        "{ $.eventName != Delete* }",
        "{ $.eventName = * }",
        "{ $.eventName = %^Delete% }",
        "{ $.eventName = 5 }",
        "{ $.eventName NOT EXISTS }",
        "{ $.eventName IS NULL }",
        "{ $.* = StopLogging }",
        "{ $.eventName[*] = x }",
        "{ $.['event.Name'] = x }",
        "{ $.eventName = x || $.errorCode = y }",
    ],
)
def test_literal_constraints_are_absent_when_unsure(text: str) -> None:
    assert _constraints(text) == {} or "eventName" not in _constraints(text)


def test_literal_constraints_of_a_conjunction_on_one_field() -> None:
    assert _constraints("{ $.e = Delete* && $.e = *Trail }") == {"e": _lits(("prefix", "Delete"))}
    assert _constraints("{ $.e = DeleteTrail && $.e = Delete* }") == {
        "e": _lits(("exact", "DeleteTrail"))
    }
    # Contradictory: no record can match, and the empty set of alternatives says so.
    assert _constraints("{ $.e = A && $.e = B }") == {"e": frozenset()}


_FIELDS = ("eventName", "eventSource", "userIdentity.type")
_WORDS = ["", "A", "B", "AB", "BA", "AAB", "*", "A*", "*B", "*A*", "A*B"]


def _selector(path: str) -> Selector:
    return Selector(tuple(Key(name) for name in path.split(".")))


_leaves = st.one_of(
    st.builds(
        Comparison,
        st.sampled_from(_FIELDS).map(_selector),
        st.sampled_from(["=", "!="]),
        st.sampled_from(_WORDS).map(StringValue),
    ),
    st.builds(
        Check, st.sampled_from(_FIELDS).map(_selector), st.sampled_from(["NULL", "NOT EXISTS"])
    ),
    st.builds(
        Comparison, st.sampled_from(_FIELDS).map(_selector), st.just("="), st.just(NumberValue("1"))
    ),
)
_nodes = st.recursive(
    _leaves,
    lambda inner: st.one_of(
        st.lists(inner, min_size=2, max_size=3).map(lambda terms: And(tuple(terms))),
        st.lists(inner, min_size=2, max_size=3).map(lambda terms: Or(tuple(terms))),
    ),
    max_leaves=6,
)
_values = st.one_of(
    st.sampled_from(["A", "B", "AB", "BA", "AAB", "A*B", "", "BB"]), st.none(), st.just(1)
)


@st.composite
def _records(draw: st.DrawFn) -> dict:
    record: dict = {}
    for path in _FIELDS:
        if draw(st.booleans()):
            *parents, last = path.split(".")
            target = record
            for parent in parents:
                target = target.setdefault(parent, {})
            target[last] = draw(_values)
    return record


def _at(record: dict, path: str) -> object:
    value: object = record
    for name in path.split("."):
        value = value.get(name) if isinstance(value, dict) else None
    return value


@settings(max_examples=500, deadline=None)
@given(_nodes, st.lists(_records(), min_size=1, max_size=8))
def test_literal_constraints_hold_for_every_matching_record(node: object, records: list) -> None:
    pattern = parse(to_text(node))  # also: every generated tree prints as a valid pattern
    constraints = literal_constraints(pattern.node)
    for record in records:
        if pattern.matches(record):
            for path, alternatives in constraints.items():
                assert any(alt.satisfied_by(_at(record, path)) for alt in alternatives)


@settings(max_examples=300, deadline=None)
@given(_nodes, _records())
def test_printed_and_minified_trees_match_like_the_tree(node: object, record: dict) -> None:
    expected = parse(to_text(node)).matches(record)
    assert parse(minify(to_text(node))).matches(record) is expected
    assert parse(to_text(parse(to_text(node)).node)).matches(record) is expected


# --- the filter-test command ----------------------------------------------------------------

RECORDS = str(DATA / "filterpattern" / "two-records.jsonl")


def _filter_test(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    from engine.cli import main

    code = main(["filter-test", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_filter_test_all_match(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _filter_test(capsys, '{ $.eventSource = "cloudtrail.*" }', RECORDS)
    assert (code, err) == (0, "")
    assert out.splitlines() == [f"match  {RECORDS}:1", f"match  {RECORDS}:2"]


def test_filter_test_some_do_not_match(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _filter_test(capsys, "{ $.eventName = Delete* }", RECORDS)
    assert code == 1
    assert out.splitlines() == [f"match  {RECORDS}:1", f"no match  {RECORDS}:2"]


def test_filter_test_one_record_prints_a_bare_verdict(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    one = tmp_path / "one.json"
    one.write_text(json.dumps(VECTORS["events"]["CT_FAIL"]))
    text = '{($.eventName=ConsoleLogin)&&($.errorMessage="Failed authentication")}'
    assert _filter_test(capsys, text, str(one)) == (0, "match\n", "")
    assert _filter_test(capsys, "{ $.eventName = x }", str(one)) == (1, "no match\n", "")


def test_filter_test_bad_pattern(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _filter_test(capsys, "{ $.a IS NOT NULL }", RECORDS)
    assert (code, out) == (2, "")
    assert err.splitlines() == [
        "bad filter pattern at column 10: "
        "there is no IS NOT: use NOT EXISTS for absence, or = * for presence",
        "{ $.a IS NOT NULL }",
        "         ^",
    ]


def test_filter_test_pattern_over_aws_length_limit(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _filter_test(capsys, '{ $.a = "' + "x" * 1100 + '" }', RECORDS)
    assert code == 2
    assert "at most 1024" in err


def test_filter_test_bad_input(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    bad = str(DATA / "filterpattern" / "bad-line.jsonl")
    code, out, err = _filter_test(capsys, "{ $.eventName = * }", bad)
    assert code == 2
    assert out.splitlines() == ["match"]
    assert err.startswith(f"{bad}:2:")
    code, out, err = _filter_test(capsys, "{ $.eventName = * }", str(tmp_path / "missing.json"))
    assert (code, out) == (2, "")
    assert "missing.json" in err
