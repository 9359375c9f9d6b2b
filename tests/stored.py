"""A task's payload and destinations as the database stores them (the JSON the commands have
always written), for assertions on what was saved."""

from __future__ import annotations

from typing import Any

from storage import NewTask, Task
from storage.payloads import encode_destinations, encode_payload

# Byte for byte what Cadence has stored in `tasks.payload` and `tasks.destinations`
# (dump_json: compact, UTF-8), by who wrote it.
PAYLOADS = {
    "code task": "{}",
    "bench and seed": '{"variants":[{"content":"hello"}]}',
    "slash create, plain": (
        '{"variants":[{"content":"Stand-up time!"}],"rotation":"sequential",'
        '"mentions":{"everyone":false,"roles":[],"users":true}}'
    ),
    "slash create, embed": (
        '{"variants":[{"embed":{"title":"Stand-up","description":"Room 4 ☕","footer":"weekly",'
        '"image_url":"https://x.test/a.png","color":16746496}}],"rotation":"sequential",'
        '"mentions":{"everyone":true,"roles":[123456789012345678],"users":true}}'
    ),
    "content and embed, random": (
        '{"variants":[{"content":"a","embed":{"description":"b"}},{"content":"c"}],'
        '"rotation":"random","mentions":{"everyone":false,"roles":[],"users":true}}'
    ),
    "colour only embed (import)": '{"variants":[{"content":"x","embed":{"color":5}}]}',
    "embed fields": (
        '{"variants":[{"embed":{"title":"t","fields":[{"name":"Who","value":"all",'
        '"inline":false}]}}]}'
    ),
}
DESTINATIONS = {
    "channel": '[{"type":"channel","channel_id":333333333333333333}]',
    "announcement, published": '[{"type":"channel","channel_id":5,"publish":true}]',
    "thread": '[{"type":"thread","channel_id":5,"thread_id":6}]',
    "webhook": (
        '[{"type":"webhook","channel_id":5,"webhook_id":7,"webhook_token":"tok","name":"Herald"}]'
    ),
    "webhook in a thread, with avatar": (
        '[{"type":"webhook","channel_id":5,"webhook_id":7,"webhook_token":"tok",'
        '"name":"Herald","avatar_url":"https://x.test/a.png","thread_id":6}]'
    ),
    "several": (
        '[{"type":"channel","channel_id":1},{"type":"thread","channel_id":1,"thread_id":2},'
        '{"type":"channel","channel_id":3,"publish":true}]'
    ),
    "none": "[]",
}


def payload_json(task: Task | NewTask) -> dict[str, Any]:
    return encode_payload(task.payload)


def destinations_json(task: Task | NewTask) -> list[dict[str, Any]]:
    return encode_destinations(task.destinations)
