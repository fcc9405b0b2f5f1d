"""The Block Kit formats: `standard`, `compact` and `detailed`.

Every value from the record passes through `escape` on its way into text, and every text is
cut to its Slack limit here, where the budget is known; `limits.fit_blocks` checks again.
"""

from __future__ import annotations

import json
from typing import Any

from engine.messages import limits
from engine.messages.escape import in_code_block, inline, mrkdwn
from engine.messages.facts import Facts
from engine.messages.limits import truncate
from engine.messages.message import SlackMessage

Block = dict[str, Any]


def _mrkdwn(text: str) -> dict[str, str]:
    return {"type": "mrkdwn", "text": text}


def time_token(facts: Facts) -> str:
    """A Slack date token: each reader sees the time in their own zone; UTC as fallback."""
    if facts.time is None:
        return inline(facts.time_text) or "?"
    utc = facts.time.strftime("%Y-%m-%d %H:%M:%S UTC")
    return f"<!date^{int(facts.time.timestamp())}^{{date_short_pretty}} {{time_secs}}|{utc}>"


def fallback_text(facts: Facts) -> str:
    """The notification text: who did what, where; mentions first so that they notify."""
    parts = [*facts.mentions, facts.marker, f"[{facts.severity.upper()}]"]
    summary = f"{inline(facts.title)}: {inline(facts.what)} by {inline(facts.actor)}"
    summary += f" in {inline(facts.account_label)}"
    if facts.region:
        summary += f" ({inline(facts.region)})"
    if facts.failed:
        summary += f", failed: {inline(facts.error_code or facts.error_message)}"
    return truncate(" ".join([*parts, summary]), limits.TEXT)


def _header(facts: Facts) -> Block:
    text = f"{facts.marker} {facts.severity.upper()}: {inline(facts.title)}"
    return {
        "type": "header",
        "text": {"type": "plain_text", "text": truncate(text, limits.HEADER_TEXT), "emoji": True},
    }


def _section(text: str) -> Block:
    return {"type": "section", "text": _mrkdwn(truncate(text, limits.SECTION_TEXT))}


def _field(label: str, value: str) -> dict[str, str]:
    prefix = f"*{label}*\n"
    return _mrkdwn(prefix + truncate(value or "–", limits.FIELD_TEXT - len(prefix)))


def _fields(facts: Facts, *, detailed: bool) -> list[dict[str, str]]:
    event = inline(facts.what)
    if facts.service:
        event += f" ({inline(facts.service)})"
    fields = [
        _field("Account", inline(facts.account_label)),
        _field("Region", inline(facts.region)),
        _field("Who", inline(facts.actor)),
        _field("Source IP", inline(facts.source_ip)),
        _field("Event", event),
        _field("Time", time_token(facts)),
    ]
    if facts.failed:
        error = ": ".join(inline(part) for part in (facts.error_code, facts.error_message) if part)
        fields.append(_field(":x: Failed", error))
    if detailed and facts.user_agent:
        fields.append(_field("User agent", inline(facts.user_agent)))
    return fields


def _context(facts: Facts) -> Block:
    rules = ", ".join(inline(rule_id) for rule_id in facts.rule_ids)
    parts = [f"{'Rules' if len(facts.rule_ids) > 1 else 'Rule'}: {rules}"]
    if facts.event_id:
        parts.append(f"Event ID: {inline(facts.event_id)}")
    if facts.log_group:
        parts.append(f"Log group: {inline(facts.log_group)}")
    return {
        "type": "context",
        "elements": [_mrkdwn(truncate(part, limits.CONTEXT_TEXT)) for part in parts],
    }


def _console_button(facts: Facts) -> Block | None:
    if facts.console_url is None or len(facts.console_url) > limits.URL:
        return None
    return {
        "type": "actions",
        "elements": [
            {
                "type": "button",
                "text": {"type": "plain_text", "text": "Open in CloudTrail console"},
                "url": facts.console_url,
                "action_id": "open_console",
            }
        ],
    }


def _code_section(label: str, value: Any) -> Block:
    """`value` as pretty JSON in a code block, cut to fit one section."""
    head, tail = f"*{label}*\n```\n", "\n```"
    budget = limits.SECTION_TEXT - len(head) - len(tail)
    text = json.dumps(value, indent=2, ensure_ascii=False, default=str)
    # Escaping only lengthens text, so cutting the raw JSON first bounds the work for 100 KB.
    body = truncate(in_code_block(text[: budget + 1]), budget)
    return {"type": "section", "text": _mrkdwn(head + body + tail)}


def standard_blocks(facts: Facts, *, detailed: bool = False) -> list[Block]:
    blocks = [_header(facts)]
    if facts.mentions:
        blocks.append(_section(" ".join(facts.mentions)))
    if facts.description:
        blocks.append(_section(mrkdwn(facts.description)))
    if facts.other_titles:
        blocks.append(
            _section("Also matched: " + "; ".join(inline(title) for title in facts.other_titles))
        )
    blocks.append({"type": "section", "fields": _fields(facts, detailed=detailed)})
    return blocks


def standard(facts: Facts, record: dict[str, Any]) -> SlackMessage:
    blocks = standard_blocks(facts)
    blocks.append(_context(facts))
    if (button := _console_button(facts)) is not None:
        blocks.append(button)
    return SlackMessage(text=fallback_text(facts), blocks=blocks)


def detailed(facts: Facts, record: dict[str, Any]) -> SlackMessage:
    blocks = standard_blocks(facts, detailed=True)
    for key in ("requestParameters", "responseElements", "additionalEventData"):
        if record.get(key) is not None:
            blocks.append(_code_section(key, record[key]))
    blocks.append(_context(facts))
    if (button := _console_button(facts)) is not None:
        blocks.append(button)
    return SlackMessage(text=fallback_text(facts), blocks=blocks)


def compact(facts: Facts, record: dict[str, Any]) -> SlackMessage:
    """One line: marker, title, what, who, where, and a link to the event."""
    line = f"{facts.marker} *{inline(facts.title)}*: {inline(facts.what)}"
    line += f" by {inline(facts.actor)} in {inline(facts.account_label)}"
    if facts.region:
        line += f" {inline(facts.region)}"
    if facts.failed:
        line += f" :x: {inline(facts.error_code or facts.error_message)}"
    link = f" <{facts.console_url}|open>" if facts.console_url else ""
    mentions = truncate(" ".join(facts.mentions), 1000) + " " if facts.mentions else ""
    line = mentions + truncate(line, limits.SECTION_TEXT - len(mentions) - len(link)) + link
    return SlackMessage(
        text=fallback_text(facts),
        blocks=[{"type": "section", "text": _mrkdwn(truncate(line, limits.SECTION_TEXT))}],
    )
