"""Delivery: post rendered messages to Slack with retries and pacing; keep what failed.

Importing this package loads neither slack_sdk nor boto3 (cold start): they are imported
when a client is made or a queue / secret is first used.
"""

from .client import make_client
from .errors import DEFAULT_POLICY, RetryPolicy
from .outbound import Outbound
from .queue import FailureQueue, QueuedAlert, QueueUnavailable
from .redrive import RedriveReport, redrive
from .sender import DeliveryReport, Failure, deliver
from .token import TokenError, redact, resolve_token

__all__ = [
    "DEFAULT_POLICY",
    "DeliveryReport",
    "Failure",
    "FailureQueue",
    "Outbound",
    "QueueUnavailable",
    "QueuedAlert",
    "RedriveReport",
    "RetryPolicy",
    "TokenError",
    "deliver",
    "make_client",
    "redact",
    "redrive",
    "resolve_token",
]
