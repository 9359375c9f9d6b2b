"""Tunable behaviour of the emulator (Discord's limits and timings, and test conveniences)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class EmulatorSettings:
    """Knobs a test may change on ``fd.settings`` at any time."""

    #: Seconds (emulator clock) the bot has for its first answer to an interaction.
    interaction_deadline: float = 3.0
    #: Seconds an interaction token stays valid for followups and edits.
    interaction_token_lifetime: float = 15 * 60
    #: Seconds during which ``nonce`` + ``enforce_nonce`` deduplicates a message.
    nonce_window: float = 5 * 60
    #: HELLO's heartbeat interval, in milliseconds.
    heartbeat_interval_ms: int = 41_250
    #: Combined characters of a command's names, descriptions and choice values.
    command_char_cap: int = 8000
    #: Largest upload per request, in bytes (also sent as ``attachment_size_limit``).
    attachment_size_limit: int = 10 * 1024 * 1024
    #: Send MESSAGE_CREATE/UPDATE/DELETE to the bot for messages it makes (as Discord does).
    message_events: bool = True
    #: Dispatches kept per gateway session for RESUME.
    resume_buffer: int = 5000
    #: Emulate Discord's rate limits with their headers (see fakediscord.ratelimit). On by
    #: default, as on Discord, so that no figure or proof is won against a kinder Discord; a
    #: test that switches them off says why (``fd.settings.rate_limits = False  # why``).
    rate_limits: bool = True
    #: Message creates allowed per channel in any window of that many seconds: (count, s).
    message_rate_limit: tuple[int, float] = (5, 5.0)
    #: Message deletes allowed per channel in any window: (count, seconds).
    delete_rate_limit: tuple[int, float] = (5, 1.0)
    #: Any other route, per route and major id, in any window: (count, seconds).
    route_rate_limit: tuple[int, float] = (50, 1.0)
    #: Requests per second across all routes (interaction callbacks excluded).
    global_rate_limit: int = 50
    #: Enforce ``max_concurrency`` and the session start limit on IDENTIFY (see
    #: fakediscord.identify); off by default (unlike ``rate_limits``), so that tests which
    #: start several clients in a row need not wait 5 s between them.
    identify_limits: bool = False
    #: Shards ``GET /gateway/bot`` recommends.
    recommended_shards: int = 1
    #: IDENTIFYs allowed per rate-limit key (``shard_id % max_concurrency``) per
    #: ``identify_interval`` seconds (Discord: 1 per 5 s, more for large bots).
    max_concurrency: int = 1
    #: Seconds of an identify bucket (Discord: 5).
    identify_interval: float = 5.0
    #: Session starts (IDENTIFYs) allowed per day; Discord resets the token past them.
    session_start_total: int = 1000
