"""Logs as plain text (the default) or one JSON object a line (`LOG_FORMAT=json`).

A JSON line carries `time`, `level`, `logger`, `message`, and `guild_id`, `task_id` and
`run_id` when the code that logged was working on one (see `log_context`). Both formats
scrub the secrets they are given (the bot token, the client secret) and anything matching the
patterns they are given (API tokens, which are made while the bot runs) from every line, as a
second fence behind the rule that secrets are never logged."""

from __future__ import annotations

import contextlib
import contextvars
import json
import logging
import re
import sys
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

__all__ = ["JsonFormatter", "RedactingFormatter", "configure_logging", "log_context"]

_CONTEXT: contextvars.ContextVar[dict[str, int] | None] = contextvars.ContextVar(
    "cadence_log_context", default=None
)
_CONTEXT_KEYS = ("guild_id", "task_id", "run_id")
TEXT_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"
REDACTED = "[redacted]"


@contextlib.contextmanager
def log_context(**ids: int | None) -> Iterator[None]:
    """Attach `guild_id`, `task_id`, `run_id` to every line logged inside the block."""
    merged = {**(_CONTEXT.get() or {}), **{k: v for k, v in ids.items() if v is not None}}
    token = _CONTEXT.set(merged)
    try:
        yield
    finally:
        _CONTEXT.reset(token)


class RedactingFormatter(logging.Formatter):
    """The plain text format, with secrets replaced by `[redacted]`."""

    def __init__(
        self,
        secrets: Iterable[str] = (),
        fmt: str = TEXT_FORMAT,
        *,
        patterns: Iterable[re.Pattern[str]] = (),
    ) -> None:
        super().__init__(fmt)
        self._secrets = tuple(s for s in secrets if len(s) >= 4)  # never "" or a stray letter
        self._patterns = tuple(patterns)

    def format(self, record: logging.LogRecord) -> str:
        return self.scrub(super().format(record))

    def scrub(self, text: str) -> str:
        for secret in self._secrets:
            if secret in text:
                text = text.replace(secret, REDACTED)
        for pattern in self._patterns:
            text = pattern.sub(REDACTED, text)
        return text


class JsonFormatter(RedactingFormatter):
    """One JSON object a line."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        context = _CONTEXT.get() or {}
        for key in _CONTEXT_KEYS:
            value = getattr(record, key, None) or context.get(key)
            if value is not None:
                out[key] = value
        if record.exc_info:
            out["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            out["stack"] = self.formatStack(record.stack_info)
        return self.scrub(json.dumps(out, ensure_ascii=False, default=str))


def configure_logging(
    level: str,
    *,
    fmt: str = "text",
    secrets: Iterable[str] = (),
    patterns: Iterable[re.Pattern[str]] = (),
) -> None:
    """Send every log line to stderr in `fmt` (`text` or `json`), quieting chatty libraries."""
    handler = logging.StreamHandler(sys.stderr)
    kind = JsonFormatter if fmt == "json" else RedactingFormatter
    formatter = kind(secrets, patterns=patterns)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    quieter = max(logging.INFO, logging.getLevelName(level))
    for noisy in ("discord", "aiosqlite", "apscheduler"):
        logging.getLogger(noisy).setLevel(quieter)
