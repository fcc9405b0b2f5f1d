"""The shared conformance vectors (reference/filter-pattern-vectors.json): all must pass."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.filterpattern import FilterPatternError, parse

VECTORS = json.loads((Path(__file__).parent / "data" / "filter-pattern-vectors.json").read_text())


def _cases() -> list:
    cases = []
    for number, vector in enumerate(VECTORS["vectors"]):
        case = (vector["pattern"], vector["event"], vector["match"])
        cases.append(pytest.param(*case, id=f"match-{number}-{vector['basis']}"))
    for number, pattern in enumerate(VECTORS["invalid"]):
        cases.append(pytest.param(pattern, None, None, id=f"invalid-{number}"))
    return cases


@pytest.mark.parametrize(("pattern", "event", "expected"), _cases())
def test_vector(pattern: str, event: str | None, expected: bool | None) -> None:
    if event is None:
        with pytest.raises(FilterPatternError):
            parse(pattern)
    else:
        assert parse(pattern).matches(VECTORS["events"][event]) is expected


def test_the_vector_file_is_complete() -> None:
    assert (len(VECTORS["vectors"]), len(VECTORS["invalid"])) == (51, 9)
