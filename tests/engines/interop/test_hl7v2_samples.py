"""Every sample ADT message (microsoft/FHIR-Converter, MIT) parses to the values it holds.

The expected values were read off the raw messages by counting field positions in the text
(see fixtures/hl7v2/README.md), not copied from the parser's output.
"""

from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from carehelm.engines.interop.hl7v2 import parse_file
from carehelm.engines.interop.records import BedLocation, Identifier

FIXTURES = Path(__file__).parent / "fixtures" / "hl7v2"


def tz(hours: int, minutes: int = 0) -> timezone:
    return timezone(timedelta(hours=hours, minutes=minutes))


# The twenty GHH v2.8 messages share one header, patient and visit; these are their values.
GHH_MESSAGE_TIME = datetime(1989, 8, 18, 11, 26, tzinfo=tz(2, 15))
GHH_RECORDED = datetime(2029, 8, 1, 7, 6, 24, tzinfo=tz(1, 15))
GHH_OCCURRED = datetime(2021, 8, 17, 15, 19, 43, 400000, tzinfo=tz(2))
GHH_ADMIT = datetime(2015, 2, 8, 11, 34, 19, tzinfo=tz(1, 10))
GHH_NEXT_DAY = datetime(2015, 2, 9, 11, 34, 19, tzinfo=tz(1, 10))
GHH_BED = BedLocation(
    point_of_care="HUH AE OMU",
    room="OMU B",
    bed="Bed 03",
    facility="HOMERTON UNIVER",
    location_type="C",
    building="Homerton UH",
    floor="Floor5",
)

# file: (trigger, PV1-44 admit, PV1-45 discharge, PV2-9 expected discharge)
GHH_FILES = {
    "ADT-A01-01.hl7": ("A01", GHH_ADMIT, None, None),
    "ADT-A01-02.hl7": ("A01", GHH_ADMIT, None, None),
    "ADT-A02-01.hl7": ("A02", GHH_ADMIT, None, None),
    "ADT-A02-02.hl7": ("A02", GHH_ADMIT, None, None),
    "ADT-A03-01.hl7": ("A03", GHH_ADMIT, GHH_NEXT_DAY, None),
    "ADT-A03-02.hl7": ("A03", GHH_ADMIT, GHH_NEXT_DAY, None),
    "ADT-A04-01.hl7": ("A04", GHH_ADMIT, None, GHH_NEXT_DAY),
    "ADT-A04-02.hl7": ("A04", GHH_ADMIT, GHH_NEXT_DAY, None),
    "ADT-A05-01.hl7": ("A05", None, None, GHH_NEXT_DAY),
    "ADT-A05-02.hl7": ("A05", GHH_ADMIT, GHH_NEXT_DAY, None),
    "ADT-A08-01.hl7": ("A08", GHH_ADMIT, GHH_NEXT_DAY, None),
    "ADT-A08-02.hl7": ("A08", GHH_ADMIT, None, None),
    "ADT-A11-01.hl7": ("A11", GHH_ADMIT, None, GHH_NEXT_DAY),
    "ADT-A11-02.hl7": ("A11", GHH_ADMIT, GHH_NEXT_DAY, None),
    "ADT-A13-01.hl7": ("A13", GHH_ADMIT, None, None),
    "ADT-A13-02.hl7": ("A13", GHH_ADMIT, GHH_ADMIT, None),
}


@pytest.mark.parametrize("name", sorted(GHH_FILES))
def test_ghh_v28_message_reads_trigger_ids_locations_and_times(name):
    trigger, admitted, discharged, expected_discharge = GHH_FILES[name]
    [event] = parse_file(FIXTURES / name)

    # MSH-9.2 wins over the stale EVN-1 ("A01" in every one of these files).
    assert event.trigger_event == trigger
    assert event.event_type_code == "A01"
    assert event.message_control_id == "MSG00001"
    assert event.version == "2.8"
    assert event.sending_facility == "GHHSFacility"
    assert event.message_datetime == GHH_MESSAGE_TIME
    assert event.recorded_at == GHH_RECORDED
    assert event.occurred_at == GHH_OCCURRED
    assert event.effective_at == GHH_OCCURRED

    patient = event.patient
    assert patient.source_id == "PATID1234"
    assert patient.identifiers == (
        Identifier("PATID1234", "test1", "MR"),
        Identifier("123456789", "USSSA", "SS"),
    )
    assert (patient.family_name, patient.given_name) == ("EVERYMAN", "ADAM")
    assert patient.birth_date == date(1988, 8, 18)
    assert patient.sex == "male"

    visit = event.visit
    assert visit.patient_class == "P"
    assert visit.visit_number == Identifier("40007716", "AccMng", "AM")
    assert visit.assigned_location == GHH_BED
    assert visit.prior_location == BedLocation(
        point_of_care="4 East, room 136, bed B 4E",
        room="136",
        bed="B",
        facility="CommunityHospital",
        location_type="N",
    )
    assert visit.pending_location.point_of_care == "POC"
    assert visit.pending_location.bed == "Bed-103"
    assert visit.hospital_service == "SUR"
    # PV1-14 carries the escape \T\ (the subcomponent separator, '&').
    assert visit.admit_source == "NHS Provider-General (inc.A&E-this Hosp)"
    assert visit.discharge_disposition == "Admitted as Inpatient"
    assert visit.admitted_at == admitted
    assert visit.discharged_at == discharged
    assert visit.expected_discharge_at == expected_discharge


