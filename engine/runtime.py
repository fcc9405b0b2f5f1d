"""What the Lambda entry points and the `redrive` command share: settings read from the
environment, AWS and Slack clients made on first need, and draining the failure queue.

Nothing here imports boto3 or slack_sdk until a client is actually needed (cold start).
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from engine.delivery.client import SLACK_API_URL
from engine.observability import Redactor
from engine.struct import Struct

if TYPE_CHECKING:
    from slack_sdk import WebClient

    from engine.delivery import FailureQueue, RedriveReport, RetryPolicy

# The delivery modules (retries, thread pool, queue) are imported where first used, not at
# cold start: most invocations of the alert function post nothing.

# Timeouts for the AWS calls the function makes itself. The failure queue is written in the
# few seconds kept back from delivery, so its calls must fail fast rather than outlive them.
_AWS_CONFIG = {
    "sqs": {"connect_timeout": 2, "read_timeout": 3, "retries": {"max_attempts": 2}},
    "default": {"connect_timeout": 3, "read_timeout": 10, "retries": {"max_attempts": 3}},
}


class Settings(Struct, internal=("environ",)):
    """The environment variables, read once (see docs/operations.md)."""

    __slots__ = ("rules_file", "fallback_channel", "slack_api_url", "queue_url", "environ")

    def __init__(
        self,
        rules_file: str,
        fallback_channel: str | None,  # SLACK_CHANNEL
        slack_api_url: str,  # SLACK_API_URL, ending in "/"
        queue_url: str | None,  # FAILED_ALERTS_QUEUE_URL
        environ: Mapping[str, str],  # for the token variables
    ) -> None:
        self.rules_file = rules_file
        self.fallback_channel = fallback_channel
        self.slack_api_url = slack_api_url
        self.queue_url = queue_url
        self.environ = environ

    @classmethod
    def from_environ(
        cls, environ: Mapping[str, str], *, default_rules: str = "rules.yaml"
    ) -> Settings:
        return cls(
            rules_file=environ.get("RULES_FILE", "").strip() or default_rules,
            fallback_channel=environ.get("SLACK_CHANNEL", "").strip() or None,
            slack_api_url=normalise_api_url(environ.get("SLACK_API_URL", "")),
            queue_url=environ.get("FAILED_ALERTS_QUEUE_URL", "").strip() or None,
            environ=dict(environ),
        )


def normalise_api_url(url: str) -> str:
    """Slack's base URL when empty; always ending in "/" (slack_sdk appends the method name)."""
    url = url.strip()
    if not url:
        return SLACK_API_URL
    return url if url.endswith("/") else url + "/"


class AwsClients:
    """boto3 clients, one per service, made on first use (boto3 honours AWS_ENDPOINT_URL)."""

    def __init__(self) -> None:
        self._clients: dict[str, Any] = {}

    def get(self, service: str) -> Any:
        if service not in self._clients:
            import boto3
            from botocore.config import Config

            options = _AWS_CONFIG.get(service, _AWS_CONFIG["default"])
            self._clients[service] = boto3.client(service, config=Config(**options))
        return self._clients[service]

    @property
    def s3(self) -> Any:
        """An S3 client stand-in that makes the real one only when an object is fetched."""
        return _LazyS3(self)


class _LazyS3:
    __slots__ = ("_clients",)

    def __init__(self, clients: AwsClients) -> None:
        self._clients = clients

    def get_object(self, **kwargs: Any) -> Any:
        return self._clients.get("s3").get_object(**kwargs)


class SlackConnection:
    """The Slack client, with the token read on first need and then kept (once per cold start).

    A token Slack refuses is forgotten, so the next invocation reads it again: a rotated token
    then reaches a warm instance without a redeploy.
    """

    def __init__(self, settings: Settings, redactor: Redactor, *, timeout: float = 10.0) -> None:
        self.settings = settings
        self.redactor = redactor
        self.timeout = timeout
        self._client: WebClient | None = None

    def client(self) -> WebClient:
        """Raises TokenError when no token can be found (a configuration error)."""
        if self._client is None:
            from engine.delivery import make_client, resolve_token

            token = resolve_token(self.settings.environ)
            self.redactor.add(token)
            self._client = make_client(
                token, base_url=self.settings.slack_api_url, timeout=self.timeout
            )
        return self._client

    def refused(self, errors: list[str]) -> None:
        """Tell the connection what Slack answered; a refused token is read again next time."""
        from engine.delivery.errors import TOKEN_ERRORS

        if any(error in TOKEN_ERRORS for error in errors):
            self._client = None


def remaining_seconds(context: Any, default: float = 60.0) -> float:
    """Time the invocation has left, from the Lambda context (`default` without one)."""
    getter = getattr(context, "get_remaining_time_in_millis", None)
    return getter() / 1000 if callable(getter) else default


def drain(
    queue: FailureQueue,
    client: WebClient,
    *,
    deadline: float,
    min_interval: float = 1.0,
    batch_size: int = 100,
    policy: RetryPolicy | None = None,
) -> RedriveReport:
    """Re-post the failure queue until it is empty, nothing more goes through, or time is up.

    Each round takes only as many messages as could be posted in the time left, even if all
    went to one channel: a message taken but not tried still counts as a receive towards the
    queue's dead-letter limit.
    """
    from engine.delivery import DEFAULT_POLICY, RedriveReport, redrive

    policy = policy or DEFAULT_POLICY
    total = RedriveReport()
    while (left := deadline - time.monotonic()) >= policy.min_request_time:
        fits = batch_size if min_interval <= 0 else math.floor(left / min_interval) + 1
        report = redrive(
            queue,
            client,
            deadline=deadline,
            min_interval=min_interval,
            max_messages=max(1, min(batch_size, fits)),
            policy=policy,
        )
        total.posted += report.posted
        total.failed += report.failed
        total.deleted += report.deleted
        total.delete_errors += report.delete_errors
        if not report.posted:  # drained, or Slack refuses everything: the next run tries again
            break
    return total
