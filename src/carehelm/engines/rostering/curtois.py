"""Reader for the Curtois & Qu (2014) shift-scheduling instance format.

``read_instance(path) -> Problem`` and ``parse_instance(text, name, source) -> Problem``. A
malformed file raises :class:`~carehelm.engines.rostering.model.ProblemError` whose message names
the file, the line number and the field. The boundary rules are those of the format
description (bench/data/curtois/FORMAT.md): day 0 is a Monday, the shift "rotation" lists are
forbidden successions for everyone, the per-type maximum ``=0`` forbids a type.
"""

from __future__ import annotations

from pathlib import Path

from .model import (
    Contract,
    CoverRequirement,
    Problem,
    ProblemError,
    ShiftRequest,
    ShiftType,
    StaffMember,
    validate,
)

SECTIONS = {
    "SECTION_HORIZON",
    "SECTION_SHIFTS",
    "SECTION_STAFF",
    "SECTION_DAYS_OFF",
    "SECTION_SHIFT_ON_REQUESTS",
    "SECTION_SHIFT_OFF_REQUESTS",
    "SECTION_COVER",
}


class _Line:
    """One data row with its position, so every error can name where it came from."""

    def __init__(self, source: str, number: int, text: str):
        self.source, self.number, self.text = source, number, text
        self.fields = [f.strip() for f in text.split(",")]

    def fail(self, message: str) -> ProblemError:
        return ProblemError(f"{self.source} line {self.number}: {message} (line: {self.text!r})")

    def int_field(self, index: int, name: str) -> int:
        if index >= len(self.fields) or self.fields[index] == "":
            raise self.fail(f"missing field {name} (column {index + 1})")
        try:
            return int(self.fields[index])
        except ValueError:
            raise self.fail(
                f"field {name} (column {index + 1}) is not an integer: {self.fields[index]!r}"
            ) from None

    def expect_fields(self, count: int, layout: str) -> None:
        if len(self.fields) != count:
            raise self.fail(f"expected {count} comma-separated fields ({layout}), found {len(self.fields)}")


def read_instance(path: str | Path) -> Problem:
    path = Path(path)
    try:
        text = path.read_text(encoding="ascii")
    except UnicodeDecodeError as exc:
        raise ProblemError(f"{path}: not an ASCII file ({exc})") from None
    return parse_instance(text, name=path.stem, source=str(path))


