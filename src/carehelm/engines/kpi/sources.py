"""Reading and validating the KPI engine's inputs into a DuckDB connection.

``load_sources(con, encounters=..., unit_stays=..., staffed_beds=...)`` accepts, for each table,
a pandas DataFrame, an Arrow table (anything DuckDB can scan) or a path to a Parquet or CSV file,
checks every row and leaves typed relations in the connection: ``enc``, ``stays`` and ``beds``.
The first bad row raises :class:`KpiInputError` naming the source, the row and the field; nothing
is computed from partly valid input. It returns a :class:`LoadedSources`, whose
``refuse_unknown_encounter(con)`` names a unit stay of an unknown encounter (the one check the
engine makes during its own pass over the stays, where it costs nothing extra).

Encounter columns: encounter_id, patient_id, facility, unit, encounter_class, admit_time,
discharge_time (required; discharge_time may be empty for patients still in), and optionally
admit_source, discharge_disposition, arrival_time, departure_time, left_without_being_seen.
Unit-stay columns: encounter_id, unit, start_time, end_time (required; end_time may be empty),
bed (optional). Staffed beds: facility, unit, staffed_beds, as a DataFrame/file or a mapping
``{(facility, unit): beds}``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from .definitions import ENCOUNTER_CLASSES

ENCOUNTER_REQUIRED = (
    "encounter_id",
    "patient_id",
    "facility",
    "unit",
    "encounter_class",
    "admit_time",
    "discharge_time",
)
ENCOUNTER_OPTIONAL = (
    "admit_source",
    "discharge_disposition",
    "arrival_time",
    "departure_time",
    "left_without_being_seen",
)
STAY_REQUIRED = ("encounter_id", "unit", "start_time", "end_time")
STAY_OPTIONAL = ("bed",)
BEDS_REQUIRED = ("facility", "unit", "staffed_beds")

_TRUE_WORDS = ("1", "1.0", "true", "t", "yes", "y")
_FALSE_WORDS = ("0", "0.0", "false", "f", "no", "n", "")


class KpiInputError(ValueError):
    """An input row the engine cannot use; names the source, the row and the field."""

    def __init__(self, source: str, message: str, row: int | None = None, field: str | None = None):
        self.source, self.row, self.field = source, row, field
        where = source
        if row is not None:
            where += f", row {row}"
        if field is not None:
            where += f", field {field!r}"
        super().__init__(f"{where}: {message}")


@dataclass(frozen=True)
class _Source:
    label: str
    relation: str  # name of the raw relation registered in the connection
    columns: tuple[str, ...]
    is_csv: bool
    is_parquet: bool = False

    @property
    def kind(self) -> str:
        """How to hold the typed table: Parquet is re-read column by column (a view keeps memory
        flat and reads only the columns each query needs); CSV and in-memory objects are
        parsed once into a DuckDB table."""
        return "VIEW" if self.is_parquet else "TABLE"

    def error(self, message: str, row: int | None = None, field: str | None = None) -> KpiInputError:
        # A CSV's first line is its header, so data row N is line N + 1 of the file.
        if self.is_csv and row is not None:
            message = f"{message} (line {row + 1} of the file)"
        return KpiInputError(self.label, message, row=row, field=field)


def _quote_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _register(con: duckdb.DuckDBPyConnection, name: str, source: Any, what: str) -> _Source:
    relation = f"{name}_raw"
    if isinstance(source, str | os.PathLike):
        path = Path(source)
        label = str(path)
        if not path.is_file():
            raise KpiInputError(label, f"{what} file not found")
        suffixes = "".join(path.suffixes).lower()
        lit = _quote_literal(str(path))
        if ".parquet" in suffixes or suffixes.endswith(".pq"):
            con.execute(f"CREATE OR REPLACE TEMP VIEW {relation} AS SELECT * FROM read_parquet({lit})")
            is_csv, is_parquet = False, True
        elif ".csv" in suffixes or ".tsv" in suffixes:
            # all_varchar: we parse every field ourselves, so a bad value is reported by row.
            con.execute(
                f"CREATE OR REPLACE TEMP VIEW {relation} AS "
                f"SELECT * FROM read_csv({lit}, header=true, all_varchar=true)"
            )
            is_csv, is_parquet = True, False
        else:
            raise KpiInputError(label, f"{what} must be a .parquet or .csv file")
    else:
        label = what
        if isinstance(source, pd.DataFrame):
            source = source.reset_index(drop=True)
        try:
            con.register(relation, source)
        except Exception as exc:  # duckdb raises several types for unscannable objects
            raise KpiInputError(label, f"cannot read {type(source).__name__}: {exc}") from exc
        is_csv, is_parquet = False, False
    try:
        columns = tuple(r[0] for r in con.execute(f"DESCRIBE {relation}").fetchall())
    except duckdb.Error as exc:
        raise KpiInputError(label, f"cannot read: {exc}") from exc
    return _Source(label, relation, columns, is_csv, is_parquet)


def _column_types(con: duckdb.DuckDBPyConnection, relation: str) -> dict[str, str]:
    return {r[0]: r[1] for r in con.execute(f"DESCRIBE {relation}").fetchall()}


def _require(src: _Source, required: tuple[str, ...]) -> None:
    for col in required:
        if col not in src.columns:
            raise KpiInputError(src.label, "required column is missing", field=col)


def fetch_row(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> tuple:
    """The first row of a query that always returns one (an aggregate, or a row known to exist).

    Fetches the whole result: DuckDB refuses new work on a connection while a result is only
    partly read.
    """
    rows = con.execute(sql, params or []).fetchall()
    assert rows, sql
    return rows[0]


def _first_problem(con: duckdb.DuckDBPyConnection, src: _Source, checks: list[tuple[str, str, str]]) -> None:
    """Raise for the first row failing one of ``checks`` = [(field, sql condition, message)]."""
    if not checks:
        return
    case = (
        "CASE "
        + " ".join(f"WHEN {cond} THEN {_quote_literal(field + chr(31) + msg)}" for field, cond, msg in checks)
        + " END"
    )
    # Cheap parallel existence test first; row numbers (a sequential pass) only when needed.
    # The test is a plain OR of the conditions (true exactly when the CASE names a problem),
    # which DuckDB evaluates faster than the CASE; checks that cannot fail are left out.
    live = [cond for _, cond, _ in checks if cond != "false"]
    if not live:
        return
    any_problem = " OR ".join(f"({cond})" for cond in live)
    hit = con.execute(f"SELECT 1 FROM {src.relation} WHERE {any_problem} LIMIT 1").fetchall()
    if not hit:
        return
    rn, problem = fetch_row(
        con,
        f"SELECT rn, problem FROM (SELECT row_number() OVER () AS rn, {case} AS problem "
        f"FROM {src.relation}) WHERE problem IS NOT NULL ORDER BY rn LIMIT 1",
    )
    field, msg = problem.split(chr(31))
    raise src.error(msg, row=int(rn), field=field)


_NATIVE_TIME_TYPES = (
    "TIMESTAMP",
    "TIMESTAMP_S",
    "TIMESTAMP_MS",
    "TIMESTAMP_NS",
    "DATE",
    "TIMESTAMP WITH TIME ZONE",
)


class _Exprs:
    """SQL expressions that read one source's columns into the engine's types.

    Columns that already have a date-time type are used as they are (no text round trip, which
    dominates the cost on millions of rows); text columns are parsed and checked.
    """

    def __init__(self, types: dict[str, str], trim: bool):
        self.types = types
        # Only CSV text gets stray spaces trimmed: typed sources are taken as given, and trimming
        # millions of strings is a large share of the load time.
        self.trim = trim

    def _native_time(self, col: str) -> bool:
        return self.types.get(col, "").upper() in _NATIVE_TIME_TYPES

    def time(self, col: str | None) -> str:
        if col is None or col not in self.types:
            return "NULL::TIMESTAMP"
        if self._native_time(col):
            return f"CAST({col} AS TIMESTAMP)"
        return f"TRY_CAST(NULLIF(TRIM(CAST({col} AS VARCHAR)), '') AS TIMESTAMP)"

    def time_check(self, col: str) -> tuple[str, str, str]:
        if self._native_time(col):
            return (col, "false", "not a date-time")
        return (
            col,
            f"{col} IS NOT NULL AND TRIM(CAST({col} AS VARCHAR)) <> '' AND {self.time(col)} IS NULL",
            "not a date-time",
        )

    def text(self, col: str | None) -> str:
        if col is None or col not in self.types:
            return "NULL::VARCHAR"
        if self.types[col].upper() == "VARCHAR":
            return f"NULLIF(TRIM({col}), '')" if self.trim else f"NULLIF({col}, '')"
        return f"NULLIF(CAST({col} AS VARCHAR), '')"

    def flag(self, col: str | None) -> str:
        if col is None or col not in self.types:
            return "false"
        if self.types[col].upper() == "BOOLEAN":
            return f"coalesce({col}, false)"
        words = ", ".join(_quote_literal(w) for w in _TRUE_WORDS)
        return f"coalesce(lower(trim(CAST({col} AS VARCHAR))) IN ({words}), false)"


def load_sources(
    con: duckdb.DuckDBPyConnection,
    *,
    encounters: Any,
    unit_stays: Any,
    staffed_beds: Any = None,
) -> LoadedSources:
    """Validate the inputs and create the typed relations ``enc``, ``stays`` and ``beds``.

    Every check is made here except one: that each unit stay's encounter exists, which the
    engine finds in its pass over the stays and reports with
    :meth:`LoadedSources.refuse_unknown_encounter`.
    """
    con.execute("SET TimeZone = 'UTC'")
    enc = _register(con, "enc", encounters, "encounters")
    stays = _register(con, "stays", unit_stays, "unit_stays")
    _require(enc, ENCOUNTER_REQUIRED)
    _require(stays, STAY_REQUIRED)
    enc_types, stay_types = _column_types(con, enc.relation), _column_types(con, stays.relation)
    ex, sx = _Exprs(enc_types, enc.is_csv), _Exprs(stay_types, stays.is_csv)

    classes = ", ".join(_quote_literal(c) for c in ENCOUNTER_CLASSES)
    flag_words = ", ".join(_quote_literal(w) for w in _TRUE_WORDS + _FALSE_WORDS)
    enc_checks = [
        ("encounter_id", "encounter_id IS NULL", "missing"),
        ("patient_id", "patient_id IS NULL", "missing"),
        ("facility", f"{ex.text('facility')} IS NULL", "missing"),
        ("unit", f"{ex.text('unit')} IS NULL", "missing"),
        (
            "encounter_class",
            f"lower(trim({ex.text('encounter_class')})) NOT IN ({classes}) OR encounter_class IS NULL",
            f"expected one of {', '.join(ENCOUNTER_CLASSES)}",
        ),
        ("admit_time", f"{ex.time('admit_time')} IS NULL", "missing or not a date-time"),
        ex.time_check("discharge_time"),
        ("discharge_time", f"{ex.time('discharge_time')} < {ex.time('admit_time')}", "before admit_time"),
    ]
    present = set(enc.columns)
    if "arrival_time" in present:
        enc_checks.append(ex.time_check("arrival_time"))
    if "departure_time" in present:
        enc_checks.append(ex.time_check("departure_time"))
        arrival = ex.time("arrival_time") if "arrival_time" in present else ex.time("admit_time")
        enc_checks.append(("departure_time", f"{ex.time('departure_time')} < {arrival}", "before arrival"))
    if "left_without_being_seen" in present and enc_types["left_without_being_seen"].upper() != "BOOLEAN":
        enc_checks.append(
            (
                "left_without_being_seen",
                f"left_without_being_seen IS NOT NULL AND lower(trim(CAST(left_without_being_seen AS VARCHAR))) "
                f"NOT IN ({flag_words})",
                "expected true/false",
            )
        )
    _first_problem(con, enc, enc_checks)

    stay_checks = [
        ("encounter_id", "encounter_id IS NULL", "missing"),
        ("unit", f"{sx.text('unit')} IS NULL", "missing"),
        ("start_time", f"{sx.time('start_time')} IS NULL", "missing or not a date-time"),
        sx.time_check("end_time"),
        ("end_time", f"{sx.time('end_time')} < {sx.time('start_time')}", "before start_time"),
    ]
    _first_problem(con, stays, stay_checks)

    # Row order only matters for naming a bad row, which the checks above did on the raw
    # sources; letting DuckDB reorder from here on saves time and memory.
    con.execute("SET preserve_insertion_order = false")
    # Join keys must have one type on both sides; fall back to text when the sources differ.
    id_type = (
        enc_types["encounter_id"] if enc_types["encounter_id"] == stay_types["encounter_id"] else "VARCHAR"
    )
    opt = {c: (c if c in present else None) for c in ENCOUNTER_OPTIONAL}
    con.execute(f"""
        CREATE OR REPLACE TEMP {enc.kind} enc AS SELECT
            CAST(encounter_id AS {id_type}) AS encounter_id,
            patient_id,
            {ex.text("facility")} AS facility,
            {ex.text("unit")} AS unit,
            lower(trim({ex.text("encounter_class")})) AS cls,
            {ex.time("admit_time")} AS admit_time,
            {ex.time("discharge_time")} AS discharge_time,
            {ex.text(opt["admit_source"])} AS admit_source,
            lower(trim({ex.text(opt["discharge_disposition"])})) AS disposition,
            coalesce({ex.time(opt["arrival_time"])}, {ex.time("admit_time")}) AS arrival_time,
            coalesce({ex.time(opt["departure_time"])}, {ex.time("discharge_time")}) AS departure_time,
            {ex.flag(opt["left_without_being_seen"])} AS lwbs
        FROM {enc.relation}
    """)
    bed_col = sx.text("bed")
    con.execute(f"""
        CREATE OR REPLACE TEMP {stays.kind} stays AS SELECT
            CAST(encounter_id AS {id_type}) AS encounter_id,
            {sx.text("unit")} AS unit,
            {bed_col} AS bed,
            {sx.time("start_time")} AS start_time,
            {sx.time("end_time")} AS end_time
        FROM {stays.relation}
    """)
    dup = _duplicate_encounter_id(con, id_type)
    if dup is not None:
        rn = _row_of(con, enc, f"CAST(encounter_id AS {id_type}) = ?", dup, nth=2)
        raise enc.error(f"duplicate encounter_id {dup!r}", row=int(rn), field="encounter_id")
    _load_beds(con, staffed_beds)
    return LoadedSources(stays, id_type)


@dataclass(frozen=True)
class LoadedSources:
    """What the engine needs to name a bad row it finds while computing."""

    stays: _Source
    id_type: str

    def refuse_unknown_encounter(self, con: duckdb.DuckDBPyConnection) -> None:
        """Raise for the first unit stay whose encounter_id is not among the encounters.

        Finding out *whether* there is one costs a join, so the engine notices it in its own
        pass over the stays (which joins them to their encounters anyway) and calls this only
        then, to name the row.
        """
        orphans = con.execute(
            "SELECT encounter_id FROM stays s WHERE NOT EXISTS "
            "(SELECT 1 FROM enc e WHERE e.encounter_id = s.encounter_id) LIMIT 1"
        ).fetchall()
        if orphans:
            orphan = orphans[0]
            rn = _row_of(con, self.stays, f"CAST(encounter_id AS {self.id_type}) = ?", orphan[0], nth=1)
            raise self.stays.error(f"unknown encounter_id {orphan[0]!r}", row=int(rn), field="encounter_id")


_INTEGER_TYPES = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT")
# Largest id range (in bits) counted with a direct-indexed table instead of a hash table.
_DENSE_ID_BITS = 24


def _duplicate_encounter_id(con: duckdb.DuckDBPyConnection, id_type: str) -> Any | None:
    """An encounter_id that occurs twice, or None.

    Counting distinct ids is a hash aggregate over every encounter, a large share of a rebuild.
    Integer ids are usually dense (1..n); then DuckDB can count them in a directly indexed
    array (its "perfect hash" aggregate), several times faster, if told the range is small
    enough. The array is sized from the id range, so it is only allowed for dense ranges.
    """
    dense_bits = None
    if id_type.upper() in _INTEGER_TYPES:
        lo, hi, n = fetch_row(con, "SELECT min(encounter_id), max(encounter_id), count(*) FROM enc")
        if n and hi - lo + 1 <= max(4 * n, 1 << 16) and hi - lo + 1 <= 1 << _DENSE_ID_BITS:
            dense_bits = max(12, int(hi - lo).bit_length())
    if dense_bits is not None:
        con.execute(f"SET perfect_ht_threshold = {dense_bits}")
    try:
        n, distinct = fetch_row(con, "SELECT count(*), count(DISTINCT encounter_id) FROM enc")
        if n == distinct:
            return None
        return fetch_row(
            con, "SELECT encounter_id FROM enc GROUP BY encounter_id HAVING count(*) > 1 LIMIT 1"
        )[0]
    finally:
        if dense_bits is not None:
            con.execute("RESET perfect_ht_threshold")


def _row_of(con: duckdb.DuckDBPyConnection, src: _Source, condition: str, value: Any, nth: int) -> int:
    """1-based row number, in the source's own order, of the nth row meeting ``condition``."""
    con.execute("SET preserve_insertion_order = true")
    try:
        return int(
            fetch_row(
                con,
                f"SELECT rn FROM (SELECT row_number() OVER () AS rn, * FROM {src.relation}) "
                f"WHERE {condition} ORDER BY rn LIMIT 1 OFFSET {nth - 1}",
                [value],
            )[0]
        )
    finally:
        con.execute("SET preserve_insertion_order = false")


