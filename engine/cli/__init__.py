"""The `cloudtrail-to-slack` command: one module per sub-command, wired here."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

# Each module has add_parser(subparsers), which registers `run` as the parser default.
COMMANDS: tuple[str, ...] = (
    "validate",
    "test",
    "dry_run",
    "filter_pattern",
    "filter_test",
    "redrive",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cloudtrail-to-slack",
        description=(
            "Check, test and dry-run the rules that decide which CloudTrail events reach Slack."
        ),
    )
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(f"engine.cli.{name}").add_parser(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.run(args))
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # `cloudtrail-to-slack dry-run … | head`: the reader left; that is not an error.
        sys.stderr.close()
        return 0
