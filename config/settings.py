"""Settings loaded from the environment and `.env`, validated once at start-up."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TypeVar
from urllib.parse import parse_qsl, urlsplit, urlunsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dotenv import dotenv_values

from config.shards import ShardPlan, ShardSettingError, read_shard_plan

T = TypeVar("T")

LOG_LEVELS = ("CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG")
LOG_FORMATS = ("text", "json")
_SNOWFLAKE = re.compile(r"^[0-9]{15,21}$")
_MODULE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")
_HOST = re.compile(r"^(\[?[0-9A-Fa-f:.]+\]?|[A-Za-z0-9]([A-Za-z0-9.\-]*[A-Za-z0-9])?)$")
_ORIGIN = re.compile(r"^https?://[A-Za-z0-9.\-\[\]:]+(:[0-9]{1,5})?/?$")


class SettingsError(ValueError):
    """A setting is missing or malformed; the message is one line fit for a terminal.

    Parameters
    ----------
    variable:
        The environment variable at fault.
    expected:
        What that variable should hold, in plain words.
    """

    def __init__(self, variable: str, expected: str) -> None:
        self.variable = variable
        self.expected = expected
        super().__init__(f"{variable}: {expected}")


class Secret:
    """A string that never shows itself in `repr`, `str` or f-strings."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __bool__(self) -> bool:
        return bool(self._value)

    def __repr__(self) -> str:
        return "Secret('**********')" if self._value else "Secret('')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


class DatabaseUrl:
    """Where the database is: ``sqlite:///path`` or ``postgresql://user:password@host:port/db``.

    Shows itself (``str``, ``repr``, logs) with the password masked; ``reveal()`` gives the
    URL to connect with.
    """

    __slots__ = ("_url",)

    def __init__(self, url: str) -> None:
        self._url = url

    @classmethod
    def parse(cls, raw: str, variable: str = "DATABASE_URL") -> DatabaseUrl:
        """Validate ``raw``; SettingsError (naming ``variable``, password masked) if bad."""
        return _database_url(variable, raw.strip())

    def reveal(self) -> str:
        return self._url

    @property
    def backend(self) -> str:
        """``"sqlite"`` or ``"postgres"``."""
        return "sqlite" if self._url.startswith(SQLITE_SCHEME) else "postgres"

    @property
    def password(self) -> str | None:
        """The password in the URL, if any (so that logs can scrub it)."""
        return urlsplit(self._url).password if self._url.startswith(POSTGRES_SCHEMES) else None

    @property
    def masked(self) -> str:
        parts = urlsplit(self._url)
        if parts.password is None:
            return self._url
        host = parts.netloc.rpartition("@")[2]
        return urlunsplit(parts._replace(netloc=f"{parts.username or ''}:***@{host}"))

    def __repr__(self) -> str:
        return f"DatabaseUrl({self.masked!r})"

    def __str__(self) -> str:
        return self.masked

    def __eq__(self, other: object) -> bool:
        return isinstance(other, DatabaseUrl) and other._url == self._url

    def __hash__(self) -> int:
        return hash(self._url)


SQLITE_SCHEME = "sqlite:///"
POSTGRES_SCHEMES = ("postgresql://", "postgres://")
DEFAULT_DATABASE_URL = DatabaseUrl(f"{SQLITE_SCHEME}data/cadence.db")


@dataclass(frozen=True, slots=True)
class Settings:
    """Every setting of ARCHITECTURE section 8, with its default."""

    discord_token: Secret = field(repr=False)
    dev_channel_id: int | None = None
    alert_channel_id: int | None = None
    default_timezone: str = "UTC"
    database_path: Path = Path("data/cadence.db")
    database_url: DatabaseUrl = DEFAULT_DATABASE_URL
    database_pool_size: int = 10
    dev_guild_id: int | None = None
    log_level: str = "INFO"
    max_tasks_per_guild: int = 200
    min_interval_seconds: int = 60
    max_consecutive_failures: int = 3
    history_per_task: int = 100
    catch_up_max: int = 10
    resume_window_seconds: int = 120
    lease_seconds: int = 30
    guild_data_retention_days: int = 30
    discord_api_base: str | None = None
    extra_extensions: tuple[str, ...] = ()
    sandbox: bool = False
    web_host: str = "127.0.0.1"
    web_port: int | None = None
    public_url: str | None = None
    api_rate_per_second: int = 5
    discord_client_id: int | None = None  # None: the application's id, once logged in
    discord_client_secret: Secret = field(default=Secret(""), repr=False)
    metrics_host: str = "127.0.0.1"
    metrics_port: int | None = None
    log_format: str = "text"
    shards: ShardPlan = field(default_factory=ShardPlan)
    member_cache: Literal["full", "needed"] = "needed"
    member_cache_seconds: int = 60

    @property
    def default_zone(self) -> ZoneInfo:
        return ZoneInfo(self.default_timezone)


