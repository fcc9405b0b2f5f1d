"""A message as a person would read it, in plain text: for dry-run and rule tests.

Links show their label and address, date tokens their fallback, mentions as `@here`, entities
decoded; a sketch of what Slack shows, not a Slack renderer.
"""

from __future__ import annotations

import re
from typing import Any

from engine.messages.escape import unescape
from engine.messages.message import SlackMessage

_TOKEN = re.compile(r"<([^<>]*)>")
# Terminal control sequences in event data must not reach a terminal (ESC could rewrite it).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_BOLD = re.compile(r"(?<![\w*])\*([^*\n]+)\*(?![\w*])")


def _token(found: re.Match[str]) -> str:
    body = found.group(1)
    target, _, label = body.partition("|")
    if target.startswith("!date^"):
        return label or target
    if target.startswith("!subteam^"):
        return "@" + (label or target.removeprefix("!subteam^"))
    if target.startswith("!"):
        return "@" + target[1:]
    if target.startswith(("@", "#")):
        return label or target
    return f"{label} ({target})" if label else target


def mrkdwn_to_plain(text: str) -> str:
    text = _TOKEN.sub(_token, text)
    text = _BOLD.sub(r"\1", text).replace("```\n", "").replace("\n```", "").replace("\u200b", "")
    return unescape(text)


def _text_of(obj: Any) -> str:
    if isinstance(obj, dict) and isinstance(obj.get("text"), str):
        return mrkdwn_to_plain(obj["text"])
    return ""


def _element(element: Any) -> str:
    if not isinstance(element, dict):
        return ""
    label = _text_of(element.get("text")) if isinstance(element.get("text"), dict) else ""
    if element.get("type") == "button":
        url = element.get("url")
        return f"[{label}]" + (f" {url}" if url else "")
    return _text_of(element) or label


def _block_lines(block: Any) -> list[str]:
    if not isinstance(block, dict):
        return []
    kind = block.get("type")
    if kind == "header":
        return [_text_of(block.get("text"))]
    if kind == "section":
        lines = [_text_of(block.get("text"))] if block.get("text") else []
        for field in block.get("fields") or []:
            label, _, value = _text_of(field).partition("\n")
            lines.append(f"  {label}: {value}" if value else f"  {label}")
        if block.get("accessory"):
            lines.append(_element(block["accessory"]))
        return lines
    if kind == "context":
        return [" · ".join(filter(None, map(_element, block.get("elements") or [])))]
    if kind == "actions":
        return [" ".join(filter(None, map(_element, block.get("elements") or [])))]
    if kind == "divider":
        return ["―" * 20]
    return [f"({kind} block)"]


def _attachment_lines(attachment: Any) -> list[str]:
    if not isinstance(attachment, dict):
        return []
    lines = []
    for key in ("pretext", "title", "text"):
        if isinstance(attachment.get(key), str):
            line = mrkdwn_to_plain(attachment[key])
            if key == "title" and attachment.get("title_link"):
                line += f" ({attachment['title_link']})"
            lines.append(line)
    for field in attachment.get("fields") or []:
        if isinstance(field, dict):
            title = mrkdwn_to_plain(str(field.get("title", "")))
            lines.append(f"  {title}: {mrkdwn_to_plain(str(field.get('value', '')))}")
    for block in attachment.get("blocks") or []:
        lines.extend(_block_lines(block))
    return ["| " + line for line in lines]


def plain_text(message: SlackMessage) -> str:
    """Everything the message shows, one element a line; its `text` when it has no blocks
    or attachments (that is then what Slack shows)."""
    lines: list[str] = []
    for block in message.blocks:
        lines.extend(_block_lines(block))
    for attachment in message.attachments or []:
        lines.extend(_attachment_lines(attachment))
    if not lines or not message.blocks:
        lines.insert(0, mrkdwn_to_plain(message.text))
    return _CONTROL.sub("\N{REPLACEMENT CHARACTER}", "\n".join(lines))
