"""The KPI engine: encounters and unit stays in, tidy KPI rows out, computed in DuckDB.

Every additive quantity (patient days, admissions, discharges, transfers, length-of-stay days,
index and readmitted discharges, ED arrivals and walk-outs, staffed bed days) is first counted
per facility, unit and day; weeks, months and facility totals are sums of those daily counts,
so a monthly figure is always the sum of its days. Only the ED length-of-stay percentiles are
computed from the visits of each period directly. The midnight census uses +1/-1 markers at
the first and after the last census day of each stay and a running sum per unit, which keeps the
work proportional to stays plus unit-days rather than to patient days.
"""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
from collections.abc import Callable, Iterable
from typing import Any

import duckdb
import pandas as pd

from .definitions import (
    BEDDED_CLASSES,
    INDEX_EXCLUDED_DISPOSITIONS,
    KPI_DEFINITIONS,
    READMISSION_WINDOW_DAYS,
)
from .sources import KpiInputError, fetch_row, load_sources

GRAINS = ("day", "week", "month")
LEVELS = ("facility", "unit")
RESULT_COLUMNS = ["grain", "period", "facility", "unit", "kpi", "numerator", "denominator", "value"]

ProgressCallback = Callable[[int, int, str], None]

_STEPS = (
    "reading and checking inputs",
    "census",
    "admissions, discharges, transfers",
    "readmissions",
    "emergency department",
    "periods and totals",
)


def _sql_list(values: Iterable[str]) -> str:
    return ", ".join("'" + v.replace("'", "''") + "'" for v in values)


def _as_date(value: Any, name: str) -> dt.date:
    try:
        return pd.Timestamp(value).date()
    except (ValueError, TypeError) as exc:
        raise KpiInputError("parameters", f"{name}={value!r} is not a date") from exc


def compute_kpis(
    encounters: Any,
    unit_stays: Any,
    staffed_beds: Any = None,
    *,
    start: Any = None,
    end: Any = None,
    as_of: Any = None,
    grains: Iterable[str] = GRAINS,
    levels: Iterable[str] = LEVELS,
    kpis: Iterable[str] | None = None,
    on_progress: ProgressCallback | None = None,
    threads: int | None = None,
    memory_limit: str | None = "1GB",
) -> pd.DataFrame:
    """Compute the KPI set and return tidy rows.

    ``encounters``/``unit_stays``/``staffed_beds``: DataFrames, Arrow tables or Parquet/CSV paths
    (see :mod:`.sources` for the columns). ``start``/``end`` bound the days reported (inclusive;
    default: first admission day to the day of ``as_of``). ``as_of`` is the instant the data is
    complete to (default: the latest time in the data); it decides whether a discharge has its
    full 30 days of readmission follow-up. Returns a DataFrame with columns
    grain, period (first day, ``YYYY-MM-DD``), facility, unit (``None`` for the facility level),
    kpi, numerator, denominator, value; undefined values (nothing to divide by) are NaN.

    ``memory_limit`` caps DuckDB's working memory (beyond it DuckDB spills to a temporary
    directory), so a rebuild over Parquet files stays within a fixed footprint whatever the
    number of encounters; ``None`` leaves DuckDB's default (80% of RAM). ``threads``: DuckDB
    worker threads (default: all cores). ``on_progress(step, steps, label)`` is called as work
    advances.
    """
    grains = tuple(grains)
    levels = tuple(levels)
    wanted = tuple(kpis) if kpis is not None else tuple(KPI_DEFINITIONS)
    for g in grains:
        if g not in GRAINS:
            raise KpiInputError("parameters", f"grain {g!r}: expected one of {', '.join(GRAINS)}")
    for lv in levels:
        if lv not in LEVELS:
            raise KpiInputError("parameters", f"level {lv!r}: expected one of {', '.join(LEVELS)}")
    for k in wanted:
        if k not in KPI_DEFINITIONS:
            raise KpiInputError("parameters", f"unknown kpi {k!r}")

    def progress(step: int) -> None:
        if on_progress is not None:
            # step k of n means "now doing step k"; (n, n, "done") closes the bar.
            label = _STEPS[step - 1] if step <= len(_STEPS) else "done"
            on_progress(min(step, len(_STEPS)), len(_STEPS), label)

    spill_dir = tempfile.mkdtemp(prefix="carehelm-kpi-")
    config: dict[str, Any] = {"temp_directory": spill_dir}
    if threads:
        config["threads"] = threads
    if memory_limit:
        config["memory_limit"] = memory_limit
    con = duckdb.connect(":memory:", config=config)
    try:
        progress(1)
        load_sources(con, encounters=encounters, unit_stays=unit_stays, staffed_beds=staffed_beds)
        # After validation row order no longer matters; letting DuckDB reorder saves memory.
        con.execute("SET preserve_insertion_order = false")
        as_of_ts, start_d, end_d = _range(con, start, end, as_of)
        _build_daily(con, start_d, end_d, as_of_ts, progress)
        progress(6)
        result = _emit(con, grains, levels, wanted, start_d, end_d)
        progress(7)
        return result
    finally:
        con.close()
        shutil.rmtree(spill_dir, ignore_errors=True)


