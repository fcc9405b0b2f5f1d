"""The checked rules cache: a hit skips YAML and the schema, anything doubtful is a miss."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from engine.rules import RuleFileError, load_rules, loader
from engine.rules import cache as rules_cache
from engine.rules.yamldoc import read_yaml

ROOT = Path(__file__).resolve().parent.parent
DEFAULT = ROOT / "rules.yaml"
CIS = ROOT / "rules" / "cis-aws-foundations.yaml"


@pytest.fixture(autouse=True)
def fresh_memo() -> Iterator[None]:
    rules_cache._entries.cache_clear()
    rules_cache._inputs_digest.cache_clear()
    yield
    rules_cache._entries.cache_clear()
    rules_cache._inputs_digest.cache_clear()


@pytest.fixture
def rule_files(tmp_path: Path) -> list[Path]:
    """Copies of the bundled rule files, with the test records they refer to."""
    shutil.copy(DEFAULT, tmp_path / "rules.yaml")
    (tmp_path / "rules").mkdir()
    shutil.copy(CIS, tmp_path / "rules" / "cis.yaml")
    shutil.copytree(ROOT / "tests" / "data", tmp_path / "tests" / "data")
    (tmp_path / "rules" / "tests").symlink_to(tmp_path / "tests")
    return [tmp_path / "rules.yaml", tmp_path / "rules" / "cis.yaml"]


@pytest.fixture
def cache_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "rules.cache.json"
    monkeypatch.setenv(rules_cache.ENVIRONMENT, str(path))
    return path


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The files the loader parsed and schema-checked itself (cache misses)."""
    parsed: list[str] = []
    real_read_yaml = loader.read_yaml

    def counting_read_yaml(file: str, text: str):  # type: ignore[no-untyped-def]
        parsed.append(Path(file).name)
        return real_read_yaml(file, text)

    monkeypatch.setattr(loader, "read_yaml", counting_read_yaml)
    return parsed


def summary(paths: list[Path]) -> list[tuple[object, ...]]:
    ruleset = load_rules(paths)
    return [
        (r.id, r.filter_text, r.when_text, r.channels, r.severity, r.location, r.tests)
        for r in ruleset.rules
    ] + [(i.name, i.filter_text, i.location) for i in ruleset.ignores]


def test_a_hit_gives_the_same_rule_set_without_parsing(
    rule_files: list[Path], cache_path: Path, reads: list[str]
) -> None:
    without = summary(rule_files)
    assert reads == ["rules.yaml", "cis.yaml"]
    assert rules_cache.build_cache(rule_files, cache_path) == 2
    reads.clear()
    assert summary(rule_files) == without
    assert reads == []


def test_a_cached_document_equals_the_parsed_one(rule_files: list[Path], cache_path: Path) -> None:
    rules_cache.build_cache(rule_files, cache_path)
    for path in rule_files:
        text = path.read_text(encoding="utf-8")
        parsed, problems = read_yaml(str(path), text)
        cached = rules_cache.lookup(str(path), text)
        assert problems == []
        assert cached is not None
        assert cached.data == parsed.data
        assert cached.positions == parsed.positions
        assert cached.key_positions == parsed.key_positions


def test_an_edited_rule_file_is_read_and_checked_again(
    rule_files: list[Path], cache_path: Path, reads: list[str]
) -> None:
    rules_cache.build_cache(rule_files, cache_path)
    text = rule_files[0].read_text(encoding="utf-8")
    rule_files[0].write_text(text.replace("severity: high", "severity: nope", 1), encoding="utf-8")
    with pytest.raises(RuleFileError, match="nope"):
        load_rules(rule_files)
    assert reads == ["rules.yaml"]


def _tamper(cache_path: Path, change) -> None:  # type: ignore[no-untyped-def]
    content = json.loads(cache_path.read_text(encoding="utf-8"))
    for entry in content["entries"].values():
        change(entry)
    cache_path.write_text(json.dumps(content), encoding="utf-8")
    rules_cache._entries.cache_clear()


def _disable_first_rule(entry: dict) -> None:  # type: ignore[type-arg]
    rules = entry["body"]["data"].get("rules") or []
    if rules:
        rules[0]["enabled"] = False


@pytest.mark.parametrize(
    "change",
    [
        _disable_first_rule,  # the data changed, the digest kept: a forgery or a bad edit
        lambda entry: entry.update(digest="0" * 64),
        lambda entry: entry.pop("body"),
        lambda entry: entry["body"].update(positions=[["not", "a", "row"]]),
    ],
)
def test_a_tampered_entry_is_not_trusted(
    rule_files: list[Path], cache_path: Path, reads: list[str], change
) -> None:  # type: ignore[no-untyped-def]
    without = summary(rule_files)
    rules_cache.build_cache(rule_files, cache_path)
    _tamper(cache_path, change)
    reads.clear()
    assert summary(rule_files) == without
    assert reads == ["rules.yaml", "cis.yaml"]


@pytest.mark.parametrize(
    "content", ["", "not json", "[]", '{"format": 999, "entries": {}}', '{"format": 1}']
)
def test_an_unreadable_cache_file_is_a_miss(
    rule_files: list[Path], cache_path: Path, reads: list[str], content: str
) -> None:
    cache_path.write_text(content, encoding="utf-8")
    load_rules(rule_files)
    assert reads == ["rules.yaml", "cis.yaml"]


def test_a_changed_schema_invalidates_every_entry(
    rule_files: list[Path], cache_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rules_cache.build_cache(rule_files, cache_path)
    text = rule_files[0].read_text(encoding="utf-8")
    assert rules_cache.lookup(str(rule_files[0]), text) is not None
    schema = tmp_path / "schema.json"
    schema.write_text(
        Path(rules_cache.schema_module.SCHEMA_PATH).read_text("utf-8") + "\n", "utf-8"
    )
    monkeypatch.setattr(rules_cache.schema_module, "SCHEMA_PATH", str(schema))
    rules_cache._inputs_digest.cache_clear()
    assert rules_cache.lookup(str(rule_files[0]), text) is None


def test_an_empty_setting_turns_the_cache_off(
    rule_files: list[Path], cache_path: Path, reads: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    rules_cache.build_cache(rule_files, cache_path)
    monkeypatch.setenv(rules_cache.ENVIRONMENT, "")
    load_rules(rule_files)
    assert reads == ["rules.yaml", "cis.yaml"]


def test_an_invalid_rule_file_is_never_cached(tmp_path: Path, cache_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: 1\nrules:\n  - id: x\n    title: x\n    colour: red\n", "utf-8")
    with pytest.raises(RuleFileError, match="colour"):
        rules_cache.build_cache([bad], cache_path)
    assert not cache_path.exists()


def test_problems_across_cached_files_are_still_found_and_placed(
    tmp_path: Path, cache_path: Path
) -> None:
    first, second = tmp_path / "a.yaml", tmp_path / "b.yaml"
    rule = "version: 1\nrules:\n  - id: same\n    title: t\n    filter: '{ $.eventName = X }'\n"
    first.write_text(rule, encoding="utf-8")
    second.write_text("# another file\n" + rule, encoding="utf-8")
    with pytest.raises(RuleFileError) as uncached:
        load_rules([first, second])
    rules_cache.build_cache([first, second], cache_path)
    with pytest.raises(RuleFileError) as cached:
        load_rules([first, second])
    assert [str(p) for p in cached.value.problems] == [str(p) for p in uncached.value.problems]
    assert "duplicate rule id 'same'" in str(cached.value.problems[0])
