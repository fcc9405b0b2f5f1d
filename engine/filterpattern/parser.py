"""Recursive-descent parser: tokens → syntax tree, enforcing AWS's per-pattern limits.

Grammar (reference/filter-patterns.md):

    pattern := "{" expr "}"
    expr    := and ( "||" and )*          ( ) binds tightest, then &&, then ||
    and     := prim ( "&&" prim )*
    prim    := "(" expr ")" | cond
    cond    := selector OP value | selector IS (NULL|TRUE|FALSE) | selector NOT EXISTS

Nested groups of the same kind are flattened (`(a && b) && c` is And(a, b, c)), which keeps
the tree canonical: printing and re-parsing gives back an equal tree.
"""

from __future__ import annotations

import re

from .ast import (
    And,
    AnyIndex,
    AnyKey,
    Check,
    Comparison,
    Node,
    NumberValue,
    Or,
    RegexValue,
    Selector,
    StringValue,
    Value,
)
from .errors import FilterPatternError
from .lexer import WHITESPACE, T, Token, tokenize
from .regex import RegexSyntaxError, parse_regex

MAX_PATTERN_LENGTH = 1024
MAX_REGEXES = 2
MAX_WILDCARDS_PER_SELECTOR = 1
MAX_WILDCARDS = 3

NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_KEYWORDS = ("IS", "NULL", "TRUE", "FALSE", "NOT", "EXISTS")
_RELATIONAL = ("<", ">", "<=", ">=")


def parse_node(text: str) -> Node | None:
    """The tree of `text`, or None for an empty pattern; raises FilterPatternError."""
    if all(ch in WHITESPACE for ch in text):
        return None
    return _Parser(text).pattern()


