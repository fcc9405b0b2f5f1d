"""The compiled, validated form of a rule file: what the rest of the engine reads.

Everything here is built once at load time (see `loader.py`); matching a record only calls
the closures stored on these objects.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Literal

from engine.struct import Struct

Severity = Literal["info", "low", "medium", "high", "critical"]
SEVERITIES: tuple[str, ...] = ("info", "low", "medium", "high", "critical")
SEVERITY_RANK: Mapping[str, int] = {name: rank for rank, name in enumerate(SEVERITIES)}

# The message formats the `messages` stage renders without any configuration. Custom formats
# are declared under `formats:` in the rule file; a rule may name either kind.
BUILTIN_FORMATS: frozenset[str] = frozenset({"standard", "compact", "detailed", "seed"})

Predicate = Callable[[Mapping[str, Any]], bool]


class Location(Struct):
    """A place in a rule file: 1-based line and column of a YAML node."""

    __slots__ = ("file", "line", "column")

    def __init__(self, file: str, line: int, column: int) -> None:
        self.file = file
        self.line = line
        self.column = column

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


class RuleTest(Struct):
    """One test written inside a rule: a record and what the rule should do with it."""

    __slots__ = (
        "name",
        "record",
        "expect_alert",
        "channels",
        "contains",
        "not_contains",
        "location",
    )

    def __init__(
        self,
        name: str,
        record: Any,  # usually a dict; anything else is a load error reported by the loader
        expect_alert: bool,
        channels: tuple[str, ...] | None = None,  # the exact channels the alert must go to
        contains: tuple[str, ...] = (),  # strings the rendered message text must contain
        not_contains: tuple[str, ...] = (),  # ... and must not contain
        location: Location | None = None,
    ) -> None:
        self.name = name
        self.record = record
        self.expect_alert = expect_alert
        self.channels = channels
        self.contains = contains
        self.not_contains = not_contains
        self.location = location


class Rule(Struct, internal=("matches", "filter_pattern")):
    """One enabled or disabled rule, with its conditions compiled."""

    __slots__ = (
        "id",
        "title",
        "description",
        "severity",
        "channels",
        "mention",
        "format",
        "enabled",
        "filter_text",
        "when_text",
        "unless_text",
        "accounts",
        "matches",
        "filter_pattern",
        "tests",
        "location",
    )

    def __init__(
        self,
        id: str,
        title: str,
        description: str,
        severity: str,
        channels: tuple[str, ...],  # resolved Slack channels (aliases replaced); () = use fallbacks
        mention: tuple[str, ...],  # Slack mention tokens from configuration, e.g. "<!here>"
        format: str,
        enabled: bool,
        filter_text: str | None,  # the CloudWatch filter pattern as written
        when_text: str | None,  # JMESPath, truthy to match
        unless_text: str | None,  # JMESPath exception
        accounts: frozenset[str] | None,  # account ids the rule is limited to; None = all
        matches: Predicate,
        filter_pattern: Any = None,  # filterpattern.Pattern
        tests: tuple[RuleTest, ...] = (),
        location: Location | None = None,
    ) -> None:
        self.id = id
        self.title = title
        self.description = description
        self.severity = severity
        self.channels = channels
        self.mention = mention
        self.format = format
        self.enabled = enabled
        self.filter_text = filter_text
        self.when_text = when_text
        self.unless_text = unless_text
        self.accounts = accounts
        self.matches = matches
        self.filter_pattern = filter_pattern
        self.tests = tests
        self.location = location


class Ignore(Struct, internal=("matches", "filter_pattern")):
    """A record matching any ignore entry is never alerted on."""

    __slots__ = ("name", "filter_text", "when_text", "matches", "filter_pattern", "location")

    def __init__(
        self,
        name: str,
        filter_text: str | None,
        when_text: str | None,
        matches: Predicate,
        filter_pattern: Any = None,
        location: Location | None = None,
    ) -> None:
        self.name = name
        self.filter_text = filter_text
        self.when_text = when_text
        self.matches = matches
        self.filter_pattern = filter_pattern
        self.location = location


class Account(Struct):
    __slots__ = ("id", "name", "channel")

    def __init__(self, id: str, name: str, channel: str | None = None) -> None:
        self.id = id
        self.name = name
        self.channel = channel


class Defaults(Struct):
    __slots__ = ("channel", "severity", "format", "timezone")

    def __init__(
        self,
        channel: str | None = None,
        severity: str = "medium",
        format: str = "standard",
        timezone: str = "UTC",  # for formats that print local times (the `seed` format)
    ) -> None:
        self.channel = channel
        self.severity = severity
        self.format = format
        self.timezone = timezone


class RuleSet(Struct, internal=("matcher",), frozen=False):
    """All rules of one or more rule files, in file order, ready to match records."""

    __slots__ = ("rules", "ignores", "accounts", "defaults", "formats", "files", "matcher")

    def __init__(
        self,
        rules: tuple[Rule, ...],
        ignores: tuple[Ignore, ...] = (),
        accounts: Mapping[str, Account] | None = None,
        defaults: Defaults | None = None,
        # Custom formats: name -> the Block Kit template as written (dicts/lists/strings holding
        # `{{ jmespath }}` placeholders). The messages stage compiles them.
        formats: Mapping[str, Any] | None = None,
        files: tuple[str, ...] = (),
        # Set by the loader: the fastest matcher that agrees with `matcher.plain_match`.
        matcher: Callable[[Mapping[str, Any], list[Any] | None], list[Rule]] | None = None,
    ) -> None:
        self.rules = rules
        self.ignores = ignores
        self.accounts = {} if accounts is None else accounts
        self.defaults = Defaults() if defaults is None else defaults
        self.formats = {} if formats is None else formats
        self.files = files
        self.matcher = matcher

    @property
    def enabled_rules(self) -> tuple[Rule, ...]:
        return tuple(rule for rule in self.rules if rule.enabled)

    def match(self, record: Mapping[str, Any], errors: list[Any] | None = None) -> list[Rule]:
        """Every enabled rule that matches `record`, in file order; [] when it is ignored.

        Conditions that raise on odd data are appended to `errors` (RuleEvaluationError)
        instead of propagating: one strange record must never stop a batch.
        """
        if self.matcher is not None:
            return self.matcher(record, errors)
        from engine.rules.matcher import plain_match

        return plain_match(self.rules, self.ignores, record, errors)
