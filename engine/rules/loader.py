"""Load rule files into a RuleSet: read, check against the schema, compile, cross-check.

Validation (here, once) is kept apart from matching (the predicates it builds). Every
problem found is collected, so `validate` can report all of them in one run; any problem
makes the whole load fail, so the Lambda never runs with a half-understood rule file.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Mapping, Sequence
from os import PathLike
from typing import Any

from engine.rules.cache import lookup
from engine.rules.conditions import (
    ConditionError,
    Conditions,
    compile_filter,
    compile_jmespath,
)
from engine.rules.matcher import plain_match
from engine.rules.model import (
    BUILTIN_FORMATS,
    Account,
    Defaults,
    Ignore,
    Location,
    Rule,
    RuleSet,
    RuleTest,
)
from engine.rules.problems import Problem, RuleFileError
from engine.rules.schema import describe, schema_problems
from engine.rules.yamldoc import Path as DataPath
from engine.rules.yamldoc import YamlDocument, read_yaml
from engine.struct import Struct

_SLACK_CHANNEL = re.compile(r"^(#[a-z0-9][a-z0-9._-]{0,79}|[CG][A-Z0-9]{8,})$")
_ALIAS = re.compile(r"^[a-z0-9][a-z0-9_-]{0,79}$")
_ACCOUNT_ID = re.compile(r"^[0-9]{12}$")


def load_rules(paths: Sequence[str | PathLike[str]], *, with_tests: bool = True) -> RuleSet:
    """Load, check and compile the rule files, in order.

    Raises RuleFileError listing every problem found in any of them. `with_tests=False`
    skips reading the records of the tests written inside rules: the Lambda never runs
    them, and its package does not ship the files they refer to.
    """
    problems: list[Problem] = []
    documents: list[YamlDocument] = []
    for path in paths:
        document = _read(str(path), problems)
        if document is not None:
            documents.append(document)
    if not documents:
        raise RuleFileError(problems)
    builder = _Builder(problems, with_tests=with_tests)
    for document in documents:
        builder.add_declarations(document)
    for document in documents:
        builder.add_rules(document)
    builder.check_references()
    _check_formats(builder, problems)
    if problems:
        raise RuleFileError(problems)
    return builder.ruleset(tuple(str(path) for path in paths))


def _read(file: str, problems: list[Problem]) -> YamlDocument | None:
    try:
        with open(file, encoding="utf-8") as f:
            text = f.read()
    except FileNotFoundError:
        problems.append(Problem(file, 1, 1, "no such rule file"))
        return None
    except (OSError, UnicodeDecodeError) as error:
        problems.append(Problem(file, 1, 1, f"cannot read the rule file: {error}"))
        return None
    cached = lookup(file, text)  # a checked copy of this very text skips YAML and schema
    if cached is not None:
        return cached
    document, yaml_problems = read_yaml(file, text)
    problems.extend(yaml_problems)
    if document.data is None:
        return None
    if not isinstance(document.data, dict):
        message = "the rule file must be a mapping (version:, rules:, …)"
        problems.append(document.problem((), message))
        return None
    problems.extend(schema_problems(document))
    return document


def _check_formats(builder: _Builder, problems: list[Problem]) -> None:
    """Custom formats are Slack templates; the messages stage knows how to compile them."""
    if not builder.formats:
        return
    from engine.messages import TemplateError, compile_template

    for name, (template, document) in builder.formats.items():
        try:
            compile_template(template)
        except TemplateError as error:
            path = ("formats", name, *error.path)
            problems.append(document.problem(path, f"format '{name}': {error.message}"))


class _Builder(Struct, frozen=False):
    """Collects declarations (defaults, channels, accounts, formats), then rules, across files."""

    __slots__ = (
        "problems",
        "with_tests",
        "defaults",
        "channel_aliases",
        "accounts",
        "formats",
        "rules",
        "ignores",
        "rule_ids",
        "channel_refs",
        "format_refs",
    )

    def __init__(
        self,
        problems: list[Problem],
        with_tests: bool = True,
        defaults: dict[str, Any] | None = None,
        channel_aliases: dict[str, str] | None = None,
        accounts: dict[str, Account] | None = None,
        formats: dict[str, tuple[Any, YamlDocument]] | None = None,
        rules: list[Rule] | None = None,
        ignores: list[Ignore] | None = None,
        rule_ids: dict[str, Location] | None = None,
        # Channel and format references are checked once every file's declarations are known.
        channel_refs: list[tuple[YamlDocument, DataPath, str]] | None = None,
        format_refs: list[tuple[YamlDocument, DataPath, str]] | None = None,
    ) -> None:
        self.problems = problems
        self.with_tests = with_tests
        self.defaults = {} if defaults is None else defaults
        self.channel_aliases = {} if channel_aliases is None else channel_aliases
        self.accounts = {} if accounts is None else accounts
        self.formats = {} if formats is None else formats
        self.rules = [] if rules is None else rules
        self.ignores = [] if ignores is None else ignores
        self.rule_ids = {} if rule_ids is None else rule_ids
        self.channel_refs = [] if channel_refs is None else channel_refs
        self.format_refs = [] if format_refs is None else format_refs

    # -- declarations ---------------------------------------------------------------------

    def add_declarations(self, doc: YamlDocument) -> None:
        data = doc.data
        for key, value in _items(data.get("defaults")):
            if key in self.defaults and self.defaults[key] != value:
                message = f"defaults › {key}: already set to {self.defaults[key]!r} by another file"
                self.problems.append(doc.problem(("defaults", key), message))
                continue
            self.defaults[key] = value
            if key == "channel" and isinstance(value, str):
                self.channel_refs.append((doc, ("defaults", key), value))
            if key == "format" and isinstance(value, str):
                self.format_refs.append((doc, ("defaults", key), value))
        if "timezone" in self.defaults:
            self._check_timezone(doc)
        for alias, channel in _items(data.get("channels")):
            if isinstance(channel, str):
                self._declare(doc, ("channels", alias), self.channel_aliases, alias, channel)
        for account_id, entry in _items(data.get("accounts")):
            if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
                continue  # the schema has reported it
            channel = entry.get("channel") if isinstance(entry.get("channel"), str) else None
            if channel is not None:
                self.channel_refs.append((doc, ("accounts", account_id, "channel"), channel))
            account = Account(id=account_id, name=entry["name"], channel=channel)
            self._declare(doc, ("accounts", account_id), self.accounts, account_id, account)
        for name, template in _items(data.get("formats")):
            if name in BUILTIN_FORMATS:
                message = f"formats › {name}: '{name}' is a built-in format; choose another name"
                self.problems.append(doc.problem(("formats", name), message, at_key=True))
            elif isinstance(template, dict):
                self._declare(doc, ("formats", name), self.formats, name, (template, doc))

    def _check_timezone(self, doc: YamlDocument) -> None:
        zone = self.defaults.get("timezone")
        if not isinstance(zone, str) or zone == "UTC":
            return  # UTC is always known; zoneinfo would cost the cold start a few ms
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            message = f"defaults › timezone: unknown time zone {zone!r}"
            self.problems.append(doc.problem(("defaults", "timezone"), message))

    def _declare(
        self, doc: YamlDocument, path: DataPath, table: dict[str, Any], key: str, value: Any
    ) -> None:
        if key in table:
            message = f"{describe(doc.data, path)}: '{key}' is declared in more than one file"
            self.problems.append(doc.problem(path, message, at_key=True))
        else:
            table[key] = value

    # -- rules and ignores ------------------------------------------------------------------

    def add_rules(self, doc: YamlDocument) -> None:
        ignores = doc.data.get("ignore")
        for index, entry in enumerate(ignores if isinstance(ignores, list) else ()):
            if isinstance(entry, dict):
                self._add_ignore(doc, ("ignore", index), entry)
        rules = doc.data.get("rules")
        for index, entry in enumerate(rules if isinstance(rules, list) else ()):
            if isinstance(entry, dict):
                self._add_rule(doc, ("rules", index), entry)

    def _conditions(self, doc: YamlDocument, path: DataPath, entry: dict[str, Any]) -> Conditions:
        compiled: dict[str, Any] = {}
        for key, compile_one in (
            ("filter", compile_filter),
            ("when", compile_jmespath),
            ("unless", compile_jmespath),
        ):
            text = entry.get(key)
            if not isinstance(text, str) or not text.strip():
                continue
            try:
                compiled[key] = compile_one(text)
            except ConditionError as error:
                where = describe(doc.data, (*path, key))
                message = f"{where}: {error.message}: {_quote(text)}"
                self.problems.append(doc.problem_in_scalar((*path, key), error.offset, message))
        return Conditions(**compiled)

    def _add_ignore(self, doc: YamlDocument, path: DataPath, entry: dict[str, Any]) -> None:
        conditions = self._conditions(doc, path, entry)
        if conditions.filter is None and conditions.when is None:
            return  # reported already (schema or compile error)
        self.ignores.append(
            Ignore(
                name=str(entry.get("name", f"ignore[{path[-1]}]")),
                filter_text=entry.get("filter"),
                when_text=entry.get("when"),
                matches=conditions.predicate(),
                filter_pattern=conditions.filter,
                location=_location(doc, path),
            )
        )

    def _add_rule(self, doc: YamlDocument, path: DataPath, entry: dict[str, Any]) -> None:
        rule_id = entry.get("id")
        location = _location(doc, path)
        if isinstance(rule_id, str):
            if rule_id in self.rule_ids:
                first = self.rule_ids[rule_id]
                message = f"duplicate rule id '{rule_id}' (first defined at {first})"
                self.problems.append(doc.problem((*path, "id"), message))
            else:
                self.rule_ids[rule_id] = location
        conditions = self._conditions(doc, path, entry)
        channels = _as_list(entry.get("channel"))
        listed = isinstance(entry.get("channel"), list)
        for i, channel in enumerate(channels):
            at = (*path, "channel", i) if listed else (*path, "channel")
            if isinstance(channel, str):
                self.channel_refs.append((doc, at, channel))
        rule_format = entry.get("format")
        if isinstance(rule_format, str):
            self.format_refs.append((doc, (*path, "format"), rule_format))
        account_ids = self._account_scope(doc, path, entry.get("accounts"))
        tests = tuple(self._tests(doc, path, entry.get("tests"))) if self.with_tests else ()
        if conditions.filter is None and conditions.when is None:
            return  # nothing to match on; the schema or the compiler has said why
        predicate = conditions.predicate()
        if account_ids is not None:
            predicate = _limited_to(account_ids, predicate)
        self.rules.append(
            Rule(
                id=str(rule_id),
                title=str(entry.get("title", rule_id)),
                description=str(entry.get("description", "")),
                severity=entry.get("severity") or self.defaults.get("severity") or "medium",
                channels=tuple(c for c in channels if isinstance(c, str)),  # resolved in ruleset()
                mention=tuple(m for m in _as_list(entry.get("mention")) if isinstance(m, str)),
                format=rule_format or "",  # "" = the default format, filled in by ruleset()
                enabled=entry.get("enabled", True) is not False,
                filter_text=entry.get("filter"),
                when_text=entry.get("when"),
                unless_text=entry.get("unless"),
                accounts=account_ids,
                matches=predicate,
                filter_pattern=conditions.filter,
                tests=tests,
                location=location,
            )
        )

    def _account_scope(
        self, doc: YamlDocument, path: DataPath, accounts: Any
    ) -> frozenset[str] | None:
        if not isinstance(accounts, list):
            return None
        by_name = {account.name: account.id for account in self.accounts.values()}
        ids: set[str] = set()
        for i, ref in enumerate(accounts):
            if not isinstance(ref, str):
                continue
            if _ACCOUNT_ID.match(ref):
                ids.add(ref)
            elif ref in by_name:
                ids.add(by_name[ref])
            else:
                known = ", ".join(sorted(by_name)) or "none declared"
                message = (
                    f"{describe(doc.data, (*path, 'accounts', i))}: unknown account '{ref}' "
                    f"(not a 12-digit id nor a name under accounts: {known})"
                )
                self.problems.append(doc.problem((*path, "accounts", i), message))
        return frozenset(ids)

    def _tests(self, doc: YamlDocument, path: DataPath, tests: Any) -> list[RuleTest]:
        result: list[RuleTest] = []
        for i, test in enumerate(tests if isinstance(tests, list) else ()):
            if not isinstance(test, dict):
                continue
            at: DataPath = (*path, "tests", i)
            if "file" in test and isinstance(test["file"], str):
                record = self._test_file(doc, (*at, "file"), test["file"])
                if record is None:
                    continue
            elif "record" in test:
                record = test["record"]
                if not isinstance(record, dict):
                    kind = type(record).__name__
                    where = describe(doc.data, (*at, "record"))
                    message = f"{where}: must be an object, not {kind}"
                    self.problems.append(doc.problem((*at, "record"), message))
                    continue
            else:
                continue
            result.append(
                RuleTest(
                    name=str(test.get("name", f"test {i + 1}")),
                    record=record,
                    expect_alert=test.get("expect") == "alert",
                    channels=_tuple_or_none(test.get("channels")),
                    contains=tuple(_as_list(test.get("contains"))),
                    not_contains=tuple(_as_list(test.get("not_contains"))),
                    location=_location(doc, at),
                )
            )
        return result

    def _test_file(self, doc: YamlDocument, path: DataPath, name: str) -> Any:
        file = os.path.join(os.path.dirname(doc.file), name)
        where = describe(doc.data, path)
        try:
            with open(file, encoding="utf-8") as f:
                record = json.load(f)
        except FileNotFoundError:
            self.problems.append(doc.problem(path, f"{where}: no such file {str(file)!r}"))
            return None
        except (OSError, UnicodeDecodeError, ValueError) as error:
            message = f"{where}: cannot read {str(file)!r}: {' '.join(str(error).split())}"
            self.problems.append(doc.problem(path, message))
            return None
        if not isinstance(record, dict):
            kind = type(record).__name__
            message = f"{where}: {str(file)!r} must hold a JSON object, not {kind}"
            self.problems.append(doc.problem(path, message))
            return None
        return record

    # -- cross references -------------------------------------------------------------------

    def resolve_channel(self, channel: str) -> str | None:
        if _SLACK_CHANNEL.match(channel):
            return channel
        return self.channel_aliases.get(channel)

    def check_references(self) -> None:
        for doc, path, channel in self.channel_refs:
            # A value that is neither a channel nor an alias has been reported by the schema.
            if _ALIAS.match(channel) and self.resolve_channel(channel) is None:
                declared = ", ".join(sorted(self.channel_aliases)) or "none declared"
                message = (
                    f"{describe(doc.data, path)}: unknown channel '{channel}' (write '#{channel}'"
                    f" for a Slack channel, or declare it under channels:; aliases: {declared})"
                )
                self.problems.append(doc.problem(path, message))
        known = sorted(BUILTIN_FORMATS | set(self.formats))
        for doc, path, name in self.format_refs:
            if name not in BUILTIN_FORMATS and name not in self.formats:
                where = describe(doc.data, path)
                message = f"{where}: unknown format '{name}' (known: {', '.join(known)})"
                self.problems.append(doc.problem(path, message))

    def ruleset(self, files: tuple[str, ...]) -> RuleSet:
        defaults = Defaults(
            channel=self.resolve_channel(self.defaults["channel"])
            if isinstance(self.defaults.get("channel"), str)
            else None,
            severity=self.defaults.get("severity", "medium"),
            format=self.defaults.get("format", "standard"),
            timezone=self.defaults.get("timezone", "UTC"),
        )
        rules = tuple(
            rule.replace(
                channels=tuple(dict.fromkeys(self.resolve_channel(c) or c for c in rule.channels)),
                format=rule.format or defaults.format,
            )
            for rule in self.rules
        )
        accounts = {
            account_id: account.replace(channel=self.resolve_channel(account.channel))
            if account.channel
            else account
            for account_id, account in self.accounts.items()
        }
        ignores = tuple(self.ignores)
        ruleset = RuleSet(
            rules=rules,
            ignores=ignores,
            accounts=accounts,
            defaults=defaults,
            formats={name: template for name, (template, _doc) in self.formats.items()},
            files=files,
        )
        from engine.rules.index import build_matcher

        ruleset.matcher = build_matcher(rules, ignores, fallback=plain_match)
        return ruleset


def _limited_to(
    account_ids: frozenset[str], predicate: Callable[[Mapping[str, Any]], bool]
) -> Callable[[Mapping[str, Any]], bool]:
    def limited(record: Mapping[str, Any]) -> bool:
        return record.get("recipientAccountId") in account_ids and predicate(record)

    return limited


def _items(value: Any) -> list[tuple[str, Any]]:
    return list(value.items()) if isinstance(value, dict) else []


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _tuple_or_none(value: Any) -> tuple[str, ...] | None:
    return tuple(v for v in value if isinstance(v, str)) if isinstance(value, list) else None


def _location(doc: YamlDocument, path: DataPath) -> Location:
    position = doc.position(path)
    return Location(doc.file, position.line, position.column)


def _quote(text: str, limit: int = 120) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
