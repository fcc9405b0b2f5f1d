"""Where the alerts for one record go: one alert per channel, naming every rule that sent it.

Channel precedence for each matched rule: the rule's own channels, then the channel of the
account the record belongs to (`recipientAccountId` under `accounts:`), then the rule file's
`defaults.channel`, then the fallback (the `SLACK_CHANNEL` environment variable).

A rule for which none of these names a channel still yields an alert, with `channel == ""`
(`NO_CHANNEL`), so that the caller can report it with the record (dry-run shows it, the
Lambda logs it as undeliverable) instead of the alert vanishing. Such an alert is never sent.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from engine.model import Origin
from engine.rules.model import SEVERITY_RANK, Rule, RuleSet
from engine.struct import Struct

NO_CHANNEL = ""


class Alert(Struct, frozen=False):
    """One message to post: a record, the channel, and every matched rule routed there."""

    __slots__ = ("channel", "rules", "severity", "record", "origin")

    def __init__(
        self,
        channel: str,  # NO_CHANNEL ("") when no channel could be found; never sent
        rules: tuple[Rule, ...],  # in file order
        severity: str,  # the highest severity among `rules`
        record: dict[str, Any],
        origin: Origin | None = None,
    ) -> None:
        self.channel = channel
        self.rules = rules
        self.severity = severity
        self.record = record
        self.origin = origin

    @property
    def rule_ids(self) -> list[str]:
        return [rule.id for rule in self.rules]

    @property
    def primary(self) -> Rule:
        """The rule whose title and format the message uses: the most severe, first in file
        order among equals."""
        best = self.rules[0]
        for rule in self.rules[1:]:
            if _rank(rule.severity) > _rank(best.severity):
                best = rule
        return best

    @property
    def routable(self) -> bool:
        return self.channel != NO_CHANNEL


def _rank(severity: str) -> int:
    return SEVERITY_RANK.get(severity, -1)


def _channels_for(
    rule: Rule, account_channel: str | None, default: str | None, fallback: str | None
) -> tuple[str, ...]:
    if rule.channels:
        return rule.channels
    for channel in (account_channel, default, fallback):
        if channel:
            return (channel,)
    return (NO_CHANNEL,)


def route(
    record: Mapping[str, Any],
    matched: Sequence[Rule],
    ruleset: RuleSet,
    *,
    fallback_channel: str | None,
    origin: Origin | None = None,
) -> list[Alert]:
    """The alerts for `record` given the rules it `matched` (in file order).

    Channels appear in the order their first rule names them; `NO_CHANNEL` comes last.
    """
    if not matched:
        return []
    account_id = record.get("recipientAccountId")
    account = ruleset.accounts.get(account_id) if isinstance(account_id, str) else None
    account_channel = account.channel if account is not None else None
    by_channel: dict[str, list[Rule]] = {}
    for rule in matched:
        for channel in dict.fromkeys(
            _channels_for(rule, account_channel, ruleset.defaults.channel, fallback_channel)
        ):
            rules = by_channel.setdefault(channel, [])
            if not any(seen is rule for seen in rules):
                rules.append(rule)
    alerts = [
        Alert(
            channel=channel,
            rules=tuple(rules),
            severity=max((rule.severity for rule in rules), key=_rank),
            record=dict(record) if not isinstance(record, dict) else record,
            origin=origin,
        )
        for channel, rules in by_channel.items()
    ]
    alerts.sort(key=lambda alert: not alert.routable)  # stable: keeps first-named order
    return alerts
