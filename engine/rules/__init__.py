"""The `rules` stage: load and validate rule files, compile every condition once, match records."""

from engine.rules.loader import load_rules
from engine.rules.matcher import RuleEvaluationError, plain_match
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
from engine.rules.problems import Problem, RuleFileError

__all__ = [
    "BUILTIN_FORMATS",
    "SEVERITIES",
    "SEVERITY_RANK",
    "Account",
    "Defaults",
    "Ignore",
    "Location",
    "Problem",
    "Rule",
    "RuleEvaluationError",
    "RuleFileError",
    "RuleSet",
    "RuleTest",
    "load_rules",
    "plain_match",
]
