"""The failure queue: an SQS queue holding the messages Slack did not accept, for a redrive.

Each SQS message body is `Outbound.to_json()`; the last error rides along as a message
attribute for whoever inspects the queue. On a FIFO queue (URL ending in `.fifo`) the
message key is the deduplication id, so a failure queued twice within SQS's 5-minute window
is stored once.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

from .outbound import Outbound

if TYPE_CHECKING:
    from .sender import Failure

log = logging.getLogger(__name__)

BATCH_SIZE = 10  # SQS SendMessageBatch / ReceiveMessage limit
BATCH_BYTES = 256 * 1024  # SQS payload limit per message and per batch (kept at the classic value)
ATTRIBUTE_BYTES = 1024  # room kept for the message attributes in the size checks


class QueueUnavailable(Exception):
    """The queue could not be written to or read; the caller must fail the invocation."""


class QueuedAlert(NamedTuple):
    receipt_handle: str
    outbound: Outbound
    attempts: int  # how often SQS has handed this message out, this time included


class FailureQueue:
    def __init__(self, queue_url: str, sqs_client: Any = None) -> None:
        self.queue_url = queue_url
        self._sqs = sqs_client

    @property
    def sqs(self) -> Any:
        if self._sqs is None:
            import boto3  # lazily: cold starts without a queue never pay for boto3

            self._sqs = boto3.client("sqs")
        return self._sqs

    def put(self, failures: Sequence[Failure]) -> None:
        """Store every failure; raises QueueUnavailable unless all of them were stored."""
        entries = [self._entry(str(i), failure) for i, failure in enumerate(failures)]
        for batch in _batches(entries):
            failed = self._send(batch)
            if failed:  # SQS may refuse some entries of a batch for internal reasons: retry once
                failed = self._send([e for e in batch if e["Id"] in failed])
            if failed:
                raise QueueUnavailable(
                    f"failure queue {self.queue_url}: {len(failed)} message(s) not stored: "
                    + "; ".join(sorted(set(failed.values())))
                )

    def receive(
        self, max_messages: int = 10, *, visibility_timeout: int | None = None
    ) -> list[QueuedAlert]:
        """Up to `max_messages` queued alerts (fewer when SQS returns fewer).

        A body that is not an Outbound is logged and left on the queue, for its dead-letter
        queue to collect, rather than deleted.
        """
        alerts: list[QueuedAlert] = []
        seen: set[str] = set()  # a message can come back within one call if it is visible
        while len(alerts) < max_messages:
            wanted = min(BATCH_SIZE, max_messages - len(alerts))
            request: dict[str, Any] = {
                "QueueUrl": self.queue_url,
                "MaxNumberOfMessages": wanted,
                "WaitTimeSeconds": 0,
                "MessageSystemAttributeNames": ["ApproximateReceiveCount"],
            }
            if visibility_timeout is not None:
                request["VisibilityTimeout"] = visibility_timeout
            try:
                messages = self.sqs.receive_message(**request).get("Messages", [])
            except Exception as err:  # botocore's errors; the caller decides what that means
                raise QueueUnavailable(
                    f"failure queue {self.queue_url}: cannot receive: {err}"
                ) from err
            fresh = [m for m in messages if m["MessageId"] not in seen]
            if not fresh:
                break
            for message in fresh:
                seen.add(message["MessageId"])
                try:
                    outbound = Outbound.from_json(message["Body"])
                except ValueError as err:
                    log.error("failure queue message %s skipped: %s", message["MessageId"], err)
                    continue
                attempts = int(message.get("Attributes", {}).get("ApproximateReceiveCount", 1))
                alerts.append(QueuedAlert(message["ReceiptHandle"], outbound, attempts))
            if len(messages) < wanted:  # the queue looks drained (short polling is approximate)
                break
        return alerts

    def delete(self, receipt_handle: str) -> None:
        try:
            self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=receipt_handle)
        except Exception as err:
            raise QueueUnavailable(f"failure queue {self.queue_url}: cannot delete: {err}") from err

    def retry_later(self, receipt_handle: str, delay: int) -> None:
        """Make a received message visible again in `delay` seconds (0: right away)."""
        try:
            self.sqs.change_message_visibility(
                QueueUrl=self.queue_url, ReceiptHandle=receipt_handle, VisibilityTimeout=delay
            )
        except Exception as err:
            raise QueueUnavailable(
                f"failure queue {self.queue_url}: cannot release: {err}"
            ) from err

    def _entry(self, entry_id: str, failure: Failure) -> dict[str, Any]:
        outbound = _fit(failure.outbound)
        entry: dict[str, Any] = {
            "Id": entry_id,
            "MessageBody": outbound.to_json(),
            "MessageAttributes": {
                "error": {"DataType": "String", "StringValue": failure.error[:500] or "?"},
                "permanent": {"DataType": "String", "StringValue": str(failure.permanent).lower()},
            },
        }
        if self.queue_url.endswith(".fifo"):
            entry["MessageGroupId"] = outbound.channel
            entry["MessageDeduplicationId"] = hashlib.sha256(outbound.key.encode()).hexdigest()
        return entry

    def _send(self, batch: list[dict[str, Any]]) -> dict[str, str]:
        """Send one batch; the ids SQS did not store, with its reason."""
        try:
            response = self.sqs.send_message_batch(QueueUrl=self.queue_url, Entries=batch)
        except Exception as err:
            raise QueueUnavailable(f"failure queue {self.queue_url}: cannot send: {err}") from err
        return {f["Id"]: f.get("Code", "?") for f in response.get("Failed", [])}


def _fit(outbound: Outbound) -> Outbound:
    """The outbound, made to fit in one SQS message: if it is too large, keep the text only.

    Slack's text limit (40,000 characters) fits; blocks are what can grow past it. A plainer
    message later beats a lost one.
    """
    if _size(outbound) <= BATCH_BYTES - ATTRIBUTE_BYTES:
        return outbound
    log.warning("queued alert %s too large for SQS: keeping its text only", outbound.key)
    return outbound.replace(blocks=[], attachments=None, text=outbound.text[:40_000])


def _size(outbound: Outbound) -> int:
    return len(outbound.to_json().encode())


def _batches(entries: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Split into batches of at most 10 entries and BATCH_BYTES of payload."""
    batches: list[list[dict[str, Any]]] = []
    size = 0
    for entry in entries:
        entry_size = len(entry["MessageBody"].encode()) + ATTRIBUTE_BYTES
        if not batches or len(batches[-1]) == BATCH_SIZE or size + entry_size > BATCH_BYTES:
            batches.append([])
            size = 0
        batches[-1].append(entry)
        size += entry_size
    return batches
