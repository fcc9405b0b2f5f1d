"""The Lambda entry points: `lambda_handler` (alerts) and `redrive_handler` (the failure queue).

Per invocation: decode → match → render (engine.pipeline) → deliver → keep what failed in the
failure queue → log a summary with metrics. The invocation succeeds once every alert was either
posted or queued, so Lambda's own retry never re-posts what Slack already has; only alerts that
not even the queue would take fail it (per batch item for Kinesis and SQS). docs/operations.md
tells the whole story.

The rules are loaded and compiled once per cold start; when Lambda starts this module as the
alert function (`_HANDLER`), at import, so a broken rule file fails the init with every problem
in the log. slack_sdk, boto3 and jsonschema are imported only when first needed. Tests build
fresh instances with `create_app(environ)`.
"""

from __future__ import annotations

import os
import time
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from engine.observability import (
    REDRIVE_COUNTS,
    SUMMARY_COUNTS,
    Invocation,
    Log,
    Redactor,
    protect_logging,
)
from engine.pipeline import HOW_TO_ROUTE, Counts, Problem, process
from engine.rules import RuleFileError, RuleSet, load_rules
from engine.runtime import (
    AwsClients,
    Settings,
    SlackConnection,
    drain,
    remaining_seconds,
)
from engine.sources import iter_event

if TYPE_CHECKING:
    from engine.delivery import DeliveryReport, Failure, FailureQueue, Outbound, RetryPolicy

# engine.delivery (retries, thread pool, failure queue) is imported where first used: most
# invocations post nothing, and a cold start should not pay for it.

# os.path, not pathlib: pathlib would be the largest import of a cold start.
DEFAULT_RULES = os.path.join(os.path.dirname(os.path.realpath(__file__)), "rules.yaml")
# Kept back from the delivery deadline for writing the failure queue (and the summary).
QUEUE_RESERVE = 5.0
# Alerts remembered across warm invocations, so a retried event does not post them again.
RECENT_KEYS = 10_000


class InvocationFailed(RuntimeError):
    """Raised so that Lambda retries an event some of whose alerts would otherwise be lost."""


class RecentKeys:
    """A bounded, insertion-ordered set: the alerts this instance posted or queued lately."""

    def __init__(self, size: int = RECENT_KEYS) -> None:
        self.size = size
        self._keys: OrderedDict[str, None] = OrderedDict()

    def __contains__(self, key: str) -> bool:
        return key in self._keys

    def update(self, keys: Iterable[str]) -> None:
        for key in keys:
            self._keys[key] = None
            self._keys.move_to_end(key)
        while len(self._keys) > self.size:
            self._keys.popitem(last=False)


