"""Re-post what the failure queue holds; delete each message only once Slack accepted it."""

from __future__ import annotations

import logging
import math
import time
from collections import defaultdict
from typing import TYPE_CHECKING

from engine.struct import Struct

from .errors import DEFAULT_POLICY, RetryPolicy
from .outbound import Outbound
from .queue import FailureQueue, QueueUnavailable
from .sender import Failure, deliver

if TYPE_CHECKING:
    from slack_sdk import WebClient

log = logging.getLogger(__name__)

# Keep received messages hidden this much longer than the run may last, so that none can
# reappear (and be posted a second time) before this run has deleted it.
VISIBILITY_MARGIN = 30
# How long a message that failed again stays hidden before the next redrive may take it.
RETRY_DELAY = 60


class RedriveReport(Struct, frozen=False):
    __slots__ = ("posted", "failed", "deleted", "delete_errors")

    def __init__(
        self,
        posted: list[Outbound] | None = None,
        failed: list[Failure] | None = None,  # still queued
        deleted: int = 0,  # queue messages removed (posted ones and their duplicates)
        delete_errors: list[str] | None = None,  # posted, but still queued
    ) -> None:
        self.posted = [] if posted is None else posted
        self.failed = [] if failed is None else failed
        self.deleted = deleted
        self.delete_errors = [] if delete_errors is None else delete_errors


def redrive(
    queue: FailureQueue,
    client: WebClient,
    *,
    deadline: float,
    min_interval: float = 1.0,
    max_messages: int = 100,
    retry_delay: int = RETRY_DELAY,
    policy: RetryPolicy = DEFAULT_POLICY,
) -> RedriveReport:
    """Post up to `max_messages` queued alerts, each key at most once in this run.

    Messages Slack did not accept stay on the queue, visible again `retry_delay` seconds
    after this run; a dead-letter queue on the failure queue ends the life of one that never
    goes through (permanent failures included: they are reported, never silently dropped).
    """
    report = RedriveReport()
    time_left = deadline - time.monotonic()
    if time_left < policy.min_request_time:
        return report
    alerts = queue.receive(
        max_messages, visibility_timeout=math.ceil(time_left) + VISIBILITY_MARGIN
    )
    # The same alert may be queued more than once (a Lambda retry re-queued it): post it once,
    # then delete every copy.
    handles: dict[str, list[str]] = defaultdict(list)
    for alert in alerts:
        handles[alert.outbound.key].append(alert.receipt_handle)
    delivery = deliver(
        (alert.outbound for alert in alerts),
        client,
        deadline=deadline,
        min_interval=min_interval,
        policy=policy,
    )
    report.posted = delivery.posted
    report.failed = delivery.failed
    for outbound in delivery.posted:
        for handle in handles[outbound.key]:
            try:
                queue.delete(handle)
                report.deleted += 1
            except QueueUnavailable as err:  # it will be posted again later: say so loudly
                log.error("posted but not deleted from the queue (it will repeat): %s", err)
                report.delete_errors.append(str(err))
    for failure in delivery.failed:
        for handle in handles[failure.outbound.key]:
            try:
                queue.retry_later(handle, retry_delay)
            except QueueUnavailable as err:  # harmless: it reappears when its timeout ends
                log.warning("failed alert stays hidden until its visibility timeout: %s", err)
    return report
