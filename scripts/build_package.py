"""Build the Lambda deployment zip without Docker.

    python scripts/build_package.py [--platform TAG]... [--python 3.12] [--out dist/….zip]

The runtime dependencies ([project].dependencies of pyproject.toml) are installed from binary
wheels for the *target* platform (`pip install --only-binary=:all: --platform …`), so building
for arm64 / Python 3.12 works on any machine with pip, whatever its own architecture or Python.
The zip holds those dependencies plus handler.py, engine/, rules.yaml, rules/ and schema/ —
nothing else — with sorted entries and fixed timestamps, so the same inputs give the same bytes.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import tomllib
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PLATFORMS = ("manylinux2014_aarch64",)
DEFAULT_PYTHON = "3.12"
DEFAULT_OUT = ROOT / "dist" / "cloudtrail-to-slack.zip"

# What the function needs from the project: (path, required).
PROJECT_PATHS = (
    ("handler.py", True),
    ("engine", True),
    ("rules.yaml", True),
    ("rules", False),
    ("schema", True),
)
# Never shipped: caches, and tests (ours and the dependencies' own). `bin/` holds console
# scripts pip writes for the dependencies; Lambda never runs them.
SKIPPED_DIRS = frozenset({"__pycache__", "tests", ".pytest_cache", ".mypy_cache", ".ruff_cache"})
SKIPPED_TOP_LEVEL = frozenset({"bin"})
SKIPPED_SUFFIXES = (".pyc", ".pyo")
# Lambda ships boto3 (and botocore, …) in its runtime; bundling them only adds megabytes.
PROVIDED_BY_LAMBDA = frozenset({"boto3", "botocore", "s3transfer"})

# 1980-01-01, the earliest time a zip entry can hold: the archive then depends on content only.
FIXED_DATE_TIME = (1980, 1, 1, 0, 0, 0)


class BuildError(Exception):
    """A problem the user can fix; reported as one line, without a traceback."""


def runtime_requirements(pyproject: Path) -> list[str]:
    """The [project].dependencies of pyproject.toml, minus what Lambda already provides."""
    try:
        with pyproject.open("rb") as f:
            data = tomllib.load(f)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise BuildError(f"{pyproject}: cannot read: {exc}") from exc
    deps = data.get("project", {}).get("dependencies")
    if not isinstance(deps, list) or not all(isinstance(d, str) for d in deps):
        raise BuildError(f"{pyproject}: [project].dependencies is not a list of strings")
    return [d for d in deps if _distribution_name(d) not in PROVIDED_BY_LAMBDA]


def _distribution_name(requirement: str) -> str:
    match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement)
    return re.sub(r"[-_.]+", "-", match.group(1)).lower() if match else requirement


def install_dependencies(
    requirements: Sequence[str], target: Path, platforms: Sequence[str], python_version: str
) -> None:
    """pip-install binary wheels for the target platform and Python into `target`."""
    if not requirements:
        return
    command = [
        sys.executable,
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        "--no-input",
        "--no-compile",  # .pyc for the build machine's Python would be useless in Lambda
        "--only-binary=:all:",
        "--implementation",
        "cp",
        "--python-version",
        python_version,
        "--target",
        str(target),
    ]
    for platform in platforms:
        command += ["--platform", platform]
    command += list(requirements)
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        detail = (result.stderr.strip() or result.stdout.strip()).splitlines()
        last = detail[-1] if detail else f"exit status {result.returncode}"
        raise BuildError(f"pip could not install {' '.join(requirements)}: {last}")


def _wanted(relative: Path) -> bool:
    if any(part in SKIPPED_DIRS for part in relative.parts[:-1]):
        return False
    return not relative.name.endswith(SKIPPED_SUFFIXES)


def collect_tree(base: Path, prefix: str = "") -> dict[str, Path]:
    """Archive name → file for every wanted file under `base` (or `base` itself if a file)."""
    if base.is_file():
        return {prefix or base.name: base}
    entries: dict[str, Path] = {}
    for path in base.rglob("*"):
        relative = path.relative_to(base)
        if path.is_file() and _wanted(relative):
            entries[(Path(prefix) / relative).as_posix() if prefix else relative.as_posix()] = path
    return entries


def collect_project_files(root: Path) -> dict[str, Path]:
    """The project's own files the function needs, keyed by archive name."""
    entries: dict[str, Path] = {}
    for name, required in PROJECT_PATHS:
        path = root / name
        if not path.exists():
            if required:
                raise BuildError(f"{path}: not found; the package needs it")
            continue
        entries.update(collect_tree(path, name))
    return entries


