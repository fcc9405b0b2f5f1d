"""deliver() through the real slack_sdk WebClient, over HTTP, to tests/slack_server.py."""

from __future__ import annotations

import logging
import time
from itertools import pairwise

import pytest

from engine.delivery import deliver, make_client
from tests.outbounds import FAST, sample

TOKEN = "xoxb-1111-2222-SeCrEtVaLuE"


@pytest.fixture
def client(slack_server):
    return make_client(TOKEN, base_url=slack_server.url, timeout=2.0)


def run(outbounds, client, *, seconds: float = 10.0, **kwargs):
    kwargs.setdefault("min_interval", 0.0)
    kwargs.setdefault("policy", FAST)
    return deliver(outbounds, client, deadline=time.monotonic() + seconds, **kwargs)


def test_posts_text_blocks_and_flags_with_the_bot_token(slack_server, client):
    message = sample()
    report = run([message], client)

    assert report.posted == [message] and report.failed == []
    [posted] = slack_server.messages
    assert posted["channel"] == "#security-alerts"
    assert posted["text"] == message.text
    assert posted["blocks"] == message.blocks
    assert posted["unfurl_links"] is False and posted["unfurl_media"] is False
    assert posted["authorization"] == f"Bearer {TOKEN}"


def test_posts_once_per_event_and_channel(slack_server, client):
    a, b = sample("e1"), sample("e2")
    a_elsewhere = sample("e1", channel="#team")
    report = run([a, b, a, a_elsewhere, b], client)

    assert report.posted == [a, b, a_elsewhere]
    assert report.duplicates == 2
    assert sorted((m["channel"], m["text"]) for m in slack_server.messages) == sorted(
        [("#security-alerts", a.text), ("#security-alerts", b.text), ("#team", a.text)]
    )


def test_messages_without_event_id_are_kept_apart_unless_identical(slack_server, client):
    one = sample(None, text="one")
    other = sample(None, text="other")
    report = run([one, other, sample(None, text="one")], client)

    assert report.posted == [one, other] and report.duplicates == 1


@pytest.mark.parametrize(
    "retry_after",
    [1, 0.3, None],  # slack_sdk's own handler int()s the header and would raise on "0.3"
    ids=["Retry-After 1", "Retry-After 0.3", "no Retry-After"],
)
def test_rate_limited_post_is_retried_after_the_wait_slack_asks_for(
    slack_server, client, retry_after
):
    slack_server.fail_next(1, status=429, retry_after=retry_after)
    report = run([sample()], client)

    assert len(report.posted) == 1 and report.failed == []
    assert len(slack_server.messages) == 1
    first, second = slack_server.requests
    waited = second["received"] - first["received"]
    expected = FAST.default_retry_after if retry_after is None else retry_after
    assert expected * 0.9 <= waited < expected + 0.5


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_server_errors_are_retried(slack_server, client, status):
    slack_server.fail_next(2, status=status)
    report = run([sample()], client)

    assert len(report.posted) == 1 and report.failed == []
    assert len(slack_server.requests) == 3 and len(slack_server.messages) == 1


def test_connection_reset_is_retried(slack_server, client):
    slack_server.fail_next(2, reset=True)
    report = run([sample()], client)

    assert len(report.posted) == 1 and len(slack_server.messages) == 1


def test_reply_slower_than_the_timeout_is_retried(slack_server):
    client = make_client(TOKEN, base_url=slack_server.url, timeout=0.3)
    slack_server.hang_next(1, seconds=0.6)
    started = time.monotonic()
    report = run([sample()], client)

    assert len(report.posted) == 1 and len(slack_server.messages) == 1
    assert len(slack_server.requests) == 2
    assert time.monotonic() - started < 1.5


@pytest.mark.parametrize(
    "error",
    [
        "channel_not_found",
        "not_in_channel",
        "is_archived",
        "invalid_auth",
        "not_authed",
        "account_inactive",
        "msg_too_long",
        "invalid_blocks",
        "some_future_error",
    ],
)
def test_permanent_errors_fail_without_retry(slack_server, client, error):
    message = sample()
    slack_server.fail_next(1, error=error)
    report = run([message], client)

    assert report.posted == []
    assert [(f.outbound, f.error, f.permanent) for f in report.failed] == [(message, error, True)]
    assert len(slack_server.requests) == 1


