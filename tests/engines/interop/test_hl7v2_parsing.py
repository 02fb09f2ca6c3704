"""HL7 v2 ADT reading: real-world mess is tolerated, bad input is refused with a located error,
and acknowledgments follow the standard."""

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from carehelm.engines.interop.hl7v2 import (
    TRIGGER_EVENTS,
    Hl7ParseError,
    Hl7Problem,
    build_ack,
    parse_hl7_datetime,
    parse_message,
    parse_messages,
    split_messages,
)
from carehelm.engines.interop.records import BedLocation, Identifier


def segment(name: str, values: dict[int, str]) -> str:
    """A segment with the given fields at their positions (SEG-n), empty elsewhere."""
    fields = [""] * (max(values) + 1)
    for position, value in values.items():
        fields[position] = value
    return name + "|".join(fields)


PV1 = segment("PV1", {1: "1", 2: "I", 3: "ICU^12^B^GEN", 14: "7", 19: "V100^^^HOSP^VN", 44: "20240301080000"})


def adt(
    trigger="A02",
    control="C1",
    *,
    version="2.5.1",
    msh7="20240301101500",
    evn="EVN|{trigger}|20240301101000|||||",
    pid="PID|1||MRN7^^^HOSP^MR||DOE^JANE||19700102|F|||1 Main St^^Town^^90210",
    pv1=PV1,
    extra=(),
):
    lines = [f"MSH|^~\\&|ADT|GEN|CAREHELM|GEN|{msh7}||ADT^{trigger}^ADT_A02|{control}|P|{version}"]
    if evn:
        lines.append(evn.format(trigger=trigger))
    if pid:
        lines.append(pid)
    if pv1:
        lines.append(pv1)
    lines.extend(extra)
    return "\r".join(lines) + "\r"


# -- tolerance --------------------------------------------------------------------------------


@pytest.mark.parametrize("ending", ["\r", "\n", "\r\n"])
def test_any_segment_ending_gives_the_same_event(ending):
    event = parse_message(adt().replace("\r", ending))
    assert event.trigger_event == "A02"
    assert event.visit.assigned_location == BedLocation("ICU", "12", "B", "GEN")
    assert event.visit.visit_number == Identifier("V100", "HOSP", "VN")
    assert event.patient.postal_code == "90210"


def test_bom_and_mllp_framing_bytes_are_ignored():
    event = parse_message("\x0b\ufeff" + adt() + "\x1c\r")
    assert event.message_control_id == "C1"


def test_several_messages_in_one_text_are_numbered_in_order():
    text = "\ufeff" + adt(control="A") + "\n\n" + adt("A03", "B").replace("\r", "\n") + adt("A01", "C")
    events = parse_messages(text)
    assert [(e.message_number, e.message_control_id, e.trigger_event) for e in events] == [
        (1, "A", "A02"),
        (2, "B", "A03"),
        (3, "C", "A01"),
    ]
    assert len(split_messages(text)) == 3


def test_batch_envelope_segments_are_skipped():
    text = "FHS|^~\\&|ADT\rBHS|^~\\&|ADT\r" + adt(control="X") + adt(control="Y") + "BTS|2\rFTS|1\r"
    assert [e.message_control_id for e in parse_messages(text)] == ["X", "Y"]


def test_missing_evn_pv2_and_optional_fields_are_tolerated():
    event = parse_message(adt(evn=None, pv1="PV1||E"))
    assert event.effective_at == datetime(2024, 3, 1, 10, 15)
    assert event.visit.encounter_class == "emergency"
    assert event.visit.assigned_location is None
    assert event.visit.visit_number is None
    assert event.visit.expected_discharge_at is None


@pytest.mark.parametrize("version", ["2.3", "2.3.1", "2.4", "2.5", "2.5.1", "2.6", "2.7", "2.7.1", "2.8"])
def test_versions_23_to_28_are_read(version):
    assert parse_message(adt(version=version)).version == version


