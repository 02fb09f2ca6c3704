"""Writes to patient activity: applying ADT messages and importing FHIR / Synthea activity.

Public API
----------
``receive_adt(text, *, learn_locations=False, channel="mllp", actor=None) -> IntakeResult``
    One message as received (MLLP, API): parse, apply, log, answer. Never raises for bad input;
    the result carries the ACK (AA) or NAK (AE/AR) to send back.
``apply_adt_event(event, *, learn_locations=False, channel="file", actor=None) -> IntakeResult``
    One parsed message. Idempotent on MSH-10: a control id already applied with the same content
    is a *duplicate* (answered AA, changes nothing); with different content it is refused.
``course_of(encounter) -> Course``
    The encounter folded again from its applied messages (for checks and replays).
``play_due_messages(path, *, now=None) -> (applied, remaining)``
    The messages of a file whose sent time has come and that are not logged yet (the demo feed).
``load_adt_file(path, *, learn_locations=False, on_progress=None) -> list[IntakeResult]``
    Every message of a file. A file that does not parse whole raises ``Hl7ParseError`` and
    nothing is written; otherwise messages are applied in effective-time order, each accepted or
    refused on its own.
``import_activity(batch, *, source, facility=None, learn_locations=False, actor=None) -> ImportSummary``
    FHIR or Synthea records (``ActivityBatch``), all or nothing: raises ``InvalidInput`` listing
    every problem, else writes patients, encounters and stays in bulk.

Every applied message re-derives its encounter from the encounter's ordered event log (see
:mod:`carehelm.activity.course`), inside one transaction: a refused message changes nothing but
its own log row. Bed status convention: a bed a patient enters becomes *occupied* (O); a bed a
patient leaves by transfer or discharge becomes *housekeeping* (H) until someone marks it clean;
a bed emptied by a cancel (the patient was never really there) goes back to *unoccupied* (U).
Audit summaries name visit numbers and control ids only, never a patient.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from carehelm.accounts.scope import reach
from carehelm.activity.course import CREATES_VISIT, SUPPORTED, Course, Refusal, Step, fold
from carehelm.activity.locations import LocationCache, Places, UnknownPlace, resolve_facility
from carehelm.activity.models import (
    AdtMessage,
    AdtStatus,
    Encounter,
    EncounterStatus,
    Patient,
    PendingMove,
    UnitStay,
)
from carehelm.audit.services import record
from carehelm.engines.interop import hl7v2
from carehelm.engines.interop.hl7v2 import AdtEvent, Hl7ParseError, Hl7Problem
from carehelm.engines.interop.records import ActivityBatch, EncounterRecord, LocationRecord
from carehelm.organization.models import Bed, BedStatus, Facility, FacilityKind, Unit
from carehelm.validation import FieldProblem, InvalidInput, NotAllowed

CANCELS = ("A11", "A12", "A13")


def facility_zone() -> ZoneInfo:
    """HL7 times sent without an offset are read in the health system's zone."""
    return ZoneInfo(settings.TIME_ZONE)


@dataclass(frozen=True)
class IntakeResult:
    status: str  # applied | refused | duplicate
    control_id: str
    trigger: str
    visit_number: str
    reason: str
    ack: str
    message_number: int = 1

    @property
    def accepted(self) -> bool:
        return self.status in (AdtStatus.APPLIED, AdtStatus.DUPLICATE)

    def line(self) -> str:
        """One line for ``adt load``: no names, only ids."""
        word = "accepted" if self.accepted else "refused"
        head = f"message {self.message_number} {self.control_id or '?'} {self.trigger or '?'}"
        visit = f" visit {self.visit_number}" if self.visit_number else ""
        tail = f": {self.reason}" if self.reason else ""
        return f"{word} {head}{visit}{tail}"


