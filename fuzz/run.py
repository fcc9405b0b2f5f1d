"""Coverage-guided fuzzing of the input boundaries with atheris (docs/hardening.md).

    .venv/bin/python fuzz/run.py --runs 100000 [--target filterpattern|rules|sources|records|all]
    .venv/bin/python fuzz/run.py --replay CRASH_FILE --target rules     # re-run one input

Each target runs in its own process (libFuzzer ends the process when it is done), seeded with
inputs made from the repository's own fixtures (filter-pattern vectors, rule files, sample
events, records). The last line printed is a JSON summary: inputs tried per target and crashes.
A crash leaves its input in --artifacts (default fuzz/crashes/) and makes the exit status 1.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGETS = ("filterpattern", "rules", "sources", "records")
# Share of --runs each target gets with --target all: the cheap targets get the most inputs.
SHARES = {"filterpattern": 0.35, "sources": 0.4, "records": 0.2, "rules": 0.05}
_DONE = re.compile(r"Done (\d+) (?:runs )?in (\d+) second")


def seeds(target: str) -> list[bytes]:
    """Starting inputs for `target`, from fixtures that already exist in the repository."""
    data = ROOT / "tests" / "data"
    if target == "filterpattern":
        vectors = json.loads((data / "filter-pattern-vectors.json").read_text())
        return sorted({v["pattern"].encode() for v in vectors["vectors"]})
    if target == "rules":
        files = [ROOT / "rules.yaml", *sorted((ROOT / "rules").glob("*.yaml"))]
        files += sorted((data / "rule-errors").glob("*.yaml"))
        return [path.read_bytes() for path in files]
    samples = sorted((ROOT / "samples").glob("*.json"))
    records = sorted((data / "records").glob("*.json"))
    if target == "sources":
        # The first byte picks the envelope (fuzz/targets.py): seed every one of them.
        return [bytes([mode]) + path.read_bytes() for mode in range(8) for path in records[:3]] + [
            b"\x00" + path.read_bytes() for path in samples
        ]
    return [path.read_bytes() for path in records]


def run_child(target: str, runs: int, corpus: Path, artifacts: Path, seed: int) -> None:
    """Fuzz one target in this process (started by `main` with --child)."""
    import atheris

    sys.path.insert(0, str(ROOT))
    with atheris.instrument_imports(include=["engine", "fuzz"]):
        from fuzz.targets import TARGETS as FUNCTIONS
    function = FUNCTIONS[target]
    argv = [
        sys.argv[0],
        f"-atheris_runs={runs}",
        f"-seed={seed}",
        "-max_len=8192",
        "-timeout=20",  # seconds for one input: a hang is a finding too
        "-rss_limit_mb=2048",
        f"-artifact_prefix={artifacts}/{target}-",
        "-print_final_stats=1",
        str(corpus),
    ]
    atheris.Setup(argv, function)
    atheris.Fuzz()


def replay(target: str, path: Path) -> int:
    sys.path.insert(0, str(ROOT))
    from fuzz.targets import TARGETS as FUNCTIONS

    FUNCTIONS[target](path.read_bytes())
    print(f"{path}: no crash")
    return 0


def fuzz(target: str, runs: int, artifacts: Path, seed: int, keep: Path | None) -> dict:
    """Run one target in a child process; its summary."""
    with tempfile.TemporaryDirectory(prefix=f"fuzz-{target}-") as scratch:
        corpus = keep / target if keep else Path(scratch)
        corpus.mkdir(parents=True, exist_ok=True)
        for i, data in enumerate(seeds(target)):
            (corpus / f"seed-{i}").write_bytes(data)
        started = time.monotonic()
        child = subprocess.run(
            [sys.executable, __file__, "--child", target, "--runs", str(runs), "--seed",
             str(seed), "--artifacts", str(artifacts), "--corpus", str(corpus)],
            capture_output=True,
            text=True,
            errors="replace",
        )  # fmt: skip
        seconds = time.monotonic() - started
    done = _DONE.search(child.stderr)
    crashed = child.returncode != 0
    if crashed:
        sys.stderr.write(child.stderr[-6000:])
    return {
        "target": target,
        "inputs": int(done.group(1)) if done else None,
        "seconds": round(seconds, 1),
        "crashes": int(crashed),
        "artifacts": sorted(str(p) for p in artifacts.glob(f"{target}-*")) if crashed else [],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--target", choices=[*TARGETS, "all"], default="all")
    parser.add_argument(
        "--runs", type=int, default=100_000, help="inputs in all (split by --target all)"
    )
    parser.add_argument("--seed", type=int, default=1, help="libFuzzer's random seed")
    parser.add_argument("--artifacts", type=Path, default=ROOT / "fuzz" / "crashes")
    parser.add_argument("--corpus", type=Path, help="keep the growing corpus in this directory")
    parser.add_argument("--replay", type=Path, help="run one saved input through --target")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="targets at once")
    parser.add_argument("--child", choices=TARGETS, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        run_child(args.child, args.runs, args.corpus, args.artifacts, args.seed)
        return 0
    if args.replay:
        return replay(args.target, args.replay)
    args.artifacts.mkdir(parents=True, exist_ok=True)
    targets = TARGETS if args.target == "all" else (args.target,)

    def one(target: str) -> dict:
        runs = max(1, round(args.runs * SHARES[target])) if args.target == "all" else args.runs
        result = fuzz(target, runs, args.artifacts.resolve(), args.seed, args.corpus)
        print(json.dumps(result), flush=True)
        return result

    with ThreadPoolExecutor(max(1, args.jobs)) as pool:  # each target is its own process
        results = list(pool.map(one, targets))
    total = {
        "inputs": sum(r["inputs"] or 0 for r in results),
        "crashes": sum(r["crashes"] for r in results),
        "seconds": round(sum(r["seconds"] for r in results), 1),
    }
    print(json.dumps({"total": total}), flush=True)
    return 1 if total["crashes"] else 0


if __name__ == "__main__":
    sys.exit(main())
