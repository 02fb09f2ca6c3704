"""FHIR R4 Bundles to neutral activity records (patients, encounters with location stays,
locations, organizations).

Each resource of interest is validated with ``fhir.resources``. In fhir.resources 8.x the
default package is FHIR R5; R4 content is validated with the R4B classes
(``fhir.resources.R4B``), which are the right model for R4 Bundles: R4B changed no element that
this reader uses (Encounter.class is a Coding, Encounter.hospitalization and Encounter.location
keep their R4 shape), whereas R5 renamed them (Encounter.admission, Encounter.class as a list).

Only Patient, Encounter, Location and Organization entries are read; every other resource type
is skipped unvalidated (a Synthea bundle is mostly Observations and Claims). References are
resolved within the bundle through ``fullUrl`` (``urn:uuid:...``), ``Type/id`` and the
conditional ``Type?identifier=system|value`` form that Synthea's transaction bundles use; a
reference to something outside the bundle keeps its id part.

Public API
----------
``read_bundle(data, *, source=None) -> ActivityBatch``
    ``data`` is a parsed JSON object, or JSON text/bytes. All or nothing: it returns every
    record or raises :class:`FhirReadError` listing every problem found.
``read_bundle_file(path) -> ActivityBatch``
    The same for a file; problems name the file.
``FhirProblem``, ``FhirReadError``
    A problem located by entry index (0-based, as in ``Bundle.entry[i]``), resource and field
    path (``period.start``), and the exception carrying them.
``ENCOUNTER_CLASS_BY_ACT_CODE``
    FHIR Encounter.class (HL7 v3 ActCode) → Carehelm encounter class.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from carehelm.engines.interop.records import (
    ActivityBatch,
    EncounterRecord,
    Identifier,
    LocationRecord,
    LocationStay,
    OrganizationRecord,
    PatientRecord,
)

#: Encounter.class (v3 ActCode) → Carehelm class. Home health (HH), field (FLD) and
#: pre-admission (PRENC) encounters occupy no bed and count in no class.
ENCOUNTER_CLASS_BY_ACT_CODE: dict[str, str] = {
    "IMP": "inpatient",
    "ACUTE": "inpatient",
    "NONAC": "inpatient",
    "EMER": "emergency",
    "AMB": "outpatient",
    "VR": "outpatient",
    "OBSENC": "observation",
    "SS": "observation",
}

_READ_TYPES = ("Patient", "Encounter", "Location", "Organization")


def _model_classes() -> dict[str, Any]:
    # Imported lazily: loading the fhir.resources models costs a noticeable fraction of a second.
    from fhir.resources.R4B.encounter import Encounter
    from fhir.resources.R4B.location import Location
    from fhir.resources.R4B.organization import Organization
    from fhir.resources.R4B.patient import Patient

    return {"Patient": Patient, "Encounter": Encounter, "Location": Location, "Organization": Organization}


@dataclass(frozen=True)
class FhirProblem:
    """One located problem in a bundle."""

    text: str
    entry_index: int | None = None
    resource: str | None = None  # "Encounter/abc" or "Encounter"
    field: str | None = None  # "period.start"
    source: str | None = None

    def __str__(self) -> str:
        parts = []
        if self.source:
            parts.append(self.source)
        if self.entry_index is not None:
            where = f"entry {self.entry_index}"
            if self.resource:
                where += f" ({self.resource})"
            parts.append(where)
        if self.field:
            parts.append(self.field)
        parts.append(self.text)
        return ": ".join(parts)


class FhirReadError(ValueError):
    """Raised when a bundle cannot be read; ``problems`` lists every problem found."""

    def __init__(self, problems: Iterable[FhirProblem]):
        self.problems: tuple[FhirProblem, ...] = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


def _as_datetime(value: Any) -> datetime | None:
    """FHIR date/dateTime (possibly partial, 'YYYY' or 'YYYY-MM') as a datetime at its start."""
    if value is None:
        return None
    if isinstance(value, datetime):
        # pydantic gives its own TzInfo; a plain timezone compares and pickles everywhere.
        offset = value.utcoffset()
        return value if offset is None else value.replace(tzinfo=timezone(offset))
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    text = str(value)
    year, _, rest = text.partition("-")
    return datetime(int(year), int(rest[:2]) if rest else 1, 1)


def _as_date(value: Any) -> date | None:
    moment = _as_datetime(value)
    return moment.date() if moment else None


def _code(concept: Any) -> str | None:
    """The first coding's code of a CodeableConcept (or Coding), else its text."""
    if concept is None:
        return None
    if getattr(concept, "code", None):
        return concept.code
    for coding in getattr(concept, "coding", None) or ():
        if coding.code:
            return coding.code
    return getattr(concept, "text", None)


