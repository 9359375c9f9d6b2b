"""The JSON of `tasks.payload` and `tasks.destinations` decodes to the typed records and
encodes back to the same bytes, so rows written before the records existed need no migration."""

from __future__ import annotations

import json

import pytest

from storage import (
    ChannelDestination,
    Embed,
    EmbedField,
    Mentions,
    Payload,
    Rotation,
    ThreadDestination,
    Variant,
    WebhookDestination,
)
from storage._codec import dump_json
from storage.payloads import (
    decode_destinations,
    decode_payload,
    encode_destinations,
    encode_payload,
)
from tests.stored import DESTINATIONS, PAYLOADS


@pytest.mark.parametrize("stored", PAYLOADS.values(), ids=PAYLOADS.keys())
def test_a_stored_payload_round_trips_byte_for_byte(stored: str) -> None:
    assert dump_json(encode_payload(decode_payload(json.loads(stored)))) == stored


@pytest.mark.parametrize("stored", DESTINATIONS.values(), ids=DESTINATIONS.keys())
def test_stored_destinations_round_trip_byte_for_byte(stored: str) -> None:
    assert dump_json(encode_destinations(decode_destinations(json.loads(stored)))) == stored


def test_a_payload_decodes_to_typed_records() -> None:
    payload = decode_payload(json.loads(PAYLOADS["slash create, embed"]))
    assert payload == Payload(
        variants=(
            Variant(
                embed=Embed(
                    title="Stand-up",
                    description="Room 4 ☕",
                    footer="weekly",
                    image_url="https://x.test/a.png",
                    color=0xFF8800,
                )
            ),
        ),
        rotation=Rotation.SEQUENTIAL,
        mentions=Mentions(everyone=True, roles=(123456789012345678,), users=True),
    )
    fields = decode_payload(json.loads(PAYLOADS["embed fields"])).variants[0].embed
    assert fields is not None and fields.fields == (EmbedField("Who", "all"),)


def test_what_is_not_stored_reads_as_the_defaults() -> None:
    payload = decode_payload({})
    assert payload == Payload() and payload.variants == ()
    assert payload.rotation_mode == Rotation.SEQUENTIAL
    assert payload.approved == Mentions(everyone=False, roles=(), users=False)


def test_destinations_decode_to_their_kinds() -> None:
    decoded = decode_destinations(json.loads(DESTINATIONS["several"]))
    assert decoded == (
        ChannelDestination(1),
        ThreadDestination(channel_id=1, thread_id=2),
        ChannelDestination(3, publish=True),
    )
    [hook] = decode_destinations(json.loads(DESTINATIONS["webhook in a thread, with avatar"]))
    assert hook == WebhookDestination(
        channel_id=5,
        webhook_id=7,
        webhook_token="tok",
        name="Herald",
        avatar_url="https://x.test/a.png",
        thread_id=6,
    )
    assert [d.target_id for d in decoded] == [1, 2, 3] and hook.target_id == 6


def test_an_import_written_webhook_keeps_its_values_in_another_key_order() -> None:
    # /schedule import wrote the identity first: the same JSON value, another key order.
    stored = [
        {"name": "Hi", "type": "webhook", "channel_id": 5, "thread_id": 6},
    ]
    stored[0].update(webhook_id=7, webhook_token="tok")
    assert encode_destinations(decode_destinations(stored)) == stored


@pytest.mark.parametrize(
    ("stored", "expected"),
    [
        ([{"channel_id": "2305843009213694075"}], ChannelDestination(2305843009213694075)),
        ([{"type": "channel", "channel_id": 4, "publish": False}], ChannelDestination(4)),
        ([{"type": "channel", "channel_id": 4, "thread_id": 9}], ThreadDestination(4, 9)),
        ([{"type": "webhook", "url": "x"}], WebhookDestination(channel_id=0)),
    ],
    ids=["snowflake-as-string", "publish-false", "channel-with-thread", "unknown-keys"],
)
def test_older_shapes_are_read_leniently(stored: list[object], expected: object) -> None:
    assert decode_destinations(stored) == (expected,)


def test_a_payload_without_variants_or_garbage_is_empty() -> None:
    assert decode_payload("nonsense") == Payload()
    assert decode_payload({"variants": ["x", {"content": "ok"}]}).variants == (Variant("ok"),)
    assert decode_destinations({"not": "a list"}) == ()
