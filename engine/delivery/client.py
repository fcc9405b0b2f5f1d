"""Build the slack_sdk WebClient; slack_sdk is imported only when a client is made.

`deliver` runs its own deadline-bounded retry loop and switches these handlers off for its
requests (see sender.py: slack_sdk's handlers sleep without knowing the invocation's deadline,
and a client's timeout is fixed per client, not per attempt). They serve every other use of
the client, e.g. an `auth.test` at start-up.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from slack_sdk import WebClient

SLACK_API_URL = "https://slack.com/api/"


def make_client(
    token: str,
    *,
    base_url: str | None = None,
    timeout: float = 10.0,
    max_retry_count: int = 2,
    max_retry_after: float = 30.0,
) -> WebClient:
    """A WebClient that retries connection errors, 429 (honouring Retry-After up to
    `max_retry_after` seconds) and 5xx: at most `max_retry_count` retries per call in all,
    since slack_sdk counts attempts in one RetryState that every handler shares."""
    from slack_sdk import WebClient
    from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler

    handlers = [
        ConnectionErrorRetryHandler(max_retry_count=max_retry_count),
        _rate_limit_handler(max_retry_count, max_retry_after),
        _server_error_handler(max_retry_count),
    ]
    return WebClient(
        token=token,
        base_url=base_url or SLACK_API_URL,
        timeout=timeout,  # type: ignore[arg-type]  # urllib accepts a float; the hint says int
        retry_handlers=handlers,
    )


def _rate_limit_handler(max_retry_count: int, max_retry_after: float) -> Any:
    """slack_sdk's RateLimitErrorRetryHandler, but it gives up instead of sleeping longer
    than `max_retry_after` (the stock one sleeps whatever Retry-After says, plus up to 1 s)."""
    from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

    class BoundedRateLimitHandler(RateLimitErrorRetryHandler):
        def _can_retry(self, *, state, request, response=None, error=None) -> bool:  # type: ignore[no-untyped-def]
            if not super()._can_retry(state=state, request=request, response=response, error=error):
                return False
            headers = response.headers.items()  # values are lists here; be lenient anyway
            raw = next((v for k, v in headers if k.lower() == "retry-after"), None)
            raw = raw[0] if isinstance(raw, list) else raw
            if raw is None:
                return True  # the stock handler then waits 1-2 s
            try:  # the stock handler int()s the header, and would raise on "1.5" or a date
                return int(raw) <= max_retry_after
            except ValueError:
                return False

    return BoundedRateLimitHandler(max_retry_count=max_retry_count)


def _server_error_handler(max_retry_count: int) -> Any:
    """slack_sdk's ServerErrorRetryHandler retries only 500 and 503; also retry 502 and 504."""
    from slack_sdk.http_retry.builtin_handlers import ServerErrorRetryHandler

    class TransientStatusHandler(ServerErrorRetryHandler):
        def _can_retry(self, *, state, request, response=None, error=None) -> bool:  # type: ignore[no-untyped-def]
            from .errors import RETRYABLE_STATUSES

            return response is not None and response.status_code in RETRYABLE_STATUSES - {429}

    return TransientStatusHandler(max_retry_count=max_retry_count)
