"""Types shared by every stage: where a record came from, and a record with its origin.

They sit here, outside any stage, so that data can flow one way: sources produce
`SourceRecord` / `SourceProblem`, and everything downstream only reads them.
"""

from __future__ import annotations

from typing import Any

from engine.struct import Struct


class Origin(Struct):
    """Where one record (or one problem) came from; every field is optional.

    `kind` is one of: "cloudwatch-logs", "s3", "eventbridge", "kinesis", "file".

    Read-only: derive a new one with `origin.replace(...)`. One is built per record, which is
    why this is a Struct whose __init__ sets plain slots (see engine/struct.py).
    """

    __slots__ = (
        "kind",
        "log_group",
        "log_stream",
        "log_event_id",
        "bucket",
        "key",
        "kinesis_sequence",
        "path",
        "line",
        "index",
        "sqs_message_id",
    )

    def __init__(
        self,
        kind: str,
        log_group: str | None = None,
        log_stream: str | None = None,
        log_event_id: str | None = None,
        bucket: str | None = None,
        key: str | None = None,
        kinesis_sequence: str | None = None,
        path: str | None = None,
        line: int | None = None,
        index: int | None = None,  # position inside a {"Records": [...]} list
        sqs_message_id: str | None = None,  # the SQS message that carried an S3 notification
    ) -> None:
        self.kind = kind
        self.log_group = log_group
        self.log_stream = log_stream
        self.log_event_id = log_event_id
        self.bucket = bucket
        self.key = key
        self.kinesis_sequence = kinesis_sequence
        self.path = path
        self.line = line
        self.index = index
        self.sqs_message_id = sqs_message_id

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


class SourceRecord(Struct, frozen=False):
    """One CloudTrail record (a JSON object) and where it came from."""

    __slots__ = ("record", "origin")

    def __init__(self, record: dict[str, Any], origin: Origin) -> None:
        self.record = record
        self.origin = origin


class SourceProblem(Struct, frozen=False):
    """A payload, log event or record that could not be read; reported, then skipped."""

    __slots__ = ("origin", "message", "retryable", "extra")

    def __init__(
        self,
        origin: Origin,
        message: str,
        # True when trying again later may succeed (an S3 object that could not be fetched):
        # the handler then fails that part of the batch so AWS retries it, instead of dropping it.
        retryable: bool = False,
        extra: dict[str, Any] | None = None,
    ) -> None:
        self.origin = origin
        self.message = message
        self.retryable = retryable
        self.extra = {} if extra is None else extra

    def __str__(self) -> str:
        return f"{self.origin.where()}: {self.message}"
