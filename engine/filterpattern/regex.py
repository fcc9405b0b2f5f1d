"""The regex subset of filter patterns, checked and compiled into a matcher that cannot hang.

Why not simply `re.search`? Python's `re` backtracks and has no timeout, and leaving out
groups and back-references does NOT make it safe: every unbounded quantifier multiplies the
work by the length of the text. `re.search("a*a*b", "a" * 10_000)` takes minutes, and even
`.*b` is quadratic (seconds on 100 KB). Records carry caller-controlled strings (user agents,
request parameters), so a slow regex would be a way to stall alerting.

Because there are no groups, every regex here is a choice (`|`) of sequences of single
characters, each optionally repeated. That makes two things easy:

* an exact bound on `re`'s backtracking. Per start position it explores at most the product
  of each repeat's number of choices, (n + 1) for an unbounded one, so a search costs at most
  (n + 1) ** (1 + unbounded) * P steps. `re` (fast, in C) is used only for strings short
  enough that this stays under `_RE_STEP_BUDGET`;
* a linear-time matcher for longer strings: a bit-parallel NFA (one int holds the whole state
  set, one step per character), in `LinearMatcher`.

Both engines are built from the same parsed items, and tests check they agree.

Semantics (decided where the guide is silent): ASCII classes (`\\d` is `[0-9]`), `.` does not
match a newline, `$` matches only at the very end, lazy quantifiers (`*?`) are accepted and
match the same strings, a space is a literal space.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from engine.struct import Struct

MAX_REPEAT = 1000  # `{m,n}` bounds; a sanity limit that keeps the NFA small
_RE_STEP_BUDGET = 2_000_000
_ALLOWED_LITERALS = frozenset(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789:_#=@/;,- "
)
_CLASS_ESCAPES = frozenset("dDsSwW")
# Characters that may follow a backslash to stand for themselves.
_ESCAPABLE = frozenset("^$?[]{}|\\*+.:_#=@/;,-")
_HEX = frozenset("0123456789abcdefABCDEF")


class RegexSyntaxError(ValueError):
    """`index` is the offset inside the regex source."""

    def __init__(self, message: str, index: int) -> None:
        super().__init__(message)
        self.message = message
        self.index = index


class _Item(Struct):
    """One character class (or anchor) and how often it repeats."""

    __slots__ = ("atom", "anchor", "low", "high")

    def __init__(
        self,
        atom: str,  # Python `re` source for one character; "" for an anchor
        anchor: str = "",  # "^" or "$"
        low: int = 1,
        high: int | None = 1,  # None: unbounded
    ) -> None:
        self.atom = atom
        self.anchor = anchor
        self.low = low
        self.high = high


def compile_regex(source: str) -> Callable[[str], bool]:
    """A function telling whether `source` is found anywhere in a string.

    Raises RegexSyntaxError for anything outside the allowed subset.
    """
    alternatives = parse_regex(source)
    try:
        search = re.compile(python_source(alternatives), re.ASCII).search
    except re.error as error:  # e.g. a bad range such as [z-a]
        raise RegexSyntaxError(f"invalid regex: {error.msg}", 0) from None
    linear = LinearMatcher(alternatives)
    max_len = _longest_safe_for_re(alternatives)

    def matches(text: str) -> bool:
        if len(text) <= max_len:
            return search(text) is not None
        return linear.search(text)

    return matches


def parse_regex(source: str) -> list[list[_Item]]:
    """The alternatives of `source`, each a list of items; raises RegexSyntaxError."""
    if not source:
        raise RegexSyntaxError("empty regex", 0)
    alternatives: list[list[_Item]] = [[]]
    pos, end = 0, len(source)
    while pos < end:
        ch = source[pos]
        if ord(ch) > 127:
            raise RegexSyntaxError(f"character {ch!r} is not allowed in a regex (ASCII only)", pos)
        if ch in "()":
            raise RegexSyntaxError(f"'{ch}' is not allowed in a regex (no groups)", pos)
        if ch == "|":
            alternatives.append([])
            pos += 1
            continue
        if ch in "*+?{":
            raise RegexSyntaxError(f"'{ch}' has nothing to repeat", pos)
        if ch in "^$":
            item = _Item("", anchor=ch)
            pos += 1
        elif ch == ".":
            item, pos = _Item("."), pos + 1
        elif ch == "[":
            item, pos = _char_class(source, pos)
        elif ch == "\\":
            atom, pos = _escape(source, pos, in_class=False)
            item = _Item(atom)
        elif ch in _ALLOWED_LITERALS or ch in "]}":
            item, pos = _Item(re.escape(ch)), pos + 1
        else:
            raise RegexSyntaxError(f"character {ch!r} is not allowed in a regex", pos)
        item, pos = _quantifier(source, pos, item)
        alternatives[-1].append(item)
    return alternatives


def _escape(source: str, pos: int, *, in_class: bool) -> tuple[str, int]:
    """`\\d`, `\\x41`, `\\.` …: the Python source for it and the position after it."""
    if pos + 1 >= len(source):
        raise RegexSyntaxError("regex ends with a lone '\\'", pos)
    nxt = source[pos + 1]
    if nxt in _CLASS_ESCAPES:
        return "\\" + nxt, pos + 2
    if nxt == "x":
        digits = source[pos + 2 : pos + 4]
        if len(digits) != 2 or not set(digits) <= _HEX:
            raise RegexSyntaxError("'\\x' needs two hex digits, e.g. \\x41", pos)
        return "\\x" + digits, pos + 4
    if nxt in _ESCAPABLE:
        return re.escape(nxt) if not in_class else "\\" + nxt, pos + 2
    if nxt == " ":
        raise RegexSyntaxError("write a space in a regex as \\s or as a plain space", pos)
    raise RegexSyntaxError(
        f"'\\{nxt}' is not allowed in a regex (only \\d \\D \\s \\S \\w \\W \\xhh "
        "and escaped punctuation)",
        pos,
    )


def _char_class(source: str, start: int) -> tuple[_Item, int]:
    parts = ["["]
    pos, end = start + 1, len(source)
    if pos < end and source[pos] == "^":
        parts.append("^")
        pos += 1
    first = pos
    while pos < end and source[pos] != "]":
        ch = source[pos]
        if ch == "\\":
            atom, pos = _escape(source, pos, in_class=True)
            parts.append(atom)
            continue
        if ord(ch) > 127:
            raise RegexSyntaxError(f"character {ch!r} is not allowed in a regex (ASCII only)", pos)
        if ch in "()":
            raise RegexSyntaxError(f"'{ch}' is not allowed in a regex (no groups)", pos)
        if ch == "[":
            raise RegexSyntaxError("'[' inside a class must be escaped as \\[", pos)
        if ch not in _ALLOWED_LITERALS and ch not in "^$?{}|*+.":
            raise RegexSyntaxError(f"character {ch!r} is not allowed in a regex", pos)
        parts.append(ch)
        pos += 1
    if pos >= end:
        raise RegexSyntaxError("character class is not closed with ']'", start)
    if pos == first:
        raise RegexSyntaxError("empty character class", start)
    parts.append("]")
    atom = "".join(parts)
    try:
        re.compile(atom, re.ASCII)
    except re.error as error:
        raise RegexSyntaxError(f"invalid character class: {error.msg}", start) from None
    return _Item(atom), pos + 1


_BRACES = re.compile(r"\{([0-9]+)(,([0-9]*))?\}")


def _quantifier(source: str, pos: int, item: _Item) -> tuple[_Item, int]:
    if pos >= len(source) or source[pos] not in "*+?{":
        return item, pos
    if item.anchor:
        raise RegexSyntaxError(f"'{item.anchor}' cannot be repeated", pos)
    ch = source[pos]
    high: int | None
    if ch == "{":
        match = _BRACES.match(source, pos)
        if match is None:
            raise RegexSyntaxError("invalid repetition: write {m}, {m,} or {m,n}", pos)
        low = int(match.group(1))
        high = low  # {m}
        if match.group(2) is not None:  # {m,} or {m,n}
            high = int(match.group(3)) if match.group(3) else None
        if high is not None and high < low:
            raise RegexSyntaxError(f"invalid repetition {{{low},{high}}}: max below min", pos)
        if max(low, high or 0) > MAX_REPEAT:
            raise RegexSyntaxError(f"repetition counts above {MAX_REPEAT} are not supported", pos)
        after = match.end()
    else:
        low, high = {"*": (0, None), "+": (1, None), "?": (0, 1)}[ch]
        after = pos + 1
    if after < len(source) and source[after] == "?":  # lazy: same set of matches
        after += 1
    if after < len(source) and source[after] in "*+?{":
        raise RegexSyntaxError("a repetition cannot be repeated", after)
    return _Item(item.atom, low=low, high=high), after


def python_source(alternatives: list[list[_Item]]) -> str:
    """The same regex for Python's `re` (with re.ASCII): anchors made explicit."""
    return "|".join("".join(_python_item(item) for item in alt) for alt in alternatives)


