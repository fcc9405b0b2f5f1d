"""An AWS emulator for the whole suite: moto's server on loopback, reached through real boto3.

Use the `aws_endpoint` fixture (the server's URL) and `boto_client(service, endpoint)` for a
client pointed at it. One server serves the session, so give each test's buckets, queues and
parameters their own names (or call `reset_emulator`). Nothing here reaches the internet.
"""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

REGION = "us-east-1"
_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
    # No instance metadata lookups, and no profile or config of the machine running the tests.
    "AWS_EC2_METADATA_DISABLED": "true",
    "AWS_CONFIG_FILE": "/dev/null",
    "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
}
_UNSET = ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_ENDPOINT_URL")


@pytest.fixture(scope="session")
def aws_endpoint() -> Iterator[str]:
    """URL of a moto server on 127.0.0.1 (a free port), with fake credentials in the environment.

    Code under test that creates its own clients (`boto3.client("sqs")`) must be told the
    endpoint, e.g. through `endpoint_url` or the `AWS_ENDPOINT_URL` variable set by the test.
    """
    from moto.server import ThreadedMotoServer

    with pytest.MonkeyPatch.context() as patch:
        for name, value in _CREDENTIALS.items():
            patch.setenv(name, value)
        for name in _UNSET:
            patch.delenv(name, raising=False)
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        server.start()
        try:
            host, port = server.get_host_and_port()
            yield f"http://{host}:{port}"
        finally:
            server.stop()


def boto_client(service: str, endpoint: str, **kwargs: Any) -> Any:
    """A boto3 client for `service` that talks to the emulator at `endpoint`, never to AWS."""
    import boto3
    from botocore.config import Config

    config = Config(
        retries={"max_attempts": 1},
        connect_timeout=5,
        read_timeout=30,
        s3={"addressing_style": "path"},  # bucket names in the path: no DNS for 127.0.0.1
    )
    options: dict[str, Any] = {
        "endpoint_url": endpoint,
        "region_name": REGION,
        "aws_access_key_id": "testing",
        "aws_secret_access_key": "testing",
        "config": config,
    }
    return boto3.client(service, **(options | kwargs))  # type: ignore[call-overload]


def reset_emulator(endpoint: str) -> None:
    """Forget every resource the emulator holds (moto's reset API)."""
    request = urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST")
    with urllib.request.urlopen(request, timeout=10) as response:
        response.read()
