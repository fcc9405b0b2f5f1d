"""`filter-test PATTERN INPUT…`: evaluate one CloudWatch Logs filter pattern on records.

Prints `match` or `no match` per record; with more than one record each line also names the
record's place (`match  trail.json:3`). Exit 0 when every record matched, 1 when any did not,
2 when the pattern is invalid or too long for AWS, or the input is: a record that cannot be
read (reported on stderr with its place, the others are still evaluated) or no record at all.
"""

from __future__ import annotations

import argparse
import sys

from engine.filterpattern import FilterPatternError, check_limits, parse
from engine.model import SourceProblem, SourceRecord
from engine.sources import read_inputs


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "filter-test",
        help="evaluate one CloudWatch Logs filter pattern on records",
        description=(
            "Evaluate a JSON filter pattern, as the subscription filter would, on the records "
            "in INPUT; print 'match' or 'no match' for each. Exit 0 when all matched, 1 when "
            "any did not, 2 when the pattern or the input is invalid."
        ),
    )
    parser.add_argument("pattern", metavar="PATTERN", help="e.g. '{ $.eventName = \"Delete*\" }'")
    parser.add_argument(
        "inputs",
        metavar="INPUT",
        nargs="+",
        help="file, directory or - (any supported shape: record, JSON lines, log file, event…)",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    try:
        check_limits(args.pattern)
        pattern = parse(args.pattern)
    except FilterPatternError as error:
        # The first line says what and where; the next two show it, with a caret.
        print(f"bad filter pattern at column {error.column}: {error.pretty()}", file=sys.stderr)
        return 2

    records = 0
    all_matched = True
    bad_input = False
    pending: SourceRecord | None = None  # the first record waits: alone, it prints no place

    def report(item: SourceRecord, with_place: bool) -> None:
        nonlocal all_matched
        matched = pattern.matches(item.record)
        all_matched &= matched
        verdict = "match" if matched else "no match"
        print(f"{verdict}  {item.origin.where()}" if with_place else verdict)

    for item in read_inputs(args.inputs):
        if isinstance(item, SourceProblem):
            print(str(item), file=sys.stderr)
            bad_input = True
            continue
        records += 1
        if records == 1:
            pending = item
            continue
        if pending is not None:
            report(pending, with_place=True)
            pending = None
        report(item, with_place=True)
    if pending is not None:
        report(pending, with_place=False)
    if records == 0:
        print(f"{', '.join(args.inputs)}: no records to test", file=sys.stderr)
        return 2
    if bad_input:
        return 2
    return 0 if all_matched else 1
