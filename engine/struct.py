"""`Struct`: the base of the engine's small data classes, used instead of `dataclasses`.

Why not dataclasses: `@dataclass` writes each generated method as source and execs it, and
importing `dataclasses` pulls in `inspect` (and with it `ast` and `dis`). With ~35 classes on
the path from `import handler` to compiled rules, that was ~70 ms of a ~120 ms cold start,
which Lambda bills and the first alert waits for. Defining a Struct costs microseconds.

A subclass declares its fields as `__slots__` and writes its own `__init__` (plain Python,
exactly as fast as a generated one) taking every field, in the order that repr and ordering
use. From here it inherits:

- `==` and `hash()` over the compared fields, and only between instances of the same class;
- `repr()` showing the compared fields;
- `replace(**changes)`: a copy with some fields changed, built through `__init__`;
- `to_dict()`: the fields as a dict (shallow);
- with `order=True`, `<`, `<=`, `>`, `>=` comparing the fields in order.

Class keywords: `internal=(...)` names fields left out of equality, hashing and repr (compiled
closures, caches, how something was spelt); `frozen=False` makes a class unhashable, for
classes whose instances are filled in after construction (counters, reports, builders).

Frozen classes are immutable by convention, not enforced: enforcing it would mean setting every
field through `object.__setattr__`, which made building the per-record `Origin` cost more than
matching the record. Nothing in the engine assigns to a frozen Struct after `__init__`.
"""

from __future__ import annotations

from operator import attrgetter
from typing import Any, ClassVar, Self


def _no_fields(_: object) -> tuple[()]:
    return ()


class Struct:
    __slots__ = ()

    # Set on each subclass by __init_subclass__.
    _fields: ClassVar[tuple[str, ...]] = ()
    _shown: ClassVar[tuple[str, ...]] = ()
    # The compared fields' values, as a tuple: `cls._values(instance)`. An attrgetter runs
    # in C, so equality and hashing cost what a dataclass's generated methods cost.
    _values: ClassVar[Any] = staticmethod(_no_fields)

    def __init_subclass__(
        cls,
        *,
        internal: tuple[str, ...] = (),
        frozen: bool = True,
        order: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init_subclass__(**kwargs)
        fields = _init_parameters(cls)
        slots = {name for klass in cls.__mro__ for name in vars(klass).get("__slots__", ())}
        # Every field is a slot and an __init__ parameter, or replace() would lose it.
        if set(fields) != slots or not set(internal) <= slots:
            raise TypeError(
                f"{cls.__name__}: __init__ parameters {sorted(fields)}, internal {sorted(internal)}"
                f" must name the __slots__ {sorted(slots)}"
            )
        shown = tuple(name for name in fields if name not in internal)
        cls._fields = fields
        cls._shown = shown
        cls._values = staticmethod(_tuple_getter(shown))
        if not frozen:
            cls.__hash__ = None  # type: ignore[assignment]  # mutable: comparable, unhashable
        if order:
            cls.__lt__ = _ordering("__lt__")  # type: ignore[method-assign]
            cls.__le__ = _ordering("__le__")  # type: ignore[method-assign]
            cls.__gt__ = _ordering("__gt__")  # type: ignore[method-assign]
            cls.__ge__ = _ordering("__ge__")  # type: ignore[method-assign]

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._values(self) == self._values(other)

    def __hash__(self) -> int:
        return hash(self._values(self))

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._shown)
        return f"{self.__class__.__qualname__}({shown})"

    def replace(self, **changes: Any) -> Self:
        """A copy with `changes` applied; an unknown field name raises TypeError."""
        return self.__class__(**(self.to_dict() | changes))

    def to_dict(self) -> dict[str, Any]:
        """Every field (internal ones too) by name; values are not copied."""
        return {name: getattr(self, name) for name in self._fields}


def _init_parameters(cls: type) -> tuple[str, ...]:
    """The parameter names of `cls.__init__` after self, in order: the fields, in order.

    Read from the code object rather than with `inspect.signature`, which would import
    `inspect` (the cost this module exists to avoid).
    """
    code = getattr(cls.__init__, "__code__", None)  # None: object.__init__, no fields
    if code is None:
        return ()
    return code.co_varnames[1 : code.co_argcount + code.co_kwonlyargcount]


def _tuple_getter(names: tuple[str, ...]) -> Any:
    """A function of an instance giving the tuple of its `names` fields."""
    if len(names) > 1:
        return attrgetter(*names)  # a tuple already
    if names:
        only = attrgetter(names[0])  # the bare value: wrapped, so every getter gives a tuple
        return lambda instance: (only(instance),)
    return _no_fields


def _ordering(operator_name: str) -> Any:
    def compare(self: Struct, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return getattr(self._values(self), operator_name)(self._values(other))

    compare.__name__ = operator_name
    return compare