def test_effective_time_prefers_evn6_then_evn2_then_msh7():
    with_evn6 = parse_message(adt(evn="EVN|A02|20240301101000||||20240301095500|"))
    assert with_evn6.effective_at == datetime(2024, 3, 1, 9, 55)
    only_evn2 = parse_message(adt(evn="EVN|A02|20240301101000"))
    assert only_evn2.effective_at == datetime(2024, 3, 1, 10, 10)
    neither = parse_message(adt(evn="EVN|A02"))
    assert neither.effective_at == datetime(2024, 3, 1, 10, 15)


def test_sender_encoding_characters_and_escapes_are_honoured():
    # '#' as component separator, '!' as repetition; escapes for '|' and the component separator.
    text = (
        "MSH|#!\\&|ADT|GEN|||20240301101500||ADT#A01|E1|P|2.5\r"
        "PID|1||M1#####!M2####SS||O\\S\\BRIEN#PAT\r"
        "PV1|1|I|W\\F\\1#3#A\r"
    )
    event = parse_message(text)
    assert event.trigger_event == "A01"
    assert [i.value for i in event.patient.identifiers] == ["M1", "M2"]
    assert event.patient.family_name == "O#BRIEN"
    assert event.visit.assigned_location == BedLocation("W|1", "3", "A")


def test_trigger_falls_back_to_evn1_when_msh9_has_none():
    text = adt().replace("ADT^A02^ADT_A02", "ADT")
    assert parse_message(text).trigger_event == "A02"


def test_pending_transfer_reads_pending_location_and_expected_discharge():
    pv1 = segment("PV1", {2: "I", 3: "ICU^12^B", 42: "WARD5^3^A"})
    event = parse_message(adt("A15", pv1=pv1, extra=["PV2|||||||||20240305120000"]))
    assert event.visit.pending_location == BedLocation("WARD5", "3", "A")
    assert event.visit.expected_discharge_at == datetime(2024, 3, 5, 12)


def test_swap_patients_reads_both_patients_and_beds():
    extra = ["PID|1||MRN8^^^HOSP^MR", segment("PV1", {2: "I", 3: "ICU^14^A", 19: "V200"})]
    event = parse_message(adt("A17", extra=extra))
    assert event.patient.source_id == "MRN7"
    assert event.swap_patient.source_id == "MRN8"
    assert event.swap_visit.assigned_location == BedLocation("ICU", "14", "A")
    assert event.swap_visit.visit_number == Identifier("V200")


def test_assume_tz_places_naive_times_in_the_facility_zone():
    zone = ZoneInfo("Europe/London")
    event = parse_message(adt(), assume_tz=zone)
    assert event.message_datetime == datetime(2024, 3, 1, 10, 15, tzinfo=zone)
    assert event.visit.admitted_at.tzinfo is zone


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024", datetime(2024, 1, 1)),
        ("202403", datetime(2024, 3, 1)),
        ("20240301", datetime(2024, 3, 1)),
        ("2024030114", datetime(2024, 3, 1, 14)),
        ("202403011405", datetime(2024, 3, 1, 14, 5)),
        ("20240301140509.25", datetime(2024, 3, 1, 14, 5, 9, 250000)),
        ("20240301140509-0500", datetime(2024, 3, 1, 14, 5, 9, tzinfo=timezone(timedelta(hours=-5)))),
        ("", None),
    ],
)
def test_hl7_datetime_precisions_and_offsets(text, expected):
    assert parse_hl7_datetime(text) == expected


@pytest.mark.parametrize("text", ["2024-03-01", "20241301", "20240230", "yesterday", "20240301T1200"])
def test_malformed_hl7_datetimes_are_refused(text):
    with pytest.raises(ValueError, match="invalid date/time"):
        parse_hl7_datetime(text)


# -- refusals ----------------------------------------------------------------------------------


