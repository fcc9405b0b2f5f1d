"""engine.struct.Struct: the equality, hashing, order, repr and replace that subclasses rely on."""

from __future__ import annotations

import pytest

from engine.filterpattern import parse
from engine.filterpattern.ast import And, Key, Or, RegexValue, StringValue
from engine.filterpattern.printer import to_text
from engine.rules.problems import Problem
from engine.struct import Struct


class Point(Struct):
    __slots__ = ("x", "y", "label")

    def __init__(self, x: int, y: int, label: str = "") -> None:
        self.x = x
        self.y = y
        self.label = label


class Spelt(Struct, internal=("spelling",), order=True):
    __slots__ = ("value", "spelling")

    def __init__(self, value: int, spelling: str = "") -> None:
        self.value = value
        self.spelling = spelling


class Counter(Struct, frozen=False):
    __slots__ = ("count",)

    def __init__(self, count: int = 0) -> None:
        self.count = count


def test_equal_fields_make_equal_and_equally_hashed_instances() -> None:
    assert Point(1, 2) == Point(1, 2)
    assert hash(Point(1, 2)) == hash(Point(1, 2))
    assert Point(1, 2) != Point(2, 1)
    assert len({Point(1, 2), Point(1, 2), Point(1, 3)}) == 2


def test_instances_of_different_classes_never_compare_equal() -> None:
    # A dataclass's rule, kept: same field values in another class are another value.
    assert Key("a") != RegexValue("a")
    assert And((Key("a"),)) != Or((Key("a"),))  # type: ignore[arg-type]
    assert Point(1, 2) != (1, 2, "")


def test_internal_fields_are_left_out_of_equality_hashing_and_repr() -> None:
    assert Spelt(1, "one") == Spelt(1, "1")
    assert hash(Spelt(1, "one")) == hash(Spelt(1, "1"))
    assert repr(Spelt(1, "one")) == "Spelt(value=1)"
    assert StringValue("x", quoted=True) == StringValue("x", quoted=False)


def test_repr_shows_fields_in_init_order() -> None:
    assert repr(Point(1, 2, "p")) == "Point(x=1, y=2, label='p')"


def test_order_compares_fields_in_init_order() -> None:
    problems = [
        Problem("b.yaml", 1, 1, "x"),
        Problem("a.yaml", 9, 9, "x"),
        Problem("a.yaml", 2, 5, "x"),
    ]
    assert [(p.file, p.line) for p in sorted(problems)] == [
        ("a.yaml", 2),
        ("a.yaml", 9),
        ("b.yaml", 1),
    ]
    assert Spelt(1) < Spelt(2) <= Spelt(2) and Spelt(3) > Spelt(2) >= Spelt(2)
    with pytest.raises(TypeError):
        _ = Point(1, 2) < Point(2, 3)  # type: ignore[operator]  # not ordered


def test_replace_copies_every_field_and_applies_the_changes() -> None:
    original = Spelt(1, "one")
    changed = original.replace(value=2)
    assert (changed.value, changed.spelling) == (2, "one")
    assert (original.value, original.spelling) == (1, "one")
    with pytest.raises(TypeError):
        original.replace(colour="red")


def test_to_dict_holds_every_field_including_internal_ones() -> None:
    assert Spelt(1, "one").to_dict() == {"value": 1, "spelling": "one"}


def test_a_mutable_struct_compares_but_does_not_hash() -> None:
    assert Counter(1) == Counter(1)
    with pytest.raises(TypeError):
        hash(Counter(1))


def test_instances_have_no_dict_so_a_misspelt_field_fails_loudly() -> None:
    point = Point(1, 2)
    with pytest.raises(AttributeError):
        point.z = 3  # type: ignore[attr-defined]


def test_slots_and_init_parameters_must_name_the_same_fields() -> None:
    with pytest.raises(TypeError, match="__slots__"):

        class Missing(Struct):  # replace() would drop `b`: refused at definition
            __slots__ = ("a", "b")

            def __init__(self, a: int) -> None:
                self.a = a

    with pytest.raises(TypeError, match="internal"):

        class Unknown(Struct, internal=("c",)):
            __slots__ = ("a",)

            def __init__(self, a: int) -> None:
                self.a = a


@pytest.mark.parametrize(
    "pattern",
    [
        '{ $.eventName = "Delete*" && $.userIdentity.type != "AWSService" }',
        "{ ($.a[*].b = %x+% || $.c.* IS NULL) && $.d NOT EXISTS }",
        "{ $.n >= 5e+1 }",
    ],
)
def test_a_printed_pattern_parses_back_to_an_equal_tree(pattern: str) -> None:
    node = parse(pattern).node
    assert parse(to_text(node)).node == node
    assert hash(parse(to_text(node)).node) == hash(node)
