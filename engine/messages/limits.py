"""Slack's message limits as data, and the cutting that keeps every message inside them.

An oversized block makes Slack refuse the whole message (`invalid_blocks`,
`msg_blocks_too_long`), and an alert that is refused is an alert missed. So nothing is left to
Slack: every text is cut here, visibly, with "…".
"""

from __future__ import annotations

import unicodedata
from typing import Any

ELLIPSIS = "…"

MAX_BLOCKS = 50
SECTION_TEXT = 3000
SECTION_FIELDS = 10
FIELD_TEXT = 2000
HEADER_TEXT = 150
BUTTON_TEXT = 75
BUTTON_VALUE = 2000
URL = 3000
CONTEXT_ELEMENTS = 10
CONTEXT_TEXT = 2000
ACTIONS_ELEMENTS = 25
# Slack truncates `text` at 40,000 characters but advises staying under 4,000.
TEXT = 3900
# Legacy attachments have soft limits; these keep them readable and well under the hard ones.
MAX_ATTACHMENTS = 20
ATTACHMENT_TEXT = 3000
ATTACHMENT_TITLE = 300
ATTACHMENT_FIELDS = 20
ATTACHMENT_FIELD_TITLE = 300
ATTACHMENT_FIELD_VALUE = 2000

_FENCE = "```"
_ZWJ = "\u200d"


def _is_joiner(char: str) -> bool:
    """A character that belongs to the one before it (combining mark, variation selector)."""
    return (
        unicodedata.combining(char) != 0
        or "\ufe00" <= char <= "\ufe0f"
        or "\U0001f3fb" <= char <= "\U0001f3ff"  # skin tone modifiers
        or char == _ZWJ
    )


def _cut_point(text: str, cut: int) -> int:
    """Move `cut` left so that it falls between whole characters, entities and `<…>` tokens."""
    # Not inside a grapheme: never strand a combining mark, a skin tone or a ZWJ sequence.
    while cut > 0 and (_is_joiner(text[cut]) or text[cut - 1] == _ZWJ):
        cut -= 1
    # Not inside an entity such as `&amp;` (the longest one we write is 5 characters).
    amp = text.rfind("&", max(0, cut - 5), cut)
    if amp != -1 and text.find(";", amp, cut) == -1:
        cut = amp
    # Not inside a `<…>` token (a link, date or mention we wrote: event data has no raw `<`).
    lt = text.rfind("<", 0, cut)
    if lt != -1 and text.rfind(">", lt, cut) == -1:
        cut = lt
    return cut


def truncate(text: str, limit: int) -> str:
    """`text` when it fits in `limit` characters, else its start and a visible "…".

    The cut never splits an entity, a `<…>` token or a character sequence, and a ``` code
    block left open by the cut is closed again.
    """
    if len(text) <= limit:
        return text
    if limit <= len(ELLIPSIS):
        return ELLIPSIS[:limit]
    head = text[: _cut_point(text, limit - len(ELLIPSIS))]
    if head.count(_FENCE) % 2:
        closing = ELLIPSIS + "\n" + _FENCE
        head = text[: _cut_point(text, max(0, limit - len(closing)))]
        if head.count(_FENCE) % 2:
            return head + closing
    return head + ELLIPSIS


def _has_text(obj: Any) -> bool:
    return isinstance(obj, dict) and isinstance(obj.get("text"), str) and bool(obj["text"].strip())


def _fit_text_object(obj: Any, limit: int) -> None:
    if isinstance(obj, dict) and isinstance(obj.get("text"), str):
        obj["text"] = truncate(obj["text"], limit)


def _fit_element(element: Any) -> bool:
    """Cut an interactive element in place; False when it cannot be kept (an empty label,
    a URL too long)."""
    if not isinstance(element, dict):
        return True
    if element.get("type") == "button":
        if not _has_text(element.get("text")):
            return False
        _fit_text_object(element.get("text"), BUTTON_TEXT)
        if isinstance(element.get("value"), str):
            element["value"] = truncate(element["value"], BUTTON_VALUE)
    url = element.get("url")
    # A cut URL leads somewhere else: drop the element rather than send a wrong link.
    return not (isinstance(url, str) and (len(url) > URL or not url))


