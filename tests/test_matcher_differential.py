"""The indexed matcher (engine/rules/index.py) against the plain one, record by record.

Same rules, same generated corpus: the matched rules (in order) and the reported errors must
be identical. The corpus is the benchmark's realistic load plus records whose eventName and
eventSource are missing, null, numbers, lists, near-misses of the rules' literals, and so on.
"""

from __future__ import annotations

import random
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest

from bench.corpus import records as realistic_records
from engine.rules import RuleSet, load_rules, plain_match
from engine.rules.index import build_matcher

ROOT = Path(__file__).resolve().parent.parent
DEFAULT = ROOT / "rules.yaml"
CIS = ROOT / "rules" / "cis-aws-foundations.yaml"
HUNDRED = ROOT / "bench" / "rules-100.yaml"
ODD_RULES = Path(__file__).parent / "data" / "rules" / "differential.yaml"

NAMES = (
    "RunInstances",
    "CreateUser",
    "DeleteUser",
    "PutUserPolicy",
    "CreateRoute",
    "Delete",
    "Create",
    "DeleteBucket",
    "AuthorizeSecurityGroupIngress",
    "SecurityGroup",
    "Policy",
    "GetPolicy",
    "CreateTags",
    "PutBucketTagging",
    "StopLogging",
    "StopLoggingNow",
    "ConsoleLogin",
    "TerminateInstances",
    "CreateAccessKey",
    "GetCallerIdentity",
    "Describe",
    "describeinstances",
    "ApplySecurityGroupsToLoadBalancer",
    "CreateInternetGateway",
    "Gateway",
    "ScheduleKeyDeletion",
    "Ünïcödé",
    "",
    "5",
)
ODD_VALUES: tuple[Any, ...] = (None, 5, 5.0, True, [], ["CreateUser"], {"name": "CreateUser"})
SOURCES = (
    "iam.amazonaws.com",
    "kms.amazonaws.com",
    "s3.amazonaws.com",
    "s3-outposts.amazonaws.com",
    "ec2.amazonaws.com",
    "sts.amazonaws.com",
    "config.amazonaws.com",
    "cloudtrail.amazonaws.com",
    "organizations.amazonaws.com",
    "IAM.amazonaws.com",
    "",
)
MISSING = object()


def _set(record: dict[str, Any], key: str, value: Any) -> None:
    if value is MISSING:
        record.pop(key, None)
    else:
        record[key] = value


def odd_record(rng: random.Random, base: dict[str, Any]) -> dict[str, Any]:
    """A copy of `base` with the fields rules look at bent in one of many ways."""
    record = dict(base)
    identity = dict(record.get("userIdentity") or {})
    record["userIdentity"] = identity
    name_choices = (*NAMES, *ODD_VALUES, MISSING)
    _set(record, "eventName", rng.choice(name_choices))
    if rng.random() < 0.6:
        _set(record, "eventSource", rng.choice((*SOURCES, *ODD_VALUES, MISSING)))
    if rng.random() < 0.3:
        record["errorCode"] = rng.choice(("AccessDenied", "Client.UnauthorizedOperation", 5))
    if rng.random() < 0.2:
        record["errorMessage"] = "Failed authentication"
        record["responseElements"] = {"ConsoleLogin": rng.choice(("Success", "Failure"))}
        record["additionalEventData"] = {"MFAUsed": rng.choice(("Yes", "No", "yes", 1))}
    if rng.random() < 0.3:
        identity["type"] = rng.choice(("Root", "IAMUser", "AWSService", "FederatedUser", 7, None))
    if rng.random() < 0.2:
        record["recipientAccountId"] = rng.choice(("111122223333", "444455556666", 111122223333))
    if rng.random() < 0.1:
        record["userAgent"] = "ignore-me"
    if rng.random() < 0.1:
        record["readOnly"] = rng.choice((False, "false", None))
    return record


@pytest.fixture(scope="module")
def corpus() -> list[Any]:
    rng = random.Random(2024)
    realistic = realistic_records(4000, seed=61)
    odd = [odd_record(rng, rng.choice(realistic)) for _ in range(2500)]
    # Not plain dicts: the index hands these to the plain matcher.
    others: list[Any] = [MappingProxyType(r) for r in odd[:50]]
    return [*realistic, *odd, *others]


