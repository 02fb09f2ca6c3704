"""Neutral records that every intake format is read into.

HL7 v2 ADT, FHIR R4 Bundles and Synthea CSV exports describe the same things in different words.
The readers in this package translate each format into these frozen dataclasses, so the
``activity`` app applies one shape of data whatever the feed was. Nothing here knows about
Django or the database: ids are the *source's* ids (an MRN, a visit number, a FHIR id, a Synthea
UUID), and matching them to our rows is the caller's job.

Public API
----------
``Identifier``          an id with the authority that issued it (PID-3, PV1-19, FHIR Identifier)
``BedLocation``         a place: point of care (unit), room, bed, facility, building, floor
``PatientRecord``       the identifiers and the few demographics the KPIs need
``LocationStay``        one stretch of an encounter in one location, with its period
``EncounterRecord``     a visit: class, times, admit source, discharge disposition, stays
``LocationRecord``      a configured place (FHIR Location, Synthea has none)
``OrganizationRecord``  a facility or provider organization
``ProviderRecord``      a clinician (Synthea providers.csv)
``ActivityBatch``       what one source holds: patients, encounters, locations, organizations, providers
``ENCOUNTER_CLASSES``   the four encounter classes Carehelm counts
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

#: The encounter classes the census and KPIs count. Every reader maps its source's vocabulary
#: (HL7 table 0004, FHIR v3 ActCode, Synthea ENCOUNTERCLASS) onto these, or to ``None`` when the
#: source class has no place in a census (for example a home-health visit).
ENCOUNTER_CLASSES = ("inpatient", "emergency", "outpatient", "observation")


@dataclass(frozen=True)
class Identifier:
    """An identifier as the source issued it.

    ``authority`` is the assigning authority (HL7 CX-4 namespace, else its universal id) or the
    FHIR ``Identifier.system``; ``type_code`` is the HL7 table 0203 type (``MR``, ``VN``, ``SS``...).
    """

    value: str
    authority: str | None = None
    type_code: str | None = None


@dataclass(frozen=True)
class BedLocation:
    """A place a patient can be, split the way HL7 v2 PL (PV1-3) splits it.

    ``point_of_care`` is the nursing unit or ward (what Carehelm calls a unit); room and bed are
    within it; ``facility`` is the hospital. Every part is optional because feeds send as much
    as they know: an ED registration may name only the point of care.
    """

    point_of_care: str | None = None
    room: str | None = None
    bed: str | None = None
    facility: str | None = None
    building: str | None = None
    floor: str | None = None
    location_type: str | None = None
    description: str | None = None

    @property
    def is_empty(self) -> bool:
        return not any((self.point_of_care, self.room, self.bed, self.facility, self.building, self.floor))


@dataclass(frozen=True)
class PatientRecord:
    """A patient with only what the KPIs need (no address lines, no phone numbers)."""

    source_id: str
    identifiers: tuple[Identifier, ...] = ()
    family_name: str | None = None
    given_name: str | None = None
    birth_date: date | None = None
    sex: str | None = None  # "male", "female", "other", "unknown" (FHIR AdministrativeGender)
    postal_code: str | None = None
    deceased_at: datetime | None = None


@dataclass(frozen=True)
class LocationStay:
    """One stretch of an encounter in one place.

    ``location_id`` is the source's id for a :class:`LocationRecord` when the source has one
    (FHIR); ``location`` is the place itself when the source names it inline (HL7 v2).
    ``status`` follows FHIR ``Encounter.location.status``: planned, active, reserved, completed.
    """

    location_id: str | None = None
    location: BedLocation | None = None
    start: datetime | None = None
    end: datetime | None = None
    status: str | None = None


@dataclass(frozen=True)
class EncounterRecord:
    """A visit as a whole, with its location history."""

    source_id: str
    patient_id: str
    encounter_class: str | None  # one of ENCOUNTER_CLASSES, or None when it counts for none
    source_class: str | None  # the source's own class code, kept for audit and remapping
    start: datetime | None
    end: datetime | None
    status: str | None = None
    organization_id: str | None = None
    provider_id: str | None = None
    admit_source: str | None = None
    discharge_disposition: str | None = None
    hospital_service: str | None = None
    code: str | None = None
    description: str | None = None
    identifiers: tuple[Identifier, ...] = ()
    stays: tuple[LocationStay, ...] = ()


@dataclass(frozen=True)
class LocationRecord:
    """A configured place as the source describes it."""

    source_id: str
    name: str | None = None
    status: str | None = None
    physical_type: str | None = None  # FHIR location-physical-type: wa (ward), ro (room), bd (bed)...
    part_of_id: str | None = None
    organization_id: str | None = None
    identifiers: tuple[Identifier, ...] = ()


@dataclass(frozen=True)
class OrganizationRecord:
    """A facility, provider organization or payer."""

    source_id: str
    name: str | None = None
    type_code: str | None = None
    postal_code: str | None = None
    identifiers: tuple[Identifier, ...] = ()


@dataclass(frozen=True)
class ProviderRecord:
    """A clinician who sees patients at an organization."""

    source_id: str
    name: str | None = None
    organization_id: str | None = None
    specialty: str | None = None
    sex: str | None = None


@dataclass(frozen=True)
class ActivityBatch:
    """Everything one source (a bundle, a CSV export folder) held, already checked."""

    patients: tuple[PatientRecord, ...] = ()
    encounters: tuple[EncounterRecord, ...] = ()
    locations: tuple[LocationRecord, ...] = ()
    organizations: tuple[OrganizationRecord, ...] = ()
    providers: tuple[ProviderRecord, ...] = ()
    source: str | None = field(default=None, compare=False)
