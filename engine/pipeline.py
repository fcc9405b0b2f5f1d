"""The pure middle of the Lambda: records in, rendered Slack messages (and problems) out.

decode → match → route → render → `Outbound`, one record at a time. Nothing here talks to AWS
or Slack, so the benchmark can time exactly this, and the handler adds only delivery.

    counts = Counts()
    for item in process(iter_event(event), ruleset, fallback_channel="#alerts", counts=counts):
        ...  # an Outbound to post (channel "" when no channel was found) or a Problem to log
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from engine.model import Origin, SourceProblem, SourceRecord
from engine.rules.model import RuleSet
from engine.struct import Struct

if TYPE_CHECKING:
    from engine.delivery.outbound import Outbound

# Problem kinds, as they appear in the logs.
SKIPPED = "skipped"  # a payload, log event or record that could not be read
RULE_ERROR = "rule-error"  # a rule's condition raised on a record (the record still went on)
NO_CHANNEL = "no-channel"  # a matched rule that no setting gives a channel

HOW_TO_ROUTE = (
    "give the rule a channel, or set one under accounts, defaults.channel or SLACK_CHANNEL"
)


class Problem(Struct):
    """Something an operator should see in the logs; never fatal to the batch."""

    __slots__ = ("kind", "message", "origin", "event_id", "rule_ids", "retryable", "extra")

    def __init__(
        self,
        kind: str,  # SKIPPED, RULE_ERROR or NO_CHANNEL
        message: str,
        origin: Origin,
        event_id: str | None = None,
        rule_ids: tuple[str, ...] = (),
        # True when trying the same input again later may succeed (an S3 object not fetched yet).
        retryable: bool = False,
        extra: dict[str, Any] | None = None,
    ) -> None:
        self.kind = kind
        self.message = message
        self.origin = origin
        self.event_id = event_id
        self.rule_ids = rule_ids
        self.retryable = retryable
        self.extra = {} if extra is None else extra


class Counts(Struct, frozen=False):
    """What `process` saw; the handler adds what delivery did."""

    __slots__ = ("records", "matched", "alerts", "skipped", "rule_errors", "unrouted")

    def __init__(
        self,
        records: int = 0,  # CloudTrail records read
        matched: int = 0,  # records that matched at least one rule
        alerts: int = 0,  # messages rendered (one per record and channel), without a channel too
        skipped: int = 0,  # inputs that could not be read
        rule_errors: int = 0,  # conditions that raised
        unrouted: int = 0,  # messages without a channel
    ) -> None:
        self.records = records
        self.matched = matched
        self.alerts = alerts
        self.skipped = skipped
        self.rule_errors = rule_errors
        self.unrouted = unrouted


def process(
    items: Iterable[SourceRecord | SourceProblem],
    ruleset: RuleSet,
    *,
    fallback_channel: str | None,
    counts: Counts | None = None,
) -> Iterator[Outbound | Problem]:
    """For every record: its problems, then one `Outbound` per channel its matched rules name.

    An alert no setting gives a channel comes out as an `Outbound` with channel `""` after a
    NO_CHANNEL problem naming its rules: the caller must keep it, never post it.
    """
    counts = counts if counts is not None else Counts()
    match = ruleset.matcher or ruleset.match  # the loader's matcher, without a call around it
    for item in items:
        if isinstance(item, SourceProblem):
            counts.skipped += 1
            yield Problem(
                SKIPPED, item.message, item.origin, retryable=item.retryable, extra=item.extra
            )
            continue
        counts.records += 1
        record = item.record
        errors: list[Any] = []
        matched = match(record, errors)
        if errors:
            event_id = _event_id(record)
            for error in errors:
                counts.rule_errors += 1
                rule_ids = (error.rule_id,) if error.rule_id else ()
                message = f"{error.condition} could not be evaluated: {error.error}"
                yield Problem(RULE_ERROR, message, item.origin, event_id, rule_ids)
        if not matched:
            continue  # most records: nothing below runs for them
        counts.matched += 1
        event_id = _event_id(record)
        # Imported at the first alert, not at cold start: rendering needs the messages stage
        # (and JMESPath for custom formats), which a batch matching nothing never uses.
        from engine.delivery.outbound import Outbound
        from engine.messages import render, route

        origin_fields = item.origin.log_fields()
        for alert in route(
            record, matched, ruleset, fallback_channel=fallback_channel, origin=item.origin
        ):
            counts.alerts += 1
            rule_ids = tuple(alert.rule_ids)
            if not alert.routable:
                counts.unrouted += 1
                message = f"no channel for rule(s) {', '.join(rule_ids)}: {HOW_TO_ROUTE}"
                yield Problem(NO_CHANNEL, message, item.origin, event_id, rule_ids)
            message = render(alert, ruleset)
            yield Outbound(
                channel=alert.channel,
                text=message.text,
                blocks=message.blocks,
                attachments=message.attachments,
                event_id=event_id,
                rule_ids=rule_ids,
                severity=alert.severity,
                origin=origin_fields,
            )


def _event_id(record: dict[str, Any]) -> str | None:
    value = record.get("eventID")
    return value if isinstance(value, str) and value else None