class App:
    """One configured function instance: rules, clients and memory live as long as it does."""

    def __init__(
        self,
        settings: Settings,
        ruleset: RuleSet,
        log: Log,
        *,
        min_interval: float = 1.0,
        policy: RetryPolicy | None = None,  # None: delivery's DEFAULT_POLICY
        queue_reserve: float = QUEUE_RESERVE,
    ) -> None:
        self.settings = settings
        self.ruleset = ruleset
        self.log = log
        self.min_interval = min_interval  # seconds between posts to one channel
        self.policy = policy
        self.queue_reserve = queue_reserve
        self.aws = AwsClients()
        self.slack = SlackConnection(settings, log.redactor)
        self.recent = RecentKeys()

    @property
    def queue(self) -> FailureQueue | None:
        from engine.delivery import FailureQueue

        url = self.settings.queue_url
        return FailureQueue(url, self.aws.get("sqs")) if url else None

    # ---------------------------------------------------------------- alerts

    def handle(self, event: Any, context: Any) -> dict[str, Any]:
        run = self.log.invocation(_request_id(context), _function_name(context))
        counts = Counts()
        keys: set[str] = set()
        duplicates = 0
        to_send: list[Outbound] = []
        kept: list[Failure] = []  # for the failure queue
        retry: list[dict[str, Any]] = []  # origins of inputs to read again later
        items = iter_event(event, s3_client=self.aws.s3)
        fallback = self.settings.fallback_channel
        for item in process(items, self.ruleset, fallback_channel=fallback, counts=counts):
            if isinstance(item, Problem):
                run.problem(item)
                if item.retryable:
                    retry.append(item.origin.log_fields())
            elif item.key in keys or item.key in self.recent:
                duplicates += 1  # the same event again, in this batch or a recent one
            else:
                keys.add(item.key)
                if item.channel:
                    to_send.append(item)
                else:  # a configuration error, logged above: keep the alert, never post it
                    from engine.delivery import Failure

                    kept.append(Failure(item, f"no channel: {HOW_TO_ROUTE}", permanent=True))

        report = self._deliver(to_send, context, run)
        kept += report.failed
        lost = self._keep(kept, run)
        lost_keys = {outbound.key for outbound in lost}
        self.recent.update(outbound.key for outbound in report.posted)
        self.recent.update(f.outbound.key for f in kept if f.outbound.key not in lost_keys)

        summary = {
            "records": counts.records,
            "matched": counts.matched,
            "posted": len(report.posted),
            "queued": len(kept) - len(lost),
            "skipped": counts.skipped,
            "duplicates": duplicates + report.duplicates,
            "rule_errors": counts.rule_errors,
            "unrouted": counts.unrouted,
            "lost": len(lost),
        }
        run.summary("invocation summary", summary, SUMMARY_COUNTS)
        return _response(event, summary, [o.origin for o in lost] + retry)

    def _deliver(self, outbounds: list[Outbound], context: Any, run: Invocation) -> DeliveryReport:
        from engine.delivery import DEFAULT_POLICY, DeliveryReport, Failure, TokenError, deliver

        if not outbounds:
            return DeliveryReport()
        try:
            client = self.slack.client()
        except TokenError as err:
            run.error("token", f"cannot post to Slack: {err}")
            return DeliveryReport(failed=[Failure(o, str(err), True) for o in outbounds])
        deadline = time.monotonic() + remaining_seconds(context) - self.queue_reserve
        report = deliver(
            outbounds,
            client,
            deadline=deadline,
            min_interval=self.min_interval,
            policy=self.policy or DEFAULT_POLICY,
        )
        self.slack.refused([failure.error for failure in report.failed])
        for failure in report.failed:
            outbound = failure.outbound
            rules = ", ".join(outbound.rule_ids)
            if failure.permanent:
                message = (
                    f"Slack refused the alert for rule(s) {rules} in channel"
                    f" {outbound.channel}: {failure.error}; fix the rule's channel or the app's"
                    " access to it (the alert is kept in the failure queue)"
                )
            else:
                message = f"not delivered to {outbound.channel} in time: {failure.error}"
            run.error(
                "not-delivered",
                message,
                channel=outbound.channel,
                event_id=outbound.event_id,
                rule_ids=list(outbound.rule_ids),
                error=failure.error,
                permanent=failure.permanent,
                **outbound.origin,
            )
        return report

    def _keep(self, failures: list[Failure], run: Invocation) -> list[Outbound]:
        """Queue the failures for the redrive; what could not be queued (the lost alerts)."""
        if not failures:
            return []
        from engine.delivery import QueueUnavailable

        queue = self.queue
        try:
            if queue is None:
                raise QueueUnavailable("FAILED_ALERTS_QUEUE_URL is not set")
            queue.put(failures)
        except QueueUnavailable as err:
            run.error(
                "queue",
                f"{len(failures)} undelivered alert(s) could not be queued: {err}",
                event_ids=[f.outbound.event_id for f in failures],
            )
            return [f.outbound for f in failures]
        return []

    # ---------------------------------------------------------------- redrive

    def redrive(self, context: Any) -> dict[str, int]:
        """Re-post the failure queue within the time the invocation has left."""
        from engine.delivery import QueueUnavailable

        run = self.log.invocation(_request_id(context), _function_name(context))
        queue = self.queue
        if queue is None:
            run.error("queue", "FAILED_ALERTS_QUEUE_URL is not set: nothing to redrive")
            raise InvocationFailed("FAILED_ALERTS_QUEUE_URL is not set")
        client = self.slack.client()  # a TokenError fails the run: the next one tries again
        deadline = time.monotonic() + remaining_seconds(context) - self.queue_reserve
        try:
            report = drain(
                queue, client, deadline=deadline, min_interval=self.min_interval, policy=self.policy
            )
        except QueueUnavailable as err:  # fail the run (an alarm); the next run tries again
            run.error("queue", f"cannot redrive: {err}")
            raise
        self.slack.refused([failure.error for failure in report.failed])
        for failure in report.failed:
            run.error(
                "not-delivered",
                f"still not delivered to {failure.outbound.channel}: {failure.error}",
                channel=failure.outbound.channel,
                event_id=failure.outbound.event_id,
                rule_ids=list(failure.outbound.rule_ids),
                permanent=failure.permanent,
            )
        summary = {
            "received": len(report.posted) + len(report.failed),
            "posted": len(report.posted),
            "failed": len(report.failed),
            "deleted": report.deleted,
            "delete_errors": len(report.delete_errors),
        }
        run.summary("redrive summary", summary, REDRIVE_COUNTS)
        return summary