def _digest(text: str) -> str:
    """SHA-256 of the message with MSH-7 (when it was sent) blanked: a resend is the same message
    even when the sender stamped it again."""
    if text.startswith("MSH") and len(text) > 3:
        separator = text[3]
        head, _, rest = text.partition("\r")
        fields = head.split(separator)
        if len(fields) > 6:
            fields[6] = ""
        text = separator.join(fields) + ("\r" + rest if rest else "")
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _may_feed(actor, facility: Facility) -> None:
    """Interface accounts (an administrator's token) may feed ADT; unit managers and staff may not."""
    if actor is None:
        return
    r = reach(actor, "change")
    if not (r.everything or facility.pk in r.facility_ids):
        raise NotAllowed(f"you may not feed ADT messages for {facility.code}")


def receive_adt(
    text: str,
    *,
    learn_locations: bool = False,
    channel: str = "mllp",
    actor=None,
    cache: LocationCache | None = None,
) -> IntakeResult:
    try:
        event = hl7v2.parse_message(text, assume_tz=facility_zone())
    except Hl7ParseError as exc:
        problem = exc.first
        AdtMessage.objects.create(
            control_id="",
            trigger="",
            status=AdtStatus.REFUSED,
            reason=str(problem)[:300],
            raw_sha256=_digest(text),
            raw=text,
            channel=channel,
        )
        return IntakeResult(AdtStatus.REFUSED, "", "", "", str(problem), hl7v2.build_ack(text, error=exc))
    return apply_adt_event(event, learn_locations=learn_locations, channel=channel, actor=actor, cache=cache)


def apply_adt_event(
    event: AdtEvent,
    *,
    learn_locations: bool = False,
    channel: str = "file",
    actor=None,
    cache: LocationCache | None = None,
) -> IntakeResult:
    digest = _digest(event.text)
    visit_number = event.visit_number.value if event.visit_number else ""
    base = {
        "control_id": event.message_control_id,
        "trigger": event.trigger_event,
        "effective_at": event.effective_at,
        "raw_sha256": digest,
        "raw": event.text,
        "visit_number": visit_number,
        "channel": channel,
    }

    def answer(status: str, reason: str = "", problem: Hl7Problem | None = None) -> IntakeResult:
        if problem is not None:
            ack = hl7v2.build_ack(event, error=problem)
        else:
            ack = hl7v2.build_ack(event, code="AA", text=reason or None)
        return IntakeResult(
            status,
            event.message_control_id,
            event.trigger_event,
            visit_number,
            reason,
            ack,
            event.message_number,
        )

    with transaction.atomic():
        earlier = next(
            iter(
                AdtMessage.objects.filter(
                    control_id=event.message_control_id, status=AdtStatus.APPLIED
                ).order_by()[:1]
            ),
            None,
        )
        if earlier is not None:
            if earlier.raw_sha256 == digest:
                AdtMessage.objects.create(
                    **base,
                    status=AdtStatus.DUPLICATE,
                    reason="already applied",
                    facility_id=earlier.facility_id,
                    encounter_id=earlier.encounter_id,
                )
                return answer(AdtStatus.DUPLICATE, "duplicate of an applied message; nothing changed")
            reason = "control id already used by a different applied message"
            AdtMessage.objects.create(**base, status=AdtStatus.REFUSED, reason=reason)
            return answer(AdtStatus.REFUSED, reason, Hl7Problem(reason, "MSH", 10, error_code=205))
        try:
            with transaction.atomic():  # a savepoint: a refusal rolls back everything but its log row
                _apply(event, base, learn_locations=learn_locations, actor=actor, cache=cache)
        except Refusal as exc:
            reason = exc.text
            # Unsupported triggers are rejected (AR: do not resend); content problems are errors (AE).
            problem = Hl7Problem(
                reason,
                exc.segment,
                exc.field_no,
                error_code=exc.error_code,
                ack_code="AR" if exc.error_code in (200, 201, 203) else "AE",
            )
        except UnknownPlace as exc:
            reason = exc.text
            problem = Hl7Problem(reason, "PV1", exc.field_no, error_code=103)
        except NotAllowed as exc:
            reason = str(exc)
            problem = Hl7Problem(reason, "MSH", 4, error_code=207, ack_code="AR")
        else:
            parked = 0
            if event.trigger_event in CREATES_VISIT and visit_number:
                parked = _apply_parked(
                    visit_number, learn_locations=learn_locations, actor=actor, cache=cache
                )
            return answer(
                AdtStatus.APPLIED, f"{parked} earlier message(s) for this visit applied" if parked else ""
            )
        if cache is not None and learn_locations:
            cache.found.clear()  # places learned inside the rolled-back savepoint are gone again
        try:  # file the refusal under its facility, so that facility's administrators see it
            facility = resolve_facility(event, cache)
        except UnknownPlace:
            facility = None
        AdtMessage.objects.create(**base, status=AdtStatus.REFUSED, reason=reason[:300], facility=facility)
        record(
            action="adt.refused",
            summary=f"ADT {event.trigger_event} {event.message_control_id} refused"
            + (f" (visit {visit_number})" if visit_number else "")
            + f": {reason}",
            object_type="activity.adtmessage",
            object_id=event.message_control_id,
            facility_id=facility.pk if facility else None,
        )
        return answer(AdtStatus.REFUSED, reason, problem)