def test_ghh_pv2_prior_pending_location_is_read():
    [event] = parse_file(FIXTURES / "ADT-A01-01.hl7")
    assert event.visit.prior_pending_location == BedLocation(
        room="ROOM1", bed="BED1", facility="FACILITY1", building="BUILDING1", floor="FLOOR1"
    )


@pytest.mark.parametrize(
    ("name", "trigger", "control_id", "patient_class", "location", "prior_location", "prior_account"),
    [
        (
            "ADT-A06-01.hl7",
            "A06",
            "MSG00006",
            "I",
            BedLocation("SPROOM", "ROOM2", "BED-1", "FACILITY-1", "BUILDING-1", "FLOOR-1"),
            BedLocation("WAITINGROOM", "ROOM1", None, "FACILITY1", "BUILDING1", "FLOOR0"),
            "PACCT001",
        ),
        (
            "ADT-A06-02.hl7",
            "A06",
            "MSG00006",
            "I",
            BedLocation("SPROOM", "ROOM2", "BED-1", "FACILITY-1", "BUILDING-1", "FLOOR-1"),
            BedLocation("WAITINGROOM", "ROOM1", None, "FACILITY1", "BUILDING1", "FLOOR0"),
            "PACCT001",
        ),
        (
            "ADT-A07-01.hl7",
            "A07",
            "MSG00007",
            "O",
            BedLocation("OPD", "0001", "01", "GOOD HEALTH HOSPITAL"),
            BedLocation("SPROOM", "ROOM2", "BED-1", "FACILITY-1", "BUILDING-1", "FLOOR-1"),
            "PACCT101",
        ),
        (
            "ADT-A07-02.hl7",
            "A07",
            "MSG00007",
            "O",
            BedLocation("OPD", "0001", "01", "GOOD HEALTH HOSPITAL"),
            BedLocation("SPROOM", "ROOM2", "BED-1", "FACILITY-1", "BUILDING-1", "FLOOR-1"),
            "PACCT101",
        ),
    ],
)
def test_class_change_messages_read_locations_and_prior_account(
    name, trigger, control_id, patient_class, location, prior_location, prior_account
):
    [event] = parse_file(FIXTURES / name)
    stamp = datetime(2021, 1, 15, 16, 0, 10, tzinfo=tz(2, 15))
    assert event.trigger_event == trigger
    assert event.message_control_id == control_id
    assert event.message_datetime == datetime(2021, 1, 15, 16, 20, tzinfo=tz(2, 15))
    assert event.effective_at == stamp
    assert event.patient.identifiers[0] == Identifier("PATID1234", "ADT1", "GOOD HEALTH HOSPITAL")
    assert event.patient.birth_date == date(1961, 6, 15)
    assert event.visit.patient_class == patient_class
    assert event.visit.encounter_class == {"I": "inpatient", "O": "outpatient"}[patient_class]
    assert event.visit.assigned_location == location
    assert event.visit.prior_location == prior_location
    assert event.visit.visit_number == Identifier("5001", "AccMgr", "VN")
    assert event.visit.admitted_at == stamp
    assert [m.prior_account_number.value for m in event.merges] == [prior_account]


def test_a40_merge_reads_surviving_and_prior_identifiers_without_a_visit():
    [event] = parse_file(FIXTURES / "ADT-A40-01.hl7")
    assert event.trigger_event == "A40"
    assert event.message_control_id == "8919-40"
    # No EVN-6: the recorded time EVN-2 is the effective time.
    assert event.occurred_at is None
    assert event.effective_at == datetime(2019, 4, 23, 15, 1, 37, tzinfo=tz(2, 15))
    assert event.visit is None
    assert event.patient.sex == "female"
    assert event.patient.birth_date == date(2018, 2, 5)
    assert event.patient.postal_code == "27615"
    [merge] = event.merges
    assert merge.patient_identifiers == (Identifier("12345", "BCBS", "MR"),)
    assert merge.prior_identifiers == (Identifier("56789", "BCBS", "MR"),)


def test_a40_with_two_patient_groups_reads_both_merges():
    [event] = parse_file(FIXTURES / "ADT-A40-02.hl7")
    pairs = [(m.patient_identifiers[0].value, m.prior_identifiers[0].value) for m in event.merges]
    assert pairs == [("12345", "56789"), ("145", "569")]