def check_limits(text: str) -> None:
    """Raise FilterPatternError when `text` is longer than AWS accepts for a filter pattern."""
    if len(text) > MAX_PATTERN_LENGTH:
        raise FilterPatternError(
            f"pattern is {len(text)} characters long; CloudWatch Logs accepts at most "
            f"{MAX_PATTERN_LENGTH}",
            text,
            MAX_PATTERN_LENGTH,
        )


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = list(tokenize(text))
        self.index = 0
        self.regexes = 0
        self.wildcards = 0

    # --- token helpers ---------------------------------------------------------------------

    @property
    def current(self) -> Token:
        return self.tokens[self.index]

    def advance(self) -> Token:
        token = self.tokens[self.index]
        if token.type is not T.EOF:
            self.index += 1
        return token

    def error(self, message: str, token: Token | None = None) -> FilterPatternError:
        return FilterPatternError(message, self.text, (token or self.current).start)

    def found(self, token: Token | None = None) -> str:
        token = token or self.current
        return "the end of the pattern" if token.type is T.EOF else repr(token.text)

    # --- grammar ----------------------------------------------------------------------------

    def pattern(self) -> Node:
        first = self.current
        if first.type is not T.LBRACE:
            raise self.error(
                "only JSON filter patterns are supported: write the pattern inside { }, "
                'e.g. { $.eventName = "StopLogging" }',
                first,
            )
        self.advance()
        if self.current.type is T.RBRACE:
            raise self.error("expected a condition inside { }")
        node = self.expr()
        if self.current.type is not T.RBRACE:
            if self.current.type is T.RPAREN:
                raise self.error("')' without a matching '('")
            if self.current.type is T.EOF:
                raise self.error("missing '}' at the end of the pattern")
            raise self.error(f"expected '&&', '||' or '}}', found {self.found()}")
        self.advance()
        if self.current.type is not T.EOF:
            raise self.error(f"unexpected {self.found()} after the closing '}}'")
        return node

    def expr(self) -> Node:
        terms = [self.conjunction()]
        while self.current.type is T.OR:
            self.advance()
            terms.append(self.conjunction())
        return _combine(Or, terms)

    def conjunction(self) -> Node:
        terms = [self.primary()]
        while self.current.type is T.AND:
            self.advance()
            terms.append(self.primary())
        return _combine(And, terms)

    def primary(self) -> Node:
        token = self.current
        if token.type is T.LPAREN:
            self.advance()
            node = self.expr()
            if self.current.type is not T.RPAREN:
                raise self.error("missing ')' to close an earlier '('")
            self.advance()
            return node
        if token.type is T.SELECTOR:
            return self.condition()
        raise self.error(f"expected a condition such as $.eventName = value, found {self.found()}")

    def condition(self) -> Node:
        selector = self.selector(self.advance())
        token = self.current
        if token.type is T.OP:
            self.advance()
            value = self.value(token.text)
            return Comparison(selector, token.text, value)  # type: ignore[arg-type]
        if token.type is T.WORD:
            keyword = self.keyword(token)
            if keyword == "IS":
                self.advance()
                kind = self.current
                if kind.type is T.WORD and self.keyword(kind) in ("NULL", "TRUE", "FALSE"):
                    self.advance()
                    return Check(selector, kind.text)  # type: ignore[arg-type]
                if kind.type is T.WORD and self.keyword(kind) == "NOT":
                    raise self.error(
                        "there is no IS NOT: use NOT EXISTS for absence, or = * for presence",
                        kind,
                    )
                raise self.error(f"expected NULL, TRUE or FALSE after IS, found {self.found()}")
            if keyword == "NOT":
                self.advance()
                after = self.current
                if after.type is T.WORD and self.keyword(after) == "EXISTS":
                    self.advance()
                    return Check(selector, "NOT EXISTS")
                raise self.error(f"expected EXISTS after NOT, found {self.found()}")
            if keyword == "EXISTS":
                raise self.error(
                    "there is no bare EXISTS: use = * for presence, or NOT EXISTS", token
                )
        raise self.error(
            "expected an operator (= != < > <= >=), IS or NOT EXISTS after the selector, "
            f"found {self.found()}"
        )

    def keyword(self, token: Token) -> str | None:
        """The keyword `token` spells; lower-case keywords are an error, not a bare value."""
        upper = token.text.upper()
        if upper not in _KEYWORDS:
            return None
        if token.text != upper:
            raise self.error(f"keywords are upper case: write {upper}", token)
        return upper

    def selector(self, token: Token) -> Selector:
        selector = Selector(token.value)  # type: ignore[arg-type]
        seen = 0
        for step, start in zip(selector.steps, token.step_starts, strict=True):
            if isinstance(step, AnyIndex | AnyKey):
                seen += 1
                self.wildcards += 1
                if seen > MAX_WILDCARDS_PER_SELECTOR:
                    raise FilterPatternError(
                        "at most one wildcard ([*] or .*) per selector", self.text, start
                    )
                if self.wildcards > MAX_WILDCARDS:
                    raise FilterPatternError(
                        f"at most {MAX_WILDCARDS} wildcard selectors per pattern", self.text, start
                    )
        return selector

    def value(self, op: str) -> Value:
        token = self.current
        if token.type is T.OP and op == "=" and token.text == "=":
            raise self.error("'==' is not an operator: write '='", token)
        if token.type not in (T.STRING, T.WORD, T.REGEX):
            raise self.error(f"expected a value after '{op}', found {self.found()}")
        self.advance()
        value: Value
        if token.type is T.REGEX:
            value = self.regex(token)
        elif token.type is T.STRING:
            value = StringValue(token.value, quoted=True)  # type: ignore[arg-type]
        elif NUMBER.fullmatch(token.text):
            value = NumberValue(token.text)
        else:
            value = StringValue(token.text, quoted=False)
        if op in _RELATIONAL and not isinstance(value, NumberValue):
            raise self.error(f"'{op}' compares numbers; {token.text} is not a number", token)
        return value

    def regex(self, token: Token) -> RegexValue:
        self.regexes += 1
        if self.regexes > MAX_REGEXES:
            raise self.error(f"at most {MAX_REGEXES} regexes per pattern", token)
        source: str = token.value  # type: ignore[assignment]
        try:
            parse_regex(source)
        except RegexSyntaxError as error:
            raise FilterPatternError(
                error.message, self.text, token.start + 1 + error.index
            ) from None
        return RegexValue(source)


def _combine(kind: type[And] | type[Or], terms: list[Node]) -> Node:
    if len(terms) == 1:
        return terms[0]
    flat: list[Node] = []
    for term in terms:
        flat.extend(term.terms if isinstance(term, kind) else (term,))
    return kind(tuple(flat))
