"""EventBridge events: `detail` is the CloudTrail record, one event per invocation."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from engine.model import Origin, SourceProblem, SourceRecord
from engine.sources.errors import json_type


def iter_eventbridge(event: dict[str, Any], base: Origin) -> Iterator[SourceRecord | SourceProblem]:
    """The record in `detail`. Any detail-type is passed on: the rules decide what matters."""
    detail = event.get("detail")
    if isinstance(detail, dict):
        yield SourceRecord(detail, base)
    else:
        message = f"EventBridge detail is a JSON {json_type(detail)}, not an object"
        yield SourceProblem(base, message)