def test_transient_ok_false_error_is_retried(slack_server, client):
    slack_server.fail_next(1, error="internal_error")
    report = run([sample()], client)

    assert len(report.posted) == 1 and len(slack_server.requests) == 2


def test_refused_channel_is_not_tried_again_while_others_go_on(slack_server, client):
    slack_server.fail_next(1, error="channel_not_found", channel="#gone")
    gone = [sample("e1", "#gone"), sample("e2", "#gone")]
    report = run([*gone, sample("e3", "#ok")], client)

    assert [f.outbound for f in report.failed] == gone
    assert all(f.error == "channel_not_found" and f.permanent for f in report.failed)
    assert [r["channel"] for r in slack_server.requests].count("#gone") == 1
    assert [m["channel"] for m in slack_server.messages] == ["#ok"]


def test_refused_token_stops_all_posting(slack_server, client):
    slack_server.fail_next(1, error="invalid_auth")
    report = run([sample("e1"), sample("e2"), sample("e3")], client)

    assert len(report.failed) == 3 and all(f.permanent for f in report.failed)
    assert len(slack_server.requests) == 1


def test_too_many_failures_give_up_as_retryable(slack_server, client):
    slack_server.fail_next(10, status=503)
    report = run([sample()], client, policy=FAST.replace(max_attempts=3))

    [failure] = report.failed
    assert not failure.permanent and "HTTP 503" in failure.error
    assert len(slack_server.requests) == 3


def test_retry_after_beyond_the_deadline_fails_fast(slack_server, client):
    slack_server.fail_next(1, status=429, retry_after=30)
    started = time.monotonic()
    report = run([sample()], client, seconds=2.0)

    assert time.monotonic() - started < 0.5
    [failure] = report.failed
    assert not failure.permanent and "deadline" in failure.error and "30" in failure.error
    assert len(slack_server.requests) == 1


def test_request_timeout_is_cut_to_the_time_left(slack_server):
    client = make_client(TOKEN, base_url=slack_server.url, timeout=30.0)
    slack_server.hang_next(1, seconds=3.0)
    started = time.monotonic()
    report = run([sample()], client, seconds=1.0)

    assert time.monotonic() - started < 1.3
    [failure] = report.failed
    assert not failure.permanent


def test_pacing_stops_before_the_deadline_and_keeps_the_rest(slack_server, client):
    messages = [sample(f"e{i}") for i in range(6)]
    started = time.monotonic()
    report = run(messages, client, seconds=1.0, min_interval=0.4)

    assert time.monotonic() - started < 1.1
    assert report.posted == messages[: len(report.posted)] and 2 <= len(report.posted) <= 3
    assert [f.outbound for f in report.failed] == messages[len(report.posted) :]
    assert all(not f.permanent and "deadline" in f.error for f in report.failed)


def test_one_channel_is_paced_while_channels_go_in_parallel(slack_server, client):
    interval = 0.2
    messages = [sample(f"e{i}", channel) for i in range(3) for channel in ("#a", "#b")]
    report = run(messages, client, min_interval=interval)

    assert len(report.posted) == 6
    times = {
        channel: [m["received"] for m in slack_server.messages if m["channel"] == channel]
        for channel in ("#a", "#b")
    }
    for stamps in times.values():
        assert all(later - earlier >= interval * 0.9 for earlier, later in pairwise(stamps))
    # In parallel: #b does not wait for #a's three posts (which take at least 2 intervals).
    assert abs(times["#a"][0] - times["#b"][0]) < interval / 2
    assert abs(times["#a"][-1] - times["#b"][-1]) < interval / 2


def test_unreachable_slack_is_reported_not_raised(slack_server):
    client = make_client(TOKEN, base_url="http://127.0.0.1:9/api/", timeout=1.0)
    report = run([sample()], client, policy=FAST.replace(max_attempts=2))

    [failure] = report.failed
    assert not failure.permanent and "connection error" in failure.error


def test_token_never_appears_in_failures_or_logs(slack_server, client, caplog):
    caplog.set_level(logging.DEBUG)
    slack_server.fail_next(1, error="invalid_auth", channel="#a")
    slack_server.fail_next(2, reset=True, channel="#b")
    policy = FAST.replace(max_attempts=2)
    report = run([sample("e1", "#a"), sample("e2", "#b")], client, policy=policy)

    assert len(report.failed) == 2
    assert all(TOKEN not in f.error for f in report.failed)
    assert caplog.text and TOKEN not in caplog.text
