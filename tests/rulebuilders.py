"""Build Rule objects directly, for tests of the stages after matching (routing, messages)."""

from __future__ import annotations

from typing import Any

from engine.rules import Rule


def make_rule(rule_id: str = "r1", **changes: Any) -> Rule:
    """A rule that matches every record; any field can be changed by keyword."""
    fields: dict[str, Any] = {
        "id": rule_id,
        "title": rule_id,
        "description": "",
        "severity": "high",
        "channels": ("#sec",),
        "mention": (),
        "format": "standard",
        "enabled": True,
        "filter_text": None,
        "when_text": None,
        "unless_text": None,
        "accounts": None,
        "matches": lambda record: True,
    }
    return Rule(**(fields | changes))
