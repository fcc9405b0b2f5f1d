"""The performance benchmark of issue 6: prints one JSON object with the figures and ratios.

    .venv/bin/python bench/run.py                 # the full run (about a minute)
    .venv/bin/python bench/run.py --records 200 --repeat 1 --cold-runs 1 --memory-records 200

Measured in one process and one run, on a load generated here (bench/corpus.py), as the
CloudWatch Logs subscription events the Lambda receives:

- decode: base64 + gzip + JSON of each payload and of each log event's message: the floor;
- pipeline_default: decode + match + route + render every alert, with rules.yaml;
- pipeline_100: the same with rules.yaml + the CIS pack + bench/rules-100.yaml (100 rules);
- cold_start_ms: `import handler` and the rules compiled, in a fresh process, minus a bare
  interpreter (median of several runs; bytecode cached, as in a package shipping .pyc; with
  the checked rules cache the package ships, and, for comparison, without it). Both processes
  end with os._exit, as Lambda's init never tears the interpreter down: tearing down a
  hundred modules would otherwise add tens of milliseconds that no cold start pays.
  cold_start_no_site_ms is the same with `python -S` (no site, so nothing preloaded: what
  site and, in Lambda, the runtime's bootstrap import before the handler counts as ours
  too), an upper bound;
- with --package, package_cold_start_ms: the same for the deployment zip, unpacked and run by
  a local Python of Lambda's version, with the bytecode it ships and without;
- peak_memory_mb: peak RSS of a fresh process that imports handler (rules from the cache),
  reads one 10,000-record event and runs the pipeline over it, minus a bare interpreter's.

Throughputs: each 1,000-record payload is timed `--repeat` times and its best time counts (the
least disturbed by other processes); a rate is the load's records over the sum of those best
times. Decode and pipeline runs alternate, so that both see the same machine.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

DEFAULT_RULES = (ROOT / "rules.yaml",)
HUNDRED_RULES = (
    ROOT / "rules.yaml",
    ROOT / "rules" / "cis-aws-foundations.yaml",
    ROOT / "bench" / "rules-100.yaml",
)
TARGETS = {
    "pipeline_default_ratio": 0.70,
    "pipeline_100_ratio": 0.30,
    "cold_start_ms": 100.0,
    "peak_memory_mb": 40.0,
}
BATCH = 1000  # log events per CloudWatch Logs payload in the throughput runs


def decode_only(events: list[dict[str, Any]]) -> int:
    """The floor: decode every payload and parse every message, nothing else.

    Plain standard library calls, independent of the engine's own decoder, so that the floor
    cannot move when the engine changes.
    """
    from binascii import a2b_base64
    from json import loads
    from zlib import MAX_WBITS, decompress

    count = 0
    for event in events:
        text = decompress(a2b_base64(event["awslogs"]["data"]), 16 + MAX_WBITS).decode("utf-8")
        for log_event in loads(text)["logEvents"]:
            loads(log_event["message"])
            count += 1
    return count


def pipeline(events: list[dict[str, Any]], ruleset: Any) -> tuple[int, int]:
    """What the handler does before delivery (engine.pipeline): (records, messages rendered)."""
    from engine.pipeline import Counts, process
    from engine.sources import iter_event

    counts = Counts()
    for event in events:
        for _item in process(iter_event(event), ruleset, fallback_channel="#alerts", counts=counts):
            pass
    return counts.records, counts.alerts


def throughput(records: int, repeat: int) -> dict[str, Any]:
    from bench.corpus import cloudwatch_event
    from bench.corpus import records as make_records
    from engine.rules import load_rules

    corpus = make_records(records)
    events = [
        cloudwatch_event(corpus[i : i + BATCH], first_id=i) for i in range(0, len(corpus), BATCH)
    ]
    default_rules = load_rules(DEFAULT_RULES)
    hundred_rules = load_rules(HUNDRED_RULES)
    _, alerts_default = pipeline(events, default_rules)
    _, alerts_100 = pipeline(events, hundred_rules)
    # Each payload is timed on its own, many times, and its best time counts: on a shared
    # machine a whole-load run is rarely undisturbed, while a 1,000-record payload (~25 ms)
    # often is. Runs interleave, so that a busy moment hits all three alike.
    runs: dict[str, Callable[[list[dict[str, Any]]], object]] = {
        "decode": decode_only,
        "default": lambda one: pipeline(one, default_rules),
        "100": lambda one: pipeline(one, hundred_rules),
    }
    best = {key: [float("inf")] * len(events) for key in runs}
    for _ in range(repeat):
        for n, event in enumerate(events):
            for key, run in runs.items():
                start = time.perf_counter()
                run([event])
                best[key][n] = min(best[key][n], time.perf_counter() - start)
    decode, default, hundred = (len(corpus) / sum(best[key]) for key in runs)
    return {
        "records": len(corpus),
        "record_bytes_avg": round(
            sum(len(json.dumps(r, separators=(",", ":"))) for r in corpus) / len(corpus)
        ),
        "rules_default": len(default_rules.enabled_rules),
        "rules_100": len(hundred_rules.enabled_rules),
        "alerts_default": alerts_default,
        "alerts_100": alerts_100,
        "decode_records_per_s": round(decode),
        "pipeline_default_records_per_s": round(default),
        "pipeline_100_records_per_s": round(hundred),
        "pipeline_default_ratio": round(default / decode, 3),
        "pipeline_100_ratio": round(hundred / decode, 3),
    }


# --- fresh processes ------------------------------------------------------------------------

# With _HANDLER set as Lambda sets it, importing handler loads and compiles the rules.
COLD_START_HANDLER = "import handler; assert handler._app is not None"
EXIT = "; import os; os._exit(0)"  # no interpreter teardown: Lambda's init has none


def _child_env(pycache: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = pycache  # cached bytecode, kept out of the work tree
    env["PYTHONPATH"] = str(ROOT)
    env["RULES_FILE"] = str(ROOT / "rules.yaml")
    env.setdefault("SLACK_TOKEN", "xoxb-bench")
    env.setdefault("SLACK_CHANNEL", "#alerts")
    env["_HANDLER"] = "handler.lambda_handler"
    return env


def _wall_ms(
    code: str,
    env: dict[str, str],
    *options: str,
    python: str = sys.executable,
    cwd: Path = ROOT,
    argv: tuple[str, ...] = (),
) -> float:
    """Milliseconds from starting `python *options -c code *argv` to its end."""
    start = time.perf_counter()
    command = [python, *options, "-c", code + EXIT, *argv]
    subprocess.run(command, env=env, cwd=cwd, check=True)
    return (time.perf_counter() - start) * 1000


def cold_start(runs: int, pycache: str) -> dict[str, Any]:
    """With the checked rules cache the package ships (engine/rules/cache.py), and without."""
    from engine.rules.cache import ENVIRONMENT, build_cache

    env = _child_env(pycache)
    rules_cache = Path(pycache) / "rules.cache.json"
    build_cache([env["RULES_FILE"]], rules_cache)
    cached_env = env | {ENVIRONMENT: str(rules_cache)}
    uncached_env = env | {ENVIRONMENT: ""}
    # Without site, the venv's packages come from PYTHONPATH instead.
    no_site_env = cached_env | {"PYTHONPATH": os.pathsep.join([str(ROOT), *_site_packages()])}
    code = COLD_START_HANDLER
    _wall_ms(code, uncached_env)  # writes the bytecode cache
    times: dict[str, list[float]] = {key: [] for key in ("bare", "cached", "uncached", "S", "bS")}
    for _ in range(runs):  # alternate, so that the medians see the same machine
        times["bare"].append(_wall_ms("pass", env))
        times["cached"].append(_wall_ms(code, cached_env))
        times["uncached"].append(_wall_ms(code, uncached_env))
        times["bS"].append(_wall_ms("pass", no_site_env, "-S"))
        times["S"].append(_wall_ms(code, no_site_env, "-S"))
    median = {key: statistics.median(values) for key, values in times.items()}
    return {
        "cold_start_ms": round(median["cached"] - median["bare"], 1),
        "cold_start_without_rules_cache_ms": round(median["uncached"] - median["bare"], 1),
        "cold_start_no_site_ms": round(median["S"] - median["bS"], 1),
        "cold_start_measured": code + EXIT,
        "bare_interpreter_ms": round(median["bare"], 1),
        "bare_interpreter_no_site_ms": round(median["bS"], 1),
    }


def _site_packages() -> list[str]:
    import site

    return [path for path in site.getsitepackages() if Path(path).is_dir()]


# Peak RSS of this process. VmHWM, unlike ru_maxrss, is not inherited from the parent that
# forked the child, so a large benchmark process does not inflate the child's figure.
PEAK_RSS = """
def peak_rss_kb():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
"""
MEMORY_CHILD = (
    PEAK_RSS
    + """
