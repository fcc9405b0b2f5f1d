"""Kinesis Data Streams items whose data is a CloudWatch Logs subscription payload."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from engine.model import Origin, SourceProblem, SourceRecord
from engine.sources.cloudwatch import iter_enveloped_data


def iter_kinesis_item(item: dict[str, Any], base: Origin) -> Iterator[SourceRecord | SourceProblem]:
    """The records of one `aws:kinesis` batch item; every origin carries its sequence number,
    which is what the handler reports back in `batchItemFailures`."""
    kinesis = item.get("kinesis")
    if isinstance(kinesis, dict):
        sequence = kinesis.get("sequenceNumber")
        base = base.replace(kinesis_sequence=sequence if isinstance(sequence, str) else None)
    yield from iter_enveloped_data(kinesis, "kinesis", base)
