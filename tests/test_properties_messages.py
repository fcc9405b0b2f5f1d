"""Property test: any JSON value in any record field gives a valid Slack payload, within every
limit, with nothing from the event able to ping anyone or disguise a link.

tests/test_messages_limits.py and tests/test_messages_escaping.py try fixed oversized and
hostile values; here hypothesis puts arbitrary JSON (hostile fragments, control characters,
lone surrogates, deep nesting, wrong types) into one to four fields of a record, removes others,
and renders every format. `check_payload` is also what the end-to-end tests
(tests/test_adversarial.py, tests/test_fault_matrix.py) apply to what Slack received.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from slack_sdk.models.blocks import Block

from engine.messages import render, route
from engine.rules.model import Account, Rule, RuleSet
from tests import rulebuilders

DATA = Path(__file__).parent / "data"
BASE = json.loads((DATA / "messages" / "delete_user.json").read_text())
FORMATS = ["standard", "compact", "detailed", "seed", "custom"]

# Slack's limits (reference/aws-and-slack-facts.md), restated here rather than imported from
# engine.messages.limits so that a wrong constant there cannot hide a wrong message.
MAX_BLOCKS = 50
SECTION_TEXT = 3000
SECTION_FIELDS = 10
FIELD_TEXT = 2000
HEADER_TEXT = 150
BUTTON_TEXT = 75
URL = 3000
TEXT_HARD = 40_000
TEXT_AIM = 4000

# The only `<…>` tokens a message may hold: those we write ourselves. A configured mention is
# allowed only when the test configured it (`mentions`).
OUR_TOKENS = re.compile(
    r"<!date\^\d+\^\{date_short_pretty\} \{time_secs\}\|[0-9: -]+UTC>"
    r"|<https://[a-z]{2}(?:-[a-z]+)+-\d\.console\.aws\.amazon\.com/cloudtrailv2/home"
    r"\?region=[a-z0-9-]+#/events/[A-Za-z0-9%._~-]+\|[^<>]*>"
    # A custom template's `<{{ alert.console_url }}|…>` without a console URL: Slack splits at
    # the first `|`, so a `|` from the event in the label cannot make it a link elsewhere.
    r"|<\|[^<>]*>"
)
URL_KEYS = {"url", "title_link", "image_url", "thumb_url", "author_link"}


def strings(node: Any, key: str = "") -> list[tuple[str, str]]:
    """Every string in a payload with the key it is under."""
    if isinstance(node, dict):
        return [item for k, v in node.items() for item in strings(v, k)]
    if isinstance(node, list):
        return [item for v in node for item in strings(v, key)]
    return [(key, node)] if isinstance(node, str) else []


def check_payload(payload: dict[str, Any], mentions: tuple[str, ...] = ()) -> None:
    """Fail unless `payload` (a chat.postMessage body) is valid, within limits and harmless."""
    text = payload.get("text")
    assert isinstance(text, str) and text.strip(), "no fallback text"
    assert len(text) <= TEXT_AIM <= TEXT_HARD
    blocks = payload.get("blocks") or []
    if isinstance(blocks, str):  # as received over HTTP
        blocks = json.loads(blocks)
    assert len(blocks) <= MAX_BLOCKS
    for block in blocks:
        Block.parse(block).to_dict()  # slack_sdk's own checks raise on a broken block
        if block["type"] == "section":
            assert len(block.get("text", {}).get("text", "")) <= SECTION_TEXT
            assert len(block.get("fields", [])) <= SECTION_FIELDS
            assert all(len(f["text"]) <= FIELD_TEXT for f in block.get("fields", []))
        elif block["type"] == "header":
            assert len(block["text"]["text"]) <= HEADER_TEXT
        elif block["type"] == "actions":
            for element in block["elements"]:
                if element.get("type") == "button":
                    assert len(element["text"]["text"]) <= BUTTON_TEXT
                    assert len(element.get("url", "")) <= URL
    attachments = payload.get("attachments") or []
    if isinstance(attachments, str):
        attachments = json.loads(attachments)
    assert all(isinstance(attachment, dict) for attachment in attachments)
    allowed = re.compile("|".join([OUR_TOKENS.pattern, *map(re.escape, mentions)]))
    for key, value in strings({"text": text, "blocks": blocks, "attachments": attachments}):
        assert not re.search("[\ud800-\udfff]", value), "lone surrogate"
        if key in URL_KEYS:
            assert value.startswith("https://") and not re.search(r"[<>|\s]", value), value
            continue
        leftover = allowed.sub("", value)
        assert "<" not in leftover and ">" not in leftover, (key, value)
        assert not re.search(r"&(?!amp;|lt;|gt;)", leftover), (key, value)


# --- generated records -----------------------------------------------------------------------

HOSTILE = [
    "<!channel>", "<!here>", "<!everyone>", "<@U0123ABCD>", "<!subteam^S0123ABCD>",
    "<https://evil.example|aws.amazon.com>", "<#C0123|x>", "&lt;!here&gt;", "```", "*_~`",
    "\u202eevil\u202c", "\x00\x1b[2J\x07", "\ud800", "\udfff", "e\u0301", "👩‍👩‍👧", "\n\r\t",
    "https://evil.example/a?b=<c>", "&", "<", ">", "|", "{{ eventName }}", "{date}",
]  # fmt: skip
PATHS = [
    ("eventName",), ("eventSource",), ("eventType",), ("eventTime",), ("eventID",),
    ("awsRegion",), ("sourceIPAddress",), ("userAgent",), ("errorCode",), ("errorMessage",),
    ("recipientAccountId",), ("readOnly",), ("requestParameters",), ("responseElements",),
    ("additionalEventData",), ("resources",), ("userIdentity",), ("userIdentity", "type"),
    ("userIdentity", "arn"), ("userIdentity", "userName"), ("userIdentity", "invokedBy"),
    ("userIdentity", "principalId"), ("userIdentity", "accountId"),
    ("userIdentity", "sessionContext"),
    ("userIdentity", "sessionContext", "sessionIssuer", "userName"),
    ("userIdentity", "sessionContext", "attributes", "mfaAuthenticated"),
    ("requestParameters", "userName"), ("responseElements", "user"),
]  # fmt: skip
texts = st.one_of(
    st.sampled_from(HOSTILE),
    st.lists(st.sampled_from(HOSTILE) | st.text(max_size=6), max_size=5).map("".join),
    st.text(max_size=30),
    st.integers(1, 6).map(lambda n: "<!here>&" * (10**n // 8)),  # up to ~1 MB of it
)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | texts,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(texts, inner, max_size=4),
    max_leaves=20,
)


@st.composite
def records(draw: st.DrawFn) -> dict[str, Any]:
    record = json.loads(json.dumps(BASE))
    for path in draw(st.lists(st.sampled_from(PATHS), min_size=1, max_size=4)):
        node = record
        for key in path[:-1]:
            if not isinstance(node.get(key), dict):
                node[key] = {}
            node = node[key]
        if draw(st.integers(0, 5)) == 0:
            node.pop(path[-1], None)
        else:
            node[path[-1]] = draw(json_values)
    return record


CUSTOM = {
    "text": "{{ eventName }} by {{ alert.actor }}",
    "blocks": [
        {
            "type": "header",
            "text": {"type": "plain_text", "text": "{{ alert.title }} {{ userAgent }}"},
        },
        {
            "type": "section",
            "text": {"type": "mrkdwn", "text": "{{ requestParameters }} {{ errorMessage }}"},
            "fields": [{"type": "mrkdwn", "text": "{{ userIdentity }}"}] * 12,
        },
        {"type": "context", "elements": [{"type": "mrkdwn", "text": "{{ responseElements }}"}]},
        {
            "type": "actions",
            "elements": [
                {
                    "type": "button",
                    "text": {"type": "plain_text", "text": "{{ eventName }} {{ userAgent }}"},
                    "url": "https://example.com/{{ eventID }}/{{ requestParameters }}",
                }
            ],
        },
    ],
    "attachments": [{"title": "{{ eventSource }}", "text": "{{ additionalEventData }}"}],
}
RULESET = RuleSet(
    rules=(),
    accounts={"111122223333": Account("111122223333", "prod <!here>")},
    formats={"custom": CUSTOM},
)
MENTIONS = ("<!subteam^S0123ABCD>",)


def rule(fmt: str) -> Rule:
    return rulebuilders.make_rule(
        title="Title <!channel> & co",
        description="<https://evil.example|docs>",
        mention=MENTIONS,
        format=fmt,
    )


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(records(), st.sampled_from(FORMATS))
def test_any_value_in_any_field_gives_a_valid_harmless_payload(
    record: dict[str, Any], fmt: str
) -> None:
    (alert,) = route(record, [rule(fmt)], RULESET, fallback_channel=None)
    payload = render(alert, RULESET).to_payload()
    check_payload(payload, MENTIONS)
    json.dumps(payload, ensure_ascii=False).encode("utf-8")  # sendable: no lone surrogate
