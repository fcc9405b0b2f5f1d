"""Post messages to Slack: once per record and channel, paced per channel, within a deadline.

Retries are a loop here rather than slack_sdk's retry handlers, because those sleep for as
long as Retry-After says (plus up to 1 s) whatever time the invocation has left, and a
WebClient's timeout is one value per client. Each attempt here uses a shallow copy of the
client with no handlers and a timeout no longer than the time left, so no request starts that
could not finish before the deadline.
"""

from __future__ import annotations

import copy
import logging
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

from engine.struct import Struct

from .errors import DEFAULT_POLICY, Outcome, RetryPolicy, classify
from .outbound import Outbound
from .token import redact

if TYPE_CHECKING:
    from slack_sdk import WebClient

log = logging.getLogger(__name__)


class Failure(Struct):
    """A message that was not delivered; `permanent` when retrying cannot help."""

    __slots__ = ("outbound", "error", "permanent")

    def __init__(self, outbound: Outbound, error: str, permanent: bool) -> None:
        self.outbound = outbound
        self.error = error
        self.permanent = permanent


class DeliveryReport(Struct, frozen=False):
    __slots__ = ("posted", "failed", "duplicates")

    def __init__(
        self,
        posted: list[Outbound] | None = None,
        failed: list[Failure] | None = None,
        duplicates: int = 0,  # messages dropped because their key was already in the batch
    ) -> None:
        self.posted = [] if posted is None else posted
        self.failed = [] if failed is None else failed
        self.duplicates = duplicates


class _Stop:
    """Set by any worker when the token itself is refused: nothing else can be posted."""

    def __init__(self) -> None:
        self.reason: str | None = None


def deliver(
    outbounds: Iterable[Outbound],
    client: WebClient,
    *,
    deadline: float,
    min_interval: float = 1.0,
    max_workers: int = 4,
    policy: RetryPolicy = DEFAULT_POLICY,
) -> DeliveryReport:
    """Post each distinct message once; never raises for Slack or network errors.

    `deadline` is a `time.monotonic()` value after which no request may still be running.
    Channels are served in parallel (up to `max_workers`); within a channel, posts start at
    least `min_interval` seconds apart (Slack allows about one per second per channel).
    """
    report = DeliveryReport()
    unique: dict[str, Outbound] = {}
    for outbound in outbounds:
        if outbound.key in unique:
            report.duplicates += 1
        else:
            unique[outbound.key] = outbound
    by_channel: dict[str, list[tuple[int, Outbound]]] = {}
    for index, outbound in enumerate(unique.values()):
        by_channel.setdefault(outbound.channel, []).append((index, outbound))
    if not by_channel:
        return report

    stop = _Stop()

    def send(items: list[tuple[int, Outbound]]) -> list[tuple[int, Outbound, Failure | None]]:
        return _send_channel(items, client, deadline, min_interval, policy, stop)

    workers = max(1, min(max_workers, len(by_channel)))
    with ThreadPoolExecutor(workers, thread_name_prefix="slack-post") as pool:
        results = [
            r for channel_results in pool.map(send, by_channel.values()) for r in channel_results
        ]
    for _, outbound, failure in sorted(results, key=lambda r: r[0]):
        if failure is None:
            report.posted.append(outbound)
        else:
            report.failed.append(failure)
    return report


def _send_channel(
    items: list[tuple[int, Outbound]],
    client: WebClient,
    deadline: float,
    min_interval: float,
    policy: RetryPolicy,
    stop: _Stop,
) -> list[tuple[int, Outbound, Failure | None]]:
    """Post one channel's messages in order, paced; runs in a worker thread."""
    results: list[tuple[int, Outbound, Failure | None]] = []
    channel_error: str | None = None  # the channel itself is refused: skip the rest of it
    next_start = 0.0
    for index, outbound in items:
        if (reason := stop.reason or channel_error) is not None:
            results.append((index, outbound, _failed(outbound, reason, True, client)))
            continue
        wait = next_start - time.monotonic()
        if wait > 0:
            if time.monotonic() + wait + policy.min_request_time > deadline:
                reason = "deadline reached before it could be sent"
                results.append((index, outbound, _failed(outbound, reason, False, client)))
                continue
            time.sleep(wait)
        next_start = time.monotonic() + min_interval
        try:
            outcome = _post(outbound, client, deadline, policy)
        except Exception as err:  # a bug, not Slack: keep the message (it gets queued), say why
            log.exception("unexpected error posting %s to %s", outbound.event_id, outbound.channel)
            outcome = Outcome(f"unexpected error: {type(err).__name__}: {err}", False)
        if outcome is None:
            results.append((index, outbound, None))
            continue
        if outcome.permanent and outcome.scope == "token":
            stop.reason = outcome.error
        elif outcome.permanent and outcome.scope == "channel":
            channel_error = outcome.error
        results.append(
            (index, outbound, _failed(outbound, outcome.error, outcome.permanent, client))
        )
    return results


def _post(
    outbound: Outbound, client: WebClient, deadline: float, policy: RetryPolicy
) -> Outcome | None:
    """Post with retries until accepted (None), refused for good, out of attempts or of time."""
    last: Outcome | None = None
    for attempt in range(1, policy.max_attempts + 1):
        left = deadline - time.monotonic()
        if left < policy.min_request_time:
            break
        try:
            _attempt_client(client, left).chat_postMessage(
                channel=outbound.channel,
                text=outbound.text,
                blocks=outbound.blocks or None,
                attachments=outbound.attachments,
                unfurl_links=False,
                unfurl_media=False,
            )
            return None
        except Exception as err:
            last = classify(err, policy)
            if last is None:
                raise
        if last.permanent or attempt == policy.max_attempts:
            return last
        wait = last.retry_after if last.retry_after is not None else policy.backoff_for(attempt)
        if time.monotonic() + wait + policy.min_request_time > deadline:
            return last.replace(
                error=f"{last.error}; a retry in {wait:g} s would pass the deadline"
            )
        time.sleep(wait)
    if last is None:
        return Outcome("deadline reached before it could be sent", False)
    return last.replace(error=f"{last.error}; no time left to retry")


def _attempt_client(client: WebClient, time_left: float) -> WebClient:
    """A copy of `client` for one request: no built-in retries, a timeout within the time left.

    A copy, because the workers share `client` and its timeout is a plain attribute.
    """
    attempt = copy.copy(client)
    attempt.timeout = min(client.timeout, time_left)  # type: ignore[assignment]
    attempt.retry_handlers = []
    return attempt


def _failed(outbound: Outbound, error: str, permanent: bool, client: WebClient) -> Failure:
    error = redact(error, client.token or "")
    log.warning(
        "not delivered to Slack: event %s to %s: %s%s",
        outbound.event_id,
        outbound.channel,
        error,
        " (permanent)" if permanent else "",
    )
    return Failure(outbound, error, permanent)
