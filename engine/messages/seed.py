"""The `seed` format: the original project's layout, kept for the people used to it.

A yellow attachment titled with the event id, linking to the console, with the fields time /
event name / user / service / region; the time shown in `defaults.timezone` (the original
showed Asia/Tokyo).
"""

from __future__ import annotations

from datetime import UTC, tzinfo
from functools import lru_cache
from typing import Any

from engine.messages import limits
from engine.messages.builtin import fallback_text
from engine.messages.escape import inline
from engine.messages.facts import Facts
from engine.messages.limits import truncate
from engine.messages.message import SlackMessage

COLOR = "warning"  # Slack's named yellow, as the original used


@lru_cache(maxsize=16)
def _zone(name: str) -> tzinfo:
    # zoneinfo costs ~15 ms to import: only this format needs it, so only it pays.
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC  # `validate` reports an unknown zone; a message is better than none


def local_time(facts: Facts, zone_name: str) -> str:
    if facts.time is None:
        return inline(facts.time_text) or "?"
    zone = UTC if zone_name in ("UTC", "") else _zone(zone_name)
    return facts.time.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S %Z")


def _field(title: str, value: str) -> dict[str, Any]:
    return {"title": title, "value": truncate(value, limits.ATTACHMENT_FIELD_VALUE), "short": True}


def seed(facts: Facts, record: dict[str, Any], timezone: str) -> SlackMessage:
    text = fallback_text(facts)
    attachment: dict[str, Any] = {
        "fallback": text,
        "color": COLOR,
        "title": truncate(inline(facts.event_id) or "CloudTrail event", limits.ATTACHMENT_TITLE),
        "fields": [
            _field("Time", local_time(facts, timezone)),
            _field("Event name", inline(facts.what)),
            _field("User", inline(facts.actor)),
            _field("Service", inline(facts.event_source)),
            _field("Region", inline(facts.region)),
        ],
    }
    if facts.console_url is not None and len(facts.console_url) <= limits.URL:
        attachment["title_link"] = facts.console_url
    return SlackMessage(text=text, blocks=[], attachments=[attachment])
