"""Matching the places a feed names (HL7 PL, PV1-3) to our facilities, units, rooms and beds.

``resolve_facility(event)``: the first facility named by PV1-3.4, PV1-42.4, PV1-6.4, EVN-7,
MSH-4 or MSH-6 that matches a facility code or name (case-insensitive); when none is named, the
only hospital there is. A facility that is named explicitly in PV1-3.4 but unknown is refused.

``Places(facility, learn=False).resolve(location)`` → ``(unit, bed)``: point of care → ``Unit.code``
within the facility, room → ``Room.name`` (the bare room or ``UNIT-room``), bed → ``Bed.label``.
A room with a single bed needs no bed component. Unknown places raise :class:`UnknownPlace`
unless ``learn`` is set, in which case they are created (and audited).
"""

from __future__ import annotations

from carehelm.audit.services import record
from carehelm.engines.interop.hl7v2 import AdtEvent
from carehelm.engines.interop.records import BedLocation
from carehelm.organization.models import Bed, Facility, FacilityKind, Room, Unit, UnitKind


class UnknownPlace(Exception):
    def __init__(self, text: str, field_no: int = 3):
        self.text = text
        self.field_no = field_no
        super().__init__(text)


class LocationCache:
    """Places already found, kept for one load or one listener run (lookups that miss always ask the
    database, so places configured meanwhile are found; a feed names the same few hundred beds)."""

    def __init__(self):
        self.found: dict[tuple, object] = {}

    def get(self, key: tuple, lookup):
        if key in self.found:
            return self.found[key]
        value = lookup()
        if value is not None:
            self.found[key] = value
        return value


def _first(queryset):
    # No default ordering: Unit orders by facility name, a join we do not need for one row.
    return next(iter(queryset.order_by()[:1]), None)


def _facility_named(name: str | None, cache: LocationCache | None = None) -> Facility | None:
    if not name:
        return None

    def lookup():
        return _first(Facility.objects.filter(code__iexact=name)) or _first(
            Facility.objects.filter(name__iexact=name)
        )

    return cache.get(("facility", name), lookup) if cache is not None else lookup()


def resolve_facility(event: AdtEvent, cache: LocationCache | None = None) -> Facility:
    visit = event.visit
    explicit = visit.assigned_location.facility if visit and visit.assigned_location else None
    if explicit:
        found = _facility_named(explicit, cache)
        if found is None:
            raise UnknownPlace(f"unknown facility {explicit!r} in PV1-3.4", 3)
        return found
    candidates = []
    if visit is not None:
        for place in (visit.pending_location, visit.prior_location):
            if place is not None and place.facility:
                candidates.append(place.facility)
    candidates += [event.event_facility, event.sending_facility, event.receiving_facility]
    for name in candidates:
        found = _facility_named(name, cache)
        if found is not None:
            return found
    hospitals = list(Facility.objects.filter(kind=FacilityKind.HOSPITAL)[:2])
    if len(hospitals) == 1:
        return hospitals[0]
    raise UnknownPlace("no known facility named in PV1-3.4, EVN-7, MSH-4 or MSH-6", 3)


class Places:
    """Resolves places within one facility, caching what it has looked up."""

    def __init__(
        self,
        facility: Facility,
        *,
        learn: bool = False,
        encounter_class: str | None = None,
        cache: LocationCache | None = None,
    ):
        self.facility = facility
        self.learn = learn
        self.encounter_class = encounter_class
        self.cache = cache if cache is not None else LocationCache()

    def unit(self, code: str, field_no: int) -> Unit:
        unit = self.cache.get(
            ("unit", self.facility.pk, code),
            lambda: (
                _first(Unit.objects.filter(facility=self.facility, code=code))
                or _first(Unit.objects.filter(facility=self.facility, code__iexact=code))
            ),
        )
        if unit is None:
            if not self.learn:
                raise UnknownPlace(
                    f"unknown point of care {code!r} in facility {self.facility.code}", field_no
                )
            kind = UnitKind.EMERGENCY if self.encounter_class == "emergency" else UnitKind.INPATIENT_WARD
            unit = Unit.objects.create(facility=self.facility, code=code[:32], name=code[:200], kind=kind)
            record(
                action="location.learned",
                obj=unit,
                summary=f"Unit {unit.code} learned from the ADT feed in {self.facility.code}",
            )
        return unit

    def room(self, unit: Unit, name: str, field_no: int) -> Room:
        room = self.cache.get(
            ("room", unit.pk, name),
            lambda: (
                _first(Room.objects.filter(unit=unit, name=name))
                or _first(Room.objects.filter(unit=unit, name__iexact=name))
                or _first(Room.objects.filter(unit=unit, name__iexact=f"{unit.code}-{name}"))
            ),
        )
        if room is None:
            if not self.learn:
                raise UnknownPlace(f"unknown room {name!r} in unit {unit.code}", field_no)
            room = Room.objects.create(unit=unit, name=name[:32])
            record(action="location.learned", obj=room, summary=f"Room {room} learned from the ADT feed")
        return room

    def bed(self, room: Room, label: str | None, field_no: int) -> Bed | None:
        if label is None:
            beds = list(room.beds.order_by()[:2])
            return beds[0] if len(beds) == 1 else None
        bed = self.cache.get(
            ("bed", room.pk, label),
            lambda: (
                _first(Bed.objects.filter(room=room, label=label))
                or _first(Bed.objects.filter(room=room, label__iexact=label))
            ),
        )
        if bed is None:
            if not self.learn:
                raise UnknownPlace(f"unknown bed {label!r} in room {room}", field_no)
            bed = Bed.objects.create(room=room, label=label[:32])
            record(action="location.learned", obj=bed, summary=f"Bed {bed} learned from the ADT feed")
        return bed

    def resolve(self, place: BedLocation | None, field_no: int = 3) -> tuple[Unit | None, Bed | None]:
        if place is None or not place.point_of_care:
            if place is not None and (place.room or place.bed):
                raise UnknownPlace("a room or bed without its point of care", field_no)
            return None, None
        unit = self.unit(place.point_of_care, field_no)
        if not place.room:
            if place.bed:
                raise UnknownPlace(f"bed {place.bed!r} without its room", field_no)
            return unit, None
        room = self.room(unit, place.room, field_no)
        return unit, self.bed(room, place.bed, field_no)