UNKNOWN_VISIT = "for an unknown visit"


def _apply_parked(visit_number: str, *, learn_locations: bool, actor, cache) -> int:
    """Messages refused because their visit was unknown (its registration arrived late) are applied
    now that it exists, in effective-time order. Their NAK has gone out; if the sender resends them
    too, the resend is answered as a duplicate."""
    refused = AdtMessage.objects.filter(
        status=AdtStatus.REFUSED, visit_number=visit_number, reason__contains=UNKNOWN_VISIT
    ).order_by("effective_at", "id")
    applied = set(
        AdtMessage.objects.filter(visit_number=visit_number, status=AdtStatus.APPLIED).values_list(
            "control_id", flat=True
        )
    )
    done = 0
    for message in refused:
        if message.control_id in applied or not message.raw:
            continue
        try:
            event = hl7v2.parse_message(message.raw, assume_tz=facility_zone())
        except Hl7ParseError:
            continue
        result = apply_adt_event(
            event, learn_locations=learn_locations, channel=message.channel, actor=actor, cache=cache
        )
        if result.status == AdtStatus.APPLIED:
            applied.add(message.control_id)
            done += 1
    return done


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _payload(
    event: AdtEvent, unit: Unit | None, bed: Bed | None, pending_unit: Unit | None, pending_bed: Bed | None
) -> dict:
    visit = event.visit
    return {
        "trigger": event.trigger_event,
        "at": event.effective_at.isoformat(),
        "class": visit.encounter_class if visit else None,
        "unit": unit.pk if unit else None,
        "bed": bed.pk if bed else None,
        "pending_unit": pending_unit.pk if pending_unit else None,
        "pending_bed": pending_bed.pk if pending_bed else None,
        "admit_source": visit.admit_source if visit else None,
        "disposition": visit.discharge_disposition if visit else None,
        "expected_discharge": _iso(visit.expected_discharge_at) if visit else None,
        "service": visit.hospital_service if visit else None,
    }


def _step(payload: dict, order: int) -> Step:
    def when(key):
        value = payload.get(key)
        return datetime.fromisoformat(value) if value else None

    return Step(
        trigger=payload["trigger"],
        at=when("at"),
        order=order,
        encounter_class=payload.get("class"),
        unit_id=payload.get("unit"),
        bed_id=payload.get("bed"),
        pending_unit_id=payload.get("pending_unit"),
        pending_bed_id=payload.get("pending_bed"),
        admit_source=payload.get("admit_source"),
        disposition=payload.get("disposition"),
        expected_discharge_at=when("expected_discharge"),
        hospital_service=payload.get("service"),
    )


def course_of(encounter: Encounter) -> Course:
    """The encounter's course folded again from its applied messages (raises ``Refusal`` if they no
    longer fold): what the stored stays and pending moves must equal."""
    messages = encounter.messages.filter(status=AdtStatus.APPLIED).order_by("id")
    return fold([_step(m.payload, m.pk) for m in messages])


