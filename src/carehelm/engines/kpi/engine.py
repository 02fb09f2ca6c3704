"""The KPI engine: encounters and unit stays in, tidy KPI rows out, computed in DuckDB.

Every additive quantity (patient days, admissions, discharges, transfers, length-of-stay days,
index and readmitted discharges, ED arrivals and walk-outs, staffed bed days) is first counted
per facility, unit and day; weeks, months and facility totals are sums of those daily counts,
so a monthly figure is always the sum of its days. Only the ED length-of-stay percentiles are
computed from the visits of each period directly. The midnight census uses +1/-1 markers at
the first and after the last census day of each stay and a running sum per unit, which keeps the
work proportional to stays plus unit-days rather than to patient days.

How it stays fast (see bench/results/kpi.md): inputs are never copied into tables; each
statement streams the typed views (Parquet is re-read column by column, which costs less than
writing millions of rows) straight into small per-day aggregates. The unit stays are read once:
one window orders them per encounter, one join brings their encounter's facility and class, and
grouping sets turn them into census markers, transfers and admitting units together.
Admissions avoid a join of encounters to their first stays (see ``admissions`` below), and
a facility with a single ED unit reuses that unit's percentiles.
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
from .sources import KpiInputError, LoadedSources, fetch_row, load_sources

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
        loaded = load_sources(con, encounters=encounters, unit_stays=unit_stays, staffed_beds=staffed_beds)
        # After validation row order no longer matters; letting DuckDB reorder saves memory.
        con.execute("SET preserve_insertion_order = false")
        as_of_ts, start_d, end_d = _range(con, start, end, as_of)
        _build_daily(con, loaded, start_d, end_d, as_of_ts, progress)
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
                (SELECT max(greatest(start_time, coalesce(end_time, start_time))) FROM stays))
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
    loaded: LoadedSources,
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
    # One pass over the bedded unit stays, ordered within each encounter, gives small daily
    # tables at once (grouping sets over few keys each); nothing per stay is written:
    # * census: census day D counts a stay when start_time < midnight(D+1) <= end_time, so the
    #   stay is counted on days CAST(start AS DATE) .. CAST(end AS DATE) - 1 (open stays: to
    #   the range end). Kept stays add +1 on their first counted day in range ('census_in')
    #   and -1 the day after their last one ('census_out'); a running sum per unit then gives
    #   the midnight census. Stays with nothing in range still appear ('census_in' with no
    #   day), so every unit with bedded stays is known.
    # * 'transfer': a change of unit from the previous stay, on the day the new stay starts
    #   (other_unit is the unit left); 'admission': the first stay of an inpatient encounter
    #   (admit day; unit = admitting unit, other_unit = the encounter's own unit).
    # The window orders the stays alone (a narrow sort); their encounters are joined after.
    # The left join also finds stays of unknown encounters (no class), reported as an error.
    con.execute(f"""
        CREATE TEMP TABLE stay_facts AS
        WITH ordered AS (
            SELECT encounter_id, unit, start_time, end_time, lag(unit) OVER w AS prev_unit
            FROM stays
            WINDOW w AS (PARTITION BY encounter_id ORDER BY start_time, end_time NULLS LAST, unit)),
        joined AS (
            SELECT e.cls IS NULL AS unknown, e.facility, o.unit, e.unit AS enc_unit,
                   e.cls = 'inpatient' AS inpatient, o.prev_unit IS NULL AS is_first, o.prev_unit,
                   CAST(o.start_time AS DATE) AS first_day,
                   CASE WHEN o.end_time IS NULL THEN {e} ELSE CAST(o.end_time AS DATE) - 1 END AS last_day,
                   CAST(e.admit_time AS DATE) AS admit_day
            FROM ordered o LEFT JOIN enc e USING (encounter_id)
            WHERE e.cls IS NULL OR e.cls IN ({_sql_list(BEDDED_CLASSES)})),
        events AS (
            SELECT unknown, facility, unit,
                   CASE WHEN kept THEN greatest(first_day, {s}) END AS in_day,
                   CASE WHEN kept AND last_day < {e} THEN last_day + 1 END AS out_day,
                   CASE WHEN is_first AND inpatient THEN 'admission'
                        WHEN prev_unit <> unit THEN 'transfer' END AS event,
                   CASE WHEN is_first THEN enc_unit ELSE prev_unit END AS other_unit,
                   CASE WHEN is_first THEN admit_day ELSE first_day END AS event_day
            FROM (SELECT *, first_day <= last_day AND last_day >= {s} AND first_day <= {e} AS kept
                  FROM joined))
        SELECT CASE WHEN GROUPING(in_day) = 0 THEN 'census_in' WHEN GROUPING(out_day) = 0 THEN 'census_out'
                    ELSE event END AS kind,
               coalesce(unknown, false) AS unknown, facility, unit, other_unit,
               coalesce(in_day, out_day, event_day) AS day, count(*) AS n
        FROM events
        GROUP BY GROUPING SETS ((unknown, facility, unit, in_day), (facility, unit, out_day),
                                (facility, unit, event, other_unit, event_day))
        HAVING GROUPING(in_day) = 0 OR out_day IS NOT NULL OR event IS NOT NULL
    """)
    if fetch_row(con, "SELECT count(*) FROM stay_facts WHERE unknown")[0]:
        loaded.refuse_unknown_encounter(con)
    # census_delta, transfers, admissions and units are views: each is read once, by
    # unit_daily, and folding them into that one statement saves a statement each (measured
    # about 10% of a 1M-encounter rebuild).
    con.execute("""
        CREATE TEMP VIEW census_delta AS
        SELECT facility, unit, day, sum(CASE kind WHEN 'census_in' THEN n ELSE -n END) AS delta
        FROM stay_facts WHERE kind IN ('census_in', 'census_out') AND day IS NOT NULL
        GROUP BY ALL
    """)
    progress(3)
    con.execute("""
        CREATE TEMP VIEW transfers AS
        SELECT facility, unit, day, sum(t_in) AS transfers_in, sum(t_out) AS transfers_out FROM (
            SELECT facility, unit, day, n AS t_in, 0 AS t_out FROM stay_facts
            WHERE kind = 'transfer'
            UNION ALL
            SELECT facility, other_unit, day, 0, n FROM stay_facts WHERE kind = 'transfer')
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
        CREATE TEMP VIEW admissions AS
        SELECT facility, unit, day, sum(n) AS admissions FROM (
            SELECT facility, unit, day, n FROM inpatient_admits
            UNION ALL
            SELECT facility, unit, day, n FROM stay_facts WHERE kind = 'admission'
            UNION ALL
            SELECT facility, other_unit, day, -n FROM stay_facts WHERE kind = 'admission')
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
        CREATE TEMP VIEW units AS
        SELECT facility, unit, bool_or(bedded) AS bedded, bool_or(emergency) AS emergency,
               max(staffed_beds) AS staffed_beds
        FROM (
            SELECT DISTINCT facility, unit, true AS bedded, false AS emergency, NULL::DOUBLE AS staffed_beds
            FROM stay_facts WHERE kind = 'census_in'
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
        _ed_stats(con, grains, levels, s, e)
        for k, col in (("ed_los_median_minutes", "median"), ("ed_los_p90_minutes", "p90")):
            if k in wanted:
                parts.append(f"""SELECT grain, period, facility, unit, '{k}', NULL::DOUBLE, CAST(n AS DOUBLE),
                                 {col} FROM ed_stats""")
    if not parts:
        return pd.DataFrame(columns=RESULT_COLUMNS)
    # The labels come out as DuckDB ENUMs (pandas categoricals: a code per row, each distinct
    # text once) and are turned into text columns in pandas, which is several times faster
    # than making one Python string per cell. Each ENUM lists its values in the order the rows
    # are sorted by (grains day, week, month; the others alphabetically), so sorting on the
    # ENUM gives the same order as sorting the text.
    sources = ["agg"] + (["ed_stats"] if ed_stats else [])

    def labels(column: str) -> str:
        return " UNION ".join(f"SELECT DISTINCT {column} FROM {t}" for t in sources)

    con.execute(f"CREATE TYPE grain_label AS ENUM ({_sql_list(g for g in GRAINS if g in grains)})")
    con.execute(f"CREATE TYPE kpi_label AS ENUM ({_sql_list(sorted(wanted))})")
    con.execute(f"CREATE TYPE facility_label AS ENUM (SELECT * FROM ({labels('facility')}) ORDER BY 1)")
    con.execute(
        f"CREATE TYPE unit_label AS ENUM (SELECT * FROM ({labels('unit')}) WHERE unit IS NOT NULL ORDER BY 1)"
    )
    con.execute(
        f"CREATE TYPE period_label AS ENUM "
        f"(SELECT DISTINCT strftime(period, '%Y-%m-%d') FROM ({labels('period')}) ORDER BY 1)"
    )
    df = con.execute(f"""
        SELECT CAST(grain AS grain_label) AS grain,
               CAST(strftime(period, '%Y-%m-%d') AS period_label) AS period,
               CAST(facility AS facility_label) AS facility, CAST(unit AS unit_label) AS unit,
               CAST(kpi AS kpi_label) AS kpi, numerator, denominator, value
        FROM ({" UNION ALL ".join(parts)})
        ORDER BY grain, kpi, facility, unit NULLS FIRST, period
    """).df()
    for column in ("grain", "period", "facility", "kpi"):
        df[column] = df[column].astype("str")
    df["unit"] = df["unit"].astype(object).where(df["unit"].notna(), None)
    return df[RESULT_COLUMNS]


def _ed_stats(
    con: duckdb.DuckDBPyConnection, grains: tuple[str, ...], levels: tuple[str, ...], s: str, e: str
) -> None:
    """ED length-of-stay median and p90 per period, facility and unit, as the view ``ed_stats``.

    Percentiles are holistic: every visit is held and selected per group, the costliest part
    of the rebuild. A facility whose seen ED visits are all in one unit (the usual case: one
    emergency department) has facility groups identical to that unit's groups, so its
    facility rows are copies of the unit rows instead of a second computation.
    """
    seen = f"""
        SELECT facility, unit, day, CAST(date_trunc('week', day) AS DATE) AS week,
               CAST(date_trunc('month', day) AS DATE) AS month, los
        FROM (SELECT facility, unit, CAST(arrival_time AS DATE) AS day,
                     epoch(departure_time - arrival_time) / 60.0 AS los
              FROM enc WHERE cls = 'emergency' AND NOT lwbs AND departure_time IS NOT NULL)
        WHERE day BETWEEN {s} AND {e}"""
    # From the daily ED counts (all arrivals, any day): one unit there means one unit among the
    # seen visits in range too; a facility wrongly taken as multi-unit is merely computed twice.
    single = [
        r[0]
        for r in con.execute(
            "SELECT facility FROM ed GROUP BY facility HAVING min(unit) = max(unit)"
        ).fetchall()
    ]
    single_list = _sql_list(single) if single else "NULL"
    # (NOT IN a list holding NULL is never true, hence the explicit case.)
    not_single = f"facility NOT IN ({single_list})" if single else "true"

    def stats(level: str, where: str) -> str:
        # Each row of a grouping set has exactly one of day/week/month set, naming its grain.
        # Units are never empty (checked on input), so a NULL unit marks the facility level.
        keys = "facility, unit" if level == "unit" else "facility"
        sets = ", ".join(f"({g}, {keys})" for g in grains)
        unit = "unit" if level == "unit" else "NULL::VARCHAR AS unit"
        return f"""
            SELECT CASE {" ".join(f"WHEN {g} IS NOT NULL THEN '{g}'" for g in grains)} END AS grain,
                   coalesce({", ".join(grains)}, NULL) AS period, facility, unit, n,
                   q[1] AS median, q[2] AS p90
            FROM (SELECT {", ".join(grains)}, facility, {unit}, count(*) AS n,
                         quantile_cont(los, [0.5, 0.9]) AS q
                  FROM ({seen}) WHERE {where} GROUP BY GROUPING SETS ({sets}))"""

    # Unit rows are needed for the unit level and as the facility rows of one-unit facilities.
    unit_where = "true" if "unit" in levels else f"facility IN ({single_list})"
    con.execute(f"CREATE TEMP TABLE ed_unit_stats AS {stats('unit', unit_where)}")
    parts = []
    if "unit" in levels:
        parts.append("SELECT * FROM ed_unit_stats")
    if "facility" in levels:
        parts.append(
            f"SELECT grain, period, facility, NULL::VARCHAR AS unit, n, median, p90 FROM ed_unit_stats "
            f"WHERE facility IN ({single_list})"
        )
        if fetch_row(con, f"SELECT count(*) FROM ed WHERE {not_single}")[0]:
            con.execute(f"CREATE TEMP TABLE ed_facility_stats AS {stats('facility', not_single)}")
            parts.append("SELECT * FROM ed_facility_stats")
    # A view: its rows are read once, by the final query.
    con.execute("CREATE TEMP VIEW ed_stats AS " + " UNION ALL ".join(parts))
