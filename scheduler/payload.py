"""What a task posts: message variants, rotation and approved mentions, stored as JSON.

The shape of `tasks.payload` for admin tasks::

    {
      "variants": [{"content": "...", "embed": {"title": ..., "description": ..., "color": ...,
                    "footer": ..., "image_url": ..., "fields": [{"name", "value", "inline"}]}}],
      "rotation": "sequential" | "random",
      "mentions": {"everyone": false, "roles": [123], "users": true}
    }

and of `tasks.destinations`: a list of ``{"type": "channel", "channel_id": 1, "publish": false}``
or ``{"type": "thread", "channel_id": 2}`` or
``{"type": "webhook", "channel_id": 1, "webhook_id": 3, "name": "...", "avatar_url": "..."}``.
"""

from __future__ import annotations

import hashlib
import string
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

ROTATION_MODES = ("sequential", "random")
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


def variants(payload: Mapping[str, Any]) -> Sequence[Mapping[str, Any]]:
    found = payload.get("variants")
    if isinstance(found, list) and found:
        return found
    return []


def pick_variant(
    payload: Mapping[str, Any], rotation_index: int, task_id: int, scheduled_for: datetime
) -> tuple[int, Mapping[str, Any]]:
    """The variant a run posts, and its index.

    Sequential rotation takes `rotation_index` modulo the count; random rotation derives its
    choice from (task, instant), so a re-send after a crash posts the same variant.
    """
    options = variants(payload)
    if not options:
        return 0, {}
    if payload.get("rotation") == "random" and len(options) > 1:
        seed = f"{task_id}:{int(scheduled_for.timestamp())}".encode()
        index = int.from_bytes(hashlib.blake2b(seed, digest_size=8).digest(), "big") % len(options)
    else:
        index = rotation_index % len(options)
    return index, options[index]


def allowed_mentions(payload: Mapping[str, Any]) -> Mapping[str, Any]:
    """The mentions approved at save time; nothing else may ping when the task posts."""
    found = payload.get("mentions")
    if not isinstance(found, Mapping):
        return {"everyone": False, "roles": [], "users": False}
    return {
        "everyone": bool(found.get("everyone", False)),
        "roles": [int(r) for r in found.get("roles", [])],
        "users": bool(found.get("users", False)),
    }


def is_webhook(destination: Mapping[str, Any]) -> bool:
    return destination.get("type") == "webhook"