def _patient(event: AdtEvent) -> Patient:
    record_ = event.patient
    preferred = next((i for i in record_.identifiers if i.type_code == "MR"), None) or (
        record_.identifiers[0] if record_.identifiers else None
    )
    mrn = preferred.value if preferred else record_.source_id
    authority = (preferred.authority or "") if preferred else ""
    patient, _ = Patient.objects.get_or_create(mrn=mrn[:64], authority=authority[:64])
    changed = []
    for name, value in (
        ("birth_date", record_.birth_date),
        ("sex", record_.sex or ""),
        ("postal_code", (record_.postal_code or "")[:16]),
    ):
        if value and getattr(patient, name) != value:
            setattr(patient, name, value)
            changed.append(name)
    if changed:
        patient.save(update_fields=changed)
    return patient


def _apply(
    event: AdtEvent, base: dict, *, learn_locations: bool, actor, cache: LocationCache | None
) -> AdtMessage:
    if event.trigger_event not in SUPPORTED:
        raise Refusal(
            Step(event.trigger_event, event.effective_at, 0),
            f"{event.trigger_event} "
            f"({hl7v2.TRIGGER_EVENTS.get(event.trigger_event, 'unknown')}) is not applied by Carehelm",
            segment="MSH",
            field_no=9,
            error_code=201,
        )
    if event.visit is None or event.visit_number is None:
        raise Refusal(
            Step(event.trigger_event, event.effective_at, 0),
            "missing visit number",
            field_no=19,
            error_code=101,
        )
    facility = resolve_facility(event, cache)
    _may_feed(actor, facility)
    places = Places(facility, learn=learn_locations, encounter_class=event.visit.encounter_class, cache=cache)
    unit, bed = places.resolve(event.visit.assigned_location, 3)
    pending_unit, pending_bed = places.resolve(event.visit.pending_location, 42)
    payload = _payload(event, unit, bed, pending_unit, pending_bed)
    visit_number = event.visit_number.value[:64]

    encounter = next(
        iter(
            Encounter.objects.select_for_update()
            .filter(facility=facility, visit_number=visit_number)
            .order_by()[:1]
        ),
        None,
    )
    history = list(encounter.messages.filter(status=AdtStatus.APPLIED).order_by("id")) if encounter else []
    steps = [_step(m.payload, m.pk) for m in history]
    new_step = _step(payload, 2**62)
    if encounter is None and event.trigger_event not in CREATES_VISIT:
        raise Refusal(
            new_step, f"{event.trigger_event} {UNKNOWN_VISIT} {visit_number}", field_no=19, error_code=204
        )
    try:
        course = fold([*steps, new_step])
    except Refusal as exc:
        if exc.step is not new_step:
            # The late message itself is fine, but where its time puts it a later event breaks.
            raise Refusal(
                new_step,
                f"placed at its effective time it would make the later "
                f"{exc.step.trigger} impossible ({exc.text})",
                segment=exc.segment,
                field_no=exc.field_no,
                error_code=exc.error_code,
            ) from None
        raise

    stays_before = (
        list(
            encounter.stays.order_by("start_at", "id").values_list("unit_id", "bed_id", "start_at", "end_at")
        )
        if encounter
        else []
    )
    pendings_before = (
        list(
            encounter.pending_moves.order_by("start_at", "id").values_list(
                "kind", "from_unit_id", "to_unit_id", "to_bed_id", "start_at", "end_at"
            )
        )
        if encounter
        else []
    )
    if encounter is None:
        encounter = Encounter(
            facility=facility,
            visit_number=visit_number,
            patient=_patient(event),
            encounter_class=course.encounter_class or "inpatient",
            source="hl7",
        )
    else:
        patient = _patient(event)
        if patient.pk != encounter.patient_id:
            raise Refusal(
                new_step,
                f"visit {visit_number} belongs to another patient",
                segment="PID",
                field_no=3,
                error_code=207,
            )
    _store_course(encounter, course, stays_before, pendings_before)
    message = AdtMessage.objects.create(
        **base, status=AdtStatus.APPLIED, facility=facility, encounter=encounter, payload=payload
    )
    _follow_beds(
        [(bed, end) for _, bed, _, end in stays_before if bed],
        [(s.bed_id, s.end) for s in course.stays if s.bed_id],
        cancelled=event.trigger_event in CANCELS,
    )
    current = course.current
    record(
        action="adt.applied",
        obj=encounter,
        summary=f"ADT {event.trigger_event} {event.message_control_id} applied to visit {visit_number}",
        facility_id=facility.pk,
        unit_id=current.unit_id if current else (unit.pk if unit else None),
    )
    return message


