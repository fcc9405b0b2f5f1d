"""Write the subscription filter compiled from the rules into template.yaml.

    python scripts/sync_template.py [--rules FILE]... [--template template.yaml] [--check]

The pattern comes from `python -m engine filter-pattern` (the `cloudtrail-to-slack
filter-pattern` command), so the template and the rules cannot drift apart. Every
`FilterPattern:` line of the template is rewritten in place and nothing else in the file
changes: the template is edited as text, never loaded and dumped again, which would lose its
comments and layout. With --check nothing is written and the exit status is 1 when the template
is out of date (CI runs this). Exit 2 on errors, e.g. rules that cannot be compiled.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent

# A `FilterPattern:` key at the start of a line (comment lines never match), then its value:
# a one-line quoted scalar, optionally followed by a comment. A pattern starts with "{", which
# YAML would read as a mapping if it were left unquoted; block scalars span several lines.
_KEY = re.compile(r"^[ \t]*FilterPattern:(?P<rest>[^\r\n]*)", re.MULTILINE)
_VALUE = re.compile(
    r"""[ \t]*
        (?P<value>'(?:[^']|'')*'|"(?:[^"\\]|\\.)*")
        (?:[ \t]+\#.*)?[ \t]*\r?""",
    re.VERBOSE,
)


class SyncError(Exception):
    """A problem to report as one line (exit 2)."""


@dataclass(frozen=True, slots=True)
class FilterPatternLine:
    line: int  # 1-based
    start: int  # offsets of the value within the text
    end: int
    value: str  # as YAML reads it


def find_filter_patterns(text: str, source: str = "template.yaml") -> list[FilterPatternLine]:
    """Every `FilterPattern:` value in the template text, in order."""
    found = []
    for key in _KEY.finditer(text):
        line = text.count("\n", 0, key.start()) + 1
        match = _VALUE.fullmatch(key.group("rest"))
        value = yaml.safe_load(match.group("value")) if match else None
        if match is None or not isinstance(value, str):
            raise SyncError(f"{source}:{line}: FilterPattern must be a one-line quoted string")
        start = key.start("rest") + match.start("value")
        end = key.start("rest") + match.end("value")
        found.append(FilterPatternLine(line, start, end, value))
    return found


def yaml_single_quoted(value: str) -> str:
    """`value` as a YAML single-quoted scalar: no escapes apart from doubling the quote."""
    if any(ch in value for ch in "\r\n") or not value.isprintable():
        raise SyncError("the compiled pattern is not a single printable line")
    return "'" + value.replace("'", "''") + "'"


def rewrite(text: str, pattern: str, source: str = "template.yaml") -> str:
    """`text` with every FilterPattern value that differs from `pattern` replaced by it."""
    lines = find_filter_patterns(text, source)
    if not lines:
        raise SyncError(f"{source}: no FilterPattern line to update")
    replacement = yaml_single_quoted(pattern)
    # Right to left, so earlier offsets stay valid.
    for found in reversed(lines):
        if found.value != pattern:
            text = text[: found.start] + replacement + text[found.end :]
    return text


def compiled_pattern(rules: Sequence[Path], cwd: Path) -> str:
    """What `cloudtrail-to-slack filter-pattern --rules …` prints, without the newline."""
    command = [sys.executable, "-m", "engine", "filter-pattern"]
    for path in rules:
        command += ["--rules", str(path)]
    result = subprocess.run(command, capture_output=True, text=True, check=False, cwd=cwd)
    if result.returncode != 0:
        # The command's own messages already name the file and place; pass them on as they are.
        detail = result.stderr.strip() or f"exit status {result.returncode}"
        raise SyncError(f"cannot compile the filter from the rules:\n{detail}")
    pattern = result.stdout.removesuffix("\n")
    if not pattern or "\n" in pattern:
        raise SyncError("filter-pattern did not print exactly one pattern line")
    return pattern


def _read(path: Path) -> str:
    try:
        # newline="" keeps the file's own line endings when it is written back.
        with path.open(encoding="utf-8", newline="") as f:
            return f.read()
    except OSError as exc:
        raise SyncError(f"{path}: cannot read: {exc.strerror}") from exc


def _parse_args(argv: Iterable[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="sync_template.py",
        description="Write the subscription filter compiled from the rules into template.yaml.",
    )
    parser.add_argument(
        "--rules",
        action="append",
        type=Path,
        metavar="FILE",
        help="rule file, repeatable (default: the rules.yaml deployed with the function)",
    )
    parser.add_argument("--template", type=Path, default=ROOT / "template.yaml")
    parser.add_argument(
        "--check", action="store_true", help="change nothing; exit 1 if the template is stale"
    )
    return parser.parse_args(None if argv is None else list(argv))


def main(argv: Iterable[str] | None = None) -> int:
    args = _parse_args(argv)
    # Not $RULES_FILE: the template must match the rules.yaml that ships in the package.
    rules = [path.resolve() for path in args.rules or [ROOT / "rules.yaml"]]
    template: Path = args.template
    try:
        pattern = compiled_pattern(rules, cwd=ROOT)
        text = _read(template)
        stale = [
            found for found in find_filter_patterns(text, str(template)) if found.value != pattern
        ]
        updated = rewrite(text, pattern, str(template))
    except SyncError as exc:
        print(f"sync_template: {exc}", file=sys.stderr)
        return 2
    if args.check:
        for found in stale:
            print(
                f"{template}:{found.line}: FilterPattern differs from the rules' compiled filter;"
                " run python scripts/sync_template.py",
                file=sys.stderr,
            )
        return 1 if stale else 0
    if stale:
        with template.open("w", encoding="utf-8", newline="") as f:
            f.write(updated)
        print(f"{template}: updated {len(stale)} FilterPattern line(s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
