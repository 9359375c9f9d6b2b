"""A task's payload and destinations as the database stores them (the JSON the commands have
always written), for assertions on what was saved."""

from __future__ import annotations

from typing import Any

from storage import NewTask, Task
from storage.payloads import encode_destinations, encode_payload


def payload_json(task: Task | NewTask) -> dict[str, Any]:
    return encode_payload(task.payload)


def destinations_json(task: Task | NewTask) -> list[dict[str, Any]]:
    return encode_destinations(task.destinations)
