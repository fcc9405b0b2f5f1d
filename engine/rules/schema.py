"""Check a rule file's data against schema/rules.schema.json, as located problems.

jsonschema is imported lazily: it is the most expensive import of the engine, and a Lambda
cold start that can trust a cached, already-checked rule file never needs it.
"""

from __future__ import annotations

import json
import os
from functools import cache
from typing import Any

from engine.rules.problems import Problem
from engine.rules.yamldoc import YamlDocument

# Where handler.py, schema/ and the rules cache sit, in a checkout and in the package. os.path,
# not pathlib: pathlib would be the largest import of a cold start.
PROJECT_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.realpath(__file__))))
SCHEMA_PATH = os.path.join(PROJECT_ROOT, "schema", "rules.schema.json")


@cache
def _validator() -> Any:
    import jsonschema

    with open(SCHEMA_PATH, encoding="utf-8") as f:
        schema = json.load(f)
    return jsonschema.Draft7Validator(schema)


def schema_problems(document: YamlDocument) -> list[Problem]:
    problems: list[Problem] = []
    for error in _validator().iter_errors(document.data):
        problems.extend(_explain(document, error))
    return problems


def describe(data: Any, path: tuple[str | int, ...]) -> str:
    """A readable name for a place in the data: `rule 'sg-change' › channel`."""
    parts: list[str] = []
    node = data
    for i, step in enumerate(path):
        child = node[step] if _has(node, step) else None
        named_by = {"rules": ("rule", "id"), "ignore": ("ignore", "name")}.get(
            str(path[i - 1]) if i > 0 else ""
        )
        if isinstance(step, int) and named_by is not None:
            kind, key = named_by
            name = child.get(key) if isinstance(child, dict) else None
            parts[-1:] = [f"{kind} '{name}'" if isinstance(name, str) else f"{parts[-1]}[{step}]"]
        elif isinstance(step, int):
            parts[-1:] = [f"{parts[-1] if parts else ''}[{step}]"]
        else:
            parts.append(str(step))
        node = child
    return " › ".join(parts) if parts else "the file"


def _has(node: Any, step: str | int) -> bool:
    if isinstance(node, dict):
        return step in node
    return isinstance(node, list) and isinstance(step, int) and 0 <= step < len(node)


def _explain(document: YamlDocument, error: Any) -> list[Problem]:
    path = tuple(error.absolute_path)
    where = describe(document.data, path)
    kind = error.validator
    if kind == "additionalProperties" and isinstance(error.instance, dict):
        allowed = sorted(error.schema.get("properties", {}))
        problems = []
        for key in error.instance:
            if key in allowed or not allowed:
                continue
            import difflib  # only for messages, not at every load

            hint = difflib.get_close_matches(key, allowed, n=1)
            suggestion = f" (did you mean '{hint[0]}'?)" if hint else ""
            message = f"{where}: unknown key '{key}'{suggestion}; allowed: {', '.join(allowed)}"
            problems.append(document.problem((*path, key), message, at_key=True))
        if problems:
            return problems
    if kind == "anyOf" and _requires_one_of(error.validator_value):
        names = " or ".join(f"'{req['required'][0]}'" for req in error.validator_value)
        return [document.problem(path, f"{where}: needs {names}")]
    if kind == "oneOf" and _requires_one_of(error.validator_value):
        names = " or ".join(f"'{req['required'][0]}'" for req in error.validator_value)
        return [document.problem(path, f"{where}: needs exactly one of {names}")]
    if kind in ("oneOf", "anyOf") and error.context:
        # Report the alternative that got furthest, not jsonschema's summary of all of them.
        best = max(error.context, key=lambda sub: len(sub.absolute_path))
        return _explain(document, best)
    if kind == "pattern":
        described = error.schema.get("description")
        detail = f"expected {described}" if described else f"does not match {error.validator_value}"
        return [document.problem(path, f"{where}: {error.instance!r} is not valid: {detail}")]
    if kind == "required":
        return [document.problem(path, f"{where}: {error.message}")]
    return [document.problem(path, f"{where}: {_short(error.message)}")]


def _requires_one_of(alternatives: Any) -> bool:
    return isinstance(alternatives, list) and all(
        isinstance(alt, dict) and list(alt) == ["required"] and len(alt["required"]) == 1
        for alt in alternatives
    )


def _short(message: str, limit: int = 200) -> str:
    message = " ".join(message.split())
    return message if len(message) <= limit else message[: limit - 1] + "…"