def parse_instance(text: str, name: str = "instance", source: str = "<text>") -> Problem:
    sections: dict[str, list[_Line]] = {}
    current: str | None = None
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if line.startswith("#"):
            continue
        if not line:
            current = None
            continue
        if line.startswith("SECTION_"):
            if line not in SECTIONS:
                raise ProblemError(f"{source} line {number}: unknown section {line!r}")
            if line in sections:
                raise ProblemError(f"{source} line {number}: section {line} appears twice")
            current = line
            sections[current] = []
            continue
        if current is None:
            raise ProblemError(f"{source} line {number}: data outside any SECTION_ header: {line!r}")
        sections[current].append(_Line(source, number, line))

    for required in ("SECTION_HORIZON", "SECTION_SHIFTS", "SECTION_STAFF"):
        if not sections.get(required):
            raise ProblemError(f"{source}: missing or empty {required}")

    horizon_rows = sections["SECTION_HORIZON"]
    if len(horizon_rows) != 1:
        raise horizon_rows[1].fail("SECTION_HORIZON holds a single number")
    horizon_rows[0].expect_fields(1, "H")
    H = horizon_rows[0].int_field(0, "H")
    if H <= 0:
        raise horizon_rows[0].fail("the horizon must be a positive number of days")

    shifts: list[ShiftType] = []
    successions: set[tuple[str, str]] = set()
    shift_rows = sections["SECTION_SHIFTS"]
    for row in shift_rows:
        row.expect_fields(3, "ShiftID, LengthMins, F1|F2|...")
        sid = row.fields[0]
        if not sid:
            raise row.fail("empty ShiftID")
        if any(s.id == sid for s in shifts):
            raise row.fail(f"duplicate shift {sid!r}")
        length = row.int_field(1, "LengthMins")
        if length <= 0:
            raise row.fail("LengthMins must be positive")
        shifts.append(ShiftType(id=sid, duration_minutes=length))
    known_shifts = {s.id for s in shifts}
    for row in shift_rows:
        for nxt in filter(None, (f.strip() for f in row.fields[2].split("|"))):
            if nxt not in known_shifts:
                raise row.fail(f"unknown shift {nxt!r} in the cannot-follow list")
            successions.add((row.fields[0], nxt))

    def shift_field(row: _Line, index: int) -> str:
        sid = row.fields[index] if index < len(row.fields) else ""
        if sid not in known_shifts:
            raise row.fail(f"unknown shift {sid!r} in field ShiftID (column {index + 1})")
        return sid

    def day_field(row: _Line, index: int, name: str) -> int:
        day = row.int_field(index, name)
        if not 0 <= day < H:
            raise row.fail(f"{name} {day} outside the horizon 0..{H - 1}")
        return day

    staff_rows: dict[str, tuple[_Line, dict]] = {}
    for row in sections["SECTION_STAFF"]:
        row.expect_fields(
            8,
            "ID, MaxShifts, MaxTotalMinutes, MinTotalMinutes, MaxConsecutiveShifts, MinConsecutiveShifts, "
            "MinConsecutiveDaysOff, MaxWeekends",
        )
        eid = row.fields[0]
        if not eid:
            raise row.fail("empty staff ID")
        if eid in staff_rows:
            raise row.fail(f"duplicate staff {eid!r}")
        max_shifts: dict[str, int] = {}
        for part in filter(None, row.fields[1].split("|")):
            sid, eq, value = part.partition("=")
            if not eq or sid.strip() not in known_shifts:
                raise row.fail(f"field MaxShifts: bad entry {part!r} (want ShiftID=n with a known shift)")
            try:
                max_shifts[sid.strip()] = int(value)
            except ValueError:
                raise row.fail(f"field MaxShifts: {part!r} is not ShiftID=integer") from None
        names = ["MaxTotalMinutes", "MinTotalMinutes", "MaxConsecutiveShifts", "MinConsecutiveShifts"]
        names += ["MinConsecutiveDaysOff", "MaxWeekends"]
        values = {n: row.int_field(i + 2, n) for i, n in enumerate(names)}
        for n, v in values.items():
            if v < 0:
                raise row.fail(f"field {n} is negative")
        staff_rows[eid] = (row, {"max_shifts": max_shifts, **values})

    days_off: dict[str, set[int]] = {e: set() for e in staff_rows}
    for row in sections.get("SECTION_DAYS_OFF", []):
        eid = row.fields[0]
        if eid not in staff_rows:
            raise row.fail(f"unknown staff {eid!r} in field EmployeeID")
        for i in range(1, len(row.fields)):
            if row.fields[i]:
                days_off[eid].add(day_field(row, i, "DayIndex"))

    def requests(section: str) -> tuple[ShiftRequest, ...]:
        out = []
        for row in sections.get(section, []):
            row.expect_fields(4, "EmployeeID, Day, ShiftID, Weight")
            if row.fields[0] not in staff_rows:
                raise row.fail(f"unknown staff {row.fields[0]!r} in field EmployeeID")
            weight = row.int_field(3, "Weight")
            if weight < 0:
                raise row.fail("field Weight is negative")
            out.append(ShiftRequest(row.fields[0], day_field(row, 1, "Day"), shift_field(row, 2), weight))
        return tuple(out)

    cover = []
    for row in sections.get("SECTION_COVER", []):
        row.expect_fields(5, "Day, ShiftID, Requirement, WeightUnder, WeightOver")
        day, sid = day_field(row, 0, "Day"), shift_field(row, 1)
        req, wu, wo = (
            row.int_field(i, n) for i, n in ((2, "Requirement"), (3, "WeightUnder"), (4, "WeightOver"))
        )
        if min(req, wu, wo) < 0:
            raise row.fail("Requirement and weights must not be negative")
        cover.append(CoverRequirement(day, sid, req, wu, wo))

    staff = []
    for eid, (_row, v) in staff_rows.items():
        contract = Contract(
            min_paid_minutes=v["MinTotalMinutes"],
            max_paid_minutes=v["MaxTotalMinutes"],
            max_shifts_per_type=v["max_shifts"],
            max_consecutive_work_days=v["MaxConsecutiveShifts"],
            min_consecutive_work_days=max(1, v["MinConsecutiveShifts"]),
            min_consecutive_days_off=max(1, v["MinConsecutiveDaysOff"]),
            max_weekends=v["MaxWeekends"],
        )
        staff.append(StaffMember(id=eid, contract=contract, days_off=frozenset(days_off[eid])))

    problem = Problem(
        name=name,
        horizon_days=H,
        shift_types=tuple(shifts),
        staff=tuple(staff),
        cover=tuple(cover),
        shift_on_requests=requests("SECTION_SHIFT_ON_REQUESTS"),
        shift_off_requests=requests("SECTION_SHIFT_OFF_REQUESTS"),
        forbidden_successions=frozenset(successions),
        first_weekday=0,
    )
    try:
        validate(problem)
    except ProblemError as exc:
        raise ProblemError(f"{source}: {exc}") from None
    return problem