def _identifiers(items: Any) -> tuple[Identifier, ...]:
    found = []
    for item in items or ():
        if not item.value:
            continue
        found.append(Identifier(value=item.value, authority=item.system, type_code=_code(item.type)))
    return tuple(found)


class _References:
    """Resolves references between entries of one bundle to the target's source id."""

    def __init__(self) -> None:
        self._by_key: dict[str, str] = {}

    def add(
        self, resource_type: str, source_id: str, full_url: str | None, identifiers: Iterable[Identifier]
    ):
        self._by_key[f"{resource_type}/{source_id}"] = source_id
        if full_url:
            self._by_key[full_url] = source_id
            # An absolute fullUrl ("http://server/fhir/Patient/1") is also reachable as "Patient/1".
            tail = "/".join(full_url.rstrip("/").split("/")[-2:])
            self._by_key.setdefault(tail, source_id)
        for ident in identifiers:
            if ident.authority:
                self._by_key[f"{resource_type}?identifier={ident.authority}|{ident.value}"] = source_id
            self._by_key.setdefault(f"{resource_type}?identifier={ident.value}", source_id)

    def resolve(self, reference: Any) -> str | None:
        ref = getattr(reference, "reference", None) if reference is not None else None
        if not ref:
            return None
        if ref in self._by_key:
            return self._by_key[ref]
        # Outside the bundle: keep the id part, which is what the target is known by elsewhere.
        if ref.startswith("urn:uuid:"):
            return ref.removeprefix("urn:uuid:")
        if "?" in ref:
            return ref.split("|")[-1]
        return ref.rstrip("/").split("/")[-1]


def _source_id(resource: dict[str, Any], full_url: str | None, index: int) -> str:
    if resource.get("id"):
        return str(resource["id"])
    if full_url:
        return full_url.removeprefix("urn:uuid:").rstrip("/").split("/")[-1]
    return f"entry-{index}"


def read_bundle(data: dict[str, Any] | str | bytes, *, source: str | None = None) -> ActivityBatch:
    """Read a FHIR R4 Bundle into an :class:`ActivityBatch`, or raise :class:`FhirReadError`."""
    if isinstance(data, str | bytes):
        try:
            data = json.loads(data)
        except json.JSONDecodeError as exc:
            raise FhirReadError(
                [FhirProblem(f"not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}", source=source)]
            ) from None
    if not isinstance(data, dict) or data.get("resourceType") != "Bundle":
        found = data.get("resourceType") if isinstance(data, dict) else type(data).__name__
        raise FhirReadError([FhirProblem(f"expected a Bundle, found {found!r}", source=source)])
    entries = data.get("entry") or []
    if not isinstance(entries, list):
        raise FhirReadError([FhirProblem("entry must be a list", field="entry", source=source)])

    classes = _model_classes()
    problems: list[FhirProblem] = []
    parsed: list[tuple[int, str, str, Any]] = []  # index, type, source id, model
    refs = _References()
    for index, entry in enumerate(entries):
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if not isinstance(resource, dict):
            problems.append(FhirProblem("entry has no resource", index, field="resource", source=source))
            continue
        resource_type = resource.get("resourceType")
        if resource_type not in _READ_TYPES:
            continue
        full_url = entry.get("fullUrl")
        source_id = _source_id(resource, full_url, index)
        label = f"{resource_type}/{source_id}"
        try:
            model = classes[resource_type].model_validate(resource)
        except ValidationError as exc:
            for err in exc.errors():
                where = ".".join(str(part) for part in err["loc"]) or None
                problems.append(FhirProblem(err["msg"], index, label, where, source))
            continue
        refs.add(resource_type, source_id, full_url, _identifiers(getattr(model, "identifier", None)))
        parsed.append((index, resource_type, source_id, model))

    patients, encounters, locations, organizations = [], [], [], []
    for index, resource_type, source_id, model in parsed:
        label = f"{resource_type}/{source_id}"
        try:
            if resource_type == "Patient":
                patients.append(_patient(source_id, model))
            elif resource_type == "Encounter":
                encounters.append(_encounter(source_id, model, refs))
            elif resource_type == "Location":
                locations.append(_location(source_id, model, refs))
            else:
                organizations.append(_organization(source_id, model))
        except _FieldProblem as exc:
            problems.append(FhirProblem(exc.text, index, label, exc.field, source))
    if problems:
        raise FhirReadError(problems)
    return ActivityBatch(
        patients=tuple(patients),
        encounters=tuple(encounters),
        locations=tuple(locations),
        organizations=tuple(organizations),
        source=source,
    )