def load_settings(
    environ: Mapping[str, str] | None = None,
    *,
    env_file: str | Path | None = ".env",
    sandbox: bool = False,
    require_token: bool = True,
) -> Settings:
    """Build `Settings` from `environ` (default `os.environ`) over the values of `env_file`.

    Real environment variables win over `.env`. Raises `SettingsError` naming the first bad
    variable. In sandbox mode no token is needed and `MIN_INTERVAL_SECONDS` defaults to 5;
    `require_token=False` is for commands that never connect to Discord (database copies).
    """
    values: dict[str, str] = {}
    if env_file is not None and Path(env_file).is_file():
        values.update({k: v for k, v in dotenv_values(env_file).items() if v is not None})
    values.update(os.environ if environ is None else environ)
    reader = _Reader(values)

    token = reader.text("DISCORD_TOKEN")
    if not token and not sandbox and require_token:
        raise SettingsError(
            "DISCORD_TOKEN",
            "is not set; put your bot token in .env (see .env.example), "
            "or try Cadence offline with: python bot.py --sandbox",
        )
    if token and (any(ch.isspace() for ch in token) or len(token) < 20):
        raise SettingsError(
            "DISCORD_TOKEN",
            "does not look like a bot token (expected one line of 20+ characters, no spaces); "
            "copy it again from the Developer Portal's Bot page",
        )
    database_path = Path(reader.text("DATABASE_PATH") or "data/cadence.db")
    database_url = reader.value(
        "DATABASE_URL", DatabaseUrl(f"{SQLITE_SCHEME}{database_path}"), _database_url
    )
    try:
        shards = read_shard_plan(
            reader.text("SHARD_COUNT"), reader.text("SHARD_IDS"), database_url.backend
        )
    except ShardSettingError as exc:
        raise SettingsError(exc.variable, exc.expected) from None
    return Settings(
        discord_token=Secret(token or ""),
        dev_channel_id=reader.snowflake("DEV_CHANNEL_ID"),
        alert_channel_id=reader.snowflake("ALERT_CHANNEL_ID"),
        default_timezone=reader.value("DEFAULT_TIMEZONE", "UTC", _zone),
        database_path=database_path,
        database_url=database_url,
        database_pool_size=reader.count("DATABASE_POOL_SIZE", 10, minimum=1),
        dev_guild_id=reader.snowflake("DEV_GUILD_ID"),
        log_level=reader.value("LOG_LEVEL", "INFO", _log_level),
        max_tasks_per_guild=reader.count("MAX_TASKS_PER_GUILD", 200, minimum=1),
        min_interval_seconds=reader.count("MIN_INTERVAL_SECONDS", 5 if sandbox else 60, minimum=1),
        max_consecutive_failures=reader.count("MAX_CONSECUTIVE_FAILURES", 3, minimum=1),
        history_per_task=reader.count("HISTORY_PER_TASK", 100, minimum=1),
        catch_up_max=reader.count("CATCH_UP_MAX", 10, minimum=0),
        resume_window_seconds=reader.count("RESUME_WINDOW_SECONDS", 120, minimum=0),
        lease_seconds=reader.count("LEASE_SECONDS", 30, minimum=3),
        guild_data_retention_days=reader.count("GUILD_DATA_RETENTION_DAYS", 30, minimum=0),
        discord_api_base=reader.value("DISCORD_API_BASE", None, _origin),
        extra_extensions=reader.value("EXTRA_EXTENSIONS", (), _extensions),
        sandbox=sandbox,
        shards=shards,
        member_cache=reader.value("MEMBER_CACHE", "needed", _member_cache),
        member_cache_seconds=reader.count("MEMBER_CACHE_SECONDS", 60, minimum=1),
        **_web_settings(reader),
    )


def _web_settings(reader: _Reader) -> dict[str, Any]:
    """`WEB_HOST`, `WEB_PORT`, `PUBLIC_URL`, `API_RATE_PER_SECOND`, the dashboard's login
    (`DISCORD_CLIENT_ID`, `DISCORD_CLIENT_SECRET`), the metrics server's
    `METRICS_HOST`/`METRICS_PORT`, and `LOG_FORMAT`.

    `PUBLIC_URL` defaults to `http://WEB_HOST:WEB_PORT` when a port is set (with brackets
    around an IPv6 host)."""
    host = reader.value("WEB_HOST", "127.0.0.1", _host)
    port = reader.value("WEB_PORT", None, _port)
    public_url = reader.value("PUBLIC_URL", None, _public_url)
    if public_url is None and port is not None:
        shown = f"[{host}]" if ":" in host else host
        public_url = f"http://{shown}:{port}"
    return {
        "web_host": host,
        "web_port": port,
        "public_url": public_url,
        "api_rate_per_second": reader.count("API_RATE_PER_SECOND", 5, minimum=1),
        "discord_client_id": reader.snowflake("DISCORD_CLIENT_ID"),
        "discord_client_secret": Secret(reader.text("DISCORD_CLIENT_SECRET") or ""),
        "metrics_host": reader.value("METRICS_HOST", "127.0.0.1", _host),
        "metrics_port": reader.value("METRICS_PORT", None, _port),
        "log_format": reader.value("LOG_FORMAT", "text", _log_format),
    }


