"""Gateway v10 over a WebSocket at ``/``: HELLO, heartbeats, IDENTIFY, READY, RESUME, events.

Plain TEXT frames are sent whatever compression the client asks for (discord.py only
decompresses binary frames). Each session keeps its dispatches with their sequence numbers so
that a RESUME replays what the client missed.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import WSMsgType, web

from fakediscord.identify import IdentifyRefused
from fakediscord.payloads import bot_user_payload, guild_create_payload, member_payload

if TYPE_CHECKING:
    from fakediscord.server import FakeDiscord

log = logging.getLogger(__name__)

DISPATCH, HEARTBEAT, IDENTIFY, PRESENCE, VOICE, RESUME, RECONNECT = 0, 1, 2, 3, 4, 6, 7
REQUEST_MEMBERS, INVALID_SESSION, HELLO, HEARTBEAT_ACK = 8, 9, 10, 11

GUILDS_INTENT, MEMBERS_INTENT, MESSAGES_INTENT = 1 << 0, 1 << 1, 1 << 9
#: privileged intent -> application flags that enable it (full or limited)
PRIVILEGED = {
    1 << 1: (1 << 14) | (1 << 15),
    1 << 8: (1 << 12) | (1 << 13),
    1 << 15: (1 << 18) | (1 << 19),
}

#: Members per GUILD_MEMBERS_CHUNK (Discord's).
CHUNK_SIZE = 1000

Payload = dict[str, Any] | Callable[["Session"], dict[str, Any]]


@dataclass
class Session:
    """One identified gateway session (it outlives its sockets until invalidated)."""

    id: str
    intents: int
    shard: tuple[int, int] | None
    buffer: deque[tuple[int, str]]
    seq: int = 0
    ws: web.WebSocketResponse | None = None
    resumable: bool = True
    #: IDENTIFY's ``large_threshold`` (Discord: 50 to 250, 50 when absent)
    large_threshold: int = 50
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    def covers(self, guild_id: int | None) -> bool:
        """True when this session's shard receives events of ``guild_id``."""
        if guild_id is None or self.shard is None:
            return True
        shard_id, count = self.shard
        return (guild_id >> 22) % count == shard_id

    @property
    def connected(self) -> bool:
        """True while a socket is attached."""
        return self.ws is not None and not self.ws.closed


def _large_threshold(value: Any) -> int:
    """IDENTIFY's ``large_threshold``, clamped to Discord's 50 to 250 (50 when absent)."""
    try:
        return min(250, max(50, int(value)))
    except (TypeError, ValueError):
        return 50


class _Close(Exception):
    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