def test_missing_message_type_names_message_number_and_field():
    text = adt(control="OK1") + adt(control="OK2") + adt().replace("ADT^A02^ADT_A02", "")
    with pytest.raises(Hl7ParseError) as caught:
        parse_messages(text, source="feed.hl7")
    assert str(caught.value) == "feed.hl7: message 3: MSH-9: missing message type"
    problem = caught.value.first
    assert (problem.message_number, problem.segment, problem.field) == (3, "MSH", 9)
    assert (problem.error_code, problem.ack_code) == (101, "AR")


def test_every_bad_message_in_a_file_is_reported_and_nothing_is_returned():
    text = adt(control="") + adt(control="good") + adt(pid="PID|1||") + adt(msh7="2024-03-01")
    with pytest.raises(Hl7ParseError) as caught:
        parse_messages(text)
    assert [str(p) for p in caught.value.problems] == [
        "message 1: MSH-10: missing message control id",
        "message 3: PID-3: missing patient identifier",
        "message 4: MSH-7: invalid date/time '2024-03-01' (expected YYYY[MM[DD[HH[MM[SS]]]]][+/-ZZZZ])",
    ]


@pytest.mark.parametrize(
    ("text", "message", "code"),
    [
        (adt().replace("ADT^A02^ADT_A02", "ORU^R01"), "MSH-9: message type ORU is not ADT", 200),
        (adt("A99"), "MSH-9: unsupported trigger event A99", 201),
        (adt(version="3.0"), "MSH-12: unsupported version 3.0 (expected 2.x)", 203),
        (adt(version=""), "MSH-12: missing version id", 101),
        (adt(msh7=""), "MSH-7: missing message date/time", 101),
        (adt(pid=None), "PID: missing segment", 100),
        (adt(evn="EVN|A02|20240301101000||||2024-03-01 09:55"), "EVN-6: invalid date/time", 102),
        (adt(evn="EVN|A02|yesterday"), "EVN-2: invalid date/time", 102),
        (adt(pv1=None), "PV1: missing segment (required for A02)", 100),
        (adt(pv1=segment("PV1", {2: "I", 44: "2024-03-01"})), "PV1-44: invalid date/time", 102),
        ("EVN|A01\r" + adt(), "text before the first MSH segment", 100),
        ("", "no HL7 message found", 100),
    ],
)
def test_malformed_messages_are_refused_with_a_located_reason(text, message, code):
    with pytest.raises(Hl7ParseError) as caught:
        parse_messages(text)
    assert message in str(caught.value)
    assert caught.value.first.error_code == code


def test_identity_events_do_not_need_a_visit():
    event = parse_message(adt("A40", pv1=None, extra=["MRG|OLD1^^^HOSP^MR"]))
    assert event.visit is None
    assert event.merges[0].prior_identifiers == (Identifier("OLD1", "HOSP", "MR"),)


def test_second_pid_problem_names_the_repeated_segment():
    text = adt("A40", pv1=None, extra=["MRG|OLD1", "PID|2||", "MRG|OLD2"])
    with pytest.raises(Hl7ParseError, match=r"message 1: PID-3: \(PID #2\) missing patient identifier"):
        parse_messages(text)


def test_parse_message_refuses_a_batch():
    with pytest.raises(Hl7ParseError, match="expected one message, found 2"):
        parse_message(adt() + adt(control="C2"))
    with pytest.raises(Hl7ParseError, match="text before the MSH segment: 'hello'"):
        parse_message("hello\r" + adt())


# -- acknowledgments ---------------------------------------------------------------------------


def segments(ack: str) -> dict[str, list[str]]:
    assert ack.endswith("\r") and "\n" not in ack
    return {line.split("|")[0]: line.split("|") for line in ack.strip("\r").split("\r")}


NOW = datetime(2024, 3, 1, 10, 16, 0, tzinfo=UTC)


