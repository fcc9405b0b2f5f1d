"""Compile a rule's conditions — filter pattern, `when`, `unless` — into one predicate.

Compilation happens once at load; the predicate is what runs per record. Errors found here
carry the offset inside the expression so the loader can point at the exact character.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import cache
from typing import TYPE_CHECKING, Any

from engine.filterpattern import FilterPatternError, Pattern, parse
from engine.struct import Struct

if TYPE_CHECKING:
    import jmespath.parser

# jmespath is imported by the first `when` / `unless` compiled: a rule file without any (the
# default one) does not pay for it at cold start.

Predicate = Callable[[Mapping[str, Any]], bool]

_VARIADIC = {"merge", "not_null"}  # JMESPath functions that take any number of arguments


class ConditionError(ValueError):
    """A condition that does not compile; `offset` is 0-based inside the expression."""

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message)
        self.message = message
        self.offset = offset


class EvaluationError(Exception):
    """A condition raised on a record (e.g. a JMESPath function given the wrong type)."""

    def __init__(self, condition: str, cause: Exception) -> None:
        super().__init__(f"{condition}: {cause}")
        self.condition = condition
        self.cause = cause


def compile_filter(text: str) -> Pattern:
    try:
        return parse(text)
    except FilterPatternError as error:
        raise ConditionError(
            f"bad filter pattern: {error.message} (column {error.column} of the pattern)",
            error.position,
        ) from None


def compile_jmespath(text: str) -> jmespath.parser.ParsedResult:
    import jmespath
    from jmespath import exceptions as jmespath_errors

    try:
        compiled = jmespath.compile(text)
    except jmespath_errors.EmptyExpressionError:
        raise ConditionError("bad JMESPath: the expression is empty", 0) from None
    except jmespath_errors.LexerError as error:
        raise ConditionError(
            f"bad JMESPath: {error.message} (column {error.lex_position + 1})", error.lex_position
        ) from None
    except jmespath_errors.ParseError as error:
        near = "end of expression" if error.token_value is None else repr(error.token_value)
        raise ConditionError(
            f"bad JMESPath: unexpected {near} (column {error.lex_position + 1})",
            error.lex_position,
        ) from None
    _check_functions(compiled.parsed, text)
    return compiled


def _check_functions(node: dict[str, Any], text: str) -> None:
    """Unknown functions and wrong arities only fail at search time in jmespath; fail at load."""
    if node.get("type") == "function_expression":
        name = node["value"]
        offset = max(text.find(f"{name}("), 0)
        entry = _functions().get(name)
        if entry is None:
            raise ConditionError(f"bad JMESPath: unknown function {name}()", offset)
        expected, given = len(entry["signature"]), len(node["children"])
        if name not in _VARIADIC and expected != given:
            raise ConditionError(
                f"bad JMESPath: {name}() takes {expected} argument(s), {given} given", offset
            )
    for child in node.get("children", ()):
        if isinstance(child, dict):
            _check_functions(child, text)


@cache
def _functions() -> dict[str, Any]:
    from jmespath.functions import Functions

    return Functions().FUNCTION_TABLE


def truthy(value: Any) -> bool:
    """JMESPath truthiness: false, null, "", [] and {} are false; 0 is true."""
    if value is None or value is False:
        return False
    if isinstance(value, str | list | dict):
        return len(value) > 0
    return True


class Conditions(Struct):
    """The compiled parts; any may be absent."""

    __slots__ = ("filter", "when", "unless")

    def __init__(
        self,
        filter: Pattern | None = None,
        when: jmespath.parser.ParsedResult | None = None,
        unless: jmespath.parser.ParsedResult | None = None,
    ) -> None:
        self.filter = filter
        self.when = when
        self.unless = unless

    def predicate(self) -> Predicate:
        """One closure testing filter → when → not unless, cheapest first.

        A JMESPath error on odd data is raised as EvaluationError for the caller to report;
        the matcher treats it as "did not match" for `when` and as "no exception" for
        `unless` (an alert is better than a silently swallowed one).
        """
        matches_filter = self.filter.matches if self.filter is not None else None
        when = self.when.search if self.when is not None else None
        unless = self.unless.search if self.unless is not None else None

        def predicate(record: Mapping[str, Any]) -> bool:
            if matches_filter is not None and not matches_filter(record):
                return False
            if when is not None:
                try:
                    if not truthy(when(record)):
                        return False
                except Exception as error:  # jmespath raises several unrelated types
                    raise EvaluationError("when", error) from error
            if unless is not None:
                try:
                    if truthy(unless(record)):
                        return False
                except Exception as error:
                    raise EvaluationError("unless", error) from error
            return True

        return predicate