@pytest.mark.parametrize("name", ["ADT-A47-01.hl7", "ADT-A47-02.hl7"])
def test_a47_change_of_identifier_reads_prior_id_and_account(name):
    [event] = parse_file(FIXTURES / name)
    assert event.trigger_event == "A47"
    assert event.message_control_id == "MSG000047"
    assert event.effective_at == datetime(2021, 1, 15, 16, 0, 10, tzinfo=UTC)
    merge = event.merges[0]
    assert merge.patient_identifiers == (Identifier("MR101", "GOOD HEALTH HOSPITAL", "MR"),)
    assert merge.prior_identifiers == (Identifier("MR102", "BCBS", "MR"),)
    assert merge.prior_account_number.value == "PACCT101"
    assert len(event.merges) == (2 if name.endswith("02.hl7") else 1)


def test_v23_admit_with_bom_and_trailing_spaces():
    [event] = parse_file(FIXTURES / "ADT01-23.hl7")
    assert (event.trigger_event, event.message_structure, event.version) == ("A01", None, "2.3")
    assert event.message_control_id == "599102"
    assert event.sending_facility == "1"
    assert event.message_datetime == datetime(2005, 1, 10, 4, 55, 4, tzinfo=tz(7))
    assert event.effective_at == datetime(2005, 1, 10, 4, 55, 2, tzinfo=tz(7))
    assert event.patient.identifiers == (Identifier("10006579", "1", "MR"),)
    assert event.patient.birth_date == date(1924, 10, 10)
    visit = event.visit
    assert visit.encounter_class == "inpatient"
    assert visit.assigned_location == BedLocation("PREOP", "101", "1", "1", building="S")
    assert visit.visit_number == Identifier("40007716", "AccMgr", "VN")
    assert visit.hospital_service == "01"
    assert visit.admit_source == "1"
    assert visit.admitted_at == datetime(2005, 1, 10, 4, 55, 2, tzinfo=tz(7))


def test_v251_admit_without_visit_number_or_admit_time():
    [event] = parse_file(FIXTURES / "ADT01-28.hl7")
    assert (event.trigger_event, event.version, event.message_control_id) == ("A01", "2.5.1", "MSG00001")
    assert event.effective_at == datetime(2007, 8, 18, 11, 23, tzinfo=tz(7))
    assert event.patient.source_id == "PATID1234"
    assert event.visit.assigned_location == BedLocation("2000", "2012", "01")
    assert event.visit.visit_number is None
    assert event.visit.admitted_at is None
    assert event.visit.hospital_service == "SUR"
    assert event.visit.admit_source == "ADM"


def test_v23_registration_with_msh_text_inside_fields_is_one_message():
    # PID and PV1 of this file contain "|MSH|" as field values: only a line start opens a message.
    events = parse_file(FIXTURES / "ADT04-23.hl7")
    assert len(events) == 1
    [event] = events
    assert event.message_control_id == "Q123456789T123456789X123456"
    assert event.effective_at == datetime(2001, 1, 1, 0, 0, tzinfo=tz(7))
    assert event.patient.identifiers == (Identifier("123456789", None, "MR"),)
    assert event.patient.birth_date == date(1985, 1, 1)
    assert event.visit.encounter_class == "outpatient"
    assert event.visit.assigned_location == BedLocation("ABCD", "EFGH")
    assert event.visit.visit_number == Identifier("0123456789")
    assert event.visit.hospital_service == "CRD"


def test_registration_without_evn_takes_message_time_as_effective_time():
    [event] = parse_file(FIXTURES / "ADT04-251.hl7")
    stamp = datetime(2019, 5, 4, 18, 12, 5, tzinfo=tz(7))
    assert event.recorded_at is None and event.occurred_at is None
    assert event.effective_at == stamp
    assert event.patient.identifiers == (Identifier("MRN12345", None, "MR"),)
    assert event.patient.sex == "female"
    assert event.visit.encounter_class == "emergency"
    assert event.visit.assigned_location is None
    assert event.visit.admitted_at == stamp


def test_v23_registration_with_three_patient_identifiers():
    [event] = parse_file(FIXTURES / "ADT04-28.hl7")
    assert event.effective_at == datetime(2018, 10, 17, 2, 55, 43, tzinfo=tz(7))
    # CX-4 (assigning authority) holds "MR" here; that is what the sender wrote.
    assert [i.value for i in event.patient.identifiers] == [
        "0000000001",
        "e167267c-16c9-4fe3-96ae-9cff5703e90a",
        "a1d4ee8aba494ca",
    ]
    assert [i.authority for i in event.patient.identifiers] == ["MR", "EHRID", "NIST"]
    assert event.visit.assigned_location == BedLocation(
        "3N", "136", "B", "RES General Hospital", location_type="Inpatient"
    )
    assert event.visit.visit_number == Identifier("1234")
    assert event.visit.admitted_at == datetime(2018, 10, 17, 22, 28, 5, tzinfo=tz(7))


def test_every_sample_file_parses():
    names = sorted(p.name for p in FIXTURES.glob("*.hl7"))
    assert len(names) == 29
    for name in names:
        assert len(parse_file(FIXTURES / name)) == 1, name
