"""CSV imports of rostering inputs for one unit: demand and staff requests.

Every row is validated first; if any is wrong, ``InvalidInput`` names the file, row, field and what
was expected, and nothing is written. On success the rows go through the ordinary services (each
audited) plus one audit event for the import.

  import_demand_csv    shift,weekday,date,skill,minimum,target
  import_requests_csv  employee_number,kind,date_from,date_to,shift,weekday,priority,note
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from carehelm.audit.services import record
from carehelm.organization.models import Unit
from carehelm.scheduling.models import RequestKind, ShiftType
from carehelm.scheduling.services import _manage, create_request, set_demand
from carehelm.validation import FieldProblem, InvalidInput
from carehelm.workforce.models import Skill, Staff

WEEKDAY_NAMES = {name: i for i, name in enumerate(("mon", "tue", "wed", "thu", "fri", "sat", "sun"))}
DEMAND_COLUMNS = ("shift", "weekday", "date", "skill", "minimum", "target")
REQUEST_COLUMNS = ("employee_number", "kind", "date_from", "date_to", "shift", "weekday", "priority", "note")


def _csv_rows(content: bytes, filename: str, required: tuple[str, ...]) -> list[tuple[int, dict]]:
    import csv
    import io

    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput([FieldProblem("file", "not UTF-8 text", file=filename)]) from None
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in required if c not in header]
    if missing:
        raise InvalidInput(
            [
                FieldProblem(
                    "header",
                    f"missing column(s): {', '.join(missing)}; expected {', '.join(required)}",
                    row=1,
                    file=filename,
                )
            ]
        )
    return [
        (i, {k.strip(): (v or "").strip() for k, v in row.items() if k})
        for i, row in enumerate(reader, start=2)
    ]


def _weekday(value: str) -> int | None:
    if value == "":
        return None
    if value.isdigit() and 0 <= int(value) <= 6:
        return int(value)
    return WEEKDAY_NAMES.get(value[:3].lower(), -1)


def _date(value: str) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


def import_demand_csv(*, actor, unit: Unit, content: bytes, filename: str = "demand.csv") -> int:
    """Demand rows ``shift,weekday,date,skill,minimum,target`` (weekday 0–6 or Mon…Sun, or a date).
    Every row is checked first; on any problem nothing is written."""
    _manage(actor, unit)
    shifts = {s.code: s for s in ShiftType.objects.filter(unit=unit)}
    skills = set(Skill.objects.values_list("code", flat=True))
    problems, parsed = [], []
    for row_no, row in _csv_rows(content, filename, ("shift", "minimum", "target")):

        def bad(field, message, value=None, row_no=row_no):
            problems.append(FieldProblem(field, message, row=row_no, file=filename, value=value))

        shift = shifts.get(row.get("shift", ""))
        if shift is None:
            bad(
                "shift",
                f"unknown shift code on {unit.code} (known: {', '.join(shifts) or 'none'})",
                row.get("shift"),
            )
        weekday = _weekday(row.get("weekday", ""))
        if weekday == -1:
            bad("weekday", "expected 0–6 or Mon…Sun", row.get("weekday"))
        try:
            date = _date(row.get("date", ""))
        except ValueError:
            bad("date", "expected YYYY-MM-DD", row.get("date"))
            date = None
        if (weekday is None) == (date is None) and weekday != -1:
            bad("weekday", "give either a weekday or a date")
        skill = row.get("skill", "") or None
        if skill and skill not in skills:
            bad("skill", "unknown skill code", skill)
        try:
            minimum, target = (
                int(row.get("minimum", "")),
                int(row.get("target", "") or row.get("minimum", "")),
            )
            if minimum < 0 or target < minimum:
                bad("target", "target must be at least the minimum, and both not negative")
        except ValueError:
            bad("minimum", "expected whole numbers for minimum and target")
            minimum = target = 0
        parsed.append((shift, weekday, date, skill, minimum, target))
    if problems:
        raise InvalidInput(problems, title=f"{filename}: the demand was not imported; nothing was saved.")
    with transaction.atomic():
        for shift, weekday, date, skill, minimum, target in parsed:
            set_demand(
                actor=actor,
                shift_type=shift,
                weekday=weekday,
                date=date,
                skill=skill,
                minimum=minimum,
                target=target,
            )
        record(
            action="scheduling.demand_imported",
            obj=unit,
            summary=f"{len(parsed)} demand rows imported from {filename}",
        )
    return len(parsed)


def import_requests_csv(*, actor, unit: Unit, content: bytes, filename: str = "requests.csv") -> int:
    """Requests ``employee_number,kind,date_from,date_to,shift,weekday,priority,note`` for a unit's staff.
    Every row is checked first; on any problem nothing is written."""
    _manage(actor, unit)
    staff = {s.employee_number: s for s in Staff.objects.filter(home_unit=unit, active=True)}
    shifts = {s.code: s for s in ShiftType.objects.filter(unit=unit)}
    problems, parsed = [], []
    for row_no, row in _csv_rows(content, filename, ("employee_number", "kind", "date_from")):

        def bad(field, message, value=None, row_no=row_no):
            problems.append(FieldProblem(field, message, row=row_no, file=filename, value=value))

        person = staff.get(row.get("employee_number", ""))
        if person is None:
            bad(
                "employee_number",
                f"no active staff member with this number on {unit.code}",
                row.get("employee_number"),
            )
        kind = row.get("kind", "")
        if kind not in RequestKind.values:
            bad("kind", f"expected one of {', '.join(RequestKind.values)}", kind)
        try:
            date_from, date_to = _date(row.get("date_from", "")), _date(row.get("date_to", ""))
            if date_from is None:
                bad("date_from", "required (YYYY-MM-DD)")
            elif date_to is not None and date_to < date_from:
                bad("date_to", "ends before it starts", row.get("date_to"))
        except ValueError:
            bad("date_from", "expected YYYY-MM-DD dates")
            date_from = date_to = None
        code = row.get("shift", "")
        shift = shifts.get(code) if code else None
        if code and shift is None:
            bad("shift", "unknown shift code", code)
        if kind == RequestKind.PREFER and shift is None:
            bad("shift", "a shift preference names the shift")
        weekday = _weekday(row.get("weekday", ""))
        if weekday == -1:
            bad("weekday", "expected 0–6 or Mon…Sun", row.get("weekday"))
        priority = row.get("priority", "") or "2"
        if priority not in ("1", "2", "3"):
            bad("priority", "1 (low), 2 (normal) or 3 (high)", priority)
        parsed.append(
            (
                person,
                kind,
                date_from,
                date_to,
                shift,
                weekday,
                int(priority) if priority.isdigit() else 2,
                row.get("note", "")[:200],
            )
        )
    if problems:
        raise InvalidInput(problems, title=f"{filename}: the requests were not imported; nothing was saved.")
    with transaction.atomic():
        for person, kind, date_from, date_to, shift, weekday, priority, note in parsed:
            create_request(
                actor=actor,
                staff=person,
                kind=kind,
                date_from=date_from,
                date_to=date_to,
                shift_type=shift,
                weekday=weekday,
                priority=priority,
                note=note,
            )
        record(
            action="scheduling.requests_imported",
            obj=unit,
            summary=f"{len(parsed)} requests imported from {filename}",
        )
    return len(parsed)
