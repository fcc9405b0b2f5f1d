"""`filter-pattern`: print the subscription filter compiled from the rules."""

from __future__ import annotations

import argparse
import sys

from engine.cli.common import add_rules_option, load_or_report
from engine.rules.subscription import SubscriptionFilterError, compile_subscription_filter


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "filter-pattern",
        help="print the CloudWatch Logs subscription filter compiled from the rules",
        description=(
            "Compile the enabled rules (and the ignore list, where it can be expressed) into "
            "one subscription filter pattern that passes every record a rule would alert on."
        ),
    )
    add_rules_option(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    ruleset = load_or_report(args)
    if ruleset is None:
        return 2
    try:
        compiled = compile_subscription_filter(ruleset)
    except SubscriptionFilterError as error:
        files = ", ".join(ruleset.files)
        print(f"{files}: cannot compile a subscription filter: {error}", file=sys.stderr)
        return 2
    print(compiled.pattern)
    for note in compiled.notes:
        print(f"note: {note}", file=sys.stderr)
    return 0
