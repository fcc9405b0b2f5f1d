"""The one error a filter pattern can raise: a message, the pattern, and where in it."""

from __future__ import annotations


class FilterPatternError(Exception):
    """A pattern that is not valid (or too long): `str(err)` is `"<message> at column N"`.

    `position` is a 0-based offset into `pattern` (it may equal `len(pattern)` for "ended too
    early"); `column` is the same place counted from 1, as editors show it.
    """

    def __init__(self, message: str, pattern: str, position: int) -> None:
        super().__init__(message, pattern, position)
        self.message = message
        self.pattern = pattern
        self.position = max(0, min(position, len(pattern)))

    @property
    def column(self) -> int:
        return self.position + 1

    def __str__(self) -> str:
        return f"{self.message} at column {self.column}"

    def pretty(self) -> str:
        """Three lines: the message, the pattern line at fault, and a caret under the place.

        A pattern written over several lines (a YAML block) shows only the line at fault, so
        the caret stays under the right character; tabs are shown as spaces for the same reason.
        """
        line_start = self.pattern.rfind("\n", 0, self.position) + 1
        line_end = self.pattern.find("\n", self.position)
        if line_end == -1:
            line_end = len(self.pattern)
        line = self.pattern[line_start:line_end].replace("\t", " ").rstrip("\r")
        caret = " " * (self.position - line_start) + "^"
        return f"{self.message}\n{line}\n{caret}"
