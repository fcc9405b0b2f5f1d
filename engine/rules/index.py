"""The matcher the loader installs on a RuleSet.

For now this is the plain matcher; an index keyed on literal event names (see the
performance issue) plugs in here, and must agree with `matcher.plain_match` on every record.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from engine.rules.model import Ignore, Rule

Matcher = Callable[[Mapping[str, Any], list[Any] | None], list[Rule]]


def build_matcher(
    rules: Sequence[Rule],
    ignores: Sequence[Ignore],
    *,
    fallback: Callable[..., list[Rule]],
) -> Matcher:
    rules, ignores = tuple(rules), tuple(ignores)

    def match(record: Mapping[str, Any], errors: list[Any] | None = None) -> list[Rule]:
        return fallback(rules, ignores, record, errors)

    return match
