"""Time two years of the default 250-bed hospital through the patient-flow simulation.

    .venv/bin/python bench/kpi/bench_simulation.py [--days 730] [--seed 42]

Prints wall time, peak RSS, volumes and the facility-level KPIs the KPI engine computes from the
simulated activity (a plausibility check of the model, not a benchmark of the engine).
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "src"))

from carehelm.engines.kpi import compute_kpis  # noqa: E402
from carehelm.engines.simulation import HospitalConfig, simulate  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--days", type=int, default=730)
    ap.add_argument("--seed", type=int, default=42)
    args = ap.parse_args()
    t0 = time.perf_counter()
    result = simulate(HospitalConfig(days=args.days, seed=args.seed))
    seconds = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    beds = sum(result.staffed_beds.values())
    print(f"simulated {args.days} days of a {beds}-bed hospital in {seconds:.1f} s, peak RSS {peak:.0f} MiB")
    print(
        f"{len(result.encounters):,} encounters, {len(result.unit_stays):,} unit stays, "
        f"{len(result.adt_events):,} ADT events {dict(sorted(Counter(e['trigger'] for e in result.adt_events).items()))}"
    )
    rows = compute_kpis(
        result.encounters, result.unit_stays, result.staffed_beds, grains=("month",), levels=("facility",)
    )
    total = rows.groupby("kpi")[["numerator", "denominator"]].sum()
    for kpi in ("occupancy_pct", "average_length_of_stay", "readmission_rate_30d", "ed_lwbs_rate"):
        print(f"  {kpi}: {total.loc[kpi, 'numerator'] / total.loc[kpi, 'denominator']:.3f}")


if __name__ == "__main__":
    main()
