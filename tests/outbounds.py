"""Test helpers shared by the delivery tests: a sample alert and a fast retry policy."""

from __future__ import annotations

import json
from pathlib import Path

from engine.delivery import Outbound, RetryPolicy

DATA = Path(__file__).parent / "data" / "delivery"
# Short waits keep the suite fast; the logic is the same as with the defaults.
FAST = RetryPolicy(backoff=0.05, max_backoff=0.2, default_retry_after=0.1, min_request_time=0.1)


def sample(event_id: str = "e1", channel: str = "#security-alerts", **changes: object) -> Outbound:
    """The alert in data/delivery/outbound.json, for another event id or channel."""
    data = json.loads((DATA / "outbound.json").read_text())
    data["rule_ids"] = tuple(data["rule_ids"])
    return Outbound(**data).replace(event_id=event_id, channel=channel, **changes)
