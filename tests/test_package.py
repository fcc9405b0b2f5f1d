"""The deployment zip: built without Docker, holds what the function needs and nothing else.

The builds here really download wheels (from the configured package index); the zip built for
this machine's platform is unpacked and `handler` is imported from it in an interpreter that can
see nothing but the zip, the standard library and what the Lambda runtime itself provides.
"""

from __future__ import annotations

import importlib.util
import json
import os
import platform
import re
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

from tests.scripts import load_script

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "build_package.py"
MAX_ZIP_BYTES = 15 * 1024 * 1024
HOST_PYTHON = f"{sys.version_info.major}.{sys.version_info.minor}"
HOST_PLATFORM = f"manylinux2014_{platform.machine()}"
# What the Lambda Python runtime ships besides the standard library (boto3 and its dependencies).
LAMBDA_RUNTIME_MODULES = ("boto3", "botocore", "s3transfer", "dateutil", "urllib3", "six")
# Runtime dependencies as importable top-level names (jsonschema's own ones included).
DEPENDENCY_PACKAGES = (
    "yaml",
    "jmespath",
    "slack_sdk",
    "jsonschema",
    "referencing",
    "rpds",
    "attrs",
)

# Run with `python -I -S -c IMPORT_PROBE TASK_DIR RUNTIME_DIR PACKAGE…`: imports the handler the
# way Lambda does, then every runtime dependency (the handler may import some lazily), and
# reports, as JSON, where every loaded module came from.
IMPORT_PROBE = """
import json, os, sys, sysconfig

task, runtime = (os.path.abspath(p) for p in sys.argv[1:3])
sys.path[:0] = [task, runtime]
import handler

import importlib
for package in sys.argv[3:]:
    importlib.import_module(package)

stdlib = {f(sysconfig.get_path(k)) for k in ("stdlib", "platstdlib")
          for f in (os.path.abspath, os.path.realpath)}
provided = {"boto3", "botocore", "s3transfer", "dateutil", "urllib3", "six"}
places = {"zip": set(), "runtime": set(), "elsewhere": set()}
for name, module in list(sys.modules.items()):
    origin = getattr(module, "__file__", None)
    if not origin:
        continue  # built into the interpreter, or a namespace package
    # Not realpath: the runtime directory holds symlinks, and where they point is no matter.
    origin = os.path.abspath(origin)
    top = name.split(".")[0]
    if origin.startswith(task + os.sep):
        places["zip"].add(top)
    elif origin.startswith(runtime + os.sep):
        places["runtime"].add(top)
    elif not any(o.startswith(d + os.sep) for d in stdlib
                 for o in (origin, os.path.realpath(origin))):
        places["elsewhere"].add(origin)
print(json.dumps({
    "site_packages_on_path": [p for p in sys.path if "site-packages" in p],
    "entry_points": sorted(n for n in ("lambda_handler", "redrive_handler")
                           if callable(getattr(handler, n, None))),
    "loaded_from_zip": sorted(places["zip"]),
    "from_runtime_not_provided_by_lambda": sorted(places["runtime"] - provided),
    "from_elsewhere": sorted(places["elsewhere"]),
}))
"""


build_package = load_script(SCRIPT)


def _build(out: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), "--out", str(out), *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )


HOST_TAG = sys.implementation.cache_tag  # e.g. "cpython-311"


def bytecode_name(source: str, tag: str) -> str:
    """`engine/x.py` → `engine/__pycache__/x.<tag>.pyc`."""
    folder, _, name = source.rpartition("/")
    compiled = f"__pycache__/{name.removesuffix('.py')}.{tag}.pyc"
    return f"{folder}/{compiled}" if folder else compiled


def _names(zip_path: Path) -> list[str]:
    with zipfile.ZipFile(zip_path) as archive:
        return archive.namelist()


@pytest.fixture(scope="module")
def host_zip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("host") / "function.zip"
    result = _build(out, "--platform", HOST_PLATFORM, "--python", HOST_PYTHON)
    assert result.returncode == 0, result.stderr
    return out


# ---------------------------------------------------------------- the real builds