def _range(
    con: duckdb.DuckDBPyConnection, start: Any, end: Any, as_of: Any
) -> tuple[dt.datetime, dt.date, dt.date]:
    if as_of is None:
        row = fetch_row(
            con,
            """
            SELECT greatest(
                (SELECT max(greatest(admit_time, coalesce(discharge_time, admit_time),
                                     coalesce(departure_time, admit_time))) FROM enc),
                (SELECT max(greatest(start_time, coalesce(end_time, start_time))) FROM stays_x))
        """,
        )
        if row[0] is None:
            raise KpiInputError("encounters", "no encounters")
        as_of_ts = pd.Timestamp(row[0]).to_pydatetime()
    else:
        as_of_ts = pd.Timestamp(as_of).to_pydatetime()
    if start is None:
        first = fetch_row(con, "SELECT min(CAST(admit_time AS DATE)) FROM enc")[0]
        if first is None:
            raise KpiInputError("encounters", "no encounters")
        start_d = first
    else:
        start_d = _as_date(start, "start")
    end_d = as_of_ts.date() if end is None else _as_date(end, "end")
    if end_d < start_d:
        raise KpiInputError("parameters", f"end {end_d} is before start {start_d}")
    return as_of_ts, start_d, end_d


def _build_daily(
    con: duckdb.DuckDBPyConnection,
    start: dt.date,
    end: dt.date,
    as_of: dt.datetime,
    progress: Callable[[int], None],
) -> None:
    s, e = f"DATE '{start.isoformat()}'", f"DATE '{end.isoformat()}'"
    in_range = f"BETWEEN {s} AND {e}"
    progress(2)
    con.execute(f"""
        CREATE TEMP TABLE cal AS
        SELECT CAST(range AS DATE) AS day FROM range({s}, {e} + INTERVAL 1 DAY, INTERVAL 1 DAY)
    """)
    con.execute(f"""
        CREATE TEMP TABLE bstays AS
        SELECT encounter_id, facility, unit, start_time, end_time
        FROM stays_x WHERE cls IN ({_sql_list(BEDDED_CLASSES)})
    """)
    # Census day D counts a stay when start_time < midnight(D+1) <= end_time, so the stay is
    # counted on days CAST(start AS DATE) .. CAST(end AS DATE) - 1 (open stays: to the range end).
    con.execute(f"""
        CREATE TEMP TABLE census_delta AS
        WITH spans AS (
            SELECT facility, unit, CAST(start_time AS DATE) AS first_day,
                   CASE WHEN end_time IS NULL THEN {e} ELSE CAST(end_time AS DATE) - 1 END AS last_day
            FROM bstays),
        kept AS (
            SELECT facility, unit, greatest(first_day, {s}) AS f, least(last_day, {e}) AS l FROM spans
            WHERE first_day <= last_day AND last_day >= {s} AND first_day <= {e})
        SELECT facility, unit, day, sum(delta) AS delta FROM (
            SELECT facility, unit, f AS day, 1 AS delta FROM kept
            UNION ALL
            SELECT facility, unit, l + 1 AS day, -1 AS delta FROM kept WHERE l < {e})
        GROUP BY ALL
    """)
    progress(3)
    con.execute("""
        CREATE TEMP TABLE seq AS
        SELECT encounter_id, facility, unit, start_time,
               row_number() OVER w AS seq, lag(unit) OVER w AS prev_unit
        FROM bstays
        WINDOW w AS (PARTITION BY encounter_id ORDER BY start_time, end_time NULLS LAST, unit)
    """)
    con.execute(f"""
        CREATE TEMP TABLE transfers AS
        SELECT facility, unit, day, sum(t_in) AS transfers_in, sum(t_out) AS transfers_out FROM (
            SELECT facility, unit, CAST(start_time AS DATE) AS day, 1 AS t_in, 0 AS t_out FROM seq
            WHERE prev_unit IS NOT NULL AND prev_unit <> unit
            UNION ALL
            SELECT facility, prev_unit, CAST(start_time AS DATE), 0, 1 FROM seq
            WHERE prev_unit IS NOT NULL AND prev_unit <> unit)
        WHERE day {in_range}
        GROUP BY ALL
    """)
    con.execute(f"""
        CREATE TEMP TABLE admissions AS
        SELECT e.facility, coalesce(f.unit, e.unit) AS unit, CAST(e.admit_time AS DATE) AS day,
               count(*) AS admissions
        FROM enc e LEFT JOIN (SELECT encounter_id, unit FROM seq WHERE seq = 1) f USING (encounter_id)
        WHERE e.cls = 'inpatient' AND CAST(e.admit_time AS DATE) {in_range}
        GROUP BY ALL
    """)
    con.execute(f"""
        CREATE TEMP TABLE discharges AS
        SELECT facility, unit, CAST(discharge_time AS DATE) AS day, count(*) AS discharges,
               sum(epoch(discharge_time - admit_time)) / 86400.0 AS los_days
        FROM enc
        WHERE cls = 'inpatient' AND discharge_time IS NOT NULL AND CAST(discharge_time AS DATE) {in_range}
        GROUP BY ALL
    """)
    progress(4)
    window = f"INTERVAL {READMISSION_WINDOW_DAYS} DAY"
    con.execute(f"""
        CREATE TEMP TABLE readmissions AS
        WITH idx AS (
            SELECT patient_id, facility, unit, discharge_time FROM enc
            WHERE cls = 'inpatient' AND discharge_time IS NOT NULL
              AND coalesce(disposition, '') NOT IN ({_sql_list(INDEX_EXCLUDED_DISPOSITIONS)})
              AND discharge_time + {window} <= TIMESTAMP '{as_of.isoformat(sep=" ")}'
              AND CAST(discharge_time AS DATE) {in_range}),
        inp AS (SELECT patient_id, admit_time FROM enc WHERE cls = 'inpatient')
        SELECT idx.facility, idx.unit, CAST(idx.discharge_time AS DATE) AS day, count(*) AS index_n,
               count(*) FILTER (WHERE inp.admit_time <= idx.discharge_time + {window}) AS readmit_n
        FROM idx ASOF LEFT JOIN inp
             ON idx.patient_id = inp.patient_id AND inp.admit_time > idx.discharge_time
        GROUP BY ALL
    """)
    progress(5)
    con.execute(f"""
        CREATE TEMP TABLE ed AS
        SELECT facility, unit, CAST(arrival_time AS DATE) AS day, count(*) AS ed_arrivals,
               count(*) FILTER (WHERE lwbs) AS ed_lwbs
        FROM enc WHERE cls = 'emergency' AND CAST(arrival_time AS DATE) {in_range}
        GROUP BY ALL
    """)
    # Which units report which KPI families is decided on all the data, not on the range, so a
    # quiet month still shows a zero rather than a missing unit.
    con.execute("""
        CREATE TEMP TABLE units AS
        SELECT facility, unit, bool_or(bedded) AS bedded, bool_or(emergency) AS emergency,
               max(staffed_beds) AS staffed_beds
        FROM (
            SELECT facility, unit, true AS bedded, false AS emergency, NULL::DOUBLE AS staffed_beds
            FROM bstays GROUP BY ALL
            UNION ALL
            SELECT facility, unit, bool_or(cls = 'inpatient'), bool_or(cls = 'emergency'), NULL FROM enc
            WHERE cls IN ('inpatient', 'emergency') GROUP BY ALL
            UNION ALL
            SELECT facility, unit, true, false, staffed_beds FROM beds)
        GROUP BY ALL
    """)
    con.execute("""
        CREATE TEMP TABLE unit_daily AS
        WITH grid AS (SELECT u.*, c.day FROM units u CROSS JOIN cal c)
        SELECT g.facility, g.unit, g.day, g.bedded, g.emergency, coalesce(g.staffed_beds, 0) AS beds,
               sum(coalesce(cd.delta, 0)) OVER (PARTITION BY g.facility, g.unit ORDER BY g.day
                                                ROWS UNBOUNDED PRECEDING) AS census,
               coalesce(a.admissions, 0) AS admissions,
               coalesce(d.discharges, 0) AS discharges, coalesce(d.los_days, 0) AS los_days,
               coalesce(t.transfers_in, 0) AS transfers_in, coalesce(t.transfers_out, 0) AS transfers_out,
               coalesce(r.index_n, 0) AS index_n, coalesce(r.readmit_n, 0) AS readmit_n,
               coalesce(x.ed_arrivals, 0) AS ed_arrivals, coalesce(x.ed_lwbs, 0) AS ed_lwbs
        FROM grid g
        LEFT JOIN census_delta cd USING (facility, unit, day)
        LEFT JOIN admissions a USING (facility, unit, day)
        LEFT JOIN discharges d USING (facility, unit, day)
        LEFT JOIN transfers t USING (facility, unit, day)
        LEFT JOIN readmissions r USING (facility, unit, day)
        LEFT JOIN ed x USING (facility, unit, day)
    """)


