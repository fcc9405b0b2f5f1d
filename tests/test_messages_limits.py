"""Slack's limits hold for oversized records, and UTF-8 passes intact."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from slack_sdk.models.blocks import Block

from engine.messages import SlackMessage, limits, render, route
from engine.messages.escape import as_text, in_code_block, mrkdwn
from engine.messages.limits import truncate
from engine.rules.model import Account, Rule, RuleSet
from tests import rulebuilders

DATA = Path(__file__).parent / "data" / "messages"
BASE = json.loads((DATA / "delete_user.json").read_text())
FORMATS = ["standard", "compact", "detailed", "seed", "custom"]
CUSTOM = {
    "text": "{{ alert.title }}: {{ requestParameters }}",
    "blocks": [
        {"type": "header", "text": {"type": "plain_text", "text": "{{ userAgent }}"}},
        {
            "type": "section",
            "text": {"type": "mrkdwn", "text": "{{ requestParameters }}"},
            "fields": [{"type": "mrkdwn", "text": "{{ userIdentity.arn }}"}] * 12,
        },
        {"type": "context", "elements": [{"type": "mrkdwn", "text": "{{ errorMessage }}"}] * 12},
        {
            "type": "actions",
            "elements": [
                {
                    "type": "button",
                    "text": {"type": "plain_text", "text": "{{ eventName }}"},
                    "url": "https://example.com/{{ eventName }}",
                }
            ],
        },
        *[{"type": "divider"}] * 60,
    ],
    "attachments": [{"title": "{{ userAgent }}", "text": "{{ requestParameters }}"}],
}
BIG = "A" * 200_000
PARAMS_100KB = {
    "policyDocument": "x" * 50_000,
    "items": [{"key": f"k{i}", "value": "<&>" * 5} for i in range(1500)],
}


def make_rule(rule_id: str, fmt: str, **changes: Any) -> Rule:
    return rulebuilders.make_rule(rule_id, **({"title": "Oversized", "format": fmt} | changes))


def ruleset() -> RuleSet:
    return RuleSet(
        rules=(),
        accounts={"111122223333": Account("111122223333", "prod")},
        formats={"custom": CUSTOM},
    )


def render_one(record: dict[str, Any], rules: list[Rule]) -> SlackMessage:
    rs = ruleset()
    (alert,) = route(record, rules, rs, fallback_channel=None)
    return render(alert, rs)


def assert_within_limits(message: SlackMessage) -> None:
    assert message.text.strip()
    assert len(message.text) <= limits.TEXT
    assert len(message.blocks) <= limits.MAX_BLOCKS
    for block in message.blocks:
        Block.parse(block).to_dict()  # slack_sdk raises beyond header/section/button limits
        if block["type"] == "section":
            assert len(block.get("text", {}).get("text", "")) <= limits.SECTION_TEXT
            assert len(block.get("fields", [])) <= limits.SECTION_FIELDS
            assert all(len(f["text"]) <= limits.FIELD_TEXT for f in block.get("fields", []))
        if block["type"] == "context":
            assert len(block["elements"]) <= limits.CONTEXT_ELEMENTS
            assert all(len(e["text"]) <= limits.CONTEXT_TEXT for e in block["elements"])
        if block["type"] == "header":
            assert len(block["text"]["text"]) <= limits.HEADER_TEXT
    for attachment in message.attachments or []:
        assert len(attachment.get("text", "")) <= limits.ATTACHMENT_TEXT
        assert len(attachment.get("title", "")) <= limits.ATTACHMENT_TITLE
        for field in attachment.get("fields", []):
            assert len(field["value"]) <= limits.ATTACHMENT_FIELD_VALUE
    # The whole payload stays small: well under anything Slack could refuse as too long.
    assert len(json.dumps(message.to_payload())) < 60_000


@pytest.mark.parametrize("fmt", FORMATS)
def test_100kb_request_parameters(fmt: str) -> None:
    record = BASE | {"requestParameters": PARAMS_100KB, "responseElements": PARAMS_100KB}
    assert len(json.dumps(PARAMS_100KB)) > 100_000
    message = render_one(record, [make_rule("r", fmt)])
    assert_within_limits(message)
    if fmt == "detailed":
        code = [
            b for b in message.blocks if "*requestParameters*" in b.get("text", {}).get("text", "")
        ]
        assert code[0]["text"]["text"].endswith("…\n```")


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(
    "change",
    [
        {"userIdentity": {"arn": BIG}},
        {"eventName": BIG},
        {"userAgent": BIG, "errorMessage": BIG, "errorCode": BIG},
        {"sourceIPAddress": "<" * 100_000},
        {"eventID": "&" * 5000},
        {"awsRegion": BIG},
        {"recipientAccountId": BIG},
    ],
    ids=["arn", "eventName", "agent-error", "lt", "amp-id", "region", "account"],
)
def test_200kb_strings_are_cut_visibly(fmt: str, change: dict[str, Any]) -> None:
    message = render_one(BASE | change, [make_rule("r", fmt)])
    assert_within_limits(message)
    payload = json.dumps(message.to_payload(), ensure_ascii=False)
    values = [v for v in change.values() if isinstance(v, str)] or [BIG]
    if any(json.dumps(mrkdwn(value[:40]))[1:-1] in payload for value in values):
        assert "…" in payload  # where the format shows the value, it is cut visibly


@pytest.mark.parametrize("fmt", FORMATS)
def test_sixty_matched_rules(fmt: str) -> None:
    rules = [
        make_rule(
            f"rule-{i:02d}-" + "x" * 80,
            fmt,
            title=f"Rule {i} " + "t" * 100,
            mention=(f"<@U{i:04d}ABCD>",),
        )
        for i in range(60)
    ]
    message = render_one(BASE, rules)
    assert_within_limits(message)
    assert message.text.startswith("<@U0000ABCD> <@U0001ABCD>")
    for block in message.blocks:  # no mention token is ever cut in half
        text = block.get("text", {}).get("text", "")
        assert text.count("<") == text.count(">")


UTF8 = {
    "emoji": "👩🏽‍💻 deploy 🚀",
    "rtl": "مرحبا بالعالم שלום",
    "cjk": "管理者ユーザー 删除",
}


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("name", list(UTF8))
def test_utf8_passes_intact(fmt: str, name: str) -> None:
    text = UTF8[name]
    record = BASE | {"userIdentity": {"arn": text}, "eventName": text}
    message = render_one(record, [make_rule("r", fmt)])
    assert_within_limits(message)
    payload = json.dumps(message.to_payload(), ensure_ascii=False)
    assert text in payload
    payload.encode("utf-8")


def test_lone_surrogates_become_replacement_characters() -> None:
    record = json.loads('{"eventName": "bad \\ud83d here", "userIdentity": {"arn": "\\udc00"}}')
    message = render_one(BASE | record, [make_rule("r", "standard")])
    json.dumps(message.to_payload(), ensure_ascii=False).encode("utf-8")
    assert "bad \ufffd here" in message.text


def test_truncate_keeps_short_text_and_marks_the_cut() -> None:
    assert truncate("hello", 5) == "hello"
    assert truncate("hello world", 6) == "hello…"
    assert len(truncate("x" * 10_000, 3000)) == 3000


def test_truncate_never_splits_an_entity_or_a_token() -> None:
    escaped = mrkdwn("a&b")  # a&amp;b
    for limit in range(2, len(escaped)):
        cut = truncate(escaped, limit)
        assert cut in ("a…", "a&amp;…"), cut
    token = "see <https://example.com/a|link> after"
    assert truncate(token, 20) == "see …"
    date = "<!date^1^{date}|x> tail"
    assert truncate(date, 10) == "…"


def test_truncate_never_splits_a_character_sequence() -> None:
    family = "👩‍👩‍👧‍👦"
    for limit in range(2, len(family) + 2):
        cut = truncate(family * 3, limit)
        assert cut.rstrip("…").count("\u200d") % 3 == 0, cut
        assert not cut.rstrip("…").endswith("\u200d")
    accented = "e\u0301" * 10
    assert not truncate(accented, 6).rstrip("…").endswith("e")


def test_truncate_closes_a_code_block_it_cuts() -> None:
    text = "*x*\n```\n" + "y" * 100 + "\n```"
    cut = truncate(text, 50)
    assert len(cut) <= 50
    assert cut.endswith("…\n```")
    assert cut.count("```") == 2


def test_code_block_content_cannot_close_the_block() -> None:
    assert in_code_block("a```b") == "a`\u200b`\u200b`b"


def test_as_text_renders_any_json_value() -> None:
    assert as_text(None) == ""
    assert as_text(True) == "true"
    assert as_text({"a": [1, "é"]}) == '{"a":[1,"é"]}'


def test_fit_blocks_caps_the_block_count_visibly() -> None:
    blocks = [{"type": "divider"} for _ in range(70)]
    fitted = limits.fit_blocks(blocks)
    assert len(fitted) == 50
    assert fitted[-1]["elements"][0]["text"] == "… 21 more blocks cut"
