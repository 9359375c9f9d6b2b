"""What a member puts into components: select menu values and modal answers."""

from __future__ import annotations

from typing import Any

from fakediscord.options import InteractionRefused, Resolved
from fakediscord.validation import walk_components
from fakediscord.world import id_of


def select_values(
    component: dict[str, Any], kind: int, values: list[Any], resolved: Resolved, strict: bool
) -> list[str]:
    """The ``values`` of a select interaction (ids resolved for user/role/channel selects)."""
    if kind == 3:
        offered = [str(o.get("value")) for o in component.get("options") or []]
        picked = [str(v) for v in values]
        if strict and any(v not in offered for v in picked):
            raise InteractionRefused(f"values must be among {offered}")
        return picked
    if kind == 5:
        return [resolved.add_user(v) for v in values]
    if kind == 6:
        return [resolved.add_role(v) for v in values]
    if kind == 7:
        return [resolved.add_mentionable(v) for v in values]
    return [resolved.add_channel(v, component.get("channel_types"), strict) for v in values]


def modal_answers(
    components: list[dict[str, Any]], values: dict[str, Any], strict: bool
) -> list[dict[str, Any]]:
    """The ``components`` of a modal submit, mirroring the modal with the member's answers."""
    unknown = set(values) - {c.get("custom_id") for _, c in walk_components(components)}
    if strict and unknown:
        raise InteractionRefused(f"the modal has no input(s) {sorted(unknown)}")
    return _answers(components, values, strict)


def _answers(
    components: list[dict[str, Any]], values: dict[str, Any], strict: bool
) -> list[dict[str, Any]]:
    answers: list[dict[str, Any]] = []
    for component in components:
        kind = int(component.get("type", 0))
        if kind == 1:
            inner = _answers(component.get("components") or [], values, strict)
            answers.append({"type": 1, "components": inner})
        elif kind == 18 and isinstance(component.get("component"), dict):
            inner = _answers([component["component"]], values, strict)
            if inner:
                answers.append({"type": 18, "component": inner[0]})
        elif kind == 4:
            answers.append(_text_answer(component, values, strict))
        elif kind in (3, 5, 6, 7, 8):
            picked = values.get(component["custom_id"], [])
            chosen = [str(id_of(v)) if not isinstance(v, str) else v for v in picked]
            answers.append({"type": kind, "custom_id": component["custom_id"], "values": chosen})
    return answers


def _text_answer(component: dict[str, Any], values: dict[str, Any], strict: bool) -> dict[str, Any]:
    custom_id = component["custom_id"]
    text = str(values.get(custom_id, component.get("value") or ""))
    if strict:
        if component.get("required", True) and text == "":
            raise InteractionRefused(f"modal input {custom_id!r} is required")
        low, high = component.get("min_length"), component.get("max_length", 4000)
        if text and low is not None and len(text) < int(low):
            raise InteractionRefused(f"modal input {custom_id!r} needs {low}+ characters")
        if len(text) > int(high):
            raise InteractionRefused(f"modal input {custom_id!r} allows {high} characters")
    data: dict[str, Any] = {"type": 4, "custom_id": custom_id, "value": text}
    if "id" in component:
        data["id"] = component["id"]
    return data
