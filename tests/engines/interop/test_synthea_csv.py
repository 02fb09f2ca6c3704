"""Synthea CSV exports: a hand-made export with Synthea's headers, and located refusals."""

import shutil
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from carehelm.engines.interop.synthea_csv import SyntheaReadError, read_synthea_csv

GOOD = Path(__file__).parent / "fixtures" / "synthea_csv" / "good"
ADA = "b9c610cd-28a6-4636-ccb6-c7a0d2a4cb85"
GRACE = "c1f5a2b0-4e2d-4f8e-9b51-8f1c3e9a7d10"
HOSPITAL = "ef58ea08-d883-3957-8300-150554edc8fb"


def test_export_reads_patients_encounters_organizations_and_providers():
    progress = []
    batch = read_synthea_csv(GOOD, on_progress=lambda name, rows: progress.append((name, rows)))

    patients = {p.source_id: p for p in batch.patients}
    ada = patients[ADA]
    assert (ada.given_name, ada.family_name, ada.sex) == ("Ada", "Lovelace", "female")
    assert ada.birth_date == date(1947, 3, 12)
    assert ada.postal_code == "02118"  # leading zero kept: ZIP is text, not a number
    assert ada.deceased_at is None
    assert patients[GRACE].deceased_at == datetime(2023, 2, 1)
    assert patients[GRACE].sex == "male"

    assert {o.source_id: o.name for o in batch.organizations} == {
        HOSPITAL: "GENERAL HOSPITAL",
        "3c6f7c1b-6b8d-3e3a-9f0e-2b1a1f0d9c77": "HARBOR CLINIC, INC",
    }
    assert [p.specialty for p in batch.providers] == ["GENERAL PRACTICE", "GENERAL PRACTICE"]

    encounters = batch.encounters
    assert [(e.source_class, e.encounter_class) for e in encounters] == [
        ("inpatient", "inpatient"),
        ("emergency", "emergency"),
        ("wellness", "outpatient"),
        ("urgentcare", "outpatient"),
        ("ambulatory", "outpatient"),
        ("outpatient", "outpatient"),
    ]
    first = encounters[0]
    assert first.patient_id == ADA
    assert first.organization_id == HOSPITAL
    assert first.start == datetime(2019, 2, 17, 5, 7, 38, tzinfo=UTC)
    assert first.end == datetime(2019, 2, 21, 11, 30, tzinfo=UTC)
    assert (first.code, first.description) == ("185347001", "Encounter for problem (procedure)")
    assert first.stays == ()  # Synthea has no location history
    # No STOP: the encounter is still open.
    assert (encounters[5].end, encounters[5].status) == (None, "in-progress")
    assert ("encounters.csv", 6) in progress and ("patients.csv", 2) in progress


def export_with(tmp_path: Path, file: str, edit) -> Path:
    folder = tmp_path / "export"
    shutil.copytree(GOOD, folder)
    path = folder / file
    lines = path.read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join(edit(lines)) + "\n", encoding="utf-8")
    return folder


def replace_in_row(row: int, old: str, new: str):
    """Edit one row (numbered as a spreadsheet does: the header is row 1)."""

    def edit(lines):
        assert old in lines[row - 1]
        lines[row - 1] = lines[row - 1].replace(old, new, 1)
        return lines

    return edit