def test_ack_accepts_and_swaps_sender_and_receiver():
    message = adt(control="MSG42").replace("|CAREHELM|GEN|", "|BEDS|WEST|")
    ack = segments(build_ack(message, control_id="ACK1", now=NOW))
    msh = ack["MSH"]
    # MSH-n is msh[n-1] because MSH-1 is the field separator itself.
    assert msh[1] == "^~\\&"
    assert (msh[2], msh[3], msh[4], msh[5]) == ("BEDS", "WEST", "ADT", "GEN")
    assert msh[6] == "20240301101600+0000"
    assert (msh[8], msh[9], msh[10], msh[11]) == ("ACK^A02^ACK", "ACK1", "P", "2.5.1")
    assert ack["MSA"][:3] == ["MSA", "AA", "MSG42"]
    assert "ERR" not in ack


def test_nak_for_a_parse_error_carries_code_location_and_text_v25():
    text = adt(control="MSG43").replace("ADT^A02^ADT_A02", "ADT^A99^ADT_A01")
    with pytest.raises(Hl7ParseError) as caught:
        parse_message(text)
    ack = segments(build_ack(text, error=caught.value, now=NOW))
    assert ack["MSA"] == ["MSA", "AR", "MSG43", "MSH-9: unsupported trigger event A99"]
    err = ack["ERR"]
    assert err[2] == "MSH^1^9"
    assert err[3] == "201^Unsupported event code^HL70357"
    assert err[4] == "E"
    assert err[8] == "MSH-9: unsupported trigger event A99"


def test_nak_for_an_application_refusal_v23_uses_err1():
    problem = Hl7Problem("unknown visit V100", segment="PV1", field=19, error_code=204)
    ack = segments(build_ack(adt(version="2.3", control="M9"), error=problem, now=NOW))
    assert ack["MSH"][8] == "ACK^A02"
    assert ack["MSA"] == ["MSA", "AE", "M9", "PV1-19: unknown visit V100"]
    assert ack["ERR"] == ["ERR", "PV1^1^19^204&Unknown key identifier&HL70357"]


def test_v28_ack_drops_withdrawn_msa3_and_keeps_text_in_err8():
    ack = segments(build_ack(adt(version="2.8"), code="AE", text="transfer after discharge", now=NOW))
    assert ack["MSA"] == ["MSA", "AE", "C1"]
    assert ack["ERR"][8] == "transfer after discharge"
    assert ack["ERR"][3].startswith("207^")


def test_ack_names_us_as_asked_or_carehelm_when_the_message_names_no_receiver():
    assert segments(build_ack(adt(), application="BEDBOARD", facility="H1", now=NOW))["MSH"][2:4] == [
        "BEDBOARD",
        "H1",
    ]
    anonymous = adt().replace("|CAREHELM|GEN|", "|||")
    assert segments(build_ack(anonymous, now=NOW))["MSH"][2:4] == ["CAREHELM", ""]


@pytest.mark.parametrize("trigger", sorted(TRIGGER_EVENTS))
def test_every_supported_trigger_is_read(trigger):
    extra = ["PID|2||MRN8", segment("PV1", {2: "I", 3: "ICU^14^A"})] if trigger == "A17" else []
    assert parse_message(adt(trigger, extra=extra)).trigger_event == trigger


def test_ack_text_is_escaped():
    ack = build_ack(adt(version="2.5"), code="AE", text="bed A|B ^ C&D", now=NOW)
    assert "bed A\\F\\B \\S\\ C\\T\\D" in ack


def test_unreadable_message_still_gets_a_nak():
    ack = segments(build_ack("garbage", code="AR", text="not HL7", now=NOW))
    assert ack["MSA"][:3] == ["MSA", "AR", ""]


def test_ack_for_a_parsed_event_answers_its_control_id():
    event = parse_message(adt(control="EV7"))
    assert segments(build_ack(event))["MSA"][:3] == ["MSA", "AA", "EV7"]


def test_ack_code_must_be_standard():
    with pytest.raises(ValueError, match="ack code"):
        build_ack(adt(), code="OK")
