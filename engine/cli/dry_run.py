"""`dry-run`: show the Slack messages that records would produce; nothing is ever sent.

Records come from files, directories or `-` (any shape `engine.sources` reads); without an
INPUT the bundled `samples/` are used, so a newcomer sees real messages at once. Each record
goes through the same match → route → render path as the Lambda.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import quote

from engine.cli.common import add_rules_option, load_or_report
from engine.messages import Alert, SlackMessage, render, route
from engine.messages.escape import as_text
from engine.messages.plain import plain_text
from engine.model import SourceProblem, SourceRecord
from engine.rules.model import RuleSet
from engine.sources import read_inputs
from engine.struct import Struct

BUILDER_URL = "https://app.slack.com/block-kit-builder/#"
HOW_TO_ROUTE = (
    "give the rule a channel, or set one under accounts, defaults.channel or SLACK_CHANNEL"
)
NO_CHANNEL_HELP = f"no channel: {HOW_TO_ROUTE}"


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "dry-run",
        help="show the Slack messages records would produce (nothing is sent)",
        description="Show the Slack messages the rules would post for the records in INPUT. "
        "Nothing is sent.",
    )
    add_rules_option(parser)
    parser.add_argument("--json", action="store_true", help="one JSON object per message a line")
    parser.add_argument(
        "--all", action="store_true", help="also report the records that matched no rule"
    )
    parser.add_argument(
        "--preview-url", action="store_true", help="add a Block Kit Builder link per message"
    )
    parser.add_argument(
        "inputs",
        nargs="*",
        metavar="INPUT",
        help="file, directory or - for stdin; default: the bundled samples/",
    )
    parser.set_defaults(run=run)


def default_inputs() -> list[str]:
    """The bundled samples: beside the package in a checkout, else ./samples."""
    bundled = Path(__file__).resolve().parents[2] / "samples"
    if not bundled.is_dir():
        return ["samples"]
    relative = os.path.relpath(bundled)  # shorter places in the output when run from the repo
    return [bundled.as_posix() if relative.startswith("..") else relative]


def preview_url(message: SlackMessage) -> str:
    """A Block Kit Builder link that shows `message` (its blocks and attachments)."""
    body: dict[str, Any] = {"blocks": message.blocks}
    if message.attachments:
        body["attachments"] = message.attachments
    return BUILDER_URL + quote(json.dumps(body, ensure_ascii=False, separators=(",", ":")), safe="")


def _record_fields(record: dict[str, Any]) -> dict[str, Any]:
    return {
        "event_id": as_text(record.get("eventID")) or None,
        "event_name": as_text(record.get("eventName")) or None,
    }


class _Printer:
    """Writes each outcome as a JSON line or as a readable preview."""

    def __init__(self, args: argparse.Namespace, out: TextIO) -> None:
        self.json = bool(args.json)
        self.all = bool(args.all)
        self.preview = bool(args.preview_url)
        self.out = out

    def alert(self, source: SourceRecord, alert: Alert, message: SlackMessage) -> None:
        if self.json:
            line: dict[str, Any] = {
                **_record_fields(source.record),
                "rules": alert.rule_ids,
                "channel": alert.channel or None,
                "severity": alert.severity,
                "message": message.to_payload() | {"blocks": message.blocks},
                "source": source.origin.where(),
            }
            if not alert.routable:
                line["problem"] = NO_CHANNEL_HELP
            if self.preview:
                line["preview_url"] = preview_url(message)
            print(json.dumps(line, ensure_ascii=False), file=self.out)
            return
        channel = alert.channel or "(no channel)"
        print(
            f"━━ {channel} · {alert.severity} · {', '.join(alert.rule_ids)}"
            f" · {source.origin.where()}",
            file=self.out,
        )
        for text in plain_text(message).splitlines():
            print(f"   {text}", file=self.out)
        if self.preview:
            print(f"   preview: {preview_url(message)}", file=self.out)
        print(file=self.out)

    def unmatched(self, source: SourceRecord) -> None:
        if not self.all:
            return
        fields = _record_fields(source.record)
        if self.json:
            line = {
                **fields,
                "rules": [],
                "channel": None,
                "severity": None,
                "message": None,
                "source": source.origin.where(),
            }
            print(json.dumps(line, ensure_ascii=False), file=self.out)
        else:
            name = fields["event_name"] or "?"
            print(
                f"── no rule matched: {name} {fields['event_id'] or ''} · {source.origin.where()}",
                file=self.out,
            )


class Tally(Struct, frozen=False):
    __slots__ = ("records", "messages", "unrouted", "read_something")

    def __init__(
        self,
        records: int = 0,
        messages: int = 0,
        unrouted: int = 0,  # messages without a channel: shown, never posted
        read_something: bool = False,  # False: no input could be read at all (exit 2)
    ) -> None:
        self.records = records
        self.messages = messages
        self.unrouted = unrouted
        self.read_something = read_something


def dry_run(
    items: Iterable[SourceRecord | SourceProblem],
    ruleset: RuleSet,
    printer: _Printer,
    *,
    fallback_channel: str | None,
    err: TextIO,
) -> Tally:
    tally = Tally()
    for item in items:
        if isinstance(item, SourceProblem):
            print(f"skipped {item}", file=err)
            tally.read_something |= not item.extra.get("unreadable")
            continue
        tally.read_something = True
        tally.records += 1
        record = item.record
        errors: list[Any] = []
        matched = ruleset.match(record, errors)
        for error in errors:  # a condition that raised on this record: say so, go on
            where = item.origin.where()
            print(f"{where}: rule {error.rule_id} {error.condition}: {error.error}", file=err)
        alerts = route(
            record, matched, ruleset, fallback_channel=fallback_channel, origin=item.origin
        )
        if not alerts:
            printer.unmatched(item)
        for alert in alerts:
            tally.messages += 1
            tally.unrouted += not alert.routable
            printer.alert(item, alert, render(alert, ruleset))
    return tally


def run(args: argparse.Namespace) -> int:
    ruleset = load_or_report(args)
    if ruleset is None:
        return 2
    inputs = args.inputs or default_inputs()
    printer = _Printer(args, sys.stdout)
    tally = dry_run(
        read_inputs(inputs, stdin=getattr(args, "stdin", None)),
        ruleset,
        printer,
        fallback_channel=os.environ.get("SLACK_CHANNEL") or None,
        err=sys.stderr,
    )
    if not tally.read_something:
        print("dry-run: no input could be read", file=sys.stderr)
        return 2
    if tally.unrouted:
        count = f"{tally.unrouted} message{'' if tally.unrouted == 1 else 's'}"
        print(
            f"dry-run: {count} without a channel would not be posted: {HOW_TO_ROUTE}",
            file=sys.stderr,
        )
    if not args.json:
        print(_summary(tally))
    return 0


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _summary(tally: Tally) -> str:
    posted = tally.messages - tally.unrouted
    line = f"{_count(tally.records, 'record')}, {_count(posted, 'message')} would be posted"
    if tally.unrouted:
        line += f", {tally.unrouted} without a channel"
    return line + " (nothing was sent)"
