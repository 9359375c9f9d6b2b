"""Plot restore time and memory against the number of tasks, ours and the baseline.

    .venv/bin/pip install -r requirements-bench.txt      # matplotlib, for this script only
    .venv/bin/python -m bench.plot [--json PATH] [--out docs/bench-restore.png]

Reads the results ``bench/restore.py --json PATH`` wrote, or without ``--json`` the results
table of docs/BENCHMARKS.md (the restore section's "Results" table), and draws two log-log
panels, with ARCHITECTURE section 10's targets marked: time until ready to fire, and RSS growth.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "BENCHMARKS.md"
OUT = ROOT / "docs" / "bench-restore.png"
TABLE_HEAD = "| tasks | ready: ours s | baseline s |"
# ARCHITECTURE section 10: (tasks, seconds) and (tasks, MB).
TIME_TARGETS = ((100_000, 1.0), (1_000_000, 10.0))
MEMORY_TARGETS = ((100_000, 60.0), (1_000_000, 600.0))


@dataclass(frozen=True, slots=True)
class Point:
    size: int
    ours_s: float
    base_s: float  # NaN where the baseline was not run
    ours_mb: float
    base_mb: float


def _number(cell: str) -> float:
    cell = cell.strip().replace(",", "").replace("*", "")
    return math.nan if cell in ("", "—", "-") else float(cell)


def from_markdown(text: str) -> list[Point]:
    """The rows of the first restore results table in ``text``."""
    lines = text.splitlines()
    try:
        start = next(n for n, line in enumerate(lines) if line.startswith(TABLE_HEAD))
    except StopIteration:
        raise ValueError(f"no table starting {TABLE_HEAD!r}") from None
    points = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        cells = line.strip("|").split("|")
        points.append(
            Point(
                size=int(_number(cells[0])),
                ours_s=_number(cells[1]),
                base_s=_number(cells[2]),
                ours_mb=_number(cells[4]),
                base_mb=_number(cells[5]),
            )
        )
    return points


def from_json(data: dict[str, Any]) -> list[Point]:
    """The results ``bench.restore --json`` wrote."""
    points = []
    for item in data["results"]:
        base = item.get("base") or {}
        points.append(
            Point(
                size=int(item["size"]),
                ours_s=float(item["ours"]["wall_s"]),
                base_s=float(base.get("wall_s", math.nan)),
                ours_mb=float(item["ours"]["rss_mb"]),
                base_mb=float(base.get("rss_mb", math.nan)),
            )
        )
    return points


def draw(points: list[Point], out: Path, source: str) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        sys.exit(
            "bench.plot needs matplotlib, which is not installed here.\n"
            "Install it with: .venv/bin/pip install -r requirements-bench.txt"
        )
    sizes = [p.size for p in points]
    figure, (left, right) = plt.subplots(1, 2, figsize=(11, 4.5))
    panels = (
        (left, "restore until ready to fire", "seconds", "ours_s", "base_s", TIME_TARGETS),
        (right, "memory (RSS growth)", "MB", "ours_mb", "base_mb", MEMORY_TARGETS),
    )
    for axes, title, unit, ours_key, base_key, targets in panels:
        ours = [getattr(p, ours_key) for p in points]
        base = [getattr(p, base_key) for p in points]
        axes.plot(sizes, ours, "o-", color="tab:blue", label="Cadence (ours)")
        axes.plot(sizes, base, "s--", color="tab:red", label="bare APScheduler 3.11")
        axes.plot(
            [t[0] for t in targets], [t[1] for t in targets], "v", color="tab:green",
            markersize=9, linestyle="none", label="target (ARCHITECTURE §10)",
        )  # fmt: skip
        for size, value in zip(sizes, ours, strict=True):
            axes.annotate(
                f"{value:.2g}", (size, value), textcoords="offset points", xytext=(4, -12)
            )
        axes.set_xscale("log")
        axes.set_yscale("log")
        axes.set_xlabel("tasks stored")
        axes.set_ylabel(unit)
        axes.set_title(title)
        axes.grid(True, which="both", alpha=0.3)
        axes.legend(loc="upper left", fontsize="small")
    figure.suptitle(f"Restore: Cadence against bare APScheduler ({source})", fontsize="medium")
    figure.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(out, dpi=110)
    plt.close(figure)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.plot",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--json", type=Path, help="results written by bench.restore --json")
    parser.add_argument("--out", type=Path, default=OUT, help=f"default {OUT.relative_to(ROOT)}")
    args = parser.parse_args(argv)
    if args.json:
        points = from_json(json.loads(args.json.read_text()))
        source = args.json.name
    else:
        points = from_markdown(DOC.read_text())
        source = "docs/BENCHMARKS.md"
    if not points:
        sys.exit("no results to plot")
    draw(points, args.out, source)
    print(f"wrote {args.out} from {source}: " + ", ".join(f"{p.size:,}" for p in points))
    return 0


if __name__ == "__main__":
    sys.exit(main())