def test_host_zip_holds_the_function_and_nothing_else(host_zip: Path) -> None:
    names = _names(host_zip)
    assert names == sorted(names), "entries are sorted, for a reproducible zip"
    assert {"handler.py", "rules.yaml", "schema/rules.schema.json"} <= set(names)
    assert "rules.cache.json" in names  # the checked rules, so cold starts skip YAML + schema
    assert "engine/__init__.py" in names
    shipped_sources = {
        path.relative_to(ROOT).as_posix()
        for path in (ROOT / "engine").rglob("*.py")
        if "__pycache__" not in path.parts
    }
    assert shipped_sources <= set(names)
    assert not [n for n in names if n.startswith(("tests/", "scripts/", "bench/", "samples/"))]
    # Bytecode: exactly one .pyc per .py, for the target Python, and nothing else cached.
    sources = {n for n in names if n.endswith(".py")}
    compiled = {n for n in names if "__pycache__" in n.split("/") or n.endswith(".pyc")}
    assert compiled == {bytecode_name(n, HOST_TAG) for n in sources}
    assert not [n for n in names if "/tests/" in f"/{n}"]
    assert not [n for n in names if n.split("/")[0] in {"boto3", "botocore", "bin"}]
    for package in DEPENDENCY_PACKAGES:
        assert f"{package}/__init__.py" in names, package
    assert host_zip.stat().st_size < MAX_ZIP_BYTES


