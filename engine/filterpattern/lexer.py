"""Split a pattern into tokens, each with its place in the text.

The language is not context-free at the character level: `123.123.*` is a bare value while
`$.a.*` is a selector. So a selector is lexed as one token (its steps already split) as soon
as a `$` starts a token; everything else that is not punctuation, a quoted string or a
`%regex%` is a bare word, which the parser reads as a keyword, a number or a string.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from enum import Enum

from engine.struct import Struct

from .ast import AnyIndex, AnyKey, Index, Key, Step
from .errors import FilterPatternError


class T(Enum):
    LBRACE = "{"
    RBRACE = "}"
    LPAREN = "("
    RPAREN = ")"
    AND = "&&"
    OR = "||"
    OP = "operator"
    SELECTOR = "selector"
    STRING = "quoted string"
    REGEX = "regex"
    WORD = "word"
    EOF = "end of pattern"


class Token(Struct):
    __slots__ = ("type", "text", "start", "end", "value", "step_starts")

    def __init__(
        self,
        type: T,
        text: str,  # exactly as written (quotes and % included)
        start: int,
        end: int,
        # SELECTOR: tuple of steps; STRING: the unescaped text; REGEX: the source between the %s.
        value: object = None,
        # SELECTOR: the offset of each step, for errors that point at one step.
        step_starts: tuple[int, ...] = (),
    ) -> None:
        self.type = type
        self.text = text
        self.start = start
        self.end = end
        self.value = value
        self.step_starts = step_starts


WHITESPACE = frozenset(" \t\r\n\f\v")
_PUNCT = {"{": T.LBRACE, "}": T.RBRACE, "(": T.LPAREN, ")": T.RPAREN}
# A bare word runs until whitespace or a character that starts another token.
_WORD = re.compile(r"""[^\s(){}"%&|=!<>]+""")
_NAME = re.compile(r"[A-Za-z0-9_-]+")
_INDEX = re.compile(r"\[([0-9]+)\]")


def tokenize(text: str) -> Iterator[Token]:
    """The tokens of `text`, ending with one EOF token; raises FilterPatternError."""
    pos, end = 0, len(text)
    while True:
        while pos < end and text[pos] in WHITESPACE:
            pos += 1
        if pos >= end:
            yield Token(T.EOF, "", end, end)
            return
        token = _next_token(text, pos)
        yield token
        pos = token.end


def _next_token(text: str, pos: int) -> Token:
    ch = text[pos]
    if ch in _PUNCT:
        return Token(_PUNCT[ch], ch, pos, pos + 1)
    pair = text[pos : pos + 2]
    if pair in ("&&", "||"):
        return Token(T.AND if pair == "&&" else T.OR, pair, pos, pos + 2)
    if ch in "&|":
        raise FilterPatternError(f"'{ch}' alone is not an operator; write '{ch * 2}'", text, pos)
    if pair in ("!=", "<=", ">="):
        return Token(T.OP, pair, pos, pos + 2)
    if ch in "=<>":
        return Token(T.OP, ch, pos, pos + 1)
    if ch == "!":
        raise FilterPatternError("'!' alone is not an operator; write '!='", text, pos)
    if ch == '"':
        return _quoted(text, pos)
    if ch == "%":
        close = text.find("%", pos + 1)
        if close == -1:
            raise FilterPatternError("regex is not closed with '%'", text, pos)
        return Token(T.REGEX, text[pos : close + 1], pos, close + 1, text[pos + 1 : close])
    if ch == "$":
        return _selector(text, pos)
    match = _WORD.match(text, pos)
    if match is None:  # pragma: no cover - every other character starts a word
        raise FilterPatternError(f"unexpected character {ch!r}", text, pos)
    return Token(T.WORD, match.group(), pos, match.end(), match.group())


def _quoted(text: str, start: int) -> Token:
    """A double-quoted string; `\\"` and `\\\\` are escapes, any other backslash is literal."""
    chars: list[str] = []
    pos, end = start + 1, len(text)
    while pos < end:
        ch = text[pos]
        if ch == '"':
            return Token(T.STRING, text[start : pos + 1], start, pos + 1, "".join(chars))
        if ch == "\\" and pos + 1 < end and text[pos + 1] in '"\\':
            chars.append(text[pos + 1])
            pos += 2
            continue
        chars.append(ch)
        pos += 1
    raise FilterPatternError("quoted string is not closed with '\"'", text, start)


def _selector(text: str, start: int) -> Token:
    """`$` and its steps: `.name`, `.['key']`, `[n]`, `[*]`, `.*`."""
    steps: list[Step] = []
    starts: list[int] = []
    pos, end = start + 1, len(text)
    while pos < end:
        ch = text[pos]
        if ch == ".":
            step, after = _dot_step(text, pos)
        elif ch == "[":
            step, after = _bracket_step(text, pos)
        else:
            break
        steps.append(step)
        starts.append(pos)
        pos = after
    if not steps:
        raise FilterPatternError(
            "a selector needs a field after '$', e.g. $.eventName", text, start + 1
        )
    return Token(T.SELECTOR, text[start:pos], start, pos, tuple(steps), tuple(starts))


def _dot_step(text: str, pos: int) -> tuple[Step, int]:
    nxt = pos + 1
    if text.startswith("*", nxt):
        return AnyKey(), nxt + 1
    if text.startswith("['", nxt):
        close = text.find("']", nxt + 2)
        if close == -1:
            raise FilterPatternError('bracketed key is not closed with "\']"', text, nxt)
        name = text[nxt + 2 : close]
        if not name:
            raise FilterPatternError("empty key in brackets", text, nxt)
        return Key(name), close + 2
    match = _NAME.match(text, nxt)
    if match is None:
        raise FilterPatternError(
            "expected a field name after '.' (letters, digits, '_', '-'; "
            "other keys in brackets: .['key'])",
            text,
            nxt,
        )
    return Key(match.group()), match.end()


def _bracket_step(text: str, pos: int) -> tuple[Step, int]:
    if text.startswith("[*]", pos):
        return AnyIndex(), pos + 3
    match = _INDEX.match(text, pos)
    if match is None:
        raise FilterPatternError(
            "expected an array index such as [0] or [*] (a key in brackets is .['key'])",
            text,
            pos,
        )
    return Index(int(match.group(1))), match.end()
