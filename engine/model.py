"""Types shared by every stage: where a record came from, and a record with its origin.

They sit here, outside any stage, so that data can flow one way: sources produce
`SourceRecord` / `SourceProblem`, and everything downstream only reads them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)
class Origin:
    """Where one record (or one problem) came from; every field is optional.

    `kind` is one of: "cloudwatch-logs", "s3", "eventbridge", "kinesis", "file".

    Treat it as read-only (derive a new one with `dataclasses.replace`). It is not frozen
    because one is built per record: a frozen dataclass's __init__ sets each field through
    object.__setattr__, which made building an origin cost more than matching the record.
    """

    kind: str
    log_group: str | None = None
    log_stream: str | None = None
    log_event_id: str | None = None
    bucket: str | None = None
    key: str | None = None
    kinesis_sequence: str | None = None
    path: str | None = None
    line: int | None = None
    index: int | None = None  # position inside a {"Records": [...]} list
    sqs_message_id: str | None = None  # the SQS message that carried an S3 notification

    def where(self) -> str:
        """A short human place, e.g. `trail.json:12`, `s3://b/k#3`, `log event 3691…`."""
        if self.path is not None:
            place = self.path
            if self.line is not None:
                place += f":{self.line}"
            if self.index is not None:
                place += f"#{self.index}"
            if self.log_event_id is not None:
                place += f" (log event {self.log_event_id})"
            return place
        if self.bucket is not None:
            place = f"s3://{self.bucket}/{self.key}"
            return place if self.index is None else f"{place}#{self.index}"
        if self.log_event_id is not None:
            return f"{self.log_group or '?'} log event {self.log_event_id}"
        if self.kinesis_sequence is not None:
            return f"kinesis record {self.kinesis_sequence}"
        return self.kind

    def log_fields(self) -> dict[str, Any]:
        """The non-empty fields, for structured logs."""
        return {
            name: value
            for name in self.__slots__
            if (value := getattr(self, name)) is not None and name != "kind"
        } | {"source": self.kind}


@dataclass(slots=True)
class SourceRecord:
    """One CloudTrail record (a JSON object) and where it came from."""

    record: dict[str, Any]
    origin: Origin


@dataclass(slots=True)
class SourceProblem:
    """A payload, log event or record that could not be read; reported, then skipped."""

    origin: Origin
    message: str
    # True when trying again later may succeed (an S3 object that could not be fetched):
    # the handler then fails that part of the batch so AWS retries it, instead of dropping it.
    retryable: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.origin.where()}: {self.message}"
