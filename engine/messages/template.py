"""Custom formats: Block Kit templates from `formats:` whose strings hold `{{ expression }}`.

Each expression is JMESPath, evaluated against the record with the computed values under
`alert` (`alert.rule_ids`, `alert.title`, `alert.severity`, `alert.account_id`,
`alert.account_name`, `alert.actor`, `alert.console_url`, `alert.channel`). The template's own
text is configuration and is kept as written; what a placeholder yields comes from the event
and is escaped (percent-encoded in URL fields). Templates are compiled once, by
`compile_template`, which `validate` also uses to report a bad expression with its place.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

import jmespath
from jmespath.exceptions import JMESPathError

from engine.messages.escape import mrkdwn, url_value

Path = tuple[str | int, ...]
Renderer = Callable[[Mapping[str, Any]], Any]

TOP_LEVEL_KEYS = ("text", "blocks", "attachments")
# Keys whose string values are URLs, not text: placeholders there are percent-encoded.
URL_KEYS = frozenset(
    {"url", "title_link", "author_link", "image_url", "thumb_url", "author_icon", "footer_icon"}
)
_PLACEHOLDER = re.compile(r"\{\{(.*?)\}\}", re.DOTALL)


class TemplateError(ValueError):
    """A template that cannot be compiled; `path` locates the string, e.g. ("blocks", 0, "text")."""

    def __init__(self, message: str, path: Path = ()) -> None:
        super().__init__(message)
        self.message = message
        self.path = path

    @property
    def where(self) -> str:
        out = ""
        for part in self.path:
            out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
        return out or "(template)"

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


def _search(expression: Any, data: Mapping[str, Any]) -> Any:
    try:
        return expression.search(data)
    except (JMESPathError, TypeError, ValueError):
        # A type error on one odd record (e.g. a function on a missing value) blanks the
        # placeholder; the rest of the alert still goes out.
        return None


def _link_target_after(literal: str, inside: bool) -> bool:
    """Whether text following `literal` is inside the target part of a `<url|label>` link
    (`inside` tells whether it was before `literal`)."""
    for char in literal:
        if char == "<":
            inside = True
        elif char in "|>":
            inside = False
    return inside


def _compile_string(text: str, path: Path, in_url: bool) -> Renderer | str:
    pieces: list[tuple[str, Any]] = []  # (literal before, (expression, escape function))
    position = 0
    in_link_target = False
    for found in _PLACEHOLDER.finditer(text):
        literal = text[position : found.start()]
        source = found.group(1).strip()
        if not source:
            raise TemplateError("empty placeholder {{ }}", path)
        try:
            expression = jmespath.compile(source)
        except JMESPathError as error:
            message = str(error).splitlines()[0] if str(error) else type(error).__name__
            raise TemplateError(f"bad JMESPath in {{{{ {source} }}}}: {message}", path) from None
        in_link_target = _link_target_after(literal, in_link_target)
        # Inside a URL (a JSON url field, or the target of a mrkdwn `<url|label>` link) a value
        # is percent-encoded, so that it cannot end the link or change its label.
        escape = url_value if in_url or in_link_target else mrkdwn
        pieces.append((literal, (expression, escape)))
        position = found.end()
    rest = text[position:]
    if "{{" in rest:
        raise TemplateError("unclosed placeholder: '{{' without '}}'", path)
    if position == 0:
        return text

    def render(data: Mapping[str, Any]) -> str:
        out = []
        for literal, (expression, escape) in pieces:
            out.append(literal)
            out.append(escape(_search(expression, data)))
        out.append(rest)
        return "".join(out)

    return render


def _compile(node: Any, path: Path, in_url: bool = False) -> Renderer | Any:
    """A renderer for `node`, or `node` itself when it holds no placeholder."""
    if isinstance(node, str):
        return _compile_string(node, path, in_url)
    if isinstance(node, list):
        items = [_compile(item, (*path, index)) for index, item in enumerate(node)]
        if not any(callable(item) for item in items):
            return node
        return lambda data: [item(data) if callable(item) else item for item in items]
    if isinstance(node, dict):
        entries = {
            key: _compile(value, (*path, str(key)), in_url=key in URL_KEYS)
            for key, value in node.items()
        }
        if not any(callable(value) for value in entries.values()):
            return node
        return lambda data: {
            key: value(data) if callable(value) else value for key, value in entries.items()
        }
    return node


def _fresh(value: Any) -> Any:
    """A deep copy of constant template parts, so cutting one message never edits the next."""
    if isinstance(value, dict):
        return {key: _fresh(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_fresh(item) for item in value]
    return value


class CompiledTemplate(NamedTuple):
    text: Renderer | str | None
    blocks: Renderer | list[Any] | None
    attachments: Renderer | list[Any] | None

    def render(self, data: Mapping[str, Any]) -> tuple[str, list[Any], list[Any] | None]:
        """(text, blocks, attachments) for `data` (the record with `alert` beside it)."""

        def run(part: Any) -> Any:
            return _fresh(part(data) if callable(part) else part)

        text = run(self.text) if self.text is not None else ""
        blocks = run(self.blocks) if self.blocks is not None else []
        attachments = run(self.attachments) if self.attachments is not None else None
        return text, blocks, attachments


def compile_template(template: Any) -> CompiledTemplate:
    """Check and compile one `formats:` entry; raises `TemplateError` naming the bad part."""
    if not isinstance(template, Mapping):
        raise TemplateError("a format must be a mapping with text, blocks and attachments")
    for key in template:
        if key not in TOP_LEVEL_KEYS:
            raise TemplateError(f"unknown key {key!r} (expected text, blocks, attachments)", (key,))
    text = template.get("text")
    if text is not None and not isinstance(text, str):
        raise TemplateError("text must be a string", ("text",))
    for key in ("blocks", "attachments"):
        value = template.get(key)
        if value is None:
            continue
        if not isinstance(value, list):
            raise TemplateError(f"{key} must be a list", (key,))
        for index, item in enumerate(value):
            if not isinstance(item, Mapping):
                raise TemplateError(f"each of {key} must be a mapping", (key, index))
    blocks, attachments = template.get("blocks"), template.get("attachments")
    return CompiledTemplate(
        text=_compile(text, ("text",)) if text is not None else None,
        blocks=_compile(list(blocks), ("blocks",)) if blocks is not None else None,
        attachments=(
            _compile(list(attachments), ("attachments",)) if attachments is not None else None
        ),
    )
