"""Helpers every command shares: where the rules are, and loading them with a clean error."""

from __future__ import annotations

import argparse
import os
import sys

from engine.rules import RuleFileError, RuleSet, load_rules

DEFAULT_RULES = "rules.yaml"


def add_rules_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--rules",
        action="append",
        metavar="FILE",
        help="rule file (repeatable); default $RULES_FILE, else ./rules.yaml",
    )


def rules_paths(args: argparse.Namespace) -> list[str]:
    """--rules as given, else $RULES_FILE, else ./rules.yaml."""
    given = getattr(args, "rules", None)
    if given:
        return list(given)
    return [os.environ.get("RULES_FILE") or DEFAULT_RULES]


def load_or_report(args: argparse.Namespace) -> RuleSet | None:
    """The rule set, or None after printing every problem to stderr (caller exits 2)."""
    try:
        return load_rules(rules_paths(args))
    except RuleFileError as error:
        for problem in error.problems:
            print(problem, file=sys.stderr)
        return None