def _python_item(item: _Item) -> str:
    if item.anchor == "^":
        return r"\A"
    if item.anchor == "$":
        return r"\Z"
    if (item.low, item.high) == (1, 1):
        return item.atom
    high = "" if item.high is None else str(item.high)
    return f"{item.atom}{{{item.low},{high}}}"


def _longest_safe_for_re(alternatives: list[list[_Item]]) -> int:
    """The longest string `re` may search within `_RE_STEP_BUDGET` steps (see module doc)."""
    unbounded = 0
    product_sum = 0
    for alt in alternatives:
        product = max(1, len(alt))
        for item in alt:
            if item.high is not None:
                product *= item.high - item.low + 1
        unbounded = max(unbounded, sum(item.high is None for item in alt))
        product_sum += product
    length = 0
    step = 1 << 20
    # Largest n with (n + 1) ** (1 + unbounded) * product_sum <= budget, found by bisection.
    while step:
        candidate = length + step
        if (candidate + 1) ** (1 + unbounded) * product_sum <= _RE_STEP_BUDGET:
            length = candidate
        step >>= 1
    if (length + 1) ** (1 + unbounded) * product_sum > _RE_STEP_BUDGET:
        return -1  # never use `re`
    return length


class LinearMatcher:
    """A bit-parallel NFA: bit g of the state means "items before gap g are matched".

    Each alternative is unrolled into slots (`x{2,4}` → x x x? x?, `x+` → x x*), so a slot is
    matched once ("one"), at most once ("opt") or any number of times ("star"); an anchor is
    a slot that can be passed without a character, at the start or end only. Every character
    then costs a handful of int operations, whatever the regex: linear time.
    """

    def __init__(self, alternatives: list[list[_Item]]) -> None:
        predicates: dict[str, Callable[[str], object]] = {}
        slots: list[tuple[int, str, str]] = []  # (bit, kind, atom)
        start = accept = star = skip = bol = eol = 0
        bit = 0
        for alt in alternatives:
            start |= 1 << bit
            for item in alt:
                for kind in _unroll(item):
                    if kind == "^":
                        bol |= 1 << bit
                    elif kind == "$":
                        eol |= 1 << bit
                    else:
                        slots.append((bit, kind, item.atom))
                        if kind in ("opt", "star"):
                            skip |= 1 << bit
                        if kind == "star":
                            star |= 1 << bit
                    bit += 1
            accept |= 1 << bit
            bit += 1
        self._start, self._accept, self._star = start, accept, star
        for _, _, atom in slots:
            if atom not in predicates:
                predicates[atom] = re.compile(atom, re.ASCII).fullmatch
        self._slots = [(b, predicates[atom]) for b, _, atom in slots]
        self._closure_mid = _closure_steps(skip)
        self._closure_first = _closure_steps(skip | bol)
        self._closure_last = _closure_steps(skip | eol)
        self._closure_only = _closure_steps(skip | bol | eol)
        self._ascii = [self._masks(chr(code)) for code in range(128)]

    def _masks(self, ch: str) -> tuple[int, int]:
        """(slots that consume `ch` and move on, star slots that consume it and stay)."""
        accepts = 0
        for bit, predicate in self._slots:
            if predicate(ch):
                accepts |= 1 << bit
        return accepts & ~self._star, accepts & self._star

    def search(self, text: str) -> bool:
        start, accept = self._start, self._accept
        last = len(text) - 1
        state = _close(start, self._closure_only if last < 0 else self._closure_first)
        if state & accept:
            return True
        ascii_masks = self._ascii
        other: dict[str, tuple[int, int]] = {}  # per call: no unbounded growth across records
        mid = self._closure_mid
        for index, ch in enumerate(text):
            code = ord(ch)
            if code < 128:
                advance, stay = ascii_masks[code]
            else:
                masks = other.get(ch)
                if masks is None:
                    masks = other[ch] = self._masks(ch)
                advance, stay = masks
            state = ((state & advance) << 1) | (state & stay) | start
            state = _close(state, mid if index != last else self._closure_last)
            if state & accept:
                return True
        return False


def _unroll(item: _Item) -> list[str]:
    if item.anchor:
        return [item.anchor]
    kinds = ["one"] * item.low
    if item.high is None:
        kinds.append("star")
    else:
        kinds.extend(["opt"] * (item.high - item.low))
    return kinds


def _closure_steps(skippable: int) -> tuple[tuple[int, int], ...]:
    """Shift/mask pairs that let set bits run forward through skippable gaps in log time.

    Kogge-Stone prefix: after the round with shift d, a bit has reached every gap up to
    2d - 1 skippable gaps ahead; `passable` marks the gaps reachable from d gaps back.
    """
    steps = []
    passable = skippable << 1
    shift = 1
    while passable:
        steps.append((shift, passable))
        passable &= passable << shift
        shift <<= 1
    return tuple(steps)


def _close(state: int, steps: tuple[tuple[int, int], ...]) -> int:
    for shift, passable in steps:
        state |= (state << shift) & passable
    return state
