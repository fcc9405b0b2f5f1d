"""The rendered message: what a format produces and delivery posts."""

from __future__ import annotations

from typing import Any

from engine.struct import Struct


class SlackMessage(Struct, frozen=False):
    """`text` is the notification fallback and is never empty; `blocks` may be empty (the
    `seed` format uses `attachments` only)."""

    __slots__ = ("text", "blocks", "attachments")

    def __init__(
        self,
        text: str,
        blocks: list[dict[str, Any]],
        attachments: list[dict[str, Any]] | None = None,
    ) -> None:
        self.text = text
        self.blocks = blocks
        self.attachments = attachments

    def to_payload(self) -> dict[str, Any]:
        """The message part of a `chat.postMessage` call (delivery adds the channel)."""
        payload: dict[str, Any] = {"text": self.text}
        if self.blocks:
            payload["blocks"] = self.blocks
        if self.attachments:
            payload["attachments"] = self.attachments
        return payload