@pytest.mark.parametrize(
    ("file", "edit", "expected"),
    [
        (
            "encounters.csv",
            replace_in_row(3, "2019-02-17T03:50:00Z", "17/02/2019 03:50"),
            "encounters.csv: row 3: START: invalid date/time '17/02/2019 03:50'",
        ),
        (
            "encounters.csv",
            replace_in_row(4, ",wellness,", ",telepathy,"),
            "encounters.csv: row 4: ENCOUNTERCLASS: unknown class 'telepathy'",
        ),
        (
            "encounters.csv",
            replace_in_row(5, GRACE, "no-such-patient"),
            "encounters.csv: row 5: PATIENT: unknown patient 'no-such-patient' (not in patients.csv)",
        ),
        (
            "encounters.csv",
            replace_in_row(2, "2019-02-21T11:30:00Z", "2019-02-16T11:30:00Z"),
            "encounters.csv: row 2: STOP: 2019-02-16T11:30:00Z is before START 2019-02-17T05:07:38Z",
        ),
        (
            "encounters.csv",
            replace_in_row(2, "0e4f7a6c-2b1d-3c5e-8f9a-1b2c3d4e5f60", "ghost"),
            "encounters.csv: row 2: PROVIDER: unknown provider 'ghost' (not in providers.csv)",
        ),
        (
            "patients.csv",
            replace_in_row(2, "1947-03-12", "March 1947"),
            "patients.csv: row 2: BIRTHDATE: invalid date 'March 1947'",
        ),
        (
            "patients.csv",
            replace_in_row(3, ",M,", ",X,"),
            "patients.csv: row 3: GENDER: unknown gender 'X' (expected M or F)",
        ),
        (
            "patients.csv",
            lambda lines: [lines[0].replace("BIRTHDATE,", "BORN,"), *lines[1:]],
            "patients.csv: row 1: missing column(s) BIRTHDATE",
        ),
        (
            "organizations.csv",
            lambda lines: [*lines, lines[1]],
            "organizations.csv: row 4: Id: duplicate Id 'ef58ea08-d883-3957-8300-150554edc8fb'",
        ),
        (
            "encounters.csv",
            lambda lines: [*lines, "e9,2020-01-01T00:00:00Z"],
            "encounters.csv: row 8: has 2 values, the header has 15 columns",
        ),
    ],
)
def test_bad_rows_are_refused_naming_file_row_and_column(tmp_path, file, edit, expected):
    folder = export_with(tmp_path, file, edit)
    with pytest.raises(SyntheaReadError) as caught:
        read_synthea_csv(folder)
    assert any(str(p).startswith(expected) for p in caught.value.problems), str(caught.value)


def test_every_problem_in_the_export_is_reported_together(tmp_path):
    folder = export_with(tmp_path, "encounters.csv", replace_in_row(3, ",emergency,", ",space,"))
    path = folder / "patients.csv"
    path.write_text(path.read_text().replace("1988-11-30", "1988-02-30"))
    with pytest.raises(SyntheaReadError) as caught:
        read_synthea_csv(folder)
    assert [(p.file, p.row, p.column) for p in caught.value.problems] == [
        ("patients.csv", 3, "BIRTHDATE"),
        ("encounters.csv", 3, "ENCOUNTERCLASS"),
    ]


def test_missing_required_file_is_named(tmp_path):
    folder = tmp_path / "export"
    shutil.copytree(GOOD, folder)
    (folder / "encounters.csv").unlink()
    with pytest.raises(SyntheaReadError, match=r"encounters.csv: file not found"):
        read_synthea_csv(folder)


def test_optional_tables_may_be_absent(tmp_path):
    folder = tmp_path / "export"
    shutil.copytree(GOOD, folder)
    (folder / "organizations.csv").unlink()
    (folder / "providers.csv").unlink()
    batch = read_synthea_csv(folder)
    assert len(batch.encounters) == 6
    assert batch.organizations == () and batch.providers == ()


def test_spreadsheet_bom_before_the_header_is_tolerated(tmp_path):
    folder = tmp_path / "export"
    shutil.copytree(GOOD, folder)
    path = folder / "patients.csv"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    assert len(read_synthea_csv(folder).patients) == 2


def test_a_file_that_is_not_utf8_is_refused_not_crashed(tmp_path):
    folder = tmp_path / "export"
    shutil.copytree(GOOD, folder)
    path = folder / "patients.csv"
    path.write_bytes(path.read_bytes().replace(b"Ada", b"Ad\xe9"))
    with pytest.raises(SyntheaReadError, match=r"patients.csv: row 2: is not UTF-8 text"):
        read_synthea_csv(folder)
