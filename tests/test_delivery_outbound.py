"""Outbound: identity for dedupe, and the JSON form the failure queue stores."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.delivery import Outbound

DATA = Path(__file__).parent / "data" / "delivery"


def sample() -> Outbound:
    data = json.loads((DATA / "outbound.json").read_text())
    return Outbound(**data | {"rule_ids": tuple(data["rule_ids"])})


def test_json_round_trip_keeps_every_field():
    message = sample()
    assert Outbound.from_json(message.to_json()) == message
    assert isinstance(Outbound.from_json(message.to_json()).rule_ids, tuple)


text = st.text(max_size=40)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(text, inner, max_size=3),
    max_leaves=10,
)


@settings(max_examples=40, deadline=None)
@given(
    channel=text,
    body=text,
    blocks=st.lists(st.dictionaries(text, json_values, max_size=3), max_size=3),
    attachments=st.none() | st.lists(st.dictionaries(text, json_values, max_size=2), max_size=2),
    event_id=st.none() | text,
    rule_ids=st.lists(text, max_size=3).map(tuple),
    origin=st.dictionaries(text, json_values, max_size=3),
)
def test_json_round_trip_of_any_message(
    channel, body, blocks, attachments, event_id, rule_ids, origin
):
    message = Outbound(channel, body, blocks, attachments, event_id, rule_ids, "high", origin)
    assert Outbound.from_json(message.to_json()) == message


def test_key_is_event_and_channel():
    message = sample()
    assert message.key == f"{message.event_id}|#security-alerts"
    assert message.replace(text="other").key == message.key


def test_key_without_event_id_follows_the_content():
    message = sample().replace(event_id=None)
    assert message.key == message.replace().key
    assert message.key != message.replace(text="other").key
    assert message.key != message.replace(channel="#other").key


@pytest.mark.parametrize(
    "text",
    ["", "[]", '{"v": 1}', '{"v": 2, "channel": "#a"}', "not json"],
)
def test_from_json_refuses_what_it_did_not_write(text):
    with pytest.raises(ValueError):
        Outbound.from_json(text)


@pytest.mark.parametrize("change", [{"v": 2}, {"channel": 5}, {"text": None}, {"extra": 1}])
def test_from_json_refuses_a_changed_document(change):
    document = json.loads(sample().to_json()) | change
    with pytest.raises(ValueError):
        Outbound.from_json(json.dumps(document))
