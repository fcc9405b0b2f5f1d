"""`redrive`: re-post the alerts kept in the failure queue, as the redrive function does.

Each message is deleted from the queue only once Slack accepted it; what Slack still refuses
stays queued. The token comes from SLACK_TOKEN, SLACK_TOKEN_PARAMETER or SLACK_TOKEN_SECRET,
Slack's address from SLACK_API_URL, exactly as in the Lambda.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

from engine.delivery import FailureQueue, QueueUnavailable, TokenError
from engine.observability import Redactor
from engine.runtime import AwsClients, Settings, SlackConnection, drain


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "redrive",
        help="re-post the alerts kept in the failure queue",
        description="Re-post the alerts Slack did not take, from the failure queue (SQS). Each "
        "is deleted once Slack accepted it; the rest stay queued.",
    )
    parser.add_argument(
        "--queue-url", metavar="URL", help="the failure queue; default $FAILED_ALERTS_QUEUE_URL"
    )
    parser.add_argument(
        "--time-limit",
        type=float,
        default=300.0,
        metavar="SECONDS",
        help="stop starting new posts after this long (default 300)",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """0 when everything taken from the queue was posted, 1 when some stays queued, 2 when the
    queue or the token cannot be used."""
    settings = Settings.from_environ(os.environ)
    queue_url = args.queue_url or settings.queue_url
    if not queue_url:
        print("redrive: no queue: give --queue-url or set FAILED_ALERTS_QUEUE_URL", file=sys.stderr)
        return 2
    redactor = Redactor()
    slack = SlackConnection(settings, redactor)
    try:
        client = slack.client()
        queue = FailureQueue(queue_url, AwsClients().get("sqs"))
        report = drain(queue, client, deadline=time.monotonic() + args.time_limit)
    except (TokenError, QueueUnavailable) as err:
        print(redactor(f"redrive: {err}"), file=sys.stderr)
        return 2
    except Exception as err:  # botocore: no region, no credentials, bad endpoint
        if type(err).__module__.split(".")[0] != "botocore":
            raise
        print(redactor(f"redrive: {queue_url}: {err}"), file=sys.stderr)
        return 2
    for failure in report.failed:
        outbound = failure.outbound
        print(
            redactor(
                f"still queued: event {outbound.event_id} to {outbound.channel}"
                f" ({', '.join(outbound.rule_ids)}): {failure.error}"
            ),
            file=sys.stderr,
        )
    for error in report.delete_errors:
        print(
            redactor(f"posted but not deleted (it will be posted again): {error}"), file=sys.stderr
        )
    print(f"redrive: {len(report.posted)} posted, {len(report.failed)} still queued")
    return 1 if report.failed or report.delete_errors else 0
