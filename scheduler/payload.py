"""Choosing what a run posts (the variant, by rotation) and the nonce of each post.

A task's payload and destinations are the typed records of `storage.payloads`.
"""

from __future__ import annotations

import hashlib
import string
from datetime import datetime

from storage import Payload, Rotation, Task, Variant

NONCE_MAX = 25
_DIGITS = string.digits + string.ascii_lowercase


def _base36(number: int) -> str:
    if number < 0:
        raise ValueError("base36 takes a non-negative number")
    out = ""
    while True:
        number, rem = divmod(number, 36)
        out = _DIGITS[rem] + out
        if number == 0:
            return out


def make_nonce(task_id: int, scheduled_for: datetime, destination_index: int) -> str:
    """A deterministic nonce for one run's post to one destination, at most 25 characters.

    The same (task, scheduled instant, destination) always gives the same nonce, so a re-send
    after a retry or a crash is recognised by Discord (`enforce_nonce`) and not posted twice.
    """
    ms = int(scheduled_for.timestamp() * 1000)
    nonce = f"c{_base36(task_id)}.{_base36(ms)}.{_base36(destination_index)}"
    if len(nonce) > NONCE_MAX:
        digest = hashlib.blake2b(nonce.encode(), digest_size=12).hexdigest()
        nonce = "h" + digest[: NONCE_MAX - 1]
    return nonce


def pick_variant(
    payload: Payload, rotation_index: int, task_id: int, scheduled_for: datetime
) -> tuple[int, Variant | None]:
    """The variant a run posts (None when the task has none), and its index.

    Sequential rotation takes `rotation_index` modulo the count; random rotation derives its
    choice from (task, instant), so a re-send after a crash posts the same variant.
    """
    options = payload.variants
    if not options:
        return 0, None
    if payload.rotation == Rotation.RANDOM and len(options) > 1:
        seed = f"{task_id}:{int(scheduled_for.timestamp())}".encode()
        index = int.from_bytes(hashlib.blake2b(seed, digest_size=8).digest(), "big") % len(options)
    else:
        index = rotation_index % len(options)
    return index, options[index]


def dry_run_variant(task: Task, now: datetime) -> Variant:
    """What a run of `task` now would post: the message a dry run shows (slash command and
    web API alike), an empty one when the task has none."""
    _, variant = pick_variant(task.payload, task.rotation_index, task.id, now)
    return variant or Variant()
