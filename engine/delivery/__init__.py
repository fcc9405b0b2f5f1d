"""Delivery: post rendered messages to Slack with retries and pacing; keep what failed.

Importing this package loads neither slack_sdk nor boto3 (cold start): they are imported
when a client is made or a queue / secret is first used.
"""

from __future__ import annotations

import sys
from importlib import import_module
from types import ModuleType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .client import make_client
    from .errors import DEFAULT_POLICY, RetryPolicy
    from .outbound import Outbound
    from .queue import FailureQueue, QueuedAlert, QueueUnavailable
    from .redrive import RedriveReport, redrive
    from .sender import DeliveryReport, Failure, deliver
    from .token import TokenError, redact, resolve_token

# Where each name lives. The submodules are imported on first use of a name (PEP 562): the
# pipeline needs only `Outbound` to make alerts, and a cold start that posts nothing should
# not pay for the sender's thread pool, retries and queue.
_HOME = {
    "make_client": "client",
    "DEFAULT_POLICY": "errors",
    "RetryPolicy": "errors",
    "Outbound": "outbound",
    "FailureQueue": "queue",
    "QueuedAlert": "queue",
    "QueueUnavailable": "queue",
    "RedriveReport": "redrive",
    "redrive": "redrive",
    "DeliveryReport": "sender",
    "Failure": "sender",
    "deliver": "sender",
    "TokenError": "token",
    "redact": "token",
    "resolve_token": "token",
}


def __getattr__(name: str) -> Any:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f"{__name__}.{home}"), name)
    globals()[name] = value  # once found, an ordinary module attribute
    return value


class _Package(ModuleType):
    """Keeps `engine.delivery.redrive` the function, as the eager imports used to.

    Importing a submodule sets the package attribute of its name; for `redrive` that would
    hide the function of the same name whenever the module is imported before the name is
    first asked for.
    """

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _HOME and isinstance(value, ModuleType):
            self.__dict__.pop(name, None)  # resolved by __getattr__ again, from the module
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package


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
