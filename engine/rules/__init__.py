"""The `rules` stage: load and validate rule files, compile every condition once, match records."""

from engine.rules.model import (
    BUILTIN_FORMATS,
    SEVERITIES,
    SEVERITY_RANK,
    Account,
    Defaults,
    Ignore,
    Location,
    Rule,
    RuleSet,
    RuleTest,
)

__all__ = [
    "BUILTIN_FORMATS",
    "SEVERITIES",
    "SEVERITY_RANK",
    "Account",
    "Defaults",
    "Ignore",
    "Location",
    "Rule",
    "RuleSet",
    "RuleTest",
]
