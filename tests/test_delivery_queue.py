"""The SQS failure queue and the redrive, through boto3 against moto's server and slack_sdk
against the loopback Slack server."""

from __future__ import annotations

import time
import uuid

import pytest

from engine.delivery import (
    Failure,
    FailureQueue,
    Outbound,
    QueueUnavailable,
    make_client,
    redrive,
)
from tests.aws_emulator import boto_client
from tests.outbounds import FAST, sample


@pytest.fixture
def sqs(aws_endpoint):
    return boto_client("sqs", aws_endpoint)


@pytest.fixture
def queue(sqs):
    url = sqs.create_queue(QueueName=f"failures-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    return FailureQueue(url, sqs)


@pytest.fixture
def client(slack_server):
    return make_client("xoxb-test", base_url=slack_server.url, timeout=2.0)


def queued(queue: FailureQueue) -> list[Outbound]:
    """What the queue holds, without hiding it from the next receive."""
    return sorted(
        (alert.outbound for alert in queue.receive(100, visibility_timeout=0)),
        key=lambda o: o.key,
    )


def test_put_and_receive_round_trip_in_batches(queue):
    failures = [Failure(sample(f"e{i:02}"), "HTTP 503", False) for i in range(23)]
    queue.put(failures)

    alerts = sorted(queue.receive(100), key=lambda a: a.outbound.key)
    assert [a.outbound for a in alerts] == [f.outbound for f in failures]
    assert all(a.attempts == 1 for a in alerts)


def test_error_travels_as_a_message_attribute(queue, sqs):
    queue.put([Failure(sample(), "channel_not_found", True)])

    [message] = sqs.receive_message(QueueUrl=queue.queue_url, MessageAttributeNames=["All"])[
        "Messages"
    ]
    attributes = message["MessageAttributes"]
    assert attributes["error"]["StringValue"] == "channel_not_found"
    assert attributes["permanent"]["StringValue"] == "true"


def test_receive_counts_attempts_and_delete_removes(queue):
    queue.put([Failure(sample(), "HTTP 503", False)])
    [first] = queue.receive(10, visibility_timeout=0)
    [second] = queue.receive(10)

    assert (first.attempts, second.attempts) == (1, 2)
    queue.delete(second.receipt_handle)
    assert queue.receive(10, visibility_timeout=0) == []


def test_too_large_message_is_queued_as_its_text(queue):
    huge = [{"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3000}}] * 100
    queue.put([Failure(sample(blocks=huge), "msg_blocks_too_long", True)])

    [alert] = queue.receive(10)
    assert alert.outbound.blocks == [] and alert.outbound.text == sample().text


def test_receive_leaves_a_foreign_body_on_the_queue(queue, sqs):
    sqs.send_message(QueueUrl=queue.queue_url, MessageBody="not an alert")
    queue.put([Failure(sample(), "HTTP 503", False)])

    assert [a.outbound for a in queue.receive(10, visibility_timeout=0)] == [sample()]
    bodies = [
        m["Body"]
        for m in sqs.receive_message(QueueUrl=queue.queue_url, MaxNumberOfMessages=10)["Messages"]
    ]
    assert "not an alert" in bodies


def test_put_to_a_missing_queue_raises_queue_unavailable(sqs, aws_endpoint):
    queue = FailureQueue(f"{aws_endpoint}/123456789012/no-such-queue", sqs)

    with pytest.raises(QueueUnavailable, match="no-such-queue"):
        queue.put([Failure(sample(), "HTTP 503", False)])


def test_redrive_keeps_what_slack_still_refuses_then_posts_it_exactly_once(
    queue, client, slack_server
):
    a, b = sample("e1"), sample("e2", "#team")
    # `a` was queued twice (say, by a retried invocation): it must still be posted once.
    queue.put([Failure(a, "HTTP 503", False), Failure(b, "timed out", False)])
    queue.put([Failure(a, "HTTP 503", False)])

    slack_server.fail_next(100, status=503)
    down = redrive(
        queue,
        client,
        deadline=time.monotonic() + 5,
        min_interval=0,
        retry_delay=0,
        policy=FAST.replace(max_attempts=2),
    )
    assert down.posted == [] and down.deleted == 0
    assert sorted(f.outbound.key for f in down.failed) == sorted([a.key, b.key])
    assert slack_server.messages == []
    assert queued(queue) == sorted([a, a, b], key=lambda o: o.key)

    slack_server.recover()
    up = redrive(queue, client, deadline=time.monotonic() + 5, min_interval=0, policy=FAST)
    assert sorted(o.key for o in up.posted) == sorted([a.key, b.key])
    assert up.failed == [] and up.deleted == 3
    assert sorted(slack_server.texts()) == sorted([a.text, b.text])
    assert queued(queue) == []

    again = redrive(queue, client, deadline=time.monotonic() + 5, min_interval=0, policy=FAST)
    assert again.posted == [] and len(slack_server.messages) == 2


def test_redrive_deletes_only_what_slack_accepted(queue, client, slack_server):
    ok, refused = sample("e1", "#ok"), sample("e2", "#gone")
    queue.put([Failure(ok, "HTTP 503", False), Failure(refused, "HTTP 503", False)])
    slack_server.fail_next(1, error="channel_not_found", channel="#gone")

    report = redrive(
        queue, client, deadline=time.monotonic() + 5, min_interval=0, retry_delay=0, policy=FAST
    )

    assert report.posted == [ok] and report.deleted == 1
    assert [(f.outbound, f.error, f.permanent) for f in report.failed] == [
        (refused, "channel_not_found", True)
    ]
    assert queued(queue) == [refused]


def test_redrive_hides_what_it_received_for_the_whole_run(queue, client, slack_server):
    queue.put([Failure(sample(), "HTTP 503", False)])
    slack_server.fail_next(1, delay=0.5)  # a slow but successful post

    redrive(queue, client, deadline=time.monotonic() + 5, min_interval=0, policy=FAST)

    assert len(slack_server.messages) == 1 and queued(queue) == []