def _store_course(encounter: Encounter, course: Course, stays_before: list, pendings_before: list) -> None:
    encounter.status = course.final_status if course.status != "none" else EncounterStatus.CANCELLED
    if course.encounter_class:
        encounter.encounter_class = course.encounter_class
    encounter.admit_at = course.admit_at
    encounter.discharge_at = course.discharge_at
    encounter.discharge_disposition = (course.disposition or "")[:32]
    encounter.admit_source = (course.admit_source or "")[:32]
    encounter.expected_discharge_at = course.expected_discharge_at
    encounter.hospital_service = (course.hospital_service or "")[:32]
    encounter.on_leave = course.on_leave
    encounter.save()
    # Rewritten only when the derived history changed (an A08 or a pending move leaves stays alone).
    stays = [(s.unit_id, s.bed_id, s.start, s.end) for s in course.stays]
    if stays != stays_before:
        UnitStay.objects.filter(encounter=encounter).delete()
        UnitStay.objects.bulk_create(
            [
                UnitStay(encounter=encounter, unit_id=u, bed_id=b, start_at=start, end_at=end)
                for u, b, start, end in stays
            ]
        )
    pendings = [(p.kind, p.from_unit_id, p.to_unit_id, p.to_bed_id, p.start, p.end) for p in course.pendings]
    if pendings != pendings_before:
        PendingMove.objects.filter(encounter=encounter).delete()
        PendingMove.objects.bulk_create(
            [
                PendingMove(
                    encounter=encounter,
                    kind=k,
                    from_unit_id=f,
                    to_unit_id=to,
                    to_bed_id=bed,
                    start_at=start,
                    end_at=end,
                )
                for k, f, to, bed, start, end in pendings
            ]
        )


def _follow_beds(
    before: list[tuple[int, datetime | None]], after: list[tuple[int, datetime | None]], *, cancelled: bool
) -> None:
    """Beds follow the patients (see the module docstring): ``before``/``after`` are the encounter's
    (bed, end) stays before and after the message."""
    open_before = {bed for bed, end in before if end is None}
    all_before, all_after = {bed for bed, _ in before}, {bed for bed, _ in after}
    occupied_now = set(
        UnitStay.objects.filter(bed_id__in=all_before | all_after, end_at__isnull=True).values_list(
            "bed_id", flat=True
        )
    )
    for bed in Bed.objects.filter(pk__in=all_before | all_after).order_by():
        if bed.pk in occupied_now:
            status = BedStatus.OCCUPIED
        elif bed.pk in open_before or bed.pk in all_after - all_before:
            # Just vacated, or a late message shows it was used since: it needs cleaning.
            status = BedStatus.UNOCCUPIED if cancelled else BedStatus.HOUSEKEEPING
        elif bed.status == BedStatus.OCCUPIED:
            status = BedStatus.UNOCCUPIED  # a cancel erased the stay that held it
        else:
            continue
        if bed.status != status:
            bed.status = status
            bed.save(update_fields=["status"])


def load_adt_file(
    path: str | Path, *, learn_locations: bool = False, on_progress: Callable[[int, int], None] | None = None
) -> list[IntakeResult]:
    events = hl7v2.parse_file(path, assume_tz=facility_zone())  # Hl7ParseError: nothing written
    ordered = sorted(events, key=lambda e: (e.effective_at, e.message_number))
    results = []
    cache = LocationCache()
    for done, event in enumerate(ordered, start=1):
        results.append(apply_adt_event(event, learn_locations=learn_locations, channel="file", cache=cache))
        if on_progress is not None:
            on_progress(done, len(ordered))
    results.sort(key=lambda r: r.message_number)
    return results


