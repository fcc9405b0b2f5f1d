"""Every kind of load error is reported with its place, all of them in one run."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from engine.cli import main
from engine.rules import RuleFileError, load_rules

CASES = yaml.safe_load((Path(__file__).parent / "data/rule-errors/cases.yaml").read_text())


@pytest.mark.parametrize("case", CASES, ids=[case["name"] for case in CASES])
def test_load_error_is_reported_at_its_place(case: dict, tmp_path: Path) -> None:
    rule_file = tmp_path / "rules.yaml"
    rule_file.write_text(case["text"])
    for name, content in case.get("files", {}).items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(content)

    with pytest.raises(RuleFileError) as raised:
        load_rules([rule_file])

    reported = [str(problem) for problem in raised.value.problems]
    assert len(reported) == len(case["expect"]), reported
    for line, expected in zip(reported, case["expect"], strict=True):
        place, fragment = expected.split(": ", 1)
        assert line.startswith(f"{rule_file}:{place}: "), (line, expected)
        assert fragment in line, (line, expected)


def test_validate_prints_every_problem_and_exits_2(tmp_path: Path, capsys) -> None:
    rule_file = tmp_path / "rules.yaml"
    rule_file.write_text(
        next(c for c in CASES if c["name"].startswith("unknown key inside"))["text"]
    )

    assert main(["validate", "--rules", str(rule_file)]) == 2

    err = capsys.readouterr().err.splitlines()
    assert len(err) == 2
    assert all(line.startswith(f"{rule_file}:") for line in err)


def test_validate_reports_a_missing_file_in_one_line(tmp_path: Path, capsys) -> None:
    assert main(["validate", "--rules", str(tmp_path / "nope.yaml")]) == 2
    assert capsys.readouterr().err == f"{tmp_path / 'nope.yaml'}:1:1: no such rule file\n"


def test_problems_across_two_files_are_all_reported(tmp_path: Path) -> None:
    first, second = tmp_path / "a.yaml", tmp_path / "b.yaml"
    rule = "  - id: same\n    title: T\n    filter: '{ $.eventName = X }'\n"
    first.write_text("version: 1\nrules:\n" + rule)
    second.write_text(
        "version: 1\nrules:\n" + rule + "  - id: other\n    title: O\n    when: 'a ||'\n"
    )

    with pytest.raises(RuleFileError) as raised:
        load_rules([first, second])

    lines = [str(problem) for problem in raised.value.problems]
    assert any(line.startswith(f"{second}:3:9: duplicate rule id 'same'") for line in lines)
    assert any(line.startswith(f"{second}:8:16:") and "bad JMESPath" in line for line in lines)
