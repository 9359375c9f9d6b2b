"""Run every benchmark's quick mode in sequence (a CI smoke run; no timing is asserted).

    .venv/bin/python -m bench.all --quick

Each bench runs as ``python -m bench.NAME --quick`` and prints its own tables. The exit status
is non-zero only when a bench crashed, or lost or doubled a run or a post of ours (each bench
exits 1 then); slow figures never fail it. ``bench.plot`` is not run (it needs matplotlib).

The PostgreSQL-only benches (``bench.scale``) use the server in CADENCE_TEST_POSTGRES_URL when
it is set; otherwise they run beside a throwaway cluster of their own (``.ci/postgres.sh``,
which installs PostgreSQL's Debian package when it is missing), so that CI's smoke stage,
which runs outside that script, still runs them.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

BENCHES = ("restore", "lateness", "lost", "burst", "commands", "fairness", "api", "shard", "scale")
POSTGRES_ONLY = frozenset({"scale"})
POSTGRES_SCRIPT = Path(__file__).resolve().parents[1] / ".ci" / "postgres.sh"


def command(name: str) -> list[str]:
    """How to run one bench's quick mode: beside a throwaway PostgreSQL when it needs one and
    no server is given."""
    run = [sys.executable, "-m", f"bench.{name}", "--quick"]
    if name in POSTGRES_ONLY and not os.environ.get("CADENCE_TEST_POSTGRES_URL"):
        return [str(POSTGRES_SCRIPT), *run]
    return run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.all",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--quick", action="store_true", help="required: quick modes only")
    parser.add_argument("--only", help="comma-separated subset, e.g. lateness,lost")
    args = parser.parse_args(argv)
    if not args.quick:
        parser.error("only --quick is supported: run each bench on its own for full figures")
    chosen = [name.strip() for name in args.only.split(",")] if args.only else list(BENCHES)
    unknown = sorted(set(chosen) - set(BENCHES))
    if unknown:
        parser.error(f"unknown bench(es): {', '.join(unknown)}")
    outcomes: list[tuple[str, int, float]] = []
    for name in chosen:
        print(f"\n===== bench.{name} --quick", flush=True)
        started = time.perf_counter()
        done = subprocess.run(command(name), check=False)
        outcomes.append((name, done.returncode, time.perf_counter() - started))
    print("\n===== summary")
    for name, code, seconds in outcomes:
        verdict = "ok" if code == 0 else f"FAILED (exit {code})"
        print(f"bench.{name:<9} {seconds:6.0f} s  {verdict}")
    failed = [name for name, code, _ in outcomes if code != 0]
    if failed:
        print(f"{len(failed)} bench(es) crashed or lost/doubled posts: {', '.join(failed)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
