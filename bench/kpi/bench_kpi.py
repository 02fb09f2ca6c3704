"""KPI rebuild benchmark: the DuckDB engine against a plain pandas implementation, side by side.

For each size (default 1, 5 and 10 million encounters) a child process generates synthetic
activity (``synthetic.py``, fixed seed) and writes it to Parquet; then two more children, one
after the other, compute the full KPI set (every KPI, day/week/month, facility and unit level):

* ``duckdb``: ``carehelm.engines.kpi.compute_kpis`` reading the Parquet files directly;
* ``pandas``: ``pandas_reference.compute_kpis_pandas`` on DataFrames loaded from the same files
  (load time reported apart, so the compute ratio does not flatter DuckDB).

Each child reports its wall time and its peak resident memory (``getrusage`` ru_maxrss of the
child); both write their rows, and the parent checks they agree. Results go to
bench/results/kpi.md.

    .venv/bin/python bench/kpi/bench_kpi.py                       # 1M, 5M, 10M
    .venv/bin/python bench/kpi/bench_kpi.py --sizes 100000 --out /tmp/kpi.md
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT / "src"))


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux: KiB


def child_generate(workdir: Path, n: int) -> dict:
    import duckdb
    from synthetic import synthetic_activity

    t0 = time.perf_counter()
    enc, stays, beds = synthetic_activity(n, seed=7)
    con = duckdb.connect()
    con.register("enc_df", enc)
    con.register("stays_df", stays)
    con.execute(f"COPY enc_df TO '{workdir / 'encounters.parquet'}' (FORMAT parquet)")
    con.execute(f"COPY stays_df TO '{workdir / 'unit_stays.parquet'}' (FORMAT parquet)")
    (workdir / "beds.json").write_text(json.dumps([[f, u, b] for (f, u), b in beds.items()]))
    return {"seconds": time.perf_counter() - t0, "encounters": len(enc), "unit_stays": len(stays)}


def _beds(workdir: Path) -> dict:
    return {(f, u): b for f, u, b in json.loads((workdir / "beds.json").read_text())}


def child_duckdb(workdir: Path) -> dict:
    from synthetic import date_range_of_synthetic

    from carehelm.engines.kpi import compute_kpis

    base = _peak_rss_mib()
    t0 = time.perf_counter()
    rows = compute_kpis(
        workdir / "encounters.parquet",
        workdir / "unit_stays.parquet",
        _beds(workdir),
        **date_range_of_synthetic(),
    )
    seconds = time.perf_counter() - t0
    peak = _peak_rss_mib()
    rows.to_pickle(workdir / "rows_duckdb.pkl")
    return {"seconds": seconds, "peak_rss_mib": peak, "baseline_rss_mib": base, "rows": len(rows)}


def child_pandas(workdir: Path) -> dict:
    import duckdb
    from pandas_reference import compute_kpis_pandas
    from synthetic import date_range_of_synthetic

    base = _peak_rss_mib()
    t0 = time.perf_counter()
    # pyarrow is not a project dependency; DuckDB reads the Parquet into plain pandas columns.
    con = duckdb.connect()
    enc = con.execute(f"SELECT * FROM read_parquet('{workdir / 'encounters.parquet'}')").df()
    stays = con.execute(f"SELECT * FROM read_parquet('{workdir / 'unit_stays.parquet'}')").df()
    con.close()
    load = time.perf_counter() - t0
    t1 = time.perf_counter()
    rows = compute_kpis_pandas(enc, stays, _beds(workdir), **date_range_of_synthetic())
    seconds = time.perf_counter() - t1
    peak = _peak_rss_mib()
    rows.to_pickle(workdir / "rows_pandas.pkl")
    return {
        "seconds": seconds,
        "load_seconds": load,
        "peak_rss_mib": peak,
        "baseline_rss_mib": base,
        "rows": len(rows),
    }


CHILDREN = {"generate": child_generate, "duckdb": child_duckdb, "pandas": child_pandas}


# 1-minute load average sampled before and after each child: the machine is shared, and the
# report says how loaded it was while the figures were taken.
LOAD_SAMPLES: list[float] = []


def run_child(kind: str, workdir: Path, n: int, timeout: float) -> dict:
    LOAD_SAMPLES.append(os.getloadavg()[0])
    try:
        return _run_child(kind, workdir, n, timeout)
    finally:
        LOAD_SAMPLES.append(os.getloadavg()[0])


def _run_child(kind: str, workdir: Path, n: int, timeout: float) -> dict:
    cmd = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--child",
        kind,
        "--workdir",
        str(workdir),
        "--n",
        str(n),
    ]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout:.0f} s"}
    if proc.returncode != 0:
        tail = (proc.stderr or "").strip().splitlines()[-1:] or [f"exit code {proc.returncode}"]
        if proc.returncode < 0:
            tail = [f"killed by signal {-proc.returncode} (out of memory?)"]
        return {"error": tail[0]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def compare(workdir: Path) -> str:
    import numpy as np
    import pandas as pd

    key = ["grain", "period", "facility", "unit", "kpi"]
    a = pd.read_pickle(workdir / "rows_duckdb.pkl")
    b = pd.read_pickle(workdir / "rows_pandas.pkl")
    a["unit"], b["unit"] = a["unit"].fillna("-"), b["unit"].fillna("-")
    m = a.merge(b, on=key, how="outer", indicator=True)
    if (m["_merge"] != "both").any():
        return f"DIFFER: {(m['_merge'] != 'both').sum()} rows in one only"
    bad = sum(
        int(
            (
                ~np.isclose(
                    m[f"{c}_x"].astype(float), m[f"{c}_y"].astype(float), rtol=1e-9, atol=1e-9, equal_nan=True
                )
            ).sum()
        )
        for c in ("numerator", "denominator", "value")
    )
    return "identical (1e-9)" if bad == 0 else f"DIFFER: {bad} values"


def machine() -> str:
    cpu = next(
        (
            ln.split(":", 1)[1].strip()
            for ln in Path("/proc/cpuinfo").read_text().splitlines()
            if ln.startswith("model name")
        ),
        platform.processor(),
    )
    mem_kib = next(
        int(ln.split()[1])
        for ln in Path("/proc/meminfo").read_text().splitlines()
        if ln.startswith("MemTotal")
    )
    import duckdb
    import pandas

    return (
        f"{os.cpu_count()} cores (`nproc`), CPU {cpu}, RAM {mem_kib / 1024**2:.1f} GiB; "
        f"Python {platform.python_version()}, DuckDB {duckdb.__version__}, pandas {pandas.__version__}; "
        f"load average at start {os.getloadavg()[0]:.2f}"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 5_000_000, 10_000_000])
    ap.add_argument("--timeout", type=float, default=900, help="seconds per child process")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "kpi.md")
    ap.add_argument("--child", choices=CHILDREN)
    ap.add_argument("--workdir", type=Path)
    ap.add_argument("--n", type=int)
    args = ap.parse_args()
    if args.child:
        fn = CHILDREN[args.child]
        result = fn(args.workdir, args.n) if args.child == "generate" else fn(args.workdir)
        print(json.dumps(result))
        return

    started = dt.datetime.now(dt.UTC)
    info = machine()
    results = []
    for n in args.sizes:
        workdir = Path(tempfile.mkdtemp(prefix=f"kpi-bench-{n}-"))
        try:
            print(f"[{n:,}] generating ...", flush=True)
            gen = run_child("generate", workdir, n, args.timeout)
            if "error" in gen:
                results.append({"n": n, "gen": gen, "duck": gen, "pandas": gen, "agree": "-"})
                continue
            print(f"[{n:,}] duckdb ...", flush=True)
            duck = run_child("duckdb", workdir, n, args.timeout)
            print(f"[{n:,}] duckdb {duck}", flush=True)
            print(f"[{n:,}] pandas ...", flush=True)
            pand = run_child("pandas", workdir, n, args.timeout)
            print(f"[{n:,}] pandas {pand}", flush=True)
            agree = compare(workdir) if "error" not in duck and "error" not in pand else "-"
            results.append({"n": n, "gen": gen, "duck": duck, "pandas": pand, "agree": agree})
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
    write_report(args, started, info, results)


def write_report(args, started: dt.datetime, info: str, results: list[dict]) -> None:
    def cell(r: dict, key: str, fmt: str) -> str:
        return "failed: " + r["error"] if "error" in r else format(r[key], fmt)

    lines = [
        "# KPI rebuild: DuckDB engine vs plain pandas",
        "",
        f"Date: {started:%Y-%m-%d %H:%M} UTC. Machine: {info}.",
        f"Load average (1 min) sampled before and after each step: {min(LOAD_SAMPLES, default=0):.2f} to "
        f"{max(LOAD_SAMPLES, default=0):.2f}, mean {sum(LOAD_SAMPLES) / max(len(LOAD_SAMPLES), 1):.2f}.",
        "The machine is shared with other engineers working at the same time; figures are one run each.",
        "",
        "Command:",
        "",
        "```",
        "cd /work/main && .venv/bin/python bench/kpi/bench_kpi.py "
        + " ".join(["--sizes", *map(str, args.sizes), "--timeout", f"{args.timeout:.0f}"]),
        "```",
        "",
        "Full KPI set (13 KPIs; day, week and month; facility and unit level) over two years of synthetic",
        "activity (`bench/kpi/synthetic.py`, seed 7: 3 facilities, 9 units each, 35% inpatient, 45% ED).",
        "DuckDB reads the Parquet files itself; pandas gets DataFrames loaded from the same files (load time",
        "shown apart and not counted in its compute time). Peak RSS is each child process's own maximum",
        "resident memory (`getrusage`), interpreter and imports included.",
        "",
        "| encounters | unit stays | DuckDB s | pandas compute s | pandas load s | speed-up (compute) | "
        "speed-up (incl. load) | DuckDB peak RSS MiB | pandas peak RSS MiB | rows | results |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in results:
        d, p = r["duck"], r["pandas"]
        ok = "error" not in d and "error" not in p
        lines.append(
            f"| {r['n']:,} | {r['gen'].get('unit_stays', 0):,} | {cell(d, 'seconds', '.1f')} | "
            f"{cell(p, 'seconds', '.1f')} | {cell(p, 'load_seconds', '.1f')} | "
            f"{(p['seconds'] / d['seconds']) if ok else float('nan'):.1f}x | "
            f"{((p['seconds'] + p['load_seconds']) / d['seconds']) if ok else float('nan'):.1f}x | "
            f"{cell(d, 'peak_rss_mib', '.0f')} | {cell(p, 'peak_rss_mib', '.0f')} | "
            f"{d.get('rows', '-')} | {r['agree']} |"
        )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    existing = args.out.read_text() if args.out.exists() else ""
    notes = existing.split("<!-- notes -->", 1)[1] if "<!-- notes -->" in existing else "\n"
    args.out.write_text("\n".join(lines) + "\n\n<!-- notes -->" + notes)
    print(args.out.read_text())


if __name__ == "__main__":
    main()