class Gateway:
    """The gateway endpoint and the test hooks that disturb it."""

    def __init__(self, fd: FakeDiscord) -> None:
        self.fd = fd
        self.sessions: dict[str, Session] = {}
        self.identifies = 0
        self.resumes = 0
        self.received: list[dict[str, Any]] = []
        self._open = asyncio.Event()
        self._open.set()
        self._sockets: set[web.WebSocketResponse] = set()
        self._stalled: set[web.WebSocketResponse] = set()

    # -- connection handling -------------------------------------------------------------

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """The WebSocket handler."""
        await self._open.wait()
        ws = web.WebSocketResponse(compress=False, max_msg_size=0)
        await ws.prepare(request)
        self._sockets.add(ws)
        session: Session | None = None
        try:
            await self._send_raw(ws, {"op": HELLO, "d": self._hello(), "s": None, "t": None})
            async for msg in ws:
                if msg.type != WSMsgType.TEXT or ws in self._stalled:
                    continue
                try:
                    payload = json.loads(msg.data)
                except ValueError:
                    raise _Close(4002, "Decode error") from None
                self.received.append(payload)
                session = await self._on_payload(ws, session, payload)
        except _Close as exc:
            log.info("gateway: closing socket with %s (%s)", exc.code, exc.reason)
            await ws.close(code=exc.code, message=exc.reason.encode())
        finally:
            self._sockets.discard(ws)
            self._stalled.discard(ws)
            if session is not None and session.ws is ws:
                session.ws = None
        return ws

    def _hello(self) -> dict[str, Any]:
        return {"heartbeat_interval": self.fd.settings.heartbeat_interval_ms}

    async def _on_payload(
        self, ws: web.WebSocketResponse, session: Session | None, payload: dict[str, Any]
    ) -> Session | None:
        op = payload.get("op")
        data = payload.get("d")
        if op == HEARTBEAT:
            await self._send_raw(ws, {"op": HEARTBEAT_ACK, "d": None})
            return session
        if op == IDENTIFY:
            if session is not None:
                raise _Close(4005, "Already authenticated")
            return await self._identify_within_limits(ws, data or {})
        if op == RESUME:
            return await self._resume(ws, data or {})
        if session is None:
            raise _Close(4003, "Not authenticated")
        if op == REQUEST_MEMBERS:
            await self._request_members(session, data or {})
        elif op not in (PRESENCE, VOICE):
            raise _Close(4001, "Unknown opcode")
        return session

    def _check_token(self, token: Any) -> None:
        value = str(token or "")
        if value.startswith("Bot "):
            value = value[4:]
        if value != self.fd.world.token:
            raise _Close(4004, "Authentication failed")

    async def _identify_within_limits(
        self, ws: web.WebSocketResponse, data: dict[str, Any]
    ) -> Session | None:
        """IDENTIFY, counted against the token's start limits (fakediscord.identify): too early
        for its rate-limit key is answered op 9 ``d: false``; past the day's limit, 4004."""
        try:
            return await self._identify(ws, data)
        except IdentifyRefused as exc:
            if exc.fatal:
                raise _Close(4004, "Authentication failed") from None
            log.info("gateway: IDENTIFY refused (%s), sending INVALID_SESSION", exc)
            await self._send_raw(ws, {"op": INVALID_SESSION, "d": False, "s": None, "t": None})
            return None

    async def _identify(self, ws: web.WebSocketResponse, data: dict[str, Any]) -> Session:
        self._check_token(data.get("token"))
        intents = data.get("intents")
        if not isinstance(intents, int) or intents < 0:
            raise _Close(4013, "Invalid intent(s)")
        flags = self.fd.world.application.flags
        for intent, needed in PRIVILEGED.items():
            if intents & intent and not flags & needed:
                raise _Close(4014, "Disallowed intent(s)")
        shard = data.get("shard")
        shard_pair: tuple[int, int] | None = None
        if shard is not None:
            shard_pair = self._shard_pair(shard)
        self.fd.identify_limiter.admit(shard_pair[0] if shard_pair else None)
        session = Session(
            id=secrets.token_hex(16),
            intents=intents,
            shard=shard_pair,
            buffer=deque(maxlen=self.fd.settings.resume_buffer),
            ws=ws,
            large_threshold=_large_threshold(data.get("large_threshold")),
        )
        self.sessions[session.id] = session
        self.identifies += 1
        log.info("gateway: IDENTIFY -> session %s (shard %s)", session.id, shard_pair)
        await self._send_dispatch(session, "READY", self._ready(session))
        for guild in self.fd.world.visible_guilds():
            if session.covers(guild.id):
                await self._send_dispatch(session, "GUILD_CREATE", self._guild_create(guild.id))
        self.fd.notifier.notify()
        return session

    @staticmethod
    def _shard_pair(shard: Any) -> tuple[int, int]:
        """``[shard_id, shard_count]`` checked as Discord does (4010 Invalid shard)."""
        try:
            shard_id, count = (int(part) for part in shard)
        except (TypeError, ValueError):
            raise _Close(4010, "Invalid shard") from None
        if count < 1 or not 0 <= shard_id < count:
            raise _Close(4010, "Invalid shard")
        return shard_id, count

    def _ready(self, session: Session) -> dict[str, Any]:
        world = self.fd.world
        data: dict[str, Any] = {
            "v": 10,
            "user": bot_user_payload(world),
            "guilds": [
                {"id": str(g.id), "unavailable": True}
                for g in world.visible_guilds()
                if session.covers(g.id)
            ],
            "session_id": session.id,
            "session_type": "normal",
            "resume_gateway_url": self.fd.ws_url,
            "application": {"id": str(world.application.id), "flags": world.application.flags},
            "private_channels": [],
            "relationships": [],
            "presences": [],
            "guild_join_requests": [],
            "geo_ordered_rtc_regions": [],
            "user_settings": {},
            "auth_session_id_hash": secrets.token_hex(8),
            "_trace": ["fakediscord"],
        }
        if session.shard is not None:
            data["shard"] = list(session.shard)
        return data

    def _guild_create(
        self, guild_id: int, joined: bool = False
    ) -> Callable[[Session], dict[str, Any]]:
        def build(session: Session) -> dict[str, Any]:
            guild = self.fd.world.guilds[guild_id]
            members = bool(session.intents & MEMBERS_INTENT)
            return guild_create_payload(
                guild,
                with_members=members,
                joined=joined,
                large_threshold=session.large_threshold,
            )

        return build

    async def _resume(self, ws: web.WebSocketResponse, data: dict[str, Any]) -> Session | None:
        self._check_token(data.get("token"))
        session = self.sessions.get(str(data.get("session_id")))
        client_seq = int(data.get("seq") or 0)
        if session is None or not session.resumable or not self._can_replay(session, client_seq):
            log.info("gateway: RESUME refused, sending INVALID_SESSION")
            await self._send_raw(ws, {"op": INVALID_SESSION, "d": False, "s": None, "t": None})
            return None
        old = session.ws
        async with session.lock:
            session.ws = ws
            for seq, text in list(session.buffer):
                if seq > client_seq:
                    await ws.send_str(text)
            resumed = {"op": DISPATCH, "t": "RESUMED", "s": None, "d": {"_trace": ["fakediscord"]}}
            await ws.send_str(json.dumps(resumed))
        if old is not None and old is not ws and not old.closed:
            await self._close_quietly(old, 4000)
        self.resumes += 1
        log.info("gateway: RESUMED session %s from seq %s", session.id, client_seq)
        self.fd.notifier.notify()
        return session

    @staticmethod
    def _can_replay(session: Session, client_seq: int) -> bool:
        if client_seq >= session.seq:
            return True
        return bool(session.buffer) and session.buffer[0][0] <= client_seq + 1

    async def _request_members(self, session: Session, data: dict[str, Any]) -> None:
        """GUILD_MEMBERS_CHUNK answers, at most 1,000 members each as on Discord: by
        ``user_ids`` (with ``not_found``), or by username prefix ``query`` up to ``limit``
        (0: everyone, which needs the members intent)."""
        guild = self.fd.world.guild(int(data.get("guild_id") or 0))
        if guild is None or not session.covers(guild.id):
            return
        wanted = {int(u) for u in data.get("user_ids") or []}
        query = str(data.get("query") or "").lower()
        limit = int(data.get("limit") or 0)
        if wanted:
            members = [m for u in wanted if (m := guild.members.get(u)) is not None]
        else:
            members = [
                m for m in guild.members.values() if m.user.username.lower().startswith(query)
            ]
            if limit:
                members = members[:limit]
        chunks = [members[i : i + CHUNK_SIZE] for i in range(0, len(members), CHUNK_SIZE)] or [[]]
        for index, part in enumerate(chunks):
            chunk: dict[str, Any] = {
                "guild_id": str(guild.id),
                "members": [member_payload(m) for m in part],
                "chunk_index": index,
                "chunk_count": len(chunks),
            }
            if index == 0 and wanted:
                chunk["not_found"] = [str(u) for u in wanted - {m.id for m in members}]
            if data.get("nonce"):
                chunk["nonce"] = data["nonce"]
            await self._send_dispatch(session, "GUILD_MEMBERS_CHUNK", chunk)

    # -- sending -------------------------------------------------------------------------

    @staticmethod
    async def _send_raw(ws: web.WebSocketResponse, payload: dict[str, Any]) -> None:
        if not ws.closed:
            await ws.send_str(json.dumps(payload))

    async def _send_dispatch(self, session: Session, event: str, data: Payload) -> None:
        body = data(session) if callable(data) else data
        async with session.lock:
            session.seq += 1
            text = json.dumps({"op": DISPATCH, "t": event, "s": session.seq, "d": body})
            session.buffer.append((session.seq, text))
            ws = session.ws
            if ws is None or ws.closed:
                return
            try:
                await ws.send_str(text)
            except (ConnectionError, RuntimeError):
                log.debug("gateway: send failed, %s kept for RESUME", event)
                session.ws = None

    async def dispatch(
        self, event: str, data: Payload, *, guild_id: int | None = None, intent: int | None = None
    ) -> int:
        """Send a dispatch to every session that would receive it; returns how many."""
        targets = [
            s
            for s in self.sessions.values()
            if s.resumable and s.covers(guild_id) and (intent is None or s.intents & intent)
        ]
        for session in targets:
            await self._send_dispatch(session, event, data)
        return len(targets)

    def guild_create(self, guild_id: int, *, joined: bool = False) -> Payload:
        """A GUILD_CREATE payload builder for :meth:`dispatch` (``joined`` for a new guild)."""
        return self._guild_create(guild_id, joined)

    # -- test hooks ------------------------------------------------------------------------

    def live_sessions(self) -> list[Session]:
        """Sessions that may still be resumed."""
        return [s for s in self.sessions.values() if s.resumable]

    async def reconnect(self) -> None:
        """Send op 7 RECONNECT; later dispatches are kept for the RESUME."""
        for session in self.live_sessions():
            ws, session.ws = session.ws, None
            if ws is not None:
                await self._send_raw(ws, {"op": RECONNECT, "d": None, "s": None, "t": None})

    async def invalidate_session(self, resumable: bool = False) -> None:
        """Send op 9 INVALID_SESSION (``d`` = ``resumable``)."""
        for session in self.live_sessions():
            ws, session.ws = session.ws, None
            session.resumable = resumable
            if ws is not None:
                await self._send_raw(
                    ws, {"op": INVALID_SESSION, "d": resumable, "s": None, "t": None}
                )

    async def drop(self, code: int = 4000, *, resumable: bool = True) -> None:
        """Close every socket with ``code`` (4000 = unknown error, which clients resume).

        With ``resumable=False`` the sessions end too, as with 4009 (session timed out): the
        client's RESUME is then answered with INVALID_SESSION and it must IDENTIFY again.
        """
        for session in self.live_sessions():
            session.ws = None
            session.resumable = resumable
        for ws in list(self._sockets):
            await self._close_quietly(ws, code)

    def stall(self) -> None:
        """Let the open sockets go silent, as a half-open (zombied) connection does.

        Nothing more is read from them (heartbeats get no ACK) and nothing is sent on them;
        dispatches are kept for the RESUME. The client notices only by the missing ACKs, closes
        the socket itself and resumes on a new one (discord.py: after ``heartbeat_timeout``).
        """
        for session in self.live_sessions():
            session.ws = None
        self._stalled.update(self._sockets)

    def hold(self) -> None:
        """Make new connections wait (a network gap) until :meth:`release`."""
        self._open.clear()

    def release(self) -> None:
        """Let held connections through."""
        self._open.set()

    async def close_all(self) -> None:
        """Close every socket (server shutdown)."""
        self.release()
        for ws in list(self._sockets):
            await self._close_quietly(ws, 1001)

    @staticmethod
    async def _close_quietly(ws: web.WebSocketResponse, code: int) -> None:
        try:
            await asyncio.wait_for(ws.close(code=code), 2.0)
        except (TimeoutError, ConnectionError, RuntimeError):
            log.debug("gateway: socket did not close cleanly")
