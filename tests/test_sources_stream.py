"""The streaming CloudWatch Logs reader against the plain one (engine/sources/cloudwatch.py).

`iter_cloudwatch_data` must give exactly what `iter_log_events(decode_cloudwatch_payload(…))`
gives on every payload, except where its docstring says otherwise: JSON that breaks inside or
after the logEvents array (the events before the break come out, then the same error), and a
header key repeated after the array (reported). Payloads are generated with random key order,
missing keys, odd log events and every whitespace style, and read with text chunks of a few
characters, so that chunk boundaries fall everywhere: inside numbers, strings, escapes,
separators and multi-byte characters.
"""

from __future__ import annotations

import base64
import gzip
import json
import tracemalloc
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.model import Origin, SourceProblem, SourceRecord
from engine.sources import cloudwatch
from engine.sources.cloudwatch import (
    decode_cloudwatch_payload,
    iter_cloudwatch_data,
    iter_log_events,
)
from engine.sources.errors import SourceError

BASE = Origin("kinesis", kinesis_sequence="4960", path="event.json", line=3)
Outcome = list[Any]  # the items, then ("error", message) if the reader raised


def encode(text: str) -> str:
    return base64.b64encode(gzip.compress(text.encode("utf-8"), mtime=0)).decode("ascii")


def plain(data: str) -> Outcome:
    try:
        return list(iter_log_events(decode_cloudwatch_payload(data), BASE))
    except SourceError as exc:
        return [("error", str(exc))]


def streamed(data: str) -> Outcome:
    items: Outcome = []
    try:
        for item in iter_cloudwatch_data(data, BASE):
            items.append(item)
    except SourceError as exc:
        items.append(("error", str(exc)))
    return items


@contextmanager
def text_chunks(size: int) -> Iterator[None]:
    saved = cloudwatch._TEXT_CHUNK
    cloudwatch._TEXT_CHUNK = size
    try:
        yield
    finally:
        cloudwatch._TEXT_CHUNK = saved


# --- generated payloads ---------------------------------------------------------------------

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**20), 10**20),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=8),
)
records = st.fixed_dictionaries(
    {"eventName": st.sampled_from(["AssumeRole", "StopLogging"]), "eventID": st.uuids().map(str)},
    optional={"n": st.floats(allow_nan=False), "note": st.text(max_size=12)},
)
messages = st.one_of(
    records.map(lambda record: json.dumps(record, ensure_ascii=False)),  # the usual case
    st.sampled_from(["[1, 2]", "12", '"text"', "{not json", "", "[" * 5000]),
    scalars,  # not a string at all
)
log_events = st.one_of(
    st.fixed_dictionaries(
        {
            "id": st.one_of(st.text(max_size=6), st.integers(0, 10**6)),
            "timestamp": st.integers(0, 2**42),
            "message": messages,
        },
        optional={"extra": scalars},
    ),
    st.fixed_dictionaries({}, optional={"id": st.just("x"), "message": messages}),
    scalars,
    st.lists(scalars, max_size=2),
)
# Mostly AWS's order with every header key; sometimes keys missing, moved or repeated, a
# control message, or a logEvents that is not an array: those the plain reader decides.
header_values = {
    "messageType": st.sampled_from(["DATA_MESSAGE", "DATA_MESSAGE", "CONTROL_MESSAGE", 7]),
    "owner": st.just("111122223333"),
    "logGroup": st.one_of(st.text(max_size=10), st.integers(), st.none()),
    "logStream": st.text(max_size=10),
    "subscriptionFilters": st.lists(st.text(max_size=5), max_size=2),
    "policyLevel": st.just("ACCOUNT_LEVEL_POLICY"),
}


@st.composite
def payload_texts(draw: st.DrawFn) -> str:
    names = [name for name in header_values if draw(st.integers(0, 9)) > 0]
    members = [(name, draw(header_values[name])) for name in names]
    events: Any = draw(st.lists(log_events, max_size=8))
    if draw(st.integers(0, 19)) == 0:
        events = draw(scalars)
    at = draw(st.integers(0, len(members))) if draw(st.booleans()) else len(members)
    if draw(st.integers(0, 4)) == 0:
        at = draw(st.integers(0, len(members)))  # logEvents before some header keys
    elif "policyLevel" in names:
        at = min(at, len(members))
    members.insert(at, ("logEvents", events))
    if draw(st.integers(0, 9)) == 0:  # a key given twice (JSON keeps the last)
        members.insert(draw(st.integers(0, at)), (draw(st.sampled_from(names or ["x"])), "first"))
    item, key = draw(
        st.sampled_from([(",", ":"), (", ", ": "), (" ,\n\t", " :\r\n"), (",\n  ", ": ")])
    )
    ascii_only = draw(st.booleans())
    body = item.join(
        json.dumps(name) + key + json.dumps(value, separators=(item, key), ensure_ascii=ascii_only)
        for name, value in members
    )
    space = draw(st.sampled_from(["", " ", "\n", " \r\n\t "]))
    return space + "{" + space + body + space + "}" + space


