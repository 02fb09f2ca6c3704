"""Writes to the organization tree. Keyword-only, one transaction, validated, audited."""

from __future__ import annotations

from django.db import transaction

from carehelm.accounts.scope import reach
from carehelm.audit.services import diff, record, snapshot
from carehelm.organization.models import Bed, BedStatus, Facility, HealthSystem, Room, Unit
from carehelm.permissions import require
from carehelm.validation import FieldProblem, InvalidInput, NotAllowed


@transaction.atomic
def create_health_system(*, actor=None, name: str, code: str) -> HealthSystem:
    hs = HealthSystem(name=name, code=code)
    _clean(hs)
    hs.save()
    record(actor=actor, action="health_system.created", obj=hs, summary=f"Health system {name} created",
           changes=diff({}, snapshot(hs)))
    return hs


@transaction.atomic
def create_facility(*, actor=None, health_system: HealthSystem, name: str, code: str, kind: str, address: str = "",
                    phone: str = "") -> Facility:
    if actor is not None:
        require(actor, "manage", None, model=Facility, everything=True)
    facility = Facility(health_system=health_system, name=name, code=code, kind=kind, address=address, phone=phone)
    _clean(facility)
    facility.save()
    record(actor=actor, action="facility.created", obj=facility, summary=f"Facility {name} created",
           changes=diff({}, snapshot(facility)))
    return facility


@transaction.atomic
def create_unit(*, actor=None, facility: Facility, name: str, code: str, kind: str, cost_centre: str = "",
                staffed_beds: int = 0) -> Unit:
    if actor is not None:
        # Facility-level reach only: a unit manager "sees" the facility through their unit, but adding
        # units to it is the facility administrator's call.
        r = reach(actor, "manage")
        if not (r.everything or facility.pk in r.facility_ids):
            raise NotAllowed(f"you may not add units to {facility}")
    unit = Unit(facility=facility, name=name, code=code, kind=kind, cost_centre=cost_centre, staffed_beds=staffed_beds)
    _clean(unit)
    unit.save()
    record(actor=actor, action="unit.created", obj=unit, summary=f"Unit {name} created in {facility.code}",
           changes=diff({}, snapshot(unit)))
    return unit


@transaction.atomic
def update_unit(*, actor=None, unit: Unit, **changes) -> Unit:
    if actor is not None:
        require(actor, "manage", unit)
    allowed = {"name", "code", "kind", "cost_centre", "staffed_beds"}
    unknown = set(changes) - allowed
    if unknown:
        raise InvalidInput([FieldProblem(field=f, message="cannot be changed here") for f in sorted(unknown)])
    before = snapshot(unit)
    for k, v in changes.items():
        setattr(unit, k, v)
    _clean(unit)
    unit.save()
    record(actor=actor, action="unit.updated", obj=unit, summary=f"Unit {unit.name} updated", changes=diff(before, snapshot(unit)))
    return unit


@transaction.atomic
def add_room_with_beds(*, actor=None, unit: Unit, room_name: str, bed_labels: list[str]) -> Room:
    if actor is not None:
        require(actor, "manage", unit)
    room = Room(unit=unit, name=room_name)
    _clean(room)
    room.save()
    Bed.objects.bulk_create([Bed(room=room, label=label) for label in bed_labels])
    record(actor=actor, action="room.created", obj=room, summary=f"Room {room_name} with {len(bed_labels)} bed(s) added",
           changes={**diff({}, snapshot(room)), "beds": [[], list(bed_labels)]})
    return room


@transaction.atomic
def set_bed_status(*, actor=None, bed: Bed, status: str, reason: str = "") -> Bed:
    if actor is not None:
        require(actor, "change", bed)
    if status not in BedStatus.values:
        raise InvalidInput([FieldProblem(field="status", message=f"expected one of {', '.join(BedStatus.values)}",
                                         value=status)])
    before = bed.status
    bed.status = status
    bed.save(update_fields=["status"])
    record(actor=actor, action="bed.status_changed", obj=bed, summary=f"Bed {bed} {before} → {status}" + (f": {reason}" if reason else ""),
           changes={"status": [before, status]})
    return bed


def _clean(instance) -> None:
    from django.core.exceptions import ValidationError

    try:
        instance.full_clean()
    except ValidationError as exc:
        raise InvalidInput(
            [FieldProblem(field=f, message=" ".join(msgs)) for f, msgs in exc.message_dict.items()]
        ) from None
