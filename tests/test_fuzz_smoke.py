"""The fuzz harness (fuzz/run.py) in CI: 100,000 inputs across its targets, no crash; and every
input that once crashed a target, replayed (fuzz/regressions/<target>/*)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from fuzz.targets import TARGETS

ROOT = Path(__file__).parent.parent
REGRESSIONS = sorted((ROOT / "fuzz" / "regressions").glob("*/*"))
INPUTS = 100_000


@pytest.mark.parametrize(
    "path", REGRESSIONS, ids=[f"{p.parent.name}/{p.name}" for p in REGRESSIONS]
)
def test_inputs_that_once_crashed_are_handled(path: Path) -> None:
    TARGETS[path.parent.name](path.read_bytes())


def test_every_target_has_a_regression_directory_or_none_found_yet() -> None:
    assert {path.parent.name for path in REGRESSIONS} <= set(TARGETS)


def test_fuzzing_100000_inputs_finds_no_crash(tmp_path: Path) -> None:
    pytest.importorskip("atheris")
    run = subprocess.run(
        [sys.executable, str(ROOT / "fuzz" / "run.py"), "--runs", str(INPUTS),
         "--artifacts", str(tmp_path)],
        capture_output=True, text=True, timeout=280, cwd=tmp_path,
    )  # fmt: skip
    lines = [json.loads(line) for line in run.stdout.splitlines() if line.startswith("{")]
    assert lines, run.stdout + run.stderr[-3000:]
    total = lines[-1]["total"]
    per_target = {line["target"]: line for line in lines[:-1]}
    assert run.returncode == 0 and total["crashes"] == 0, run.stdout + run.stderr[-5000:]
    assert set(per_target) == set(TARGETS)
    assert all(line["inputs"] and line["inputs"] > 0 for line in per_target.values())
    assert total["inputs"] >= INPUTS
    assert not list(tmp_path.iterdir())  # no crash artifacts
