"""The rendered message: what a format produces and delivery posts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(slots=True)
class SlackMessage:
    """`text` is the notification fallback and is never empty; `blocks` may be empty (the
    `seed` format uses `attachments` only)."""

    text: str
    blocks: list[dict[str, Any]]
    attachments: list[dict[str, Any]] | None = None

    def to_payload(self) -> dict[str, Any]:
        """The message part of a `chat.postMessage` call (delivery adds the channel)."""
        payload: dict[str, Any] = {"text": self.text}
        if self.blocks:
            payload["blocks"] = self.blocks
        if self.attachments:
            payload["attachments"] = self.attachments
        return payload