def collect_dependencies(site: Path) -> dict[str, Path]:
    entries = collect_tree(site)
    return {
        name: path for name, path in entries.items() if name.split("/")[0] not in SKIPPED_TOP_LEVEL
    }


def write_zip(entries: Mapping[str, Path], out: Path) -> None:
    """Write a reproducible zip: sorted names, fixed timestamps and permissions."""
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".partial")
    with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name in sorted(entries):
            info = zipfile.ZipInfo(name, FIXED_DATE_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o100644 << 16  # a regular file, rw-r--r--: Lambda reads it
            info.create_system = 3  # Unix, so the mode above is honoured everywhere
            archive.writestr(info, entries[name].read_bytes(), compresslevel=9)
    os.replace(partial, out)  # never leave a half-written zip where deploy would pick it up


def build(
    root: Path,
    out: Path,
    platforms: Sequence[str] = DEFAULT_PLATFORMS,
    python_version: str = DEFAULT_PYTHON,
) -> Path:
    """Build the deployment zip for `platforms` / `python_version` and return its path."""
    project = collect_project_files(root)
    requirements = runtime_requirements(root / "pyproject.toml")
    with tempfile.TemporaryDirectory(prefix="ct2slack-build-") as work:
        site = Path(work) / "site"
        install_dependencies(requirements, site, platforms, python_version)
        entries = collect_dependencies(site) if site.exists() else {}
        clashes = sorted(set(entries) & set(project))
        if clashes:
            raise BuildError(f"a dependency ships files named like the project's: {clashes[0]}")
        entries.update(project)
        cache = Path(work) / RULES_CACHE_NAME
        build_rules_cache(root, cache)
        entries[RULES_CACHE_NAME] = cache
        write_zip(entries, out)
    return out


RULES_CACHE_NAME = "rules.cache.json"


def build_rules_cache(root: Path, out: Path) -> None:
    """The checked form of the shipped rule files, so a cold start skips YAML and jsonschema.

    It is keyed by each file's content: a rule file edited after the build simply misses.
    """
    sys.path.insert(0, str(root))
    try:
        from engine.rules.cache import build_cache
    finally:
        sys.path.pop(0)
    rule_files = [root / "rules.yaml", *sorted((root / "rules").glob("*.yaml"))]
    build_cache([path for path in rule_files if path.exists()], out)


def _parse_args(argv: Iterable[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="build_package.py", description="Build the Lambda deployment zip (no Docker)."
    )
    parser.add_argument(
        "--platform",
        action="append",
        dest="platforms",
        metavar="TAG",
        help=f"wheel platform tag, repeatable (default: {' '.join(DEFAULT_PLATFORMS)})",
    )
    parser.add_argument(
        "--python",
        default=DEFAULT_PYTHON,
        metavar="X.Y",
        help="target Python version (default: %(default)s)",
    )
    parser.add_argument(
        "--out", type=Path, default=DEFAULT_OUT, help="zip to write (default: %(default)s)"
    )
    parser.add_argument("--root", type=Path, default=ROOT, help=argparse.SUPPRESS)
    args = parser.parse_args(None if argv is None else list(argv))
    if not re.fullmatch(r"3\.\d+", args.python):
        parser.error(f"--python: expected a version like 3.12, got {args.python!r}")
    return args


def main(argv: Iterable[str] | None = None) -> int:
    args = _parse_args(argv)
    platforms = tuple(args.platforms or DEFAULT_PLATFORMS)
    try:
        out = build(args.root.resolve(), args.out, platforms, args.python)
    except BuildError as exc:
        print(f"build_package: {exc}", file=sys.stderr)
        return 2
    size = out.stat().st_size
    print(f"{out} ({size / 1_000_000:.1f} MB, {' '.join(platforms)}, Python {args.python})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
