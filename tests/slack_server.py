"""A small Slack Web API server on loopback, for tests that drive the real slack_sdk client.

    client = WebClient(token="xoxb-test", base_url=slack_server.url)
    slack_server.fail_next(2, status=429, retry_after=1)     # the next 2 posts are rate limited
    slack_server.fail_next(1, error="channel_not_found", channel="#gone")
    ... code under test ...
    assert [m["channel"] for m in slack_server.messages] == ["#alerts"]

It speaks `chat.postMessage` and `auth.test`. Every request lands in `.requests`; every accepted
message in `.messages`, with the arrival time (`time.monotonic()`) so tests can check pacing.
Faults are queued per method, or per method and channel (a channel's own queue goes first),
and each fault is used once.
"""

from __future__ import annotations

import json
import socket
import struct
import threading
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

import pytest


@dataclass(frozen=True)
class Fault:
    """What to do instead of a normal reply; fields combine in this order:

    sleep `delay` seconds; then `reset` the connection without a reply; or reply HTTP `status`
    (a 429 carries `Retry-After: retry_after` when given); or reply 200 `{"ok": false, "error"}`.
    A fault with only a delay replies normally after it (a slow but successful call).
    """

    status: int | None = None
    error: str | None = None
    retry_after: float | None = None
    reset: bool = False
    delay: float = 0.0


class SlackServer:
    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []
        self.requests: list[dict[str, Any]] = []
        self._faults: dict[tuple[str, str | None], deque[Fault]] = {}
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._httpd.slack = self  # type: ignore[attr-defined]
        # A short poll interval makes shutdown() (each test's teardown) quick.
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.port: int = self._httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/api/"

    # -- the script a test sets --------------------------------------------------------------

    def fail_next(
        self,
        n: int = 1,
        *,
        status: int | None = None,
        error: str | None = None,
        retry_after: float | None = None,
        reset: bool = False,
        delay: float = 0.0,
        channel: str | None = None,
        method: str = "chat.postMessage",
    ) -> None:
        """Queue `n` faults for the next calls of `method` (to `channel` only, when given)."""
        fault = Fault(status, error, retry_after, reset, delay)
        with self._lock:
            self._faults.setdefault((method, channel), deque()).extend([fault] * n)

    def hang_next(self, n: int = 1, *, seconds: float, channel: str | None = None) -> None:
        """The next `n` posts get no reply for `seconds`, then the connection drops unanswered."""
        self.fail_next(n, delay=seconds, reset=True, channel=channel)

    def recover(self) -> None:
        """Drop every queued fault: Slack is healthy again."""
        with self._lock:
            self._faults.clear()

    def texts(self, channel: str | None = None) -> list[str]:
        return [m["text"] for m in self.messages if channel is None or m["channel"] == channel]

    # -- lifecycle ---------------------------------------------------------------------------

    def __enter__(self) -> SlackServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(5)

    # -- used by the request handler ---------------------------------------------------------

    def _take_fault(self, method: str, channel: str | None) -> Fault | None:
        with self._lock:
            for key in ((method, channel), (method, None)):
                queue = self._faults.get(key)
                if queue:
                    return queue.popleft()
        return None

    def _arrived(self, entry: dict[str, Any]) -> None:
        with self._lock:
            self.requests.append(entry)

    def _accept(self, entry: dict[str, Any]) -> None:
        with self._lock:
            self.messages.append(entry)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        received = time.monotonic()
        server: SlackServer = self.server.slack  # type: ignore[attr-defined]
        method = self.path.split("?")[0].rsplit("/", 1)[-1]
        args = self._read_args()
        channel = args.get("channel")
        fault = server._take_fault(method, channel)
        entry = {
            "method": method,
            "received": received,
            "authorization": self.headers.get("Authorization"),
            "fault": fault,
            **{k: args.get(k) for k in ("channel", "text", "blocks", "attachments")},
            "unfurl_links": args.get("unfurl_links"),
            "unfurl_media": args.get("unfurl_media"),
        }
        server._arrived(entry)
        if fault is not None:
            time.sleep(fault.delay)
            if fault.reset:
                self._reset()
                return
            if fault.status is not None:
                headers = (
                    {} if fault.retry_after is None else {"Retry-After": f"{fault.retry_after:g}"}
                )
                if fault.status == 429:
                    self._reply(429, {"ok": False, "error": "ratelimited"}, headers)
                else:  # Slack's edge answers 5xx with an HTML page, not JSON
                    self._reply(fault.status, b"<html>upstream trouble</html>", headers)
                return
            if fault.error is not None:
                self._reply(200, {"ok": False, "error": fault.error})
                return
        if method == "chat.postMessage":
            server._accept(entry)
            ts = f"{time.time():.6f}"
            self._reply(200, {"ok": True, "channel": channel, "ts": ts, "message": {"ts": ts}})
        elif method == "auth.test":
            self._reply(200, {"ok": True, "user_id": "UBOT", "team_id": "T1", "bot_id": "B1"})
        else:
            self._reply(200, {"ok": False, "error": "unknown_method"})

    def _read_args(self) -> dict[str, Any]:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.headers.get("Content-Type", "").startswith("application/json"):
            return json.loads(body or b"{}")
        return dict(parse_qsl(body.decode()))

    def _reply(
        self, status: int, body: dict | bytes, headers: dict[str, str] | None = None
    ) -> None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        kind = "text/html" if isinstance(body, bytes) else "application/json; charset=utf-8"
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _reset(self) -> None:
        # SO_LINGER 0 makes close() send a TCP RST: the client sees "connection reset by peer".
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close_connection = True
        self.connection.close()

    def log_message(self, format: str, *args: Any) -> None:  # keep pytest output quiet
        pass


@pytest.fixture
def slack_server() -> Iterator[SlackServer]:
    with SlackServer() as server:
        yield server