def _load_beds(con: duckdb.DuckDBPyConnection, staffed_beds: Any) -> None:
    if staffed_beds is None:
        staffed_beds = pd.DataFrame(
            {
                "facility": pd.Series([], dtype=object),
                "unit": pd.Series([], dtype=object),
                "staffed_beds": pd.Series([], dtype="int64"),
            }
        )
    elif isinstance(staffed_beds, Mapping):
        items = list(staffed_beds.items())
        for key, _ in items:
            if not (isinstance(key, tuple) and len(key) == 2):
                raise KpiInputError("staffed_beds", f"key {key!r} must be a (facility, unit) pair")
        staffed_beds = pd.DataFrame(
            {
                "facility": [k[0] for k, _ in items],
                "unit": [k[1] for k, _ in items],
                "staffed_beds": [v for _, v in items],
            },
            dtype=object,
        )
    beds = _register(con, "beds", staffed_beds, "staffed_beds")
    _require(beds, BEDS_REQUIRED)
    bx = _Exprs(_column_types(con, beds.relation), True)
    _first_problem(
        con,
        beds,
        [
            ("facility", f"{bx.text('facility')} IS NULL", "missing"),
            ("unit", f"{bx.text('unit')} IS NULL", "missing"),
            (
                "staffed_beds",
                "TRY_CAST(staffed_beds AS DOUBLE) IS NULL OR TRY_CAST(staffed_beds AS DOUBLE) <= 0",
                "expected a positive number",
            ),
        ],
    )
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE beds AS SELECT {bx.text("facility")} AS facility, {bx.text("unit")} AS unit,
            CAST(staffed_beds AS DOUBLE) AS staffed_beds FROM {beds.relation}
    """)
    dups = con.execute("SELECT facility, unit FROM beds GROUP BY ALL HAVING count(*) > 1 LIMIT 1").fetchall()
    if dups:
        dup = dups[0]
        raise KpiInputError(beds.label, f"unit {dup[1]!r} of {dup[0]!r} listed twice", field="unit")