def play_due_messages(path: str | Path, *, now: datetime | None = None) -> tuple[int, int]:
    """Apply the messages of a file whose sent time (MSH-7) has come and that are not logged yet.

    Returns (applied now, still to come). Used by the demo feed task; an unreadable file plays nothing.
    """
    try:
        events = hl7v2.parse_file(path, assume_tz=facility_zone())
    except (OSError, Hl7ParseError):
        return 0, 0
    now = now or timezone.now()
    seen = set(
        AdtMessage.objects.filter(control_id__in=[e.message_control_id for e in events]).values_list(
            "control_id", flat=True
        )
    )
    due = sorted(
        (e for e in events if e.message_control_id not in seen and e.message_datetime <= now),
        key=lambda e: (e.message_datetime, e.message_number),
    )
    cache = LocationCache()
    for event in due:
        apply_adt_event(event, channel="replay", cache=cache)
    remaining = sum(1 for e in events if e.message_control_id not in seen and e.message_datetime > now)
    return len(due), remaining


# --------------------------------------------------------------------------------------------
# FHIR and Synthea activity


@dataclass(frozen=True)
class ImportSummary:
    patients: int
    encounters: int
    stays: int
    skipped: int  # encounters whose class counts in no census (home health, hospice...)


def _local(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return timezone.make_aware(value, facility_zone()) if timezone.is_naive(value) else value


def _facility_for(
    record_: EncounterRecord, batch: ActivityBatch, default: Facility | None
) -> Facility | None:
    if default is not None:
        return default
    org = next((o for o in batch.organizations if o.source_id == record_.organization_id), None)
    if org is not None:
        for name in (org.name, *(i.value for i in org.identifiers)):
            found = (
                Facility.objects.filter(code__iexact=name).first()
                or Facility.objects.filter(name__iexact=name).first()
                if name
                else None
            )
            if found:
                return found
    hospitals = list(Facility.objects.filter(kind=FacilityKind.HOSPITAL)[:2])
    return hospitals[0] if len(hospitals) == 1 else None


def _location_chain(location_id: str | None, locations: dict[str, LocationRecord]) -> list[LocationRecord]:
    chain, seen = [], set()
    while location_id and location_id in locations and location_id not in seen:
        seen.add(location_id)
        chain.append(locations[location_id])
        location_id = locations[location_id].part_of_id
    return chain


def _place_of(chain: list[LocationRecord], facility: Facility) -> tuple[str | None, str | None, str | None]:
    """(unit code, room, bed) from a location and its parents, by physical type (wa/ro/bd).

    A location counts as a unit when it is a ward (``wa``) or names one of the facility's unit codes;
    other places (a site, a building: Synthea names the whole hospital) give no unit stay.
    """
    unit = room = bed = None
    codes = set(Unit.objects.filter(facility=facility).values_list("code", flat=True))
    for loc in chain:
        names = [i.value for i in loc.identifiers] + ([loc.name] if loc.name else [])
        kind = (loc.physical_type or "").lower()
        if kind == "bd" and bed is None and names:
            bed = names[0]
        elif kind == "ro" and room is None and names:
            room = names[0]
        elif unit is None and names and (kind == "wa" or any(n in codes for n in names)):
            unit = next((n for n in names if n in codes), names[0])
    return unit, room, bed


@transaction.atomic
def import_activity(
    batch: ActivityBatch,
    *,
    source: str,
    facility: Facility | None = None,
    learn_locations: bool = False,
    actor=None,
) -> ImportSummary:
    from carehelm.engines.interop.records import BedLocation

    file = batch.source
    problems: list[FieldProblem] = []
    locations = {loc.source_id: loc for loc in batch.locations}
    patients_by_id = {p.source_id: p for p in batch.patients}
    planned = []
    skipped = 0
    place_cache: dict[int, Places] = {}
    for index, rec in enumerate(batch.encounters, start=1):
        where = {"file": file, "row": index}
        if rec.encounter_class is None:
            skipped += 1
            continue
        fac = _facility_for(rec, batch, facility)
        if fac is None:
            problems.append(
                FieldProblem(
                    field="organization",
                    message="no facility matches this encounter's organization; name one with --facility",
                    **where,
                )
            )
            continue
        if actor is not None:
            try:
                _may_feed(actor, fac)
            except NotAllowed as exc:
                problems.append(FieldProblem(field="organization", message=str(exc), **where))
                continue
        if rec.patient_id not in patients_by_id:
            problems.append(
                FieldProblem(field="patient", message=f"unknown patient {rec.patient_id}", **where)
            )
            continue
        if rec.start is None:
            problems.append(FieldProblem(field="period.start", message="encounter without a start", **where))
            continue
        places = place_cache.setdefault(
            fac.pk, Places(fac, learn=learn_locations, encounter_class=rec.encounter_class)
        )
        stays = []
        for stay in rec.stays:
            if stay.status in ("planned", "reserved"):
                continue
            if stay.location is not None:
                place = stay.location
            else:
                unit_code, room, bed = _place_of(_location_chain(stay.location_id, locations), fac)
                place = BedLocation(point_of_care=unit_code, room=room, bed=bed)
            try:
                unit, bed_row = places.resolve(place)
            except UnknownPlace as exc:
                problems.append(FieldProblem(field="location", message=exc.text, **where))
                continue
            if unit is not None:
                stays.append((unit, bed_row, _local(stay.start or rec.start), _local(stay.end or rec.end)))
        visit = next((i.value for i in rec.identifiers if i.type_code in ("VN", None)), None) or rec.source_id
        if Encounter.objects.filter(facility=fac, visit_number=visit[:64], source="hl7").exists():
            problems.append(
                FieldProblem(
                    field="identifier", message=f"visit {visit} is already known from the HL7 feed", **where
                )
            )
            continue
        planned.append((rec, fac, visit[:64], stays))
    if problems:
        raise InvalidInput(problems, title=f"{file or 'The import'} was refused; nothing was saved.")

    auth = {"fhir": "fhir", "synthea": "synthea"}.get(source, source)
    patient_rows: dict[str, Patient] = {}
    for pid in {rec.patient_id for rec, *_ in planned}:
        p = patients_by_id[pid]
        ident = next((i for i in p.identifiers if i.type_code == "MR"), None)
        mrn, authority = (ident.value, ident.authority or "") if ident else (p.source_id, auth)
        row, _ = Patient.objects.update_or_create(
            mrn=mrn[:64],
            authority=authority[:64],
            defaults={
                "birth_date": p.birth_date,
                "sex": p.sex or "",
                "postal_code": (p.postal_code or "")[:16],
            },
        )
        patient_rows[pid] = row
    Encounter.objects.filter(source=source, visit_number__in=[v for _, _, v, _ in planned]).delete()
    rows = []
    for rec, fac, visit, _stays in planned:
        end = _local(rec.end)
        rows.append(
            Encounter(
                facility=fac,
                patient=patient_rows[rec.patient_id],
                visit_number=visit,
                encounter_class=rec.encounter_class,
                source=source,
                admit_at=_local(rec.start),
                discharge_at=end,
                status=EncounterStatus.FINISHED if end else EncounterStatus.ACTIVE,
                admit_source=(rec.admit_source or "")[:32],
                discharge_disposition=(rec.discharge_disposition or "")[:32],
                hospital_service=(rec.hospital_service or "")[:32],
            )
        )
    Encounter.objects.bulk_create(rows, batch_size=1000)
    saved = {
        (e.facility_id, e.visit_number): e
        for e in Encounter.objects.filter(source=source, visit_number__in=[r.visit_number for r in rows])
    }
    stay_rows = []
    for _rec, fac, visit, stays in planned:
        enc = saved[(fac.pk, visit)]
        for unit, bed, start, end in stays:
            stay_rows.append(UnitStay(encounter=enc, unit=unit, bed=bed, start_at=start, end_at=end))
    UnitStay.objects.bulk_create(stay_rows, batch_size=1000)
    summary = ImportSummary(len(patient_rows), len(rows), len(stay_rows), skipped)
    record(
        action=f"activity.imported_{source}",
        summary=f"{source} activity imported from {file or 'a batch'}: "
        f"{summary.encounters} encounters, {summary.stays} unit stays",
        object_type="activity.encounter",
        actor=actor,
    )
    return summary
