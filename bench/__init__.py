"""Benchmarks for Cadence (see docs/BENCHMARKS.md). Run them with ``python -m bench.<name>``."""
