"""Benchmark: time of the SPC engine for a 10,000-point chart.

Measures ``spc()`` (engine only) and the whole ``carehelm spc`` command path (CSV reading, engine,
JSON) for an I chart with the Anhøj rules, an I chart with the Making Data Count rules and a
P chart, on synthetic data (fixed seed), and writes ``bench/results/spc.md``.

    .venv/bin/python bench/spc/bench_spc.py [--points 10000] [--repeats 15]
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import io
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from carehelm.engines.spc import spc
from carehelm.engines.spc.cli import main as spc_cli

RESULTS = Path(__file__).resolve().parents[1] / "results" / "spc.md"


def _series(points: int) -> dict[str, Any]:
    rng = np.random.default_rng(20241127)
    # A level shift two thirds of the way gives the rules something to find.
    level = np.where(np.arange(points) < 2 * points // 3, 100.0, 104.0)
    n = rng.integers(200, 400, size=points).astype(float)
    return {
        "x": [f"d{k:06d}" for k in range(points)],
        "y": level + rng.normal(0, 3, size=points),
        "n": n,
        "count": rng.binomial(n.astype(int), 0.08).astype(float),
    }


def _time(run: Callable[[], object], repeats: int) -> tuple[float, float]:
    run()  # warm-up (imports, caches)
    seconds = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        seconds.append(time.perf_counter() - start)
    return statistics.median(seconds), min(seconds)


def _machine() -> str:
    cpu = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    ram = "unknown"
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                ram = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    load = "unknown"
    with contextlib.suppress(OSError):
        load = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    return (
        f"{os.cpu_count()} CPUs (nproc), {cpu}, RAM {ram}; load average at start {load}; "
        f"Python {platform.python_version()}, numpy {np.__version__}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args()
    machine = _machine()
    data = _series(args.points)
    cases: list[tuple[str, Callable[[], object], list[str]]] = [
        (
            "I chart, Anhøj rules",
            lambda: spc(data["y"], data["x"], chart="i"),
            ["--chart", "i", "--y", "y", "--x", "x"],
        ),
        (
            "I chart, Making Data Count rules",
            lambda: spc(data["y"], data["x"], chart="i", rules="mdc", target=101.0),
            ["--chart", "i", "--y", "y", "--x", "x", "--rules", "mdc", "--target", "101"],
        ),
        (
            "P chart, Anhøj rules",
            lambda: spc(data["count"], data["x"], data["n"], chart="p"),
            ["--chart", "p", "--y", "count", "--x", "x", "--n", "n"],
        ),
    ]
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        csv_path = Path(folder) / "series.csv"
        with csv_path.open("w") as handle:
            handle.write("x,y,count,n\n")
            for k in range(args.points):
                handle.write(
                    f"{data['x'][k]},{float(data['y'][k])!r},{data['count'][k]:g},{data['n'][k]:g}\n"
                )
        for title, engine_call, cli_args in cases:
            engine_median, engine_min = _time(engine_call, args.repeats)

            def cli_call(cli_args: list[str] = cli_args) -> None:
                with contextlib.redirect_stdout(io.StringIO()):
                    assert spc_cli([str(csv_path), *cli_args, "--json"]) == 0

            cli_median, cli_min = _time(cli_call, args.repeats)
            rows.append((title, engine_median, engine_min, cli_median, cli_min))
            print(
                f"{title}: engine {engine_median * 1000:.1f} ms, CLI {cli_median * 1000:.1f} ms",
                file=sys.stderr,
            )

    lines = [
        "# SPC engine: time for a 10,000-point chart"
        if args.points == 10_000
        else f"# SPC: {args.points} points",
        "",
        f"{args.points:,} subgroups (one row each, text keys), synthetic data with a level shift (seed 20241127); "
        f"median and best of {args.repeats} runs after a warm-up.",
        "",
        "| chart | engine `spc()` median | best | CLI (CSV in, JSON out) median | best |",
        "|---|---|---|---|---|",
    ]
    for title, engine_median, engine_min, cli_median, cli_min in rows:
        lines.append(
            f"| {title} | {engine_median * 1000:.1f} ms | {engine_min * 1000:.1f} ms "
            f"| {cli_median * 1000:.1f} ms | {cli_min * 1000:.1f} ms |"
        )
    lines += [
        "",
        f"- Machine: {machine}. The 2 cores are shared with other engineers' jobs, so the figures "
        "may include interference; the best-of figure is the least disturbed.",
        f"- Date: {dt.datetime.now(dt.UTC).strftime('%Y-%m-%d %H:%M UTC')}",
        f"- Command: `.venv/bin/python bench/spc/bench_spc.py --points {args.points} --repeats {args.repeats}`",
        "",
    ]
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text("\n".join(lines))
    print(f"wrote {RESULTS}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
