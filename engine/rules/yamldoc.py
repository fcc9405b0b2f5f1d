"""Read a YAML file into plain data while remembering where every node stood.

jsonschema, the filter-pattern parser and JMESPath all report problems against the data;
the positions recorded here turn those into `FILE:LINE:COL` a person can jump to.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from engine.rules.problems import Problem
from engine.struct import Struct

if TYPE_CHECKING:
    import yaml

# Set by _import_yaml() on the first parse. yaml is imported then and not with this module: a
# cold start served by the checked rules cache (cache.py) never parses YAML, and the import
# is a fair part of a cold start.
_Loader: type
_constructor: Any


def _import_yaml() -> None:
    global yaml, _Loader, _constructor
    import yaml

    # libyaml's composer is several times faster than the pure-Python one; fall back when absent.
    _Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    _constructor = yaml.SafeLoader("")  # only its scalar constructors are used


Path = tuple[str | int, ...]


class Position(Struct):
    __slots__ = ("line", "column", "style")

    def __init__(
        self,
        line: int,  # 1-based
        column: int,  # 1-based
        style: str | None = None,  # the scalar's quoting style: None (plain), "'", '"', "|", ">"
    ) -> None:
        self.line = line
        self.column = column
        self.style = style


class YamlDocument(Struct, frozen=False):
    """A parsed rule file: its data, and the position of every node by its path in the data."""

    __slots__ = ("file", "text", "data", "positions", "key_positions")

    def __init__(
        self,
        file: str,
        text: str,
        data: Any = None,
        positions: dict[Path, Position] | None = None,
        key_positions: dict[Path, Position] | None = None,
    ) -> None:
        self.file = file
        self.text = text
        self.data = data
        self.positions = {} if positions is None else positions
        self.key_positions = {} if key_positions is None else key_positions

    def position(self, path: Path) -> Position:
        """The position of the node at `path`, or of its nearest ancestor that has one."""
        while path not in self.positions and path:
            path = path[:-1]
        return self.positions.get(path, Position(1, 1))

    def problem(self, path: Path, message: str, *, at_key: bool = False) -> Problem:
        place = self.key_positions.get(path) if at_key else None
        place = place or self.position(path)
        return Problem(self.file, place.line, place.column, message)

    def problem_in_scalar(self, path: Path, offset: int, message: str) -> Problem:
        """A problem at character `offset` inside the string scalar at `path`.

        When the scalar sits on one line exactly as written (plain or quoted without escapes),
        point at the offending character itself; otherwise at the start of the scalar.
        """
        start = self.position(path)
        value = _get(self.data, path)
        if isinstance(value, str) and start.style in (None, "'", '"') and "\n" not in value:
            lines = self.text.splitlines()
            quote = 1 if start.style else 0
            if start.line <= len(lines):
                line = lines[start.line - 1]
                begin = start.column - 1 + quote
                if line[begin : begin + len(value)] == value:
                    return Problem(self.file, start.line, start.column + quote + offset, message)
        return Problem(self.file, start.line, start.column, message)


def _get(data: Any, path: Path) -> Any:
    for step in path:
        try:
            data = data[step]
        except (KeyError, IndexError, TypeError):
            return None
    return data


def read_yaml(file: str, text: str) -> tuple[YamlDocument, list[Problem]]:
    """Parse `text`; YAML syntax errors and duplicate keys come back as problems, not raised."""
    if "yaml" not in globals():
        _import_yaml()
    document = YamlDocument(file=file, text=text)
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        reason = error.problem or error.context or "invalid YAML"
        return document, [Problem(file, line, column, f"YAML syntax error: {reason}")]
    except yaml.YAMLError as error:  # e.g. a reader error on a control character
        return document, [Problem(file, 1, 1, f"YAML error: {_one_line(str(error))}")]
    if node is None:
        return document, [Problem(file, 1, 1, "the rule file is empty")]
    problems: list[Problem] = []
    try:
        document.data = _convert(node, (), document, problems)
    except _TooLarge:
        document.data, document.positions = None, {}
        message = f"the rule file expands to more than {MAX_NODES} YAML nodes (alias bomb?)"
        return document, [Problem(file, 1, 1, message)]
    except RecursionError:
        document.data, document.positions = None, {}
        return document, [Problem(file, 1, 1, "the rule file nests too deeply")]
    except _BadValue as bad:
        document.data, document.positions = None, {}
        line, column = bad.node.start_mark.line + 1, bad.node.start_mark.column + 1
        return document, [Problem(file, line, column, f"cannot read this value: {bad.reason}")]
    if document.data is None and not problems:  # `---` or `~` alone: a document holding null
        problems.append(Problem(file, 1, 1, "the rule file is empty"))
    return document, problems


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _position(node: yaml.Node) -> Position:
    # libyaml reports a plain scalar's style as "", the pure-Python composer as None.
    style = (node.style or None) if isinstance(node, yaml.ScalarNode) else None
    return Position(node.start_mark.line + 1, node.start_mark.column + 1, style)


# Aliases let a few lines of YAML expand into billions of nodes ("billion laughs"); a rule file
# never needs more than this many, so stop there instead of exhausting memory.
MAX_NODES = 200_000


class _TooLarge(Exception):
    pass


class _BadValue(Exception):
    """A node yaml cannot construct: an explicit tag on the wrong text (`!!int abc`), an
    unknown tag (`!x`), a mapping or list used as a key that holds a list."""

    def __init__(self, node: yaml.Node, error: Exception) -> None:
        super().__init__(str(error))
        self.node = node
        reason = getattr(error, "problem", None) or str(error) or type(error).__name__
        self.reason = _one_line(str(reason))


def _convert(node: yaml.Node, path: Path, doc: YamlDocument, problems: list[Problem]) -> Any:
    if len(doc.positions) >= MAX_NODES:
        raise _TooLarge
    doc.positions[path] = _position(node)
    if isinstance(node, yaml.MappingNode):
        result: dict[Any, Any] = {}
        for key_node, value_node in _pairs(node):
            key = _scalar(key_node)
            if not isinstance(key, str):
                key = str(key)  # JSON objects only have string keys; `123:` in YAML is an int
            child = (*path, key)
            if key in result:
                line, column = key_node.start_mark.line + 1, key_node.start_mark.column + 1
                problems.append(Problem(doc.file, line, column, f"duplicate key '{key}'"))
                continue
            doc.key_positions[child] = _position(key_node)
            result[key] = _convert(value_node, child, doc, problems)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_convert(item, (*path, i), doc, problems) for i, item in enumerate(node.value)]
    return _scalar(node)


def _pairs(node: yaml.MappingNode) -> Iterator[tuple[yaml.Node, yaml.Node]]:
    yield from node.value


def _scalar(node: yaml.Node) -> Any:
    try:
        return _construct(node)
    except RecursionError:
        raise
    except Exception as error:  # yaml's constructors raise ValueError, KeyError, … on user text
        raise _BadValue(node, error) from None


def _construct(node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        value = _constructor.construct_object(node, deep=True)
        # Timestamps and binary have no JSON form; keep what the user wrote.
        if not isinstance(value, str | int | float | bool | type(None)):
            return node.value
        return value
    if isinstance(node, yaml.MappingNode | yaml.SequenceNode):
        return _constructor.construct_object(node, deep=True)
    return None
