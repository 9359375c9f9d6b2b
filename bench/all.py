"""Run every benchmark's quick mode in sequence (a CI smoke run; no timing is asserted).

    .venv/bin/python -m bench.all --quick

Each bench runs as ``python -m bench.NAME --quick`` and prints its own tables. The exit status
is non-zero only when a bench crashed, or lost or doubled a run or a post of ours (each bench
exits 1 then); slow figures never fail it. ``bench.plot`` is not run (it needs matplotlib).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time

BENCHES = ("restore", "lateness", "lost", "burst", "commands", "fairness", "api", "shard")


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
        done = subprocess.run([sys.executable, "-m", f"bench.{name}", "--quick"], check=False)
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
