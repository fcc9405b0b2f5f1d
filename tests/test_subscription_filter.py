"""The compiled subscription filter passes every record a rule alerts on: a superset, never less."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.cli import main
from engine.filterpattern import parse
from engine.rules import load_rules
from engine.rules.subscription import (
    SubscriptionFilterError,
    compile_subscription_filter,
    negate,
)

ROOT = Path(__file__).resolve().parents[1]
RECORDS = sorted((ROOT / "tests/data/records").glob("*.json"))


def _rules(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "rules.yaml"
    path.write_text("version: 1\n" + text)
    return path


def test_default_rules_compile_within_aws_limits() -> None:
    compiled = compile_subscription_filter(load_rules([ROOT / "rules.yaml"]))

    assert 0 < len(compiled.pattern) <= 1024
    assert parse(compiled.pattern).node is not None
    # The seed's defects stay fixed in what AWS evaluates too.
    assert '"*SecurityGroup*"' in compiled.pattern
    assert '"Failed authentication"' in compiled.pattern


def test_compiled_filter_passes_every_record_the_default_rules_alert_on() -> None:
    ruleset = load_rules([ROOT / "rules.yaml"])
    pattern = parse(compile_subscription_filter(ruleset).pattern)
    records = [json.loads(path.read_text()) for path in RECORDS]
    records += [test.record for rule in ruleset.rules for test in rule.tests]
    alerting = [record for record in records if ruleset.match(record)]

    assert len(alerting) >= 20  # the corpus really exercises the rules
    for record in alerting:
        assert pattern.matches(record), record.get("eventName")
    # ... and it filters: reads and sign-in successes do not reach the function.
    dropped = [record for record in records if not pattern.matches(record)]
    assert dropped


EVENT_NAMES = [
    "GetUser", "ListUsers", "DescribeVpcs", "CreateUser", "DeleteUser", "PutBucketPolicy",
    "GetBucketPolicy", "AuthorizeSecurityGroupIngress", "ApplySecurityGroupsToLoadBalancer",
    "CreateInternetGateway", "DescribeInternetGateways", "CreateRoute", "CreateRouteTable",
    "StopLogging", "ConsoleLogin", "AssumeRole", "CreateVpc", "DeleteNetworkAcl", "RunInstances",
    "GetUserPolicy", "ListPolicies", "Describe", "Get", "User", "",
]  # fmt: skip
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=5))


@settings(max_examples=400, deadline=None)
@given(
    event_name=st.one_of(st.sampled_from(EVENT_NAMES), SCALARS, st.lists(SCALARS, max_size=2)),
    error_message=st.one_of(st.just("Failed authentication"), SCALARS),
    missing=st.sets(st.sampled_from(["eventName", "errorMessage"])),
)
def test_compiled_filter_is_a_superset_on_random_records(
    event_name: object, error_message: object, missing: set[str]
) -> None:
    ruleset = _DEFAULT_RULES
    record = {"eventName": event_name, "errorMessage": error_message}
    for key in missing:
        record.pop(key)
    if ruleset.match(record):
        assert _DEFAULT_FILTER.matches(record)


_DEFAULT_RULES = load_rules([ROOT / "rules.yaml"])
_DEFAULT_FILTER = parse(compile_subscription_filter(_DEFAULT_RULES).pattern)


def test_jmespath_only_rule_is_refused_naming_it(tmp_path: Path) -> None:
    path = _rules(tmp_path, "rules:\n  - {id: only-jp, title: T, when: \"eventName == 'X'\"}\n")

    with pytest.raises(SubscriptionFilterError, match="only-jp"):
        compile_subscription_filter(load_rules([path]))


def test_jmespath_part_of_a_rule_is_left_out_so_the_filter_stays_wider(tmp_path: Path) -> None:
    path = _rules(
        tmp_path,
        "rules:\n  - id: r\n    title: T\n    filter: '{ $.eventName = CreateUser }'\n"
        "    when: \"userIdentity.type == 'Root'\"\n",
    )

    assert compile_subscription_filter(load_rules([path])).pattern == (
        '{ ($.eventName = "CreateUser") }'
    )


def test_ignore_with_jmespath_stays_in_the_function(tmp_path: Path) -> None:
    path = _rules(
        tmp_path,
        "ignore:\n  - {name: bots, when: \"userIdentity.type == 'AWSService'\"}\n"
        "rules:\n  - {id: r, title: T, filter: '{ $.eventName = X }'}\n",
    )

    compiled = compile_subscription_filter(load_rules([path]))

    assert compiled.pattern == '{ ($.eventName = "X") }'
    assert any("bots" in note for note in compiled.notes)


def test_too_long_is_refused_with_the_length(tmp_path: Path) -> None:
    # Names that share no word, so broadening cannot help either.
    names = [f"X{hashlib.sha256(bytes([i])).hexdigest()[:24]}" for i in range(60)]
    rules = "".join(
        f"  - {{id: r{i}, title: T, filter: '{{ $.eventName = {name} }}'}}\n"
        for i, name in enumerate(names)
    )
    path = _rules(tmp_path, "rules:\n" + rules)

    with pytest.raises(SubscriptionFilterError, match="over AWS's limit of 1024"):
        compile_subscription_filter(load_rules([path]))


def test_three_regexes_are_refused(tmp_path: Path) -> None:
    rules = "".join(
        f"  - {{id: r{i}, title: T, filter: '{{ $.eventName = %^Create{i}% }}'}}\n"
        for i in range(3)
    )
    path = _rules(tmp_path, "rules:\n" + rules)

    with pytest.raises(SubscriptionFilterError, match="regex"):
        compile_subscription_filter(load_rules([path]))


@pytest.mark.parametrize(
    ("pattern", "negated"),
    [
        ('{ $.eventName = "Get*" }', '{ ($.eventName != "Get*") || ($.eventName NOT EXISTS) }'),
        ("{ $.errorCode NOT EXISTS }", '{ ($.errorCode = "*") }'),
        (
            "{ $.eventName = A || $.eventSource = b }",
            '{ (($.eventName != "A") || ($.eventName NOT EXISTS))'
            ' && (($.eventSource != "b") || ($.eventSource NOT EXISTS)) }',
        ),
        ("{ $.requestParameters.x = 1 }", None),  # not a field AWS always writes as a string
        ("{ $.eventName IS NULL }", None),
        ("{ $.eventName < 3 }", None),
    ],
)
def test_negation_is_exact_or_refused(pattern: str, negated: str | None) -> None:
    from engine.filterpattern import to_text

    result = negate(parse(pattern).node)

    assert (None if result is None else to_text(result)) == negated


def test_filter_pattern_command_prints_the_pattern(capsys) -> None:
    assert main(["filter-pattern", "--rules", str(ROOT / "rules.yaml")]) == 0
    out = capsys.readouterr().out
    assert out.strip() == compile_subscription_filter(_DEFAULT_RULES).pattern


def test_filter_pattern_command_explains_a_refusal(tmp_path: Path, capsys) -> None:
    path = _rules(tmp_path, "rules:\n  - {id: only-jp, title: T, when: \"eventName == 'X'\"}\n")

    assert main(["filter-pattern", "--rules", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "only-jp" in err and "cannot compile" in err


def test_cis_pack_is_broadened_to_fit_and_stays_a_superset() -> None:
    ruleset = load_rules([ROOT / "rules.yaml", ROOT / "rules/cis-aws-foundations.yaml"])
    compiled = compile_subscription_filter(ruleset)
    pattern = parse(compiled.pattern)
    records = [json.loads(path.read_text()) for path in RECORDS]
    records += [test.record for rule in ruleset.rules for test in rule.tests]

    assert len(compiled.pattern) <= 1024
    assert any("broadened" in note for note in compiled.notes)
    alerting = [record for record in records if ruleset.match(record)]
    assert len(alerting) >= 50
    for record in alerting:
        assert pattern.matches(record), record.get("eventName")


def test_broadening_covers_every_name_it_replaces() -> None:
    from engine.filterpattern import to_text
    from engine.rules.subscription import broaden_event_names

    names = ["CreateVpc", "DeleteVpc", "CreateRoute", "DeleteRoute", "MoveAccount"]
    node = parse("{ " + " || ".join(f"$.eventName = {name}" for name in names) + " }").node

    broadened = parse("{ " + to_text(broaden_event_names(node)).strip("{} ") + " }")

    assert all(broadened.matches({"eventName": name}) for name in names)
    assert '"MoveAccount"' in broadened.canonical()  # a name no word run shares stays exact
    assert not broadened.matches({"eventName": "GetObject"})


def test_lambda_load_skips_rule_test_files(tmp_path: Path) -> None:
    path = _rules(
        tmp_path,
        "rules:\n  - id: r\n    title: T\n    filter: '{ $.eventName = X }'\n"
        "    tests: [{name: t, file: not-shipped.json, expect: alert}]\n",
    )

    assert load_rules([path], with_tests=False).rules[0].tests == ()