class _Reader:
    """Reads one variable at a time and turns a bad value into a `SettingsError`."""

    def __init__(self, values: Mapping[str, str]) -> None:
        self._values = values

    def text(self, name: str) -> str | None:
        raw = self._values.get(name)
        if raw is None:
            return None
        raw = raw.strip()
        return raw or None

    def value(self, name: str, default: T, convert: Callable[[str, str], T]) -> T:
        raw = self.text(name)
        return default if raw is None else convert(name, raw)

    def snowflake(self, name: str) -> int | None:
        return self.value(name, None, _snowflake)

    def count(self, name: str, default: int, *, minimum: int) -> int:
        raw = self.text(name)
        if raw is None:
            return default
        try:
            number = int(raw)
        except ValueError:
            number = None
        if number is None or number < minimum:
            raise SettingsError(name, f"expects a whole number of at least {minimum}, got {raw!r}")
        return number


def _snowflake(name: str, raw: str) -> int:
    if not _SNOWFLAKE.match(raw):
        raise SettingsError(
            name,
            f"expects a Discord id (15-21 digits; right-click the channel or server with "
            f"Developer Mode on and choose Copy ID), got {raw!r}",
        )
    return int(raw)


def _zone(name: str, raw: str) -> str:
    try:
        ZoneInfo(raw)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise SettingsError(
            name, f"expects an IANA timezone name such as Europe/Berlin or UTC, got {raw!r}"
        ) from None
    return raw


def _log_level(name: str, raw: str) -> str:
    level = raw.upper()
    if level not in LOG_LEVELS:
        raise SettingsError(name, f"expects one of {', '.join(LOG_LEVELS)}, got {raw!r}")
    return level


def _log_format(name: str, raw: str) -> str:
    fmt = raw.lower()
    if fmt not in LOG_FORMATS:
        raise SettingsError(name, f"expects text or json, got {raw!r}")
    return fmt


def _member_cache(name: str, raw: str) -> Literal["full", "needed"]:
    mode = raw.lower()
    if mode == "full":
        return "full"
    if mode == "needed":
        return "needed"
    raise SettingsError(name, f"expects full or needed, got {raw!r}")


def _origin(name: str, raw: str) -> str:
    if not _ORIGIN.match(raw):
        raise SettingsError(
            name, f"expects an origin such as http://127.0.0.1:8765 (no path), got {raw!r}"
        )
    return raw.rstrip("/")


def _host(name: str, raw: str) -> str:
    if not _HOST.match(raw):
        raise SettingsError(
            name, f"expects a host name or IP address to listen on, such as 127.0.0.1, got {raw!r}"
        )
    return raw.strip("[]")


def _port(name: str, raw: str) -> int:
    if not raw.isdigit() or not 1 <= int(raw) <= 65535:
        raise SettingsError(name, f"expects a TCP port from 1 to 65535, got {raw!r}")
    return int(raw)


def _public_url(name: str, raw: str) -> str:
    if not _ORIGIN.match(raw):
        raise SettingsError(
            name,
            "expects the origin users reach the web server at, such as "
            f"https://cadence.example.org (scheme and host, no path), got {raw!r}",
        )
    return raw.rstrip("/")


def _database_url(name: str, raw: str) -> DatabaseUrl:
    url = DatabaseUrl(raw)
    expected = (
        "expects sqlite:///path/to/cadence.db or postgresql://user:password@host:5432/database"
    )
    if raw.startswith(SQLITE_SCHEME):
        if not raw.removeprefix(SQLITE_SCHEME).strip("/"):
            raise SettingsError(name, f"{expected} (the sqlite path is empty), got {url.masked!r}")
        return url
    if not raw.startswith(POSTGRES_SCHEMES):
        raise SettingsError(name, f"{expected}, got {url.masked!r}")
    try:
        parts = urlsplit(raw)
        parts.port  # noqa: B018  (raises ValueError on a port that is not a number)
    except ValueError:
        raise SettingsError(name, f"{expected} (the port must be a number)") from None
    if not parts.hostname or not parts.path.strip("/"):
        raise SettingsError(
            name, f"{expected} (a host and a database name are needed), got {url.masked!r}"
        )
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        if key == "statement_cache_size" and not value.isdigit():
            raise SettingsError(
                name, f"expects statement_cache_size to be a whole number, got {value!r}"
            )
    return url


def _extensions(name: str, raw: str) -> tuple[str, ...]:
    names = tuple(part.strip() for part in raw.split(",") if part.strip())
    bad = [n for n in names if not _MODULE.match(n)]
    if bad:
        raise SettingsError(
            name,
            f"expects comma-separated Python module names such as mybot.cogs.reports, "
            f"got {bad[0]!r}",
        )
    return names


def describe_settings(settings: Settings) -> dict[str, Any]:
    """The settings as a dict safe to log: the token and the OAuth2 client secret are reduced
    to whether they are set, and the database URL's password is masked."""
    out: dict[str, Any] = {}
    for name in Settings.__dataclass_fields__:
        value = getattr(settings, name)
        if name in ("discord_token", "discord_client_secret"):
            value = "set" if value else "not set"
        elif isinstance(value, DatabaseUrl):
            value = value.masked
        elif isinstance(value, ShardPlan):
            value = value.describe()
        out[name] = value
    return out
