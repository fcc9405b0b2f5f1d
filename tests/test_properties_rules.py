"""Property tests: no rule file, however broken, makes load_rules raise anything but
RuleFileError, and every problem it reports names a place in the file.

Three kinds of generated files: rule-shaped data with values of any type (dumped as YAML), raw
YAML text assembled from the language's trickier fragments (tags, anchors, complex keys, flow
collections), and the bundled rules.yaml with random lines cut or changed.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.rules import RuleFileError, RuleSet, load_rules

ROOT = Path(__file__).parent.parent
BUNDLED = (ROOT / "rules.yaml").read_text(encoding="utf-8")
PLACE = re.compile(r"^.+:\d+:\d+: \S")

TOP_KEYS = ["version", "defaults", "channels", "accounts", "ignore", "formats", "rules", "x"]
RULE_KEYS = [
    "id", "title", "description", "severity", "filter", "when", "unless", "accounts", "channel",
    "mention", "format", "enabled", "tests", "name",
]  # fmt: skip
TEST_KEYS = ["name", "record", "file", "expect", "channels", "contains", "not_contains"]
# Values that are each valid somewhere, so that documents get past the schema now and then.
GOOD = [
    1, "r1", "#sec", "C0123456789", "sec", "high", "standard", "compact", "UTC", "Europe/Paris",
    "<!here>", "111122223333", "prod", "alert", "no-alert", True,
    '{ $.eventName = "Delete*" }', "{ $.a = %a*b% }", "eventName == 'X'", "length(@) > `0`",
    "{{ eventName }}", "rules.yaml", "tests/data/records",
]  # fmt: skip
BAD = [
    None, 0, -1, 2**70, 1.5, float("inf"), "", " ", "{", "{ $.a = }", "[?", "`", "a" * 300,
    "\x00", "\ud800", "Mars/Olympus", "../../etc/passwd", "<!channel>", "#UPPER", [], {},
]  # fmt: skip
scalars = st.sampled_from(GOOD + BAD) | st.text(max_size=12) | st.integers()


def objects(keys: list[str], inner: st.SearchStrategy[Any]) -> st.SearchStrategy[dict]:
    return st.dictionaries(st.sampled_from(keys) | st.text(max_size=4), inner, max_size=6)


values = st.recursive(
    scalars, lambda inner: st.lists(inner, max_size=3) | objects(TOP_KEYS, inner), max_leaves=10
)
tests = st.lists(objects(TEST_KEYS, values | objects(["eventName", "a"], values)), max_size=2)
rules = st.lists(objects(RULE_KEYS, values | tests), max_size=3)
documents = st.fixed_dictionaries(
    {},
    optional={
        "version": st.just(1) | values,
        "defaults": objects(["channel", "severity", "format", "timezone"], values) | values,
        "channels": st.dictionaries(st.sampled_from(["sec", "Sec", "a b"]), values) | values,
        "accounts": st.dictionaries(
            st.sampled_from(["111122223333", "1", "x"]), objects(["name", "channel"], values)
        )
        | values,
        "ignore": st.lists(objects(["name", "filter", "when", "description"], values)),
        "formats": st.dictionaries(
            st.sampled_from(["mine", "standard", "X"]),
            objects(["text", "blocks", "attachments"], values),
        )
        | values,
        "rules": rules | values,
        "extra": values,
    },
)

FRAGMENTS = [
    "version: 1\n", "rules:\n", "  - id: r1\n", "    title: T\n", "    filter: '{ $.a = 1 }'\n",
    "    when: \"a == 'b'\"\n", "    channel: '#x'\n", "ignore:\n", "- ", "  ", "? ", ": ",
    "!!int abc", "!!float x", "!!bool maybe", "!!timestamp 2020-13-45", "!!binary '@@'",
    "!!set {a}", "!!omap [a]", "!!python/name:os.system x", "!custom x", "&a [1, *a]",
    "&b x", "*b", "*nope", "{[1]: 2}", "{? {? [1]: 2}: 3}", "[a, [b]]: 1", "'", '"', "\\",
    "|\n  text\n", ">-\n", "---\n", "...\n", "%YAML 1.1\n", "#c\n", "\t", "\x00", "\ud800",
    "\ufeff", "<<: *b\n", "<<: {a: 1}\n", "123: x\n", "null: ~\n", "1e999\n", "0o17",
    "0x_1", "2001-12-14t21:59:43.10-05:00", "\n",
]  # fmt: skip


@st.composite
def mutated_bundled(draw: st.DrawFn) -> str:
    lines = BUNDLED.splitlines(keepends=True)
    for _ in range(draw(st.integers(1, 4))):
        if not lines:
            break
        i = draw(st.integers(0, len(lines) - 1))
        action = draw(st.sampled_from(["drop", "replace", "insert", "indent"]))
        if action == "drop":
            del lines[i]
        elif action == "replace":
            line = lines[i]
            at = draw(st.integers(0, len(line)))
            lines[i] = line[:at] + draw(st.sampled_from(FRAGMENTS)) + line[at + 1 :]
        elif action == "insert":
            lines.insert(i, draw(st.sampled_from(FRAGMENTS)))
        else:
            lines[i] = " " + lines[i]
    return "".join(lines)


yaml_text = st.one_of(
    documents.map(lambda d: yaml.safe_dump(d, allow_unicode=True)),
    st.lists(st.sampled_from(FRAGMENTS), max_size=20).map("".join),
    st.text(max_size=80),
    mutated_bundled(),
)


def load_text(directory: Path, text: str) -> RuleSet:
    path = directory / "rules.yaml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    return load_rules([path])


@settings(
    max_examples=400,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(yaml_text)
def test_any_rule_file_loads_or_raises_rule_file_error(tmp_path: Path, text: str) -> None:
    try:
        ruleset = load_text(tmp_path, text)
    except RuleFileError as error:
        assert error.problems
        for problem in error.problems:
            assert PLACE.match(str(problem)), str(problem)
            assert len(str(problem).splitlines()) == 1 and "Traceback" not in str(problem)
        return
    # A file that loads is usable: matching an ordinary record works.
    assert isinstance(ruleset.match({"eventName": "DeleteTrail", "a": 1}, []), list)


# Crashes the fuzzing found, kept as regressions (each used to raise ValueError, KeyError or
# yaml's ConstructorError out of load_rules: an explicit tag on the wrong text, an unhashable
# complex key, an unknown tag).
FOUND = [
    "version: !!int abc\n",
    "version: !!float abc\n",
    "version: !!bool maybe\n",
    "version: !!timestamp 2020-13-45\n",
    "version: !!python/name:os.system x\n",
    "? {? [1]: 2}: 3\n",
    "? [a, [b]]: 1\n",
    "version: 1\nrules:\n  - id: r1\n    title: !!int x\n    filter: '{ $.a = 1 }'\n",
    "!0",
    "---\n",  # a document holding null used to raise RuleFileError with no problem at all
    "~\n",
    "defaults:\n  ? '\n\n    '\n  : []\n",  # a key with a line break broke one-problem-a-line
]


def test_crashes_found_by_fuzzing_are_problems(tmp_path: Path) -> None:
    for text in FOUND:
        try:
            load_text(tmp_path, text)
        except RuleFileError as error:
            assert error.problems
            for problem in error.problems:
                assert PLACE.match(str(problem)) and len(str(problem).splitlines()) == 1
        else:
            raise AssertionError(f"{text!r} loaded")
