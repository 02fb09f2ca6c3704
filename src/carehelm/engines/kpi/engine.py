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
    # Each statement streams its inputs into small per-day aggregates; nothing the size of the
    # input is written to a table (writing millions of rows costs more than re-reading them).
    # Daily aggregates keep days outside the range: the calendar join below drops them, and
    # the units a KPI family reports for are decided on all the data.
    s, e = f"DATE '{start.isoformat()}'", f"DATE '{end.isoformat()}'"
    in_range = f"BETWEEN {s} AND {e}"
    progress(2)
    con.execute(f"""
        CREATE TEMP TABLE cal AS
        SELECT CAST(range AS DATE) AS day FROM range({s}, {e} + INTERVAL 1 DAY, INTERVAL 1 DAY)
    """)
    # One pass over the bedded unit stays gives, through grouping sets, small tables only:
    # * spans: stays counted by (facility, unit, first census day, last census day). Census
    #   day D counts a stay when start_time < midnight(D+1) <= end_time, so the stay is counted
    #   on days CAST(start AS DATE) .. CAST(end AS DATE) - 1 (open stays: to the range end).
    # * per encounter (a hash aggregate, no sort): its first and last stay in the order
    #   (start_time, end_time with open stays last, unit). The first stay gives the admitting
    #   unit; with two stays, a change of unit is the encounter's one transfer, on the day the
    #   second stay starts. These become daily counts of 'admission' events (unit = admitting
    #   unit, other_unit = the encounter's unit) and 'transfer' events (unit = receiving unit,
    #   other_unit = the unit left).
    # * encounters with three stays or more (kind 'multi'), whose transfers need the full
    #   order; they are handled by a window over their stays only (below).
    stay_key = "{'s': start_time, 'e': coalesce(end_time, 'infinity'::TIMESTAMP), 'u': unit}"
    con.execute(f"""
        CREATE TEMP TABLE stay_facts AS
        WITH b AS (
            SELECT encounter_id, facility, unit, enc_unit, cls = 'inpatient' AS inpatient,
                   CAST(admit_time AS DATE) AS admit_day, {stay_key} AS k,
                   CAST(start_time AS DATE) AS first_day,
                   CASE WHEN end_time IS NULL THEN {e} ELSE CAST(end_time AS DATE) - 1 END AS last_day
            FROM stays_x WHERE cls IN ({_sql_list(BEDDED_CLASSES)})),
        per AS (
            SELECT GROUPING(encounter_id) = 0 AS is_enc, encounter_id, facility, unit, first_day,
                   last_day, count(*) AS n, any_value(facility) AS enc_facility, any_value(enc_unit) AS enc_unit,
                   bool_or(inpatient) AS inpatient, any_value(admit_day) AS admit_day,
                   arg_min(unit, k) AS first_unit, arg_max(unit, k) AS last_unit,
                   arg_max(first_day, k) AS last_start_day
            FROM b
            GROUP BY GROUPING SETS ((encounter_id), (facility, unit, first_day, last_day))),
        keyed AS (
            SELECT n, facility, unit, first_day, last_day,
                   enc_facility,
                   CASE WHEN is_enc AND inpatient THEN first_unit END AS adm_unit, enc_unit, admit_day,
                   CASE WHEN is_enc AND n = 2 AND first_unit <> last_unit THEN last_unit END AS in_unit,
                   first_unit AS out_unit, last_start_day,
                   CASE WHEN is_enc AND n > 2 THEN encounter_id END AS multi_id
            FROM per),
        facts AS (
            SELECT GROUPING(first_day) = 0 AS is_span, GROUPING(adm_unit) = 0 AS is_adm,
                   GROUPING(in_unit) = 0 AS is_tr,
                   facility, unit, first_day, last_day, enc_facility, adm_unit, enc_unit, admit_day,
                   in_unit, out_unit, last_start_day, multi_id, sum(n) AS n, count(*) AS encounters
            FROM keyed
            GROUP BY GROUPING SETS ((facility, unit, first_day, last_day),
                                    (enc_facility, adm_unit, enc_unit, admit_day),
                                    (enc_facility, in_unit, out_unit, last_start_day),
                                    (multi_id)))
        SELECT 'span' AS kind, facility, unit, first_day, last_day, NULL::VARCHAR AS other_unit,
               NULL::DATE AS event_day, NULL AS encounter_id, n
        FROM facts WHERE is_span AND first_day IS NOT NULL
        UNION ALL
        SELECT 'admission', enc_facility, adm_unit, NULL, NULL, enc_unit, admit_day, NULL, encounters
        FROM facts WHERE is_adm AND adm_unit IS NOT NULL
        UNION ALL
        SELECT 'transfer', enc_facility, in_unit, NULL, NULL, out_unit, last_start_day, NULL, encounters
        FROM facts WHERE is_tr AND in_unit IS NOT NULL
        UNION ALL
        SELECT 'multi', NULL, NULL, NULL, NULL, NULL, NULL, multi_id, NULL
        FROM facts WHERE NOT (is_span OR is_adm OR is_tr) AND multi_id IS NOT NULL
    """)
    if fetch_row(con, "SELECT count(*) FROM stay_facts WHERE kind = 'multi'")[0]:
        con.execute(f"""
            INSERT INTO stay_facts
            SELECT 'transfer', facility, unit, NULL, NULL, prev_unit, CAST(start_time AS DATE), NULL,
                   count(*)
            FROM (SELECT facility, unit, start_time,
                         lag(unit) OVER (PARTITION BY encounter_id
                                         ORDER BY start_time, end_time NULLS LAST, unit) AS prev_unit
                  FROM stays_x
                  WHERE cls IN ({_sql_list(BEDDED_CLASSES)})
                    AND encounter_id IN (SELECT encounter_id FROM stay_facts WHERE kind = 'multi'))
            WHERE prev_unit <> unit
            GROUP BY ALL
        """)
    con.execute(f"""
        CREATE TEMP TABLE census_delta AS
        WITH kept AS (
            SELECT facility, unit, greatest(first_day, {s}) AS f, least(last_day, {e}) AS l, n
            FROM stay_facts
            WHERE kind = 'span' AND first_day <= last_day AND last_day >= {s} AND first_day <= {e})
        SELECT facility, unit, day, sum(delta) AS delta FROM (
            SELECT facility, unit, f AS day, n AS delta FROM kept
            UNION ALL
            SELECT facility, unit, l + 1 AS day, -n AS delta FROM kept WHERE l < {e})
        GROUP BY ALL
    """)
    progress(3)
    con.execute("""
        CREATE TEMP TABLE transfers AS
        SELECT facility, unit, day, sum(t_in) AS transfers_in, sum(t_out) AS transfers_out FROM (
            SELECT facility, unit, event_day AS day, n AS t_in, 0 AS t_out FROM stay_facts
            WHERE kind = 'transfer'
            UNION ALL
            SELECT facility, other_unit, event_day, 0, n FROM stay_facts WHERE kind = 'transfer')
        GROUP BY ALL
    """)
    # Admissions count in the admitting unit (first unit stay, else the encounter's unit):
    # every inpatient encounter counted in its own unit, moved to its first stay's unit where
    # it has stays (-1 in the encounter's unit, +1 in the admitting unit). Same counts as a
    # join of encounters to their first stays, without the join.
    con.execute("""
        CREATE TEMP TABLE inpatient_admits AS
        SELECT facility, unit, CAST(admit_time AS DATE) AS day, count(*) AS n FROM enc
        WHERE cls = 'inpatient' GROUP BY ALL
    """)
    con.execute("""
        CREATE TEMP TABLE admissions AS
        SELECT facility, unit, day, sum(n) AS admissions FROM (
            SELECT facility, unit, day, n FROM inpatient_admits
            UNION ALL
            SELECT facility, unit, event_day, n FROM stay_facts WHERE kind = 'admission'
            UNION ALL
            SELECT facility, other_unit, event_day, -n FROM stay_facts WHERE kind = 'admission')
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
    con.execute("""
        CREATE TEMP TABLE ed AS
        SELECT facility, unit, CAST(arrival_time AS DATE) AS day, count(*) AS ed_arrivals,
               count(*) FILTER (WHERE lwbs) AS ed_lwbs
        FROM enc WHERE cls = 'emergency'
        GROUP BY ALL
    """)
    # Which units report which KPI families is decided on all the data, not on the range, so a
    # quiet month still shows a zero rather than a missing unit.
    con.execute("""
        CREATE TEMP TABLE units AS
        SELECT facility, unit, bool_or(bedded) AS bedded, bool_or(emergency) AS emergency,
               max(staffed_beds) AS staffed_beds
        FROM (
            SELECT DISTINCT facility, unit, true AS bedded, false AS emergency, NULL::DOUBLE AS staffed_beds
            FROM stay_facts WHERE kind = 'span'
            UNION ALL
            SELECT DISTINCT facility, unit, true, false, NULL FROM inpatient_admits
            UNION ALL
            SELECT DISTINCT facility, unit, false, true, NULL FROM ed
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
        sets = [
            f"({g}, facility)" if lv == "facility" else f"({g}, facility, unit)"
            for g in grains
            for lv in levels
        ]
        # One pass over the seen ED visits; every (period, level) grouping set gets both
        # percentiles from one holistic aggregate (one selection per group, not one per KPI).
        # Each row has exactly one of day/week/month set, which names its grain.
        con.execute(f"""
            CREATE TEMP TABLE ed_stats AS
            WITH seen AS (
                SELECT facility, unit, day, CAST(date_trunc('week', day) AS DATE) AS week,
                       CAST(date_trunc('month', day) AS DATE) AS month, los
                FROM (SELECT facility, unit, CAST(arrival_time AS DATE) AS day,
                             epoch(departure_time - arrival_time) / 60.0 AS los
                      FROM enc WHERE cls = 'emergency' AND NOT lwbs AND departure_time IS NOT NULL)
                WHERE day BETWEEN {s} AND {e}),
            stats AS (
                SELECT {", ".join(grains)}, facility,
                       {"unit" if "unit" in levels else "NULL::VARCHAR AS unit"}, count(*) AS n,
                       quantile_cont(los, [0.5, 0.9]) AS q
                FROM seen GROUP BY GROUPING SETS ({", ".join(sets)}))
            SELECT CASE {" ".join(f"WHEN {g} IS NOT NULL THEN '{g}'" for g in grains)} END AS grain,
                   coalesce({", ".join(grains)}, NULL) AS period, facility, unit, n,
                   q[1] AS median, q[2] AS p90
            FROM stats
        """)
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
