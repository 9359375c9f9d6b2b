"""deploy/: the Grafana board, the alert rules and the systemd unit parse, and every metric
they use is one Cadence exports."""

from __future__ import annotations

import configparser
import json
import re
from pathlib import Path

import pytest
import yaml

from telemetry import Metrics

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
METRIC = re.compile(r"\bcadence_[a-z0-9_]+")
SUFFIXES = {
    "counter": ("_total", "_created"),
    "histogram": ("_bucket", "_count", "_sum", "_created"),
    "gauge": ("",),
    "info": ("_info",),
}


def exported_series() -> set[str]:
    names: set[str] = set()
    for family in Metrics().registry.collect():
        names.update(family.name + suffix for suffix in SUFFIXES[family.type])
    return names


def board_expressions() -> list[str]:
    board = json.loads((DEPLOY / "grafana" / "cadence-dashboard.json").read_text())
    return [target["expr"] for panel in board["panels"] for target in panel["targets"]]


def alert_rules() -> list[dict]:
    rules = yaml.safe_load((DEPLOY / "prometheus" / "cadence-alerts.yml").read_text())
    return [rule for group in rules["groups"] for rule in group["rules"]]


def test_the_exported_names_follow_the_issue_contract() -> None:
    exported = exported_series()
    for name in (
        "cadence_runs_total",
        "cadence_run_lateness_seconds_bucket",
        "cadence_posts_total",
        "cadence_discord_requests_total",
        "cadence_discord_rate_limited_total",
        "cadence_pacer_wait_seconds_bucket",
        "cadence_dispatch_queue_depth",
        "cadence_dispatch_busy_workers",
        "cadence_tasks",
        "cadence_index_window_size",
        "cadence_notices_total",
        "cadence_command_seconds_bucket",
        "cadence_api_request_seconds_bucket",
        "cadence_db_operation_seconds_bucket",
        "cadence_gateway_latency_seconds",
        "cadence_build_info",
    ):
        assert name in exported


@pytest.mark.parametrize("source", ["grafana board", "alert rules"])
def test_every_metric_used_in_deploy_is_exported(source: str) -> None:
    if source == "grafana board":
        expressions = board_expressions()
    else:
        expressions = [rule["expr"] for rule in alert_rules()]
    used = {name for expr in expressions for name in METRIC.findall(expr)}
    assert used, "no metric found: the parser or the file is wrong"
    assert used <= exported_series(), f"not exported: {sorted(used - exported_series())}"


def test_the_board_covers_what_operators_watch() -> None:
    joined = "\n".join(board_expressions())
    for needle in (
        "cadence_runs_total",
        'status="failed"',
        "histogram_quantile(0.5, sum by (le) (rate(cadence_run_lateness_seconds_bucket",
        "histogram_quantile(0.99, sum by (le) (rate(cadence_run_lateness_seconds_bucket",
        "cadence_discord_rate_limited_total",
        "cadence_dispatch_queue_depth",
        "cadence_command_seconds_bucket",
        "cadence_api_request_seconds_bucket",
        "cadence_tasks",
    ):
        assert needle in joined


def test_the_alerts_are_the_four_the_runbook_describes() -> None:
    rules = {rule["alert"]: rule for rule in alert_rules()}
    assert set(rules) == {
        "CadenceFailedRuns",
        "CadenceLateRuns",
        "CadenceNotReady",
        "CadenceRateLimitStorm",
    }
    assert rules["CadenceLateRuns"]["for"] == "10m" and "> 5" in rules["CadenceLateRuns"]["expr"]
    assert rules["CadenceNotReady"]["for"] == "2m"
    runbook = (DEPLOY.parent / "docs" / "OPERATIONS.md").read_text()
    for name in rules:
        assert name in runbook, f"{name} is not explained in docs/OPERATIONS.md"


def test_the_systemd_unit_runs_the_bot_and_never_restarts_a_configuration_error() -> None:
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.optionxform = str  # type: ignore[assignment,method-assign]
    unit.read_string((DEPLOY / "cadence.service").read_text())
    service = unit["Service"]
    assert service["ExecStart"].endswith("bot.py")
    assert service["KillSignal"] == "SIGTERM"
    assert service["Restart"] == "on-failure"
    assert service["RestartPreventExitStatus"] == "2"
    assert unit["Install"]["WantedBy"] == "multi-user.target"


def test_the_template_unit_runs_one_process_per_shard_range() -> None:
    """`cadence@0-1.service`: SHARD_IDS from the instance name, the same stop and restart
    rules as the single unit (docs/SCALING.md)."""
    text = (DEPLOY / "cadence@.service").read_text()
    assert "Environment=SHARD_IDS=%i" in text
    assert "EnvironmentFile=/opt/cadence/.env" in text
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.optionxform = str  # type: ignore[assignment,method-assign]
    unit.read_string(text)
    service = unit["Service"]
    assert service["ExecStart"].endswith("bot.py")
    assert (service["KillSignal"], service["Restart"]) == ("SIGTERM", "on-failure")
    assert service["RestartPreventExitStatus"] == "2"
    assert "%i" in unit["Unit"]["Description"]


def test_the_proxy_example_keeps_metrics_private_and_forwards_to_the_local_port() -> None:
    conf = (DEPLOY / "nginx-cadence.conf").read_text()
    assert "proxy_pass http://127.0.0.1:8080;" in conf
    assert "location = /metrics { return 404; }" in conf
    assert "client_max_body_size 1m;" in conf
