"""Discord's HTTP error answers: status, JSON error code, message and the form-error tree."""

from __future__ import annotations

from typing import Any


class DiscordError(Exception):
    """An error answer: raised anywhere in a handler, turned into JSON by the middleware."""

    def __init__(
        self,
        status: int,
        code: int,
        message: str,
        errors: dict[str, Any] | None = None,
        *,
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(f"{status} {code} {message}")
        self.status = status
        self.code = code
        self.message = message
        self.errors = errors
        self.headers = headers or {}
        self.extra = extra or {}

    def body(self) -> dict[str, Any]:
        """The JSON body Discord sends for this error."""
        data: dict[str, Any] = {"message": self.message, "code": self.code}
        if self.errors:
            data["errors"] = self.errors
        data.update(self.extra)
        return data


class ErrorTree:
    """Collects field errors into Discord's nested ``errors`` shape for a 50035 answer."""

    def __init__(self) -> None:
        self.errors: dict[str, Any] = {}

    def add(self, path: tuple[str | int, ...], code: str, message: str) -> None:
        """Record an error at ``path`` (e.g. ``("embeds", 0, "title")``)."""
        node = self.errors
        for part in path:
            node = node.setdefault(str(part), {})
        node.setdefault("_errors", []).append({"code": code, "message": message})

    def too_long(self, path: tuple[str | int, ...], limit: int) -> None:
        """The common BASE_TYPE_MAX_LENGTH error."""
        self.add(path, "BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer in length.")

    def required(self, path: tuple[str | int, ...]) -> None:
        """The common BASE_TYPE_REQUIRED error."""
        self.add(path, "BASE_TYPE_REQUIRED", "This field is required")

    def __bool__(self) -> bool:
        return bool(self.errors)

    def raise_if_any(self) -> None:
        """Raise the 400 50035 Invalid Form Body answer when any error was recorded."""
        if self.errors:
            raise invalid_form(self.errors)


def invalid_form(errors: dict[str, Any]) -> DiscordError:
    """400 50035 Invalid Form Body."""
    return DiscordError(400, 50035, "Invalid Form Body", errors)


def single_field_error(field: str, code: str, message: str) -> DiscordError:
    """400 50035 with one field error."""
    tree = ErrorTree()
    tree.add((field,), code, message)
    return invalid_form(tree.errors)


def unauthorized() -> DiscordError:
    """401 with Discord's body for a missing or wrong token."""
    return DiscordError(401, 0, "401: Unauthorized")


def not_found_route() -> DiscordError:
    """404 for a route the emulator does not know."""
    return DiscordError(404, 0, "404: Not Found")


def unknown_application() -> DiscordError:
    return DiscordError(404, 10002, "Unknown Application")


def unknown_channel() -> DiscordError:
    return DiscordError(404, 10003, "Unknown Channel")


def unknown_guild() -> DiscordError:
    return DiscordError(404, 10004, "Unknown Guild")


def unknown_member() -> DiscordError:
    return DiscordError(404, 10007, "Unknown Member")


def unknown_message() -> DiscordError:
    return DiscordError(404, 10008, "Unknown Message")


def unknown_role() -> DiscordError:
    return DiscordError(404, 10011, "Unknown Role")


def unknown_webhook() -> DiscordError:
    return DiscordError(404, 10015, "Unknown Webhook")


def unknown_interaction() -> DiscordError:
    return DiscordError(404, 10062, "Unknown interaction")


def unknown_command() -> DiscordError:
    return DiscordError(404, 10063, "Unknown application command")


def not_app_owner() -> DiscordError:
    message = "You are not authorized to perform this action on this application"
    return DiscordError(403, 20012, message)


def missing_access() -> DiscordError:
    return DiscordError(403, 50001, "Missing Access")


def missing_permissions() -> DiscordError:
    return DiscordError(403, 50013, "Missing Permissions")


def cannot_edit_others() -> DiscordError:
    return DiscordError(403, 50005, "Cannot edit a message authored by another user")


def empty_message() -> DiscordError:
    return DiscordError(400, 50006, "Cannot send an empty message")


def wrong_channel_type() -> DiscordError:
    return DiscordError(400, 50024, "Cannot execute action on this channel type")


def invalid_webhook_token() -> DiscordError:
    return DiscordError(401, 50027, "Invalid Webhook Token")


def already_crossposted() -> DiscordError:
    return DiscordError(400, 40033, "This message has already been crossposted.")


def already_acknowledged() -> DiscordError:
    return DiscordError(400, 40060, "Interaction has already been acknowledged.")


def too_large() -> DiscordError:
    return DiscordError(413, 40005, "Request entity too large")
