"""Which Slack and network failures are worth retrying, declared as data.

Checked against slack_sdk 3.48: its `ServerErrorRetryHandler` retries only 500 and 503, and its
`ConnectionErrorRetryHandler` does not retry a read timeout (a bare `TimeoutError`), so the
sets here are wider than slack_sdk's defaults on purpose.
"""

from __future__ import annotations

import random
from time import time
from typing import Any

from engine.struct import Struct

# ok:false errors that no retry can fix: the token, the channel or the message is wrong.
TOKEN_ERRORS = frozenset(
    {
        "invalid_auth",
        "not_authed",
        "account_inactive",
        "token_revoked",
        "token_expired",
        "no_permission",
        "missing_scope",
        "not_allowed_token_type",
        "ekm_access_denied",
        "team_access_not_granted",
    }
)
CHANNEL_ERRORS = frozenset(
    {
        "channel_not_found",
        "not_in_channel",
        "is_archived",
        "restricted_action",
        "restricted_action_read_only_channel",
        "restricted_action_non_threadable_channel",
        "restricted_action_thread_only_channel",
        "team_not_found",
    }
)
MESSAGE_ERRORS = frozenset(
    {
        "msg_too_long",
        "msg_blocks_too_long",
        "invalid_blocks",
        "invalid_blocks_format",
        "invalid_attachments",
        "no_text",
        "too_many_attachments",
        "invalid_arguments",
    }
)
# ok:false errors that Slack documents as transient; any other ok:false is treated as permanent
# (retrying the same request would get the same answer).
TRANSIENT_ERRORS = frozenset(
    {"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"}
)
# HTTP statuses worth retrying; any other non-200 status is permanent.
RETRYABLE_STATUSES = frozenset({408, 429, 500, 502, 503, 504})


class RetryPolicy(Struct):
    """How hard one `deliver` call tries before it hands a message back as failed."""

    __slots__ = (
        "max_attempts",
        "backoff",
        "max_backoff",
        "default_retry_after",
        "min_request_time",
        "retryable_statuses",
    )

    def __init__(
        self,
        max_attempts: int = 5,
        backoff: float = 0.5,  # first wait after a 5xx / network error; doubles each time
        max_backoff: float = 8.0,
        default_retry_after: float = 1.0,  # a 429 without a usable Retry-After header
        min_request_time: float = 0.25,  # never start a request with less time left than this
        retryable_statuses: frozenset[int] = RETRYABLE_STATUSES,
    ) -> None:
        self.max_attempts = max_attempts
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.default_retry_after = default_retry_after
        self.min_request_time = min_request_time
        self.retryable_statuses = retryable_statuses

    def backoff_for(self, attempt: int) -> float:
        """Wait before retry number `attempt` (1-based): exponential, with "equal jitter"."""
        base = min(self.max_backoff, self.backoff * 2 ** (attempt - 1))
        return base / 2 + random.uniform(0, base / 2)


DEFAULT_POLICY = RetryPolicy()


class Outcome(Struct):
    """A failed attempt, classified."""

    __slots__ = ("error", "permanent", "retry_after", "scope")

    def __init__(
        self,
        error: str,  # short, e.g. "channel_not_found", "HTTP 503", "timed out"
        permanent: bool,
        retry_after: float | None = None,  # what Slack asked us to wait (429)
        scope: str = "message",  # "message", "channel" or "token": how much else this failure dooms
    ) -> None:
        self.error = error
        self.permanent = permanent
        self.retry_after = retry_after
        self.scope = scope


def classify(err: BaseException, policy: RetryPolicy = DEFAULT_POLICY) -> Outcome | None:
    """Classify an exception from a slack_sdk call; None when it is not a Slack/network error."""
    # Imported here, not at the top: http.client loads ssl, which a cold start need not pay for.
    from http.client import HTTPException

    from slack_sdk.errors import SlackApiError, SlackClientError  # loaded once the client is

    if isinstance(err, SlackApiError):
        status = err.response.status_code
        data = err.response.data if isinstance(err.response.data, dict) else {}
        if status == 429:
            wait = _retry_after(err.response.headers)
            wait = policy.default_retry_after if wait is None else wait
            return Outcome("ratelimited (HTTP 429)", False, retry_after=wait)
        if status != 200:
            return Outcome(f"HTTP {status}", status not in policy.retryable_statuses)
        error = str(data.get("error") or "unknown_error")
        if error in TRANSIENT_ERRORS:
            return Outcome(error, False)
        return Outcome(error, True, scope=_scope(error))
    if isinstance(err, TimeoutError):
        return Outcome("timed out", False)
    # Connection refused/reset (OSError; urllib's URLError is one), closed without a reply
    # (http.client's RemoteDisconnected / IncompleteRead); a read timeout is handled above.
    if isinstance(err, OSError | HTTPException):
        return Outcome(f"connection error: {err}", False)
    if isinstance(err, SlackClientError):  # e.g. an invalid base URL: configuration, not luck
        return Outcome(f"slack client error: {err}", True, scope="token")
    return None


def _scope(error: str) -> str:
    if error in TOKEN_ERRORS:
        return "token"
    return "channel" if error in CHANNEL_ERRORS else "message"


def _retry_after(headers: Any) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date); None if unusable.

    slack_sdk's own handler does `int(value)`, which raises on "1.5" or a date.
    """
    value = next((v for k, v in (headers or {}).items() if k.lower() == "retry-after"), None)
    if isinstance(value, list):
        value = value[0] if value else None
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    from email.utils import parsedate_to_datetime

    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time())
    except (TypeError, ValueError):
        return None
