"""What each format shows: standard, compact, detailed, seed and custom templates."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from slack_sdk.models.attachments import Attachment
from slack_sdk.models.blocks import Block

from engine.messages import Alert, SlackMessage, TemplateError, compile_template, render, route
from engine.messages.actor import actor
from engine.messages.plain import plain_text
from engine.model import Origin
from engine.rules.model import Account, Defaults, Rule, RuleSet
from tests import rulebuilders

DATA = Path(__file__).parent / "data" / "messages"
CONSOLE = (
    "https://us-east-1.console.aws.amazon.com/cloudtrailv2/home?region=us-east-1"
    "#/events/3f8b7a52-9d1c-4e2b-8f6a-0c1d2e3f4a5b"
)
ORIGIN = Origin("cloudwatch-logs", log_group="aws-cloudtrail-logs-111122223333", log_event_id="36")


def load(name: str) -> dict[str, Any]:
    return json.loads((DATA / name).read_text())


def make_rule(rule_id: str = "iam-user-deleted", **changes: Any) -> Rule:
    return rulebuilders.make_rule(rule_id, **({"title": "IAM user deleted"} | changes))


def ruleset(**changes: Any) -> RuleSet:
    fields: dict[str, Any] = {
        "rules": (),
        "accounts": {"111122223333": Account("111122223333", "prod")},
    }
    return RuleSet(**(fields | changes))


def message_for(record: dict[str, Any], *rules: Rule, rs: RuleSet | None = None) -> SlackMessage:
    rs = rs or ruleset()
    alerts = route(record, rules or (make_rule(),), rs, fallback_channel=None, origin=ORIGIN)
    assert len(alerts) == 1
    return render(alerts[0], rs)


def assert_valid_for_slack(message: SlackMessage) -> None:
    """slack_sdk's own models accept every block and attachment (they check Slack's limits)."""
    assert message.text.strip()
    assert len(message.text) < 4000
    assert len(message.blocks) <= 50
    for block in message.blocks:
        parsed = Block.parse(block)
        assert parsed is not None, block
        parsed.to_dict()  # raises SlackObjectFormationException beyond a limit
    for attachment in message.attachments or []:
        kept = {k: v for k, v in attachment.items() if k not in ("fields", "text")}
        Attachment(text=attachment.get("text", ""), **kept).to_dict()
        for field in attachment.get("fields", []):
            assert 0 < len(field["value"]) <= 2000
            assert len(field["title"]) <= 300
    json.dumps(message.to_payload(), ensure_ascii=False).encode("utf-8")


def fields_of(message: SlackMessage) -> dict[str, str]:
    out = {}
    for block in message.blocks:
        for field in block.get("fields", []):
            label, _, value = field["text"].partition("\n")
            out[label.strip("*")] = value
    return out


def test_standard_shows_who_did_what_where() -> None:
    message = message_for(load("delete_user.json"))
    assert_valid_for_slack(message)
    header = message.blocks[0]
    assert header["type"] == "header"
    assert header["text"]["text"] == ":large_orange_circle: HIGH: IAM user deleted"
    assert fields_of(message) == {
        "Account": "111122223333 (prod)",
        "Region": "us-east-1",
        "Who": "arn:aws:sts::111122223333:assumed-role/Admin/alice@example.com",
        "Source IP": "203.0.113.10",
        "Event": "DeleteUser (iam)",
        "Time": "<!date^1715656869^{date_short_pretty} {time_secs}|2024-05-14 03:21:09 UTC>",
    }
    context = [element["text"] for element in message.blocks[-2]["elements"]]
    assert context == [
        "Rule: iam-user-deleted",
        "Event ID: 3f8b7a52-9d1c-4e2b-8f6a-0c1d2e3f4a5b",
        "Log group: aws-cloudtrail-logs-111122223333",
    ]
    button = message.blocks[-1]["elements"][0]
    assert button["url"] == CONSOLE
    assert message.text == (
        ":large_orange_circle: [HIGH] IAM user deleted: DeleteUser by "
        "arn:aws:sts::111122223333:assumed-role/Admin/alice@example.com "
        "in 111122223333 (prod) (us-east-1)"
    )


def test_failed_call_shows_the_error_and_an_actor_without_arn() -> None:
    message = message_for(load("console_login_failed.json"))
    assert_valid_for_slack(message)
    fields = fields_of(message)
    assert fields[":x: Failed"] == "Failed authentication"
    assert fields["Who"] == "carol"
    assert "failed: Failed authentication" in message.text


def test_record_without_identity_or_event_name_still_renders() -> None:
    message = message_for(load("insight.json"))
    assert_valid_for_slack(message)
    fields = fields_of(message)
    assert fields["Who"] == "unknown"
    assert fields["Event"] == "AwsCloudTrailInsight"
    assert fields["Source IP"] == "–"


def test_mentions_come_from_rules_only_and_lead_the_text() -> None:
    rules = (
        make_rule("a", mention=("<!here>", "<@U0123ABCD>")),
        make_rule("b", mention=("<@U0123ABCD>", "not a mention")),
    )
    message = message_for(load("delete_user.json"), *rules)
    assert message.text.startswith("<!here> <@U0123ABCD> ")
    assert message.blocks[1]["text"]["text"] == "<!here> <@U0123ABCD>"
    assert "not a mention" not in json.dumps(message.to_payload())


def test_merged_rules_are_all_named_and_the_most_severe_leads() -> None:
    rules = (
        make_rule("iam-change", title="IAM changed", severity="medium"),
        make_rule("iam-user-deleted", title="IAM user deleted", severity="critical"),
        make_rule("iam-any", title="Any IAM call", severity="critical"),
    )
    message = message_for(load("delete_user.json"), *rules)
    assert message.blocks[0]["text"]["text"] == ":red_circle: CRITICAL: IAM user deleted"
    assert "Also matched: IAM changed; Any IAM call" in plain_text(message)
    assert "Rules: iam-change, iam-user-deleted, iam-any" in plain_text(message)


def test_time_token_falls_back_to_the_raw_text() -> None:
    record = load("delete_user.json") | {"eventTime": "yesterday <b>"}
    assert fields_of(message_for(record))["Time"] == "yesterday &lt;b&gt;"


def test_no_console_link_without_a_valid_region_or_id() -> None:
    for change in ({"awsRegion": "us-east-1/../evil"}, {"eventID": None}, {"awsRegion": 5}):
        message = message_for(load("delete_user.json") | change)
        assert all(block["type"] != "actions" for block in message.blocks)
        assert_valid_for_slack(message)


def test_compact_is_one_line() -> None:
    rule = make_rule(format="compact", mention=("<!here>",))
    message = message_for(load("console_login_failed.json"), rule)
    assert_valid_for_slack(message)
    assert len(message.blocks) == 1
    line = message.blocks[0]["text"]["text"]
    assert "\n" not in line
    assert line == (
        "<!here> :large_orange_circle: *IAM user deleted*: ConsoleLogin by carol in "
        "111122223333 (prod) us-east-1 :x: Failed authentication "
        "<https://us-east-1.console.aws.amazon.com/cloudtrailv2/home?region=us-east-1"
        "#/events/c0ffee00-1234-4abc-8def-0123456789ab|open>"
    )


def test_detailed_adds_request_and_response_as_json_code_blocks() -> None:
    record = load("delete_user.json") | {"responseElements": {"ok": True}}
    message = message_for(record, make_rule(format="detailed"))
    assert_valid_for_slack(message)
    codes = [
        b["text"]["text"] for b in message.blocks if "```" in b.get("text", {}).get("text", "")
    ]
    assert codes == [
        '*requestParameters*\n```\n{\n  "userName": "bob"\n}\n```',
        '*responseElements*\n```\n{\n  "ok": true\n}\n```',
    ]
    assert fields_of(message)["User agent"].startswith("aws-cli/2.15.30")


def test_seed_is_the_original_yellow_attachment_in_the_configured_zone() -> None:
    rs = ruleset(defaults=Defaults(timezone="Asia/Tokyo"))
    message = message_for(load("delete_user.json"), make_rule(format="seed"), rs=rs)
    assert_valid_for_slack(message)
    assert message.blocks == []
    (attachment,) = message.attachments or []
    assert attachment["color"] == "warning"
    assert attachment["title"] == "3f8b7a52-9d1c-4e2b-8f6a-0c1d2e3f4a5b"
    assert attachment["title_link"] == CONSOLE
    assert [(f["title"], f["value"]) for f in attachment["fields"]] == [
        ("Time", "2024-05-14 12:21:09 JST"),
        ("Event name", "DeleteUser"),
        ("User", "arn:aws:sts::111122223333:assumed-role/Admin/alice@example.com"),
        ("Service", "iam.amazonaws.com"),
        ("Region", "us-east-1"),
    ]
    assert "blocks" not in message.to_payload()


def test_seed_with_unknown_zone_uses_utc() -> None:
    rs = ruleset(defaults=Defaults(timezone="Mars/Olympus"))
    message = message_for(load("delete_user.json"), make_rule(format="seed"), rs=rs)
    assert (message.attachments or [])[0]["fields"][0]["value"] == "2024-05-14 03:21:09 UTC"


CUSTOM = {
    "text": "{{ alert.title }} by {{ alert.actor }}",
    "blocks": [
        {
            "type": "section",
            "text": {"type": "mrkdwn", "text": "*{{ eventName }}* in {{ alert.account_name }}"},
        },
        {"type": "section", "text": {"type": "mrkdwn", "text": "{{ missing.field }}"}},
        {
            "type": "context",
            "elements": [
                {"type": "mrkdwn", "text": "{{ join(', ', alert.rule_ids) }} {{ alert.severity }}"}
            ],
        },
        {
            "type": "actions",
            "elements": [
                {
                    "type": "button",
                    "text": {"type": "plain_text", "text": "Open"},
                    "url": "{{ alert.console_url }}",
                }
            ],
        },
    ],
}


def test_custom_template_fills_placeholders_and_drops_empty_blocks() -> None:
    rs = ruleset(formats={"mine": CUSTOM})
    message = message_for(
        load("delete_user.json"), make_rule(format="mine", mention=("<!here>",)), rs=rs
    )
    assert_valid_for_slack(message)
    assert message.text == (
        "<!here> IAM user deleted by arn:aws:sts::111122223333:assumed-role/Admin/alice@example.com"
    )
    assert [block["type"] for block in message.blocks] == ["section", "context", "actions"]
    assert message.blocks[0]["text"]["text"] == "*DeleteUser* in prod"
    assert message.blocks[1]["elements"][0]["text"] == "iam-user-deleted high"
    assert message.blocks[2]["elements"][0]["url"] == CONSOLE
    assert rs.formats["mine"] == CUSTOM  # rendering never edits the template


def test_custom_template_is_compiled_once_per_ruleset() -> None:
    rs = ruleset(formats={"mine": copy.deepcopy(CUSTOM)})
    first = message_for(load("delete_user.json"), make_rule(format="mine"), rs=rs)
    rs.formats["mine"]["text"] = "changed"  # type: ignore[index]
    second = message_for(load("delete_user.json"), make_rule(format="mine"), rs=rs)
    assert first.text == second.text


def test_unknown_or_broken_format_falls_back_to_standard() -> None:
    rs = ruleset(formats={"broken": {"text": "{{ foo[ }}"}})
    for name in ("nope", "broken"):
        message = message_for(load("delete_user.json"), make_rule(format=name), rs=rs)
        assert message.blocks[0]["type"] == "header"


@pytest.mark.parametrize(
    ("template", "path", "fragment"),
    [
        ({"text": "{{ foo[ }}"}, ("text",), "bad JMESPath"),
        (
            {"text": "ok", "blocks": [{"type": "section", "text": {"text": "{{ }}"}}]},
            ("blocks", 0, "text", "text"),
            "empty placeholder",
        ),
        ({"text": "a {{ b"}, ("text",), "unclosed"),
        ({"text": "x", "colour": 1}, ("colour",), "unknown key"),
        ({"text": "x", "blocks": {"a": 1}}, ("blocks",), "must be a list"),
        ({"text": 3}, ("text",), "must be a string"),
        ("text", (), "mapping"),
    ],
)
def test_compile_template_names_the_bad_part(template: Any, path: tuple, fragment: str) -> None:
    with pytest.raises(TemplateError) as raised:
        compile_template(template)
    assert raised.value.path == path
    assert fragment in raised.value.message


def test_template_error_reads_as_a_place() -> None:
    error = TemplateError("bad", ("blocks", 2, "text"))
    assert str(error) == "blocks[2].text: bad"


@pytest.mark.parametrize(
    ("identity", "expected"),
    [
        ({"arn": "arn:aws:iam::1:user/a", "userName": "a"}, "arn:aws:iam::1:user/a"),
        ({"sessionContext": {"sessionIssuer": {"userName": "Role"}}, "userName": "u"}, "Role"),
        ({"sessionContext": "odd", "userName": "u"}, "u"),
        (
            {"type": "AWSService", "invokedBy": "autoscaling.amazonaws.com"},
            "autoscaling.amazonaws.com",
        ),
        ({"principalId": "AIDA1", "arn": 5}, "AIDA1"),
        ({"type": "Root", "arn": ""}, "Root"),
        ({}, "unknown"),
        ("not a mapping", "unknown"),
        (None, "unknown"),
    ],
)
def test_actor_never_assumes_a_field(identity: Any, expected: str) -> None:
    assert actor({"userIdentity": identity}) == expected


def test_alert_primary_is_most_severe_then_first() -> None:
    rules = (
        make_rule("a", severity="low"),
        make_rule("b", severity="high"),
        make_rule("c", severity="high"),
    )
    alert = Alert("#x", rules, "high", {})
    assert alert.primary.id == "b"


def test_placeholder_in_a_link_target_is_percent_encoded() -> None:
    template = {"text": "<https://example.com/{{ eventName }}|{{ eventName }}> {{ eventName }}"}
    rs = ruleset(formats={"link": template})
    record = load("delete_user.json") | {"eventName": "x|Click <b>"}
    message = message_for(record, make_rule(format="link"), rs=rs)
    assert message.text == (
        "<https://example.com/x%7CClick%20%3Cb%3E|x|Click &lt;b&gt;> x|Click &lt;b&gt;"
    )
