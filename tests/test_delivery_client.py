"""make_client's own retry handlers (used outside deliver), and the cold-start promise."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from engine.delivery import make_client

ROOT = Path(__file__).parent.parent


def test_importing_delivery_loads_neither_slack_sdk_nor_boto3():
    code = (
        "import sys, engine.delivery\n"
        "print(sorted(m for m in ('slack_sdk', 'boto3', 'botocore', 'ssl') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def test_client_uses_token_and_base_url(slack_server):
    client = make_client("xoxb-abc", base_url=slack_server.url, timeout=2.0)

    assert client.auth_test()["user_id"] == "UBOT"
    assert slack_server.requests[0]["authorization"] == "Bearer xoxb-abc"


def test_default_base_url_is_slacks():
    assert make_client("xoxb-abc").base_url == "https://slack.com/api/"


@pytest.mark.parametrize(
    "fault",
    [
        {"status": 429, "retry_after": 1},
        {"status": 502},  # slack_sdk's ServerErrorRetryHandler alone retries only 500 and 503
        {"reset": True},
    ],
    ids=["429", "502", "reset"],
)
def test_client_retries_transient_failures_itself(slack_server, fault):
    client = make_client("xoxb-abc", base_url=slack_server.url, timeout=2.0)
    slack_server.fail_next(1, **fault)

    assert client.chat_postMessage(channel="#a", text="hi")["ok"]
    assert len(slack_server.requests) == 2 and len(slack_server.messages) == 1


@pytest.mark.parametrize("retry_after", [60, 0.5], ids=["above the bound", "not an integer"])
def test_client_gives_up_at_once_on_a_retry_after_it_cannot_honour(slack_server, retry_after):
    from slack_sdk.errors import SlackApiError

    client = make_client("xoxb-abc", base_url=slack_server.url, timeout=2.0, max_retry_after=5)
    slack_server.fail_next(1, status=429, retry_after=retry_after)
    started = time.monotonic()

    with pytest.raises(SlackApiError) as raised:
        client.chat_postMessage(channel="#a", text="hi")
    assert raised.value.response.status_code == 429
    assert time.monotonic() - started < 1.0 and len(slack_server.requests) == 1


def test_client_retries_are_bounded(slack_server):
    from slack_sdk.errors import SlackApiError

    client = make_client("xoxb-abc", base_url=slack_server.url, timeout=2.0, max_retry_count=1)
    slack_server.fail_next(5, status=503)

    with pytest.raises(SlackApiError):
        client.chat_postMessage(channel="#a", text="hi")
    assert len(slack_server.requests) == 2