def create_app(environ: Mapping[str, str], *, log: Log | None = None, **options: Any) -> App:
    """An instance configured from `environ`, its rules loaded and compiled.

    A broken rule file logs every problem (one JSON line each, as `validate` words them) and
    raises RuleFileError. `options` go to App (tests shorten pacing and retries with them).
    """
    log = log or Log(Redactor())
    if token := environ.get("SLACK_TOKEN", "").strip():
        log.redactor.add(token)
    protect_logging(log.redactor)
    settings = Settings.from_environ(environ, default_rules=DEFAULT_RULES)
    try:
        # The tests written inside rules are for `cloudtrail-to-slack test`; their record
        # files are not part of the function's package.
        ruleset = load_rules([settings.rules_file], with_tests=False)
    except RuleFileError as err:
        for problem in err.problems:
            log.line(
                "ERROR",
                str(problem),
                problem="rule-file",
                file=problem.file,
                line=problem.line,
                column=problem.column,
            )
        log.line("ERROR", f"{len(err.problems)} problem(s) in the rule file: not starting")
        raise
    return App(settings, ruleset, log, **options)


def _request_id(context: Any) -> str | None:
    return getattr(context, "aws_request_id", None)


def _function_name(context: Any) -> str | None:
    return getattr(context, "function_name", None)


def _response(
    event: Any, summary: dict[str, int], failed_origins: list[dict[str, Any]]
) -> dict[str, Any]:
    """What Lambda gets back: partial batch failures for Kinesis and SQS, else the counts.

    Raises InvocationFailed when inputs failed that cannot be named one by one, and when every
    item of a batch failed: that retries the same items, and stays safe should the event
    source mapping lack `ReportBatchItemFailures` (it would take a returned list for success).
    """
    batch = _batch_source(event)
    if not failed_origins:
        return {"batchItemFailures": []} if batch else summary
    field = {"aws:kinesis": "kinesis_sequence", "aws:sqs": "sqs_message_id"}.get(batch or "")
    ids = list(dict.fromkeys(origin.get(field) for origin in failed_origins)) if field else []
    if ids and all(ids) and len(ids) < len(event["Records"]):
        return {"batchItemFailures": [{"itemIdentifier": i} for i in ids]}
    raise InvocationFailed(
        f"{summary['lost']} alert(s) could be neither posted nor queued, or an input could not"
        " be read for now: failing the invocation so that Lambda retries the event"
    )


def _batch_source(event: Any) -> str | None:
    """ "aws:kinesis" or "aws:sqs" for the batches that report failures per item."""
    records = event.get("Records") if isinstance(event, dict) else None
    first = records[0] if isinstance(records, list) and records else None
    source = first.get("eventSource") if isinstance(first, dict) else None
    return source if source in ("aws:kinesis", "aws:sqs") else None


# ---------------------------------------------------------------- the entry points

_app: App | None = None


def app() -> App:
    """The instance the entry points use, created on first need from os.environ."""
    global _app
    if _app is None:
        _app = create_app(os.environ)
    return _app


def lambda_handler(event: Any, context: Any) -> dict[str, Any]:
    return app().handle(event, context)


def redrive_handler(event: Any, context: Any) -> dict[str, int]:
    return app().redrive(context)


# Lambda's init phase of the alert function: load the rules now, so that a broken rule file
# fails the init (with every problem in the log) instead of each event.
if os.environ.get("_HANDLER", "").endswith(".lambda_handler"):
    app()
