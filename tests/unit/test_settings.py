from __future__ import annotations

import logging
from pathlib import Path

import pytest

from config import Secret, SettingsError, describe_settings, load_settings

TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.Gabcde.very-secret-token-value"


def load(env: dict[str, str], **kwargs):
    return load_settings({"DISCORD_TOKEN": TOKEN, **env}, env_file=None, **kwargs)


def test_defaults_follow_design_section_8() -> None:
    s = load({})
    assert s.dev_channel_id is None and s.alert_channel_id is None and s.dev_guild_id is None
    assert s.default_timezone == "UTC"
    assert s.database_path == Path("data/cadence.db")
    assert s.log_level == "INFO"
    assert (s.max_tasks_per_guild, s.min_interval_seconds, s.max_consecutive_failures) == (
        200,
        60,
        3,
    )
    assert (s.history_per_task, s.catch_up_max, s.resume_window_seconds) == (100, 10, 120)
    assert s.guild_data_retention_days == 30
    assert s.discord_api_base is None
    assert s.discord_token.reveal() == TOKEN
    assert s.database_url.reveal() == "sqlite:///data/cadence.db"
    assert s.database_url.backend == "sqlite"
    assert s.database_pool_size == 10


def test_values_are_read_and_converted() -> None:
    s = load(
        {
            "DEV_CHANNEL_ID": "123456789012345678",
            "ALERT_CHANNEL_ID": " 223456789012345678 ",
            "DEFAULT_TIMEZONE": "Australia/Adelaide",
            "DATABASE_PATH": "/tmp/x/c.db",
            "DEV_GUILD_ID": "323456789012345678",
            "LOG_LEVEL": "debug",
            "MAX_TASKS_PER_GUILD": "5",
            "MIN_INTERVAL_SECONDS": "30",
            "CATCH_UP_MAX": "0",
            "LEASE_SECONDS": "45",
            "DISCORD_API_BASE": "http://127.0.0.1:8765/",
        }
    )
    assert s.dev_channel_id == 123456789012345678
    assert s.alert_channel_id == 223456789012345678
    assert s.dev_guild_id == 323456789012345678
    assert s.default_zone.key == "Australia/Adelaide"
    assert s.database_path == Path("/tmp/x/c.db")
    assert s.log_level == "DEBUG"
    assert s.max_tasks_per_guild == 5 and s.min_interval_seconds == 30 and s.catch_up_max == 0
    assert s.discord_api_base == "http://127.0.0.1:8765"
    assert s.lease_seconds == 45


def test_extra_extensions_are_a_tuple_of_module_names() -> None:
    s = load({"EXTRA_EXTENSIONS": " mybot.cogs.reports, jobs ,"})
    assert s.extra_extensions == ("mybot.cogs.reports", "jobs")
    assert load({}).extra_extensions == ()


def test_web_server_is_off_by_default_and_public_url_follows_host_and_port() -> None:
    off = load({})
    assert off.web_port is None and off.public_url is None
    assert (off.web_host, off.api_rate_per_second) == ("127.0.0.1", 5)
    on = load({"WEB_PORT": "8080"})
    assert (on.web_host, on.web_port, on.public_url) == ("127.0.0.1", 8080, "http://127.0.0.1:8080")
    v6 = load({"WEB_HOST": "::1", "WEB_PORT": "9000"})
    assert v6.public_url == "http://[::1]:9000"
    proxied = load(
        {
            "WEB_HOST": "0.0.0.0",
            "WEB_PORT": "8080",
            "PUBLIC_URL": "https://cadence.example.org/",
            "API_RATE_PER_SECOND": "12",
        }
    )
    assert proxied.public_url == "https://cadence.example.org"
    assert (proxied.web_host, proxied.api_rate_per_second) == ("0.0.0.0", 12)


def test_metrics_server_and_log_format() -> None:
    s = load({})
    assert (s.metrics_host, s.metrics_port, s.log_format) == ("127.0.0.1", None, "text")
    s = load({"METRICS_PORT": "9464", "LOG_FORMAT": "JSON"})
    assert (s.metrics_host, s.metrics_port, s.log_format) == ("127.0.0.1", 9464, "json")


def test_member_cache() -> None:
    s = load({})
    assert (s.member_cache, s.member_cache_seconds) == ("needed", 60)
    s = load({"MEMBER_CACHE": "Full", "MEMBER_CACHE_SECONDS": "15"})
    assert (s.member_cache, s.member_cache_seconds) == ("full", 15)