RULE_SETS = {
    "default": (DEFAULT,),
    "cis": (CIS,),
    "hundred": (DEFAULT, CIS, HUNDRED),
    "odd": (ODD_RULES,),
    "odd-with-default": (DEFAULT, ODD_RULES),
}


def compare(ruleset: RuleSet, corpus: list[Any]) -> dict[str, int]:
    seen = {"matched": 0, "errors": 0, "ignored_or_none": 0}
    for record in corpus:
        plain_errors: list[Any] = []
        fast_errors: list[Any] = []
        expected = plain_match(ruleset.rules, ruleset.ignores, record, plain_errors)
        actual = ruleset.match(record, fast_errors)
        assert [rule.id for rule in actual] == [rule.id for rule in expected], record
        assert fast_errors == plain_errors, record
        seen["matched"] += bool(expected)
        seen["errors"] += len(plain_errors)
        seen["ignored_or_none"] += not expected
    return seen


@pytest.mark.parametrize("name", sorted(RULE_SETS))
def test_indexed_matcher_agrees_with_the_plain_one(name: str, corpus: list[Any]) -> None:
    ruleset = load_rules(RULE_SETS[name])
    assert ruleset.matcher is not None
    seen = compare(ruleset, corpus)
    # The corpus must exercise both outcomes, or agreement would prove little.
    assert seen["matched"] > 50
    assert seen["ignored_or_none"] > 1000


def test_the_odd_rules_raise_and_the_errors_agree(corpus: list[Any]) -> None:
    seen = compare(load_rules([ODD_RULES]), corpus)
    assert seen["errors"] > 50


def test_without_an_errors_list_the_results_agree(corpus: list[Any]) -> None:
    ruleset = load_rules([DEFAULT, ODD_RULES])
    for record in corpus[::7]:
        expected = plain_match(ruleset.rules, ruleset.ignores, record)
        assert ruleset.match(record) == expected


def test_the_corpus_is_large_and_varied(corpus: list[Any]) -> None:
    assert len(corpus) >= 5000
    names = {r.get("eventName") for r in corpus if isinstance(r.get("eventName"), str)}
    assert len(names) > 60
    assert any("eventName" not in r for r in corpus)
    assert any(isinstance(r.get("eventName"), int) for r in corpus)


def _counting(ruleset: RuleSet) -> tuple[RuleSet, list[str]]:
    """The rule set with every predicate wrapped to log which rules and ignores ran."""
    calls: list[str] = []

    def spy(name: str, predicate: Any) -> Any:
        def counted(record: Any) -> bool:
            calls.append(name)
            return predicate(record)

        return counted

    rules = tuple(rule.replace(matches=spy(rule.id, rule.matches)) for rule in ruleset.rules)
    ignores = tuple(i.replace(matches=spy(f"ignore:{i.name}", i.matches)) for i in ruleset.ignores)
    ruleset = ruleset.replace(rules=rules, ignores=ignores)
    ruleset.matcher = build_matcher(rules, ignores, fallback=plain_match)
    return ruleset, calls


def test_the_index_skips_rules_that_cannot_match() -> None:
    ruleset, calls = _counting(load_rules([DEFAULT]))
    assert (
        ruleset.match({"eventName": "DescribeInstances", "eventSource": "ec2.amazonaws.com"}) == []
    )
    assert calls == ["ignore:read-only-calls"]
    calls.clear()
    assert ruleset.match({"eventName": "AssumeRole", "eventSource": "sts.amazonaws.com"}) == []
    assert calls == []  # no default rule can match AssumeRole: nothing is evaluated
    calls.clear()
    matched = ruleset.match({"eventName": "CreateSecurityGroup"})
    assert [rule.id for rule in matched] == ["security-group-change"]
    assert calls == ["security-group-change"]


def test_rules_without_constraints_are_always_evaluated_in_file_order() -> None:
    ruleset, calls = _counting(load_rules([ODD_RULES]))
    ruleset.match({"eventName": "AssumeRole", "eventSource": "sts.amazonaws.com"})
    assert calls == [
        "ignore:unkeyed-ignore",
        "mixed-or",
        "not-equal",
        "any-string",
        "numeric-name",
        "when-only",
        "when-only-raises",
    ]