def read_bundle_file(path: str | Path) -> ActivityBatch:
    """Read a bundle from a JSON file; problems name the file."""
    path = Path(path)
    return read_bundle(path.read_bytes(), source=path.name)


class _FieldProblem(Exception):
    def __init__(self, field: str, text: str):
        self.field = field
        self.text = text


def _patient(source_id: str, model: Any) -> PatientRecord:
    names = model.name or []
    name = next((n for n in names if n.use == "official"), names[0] if names else None)
    postal = next((a.postalCode for a in (model.address or []) if a.postalCode), None)
    return PatientRecord(
        source_id=source_id,
        identifiers=_identifiers(model.identifier),
        family_name=name.family if name else None,
        given_name=(name.given or [None])[0] if name else None,
        birth_date=_as_date(model.birthDate),
        sex=model.gender,
        postal_code=postal,
        deceased_at=_as_datetime(model.deceasedDateTime),
    )


def _encounter(source_id: str, model: Any, refs: _References) -> EncounterRecord:
    patient_id = refs.resolve(model.subject)
    if patient_id is None:
        raise _FieldProblem("subject", "missing patient reference")
    act_code = _code(model.class_fhir)
    period = model.period
    hospitalization = model.hospitalization
    stays = []
    for position, stay in enumerate(model.location or []):
        location_id = refs.resolve(stay.location)
        if location_id is None:
            raise _FieldProblem(f"location.{position}.location", "missing location reference")
        stays.append(
            LocationStay(
                location_id=location_id,
                start=_as_datetime(stay.period.start) if stay.period else None,
                end=_as_datetime(stay.period.end) if stay.period else None,
                status=stay.status,
            )
        )
    start = _as_datetime(period.start) if period else None
    end = _as_datetime(period.end) if period else None
    if start is not None and end is not None and _comparable(start, end) and end < start:
        raise _FieldProblem("period.end", f"ends ({end.isoformat()}) before it starts ({start.isoformat()})")
    encounter_type = (model.type or [None])[0]
    return EncounterRecord(
        source_id=source_id,
        patient_id=patient_id,
        encounter_class=ENCOUNTER_CLASS_BY_ACT_CODE.get(act_code or ""),
        source_class=act_code,
        start=start,
        end=end,
        status=model.status,
        organization_id=refs.resolve(model.serviceProvider),
        admit_source=_code(hospitalization.admitSource) if hospitalization else None,
        discharge_disposition=_code(hospitalization.dischargeDisposition) if hospitalization else None,
        code=_code(encounter_type),
        description=_display(encounter_type),
        identifiers=_identifiers(model.identifier),
        stays=tuple(stays),
    )


def _comparable(a: datetime, b: datetime) -> bool:
    return (a.tzinfo is None) == (b.tzinfo is None)


def _display(concept: Any) -> str | None:
    if concept is None:
        return None
    for coding in concept.coding or ():
        if coding.display:
            return coding.display
    return concept.text


def _location(source_id: str, model: Any, refs: _References) -> LocationRecord:
    return LocationRecord(
        source_id=source_id,
        name=model.name,
        status=model.status,
        physical_type=_code(model.physicalType),
        part_of_id=refs.resolve(model.partOf),
        organization_id=refs.resolve(model.managingOrganization),
        identifiers=_identifiers(model.identifier),
    )


def _organization(source_id: str, model: Any) -> OrganizationRecord:
    return OrganizationRecord(
        source_id=source_id,
        name=model.name,
        type_code=_code((model.type or [None])[0]),
        postal_code=next((a.postalCode for a in (model.address or []) if a.postalCode), None),
        identifiers=_identifiers(model.identifier),
    )
