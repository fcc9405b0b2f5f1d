"""Load-time problems: every one names the file and the place of the offending YAML node."""

from __future__ import annotations

from engine.struct import Struct


class Problem(Struct, order=True):
    """One thing wrong with a rule file, printed as `FILE:LINE:COL: message`."""

    __slots__ = ("file", "line", "column", "message")

    def __init__(self, file: str, line: int, column: int, message: str) -> None:
        self.file = file
        self.line = line
        self.column = column
        self.message = message

    def __str__(self) -> str:
        # One problem, one line: a key or value quoted in the message may hold a line break.
        message = self.message.translate(_LINE_BREAKS)
        return f"{self.file}:{self.line}:{self.column}: {message}"


# Every character str.splitlines() breaks at, written as an escape.
_LINE_BREAKS = {ord(ch): ascii(ch)[1:-1] for ch in "\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029"}


class RuleFileError(Exception):
    """A rule file could not be loaded; `problems` holds every problem found, in file order."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(problems)
        super().__init__("\n".join(str(problem) for problem in self.problems))
