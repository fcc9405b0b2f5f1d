"""Text out: the canonical form of a tree (`to_text`) and `minify` for a pattern's text."""

from __future__ import annotations

import re

from .ast import (
    And,
    AnyIndex,
    AnyKey,
    Check,
    Comparison,
    Index,
    Key,
    Node,
    NumberValue,
    Or,
    RegexValue,
    Selector,
    Step,
    StringValue,
    Value,
)
from .lexer import T, tokenize
from .regex import RegexSyntaxError, parse_regex

_PLAIN_NAME = re.compile(r"[A-Za-z0-9_-]+")


def to_text(node: Node) -> str:
    """`{ … }` with every leaf in parentheses and every string double-quoted.

    Raises ValueError for a tree that has no text form (a key containing `']`, a regex
    outside the allowed subset), so a built tree can never print as a broken pattern.
    Parsing the result gives back an equal tree, except that a space in a regex is printed
    as `\\s`, as AWS's guide recommends.
    """
    return "{ " + _node(node, top=True) + " }"


def _node(node: Node, *, top: bool = False) -> str:
    if isinstance(node, And | Or):
        if len(node.terms) < 2:
            raise ValueError(f"{type(node).__name__} needs at least two terms")
        joiner = " && " if isinstance(node, And) else " || "
        text = joiner.join(_node(term) for term in node.terms)
        return text if top else f"({text})"
    if isinstance(node, Comparison):
        return f"({_selector(node.selector)} {node.op} {_value(node.value)})"
    if isinstance(node, Check):
        keyword = "NOT EXISTS" if node.kind == "NOT EXISTS" else f"IS {node.kind}"
        return f"({_selector(node.selector)} {keyword})"
    raise ValueError(f"not a filter-pattern node: {node!r}")


def _selector(selector: Selector) -> str:
    if not selector.steps:
        raise ValueError("a selector needs at least one step")
    return "$" + "".join(_step(step) for step in selector.steps)


def _step(step: Step) -> str:
    if isinstance(step, Key):
        if _PLAIN_NAME.fullmatch(step.name):
            return "." + step.name
        if "']" in step.name or not step.name:
            raise ValueError(f"key {step.name!r} cannot be written in a filter pattern")
        return f".['{step.name}']"
    if isinstance(step, Index):
        return f"[{step.n}]"
    if isinstance(step, AnyIndex):
        return "[*]"
    if isinstance(step, AnyKey):
        return ".*"
    raise ValueError(f"not a selector step: {step!r}")


def _value(value: Value) -> str:
    if isinstance(value, StringValue):
        return '"' + value.text.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, NumberValue):
        return value.text
    if isinstance(value, RegexValue):
        source = _spaces_escaped(value.source)
        try:
            parse_regex(source)
        except RegexSyntaxError as error:
            raise ValueError(f"regex {value.source!r}: {error.message}") from None
        if "%" in source:
            raise ValueError(f"regex {value.source!r} cannot contain '%'")
        return f"%{source}%"
    raise ValueError(f"not a filter-pattern value: {value!r}")


def _spaces_escaped(source: str) -> str:
    """A space in a regex as `\\s`, as AWS's guide recommends; inside a character class as
    `\\x20`, since `\\s` cannot end a range there (`[ -$]` would become invalid `[\\s-$]`)."""
    out: list[str] = []
    in_class = False
    i = 0
    while i < len(source):
        ch = source[i]
        if ch == "\\":
            out.append(source[i : i + 2])
            i += 2
            continue
        if ch == "[" and not in_class:
            in_class = True
        elif ch == "]" and in_class:
            in_class = False
        out.append(("\\x20" if in_class else "\\s") if ch == " " else ch)
        i += 1
    return "".join(out)


# Tokens that need a space between them when adjacent (`IS NULL`, `$.a IS`, `"a" b`).
_ATOMS = frozenset({T.SELECTOR, T.WORD, T.STRING, T.REGEX})


def minify(text: str) -> str:
    """`text` without optional whitespace; quoted strings and regexes are kept byte for byte.

    Works on tokens, never on characters, so `"Failed authentication"` keeps its space (the
    seed filter's defect 2). Raises FilterPatternError when `text` cannot be tokenized.
    """
    parts: list[str] = []
    previous = None
    for token in tokenize(text):
        if token.type is T.EOF:
            break
        if previous in _ATOMS and token.type in _ATOMS:
            parts.append(" ")
        parts.append(token.text)
        previous = token.type
    return "".join(parts)
