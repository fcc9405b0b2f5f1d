"""The one exception this package raises on purpose, and wording shared by its messages."""

from __future__ import annotations

import json
from typing import Any


class SourceError(ValueError):
    """A payload could not be decoded; the message is one line and says why."""


def json_type(value: Any) -> str:
    """The JSON name of a value's type, which is what users see in their input."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def describe_json_error(exc: ValueError | RecursionError) -> str:
    """`Expecting value (line 1, column 3)` from a JSONDecodeError; deep nesting too."""
    if isinstance(exc, json.JSONDecodeError):
        return f"{exc.msg} (line {exc.lineno}, column {exc.colno})"
    if isinstance(exc, RecursionError):
        return "nested too deeply"
    return str(exc)


def describe_keys(document: dict[str, Any], limit: int = 8) -> str:
    """The first few keys of an object, quoted and shortened, for 'unrecognised' messages."""
    names = [repr(str(key)[:40]) for key in list(document)[:limit]]
    if len(document) > limit:
        names.append("…")
    return ", ".join(names) if names else "none"
