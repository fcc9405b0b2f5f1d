"""Who made the call, as well as a record can tell.

`userIdentity` differs by type, is missing from Insight records, and a failed console sign-in
has no `arn`; nothing in it may be assumed present or of the right type.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

UNKNOWN = "unknown"


def _text(mapping: Any, key: str) -> str | None:
    if not isinstance(mapping, Mapping):
        return None
    value = mapping.get(key)
    return value if isinstance(value, str) and value.strip() else None


def actor(record: Mapping[str, Any]) -> str:
    """`arn`, else the session issuer's name, else `userName`, `invokedBy`, `principalId`,
    `type`; "unknown" when the record says nothing."""
    identity = record.get("userIdentity") if isinstance(record, Mapping) else None
    if not isinstance(identity, Mapping):
        return UNKNOWN
    session = identity.get("sessionContext")
    issuer = session.get("sessionIssuer") if isinstance(session, Mapping) else None
    return (
        _text(identity, "arn")
        or _text(issuer, "userName")
        or _text(identity, "userName")
        or _text(identity, "invokedBy")
        or _text(identity, "principalId")
        or _text(identity, "type")
        or UNKNOWN
    )
