"""Benchmark runner for the Curtois & Qu instances: ``run_benchmark(...)`` writes a markdown table.

Used by ``carehelm roster bench``. The best-known value of an instance is the smallest upper
bound listed in ``best_known.csv`` (as its README says); the gap is ``(ours - best) / best``.
"""

from __future__ import annotations

import csv
import os
import platform
import shlex
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from .curtois import read_instance
from .evaluate import evaluate
from .solver import solve

DEFAULT_DATA = Path("bench/data/curtois")
DEFAULT_RESULTS = Path("bench/results/rostering-curtois.md")


@dataclass
class BenchRow:
    instance: str
    size: str
    objective: int | None
    best_known: int | None
    lower_bound: int | None
    time_to_best: float | None
    status: str
    violations: int

    @property
    def gap(self) -> float | None:
        if self.objective is None or not self.best_known:
            return None
        return 100.0 * (self.objective - self.best_known) / self.best_known


def read_best_known(path: Path) -> dict[str, tuple[int, str]]:
    """instance -> (smallest listed upper bound, size "days/staff/types")."""
    out = {}
    with path.open(newline="") as f:
        for row in csv.DictReader(f):
            ubs = [int(row[k]) for k in row if k.startswith("ub_") and row[k]]
            out[row["instance"]] = (min(ubs), f"{row['days']}/{row['staff']}/{row['shift_types']}")
    return out


def parse_range(text: str) -> list[int]:
    """ "1-24", "1,3,5-7" -> list of instance numbers."""
    numbers: list[int] = []
    for part in text.split(","):
        part = part.strip()
        if "-" in part:
            a, b = part.split("-", 1)
            numbers += range(int(a), int(b) + 1)
        elif part:
            numbers.append(int(part))
    return numbers


def machine_description() -> str:
    cpu = platform.processor() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = "unknown RAM"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                ram = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB RAM"
                break
    except OSError:
        pass
    return f"{os.cpu_count()} cores (nproc), {cpu}, {ram}, Python {platform.python_version()}"


def load_average() -> str:
    try:
        return " / ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "n/a"


def run_benchmark(
    numbers: list[int],
    *,
    time_limit: float,
    workers: int,
    seed: int,
    data: Path = DEFAULT_DATA,
    out: Path = DEFAULT_RESULTS,
    command: str | None = None,
    progress: bool = True,
) -> list[BenchRow]:
    from tqdm import tqdm

    best_known = read_best_known(data / "best_known.csv")
    started = datetime.now(UTC)
    load_start = load_average()
    rows: list[BenchRow] = []
    bar = tqdm(numbers, desc="roster bench", unit="instance", disable=not progress)
    for n in bar:
        name = f"Instance{n}"
        bar.set_postfix_str(name)
        problem = read_instance(data / f"{name}.txt")
        best, size = best_known.get(name, (None, f"{problem.horizon_days}/{len(problem.staff)}/?"))

        def show(p, _name=name):
            bar.set_postfix_str(f"{_name} best={p.objective} t={p.elapsed:.0f}s")

        try:
            result = solve(problem, time_limit=time_limit, workers=workers, seed=seed, on_progress=show)
            violations = len(evaluate(problem, result.roster).violations) if result.roster else 0
            rows.append(
                BenchRow(
                    name,
                    size,
                    result.objective,
                    best,
                    result.lower_bound,
                    result.stats.get("time_to_best"),
                    result.status,
                    violations,
                )
            )
        except Exception as exc:  # one failing instance must not lose the others' figures
            rows.append(BenchRow(name, size, None, best, None, None, f"error: {exc}", 0))
        write_results(rows, out, time_limit, workers, seed, started, load_start, command)
    return rows


def write_results(
    rows: list[BenchRow],
    out: Path,
    time_limit: float,
    workers: int,
    seed: int,
    started: datetime,
    load_start: str,
    command: str | None,
) -> None:
    command = command or "carehelm " + " ".join(shlex.quote(a) for a in sys.argv[1:])
    lines = [
        "# Rostering engine on the Curtois & Qu (2014) benchmark",
        "",
        f"- Date: {started.strftime('%Y-%m-%d %H:%M UTC')} (table rewritten after each instance; "
        f"last update {datetime.now(UTC).strftime('%H:%M UTC')})",
        f"- Machine: {machine_description()}",
        f"- Load average (1/5/15 min) at start: {load_start}; now: {load_average()}. A run with 2 "
        "workers keeps it near 2 by itself; a start well above 1 means other work shared the cores.",
        f"- Settings: time limit {time_limit:g} s per instance, {workers} workers, seed {seed}",
        f"- Command: `{command}`",
        "- Best-known: the smallest upper bound listed in bench/data/curtois/best_known.csv. "
        "Gap = (ours - best-known) / best-known. Lower bound: best proven bound from our run "
        "(column-generation Lagrangian bound or CP-SAT), blank if none.",
        "",
        "| Instance | Size (days/staff/types) | Our objective | Best-known | Gap % | Lower bound | "
        "Time to best (s) | Status | Hard violations |",
        "|---|---|---:|---:|---:|---:|---:|---|---:|",
    ]
    for r in rows:
        gap = "" if r.gap is None else f"{r.gap:.2f}"
        obj = "no roster" if r.objective is None else str(r.objective)
        lb = "" if r.lower_bound is None else str(r.lower_bound)
        ttb = "" if r.time_to_best is None else f"{r.time_to_best:.1f}"
        lines.append(
            f"| {r.instance} | {r.size} | {obj} | {r.best_known or ''} | {gap} | {lb} | {ttb} | {r.status} | "
            f"{r.violations} |"
        )
    solved = [r for r in rows if r.gap is not None]
    at_best = sum(1 for r in solved if r.gap <= 1e-9)
    lines += [
        "",
        f"Instances run: {len(rows)}; rosters found: {len(solved)}; at best-known: {at_best}.",
        "",
    ]
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".tmp")
    tmp.write_text("\n".join(lines))
    tmp.replace(out)
