"""Synthea CSV exports to neutral activity records.

Synthea (``exporter.csv.export = true``) writes one CSV per table. This reader takes the four
that patient activity needs, with the columns Synthea writes:

``patients.csv``       Id, BIRTHDATE, DEATHDATE, ..., FIRST, LAST, ..., GENDER, ..., ZIP, ...
``encounters.csv``     Id, START, STOP, PATIENT, ORGANIZATION, PROVIDER, PAYER, ENCOUNTERCLASS,
                       CODE, DESCRIPTION, ...
``organizations.csv``  Id, NAME, ADDRESS, CITY, STATE, ZIP, ...
``providers.csv``      Id, ORGANIZATION, NAME, GENDER, SPECIALITY, ...

Extra columns are ignored (Synthea adds some in most releases); missing required columns, bad
dates, unknown encounter classes and references to a patient, organization or provider that
the export does not hold are errors. Synthea has no location history: encounters carry no
stays, and no locations are produced.

Public API
----------
``read_synthea_csv(folder, *, on_progress=None) -> ActivityBatch``
    ``patients.csv`` and ``encounters.csv`` are required; ``organizations.csv`` and
    ``providers.csv`` are read when present (and then encounters' references to them are
    checked). All or nothing: returns everything or raises :class:`SyntheaReadError` with every
    problem (the first 200 listed, then a count). ``on_progress(file_name, rows_read)`` is
    called every 10,000 rows and at the end of each file.
``SyntheaProblem``, ``SyntheaReadError``
    A problem located by file, row (as a spreadsheet numbers it: the header is row 1) and column.
``ENCOUNTER_CLASS_BY_SYNTHEA_CLASS``
    ENCOUNTERCLASS → Carehelm encounter class.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from carehelm.engines.interop.records import (
    ActivityBatch,
    EncounterRecord,
    Identifier,
    OrganizationRecord,
    PatientRecord,
    ProviderRecord,
)

#: Synthea's ENCOUNTERCLASS → Carehelm class. Synthea itself exports wellness, urgent care and
#: virtual visits as FHIR class AMB, so they are outpatient here too. Home, hospice and skilled
#: nursing (snf) encounters occupy no acute bed and count in no class (None).
ENCOUNTER_CLASS_BY_SYNTHEA_CLASS: dict[str, str | None] = {
    "inpatient": "inpatient",
    "emergency": "emergency",
    "ambulatory": "outpatient",
    "outpatient": "outpatient",
    "wellness": "outpatient",
    "urgentcare": "outpatient",
    "virtual": "outpatient",
    "home": None,
    "hospice": None,
    "snf": None,
}

_SEX = {"M": "male", "F": "female"}
_MAX_LISTED = 200
_PROGRESS_EVERY = 10_000
_SYNTHEA_AUTHORITY = "synthea"

Progress = Callable[[str, int], None]


@dataclass(frozen=True)
class SyntheaProblem:
    text: str
    file: str
    row: int | None = None
    column: str | None = None

    def __str__(self) -> str:
        parts = [self.file]
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.column:
            parts.append(self.column)
        parts.append(self.text)
        return ": ".join(parts)


class SyntheaReadError(ValueError):
    """Raised when an export cannot be read; ``problems`` lists every problem found."""

    def __init__(self, problems: Iterable[SyntheaProblem]):
        self.problems: tuple[SyntheaProblem, ...] = tuple(problems)
        lines = [str(p) for p in self.problems[:_MAX_LISTED]]
        if len(self.problems) > _MAX_LISTED:
            lines.append(f"... and {len(self.problems) - _MAX_LISTED} more problems")
        super().__init__("\n".join(lines))


class _Table:
    """Rows of one CSV file with located, collected problems."""

    def __init__(self, path: Path, required: tuple[str, ...], problems: list[SyntheaProblem]):
        self.path = path
        self.name = path.name
        self.required = required
        self.problems = problems

    def problem(self, text: str, row: int | None = None, column: str | None = None) -> None:
        self.problems.append(SyntheaProblem(text, self.name, row, column))

    def rows(self, on_progress: Progress | None) -> Iterator[tuple[int, dict[str, str]]]:
        # utf-8-sig: an export opened and saved in a spreadsheet gains a BOM before "Id".
        with self.path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.reader(handle)
            try:
                yield from self._records(reader, on_progress)
            except UnicodeDecodeError:
                # The decoder works in blocks, so find the offending line itself.
                self.problem(
                    "is not UTF-8 text (save the export as UTF-8)", _first_undecodable_line(self.path)
                )
            except csv.Error as exc:
                self.problem(f"is not valid CSV ({exc})", reader.line_num)

    def _records(self, reader, on_progress: Progress | None) -> Iterator[tuple[int, dict[str, str]]]:
        header = next(reader, None)
        if header is None:
            self.problem("file is empty (expected a header row)")
            return
        header = [h.strip() for h in header]
        missing = [c for c in self.required if c not in header]
        if missing:
            self.problem(f"missing column(s) {', '.join(missing)}", 1)
            return
        count = 0
        for values in reader:
            row = reader.line_num  # header is row 1, as a spreadsheet shows it
            if not any(v.strip() for v in values):
                continue
            if len(values) != len(header):
                self.problem(f"has {len(values)} values, the header has {len(header)} columns", row)
                continue
            count += 1
            if on_progress and count % _PROGRESS_EVERY == 0:
                on_progress(self.name, count)
            yield row, {h: v.strip() for h, v in zip(header, values, strict=True)}
        if on_progress:
            on_progress(self.name, count)

    def required_value(self, record: dict[str, str], row: int, column: str) -> str | None:
        value = record.get(column) or None
        if value is None:
            self.problem("is empty", row, column)
        return value

    def moment(self, record: dict[str, str], row: int, column: str) -> datetime | None:
        value = record.get(column)
        if not value:
            return None
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            self.problem(
                f"invalid date/time {value!r} (expected ISO 8601, e.g. 2019-02-17T05:07:38Z)", row, column
            )
            return None

    def day(self, record: dict[str, str], row: int, column: str) -> date | None:
        value = record.get(column)
        if not value:
            return None
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            self.problem(f"invalid date {value!r} (expected YYYY-MM-DD)", row, column)
            return None


def _first_undecodable_line(path: Path) -> int | None:
    with path.open("rb") as handle:
        for number, line in enumerate(handle, start=1):
            try:
                line.decode("utf-8")
            except UnicodeDecodeError:
                return number
    return None


def read_synthea_csv(folder: str | Path, *, on_progress: Progress | None = None) -> ActivityBatch:
    """Read a Synthea CSV export folder into an :class:`ActivityBatch` (see the module doc)."""
    folder = Path(folder)
    problems: list[SyntheaProblem] = []
    for required in ("patients.csv", "encounters.csv"):
        if not (folder / required).is_file():
            problems.append(SyntheaProblem(f"file not found in {folder}", required))
    if problems:
        raise SyntheaReadError(problems)

    organizations = _organizations(folder / "organizations.csv", problems, on_progress)
    providers = _providers(folder / "providers.csv", problems, on_progress, organizations)
    patients = _patients(folder / "patients.csv", problems, on_progress)
    encounters = _encounters(
        folder / "encounters.csv", problems, on_progress, patients, organizations, providers
    )
    if problems:
        raise SyntheaReadError(problems)
    return ActivityBatch(
        patients=tuple(patients.values()),
        encounters=tuple(encounters),
        organizations=tuple((organizations or {}).values()),
        providers=tuple((providers or {}).values()),
        source=str(folder),
    )


def _check_duplicate(table: _Table, seen: dict, key: str, row: int) -> bool:
    if key in seen:
        table.problem(f"duplicate Id {key!r}", row, "Id")
        return True
    return False


def _organizations(
    path: Path, problems: list[SyntheaProblem], on_progress
) -> dict[str, OrganizationRecord] | None:
    if not path.is_file():
        return None
    table = _Table(path, ("Id", "NAME"), problems)
    found: dict[str, OrganizationRecord] = {}
    for row, record in table.rows(on_progress):
        key = table.required_value(record, row, "Id")
        if key is None or _check_duplicate(table, found, key, row):
            continue
        found[key] = OrganizationRecord(
            source_id=key,
            name=record.get("NAME") or None,
            postal_code=record.get("ZIP") or None,
            identifiers=(Identifier(key, _SYNTHEA_AUTHORITY),),
        )
    return found


def _providers(
    path: Path,
    problems: list[SyntheaProblem],
    on_progress,
    organizations: dict[str, OrganizationRecord] | None,
) -> dict[str, ProviderRecord] | None:
    if not path.is_file():
        return None
    table = _Table(path, ("Id", "ORGANIZATION", "NAME"), problems)
    found: dict[str, ProviderRecord] = {}
    for row, record in table.rows(on_progress):
        key = table.required_value(record, row, "Id")
        if key is None or _check_duplicate(table, found, key, row):
            continue
        organization = record.get("ORGANIZATION") or None
        if organization and organizations is not None and organization not in organizations:
            table.problem(
                f"unknown organization {organization!r} (not in organizations.csv)", row, "ORGANIZATION"
            )
        found[key] = ProviderRecord(
            source_id=key,
            name=record.get("NAME") or None,
            organization_id=organization,
            # Synthea spells the column SPECIALITY; accept the American spelling too.
            specialty=record.get("SPECIALITY") or record.get("SPECIALTY") or None,
            sex=_SEX.get(record.get("GENDER", "").upper()),
        )
    return found


def _patients(path: Path, problems: list[SyntheaProblem], on_progress) -> dict[str, PatientRecord]:
    table = _Table(path, ("Id", "BIRTHDATE", "GENDER"), problems)
    found: dict[str, PatientRecord] = {}
    for row, record in table.rows(on_progress):
        key = table.required_value(record, row, "Id")
        if key is None or _check_duplicate(table, found, key, row):
            continue
        birth = table.day(record, row, "BIRTHDATE")
        if birth is None and not record.get("BIRTHDATE"):
            table.problem("is empty", row, "BIRTHDATE")
        gender = record.get("GENDER", "").upper()
        if gender and gender not in _SEX:
            table.problem(f"unknown gender {record['GENDER']!r} (expected M or F)", row, "GENDER")
        death = table.day(record, row, "DEATHDATE")
        identifiers = [Identifier(key, _SYNTHEA_AUTHORITY)]
        if record.get("SSN"):
            identifiers.append(Identifier(record["SSN"], "http://hl7.org/fhir/sid/us-ssn", "SS"))
        found[key] = PatientRecord(
            source_id=key,
            identifiers=tuple(identifiers),
            family_name=record.get("LAST") or None,
            given_name=record.get("FIRST") or None,
            birth_date=birth,
            sex=_SEX.get(gender),
            postal_code=record.get("ZIP") or None,
            deceased_at=datetime(death.year, death.month, death.day) if death else None,
        )
    return found


def _encounters(
    path: Path,
    problems: list[SyntheaProblem],
    on_progress,
    patients: dict[str, PatientRecord],
    organizations: dict[str, OrganizationRecord] | None,
    providers: dict[str, ProviderRecord] | None,
) -> list[EncounterRecord]:
    table = _Table(path, ("Id", "START", "STOP", "PATIENT", "ORGANIZATION", "ENCOUNTERCLASS"), problems)
    found: list[EncounterRecord] = []
    seen: dict[str, None] = {}
    for row, record in table.rows(on_progress):
        key = table.required_value(record, row, "Id")
        if key is None or _check_duplicate(table, seen, key, row):
            continue
        seen[key] = None
        start = table.moment(record, row, "START")
        if start is None and not record.get("START"):
            table.problem("is empty", row, "START")
        stop = table.moment(record, row, "STOP")
        if start and stop and stop < start:
            table.problem(f"{record['STOP']} is before START {record['START']}", row, "STOP")
        patient = table.required_value(record, row, "PATIENT")
        if patient and patient not in patients:
            table.problem(f"unknown patient {patient!r} (not in patients.csv)", row, "PATIENT")
        organization = record.get("ORGANIZATION") or None
        if organization and organizations is not None and organization not in organizations:
            table.problem(
                f"unknown organization {organization!r} (not in organizations.csv)", row, "ORGANIZATION"
            )
        provider = record.get("PROVIDER") or None
        if provider and providers is not None and provider not in providers:
            table.problem(f"unknown provider {provider!r} (not in providers.csv)", row, "PROVIDER")
        source_class = record.get("ENCOUNTERCLASS", "").lower()
        if source_class not in ENCOUNTER_CLASS_BY_SYNTHEA_CLASS:
            expected = ", ".join(ENCOUNTER_CLASS_BY_SYNTHEA_CLASS)
            table.problem(
                f"unknown class {record['ENCOUNTERCLASS']!r} (expected one of {expected})",
                row,
                "ENCOUNTERCLASS",
            )
            continue
        found.append(
            EncounterRecord(
                source_id=key,
                patient_id=patient or "",
                encounter_class=ENCOUNTER_CLASS_BY_SYNTHEA_CLASS[source_class],
                source_class=source_class,
                start=start,
                end=stop,
                status="finished" if stop else "in-progress",
                organization_id=organization,
                provider_id=provider,
                code=record.get("CODE") or None,
                description=record.get("DESCRIPTION") or None,
                identifiers=(Identifier(key, _SYNTHEA_AUTHORITY),),
            )
        )
    return found
