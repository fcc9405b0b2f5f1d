"""Regenerate docs/reliability.md from the fault matrix (tests/test_fault_matrix.py).

    .venv/bin/python scripts/reliability_report.py

Runs the fault-matrix tests; their last test renders what the others observed and, with
RELIABILITY_REPORT_WRITE=1, writes it instead of comparing. Exit status: pytest's.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    env = {**os.environ, "RELIABILITY_REPORT_WRITE": "1"}
    command = [sys.executable, "-m", "pytest", "-q", "tests/test_fault_matrix.py"]
    return subprocess.run(command, cwd=ROOT, env=env).returncode


if __name__ == "__main__":
    sys.exit(main())