def test_settings_are_frozen() -> None:
    s = load({})
    with pytest.raises(AttributeError):
        s.log_level = "DEBUG"  # type: ignore[misc]


BAD = [
    ("DEV_CHANNEL_ID", "general", "expects a Discord id"),
    ("ALERT_CHANNEL_ID", "12ab", "expects a Discord id"),
    ("DEV_GUILD_ID", "-5", "expects a Discord id"),
    ("DEFAULT_TIMEZONE", "Mars/Olympus", "expects an IANA timezone name"),
    ("DEFAULT_TIMEZONE", "../etc/passwd", "expects an IANA timezone name"),
    ("LOG_LEVEL", "LOUD", "expects one of CRITICAL, ERROR, WARNING, INFO, DEBUG"),
    ("MAX_TASKS_PER_GUILD", "-1", "expects a whole number of at least 1"),
    ("MAX_TASKS_PER_GUILD", "lots", "expects a whole number of at least 1"),
    ("MIN_INTERVAL_SECONDS", "0", "expects a whole number of at least 1"),
    ("MAX_CONSECUTIVE_FAILURES", "2.5", "expects a whole number of at least 1"),
    ("HISTORY_PER_TASK", "0", "expects a whole number of at least 1"),
    ("CATCH_UP_MAX", "-3", "expects a whole number of at least 0"),
    ("RESUME_WINDOW_SECONDS", "-120", "expects a whole number of at least 0"),
    ("LEASE_SECONDS", "2", "expects a whole number of at least 3"),
    ("LEASE_SECONDS", "thirty", "expects a whole number of at least 3"),
    ("GUILD_DATA_RETENTION_DAYS", "-1", "expects a whole number of at least 0"),
    ("DISCORD_API_BASE", "127.0.0.1:8765", "expects an origin such as http://127.0.0.1:8765"),
    ("DISCORD_API_BASE", "http://127.0.0.1:8765/api/v10", "expects an origin"),
    ("EXTRA_EXTENSIONS", "cogs/reports.py", "expects comma-separated Python module names"),
    ("WEB_PORT", "0", "expects a TCP port from 1 to 65535"),
    ("WEB_PORT", "70000", "expects a TCP port from 1 to 65535"),
    ("WEB_PORT", "http", "expects a TCP port from 1 to 65535"),
    ("WEB_HOST", "my host", "expects a host name or IP address"),
    ("WEB_HOST", "-bad-", "expects a host name or IP address"),
    ("PUBLIC_URL", "cadence.example.org", "expects the origin users reach"),
    ("PUBLIC_URL", "https://cadence.example.org/dash", "expects the origin users reach"),
    ("API_RATE_PER_SECOND", "0", "expects a whole number of at least 1"),
    ("METRICS_PORT", "99999", "expects a TCP port from 1 to 65535"),
    ("METRICS_HOST", "a/b", "expects a host name or IP address"),
    ("LOG_FORMAT", "xml", "expects text or json"),
    ("MEMBER_CACHE", "some", "expects full or needed"),
    ("MEMBER_CACHE_SECONDS", "0", "expects a whole number of at least 1"),
    ("DATABASE_URL", "data/cadence.db", "expects sqlite:///path/to/cadence.db or postgresql://"),
    ("DATABASE_URL", "mysql://u@h/db", "expects sqlite:///path/to/cadence.db or postgresql://"),
    ("DATABASE_URL", "sqlite:///", "the sqlite path is empty"),
    ("DATABASE_URL", "postgresql://u:pw@db.example:port/cadence", "the port must be a number"),
    ("DATABASE_URL", "postgresql://u:pw@db.example:5432", "a host and a database name"),
    ("DATABASE_URL", "postgresql:///cadence", "a host and a database name"),
    ("DATABASE_URL", "postgresql://h/db?statement_cache_size=none", "a whole number"),
    ("DATABASE_POOL_SIZE", "0", "expects a whole number of at least 1"),
]


@pytest.mark.parametrize(
    ("variable", "value", "expected"), BAD, ids=[f"{v}={x}" for v, x, _ in BAD]
)
def test_each_bad_variable_gives_one_line_naming_it(
    variable: str, value: str, expected: str
) -> None:
    with pytest.raises(SettingsError) as info:
        load({variable: value})
    message = str(info.value)
    assert message.startswith(f"{variable}: ")
    assert expected in message
    assert "\n" not in message
    assert info.value.variable == variable
    assert TOKEN not in message


