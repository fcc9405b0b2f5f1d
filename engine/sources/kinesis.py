"""Kinesis Data Streams items whose data is a CloudWatch Logs subscription payload."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

from engine.model import Origin, SourceProblem, SourceRecord
from engine.sources.cloudwatch import iter_cloudwatch_data
from engine.sources.errors import SourceError, json_type


def iter_kinesis_item(item: dict[str, Any], base: Origin) -> Iterator[SourceRecord | SourceProblem]:
    """The records of one `aws:kinesis` batch item; every origin carries its sequence number,
    which is what the handler reports back in `batchItemFailures`."""
    kinesis = item.get("kinesis")
    if not isinstance(kinesis, dict):
        yield SourceProblem(base, f"kinesis is a JSON {json_type(kinesis)}, not an object")
        return
    sequence = kinesis.get("sequenceNumber")
    base = replace(base, kinesis_sequence=sequence if isinstance(sequence, str) else None)
    data = kinesis.get("data")
    if not isinstance(data, str):
        yield SourceProblem(base, f"kinesis.data is a JSON {json_type(data)}, not a string")
        return
    try:
        yield from iter_cloudwatch_data(data, base)
    except SourceError as exc:
        yield SourceProblem(base, f"kinesis data is not a CloudWatch Logs payload: {exc}")
