"""One Slack message to post, and its JSON form for the failure queue."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from engine.struct import Struct

_VERSION = 1  # bump when the JSON form changes incompatibly; from_json refuses what it cannot read


class Outbound(Struct):
    """A rendered message for one channel, with what it alerts about."""

    __slots__ = (
        "channel",
        "text",
        "blocks",
        "attachments",
        "event_id",
        "rule_ids",
        "severity",
        "origin",
    )

    def __init__(
        self,
        channel: str,
        text: str,
        blocks: list[dict[str, Any]],
        attachments: list[dict[str, Any]] | None,
        event_id: str | None,
        rule_ids: tuple[str, ...],
        severity: str,
        origin: dict[str, Any] | None = None,
    ) -> None:
        self.channel = channel
        self.text = text
        self.blocks = blocks
        self.attachments = attachments
        self.event_id = event_id
        self.rule_ids = rule_ids
        self.severity = severity
        self.origin = {} if origin is None else origin

    @property
    def key(self) -> str:
        """Identity for "post once per record per channel".

        A record without an `eventID` (possible with hand-made input) gets a digest of the
        message instead, so that two different such records are never merged into one post.
        """
        if self.event_id is not None:
            return f"{self.event_id}|{self.channel}"
        content = json.dumps([self.text, self.blocks, self.attachments], sort_keys=True)
        return f"sha256:{hashlib.sha256(content.encode()).hexdigest()[:32]}|{self.channel}"

    def to_json(self) -> str:
        return json.dumps({"v": _VERSION, **self.to_dict()}, ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Outbound:
        """Read `to_json()`'s output; ValueError when it is not that."""
        try:
            data = json.loads(text)
            if not isinstance(data, dict) or data.pop("v", None) != _VERSION:
                raise ValueError(f"not an outbound message of version {_VERSION}")
            data["rule_ids"] = tuple(data["rule_ids"])
            outbound = cls(**data)
        except (TypeError, KeyError, json.JSONDecodeError) as err:
            raise ValueError(f"not an outbound message: {err}") from None
        if not isinstance(outbound.channel, str) or not isinstance(outbound.text, str):
            raise ValueError("not an outbound message: channel and text must be strings")
        return outbound
