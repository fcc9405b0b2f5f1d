"""The bundled rule content: the default rules.yaml, the CIS pack, and the record corpus.

The rules carry their own tests; here they run under pytest, one pytest case per rule test, so
that a failure names the rule and the test. Beside them: the two seed defects shown fixed, the
default rules checked against the whole corpus (they alert on exactly the seed's categories and
nothing more), and the corpus itself checked for shape.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from engine.filterpattern import parse
from engine.rules import RuleSet, load_rules
from engine.ruletests import run_tests

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_RULES = ROOT / "rules.yaml"
CIS_RULES = ROOT / "rules" / "cis-aws-foundations.yaml"
RULE_FILES = (DEFAULT_RULES, CIS_RULES)
RECORDS = ROOT / "tests" / "data" / "records"

# The categories of the seed filter, one rule each, and nothing more.
DEFAULT_RULE_IDS = [
    "security-group-change",
    "load-balancer-security-groups-applied",
    "policy-change",
    "gateway-change",
    "user-change",
    "vpc-change",
    "network-acl-change",
    "route-created",
    "cloudtrail-logging-stopped",
    "console-login-failed",
]

# What the default rules alert on in the corpus; every other record there must not alert.
DEFAULT_ALERTS = {
    "ec2-authorize-sg-ingress-assumed-role": {"security-group-change"},
    "ec2-authorize-sg-ingress-denied-iam-user": {"security-group-change"},
    "ec2-authorize-sg-ingress-hostile-session-name": {"security-group-change"},
    "ec2-revoke-sg-egress-iam-user-cli": {"security-group-change"},
    "ec2-create-security-group-terraform-role": {"security-group-change"},
    "ec2-delete-security-group-iam-user": {"security-group-change"},
    "ec2-modify-security-group-rules-assumed-role": {"security-group-change"},
    "elbv2-set-security-groups-assumed-role": {"security-group-change"},
    "elb-apply-security-groups-to-load-balancer-iam-user": {
        "load-balancer-security-groups-applied"
    },
    "iam-put-user-policy-iam-user": {"policy-change"},
    "iam-attach-role-policy-aws-service": {"policy-change"},
    "s3-put-bucket-policy-assumed-role": {"policy-change"},
    "autoscaling-delete-policy-assumed-role": {"policy-change"},
    "organizations-attach-policy-assumed-role": {"policy-change"},
    "ec2-create-internet-gateway-assumed-role": {"gateway-change"},
    "ec2-delete-nat-gateway-iam-user": {"gateway-change"},
    "iam-create-user-root": {"user-change"},
    "iam-delete-user-assumed-role": {"user-change"},
    "ec2-create-vpc-iam-user": {"vpc-change"},
    "ec2-create-vpc-peering-connection-federated-user": {"vpc-change"},
    "ec2-create-vpc-endpoint-iam-user-eventversion-1-05": {"vpc-change"},
    "ec2-create-network-acl-entry-assumed-role": {"network-acl-change"},
    "ec2-replace-network-acl-association-terraform-role": {"network-acl-change"},
    "ec2-create-route-assumed-role": {"route-created"},
    "cloudtrail-stop-logging-iam-user": {"cloudtrail-logging-stopped"},
    "signin-console-login-failed-iam-user-no-arn": {"console-login-failed"},
    "signin-console-login-failed-hidden-user-name": {"console-login-failed"},
    "signin-console-login-failed-root": {"console-login-failed"},
}


@cache
def _ruleset(path: Path) -> RuleSet:
    return load_rules([path])


def _record(name: str) -> dict[str, Any]:
    return json.loads((RECORDS / f"{name}.json").read_text(encoding="utf-8"))


def _record_files() -> list[Path]:
    return sorted(RECORDS.glob("*.json"))


def _rule_test_cases() -> Iterator[Any]:
    for path in RULE_FILES:
        for rule in _ruleset(path).rules:
            for index, test in enumerate(rule.tests):
                yield pytest.param(path, rule.id, index, id=f"{path.name}:{rule.id}:{test.name}")


# -- the tests written inside the rule files ---------------------------------------------------


@pytest.mark.parametrize(("path", "rule_id", "index"), list(_rule_test_cases()))
def test_rule_test_passes(path: Path, rule_id: str, index: int) -> None:
    ruleset = _ruleset(path)
    rule = next(rule for rule in ruleset.rules if rule.id == rule_id)
    test = rule.tests[index]
    alerted = rule in ruleset.match(test.record)
    assert alerted == test.expect_alert, (
        f"{rule_id} › {test.name}: expected {'an alert' if test.expect_alert else 'no alert'}"
    )
    # The message checks (contains / not_contains) as the `test` command runs them.
    outcome = next(o for o in run_tests(ruleset) if o.rule is rule and o.test is test)
    assert outcome.passed, outcome.line()


@pytest.mark.parametrize("path", RULE_FILES, ids=lambda path: path.name)
def test_every_rule_has_a_positive_and_a_negative_test(path: Path) -> None:
    for rule in _ruleset(path).rules:
        expectations = {test.expect_alert for test in rule.tests}
        assert expectations == {True, False}, f"{path.name}: {rule.id} needs both kinds of test"


def test_default_rules_are_the_seed_categories_and_nothing_more() -> None:
    ruleset = _ruleset(DEFAULT_RULES)
    assert [rule.id for rule in ruleset.rules] == DEFAULT_RULE_IDS
    assert all(rule.enabled for rule in ruleset.rules)
    assert sum(len(rule.tests) for rule in ruleset.rules) >= 20


def test_default_rules_on_the_whole_corpus() -> None:
    ruleset = _ruleset(DEFAULT_RULES)
    wrong = {}
    for file in _record_files():
        got = {rule.id for rule in ruleset.match(json.loads(file.read_text(encoding="utf-8")))}
        expected = DEFAULT_ALERTS.get(file.stem, set())
        if got != expected:
            wrong[file.stem] = (sorted(expected), sorted(got))
    assert not wrong, f"(expected, got) per record: {wrong}"
    assert set(DEFAULT_ALERTS) <= {file.stem for file in _record_files()}


def test_read_only_calls_are_ignored_even_when_a_category_matches_their_name() -> None:
    ruleset = _ruleset(DEFAULT_RULES)
    for name in (
        "iam-get-user-iam-user",  # *User
        "s3-get-bucket-policy-assumed-role",  # *Policy*
        "ec2-describe-vpcs-assumed-role",  # *Vpc*
        "ec2-describe-security-groups-iam-user",  # *SecurityGroup*
        "ec2-describe-network-acls-assumed-role",  # *NetworkAcl*
    ):
        record = _record(name)
        # A category's filter alone would alert; the read-only ignore entry stops it.
        assert any(rule.filter_pattern.matches(record) for rule in ruleset.rules), name
        assert [ignore.name for ignore in ruleset.ignores if ignore.matches(record)] == [
            "read-only-calls"
        ], name
        assert ruleset.match(record) == [], name


def test_both_files_load_together_and_their_tests_still_pass() -> None:
    ruleset = load_rules([DEFAULT_RULES, CIS_RULES])
    failures = [outcome.line() for outcome in run_tests(ruleset) if not outcome.passed]
    assert not failures


def test_beside_the_default_rules_a_denied_read_no_longer_reaches_the_cis_pack() -> None:
    # Documented in rules/README.md: rule files loaded together share their ignore entries.
    record = _record("s3-list-objects-access-denied-iam-user")
    assert [rule.id for rule in _ruleset(CIS_RULES).match(record)] == ["cis-unauthorized-api-calls"]
    assert load_rules([DEFAULT_RULES, CIS_RULES]).match(record) == []


# -- the seed's two defects, fixed --------------------------------------------------------------


def test_seed_defect_1_security_group_changes_alert() -> None:
    record = _record("ec2-authorize-sg-ingress-assumed-role")
    # The seed's prefix pattern misses every EC2 security-group API ...
    assert not parse('{ $.eventName = "SecurityGroup*" }').matches(record)
    # ... the default rules do not.
    matched = [rule.id for rule in _ruleset(DEFAULT_RULES).match(record)]
    assert matched == ["security-group-change"]


def test_seed_defect_2_failed_console_sign_in_alerts() -> None:
    record = _record("signin-console-login-failed-iam-user-no-arn")
    assert record["errorMessage"] == "Failed authentication"
    # The seed's "spaces removed" copy lost the space inside the quoted string ...
    minified = '{($.eventName=ConsoleLogin)&&($.errorMessage="Failedauthentication")}'
    assert not parse(minified).matches(record)
    # ... the default rules keep it.
    matched = [rule.id for rule in _ruleset(DEFAULT_RULES).match(record)]
    assert matched == ["console-login-failed"]


# -- the record corpus --------------------------------------------------------------------------


def test_the_corpus_is_broad() -> None:
    records = [json.loads(file.read_text(encoding="utf-8")) for file in _record_files()]
    identity_types = {r["userIdentity"]["type"] for r in records if "userIdentity" in r}
    assert {
        "IAMUser",
        "AssumedRole",
        "Root",
        "AWSService",
        "FederatedUser",
        "SAMLUser",
        "WebIdentityUser",
        "AWSAccount",
        "Unknown",
        "IdentityCenterUser",
    } <= identity_types
    assert any("userIdentity" not in r and "eventName" not in r for r in records)  # Insight
    assert len({r["recipientAccountId"] for r in records}) >= 3
    assert len({r["awsRegion"] for r in records}) >= 4
    assert len(records) >= 40


@pytest.mark.parametrize("file", _record_files(), ids=lambda file: file.name)
def test_record_file_is_one_cloudtrail_record(file: Path) -> None:
    record = json.loads(file.read_text(encoding="utf-8"))
    assert isinstance(record, dict)
    for key in ("eventVersion", "eventTime", "eventID", "eventType", "recipientAccountId"):
        assert key in record, f"{file.name}: no {key}"


def test_record_event_ids_are_unique() -> None:
    ids = [json.loads(f.read_text(encoding="utf-8"))["eventID"] for f in _record_files()]
    assert len(ids) == len(set(ids))