_GRAIN_TRUNC = {"day": "day", "week": "week", "month": "month"}


def _emit(
    con: duckdb.DuckDBPyConnection,
    grains: tuple[str, ...],
    levels: tuple[str, ...],
    wanted: tuple[str, ...],
    start: dt.date,
    end: dt.date,
) -> pd.DataFrame:
    s, e = f"DATE '{start.isoformat()}'", f"DATE '{end.isoformat()}'"
    level_rows = []
    if "unit" in levels:
        level_rows.append("""
            SELECT 'unit' AS level, facility, unit, day, bedded, emergency, beds > 0 AS has_beds,
                   census AS patient_days, CASE WHEN beds > 0 THEN census ELSE 0 END AS occ_days,
                   beds AS bed_days, admissions, discharges, los_days, transfers_in, transfers_out,
                   index_n, readmit_n, ed_arrivals, ed_lwbs,
                   CASE WHEN beds > 0 THEN discharges + transfers_out ELSE 0 END AS turnover_n
            FROM unit_daily""")
    if "facility" in levels:
        level_rows.append("""
            SELECT 'facility' AS level, facility, NULL::VARCHAR AS unit, day, bool_or(bedded) AS bedded,
                   bool_or(emergency) AS emergency, bool_or(beds > 0) AS has_beds,
                   sum(census) AS patient_days, coalesce(sum(census) FILTER (WHERE beds > 0), 0) AS occ_days,
                   sum(beds) AS bed_days, sum(admissions) AS admissions, sum(discharges) AS discharges,
                   sum(los_days) AS los_days, sum(transfers_in) AS transfers_in,
                   sum(transfers_out) AS transfers_out, sum(index_n) AS index_n, sum(readmit_n) AS readmit_n,
                   sum(ed_arrivals) AS ed_arrivals, sum(ed_lwbs) AS ed_lwbs,
                   coalesce(sum(discharges) FILTER (WHERE beds > 0), 0) AS turnover_n
            FROM unit_daily GROUP BY facility, day""")
    if not level_rows or not grains:
        return pd.DataFrame(columns=RESULT_COLUMNS)
    con.execute("CREATE TEMP TABLE level_daily AS " + " UNION ALL ".join(level_rows))
    per_grain = " UNION ALL ".join(
        f"""
        SELECT '{g}' AS grain, CAST(date_trunc('{_GRAIN_TRUNC[g]}', day) AS DATE) AS period, level,
               facility, unit, bool_or(bedded) AS bedded, bool_or(emergency) AS emergency,
               bool_or(has_beds) AS has_beds, count(*) AS days,
               sum(patient_days) AS patient_days, sum(occ_days) AS occ_days, sum(bed_days) AS bed_days,
               sum(admissions) AS admissions, sum(discharges) AS discharges, sum(los_days) AS los_days,
               sum(transfers_in) AS transfers_in, sum(transfers_out) AS transfers_out,
               sum(index_n) AS index_n, sum(readmit_n) AS readmit_n, sum(ed_arrivals) AS ed_arrivals,
               sum(ed_lwbs) AS ed_lwbs, sum(turnover_n) AS turnover_n
        FROM level_daily GROUP BY ALL"""
        for g in grains
    )
    con.execute("CREATE TEMP TABLE agg AS " + per_grain)

    def ratio(num: str, den: str, scale: str = "") -> str:
        return f"CASE WHEN {den} > 0 THEN {scale}CAST({num} AS DOUBLE) / {den} END"

    selects = {
        "midnight_census": ("patient_days", "NULL", "patient_days", "bedded AND grain = 'day'"),
        "average_daily_census": ("patient_days", "days", ratio("patient_days", "days"), "bedded"),
        "occupancy_pct": ("occ_days", "bed_days", ratio("occ_days", "bed_days", "100.0 * "), "has_beds"),
        "admissions": ("admissions", "NULL", "admissions", "bedded"),
        "discharges": ("discharges", "NULL", "discharges", "bedded"),
        "transfers_in": ("transfers_in", "NULL", "transfers_in", "bedded"),
        "transfers_out": ("transfers_out", "NULL", "transfers_out", "bedded"),
        "average_length_of_stay": ("los_days", "discharges", ratio("los_days", "discharges"), "bedded"),
        "readmission_rate_30d": ("readmit_n", "index_n", ratio("readmit_n", "index_n", "100.0 * "), "bedded"),
        "ed_lwbs_rate": ("ed_lwbs", "ed_arrivals", ratio("ed_lwbs", "ed_arrivals", "100.0 * "), "emergency"),
        "bed_turnover": (
            "turnover_n",
            "bed_days / days",
            ratio("turnover_n", "(bed_days / days)"),
            "has_beds",
        ),
    }
    parts = [
        f"""SELECT grain, period, facility, unit, '{name}' AS kpi, CAST({num} AS DOUBLE) AS numerator,
                   CAST({den} AS DOUBLE) AS denominator, CAST({value} AS DOUBLE) AS value
            FROM agg WHERE {cond}"""
        for name, (num, den, value, cond) in selects.items()
        if name in wanted
    ]
    ed_stats = [k for k in ("ed_los_median_minutes", "ed_los_p90_minutes") if k in wanted]
    if ed_stats:
        # Units are never empty (checked on input), so a NULL unit marks the facility level.
        keep = []
        if "facility" in levels:
            keep.append("unit IS NULL")
        if "unit" in levels:
            keep.append("unit IS NOT NULL")
        con.execute(f"""
            CREATE TEMP TABLE ed_seen AS
            SELECT facility, unit, CAST(arrival_time AS DATE) AS day,
                   epoch(departure_time - arrival_time) / 60.0 AS los
            FROM enc WHERE cls = 'emergency' AND NOT lwbs AND departure_time IS NOT NULL
              AND CAST(arrival_time AS DATE) BETWEEN {s} AND {e}
        """)
        # Both percentiles from one holistic aggregate: one sort per group instead of two.
        ed_sql = " UNION ALL ".join(
            f"""
            SELECT '{g}' AS grain, CAST(date_trunc('{_GRAIN_TRUNC[g]}', day) AS DATE) AS period,
                   facility, unit, count(*) AS n, quantile_cont(los, [0.5, 0.9]) AS q
            FROM ed_seen
            GROUP BY GROUPING SETS ((period, facility), (period, facility, unit))"""
            for g in grains
        )
        con.execute(
            f"CREATE TEMP TABLE ed_stats AS SELECT grain, period, facility, unit, n, q[1] AS median, "
            f"q[2] AS p90 FROM ({ed_sql}) WHERE {' OR '.join(keep)}"
        )
        for k, col in (("ed_los_median_minutes", "median"), ("ed_los_p90_minutes", "p90")):
            if k in wanted:
                parts.append(f"""SELECT grain, period, facility, unit, '{k}', NULL::DOUBLE, CAST(n AS DOUBLE),
                                 {col} FROM ed_stats""")
    if not parts:
        return pd.DataFrame(columns=RESULT_COLUMNS)
    order = "CASE grain WHEN 'day' THEN 0 WHEN 'week' THEN 1 ELSE 2 END"
    df = con.execute(f"""
        SELECT grain, strftime(period, '%Y-%m-%d') AS period, facility, unit, kpi, numerator,
               denominator, value
        FROM ({" UNION ALL ".join(parts)})
        ORDER BY {order}, kpi, facility, unit NULLS FIRST, period
    """).df()
    df["unit"] = df["unit"].astype(object).where(df["unit"].notna(), None)
    return df[RESULT_COLUMNS]
