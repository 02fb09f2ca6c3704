"""The course of one encounter, folded from its ADT events in effective-time order.

Pure logic on plain values (unit and bed ids, datetimes), no database: the service hands it an
encounter's applied events plus the new one, and either gets the whole derived course back (status,
times, stays, pending moves) or a :class:`Refusal` naming the event that cannot be applied. So a
late message is placed where its effective time puts it, and an impossible sequence is refused
before anything is written.

Event semantics (``Step.trigger``)
----------------------------------
A01 admit / A04 register     a new visit is in house; a stay opens at PV1-3 (A01 requires it)
A05 pre-admit / A14 pending  a planned visit: pending in to PV1-3 (else PV1-42)
A02 transfer                 the current stay ends, one opens at PV1-3 (must differ)
A03 discharge                the current stay ends; discharge time and disposition set
A06 / A07                    class becomes inpatient / outpatient; a new PV1-3 moves the patient
A08 update                   admit source, expected discharge, service, class; no movement
A11 / A12 / A13              cancel the latest admit / transfer / discharge: the course returns
                             exactly to what it was before that event (anything registered after
                             it, e.g. a pending discharge, is void with it); refused when a later
                             movement sits on top of it
A15 / A16                    pending transfer (to PV1-42, else a PV1-3 that differs) / discharge
A25 / A26 / A27 / A38        cancel pending discharge / transfer / admit / pre-admit: the pending
                             move ends at the cancel's time (it *was* pending until then)
A21 / A22                    leave of absence / return (the bed is kept, so it stays occupied)
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import datetime

ADMITS = ("A01", "A04")
MOVES = ("A01", "A04", "A02", "A03", "A06", "A07")
SUPPORTED = frozenset(
    {
        "A01",
        "A02",
        "A03",
        "A04",
        "A05",
        "A06",
        "A07",
        "A08",
        "A11",
        "A12",
        "A13",
        "A14",
        "A15",
        "A16",
        "A21",
        "A22",
        "A25",
        "A26",
        "A27",
        "A38",
    }
)
CREATES_VISIT = frozenset({"A01", "A04", "A05", "A14"})


@dataclass(frozen=True)
class Step:
    """One event as the fold needs it (the ``payload`` of an AdtMessage, plus its order key)."""

    trigger: str
    at: datetime
    order: int  # arrival order, breaks ties between events with the same effective time
    encounter_class: str | None = None
    unit_id: int | None = None
    bed_id: int | None = None
    pending_unit_id: int | None = None
    pending_bed_id: int | None = None
    admit_source: str | None = None
    disposition: str | None = None
    expected_discharge_at: datetime | None = None
    hospital_service: str | None = None


@dataclass
class Stay:
    unit_id: int
    bed_id: int | None
    start: datetime
    end: datetime | None = None


@dataclass
class Pending:
    kind: str  # admit | transfer | discharge
    from_unit_id: int | None
    to_unit_id: int | None
    to_bed_id: int | None
    start: datetime
    end: datetime | None = None


@dataclass
class Course:
    """What the events say about one encounter."""

    status: str = "none"  # none | planned | active | finished
    encounter_class: str | None = None
    admit_at: datetime | None = None
    discharge_at: datetime | None = None
    disposition: str = ""
    on_leave: bool = False
    stays: list[Stay] = field(default_factory=list)
    pendings: list[Pending] = field(default_factory=list)
    # Attributes that cancels do not undo (they are corrections, not movements).
    admit_source: str = ""
    expected_discharge_at: datetime | None = None
    hospital_service: str = ""
    # (trigger, course before it) for every movement, so a cancel can restore it exactly.
    undo: list[tuple[str, Course]] = field(default_factory=list, repr=False)

    @property
    def current(self) -> Stay | None:
        if self.stays and self.stays[-1].end is None:
            return self.stays[-1]
        return None

    @property
    def final_status(self) -> str:
        return "cancelled" if self.status == "none" else self.status


class Refusal(Exception):
    """The event cannot be applied where its effective time puts it."""

    def __init__(
        self,
        step: Step,
        text: str,
        *,
        segment: str = "PV1",
        field_no: int | None = None,
        error_code: int = 207,
    ):
        self.step = step
        self.text = text
        self.segment = segment
        self.field_no = field_no
        self.error_code = error_code
        super().__init__(text)


def fold(steps: list[Step]) -> Course:
    """Apply ``steps`` in (effective time, arrival) order; raise :class:`Refusal` on the first
    that cannot be applied."""
    course = Course()
    for step in sorted(steps, key=lambda s: (s.at, s.order)):
        _apply(course, step)
    return course


def _snapshot(course: Course) -> Course:
    saved = copy.deepcopy(course)
    saved.undo = list(course.undo)
    return saved


def _restore(course: Course, before: Course) -> None:
    keep = (course.admit_source, course.expected_discharge_at, course.hospital_service)
    course.__dict__.update(copy.deepcopy(before.__dict__))
    course.admit_source, course.expected_discharge_at, course.hospital_service = keep


def _end_pendings(course: Course, at: datetime, kinds: tuple[str, ...]) -> None:
    for pending in course.pendings:
        if pending.end is None and pending.kind in kinds:
            pending.end = at


def _open_stay(course: Course, step: Step) -> None:
    if step.unit_id is not None:
        course.stays.append(Stay(step.unit_id, step.bed_id, step.at))


def _close_stay(course: Course, at: datetime) -> None:
    stay = course.current
    if stay is not None:
        stay.end = at


def _attributes(course: Course, step: Step) -> None:
    if step.admit_source:
        course.admit_source = step.admit_source
    if step.expected_discharge_at:
        course.expected_discharge_at = step.expected_discharge_at
    if step.hospital_service:
        course.hospital_service = step.hospital_service


def _apply(course: Course, step: Step) -> None:  # noqa: C901 - one branch per trigger reads best
    t = step.trigger
    status = course.status
    if t not in SUPPORTED:
        raise Refusal(
            step, f"trigger {t} is not applied by Carehelm", segment="MSH", field_no=9, error_code=201
        )
    if status == "none" and t not in CREATES_VISIT:
        raise Refusal(step, f"{t} for an unknown visit", field_no=19, error_code=204)
    _attributes(course, step)

    if t in ADMITS:
        if status in ("active", "finished"):
            what = "already in house" if status == "active" else "already discharged"
            raise Refusal(step, f"{t}: visit {what}", field_no=19, error_code=205)
        if t == "A01" and step.unit_id is None:
            raise Refusal(step, "A01 without an assigned location", field_no=3, error_code=101)
        course.undo.append((t, _snapshot(course)))
        course.status = "active"
        course.encounter_class = step.encounter_class or ("inpatient" if t == "A01" else "outpatient")
        course.admit_at = step.at
        _end_pendings(course, step.at, ("admit",))
        _open_stay(course, step)
    elif t in ("A05", "A14"):
        if status != "none" and status != "planned":
            raise Refusal(
                step,
                f"{t}: visit already {'in house' if status == 'active' else 'discharged'}",
                field_no=19,
                error_code=205,
            )
        course.status = "planned"
        course.encounter_class = step.encounter_class or course.encounter_class or "inpatient"
        _end_pendings(course, step.at, ("admit",))
        to_unit = step.pending_unit_id or step.unit_id
        to_bed = step.pending_bed_id if step.pending_unit_id else step.bed_id
        course.pendings.append(Pending("admit", None, to_unit, to_bed, step.at))
    elif t in ("A27", "A38"):
        if status != "planned":
            raise Refusal(step, f"{t}: no pending admit to cancel", field_no=19, error_code=204)
        _end_pendings(course, step.at, ("admit",))
        course.status = "none"
    elif t == "A02":
        _require_in_house(course, step, "transfer")
        if step.unit_id is None:
            raise Refusal(step, "A02 without the new location", field_no=3, error_code=101)
        current = course.current
        if current is not None and (current.unit_id, current.bed_id) == (step.unit_id, step.bed_id):
            raise Refusal(step, "A02 to the location the patient is already in", field_no=3, error_code=207)
        course.undo.append((t, _snapshot(course)))
        _close_stay(course, step.at)
        _end_pendings(course, step.at, ("transfer",))
        _open_stay(course, step)
    elif t == "A03":
        _require_in_house(course, step, "discharge")
        course.undo.append((t, _snapshot(course)))
        _close_stay(course, step.at)
        _end_pendings(course, step.at, ("transfer", "discharge"))
        course.status = "finished"
        course.discharge_at = step.at
        course.disposition = step.disposition or ""
        course.on_leave = False
    elif t in ("A06", "A07"):
        _require_in_house(course, step, "change of class")
        course.undo.append((t, _snapshot(course)))
        course.encounter_class = "inpatient" if t == "A06" else (step.encounter_class or "outpatient")
        current = course.current
        if step.unit_id is not None and (
            current is None or (current.unit_id, current.bed_id) != (step.unit_id, step.bed_id)
        ):
            _close_stay(course, step.at)
            _open_stay(course, step)
    elif t == "A08":
        if step.encounter_class and course.status in ("planned", "active"):
            course.encounter_class = step.encounter_class
    elif t in ("A11", "A12", "A13"):
        target = {"A11": ADMITS, "A12": ("A02",), "A13": ("A03",)}[t]
        if not course.undo or course.undo[-1][0] not in target:
            what = {"A11": "admit", "A12": "transfer", "A13": "discharge"}[t]
            later = course.undo[-1][0] if course.undo else None
            detail = f" (the latest movement is {later})" if later else ""
            raise Refusal(step, f"{t}: no {what} to cancel{detail}", field_no=19, error_code=207)
        _, before = course.undo.pop()
        _restore(course, before)
    elif t == "A15":
        _require_in_house(course, step, "pending transfer")
        current = course.current
        to_unit, to_bed = step.pending_unit_id, step.pending_bed_id
        if (
            to_unit is None
            and step.unit_id is not None
            and (current is None or (step.unit_id, step.bed_id) != (current.unit_id, current.bed_id))
        ):
            to_unit, to_bed = step.unit_id, step.bed_id
        if to_unit is None:
            raise Refusal(step, "A15 without a pending location (PV1-42)", field_no=42, error_code=101)
        _end_pendings(course, step.at, ("transfer",))
        course.pendings.append(
            Pending("transfer", current.unit_id if current else None, to_unit, to_bed, step.at)
        )
    elif t == "A16":
        _require_in_house(course, step, "pending discharge")
        current = course.current
        _end_pendings(course, step.at, ("discharge",))
        course.pendings.append(
            Pending("discharge", current.unit_id if current else None, None, None, step.at)
        )
    elif t in ("A25", "A26"):
        kind = "discharge" if t == "A25" else "transfer"
        if not any(p.end is None and p.kind == kind for p in course.pendings):
            raise Refusal(step, f"{t}: no pending {kind} to cancel", field_no=19, error_code=204)
        _end_pendings(course, step.at, (kind,))
    elif t == "A21":
        _require_in_house(course, step, "leave of absence")
        course.on_leave = True
    elif t == "A22":
        _require_in_house(course, step, "return from leave")
        if not course.on_leave:
            raise Refusal(step, "A22 for a patient not on leave", field_no=19, error_code=207)
        course.on_leave = False


def _require_in_house(course: Course, step: Step, what: str) -> None:
    if course.status == "active":
        return
    if course.status == "finished":
        raise Refusal(step, f"{step.trigger}: {what} after discharge", field_no=19, error_code=207)
    raise Refusal(step, f"{step.trigger}: {what} of a visit not admitted", field_no=19, error_code=204)
