"""`validate`: check rule files; every problem on its own line as FILE:LINE:COL: message."""

from __future__ import annotations

import argparse

from engine.cli.common import add_rules_option, load_or_report


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("validate", help="check rule files and report every problem")
    add_rules_option(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    ruleset = load_or_report(args)
    if ruleset is None:
        return 2
    enabled = len(ruleset.enabled_rules)
    tests = sum(len(rule.tests) for rule in ruleset.rules)
    files = ", ".join(ruleset.files)
    ignores = len(ruleset.ignores)
    print(f"{files}: valid — {enabled} rules enabled, {ignores} ignores, {tests} tests")
    return 0
