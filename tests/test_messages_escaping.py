"""Nothing an event contains can ping anyone or disguise a link, in any field of any format.

Every hostile string is put in every record field a format shows; afterwards the only `<` left
anywhere in the payload JSON must start a token we wrote: a configured mention, a date token,
or our own console link.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from engine.messages import render, route
from engine.messages.plain import plain_text
from engine.rules.model import Account, Rule, RuleSet
from tests import rulebuilders

DATA = Path(__file__).parent / "data" / "messages"
BASE = json.loads((DATA / "delete_user.json").read_text())

HOSTILE = [
    "<!channel>",
    "<!here|here>",
    "<!everyone>",
    "<@U0123ABCD>",
    "<!subteam^S0123ABCD>",
    "<https://evil.example/login|aws.amazon.com>",
    "<#C0123ABCD|general>",
    "x>y<!channel>&amp;<",
    "```\n<!here>\n```",
    "\n*bold* <mailto:a@example.com|mail>\t<!date^1^{date}|d>",
]

# Where a value lands: a path into the record. Identity fields are tried one at a time, with the
# fields shown in preference removed, so that each one is really displayed.
FIELDS: dict[str, tuple[tuple[str, ...], tuple[tuple[str, ...], ...]]] = {
    "arn": (("userIdentity", "arn"), ()),
    "issuer": (
        ("userIdentity", "sessionContext", "sessionIssuer", "userName"),
        (("userIdentity", "arn"),),
    ),
    "userName": (
        ("userIdentity", "userName"),
        (("userIdentity", "arn"), ("userIdentity", "sessionContext")),
    ),
    "invokedBy": (
        ("userIdentity", "invokedBy"),
        (("userIdentity", "arn"), ("userIdentity", "sessionContext")),
    ),
    "principalId": (
        ("userIdentity", "principalId"),
        (("userIdentity", "arn"), ("userIdentity", "sessionContext")),
    ),
    "type": (
        ("userIdentity", "type"),
        (
            ("userIdentity", "arn"),
            ("userIdentity", "sessionContext"),
            ("userIdentity", "principalId"),
        ),
    ),
    "eventName": (("eventName",), ()),
    "eventType": (("eventType",), (("eventName",),)),
    "eventSource": (("eventSource",), ()),
    "awsRegion": (("awsRegion",), ()),
    "sourceIPAddress": (("sourceIPAddress",), ()),
    "userAgent": (("userAgent",), ()),
    "errorCode": (("errorCode",), ()),
    "errorMessage": (("errorMessage",), ()),
    "eventID": (("eventID",), ()),
    "recipientAccountId": (("recipientAccountId",), ()),
    "eventTime": (("eventTime",), ()),
    "requestParameters": (("requestParameters", "userName"), ()),
    "requestParameters-key": (("requestParameters",), ()),
    "responseElements": (("responseElements", "user", "path"), ()),
    "additionalEventData": (("additionalEventData", "x"), ()),
}

CUSTOM = {
    "text": "{{ eventName }} {{ alert.actor }}",
    "blocks": [
        {
            "type": "header",
            "text": {"type": "plain_text", "text": "{{ alert.title }} {{ eventName }}"},
        },
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": "<{{ alert.console_url }}|{{ eventID }}> {{ userAgent }}",
            },
            "fields": [
                {"type": "mrkdwn", "text": "{{ userIdentity.arn }}"},
                {"type": "mrkdwn", "text": "{{ requestParameters }}"},
                {
                    "type": "mrkdwn",
                    "text": "{{ errorMessage }} {{ sourceIPAddress }} {{ awsRegion }}",
                },
            ],
        },
        {
            "type": "context",
            "elements": [
                {"type": "mrkdwn", "text": "{{ additionalEventData }} {{ responseElements }}"}
            ],
        },
        {
            "type": "actions",
            "elements": [
                {
                    "type": "button",
                    "text": {"type": "plain_text", "text": "{{ eventName }}"},
                    "url": "https://example.com/e/{{ eventID }}?u={{ userIdentity.arn }}",
                }
            ],
        },
    ],
    "attachments": [
        {
            "title": "{{ eventTime }} {{ recipientAccountId }}",
            "title_link": "https://example.com/{{ eventSource }}",
            "text": "{{ eventType }} {{ userIdentity }}",
            "fields": [{"title": "{{ eventName }}", "value": "{{ alert.actor }}"}],
        }
    ],
}

FORMATS = ["standard", "compact", "detailed", "seed", "custom"]
MENTIONS = ("<!here>", "<@U9999ZZZZ>")

ALLOWED = re.compile(
    r"<!here>|<@U9999ZZZZ>"
    r"|<!date\^\d+\^\{date_short_pretty\} \{time_secs\}\|[0-9: -]+UTC>"
    r"|<https://[a-z]{2}(?:-[a-z]+)+-\d\.console\.aws\.amazon\.com/cloudtrailv2/home\?region=[a-z0-9-]+"
    r"#/events/[A-Za-z0-9%._~-]+\|(?:open|[^<>]*)>"
    r"|<\|[^<>|]*>"  # the custom template's own link, empty when there is no console URL
)
URL_KEYS = {"url", "title_link"}


def with_value(path: tuple[str, ...], removed: tuple[tuple[str, ...], ...], value: Any) -> dict:
    record = json.loads(json.dumps(BASE))
    for gone in removed:
        parent = record
        for key in gone[:-1]:
            parent = parent[key]
        parent.pop(gone[-1], None)
    if path == ("requestParameters",):
        record["requestParameters"] = {value: value}  # hostile keys as well as values
    else:
        node = record
        for key in path[:-1]:
            if not isinstance(node.get(key), dict):
                node[key] = {}
            node = node[key]
        node[path[-1]] = value
    return record


def ruleset() -> RuleSet:
    return RuleSet(
        rules=(),
        accounts={"111122223333": Account("111122223333", "prod")},
        formats={"custom": CUSTOM},
    )


def rule(fmt: str) -> Rule:
    return rulebuilders.make_rule(
        title="Hostile <!channel> title & co",  # configuration is escaped too
        description="see <https://evil.example|docs>",
        mention=MENTIONS,
        format=fmt,
    )


def strings(node: Any, key: str = "") -> list[tuple[str, str]]:
    if isinstance(node, dict):
        return [item for k, v in node.items() for item in strings(v, k)]
    if isinstance(node, list):
        return [item for v in node for item in strings(v, key)]
    return [(key, node)] if isinstance(node, str) else []


def assert_harmless(payload: dict[str, Any]) -> None:
    for key, text in strings(payload):
        if key in URL_KEYS:
            assert not re.search(r"[<>|\s]", text), (key, text)
            assert text.startswith("https://"), text
            continue
        leftover = ALLOWED.sub("", text)
        assert "<" not in leftover and ">" not in leftover, (key, text)
        # A `&` must start an entity we wrote, never a raw one from the event.
        assert not re.search(r"&(?!amp;|lt;|gt;)", leftover), (key, text)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("field", list(FIELDS))
def test_hostile_strings_in_every_field(fmt: str, field: str) -> None:
    path, removed = FIELDS[field]
    rs = ruleset()
    for value in HOSTILE:
        record = with_value(path, removed, value)
        (alert,) = route(record, [rule(fmt)], rs, fallback_channel=None)
        message = render(alert, rs)
        payload = message.to_payload()
        assert_harmless(payload)
        # Configured mentions survive, exactly once in the fallback text.
        assert message.text.startswith("<!here> <@U9999ZZZZ> ")
        for block in message.blocks:
            text = block.get("text", {}).get("text", "")
            if "```" in text:
                assert text.count("```") == 2, text  # event data never closes a code block
        assert "\x1b" not in plain_text(message)


@pytest.mark.parametrize("fmt", FORMATS)
def test_hostile_value_is_still_shown_readably(fmt: str) -> None:
    record = with_value(("userIdentity", "arn"), (), "<!channel> & co")
    rs = ruleset()
    (alert,) = route(record, [rule(fmt)], rs, fallback_channel=None)
    message = render(alert, rs)
    assert "&lt;!channel&gt; &amp; co" in json.dumps(message.to_payload())
    assert "<!channel> & co" in plain_text(message)


def test_terminal_escape_sequences_are_neutralised_in_previews() -> None:
    record = with_value(("eventName",), (), "\x1b]0;pwned\x07Delete\x1b[2J")
    rs = ruleset()
    (alert,) = route(record, [rule("standard")], rs, fallback_channel=None)
    preview = plain_text(render(alert, rs))
    assert "\x1b" not in preview and "\x07" not in preview
    assert "Delete" in preview