def test_missing_token_says_how_to_set_one_or_try_the_sandbox() -> None:
    with pytest.raises(SettingsError) as info:
        load_settings({}, env_file=None)
    message = str(info.value)
    assert message.startswith("DISCORD_TOKEN: is not set")
    assert ".env" in message and "python bot.py --sandbox" in message


def test_malformed_token_is_refused_without_echoing_it() -> None:
    bad = "has spaces in the middle of this token"
    with pytest.raises(SettingsError) as info:
        load_settings({"DISCORD_TOKEN": bad}, env_file=None)
    assert "DISCORD_TOKEN" in str(info.value)
    assert bad not in str(info.value)


def test_sandbox_needs_no_token_and_lowers_the_minimum_interval() -> None:
    s = load_settings({}, env_file=None, sandbox=True)
    assert not s.discord_token
    assert s.min_interval_seconds == 5
    assert s.sandbox


def test_dotenv_file_is_read_and_environment_wins(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text(
        f"DISCORD_TOKEN={TOKEN}\nLOG_LEVEL=WARNING\nMAX_TASKS_PER_GUILD=7\n", encoding="utf-8"
    )
    s = load_settings({"MAX_TASKS_PER_GUILD": "9"}, env_file=env_file)
    assert s.discord_token.reveal() == TOKEN
    assert s.log_level == "WARNING"
    assert s.max_tasks_per_guild == 9


def test_token_never_shows_in_repr_str_or_described_settings(
    caplog: pytest.LogCaptureFixture,
) -> None:
    s = load({})
    assert TOKEN not in repr(s)
    assert TOKEN not in str(s)
    assert TOKEN not in f"{s.discord_token}"
    assert TOKEN not in repr(s.discord_token)
    described = describe_settings(s)
    assert described["discord_token"] == "set"
    with caplog.at_level(logging.DEBUG):
        logging.getLogger("test").info("settings %s %r", s, described)
    assert TOKEN not in caplog.text


def test_secret_equality_and_truthiness() -> None:
    assert Secret("a" * 30) == Secret("a" * 30)
    assert Secret("a" * 30) != Secret("b" * 30)
    assert not Secret("")


def test_database_url_defaults_from_database_path() -> None:
    assert load({"DATABASE_PATH": "/srv/c.db"}).database_url.reveal() == "sqlite:////srv/c.db"
    explicit = load({"DATABASE_PATH": "/srv/c.db", "DATABASE_URL": "sqlite:///other.db"})
    assert explicit.database_url.reveal() == "sqlite:///other.db"


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://cadence:pw@db.example:5432/cadence",
        "postgres://cadence@127.0.0.1/cadence",
        "postgresql://cadence:pw@db.example/cadence?statement_cache_size=0",
    ],
)
def test_postgresql_urls_are_accepted(url: str) -> None:
    s = load({"DATABASE_URL": url, "DATABASE_POOL_SIZE": "4"})
    assert s.database_url.reveal() == url
    assert s.database_url.backend == "postgres"
    assert s.database_pool_size == 4


def test_the_database_password_never_shows(caplog: pytest.LogCaptureFixture) -> None:
    password = "pa55-w0rd-secret"
    s = load({"DATABASE_URL": f"postgresql://cadence:{password}@db.example:5432/cadence"})
    described = describe_settings(s)
    assert described["database_url"] == "postgresql://cadence:***@db.example:5432/cadence"
    for shown in (repr(s), str(s), str(s.database_url), repr(s.database_url), f"{described}"):
        assert password not in shown
    with caplog.at_level(logging.DEBUG):
        logging.getLogger("test").info("settings %s %r", s, described)
    assert password not in caplog.text
    with pytest.raises(SettingsError) as info:
        load({"DATABASE_URL": f"mysql://cadence:{password}@db.example/cadence"})
    assert password not in str(info.value)


def test_the_dashboard_login_settings_keep_the_secret_hidden() -> None:
    s = load({})
    assert s.discord_client_id is None and not s.discord_client_secret
    s = load({"DISCORD_CLIENT_ID": "123456789012345678", "DISCORD_CLIENT_SECRET": "shh-secret"})
    assert s.discord_client_id == 123456789012345678
    assert s.discord_client_secret.reveal() == "shh-secret"
    assert "shh-secret" not in repr(s)
    assert describe_settings(s)["discord_client_secret"] == "set"
    with pytest.raises(SettingsError, match="DISCORD_CLIENT_ID"):
        load({"DISCORD_CLIENT_ID": "not-an-id"})
