"""Build the Lambda deployment zip without Docker.

    python scripts/build_package.py [--platform TAG]... [--python 3.12] [--out dist/….zip]

The runtime dependencies ([project].dependencies of pyproject.toml) are installed from binary
wheels for the *target* platform (`pip install --only-binary=:all: --platform …`), so building
for arm64 / Python 3.12 works on any machine with pip, whatever its own architecture or Python.
The zip holds those dependencies plus handler.py, engine/, rules.yaml, rules/ and schema/ —
nothing else — with sorted entries and fixed timestamps, so the same inputs give the same bytes.

It also holds their bytecode, compiled by an interpreter of the target Python version (found
as BUILD_PYTHON, pythonX.Y on PATH, or under pyenv). Lambda's /var/task is read-only, so
without shipped .pyc files every cold start compiles the sources again: ~60 ms for this
function, more than the rest of its init. The .pyc files are "unchecked-hash" ones, valid
whatever the timestamps the zip gives the sources. Without such an interpreter the build
still succeeds, says so, and ships sources only.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
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
    python: str | None = None,
) -> Path:
    """Build the deployment zip for `platforms` / `python_version` and return its path.

    With `python` (an interpreter of `python_version`), the zip carries bytecode too.
    """
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
        if python is not None:
            entries.update(compile_bytecode(entries, python, Path(work)))
        write_zip(entries, out)
    return out


def find_python(version: str) -> str | None:
    """An interpreter of `version` ("3.12") to compile the package's bytecode with, or None.

    Each candidate is asked its version rather than trusted by name: a pyenv shim exists for
    every installed version but runs only the ones that are selected. BUILD_PYTHON, when set,
    is the only candidate, and BuildError says so when it is not of `version`.
    """
    configured = os.environ.get("BUILD_PYTHON", "").strip()
    if configured:
        found = _minor(python_version(configured))
        if found != version:
            raise BuildError(
                f"BUILD_PYTHON={configured} is {f'Python {found}' if found else 'not a Python'},"
                f" not Python {version}"
            )
        return configured
    candidates = [sys.executable, shutil.which(f"python{version}")]
    pyenv_root = os.environ.get("PYENV_ROOT") or os.path.expanduser("~/.pyenv")
    installed = Path(pyenv_root).glob(f"versions/{version}.*/bin/python{version}")
    candidates += sorted(map(str, installed), key=_patch_level, reverse=True)  # newest first
    for candidate in candidates:
        if candidate and _minor(python_version(candidate)) == version:
            return candidate
    return None


def _patch_level(path: str) -> tuple[int, ...]:
    match = re.search(r"/versions/(\d+)\.(\d+)\.(\d+)", path)
    return tuple(map(int, match.groups())) if match else ()


def python_version(python: str) -> str | None:
    """What `python` says its version is ("3.12.1"); None when it does not run."""
    try:
        result = subprocess.run(
            [python, "-c", "import platform; print(platform.python_version())"],
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return result.stdout.strip() if result.returncode == 0 else None


def _minor(version: str | None) -> str | None:
    """ "3.12.1" -> "3.12"."""
    return ".".join(version.split(".")[:2]) if version else None


def compile_bytecode(entries: Mapping[str, Path], python: str, work: Path) -> dict[str, Path]:
    """Archive name → file for the bytecode of every .py entry, compiled by `python`."""
    stage = work / "bytecode"
    for name, path in entries.items():
        if name.endswith(".py"):
            (stage / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, stage / name)
    command = [
        python,
        "-m",
        "compileall",
        "-q",
        "--invalidation-mode",
        "unchecked-hash",  # no timestamp check: the zip's are fixed, Lambda's unknown
        # Each .pyc records its source's path. Recorded as where Lambda unpacks the zip, not
        # this build's temporary folder, so that two builds give the same bytes. (Imports
        # replace it with the real path anyway.)
        "-s",
        str(stage),
        "-p",
        "/var/task",
        str(stage),
    ]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        detail = (result.stdout.strip() or result.stderr.strip()).splitlines()
        raise BuildError(f"{python} could not compile the package: {' '.join(detail[:2])}")
    return {
        path.relative_to(stage).as_posix(): path
        for path in stage.rglob("*.pyc")
        if path.parent.name == "__pycache__"
    }


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
        python = find_python(args.python)
    except BuildError as exc:
        print(f"build_package: {exc}", file=sys.stderr)
        return 2
    if python is None:
        print(
            f"build_package: warning: no Python {args.python} interpreter found (set"
            f" BUILD_PYTHON); shipping sources only, which every cold start compiles again",
            file=sys.stderr,
        )
    try:
        out = build(args.root.resolve(), args.out, platforms, args.python, python)
    except BuildError as exc:
        print(f"build_package: {exc}", file=sys.stderr)
        return 2
    size = out.stat().st_size
    bytecode = f"bytecode by {python}" if python else "no bytecode"
    print(
        f"{out} ({size / 1_000_000:.1f} MB, {' '.join(platforms)}, Python {args.python},"
        f" {bytecode})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