def fit_block(block: Any) -> Any | None:
    """Cut one block in place to Slack's limits; None when it must be dropped.

    Slack refuses empty texts, so a text left empty (a template placeholder that found
    nothing) is removed, and a block with nothing left is dropped.
    """
    if not isinstance(block, dict):
        return block
    kind = block.get("type")
    if kind == "header":
        if not _has_text(block.get("text")):
            return None
        _fit_text_object(block.get("text"), HEADER_TEXT)
    elif kind == "section":
        if "text" in block and not _has_text(block["text"]):
            del block["text"]
        _fit_text_object(block.get("text"), SECTION_TEXT)
        fields = block.get("fields")
        if isinstance(fields, list):
            fields[:] = [item for item in fields if _has_text(item)][:SECTION_FIELDS]
            for item in fields:
                _fit_text_object(item, FIELD_TEXT)
            if not fields:
                del block["fields"]
        if "accessory" in block and not _fit_element(block["accessory"]):
            del block["accessory"]
        if "text" not in block and "fields" not in block:
            return None
    elif kind == "context":
        elements = block.get("elements")
        if isinstance(elements, list):
            elements[:] = [
                item
                for item in elements
                if not (isinstance(item, dict) and "text" in item) or _has_text(item)
            ][:CONTEXT_ELEMENTS]
            for item in elements:
                _fit_text_object(item, CONTEXT_TEXT)
            if not elements:
                return None
    elif kind == "actions":
        elements = block.get("elements")
        if isinstance(elements, list):
            elements[:] = [item for item in elements[:ACTIONS_ELEMENTS] if _fit_element(item)]
            if not elements:
                return None
    return block


def fit_blocks(blocks: list[Any]) -> list[Any]:
    fitted = [fitted for block in blocks if (fitted := fit_block(block)) is not None]
    if len(fitted) > MAX_BLOCKS:
        dropped = len(fitted) - (MAX_BLOCKS - 1)
        fitted = fitted[: MAX_BLOCKS - 1]
        fitted.append(
            {
                "type": "context",
                "elements": [{"type": "mrkdwn", "text": f"{ELLIPSIS} {dropped} more blocks cut"}],
            }
        )
    return fitted


def fit_attachments(attachments: list[Any]) -> list[Any]:
    del attachments[MAX_ATTACHMENTS:]
    for attachment in attachments:
        if not isinstance(attachment, dict):
            continue
        for key, limit in (
            ("text", ATTACHMENT_TEXT),
            ("pretext", ATTACHMENT_TEXT),
            ("fallback", TEXT),
            ("title", ATTACHMENT_TITLE),
            ("footer", ATTACHMENT_TITLE),
            ("author_name", ATTACHMENT_TITLE),
        ):
            if isinstance(attachment.get(key), str):
                attachment[key] = truncate(attachment[key], limit)
        for key in ("title_link", "author_link", "image_url", "thumb_url"):
            if isinstance(attachment.get(key), str) and len(attachment[key]) > URL:
                del attachment[key]
        fields = attachment.get("fields")
        if isinstance(fields, list):
            del fields[ATTACHMENT_FIELDS:]
            for item in fields:
                if isinstance(item, dict):
                    if isinstance(item.get("title"), str):
                        item["title"] = truncate(item["title"], ATTACHMENT_FIELD_TITLE)
                    if isinstance(item.get("value"), str):
                        item["value"] = truncate(item["value"], ATTACHMENT_FIELD_VALUE)
        if isinstance(attachment.get("blocks"), list):
            attachment["blocks"] = fit_blocks(attachment["blocks"])
    return attachments
