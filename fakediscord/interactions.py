"""Interactions the emulator sent: their tokens, deadlines and what the bot answered."""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from typing import Any

from fakediscord.messages import EPHEMERAL, MessageStore, StoredMessage
from fakediscord.notify import Notifier

log = logging.getLogger(__name__)

PING, APPLICATION_COMMAND, MESSAGE_COMPONENT, AUTOCOMPLETE, MODAL_SUBMIT = 1, 2, 3, 4, 5
PONG, MESSAGE, DEFERRED_MESSAGE, DEFERRED_UPDATE, UPDATE_MESSAGE = 1, 4, 5, 6, 7
AUTOCOMPLETE_RESULT, MODAL = 8, 9

#: Which initial answers Discord accepts for each interaction type.
ALLOWED_CALLBACKS: dict[int, frozenset[int]] = {
    PING: frozenset({PONG}),
    APPLICATION_COMMAND: frozenset({MESSAGE, DEFERRED_MESSAGE, MODAL}),
    MESSAGE_COMPONENT: frozenset(
        {MESSAGE, DEFERRED_MESSAGE, DEFERRED_UPDATE, UPDATE_MESSAGE, MODAL}
    ),
    AUTOCOMPLETE: frozenset({AUTOCOMPLETE_RESULT}),
    MODAL_SUBMIT: frozenset({MESSAGE, DEFERRED_MESSAGE, DEFERRED_UPDATE, UPDATE_MESSAGE}),
}


@dataclass
class Callback:
    """One ``POST /interactions/{id}/{token}/callback`` as received, and how it was answered."""

    type: int
    data: dict[str, Any] | None
    at: float
    status: int
    error_code: int | None = None

    @property
    def accepted(self) -> bool:
        """True when the emulator accepted it (2xx)."""
        return self.status < 300

    @property
    def ephemeral(self) -> bool:
        """True when the answer asked for flag 64."""
        return bool(int((self.data or {}).get("flags") or 0) & EPHEMERAL)


class Interaction:
    """A handle on one interaction the emulator dispatched, for tests to inspect and await."""

    def __init__(
        self,
        *,
        interaction_id: int,
        token: str,
        type: int,
        payload: dict[str, Any],
        created_at: float,
        store: MessageStore,
        notifier: Notifier,
        source_message_id: int | None = None,
    ) -> None:
        self.id = interaction_id
        self.token = token
        self.type = type
        self.payload = payload
        self.created_at = created_at
        self.guild_id = int(payload["guild_id"]) if payload.get("guild_id") else None
        self.channel_id = int(payload["channel_id"]) if payload.get("channel_id") else None
        user = (payload.get("member") or {}).get("user") or payload.get("user") or {}
        self.user_id = int(user["id"]) if user.get("id") else None
        self.source_message_id = source_message_id
        self.callbacks: list[Callback] = []
        self.followups: list[StoredMessage] = []
        self.original_id: int | None = None
        self.response_type: int | None = None
        self.modal: dict[str, Any] | None = None
        self.choices: list[dict[str, Any]] | None = None
        self.resolved_after_defer = False
        self._store = store
        self._notifier = notifier

    def __repr__(self) -> str:
        return f"<Interaction id={self.id} type={self.type} response={self.response_type}>"

    @property
    def acknowledged(self) -> bool:
        """True once an initial answer was accepted."""
        return self.response_type is not None

    @property
    def original(self) -> StoredMessage | None:
        """The original response message (for type 4/5), or the updated source (type 6/7)."""
        if self.original_id is not None:
            return self._store.get(self.original_id)
        if self.response_type in (DEFERRED_UPDATE, UPDATE_MESSAGE) and self.source_message_id:
            return self._store.get(self.source_message_id)
        return None

    @property
    def message(self) -> StoredMessage | None:
        """Alias of :attr:`original`."""
        return self.original

    @property
    def ephemeral(self) -> bool:
        """True when the initial answer was ephemeral."""
        first = self.first_accepted()
        return first.ephemeral if first is not None else False

    @property
    def done(self) -> bool:
        """True when the user sees a final answer (not just "thinking")."""
        if self.response_type in (MESSAGE, UPDATE_MESSAGE, AUTOCOMPLETE_RESULT, MODAL, PONG):
            return True
        if self.response_type in (DEFERRED_MESSAGE, DEFERRED_UPDATE):
            return self.resolved_after_defer or bool(self.followups)
        return False

    def first_accepted(self) -> Callback | None:
        """The accepted initial answer, if any."""
        return next((c for c in self.callbacks if c.accepted), None)

    async def response(self, timeout: float = 5.0) -> Callback:  # noqa: ASYNC109
        """Wait for the bot's accepted initial answer (raises TimeoutError)."""
        return await self._notifier.wait_for(self.first_accepted, timeout)

    async def callback_attempt(self, timeout: float = 5.0) -> Callback:  # noqa: ASYNC109
        """Wait for the first callback the bot sent, accepted or refused."""
        return await self._notifier.wait_for(
            lambda: self.callbacks[0] if self.callbacks else None, timeout
        )

    async def wait_done(self, timeout: float = 5.0) -> Interaction:  # noqa: ASYNC109
        """Wait until :attr:`done` (a message, an edit after a defer, a modal, choices)."""
        return await self._notifier.wait_for(lambda: self if self.done else None, timeout)

    async def wait_followups(
        self,
        count: int = 1,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> list[StoredMessage]:
        """Wait until at least ``count`` followups were sent."""
        return await self._notifier.wait_for(
            lambda: list(self.followups) if len(self.followups) >= count else None, timeout
        )


class InteractionRegistry:
    """Every interaction dispatched, by id and by token."""

    def __init__(self, store: MessageStore, notifier: Notifier) -> None:
        self._store = store
        self._notifier = notifier
        self.by_id: dict[int, Interaction] = {}
        self.by_token: dict[str, Interaction] = {}

    def create(
        self,
        interaction_id: int,
        type: int,
        payload: dict[str, Any],
        created_at: float,
        source_message_id: int | None = None,
    ) -> Interaction:
        """Register a new interaction; its token is put into ``payload``."""
        token = "aW50ZXJhY3Rpb24." + secrets.token_urlsafe(48)
        payload["token"] = token
        handle = Interaction(
            interaction_id=interaction_id,
            token=token,
            type=type,
            payload=payload,
            created_at=created_at,
            store=self._store,
            notifier=self._notifier,
            source_message_id=source_message_id,
        )
        self.by_id[interaction_id] = handle
        self.by_token[token] = handle
        return handle

    def get(self, interaction_id: int) -> Interaction | None:
        """An interaction by id."""
        return self.by_id.get(interaction_id)

    def for_token(self, token: str) -> Interaction | None:
        """An interaction by its token."""
        return self.by_token.get(token)

    def all_callbacks(self) -> list[tuple[Interaction, Callback]]:
        """Every callback received, in order."""
        pairs = [(i, c) for i in self.by_id.values() for c in i.callbacks]
        return sorted(pairs, key=lambda pair: pair[1].at)