import json
import handler
from engine.pipeline import Counts, process
from engine.sources import iter_event

ruleset = handler.app().ruleset
with open({event!r}, encoding="utf-8") as f:
    event = json.load(f)
counts = Counts()
for _ in process(iter_event(event), ruleset, fallback_channel="#alerts", counts=counts):
    pass
assert counts.records == {count}, counts
print(peak_rss_kb())
"""
)
MEMORY_BARE = PEAK_RSS + "print(peak_rss_kb())"


def peak_memory(count: int, pycache: str) -> dict[str, Any]:
    from bench.corpus import cloudwatch_event, records
    from engine.rules.cache import ENVIRONMENT, build_cache

    env = _child_env(pycache)
    with tempfile.TemporaryDirectory() as tmp:
        env[ENVIRONMENT] = str(Path(tmp) / "rules.cache.json")
        build_cache([env["RULES_FILE"]], env[ENVIRONMENT])
        event_file = Path(tmp) / "event.json"
        event_file.write_text(json.dumps(cloudwatch_event(records(count, seed=10))), "utf-8")
        code = MEMORY_CHILD.format(event=str(event_file), count=count)

        def max_rss_kb(source: str) -> int:
            out = subprocess.run(
                [sys.executable, "-c", source], env=env, capture_output=True, text=True, check=True
            )
            return int(out.stdout.split()[-1])

        loaded = max_rss_kb(code)
        bare = max_rss_kb(MEMORY_BARE)
        event_bytes = event_file.stat().st_size
    return {
        "memory_records": count,
        "event_bytes": event_bytes,
        "peak_memory_mb": round((loaded - bare) / 1024, 1),
        "bare_interpreter_rss_mb": round(bare / 1024, 1),
    }


PACKAGE_PROBE = "import sys; sys.path.insert(0, sys.argv[1]); "


def package_cold_start(runs: int) -> dict[str, Any]:
    """The deployment zip itself (scripts/build_package.py, its defaults: arm64, Python 3.12),
    unpacked and imported by a local Python of that version as Lambda's init would, with the
    rules loading: with the bytecode it ships, and with that removed (as a zip without it
    would run: Lambda's /var/task is read-only, so every cold start compiles the sources).

    `-I -B`: no environment or user site, and nothing written. The arm64 extension modules
    cannot load here, but init needs none of them: the shipped rules cache spares jsonschema.
    """
    import shutil
    import zipfile

    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import build_package
    finally:
        sys.path.pop(0)
    python = build_package.find_python(build_package.DEFAULT_PYTHON)
    if python is None:
        return {"package_cold_start": f"no Python {build_package.DEFAULT_PYTHON} found"}
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "_HANDLER": "handler.lambda_handler",
        "SLACK_CHANNEL": "#alerts",
    }

    def wall_ms(task: Path, code: str) -> float:
        probe = PACKAGE_PROBE + code
        return _wall_ms(probe, env, "-I", "-B", python=python, cwd=task, argv=(str(task),))

    with tempfile.TemporaryDirectory(prefix="bench-package-") as tmp:
        package = build_package.build(ROOT, Path(tmp) / "function.zip", python=python)
        compiled, sources = Path(tmp) / "task", Path(tmp) / "task-sources"
        with zipfile.ZipFile(package) as archive:
            archive.extractall(compiled)
        shutil.copytree(compiled, sources, ignore=shutil.ignore_patterns("__pycache__"))
        times: dict[str, list[float]] = {"bare": [], "compiled": [], "sources": []}
        for _ in range(runs):
            times["bare"].append(wall_ms(compiled, "pass"))
            times["compiled"].append(wall_ms(compiled, COLD_START_HANDLER))
            times["sources"].append(wall_ms(sources, COLD_START_HANDLER))
    median = {key: statistics.median(values) for key, values in times.items()}
    return {
        "package_python": build_package.python_version(python),
        "package_cold_start_ms": round(median["compiled"] - median["bare"], 1),
        "package_cold_start_from_sources_ms": round(median["sources"] - median["bare"], 1),
        "package_bare_interpreter_ms": round(median["bare"], 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--records", type=int, default=20_000, help="records in the throughput load"
    )
    parser.add_argument(
        "--repeat", type=int, default=15, help="timings of each payload; the best counts"
    )
    parser.add_argument("--cold-runs", type=int, default=9, help="fresh processes per median")
    parser.add_argument("--memory-records", type=int, default=10_000)
    parser.add_argument(
        "--package",
        action="store_true",
        help="also build the deployment zip and time its cold start with its own Python",
    )
    args = parser.parse_args(argv)

    result: dict[str, Any] = {
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
    }
    with tempfile.TemporaryDirectory(prefix="bench-pycache-") as pycache:
        result |= throughput(args.records, args.repeat)
        result |= cold_start(args.cold_runs, pycache)
        result |= peak_memory(args.memory_records, pycache)
    if args.package:
        result |= package_cold_start(args.cold_runs)
    result["targets"] = TARGETS
    result["targets_met"] = {
        "pipeline_default_ratio": result["pipeline_default_ratio"]
        >= TARGETS["pipeline_default_ratio"],
        "pipeline_100_ratio": result["pipeline_100_ratio"] >= TARGETS["pipeline_100_ratio"],
        "cold_start_ms": result["cold_start_ms"] <= TARGETS["cold_start_ms"],
        "peak_memory_mb": result["peak_memory_mb"] <= TARGETS["peak_memory_mb"],
    }
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