def test_the_shipped_bytecode_is_what_runs(host_zip: Path, tmp_path: Path) -> None:
    # Lambda's /var/task is read-only: only shipped .pyc files spare a cold start compiling
    # every module. With every source replaced by code that would fail, the import must still
    # succeed.
    task = tmp_path / "task"
    with zipfile.ZipFile(host_zip) as archive:
        archive.extractall(task)
    for source in [task / "handler.py", *(task / "engine").rglob("*.py")]:
        source.write_text("raise SystemExit('a source was compiled, not its shipped .pyc')\n")
    probe = "import sys; sys.path[:0] = [sys.argv[1], sys.argv[2]]; import handler, engine.rules"
    runtime = _fake_lambda_runtime(tmp_path / "runtime")
    result = subprocess.run(
        [sys.executable, "-I", "-S", "-B", "-c", probe, str(task), str(runtime)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr


def test_handler_imports_from_the_unpacked_host_zip(host_zip: Path, tmp_path: Path) -> None:
    task = tmp_path / "task"  # as Lambda's /var/task
    with zipfile.ZipFile(host_zip) as archive:
        archive.extractall(task)
    runtime = _fake_lambda_runtime(tmp_path / "runtime")
    # -I: no environment, no user site, no script directory; -S: no site-packages at all,
    # so the venv this test runs in is invisible and only the zip can satisfy the imports.
    result = subprocess.run(
        [
            sys.executable,
            "-I",
            "-S",
            "-c",
            IMPORT_PROBE,
            str(task),
            str(runtime),
            *DEPENDENCY_PACKAGES,
        ],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
        env={
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(tmp_path),
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
            # As Lambda's init of the alert function: the bundled rules load at import, so a
            # rule file that needs anything the zip lacks fails here.
            "_HANDLER": "handler.lambda_handler",
        },
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["site_packages_on_path"] == []
    assert report["from_elsewhere"] == []
    assert report["from_runtime_not_provided_by_lambda"] == []
    assert report["entry_points"] == ["lambda_handler", "redrive_handler"]
    assert set(DEPENDENCY_PACKAGES) | {"handler", "engine"} <= set(report["loaded_from_zip"])


def _fake_lambda_runtime(directory: Path) -> Path:
    """A directory with only boto3 and its dependencies, like the Lambda runtime's."""
    directory.mkdir()
    for name in LAMBDA_RUNTIME_MODULES:
        spec = importlib.util.find_spec(name)
        assert spec and spec.origin, f"{name} is needed to stand in for Lambda's runtime"
        origin = Path(spec.origin)
        source = origin.parent if origin.name == "__init__.py" else origin
        (directory / source.name).symlink_to(source)
    return directory


def test_arm64_python312_build_has_wheels_for_that_platform(tmp_path: Path) -> None:
    out = tmp_path / "arm64.zip"
    result = _build(out)  # the defaults: manylinux2014_aarch64, Python 3.12
    assert result.returncode == 0, result.stderr
    assert "aarch64" in result.stdout
    names = _names(out)
    for package in DEPENDENCY_PACKAGES:
        assert f"{package}/__init__.py" in names, package
    extensions = [n for n in names if n.endswith(".so")]
    assert any(re.fullmatch(r"rpds/rpds\.cpython-312-aarch64-linux-gnu\.so", n) for n in names)
    assert extensions
    assert all("cpython-312-aarch64-linux-gnu" in n for n in extensions), extensions
    assert out.stat().st_size < MAX_ZIP_BYTES
    python312 = build_package.find_python("3.12")
    if python312 is None:
        assert "no bytecode" in result.stdout and "warning" in result.stderr
        return
    # Bytecode Python 3.12 loads without looking at the sources: its magic number, and the
    # flags of an unchecked hash-based .pyc (PEP 552: hash-based, check_source off).
    magic = subprocess.run(
        [
            python312,
            "-c",
            "import importlib.util, sys; sys.stdout.write(importlib.util.MAGIC_NUMBER.hex())",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    with zipfile.ZipFile(out) as archive:
        for source in ("handler.py", "engine/struct.py", "yaml/__init__.py"):
            header = archive.read(bytecode_name(source, "cpython-312"))[:8]
            assert header[:4].hex() == magic, source
            assert int.from_bytes(header[4:8], "little") == 0b01, source


# ---------------------------------------------------------------- the builder's parts


def test_requirements_come_from_pyproject_without_boto3(tmp_path: Path) -> None:
    with (ROOT / "pyproject.toml").open("rb") as f:
        declared = tomllib.load(f)["project"]["dependencies"]
    assert build_package.runtime_requirements(ROOT / "pyproject.toml") == [
        d for d in declared if not d.lower().startswith("boto")
    ]
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text(
        '[project]\ndependencies = ["PyYAML>=6", "boto3>=1.28", "Botocore", "jmespath"]\n'
    )
    assert build_package.runtime_requirements(pyproject) == ["PyYAML>=6", "jmespath"]


def _fake_project(root: Path) -> Path:
    files = {
        "handler.py": "import engine\n",
        "engine/__init__.py": "",
        "engine/rules/__init__.py": "",
        "engine/rules/compiled.json": "{}",
        "engine/__pycache__/__init__.cpython-311.pyc": "",
        "engine/rules/tests/test_inner.py": "",
        "rules.yaml": "rules: []\n",
        "schema/rules.schema.json": "{}",
        "tests/test_something.py": "",
        "scripts/build_package.py": "",
        "README.md": "",
    }
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def test_project_files_are_the_function_only(tmp_path: Path) -> None:
    entries = build_package.collect_project_files(_fake_project(tmp_path))
    assert sorted(entries) == [
        "engine/__init__.py",
        "engine/rules/__init__.py",
        "engine/rules/compiled.json",
        "handler.py",
        "rules.yaml",
        "schema/rules.schema.json",
    ]
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "pack.yaml").write_text("rules: []\n")
    assert "rules/pack.yaml" in build_package.collect_project_files(tmp_path)


def test_zip_bytes_depend_on_content_only(tmp_path: Path) -> None:
    root = _fake_project(tmp_path / "project")
    entries = build_package.collect_project_files(root)
    first, second = tmp_path / "first.zip", tmp_path / "second.zip"
    build_package.write_zip(entries, first)
    for path in entries.values():
        os.utime(path, (1_700_000_000, 1_700_000_000))
    build_package.write_zip(dict(reversed(entries.items())), second)
    assert first.read_bytes() == second.read_bytes()
    with zipfile.ZipFile(first) as archive:
        assert {info.date_time for info in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        assert {info.external_attr >> 16 for info in archive.infolist()} == {0o100644}


def test_a_missing_project_file_is_one_line_and_exit_2(tmp_path: Path) -> None:
    root = _fake_project(tmp_path)
    (root / "rules.yaml").unlink()
    (root / "pyproject.toml").write_bytes((ROOT / "pyproject.toml").read_bytes())
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--root", str(root), "--out", str(tmp_path / "x.zip")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert "rules.yaml: not found" in result.stderr
    assert not (tmp_path / "x.zip").exists()


def test_bytecode_bytes_depend_on_content_only(tmp_path: Path) -> None:
    # Two builds compile in different temporary folders; the .pyc files must not record them,
    # or every build would change the zip and every deploy would replace warm instances.
    entries = build_package.collect_project_files(ROOT)
    first = build_package.compile_bytecode(entries, sys.executable, tmp_path / "one")
    second = build_package.compile_bytecode(entries, sys.executable, tmp_path / "two")
    assert (
        set(first)
        == set(second)
        == {bytecode_name(n, HOST_TAG) for n in entries if n.endswith(".py")}
    )
    assert all(first[name].read_bytes() == second[name].read_bytes() for name in first)
    assert all(str(tmp_path).encode() not in path.read_bytes() for path in first.values())


def test_a_build_python_of_another_version_is_one_line_and_exit_2(tmp_path: Path) -> None:
    other = "3.10" if HOST_PYTHON != "3.10" else "3.9"
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--python", other, "--out", str(tmp_path / "x.zip")],
        capture_output=True,
        text=True,
        check=False,
        env=os.environ | {"BUILD_PYTHON": sys.executable},
    )
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert f"is Python {HOST_PYTHON}, not Python {other}" in result.stderr
    assert not (tmp_path / "x.zip").exists()
