"""Channel precedence and one message per channel per record."""

from __future__ import annotations

from typing import Any

from engine.messages import NO_CHANNEL, route
from engine.model import Origin
from engine.rules.model import Account, Defaults, Rule, RuleSet
from tests import rulebuilders

RECORD = {"eventName": "DeleteUser", "recipientAccountId": "111122223333"}


def make_rule(rule_id: str, *channels: str, severity: str = "medium") -> Rule:
    return rulebuilders.make_rule(rule_id, channels=channels, severity=severity)


def ruleset(account_channel: str | None = None, default: str | None = None) -> RuleSet:
    return RuleSet(
        rules=(),
        accounts={"111122223333": Account("111122223333", "prod", account_channel)},
        defaults=Defaults(channel=default),
    )


def channels(alerts: list[Any]) -> list[str]:
    return [alert.channel for alert in alerts]


def test_rule_channel_comes_first() -> None:
    alerts = route(
        RECORD, [make_rule("r", "#rule")], ruleset("#acct", "#default"), fallback_channel="#env"
    )
    assert channels(alerts) == ["#rule"]


def test_then_the_account_channel() -> None:
    alerts = route(RECORD, [make_rule("r")], ruleset("#acct", "#default"), fallback_channel="#env")
    assert channels(alerts) == ["#acct"]


def test_account_channel_applies_only_to_that_account() -> None:
    record = RECORD | {"recipientAccountId": "444455556666"}
    alerts = route(record, [make_rule("r")], ruleset("#acct", "#default"), fallback_channel="#env")
    assert channels(alerts) == ["#default"]


def test_then_the_rule_file_default() -> None:
    alerts = route(RECORD, [make_rule("r")], ruleset(None, "#default"), fallback_channel="#env")
    assert channels(alerts) == ["#default"]


def test_then_the_environment_fallback() -> None:
    alerts = route(RECORD, [make_rule("r")], ruleset(), fallback_channel="#env")
    assert channels(alerts) == ["#env"]


def test_no_channel_anywhere_yields_an_unroutable_alert() -> None:
    (alert,) = route(RECORD, [make_rule("r")], ruleset(), fallback_channel=None)
    assert alert.channel == NO_CHANNEL
    assert not alert.routable


def test_odd_account_id_types_are_tolerated() -> None:
    for value in (None, 111122223333, ["111122223333"]):
        record = RECORD | {"recipientAccountId": value}
        alerts = route(record, [make_rule("r")], ruleset("#acct"), fallback_channel="#env")
        assert channels(alerts) == ["#env"]


def test_rules_to_the_same_channel_merge_with_the_highest_severity() -> None:
    matched = [
        make_rule("low", "#sec", severity="low"),
        make_rule("crit", "#sec", severity="critical"),
        make_rule("high", "#sec", severity="high"),
    ]
    (alert,) = route(RECORD, matched, ruleset(), fallback_channel=None)
    assert alert.channel == "#sec"
    assert alert.rule_ids == ["low", "crit", "high"]
    assert alert.severity == "critical"


def test_one_alert_per_channel_each_with_its_own_rules() -> None:
    origin = Origin("file", path="x.json", line=3)
    matched = [
        make_rule("a", "#sec", "#team", severity="low"),
        make_rule("b", severity="high"),  # → the account channel
        make_rule("c", "#team", severity="medium"),
        make_rule("d", "#sec", "#sec", severity="info"),  # a channel named twice counts once
    ]
    alerts = route(RECORD, matched, ruleset("#acct"), fallback_channel="#env", origin=origin)
    assert [(a.channel, a.rule_ids, a.severity) for a in alerts] == [
        ("#sec", ["a", "d"], "low"),
        ("#team", ["a", "c"], "medium"),
        ("#acct", ["b"], "high"),
    ]
    assert all(alert.origin is origin and alert.record is RECORD for alert in alerts)


def test_unroutable_alert_comes_last() -> None:
    alerts = route(
        RECORD, [make_rule("a"), make_rule("b", "#sec")], ruleset(), fallback_channel=None
    )
    assert channels(alerts) == ["#sec", NO_CHANNEL]


def test_nothing_matched_means_no_alert() -> None:
    assert route(RECORD, [], ruleset("#acct", "#d"), fallback_channel="#env") == []