def repeats_after_events(text: str) -> bool:
    """Whether a key the streaming reader has used already comes again after logEvents."""
    pairs = json.loads(text, object_pairs_hook=lambda pairs: pairs)
    names = [name for name, _ in pairs] if isinstance(pairs, list) else []
    if "logEvents" not in names:
        return False
    later = names[names.index("logEvents") + 1 :]
    return any(name in {"messageType", "logGroup", "logStream", "logEvents"} for name in later)


settings_here = settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@settings_here
@given(payload_texts(), st.sampled_from([1, 2, 3, 7, 64, 1 << 16]))
def test_streaming_and_plain_readers_agree(text: str, chunk: int) -> None:
    data = encode(text)
    expected = plain(data)
    with text_chunks(chunk):
        got = streamed(data)
    if repeats_after_events(text) and got != expected:
        # The documented difference: the first value was used, and a problem says so.
        assert isinstance(got[-1], SourceProblem)
        assert "after logEvents (a duplicate JSON key)" in got[-1].message
    else:
        assert got == expected


@settings_here
@given(
    payload_texts(),
    st.sampled_from([1, 3, 64]),
    st.floats(0, 1),
    st.sampled_from(["", "}", "]", ",", ":", "\x00", '"', "[", "x"]),
)
def test_broken_json_gives_the_plain_error_after_a_prefix_of_the_events(
    text: str, chunk: int, where: float, junk: str
) -> None:
    """Cut the text (junk "") or insert one character: when that breaks the JSON, the
    streaming reader raises the plain reader's error, after none or some of the events the
    intact payload has, in order."""
    cut = int(len(text) * where)
    broken = text[:cut] + junk + (text[cut:] if junk else "")
    expected = plain(encode(broken))
    with text_chunks(chunk):
        got = streamed(encode(broken))
    if not (expected and isinstance(expected[-1], tuple)):
        return  # still valid JSON: the agreement test's business
    if not expected[-1][1].startswith("not JSON"):
        assert got == expected  # broken before any event: nothing streamed
        return
    assert got[-1] == expected[-1]
    intact = plain(encode(text))
    assert got[:-1] == intact[: len(got) - 1]


def test_aws_shaped_payload_streams_every_record_with_its_origin() -> None:
    events = [
        {"id": f"{i:056d}", "timestamp": i, "message": json.dumps({"eventID": str(i)})}
        for i in range(300)
    ]
    payload = {
        "messageType": "DATA_MESSAGE",
        "owner": "1",
        "logGroup": "trail",
        "logStream": "s",
        "subscriptionFilters": ["f"],
        "logEvents": events,
        "policyLevel": "ACCOUNT_LEVEL_POLICY",
    }
    with text_chunks(100):
        items = list(iter_cloudwatch_data(encode(json.dumps(payload)), BASE))
    assert [item.record["eventID"] for item in items] == [str(i) for i in range(300)]
    assert items[7] == SourceRecord(
        {"eventID": "7"},
        Origin(
            "kinesis",
            log_group="trail",
            log_stream="s",
            log_event_id=f"{7:056d}",
            kinesis_sequence="4960",
            path="event.json",
            line=3,
        ),
    )


def test_a_header_key_repeated_after_the_events_is_reported() -> None:
    text = (
        '{"messageType":"DATA_MESSAGE","logGroup":"a","logStream":"s",'
        '"logEvents":[{"id":"1","message":"{}"}],"logGroup":"b"}'
    )
    assert [item.origin.log_group for item in plain(encode(text))] == ["b"]
    record, problem = streamed(encode(text))
    assert record == SourceRecord(
        {}, Origin("kinesis", "a", "s", "1", None, None, "4960", "event.json", 3)
    )
    assert isinstance(problem, SourceProblem)
    assert problem.message == (
        "the payload repeats 'logGroup' after logEvents (a duplicate JSON key);"
        " its log events were read with the first value"
    )


def test_damaged_gzip_yields_nothing_before_the_error() -> None:
    """The CRC is checked before the first event: damage never reads as records."""
    raw = bytearray(gzip.compress(b'{"messageType":"DATA_MESSAGE","logEvents":[]}' * 1, mtime=0))
    raw[-8] ^= 1  # the CRC
    data = base64.b64encode(bytes(raw)).decode()
    assert (
        streamed(data)
        == plain(data)
        == [
            (
                "error",
                "corrupt or truncated gzip data:"
                " Error -3 while decompressing data: incorrect data check",
            )
        ]
    )
    truncated = base64.b64encode(gzip.compress(b"{}" * 1000)[:-20]).decode()
    assert streamed(truncated) == plain(truncated)
    assert streamed(truncated)[0][1].startswith("corrupt or truncated gzip data: Error -5")


