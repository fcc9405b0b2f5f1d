"""bench/run.py runs end to end on a tiny load and prints one JSON object with its figures.

No timing is asserted: the figures depend on the machine. The full run is documented in
bench/run.py and quoted in the README.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

EXPECTED_KEYS = {
    "records",
    "rules_default",
    "rules_100",
    "decode_records_per_s",
    "pipeline_default_records_per_s",
    "pipeline_100_records_per_s",
    "pipeline_default_ratio",
    "pipeline_100_ratio",
    "cold_start_ms",
    "peak_memory_mb",
    "targets",
    "targets_met",
}


def test_bench_prints_one_json_object_with_the_figures() -> None:
    command = [sys.executable, "bench/run.py", "--records", "120", "--repeat", "1"]
    command += ["--cold-runs", "1", "--memory-records", "50"]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    figures = json.loads(result.stdout)
    assert set(figures) >= EXPECTED_KEYS
    assert figures["records"] == 120
    assert figures["rules_default"] == 10
    assert figures["rules_100"] == 100
    assert figures["decode_records_per_s"] > 0
    assert figures["pipeline_default_ratio"] > 0
    assert set(figures["targets_met"]) == set(figures["targets"])


def test_bench_times_the_deployment_package_when_asked() -> None:
    command = [sys.executable, "bench/run.py", "--records", "60", "--repeat", "1"]
    command += ["--cold-runs", "1", "--memory-records", "20", "--package"]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    figures = json.loads(result.stdout)
    if "package_cold_start" in figures:  # no Python of Lambda's version on this machine
        assert figures["package_cold_start"].startswith("no Python")
        return
    assert figures["package_python"].startswith("3.12.")
    # Both imports really ran (check=True in the bench): they took time beyond the bare start.
    assert figures["package_cold_start_ms"] > 0
    assert figures["package_cold_start_from_sources_ms"] > figures["package_cold_start_ms"]
