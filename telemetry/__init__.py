"""What operators see of Cadence: Prometheus metrics and structured logs.

This package sits at the bottom of the layers with `config`: it imports nothing of Cadence, so
storage, the engine, both doors and bot.py can all report through it."""

from telemetry.logs import JsonFormatter, RedactingFormatter, configure_logging, log_context
from telemetry.metrics import Metrics

__all__ = ["JsonFormatter", "Metrics", "RedactingFormatter", "configure_logging", "log_context"]