@pytest.mark.parametrize(
    "text",
    [
        '{"messageType":"DATA_MESSAGE","logGroup":"g","logStream":"s","logEvents":[]}',
        '{"messageType":"DATA_MESSAGE","logGroup":"g","logStream":"s","logEvents":[ ] }\n',
        "[]",
        "",
        " ",
        "\ufeff{}",
    ],
)
def test_edge_payloads_agree(text: str) -> None:
    with text_chunks(2):
        assert streamed(encode(text)) == plain(encode(text))


def test_invalid_utf8_after_events_gives_the_plain_error() -> None:
    head = '{"messageType":"DATA_MESSAGE","logGroup":"g","logStream":"s","logEvents":['
    good = "".join(f'{{"id":"{i}","message":"{{}}"}},' for i in range(50))
    raw = (head + good).encode() + b'{"id":"50","message":"\xff"}]}'
    data = base64.b64encode(gzip.compress(raw, mtime=0)).decode()
    expected = plain(data)
    bad_byte = raw.index(b"\xff")
    assert expected == [("error", f"not UTF-8 text (byte {bad_byte})")]
    with text_chunks(8):
        got = streamed(data)
    assert got[-1] == expected[-1]
    # Every event whole before the chunk holding the bad byte came out first.
    assert [item.origin.log_event_id for item in got[:-1]] == [str(i) for i in range(50)]


def test_streaming_holds_far_less_than_the_plain_reader() -> None:
    """The point of streaming: the messages of a batch are never all alive at once."""
    events = [
        {"id": str(i), "timestamp": i, "message": json.dumps({"eventID": str(i), "pad": "x" * 900})}
        for i in range(3000)
    ]
    payload = {
        "messageType": "DATA_MESSAGE",
        "logGroup": "g",
        "logStream": "s",
        "logEvents": events,
    }
    data = encode(json.dumps(payload))

    def peak(read: Any) -> int:
        tracemalloc.start()
        try:
            for _ in read(data):
                pass
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    text_bytes = len(json.dumps(payload))
    streaming = peak(lambda d: iter_cloudwatch_data(d, BASE))
    whole = peak(lambda d: iter_log_events(decode_cloudwatch_payload(d), BASE))
    assert streaming < 1.3 * text_bytes  # the inflated bytes, and little else
    assert whole > 2.5 * text_bytes


def test_json_cut_inside_the_events_streams_those_before_the_cut() -> None:
    events = [{"id": str(i), "message": json.dumps({"eventID": str(i)})} for i in range(100)]
    text = json.dumps(
        {"messageType": "DATA_MESSAGE", "logGroup": "g", "logStream": "s", "logEvents": events}
    )
    cut = text.index('{"id": "60"')
    expected = plain(encode(text[:cut]))
    assert expected == [("error", f"not JSON: Expecting value (line 1, column {cut + 1})")]
    with text_chunks(256):
        got = streamed(encode(text[:cut]))
    assert got[-1] == expected[-1]
    assert [item.record["eventID"] for item in got[:-1]] == [str(i) for i in range(60)]


# --- each log event's message: cloudwatch._loads must read exactly as json.loads --------------


def read_with(read: Any, text: str) -> tuple[Any, ...]:
    try:
        return ("value", read(text))
    except json.JSONDecodeError as exc:
        return ("error", str(exc))
    except RecursionError:
        return ("too deep",)


@pytest.mark.parametrize(
    "text",
    [
        '{"eventName":"GetObject","n":1}',
        ' {"a":1}',
        '{"a":1} ',
        '{"a": 1}\n',
        '{"a":1}x',
        '{"a":1}{}',
        '{"a":1',
        "",
        " ",
        "\ufeff{}",
        '{"a":NaN,"b":-Infinity}',
        '{"a":"\\ud800"}',
        '"just a string"',
        "1e5",
        "1e",
        "[" * 100_000,
    ],
)
def test_a_message_reads_exactly_as_json_loads_reads_it(text: str) -> None:
    assert read_with(cloudwatch._loads, text) == read_with(json.loads, text)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=4), inner),
    max_leaves=12,
)
surroundings = st.sampled_from(["", "", " ", "\n", "\t ", "x", "}", ",", "0", '"'])


@settings_here
@given(json_values, surroundings, surroundings, st.booleans())
def test_any_message_reads_exactly_as_json_loads_reads_it(
    value: Any, before: str, after: str, compact: bool
) -> None:
    text = before + json.dumps(value, separators=(",", ":") if compact else None) + after
    assert read_with(cloudwatch._loads, text) == read_with(json.loads, text)
