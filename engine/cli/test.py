"""`test`: run the tests written inside the rules; end with `N passed, M failed`."""

from __future__ import annotations

import argparse

from engine.cli.common import add_rules_option, load_or_report
from engine.ruletests import run_tests


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("test", help="run the tests written inside the rules")
    add_rules_option(parser)
    parser.add_argument("--quiet", "-q", action="store_true", help="print only failing tests")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    ruleset = load_or_report(args)
    if ruleset is None:
        return 2
    passed = failed = 0
    for outcome in run_tests(ruleset):
        if outcome.passed:
            passed += 1
        else:
            failed += 1
        if not (outcome.passed and args.quiet):
            print(outcome.line())
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1
