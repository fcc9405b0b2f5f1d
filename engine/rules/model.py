"""The compiled, validated form of a rule file: what the rest of the engine reads.

Everything here is built once at load time (see `loader.py`); matching a record only calls
the closures stored on these objects.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

Severity = Literal["info", "low", "medium", "high", "critical"]
SEVERITIES: tuple[str, ...] = ("info", "low", "medium", "high", "critical")
SEVERITY_RANK: Mapping[str, int] = {name: rank for rank, name in enumerate(SEVERITIES)}

# The message formats the `messages` stage renders without any configuration. Custom formats
# are declared under `formats:` in the rule file; a rule may name either kind.
BUILTIN_FORMATS: frozenset[str] = frozenset({"standard", "compact", "detailed", "seed"})

Predicate = Callable[[Mapping[str, Any]], bool]


@dataclass(frozen=True, slots=True)
class Location:
    """A place in a rule file: 1-based line and column of a YAML node."""

    file: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True, slots=True)
class RuleTest:
    """One test written inside a rule: a record and what the rule should do with it."""

    name: str
    record: Any  # usually a dict; anything else is a load error reported by the loader
    expect_alert: bool
    channels: tuple[str, ...] | None = None  # the exact channels the alert must go to
    contains: tuple[str, ...] = ()  # strings the rendered message text must contain
    not_contains: tuple[str, ...] = ()  # ... and must not contain
    location: Location | None = None


@dataclass(frozen=True, slots=True)
class Rule:
    """One enabled or disabled rule, with its conditions compiled."""

    id: str
    title: str
    description: str
    severity: str
    channels: tuple[str, ...]  # resolved Slack channels (aliases replaced); () = use fallbacks
    mention: tuple[str, ...]  # Slack mention tokens from configuration, e.g. "<!here>"
    format: str
    enabled: bool
    filter_text: str | None  # the CloudWatch filter pattern as written
    when_text: str | None  # JMESPath, truthy to match
    unless_text: str | None  # JMESPath exception
    accounts: frozenset[str] | None  # account ids the rule is limited to; None = all
    matches: Predicate = field(repr=False, compare=False)
    filter_pattern: Any = field(default=None, repr=False, compare=False)  # filterpattern.Pattern
    tests: tuple[RuleTest, ...] = ()
    location: Location | None = None


@dataclass(frozen=True, slots=True)
class Ignore:
    """A record matching any ignore entry is never alerted on."""

    name: str
    filter_text: str | None
    when_text: str | None
    matches: Predicate = field(repr=False, compare=False)
    filter_pattern: Any = field(default=None, repr=False, compare=False)
    location: Location | None = None


@dataclass(frozen=True, slots=True)
class Account:
    id: str
    name: str
    channel: str | None = None


@dataclass(frozen=True, slots=True)
class Defaults:
    channel: str | None = None
    severity: str = "medium"
    format: str = "standard"
    timezone: str = "UTC"  # for formats that print local times (the `seed` format)


@dataclass(slots=True)
class RuleSet:
    """All rules of one or more rule files, in file order, ready to match records."""

    rules: tuple[Rule, ...]
    ignores: tuple[Ignore, ...] = ()
    accounts: Mapping[str, Account] = field(default_factory=dict)
    defaults: Defaults = field(default_factory=Defaults)
    # Custom formats: name -> the Block Kit template as written (dicts/lists/strings holding
    # `{{ jmespath }}` placeholders). The messages stage compiles them.
    formats: Mapping[str, Any] = field(default_factory=dict)
    files: tuple[str, ...] = ()
    # Set by the loader: the fastest matcher that agrees with `matcher.plain_match`.
    matcher: Callable[[Mapping[str, Any], list[Any] | None], list[Rule]] | None = field(
        default=None, repr=False
    )

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
