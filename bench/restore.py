"""Restore benchmark: N stored tasks until "ready to fire", ours against bare APScheduler 3.11.

    .venv/bin/python -m bench.restore [--quick] [--sizes 10000,100000]
                                      [--no-baseline-above N] [--keep DIR] [--json PATH]

For each size: seed a fresh SQLite file through storage's API (not measured), then measure,
each in a fresh subprocess so RSS starts clean, (1) ``Engine.start()`` and (2) a typical bot
adding one APScheduler job per task. Wall time, RSS growth, longest event-loop stall and the
full ``gc.collect()`` after are printed per size, with the ratios baseline/ours. Results and
their meaning: docs/BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shlex
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.machine import machine
from bench.seed import SeedStats, seed_database

FULL_SIZES = (10_000, 100_000, 1_000_000)
QUICK_SIZES = (10_000, 100_000)
QUICK_BASELINE_TIMEOUT = 60.0
SEED_RATE = 60e-6  # seconds per task, first guess; refined after each seeding
RESULT_PREFIX = "RESULT "


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.restore",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--quick", action="store_true", help="10k and 100k only")
    parser.add_argument("--sizes", help="comma-separated task counts (overrides the defaults)")
    parser.add_argument(
        "--no-baseline-above", type=int, metavar="N", help="skip the baseline above N tasks"
    )
    parser.add_argument("--keep", type=Path, metavar="DIR", help="keep the seeded files here")
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the results here")
    parser.add_argument(
        "--postgres",
        metavar="URL",
        help="seed and restore on PostgreSQL: a server URL where a scratch database may be "
        "created (the baseline, which does not depend on the backend, is not run)",
    )
    parser.add_argument("--child", choices=("ours", "baseline"), help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    parser.add_argument("--not-before", type=float, default=0.0, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def _sizes(args: argparse.Namespace) -> list[int]:
    if args.sizes:
        return [int(part.replace("_", "")) for part in args.sizes.split(",") if part.strip()]
    return list(QUICK_SIZES if args.quick else FULL_SIZES)


def command_line() -> str:
    return shlex.join([".venv/bin/python", "-m", "bench.restore", *sys.argv[1:]])


# ----------------------------------------------------------------------------- children


def _run_child(
    kind: str, db: str | Path, *, not_before: float = 0.0, timeout: float | None = None
) -> dict[str, Any] | None:
    """Run one measurement in a fresh interpreter; None when it timed out."""
    command = [sys.executable, "-m", "bench.restore", "--child", kind, "--db", str(db)]
    command += ["--not-before", repr(not_before)]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return None
    if done.returncode != 0:
        raise RuntimeError(f"{kind} child failed ({done.returncode}):\n{done.stderr}")
    for line in reversed(done.stdout.splitlines()):
        if line.startswith(RESULT_PREFIX):
            result: dict[str, Any] = json.loads(line[len(RESULT_PREFIX) :])
            return result
    raise RuntimeError(f"{kind} child printed no result:\n{done.stdout}\n{done.stderr}")


def _child_main(args: argparse.Namespace) -> None:
    from bench import measure  # imported before any figure is taken

    if args.child == "ours":
        result = asyncio.run(measure.measure_ours(args.db, args.not_before))
    else:
        result = asyncio.run(measure.measure_baseline(args.db))
    sys.stdout.write(RESULT_PREFIX + json.dumps(result) + "\n")


# ----------------------------------------------------------------------------- output


def _ratio(base: float | None, ours: float) -> str:
    if base is None or ours <= 0:
        return "—"
    ratio = base / ours
    return f"{ratio:,.0f}×" if ratio >= 100 else f"{ratio:,.1f}×"


def _fmt(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{value:,.{digits}f}"


def size_block(size: int, seeded: SeedStats, ours: dict[str, Any], base: dict[str, Any] | None,
               base_note: str) -> str:  # fmt: skip
    """The per-size table printed while the benchmark runs."""
    b = base or {}
    rows = [
        ("ready to fire (s)", ours["wall_s"], b.get("wall_s"), 3),
        ("RSS growth (MB)", ours["rss_mb"], b.get("rss_mb"), 1),
        ("peak RSS growth (MB)", ours["peak_mb"], b.get("peak_mb"), 1),
        ("longest loop stall (ms)", ours["stall_ms"], b.get("stall_ms"), 1),
        ("full gc.collect() after (ms)", ours["gc_ms"], b.get("gc_ms"), 2),
    ]
    lines = [f"== {size:,} tasks ==", f"  {seeded.line()}"]
    lines.append(f"  {'':30} {'ours':>12} {'baseline':>12} {'baseline/ours':>14}")
    for label, mine, theirs, digits in rows:
        lines.append(
            f"  {label:30} {_fmt(mine, digits):>12} {_fmt(theirs, digits):>12} "
            f"{_ratio(theirs, mine):>14}"
        )
    report = ours["report"]
    lines.append(
        f"  {'held in memory':30} {ours['held']:>12,} {_fmt(b.get('held'), 0):>12}"
        f"   (ours: index entries due in the next {ours['window_s']} s; baseline: jobs)"
    )
    lines.append(
        f"  ours: {report['indexed']:,} indexed, caught up {report['caught_up']}, recovered "
        f"{report['recovered']}; full load_schedule_index() scan of {ours['scan_count']:,} "
        f"active tasks: {ours['scan_s']:.3f} s, +{ours['scan_rss_mb']:.1f} MB RSS, longest "
        f"stall {ours['scan_stall_ms']:.1f} ms (not part of the restore)"
    )
    if base is not None:
        lines.append(
            f"  baseline: {base['added']:,} jobs added; the one wake-up per add_job queued "
            f"meanwhile then held the loop {base['settle_s']:.2f} s more in its next pass; "
            f"runs executed/missed by then: {base['events']['executed']}/"
            f"{base['events']['missed']}"
        )
    if base_note:
        lines.append(f"  baseline: {base_note}")
    return "\n".join(lines)


def summary_table(results: list[dict[str, Any]]) -> str:
    """The Markdown table for docs/BENCHMARKS.md."""
    head = (
        "| tasks | ready: ours s | baseline s | ratio | RSS: ours MB | baseline MB | ratio "
        "| stall: ours ms | baseline ms | ratio | gc after: ours ms | baseline ms "
        "| index entries | full index scan s |"
    )
    lines = [head, "|" + "---|" * 14]
    for item in results:
        o, b = item["ours"], item["base"] or {}
        lines.append(
            f"| {item['size']:,} | {o['wall_s']:.3f} | {_fmt(b.get('wall_s'), 2)} "
            f"| {_ratio(b.get('wall_s'), o['wall_s'])} | {o['rss_mb']:.1f} "
            f"| {_fmt(b.get('rss_mb'))} | {_ratio(b.get('rss_mb'), o['rss_mb'])} "
            f"| {o['stall_ms']:.1f} | {_fmt(b.get('stall_ms'), 0)} "
            f"| {_ratio(b.get('stall_ms'), o['stall_ms'])} | {o['gc_ms']:.2f} "
            f"| {_fmt(b.get('gc_ms'))} | {o['held']:,} | {o['scan_s']:.3f} |"
        )
    return "\n".join(lines)


# ----------------------------------------------------------------------------- driver


def _baseline_for(size: int, args: argparse.Namespace) -> tuple[bool, float | None, str]:
    """Whether to run the baseline at this size, its time limit, and a note when skipped."""
    if args.postgres:
        return False, None, "not run on PostgreSQL (see the SQLite run)"
    if args.no_baseline_above is not None and size > args.no_baseline_above:
        return False, None, f"not run (--no-baseline-above {args.no_baseline_above:,})"
    if args.quick and size > min(_sizes(args)):
        return True, QUICK_BASELINE_TIMEOUT, ""
    return True, None, ""


def run_size(size: int, folder: Path, args: argparse.Namespace, rate: float) -> dict[str, Any]:
    """Seed one file (or PostgreSQL database), measure ours then the baseline on it."""
    from bench.common import database_target  # bench.common imports this module

    with database_target(folder, f"restore-{size}.sqlite3", args.postgres) as target:
        return _run_size(size, target, folder, args, rate)


def _run_size(
    size: int, path: str, folder: Path, args: argparse.Namespace, rate: float
) -> dict[str, Any]:
    lead = 5.0 + size * rate * 1.5  # every next_run_at after seeding, yet a full window ahead
    if args.postgres:
        lead *= 3  # seeding over a socket is slower
    now = (datetime.now(UTC) + timedelta(seconds=lead)).replace(microsecond=0)
    seeded = asyncio.run(seed_database(path, size, now))
    ours = _run_child("ours", path, not_before=now.timestamp() - 2.0)
    if ours is None:
        raise RuntimeError("ours timed out")
    wanted, timeout, note = _baseline_for(size, args)
    base = _run_child("baseline", path, timeout=timeout) if wanted else None
    if wanted and base is None:
        note = (
            f"took over {timeout:.0f} s and was stopped (--quick); the smaller size has it, "
            "or run without --quick"
        )
    print(size_block(size, seeded, ours, base, note), flush=True)
    if args.keep is None and not args.postgres:
        name = Path(path).name
        for leftover in (name, name + "-wal", name + "-shm"):
            (folder / leftover).unlink(missing_ok=True)
    return {"size": size, "seeded": seeded, "ours": ours, "base": base, "note": note}


def main(argv: list[str] | None = None) -> None:
    args = _parse(argv)
    if args.child:
        _child_main(args)
        return
    print(f"command: {command_line()}")
    for key, value in machine().items():
        print(f"{key}: {value}")
    print(
        "ours: Engine(...).start() until ready to fire; baseline: AsyncIOScheduler + "
        "MemoryJobStore, one add_job per active task; each in a fresh process.",
        flush=True,
    )
    results: list[dict[str, Any]] = []
    rate = SEED_RATE
    with tempfile.TemporaryDirectory(prefix="cadence-bench-") as scratch:
        folder = args.keep or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        for size in _sizes(args):
            item = run_size(size, folder, args, rate)
            rate = max(rate, item["seeded"].seconds / size)
            results.append(item)
    print("\n" + summary_table(results))
    if args.json:
        keys = ("size", "ours", "base", "note")
        rows = [{key: item[key] for key in keys} for item in results]
        args.json.write_text(json.dumps({"machine": machine(), "results": rows}, indent=1))
    print(f"\ntotal {time.perf_counter() - started:.0f} s (seeding and waiting included)")


if __name__ == "__main__":
    main()
