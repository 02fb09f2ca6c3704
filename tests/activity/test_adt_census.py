"""Each ADT event's effect on the census, cancels, late and duplicate messages, impossible sequences.

Every scenario is a short story told in messages; the expected census is read off the story.
"""

from __future__ import annotations

import pytest

from carehelm.activity.models import AdtMessage, Encounter, UnitStay
from carehelm.activity.selectors import census_at
from carehelm.activity.services import receive_adt
from carehelm.organization.models import Bed
from tests.activity.conftest import adt, t

pytestmark = pytest.mark.django_db


def unit_row(at, code):
    return next(r for r in census_at(at)["units"] if r["unit"] == code)


def counts(at, code):
    row = unit_row(at, code)
    return row["occupied"], row["pending_in"], row["pending_out"]


def send(*messages):
    results = [receive_adt(m, channel="file") for m in messages]
    return results[0] if len(results) == 1 else results


def bed(room, label="A"):
    return Bed.objects.get(room__name=room, label=label)


def test_admit_occupies_the_unit_and_the_bed_from_its_effective_time(ward):
    result = send(adt("A01", "C1", "V1", t(2, 8), location="ICU^ICU-01^A^rgh"))
    assert result.status == "applied" and "MSA|AA|C1" in result.ack
    assert counts(t(2, 7, 59), "ICU") == (0, 0, 0)
    assert counts(t(2, 8), "ICU") == (1, 0, 0)
    assert unit_row(t(2, 9), "ICU")["staffed_beds"] == 14
    assert bed("ICU-01").status == "O"


def test_transfer_moves_the_patient_between_units_at_the_transfer_time(ward):
    send(adt("A01", "C1", "V1", t(2, 8)), adt("A02", "C2", "V1", t(3, 10), location="MS4^401^B^rgh"))
    assert counts(t(3, 9), "ICU") == (1, 0, 0) and counts(t(3, 9), "MS4") == (0, 0, 0)
    assert counts(t(3, 11), "ICU") == (0, 0, 0) and counts(t(3, 11), "MS4") == (1, 0, 0)
    assert bed("ICU-01").status == "H"  # left by transfer: to be cleaned
    assert bed("401", "B").status == "O"


def test_discharge_empties_the_unit_and_leaves_the_bed_to_housekeeping(ward):
    send(adt("A01", "C1", "V1", t(2, 8)), adt("A03", "C2", "V1", t(4, 11), disposition="01"))
    assert counts(t(4, 10), "ICU") == (1, 0, 0)
    assert counts(t(4, 11), "ICU") == (0, 0, 0)
    enc = Encounter.objects.get(visit_number="V1")
    assert enc.status == "finished" and enc.discharge_disposition == "01"
    assert bed("ICU-01").status == "H"
    assert unit_row(None, "ICU")["unavailable"] == 1  # housekeeping is unavailable now


def test_register_of_an_emergency_visit_counts_in_the_ed_unit(ward):
    from tests import factories as f

    f.UnitFactory(facility=ward.hospital, code="ED", name="Emergency", kind="emergency", staffed_beds=10)
    send(adt("A04", "C1", "V9", t(2, 8), location="ED^^^rgh", patient_class="E"))
    enc = Encounter.objects.get(visit_number="V9")
    assert enc.encounter_class == "emergency"
    assert counts(t(2, 9), "ED") == (1, 0, 0)


def test_pending_admit_transfer_and_discharge_count_as_pending_in_and_out(ward):
    send(adt("A14", "C1", "V1", t(2, 6), location="ICU^ICU-02^A^rgh"))
    assert counts(t(2, 7), "ICU") == (0, 1, 0)
    send(adt("A01", "C2", "V1", t(2, 8), location="ICU^ICU-02^A^rgh"))
    assert counts(t(2, 9), "ICU") == (1, 0, 0)
    send(adt("A15", "C3", "V1", t(3, 8), location="ICU^ICU-02^A^rgh", pending="MS4^402^A^rgh"))
    assert counts(t(3, 9), "ICU") == (1, 0, 1) and counts(t(3, 9), "MS4") == (0, 1, 0)
    send(adt("A02", "C4", "V1", t(3, 12), location="MS4^402^A^rgh"))
    assert counts(t(3, 13), "ICU") == (0, 0, 0) and counts(t(3, 13), "MS4") == (1, 0, 0)
    send(adt("A16", "C5", "V1", t(4, 8), location="MS4^402^A^rgh"))
    assert counts(t(4, 9), "MS4") == (1, 0, 1)
    # History replays: the pending transfer is still there at 09:00 on day 3.
    assert counts(t(3, 9), "MS4") == (0, 1, 0)


def test_update_changes_the_expected_discharge_but_not_the_census(ward):
    send(adt("A01", "C1", "V1", t(2, 8)), adt("A08", "C2", "V1", t(2, 9), expected_discharge=t(5, 11)))
    enc = Encounter.objects.get(visit_number="V1")
    assert enc.expected_discharge_at == t(5, 11)
    assert counts(t(2, 10), "ICU") == (1, 0, 0)


def test_cancel_admit_removes_the_visit_from_every_census(ward):
    send(adt("A01", "C1", "V1", t(2, 8)), adt("A11", "C2", "V1", t(2, 9)))
    assert counts(t(2, 8, 30), "ICU") == (0, 0, 0)
    assert Encounter.objects.get(visit_number="V1").status == "cancelled"
    assert bed("ICU-01").status == "U"  # the patient was never really there: no cleaning


def test_cancel_transfer_puts_the_patient_back_exactly_where_they_were(ward):
    send(
        adt("A01", "C1", "V1", t(2, 8)),
        adt("A02", "C2", "V1", t(3, 10), location="MS4^401^A^rgh"),
        adt("A12", "C3", "V1", t(3, 11), location="MS4^401^A^rgh"),
    )
    stays = list(UnitStay.objects.filter(encounter__visit_number="V1").values_list("unit__code", "end_at"))
    assert stays == [("ICU", None)]
    assert counts(t(3, 10, 30), "ICU") == (1, 0, 0) and counts(t(3, 10, 30), "MS4") == (0, 0, 0)
    assert bed("ICU-01").status == "O" and bed("401").status == "U"


def test_cancel_discharge_reopens_the_stay(ward):
    send(adt("A01", "C1", "V1", t(2, 8)), adt("A03", "C2", "V1", t(4, 10)), adt("A13", "C3", "V1", t(4, 12)))
    assert counts(t(5, 8), "ICU") == (1, 0, 0)
    enc = Encounter.objects.get(visit_number="V1")
    assert enc.status == "active" and enc.discharge_at is None
    assert bed("ICU-01").status == "O"


def test_cancel_of_an_admit_after_a_transfer_is_refused_and_changes_nothing(ward):
    send(adt("A01", "C1", "V1", t(2, 8)), adt("A02", "C2", "V1", t(3, 10), location="MS4^401^A^rgh"))
    result = send(adt("A11", "C3", "V1", t(3, 12)))
    assert result.status == "refused" and "MSA|AE|C3" in result.ack
    assert counts(t(3, 13), "MS4") == (1, 0, 0)


def test_late_transfer_is_placed_at_its_effective_time(ward):
    # Admit, then discharge from MS4 arrives; the transfer that happened before it arrives last.
    send(adt("A01", "C1", "V1", t(2, 8)), adt("A03", "C3", "V1", t(5, 10), location="MS4^401^A^rgh"))
    late = send(adt("A02", "C2", "V1", t(3, 10), location="MS4^401^A^rgh", sent=t(5, 12)))
    assert late.status == "applied"
    assert counts(t(3, 9), "ICU") == (1, 0, 0)
    assert counts(t(4, 0), "ICU") == (0, 0, 0) and counts(t(4, 0), "MS4") == (1, 0, 0)
    assert counts(t(5, 11), "MS4") == (0, 0, 0)
    assert bed("401").status == "H" and bed("ICU-01").status == "H"


def test_discharge_that_arrives_before_its_late_admission_is_applied_when_the_admission_comes(ward):
    early = send(adt("A03", "C2", "V1", t(4, 10)))
    assert early.status == "refused" and "unknown visit" in early.reason
    late_admit = send(adt("A01", "C1", "V1", t(2, 8), sent=t(4, 12)))
    assert late_admit.status == "applied"
    enc = Encounter.objects.get(visit_number="V1")
    assert enc.status == "finished" and enc.discharge_at == t(4, 10)
    assert counts(t(3, 8), "ICU") == (1, 0, 0) and counts(t(4, 11), "ICU") == (0, 0, 0)
    # If the sender resends the discharge it had a NAK for, it is a duplicate, not a second discharge.
    assert send(adt("A03", "C2", "V1", t(4, 10))).status == "duplicate"


def test_late_discharge_that_would_precede_an_applied_transfer_is_refused(ward):
    send(adt("A01", "C1", "V1", t(2, 8)), adt("A02", "C2", "V1", t(4, 10), location="MS4^401^A^rgh"))
    late = send(adt("A03", "C3", "V1", t(3, 10)))
    assert late.status == "refused" and "A02" in late.reason
    assert counts(t(4, 11), "MS4") == (1, 0, 0)


def test_duplicate_control_id_is_acknowledged_once_and_applied_once(ward):
    message = adt("A01", "C1", "V1", t(2, 8))
    first, again = send(message, message)
    assert first.status == "applied" and again.status == "duplicate"
    assert "MSA|AA|C1" in again.ack
    assert UnitStay.objects.count() == 1
    assert AdtMessage.objects.filter(control_id="C1").count() == 2  # both logged


def test_a_resend_stamped_with_a_new_send_time_is_still_a_duplicate(ward):
    message = adt("A01", "C1", "V1", t(2, 8))
    send(message)
    msh, rest = message.split("\r", 1)
    fields = msh.split("|")
    fields[6] = "20260302080500"  # MSH-7: the sender stamped the resend again
    again = send("|".join(fields) + "\r" + rest)
    assert again.status == "duplicate" and UnitStay.objects.count() == 1


def test_reused_control_id_with_other_content_is_refused(ward):
    send(adt("A01", "C1", "V1", t(2, 8)))
    other = send(adt("A01", "C1", "V2", t(2, 9), mrn="MRN2", location="ICU^ICU-02^A^rgh"))
    assert other.status == "refused" and not Encounter.objects.filter(visit_number="V2").exists()


@pytest.mark.parametrize(
    "story, refused_reason",
    [
        ([("A01", "V1", t(2, 8)), ("A03", "V1", t(3, 8)), ("A02", "V1", t(4, 8))], "after discharge"),
        ([("A02", "V7", t(4, 8))], "unknown visit"),
        ([("A03", "V7", t(4, 8))], "unknown visit"),
        ([("A01", "V1", t(2, 8)), ("A01", "V1", t(2, 9))], "already in house"),
        ([("A13", "V7", t(4, 8))], "unknown visit"),
    ],
)
def test_impossible_sequences_are_refused_with_a_nak_and_logged(ward, story, refused_reason):
    results = [
        send(adt(trigger, f"C{i}", visit, at, location="MS4^401^A^rgh"))
        for i, (trigger, visit, at) in enumerate(story)
    ]
    last = results[-1]
    assert last.status == "refused" and refused_reason in last.reason
    assert "MSA|AE|" in last.ack
    logged = AdtMessage.objects.get(control_id=f"C{len(story) - 1}")
    assert logged.status == "refused" and refused_reason in logged.reason


def test_unknown_location_is_refused_unless_locations_are_learned(ward):
    refused = send(adt("A01", "C1", "V1", t(2, 8), location="CCU^7^A^rgh"))
    assert refused.status == "refused" and "CCU" in refused.reason
    assert not Encounter.objects.exists()
    learned = receive_adt(adt("A01", "C1", "V1", t(2, 8), location="CCU^7^A^rgh"), learn_locations=True)
    assert learned.status == "applied"
    assert counts(t(2, 9), "CCU")[0] == 1


def test_refused_message_writes_nothing_but_its_log_row(ward):
    send(adt("A01", "C1", "V1", t(2, 8)), adt("A03", "C2", "V1", t(3, 8)))
    before = (Encounter.objects.get().status, UnitStay.objects.count())
    send(adt("A02", "C3", "V1", t(4, 8), location="MS4^401^A^rgh"))
    assert (Encounter.objects.get().status, UnitStay.objects.count()) == before


def test_malformed_message_is_answered_with_a_reject(ward):
    result = receive_adt("MSH|^~\\&|X|Y|Z|W|20260301||ADT^A01|C9|P\rPID|1||M^^^^MR\r")
    assert result.status == "refused" and "MSA|AR|C9" in result.ack
    assert not Encounter.objects.exists()


def test_pre_admit_counts_as_pending_in_until_admitted_or_cancelled(ward):
    send(
        adt("A05", "C1", "V1", t(2, 6), location="MS4^401^A^rgh"),
        adt("A05", "C2", "V2", t(2, 6), mrn="MRN2", location="MS4^401^B^rgh"),
        adt("A01", "C3", "V1", t(2, 10), location="MS4^401^A^rgh"),
        adt("A38", "C4", "V2", t(2, 11), mrn="MRN2", location="MS4^401^B^rgh"),
    )
    assert counts(t(2, 7), "MS4") == (0, 2, 0)
    assert counts(t(2, 10, 30), "MS4") == (1, 1, 0)
    assert counts(t(2, 12), "MS4") == (1, 0, 0)
    assert Encounter.objects.get(visit_number="V2").status == "cancelled"


def test_cancelled_pending_transfer_and_discharge_stop_counting_at_the_cancel(ward):
    send(
        adt("A01", "C1", "V1", t(2, 8)),
        adt("A15", "C2", "V1", t(2, 9), pending="MS4^402^A^rgh"),
        adt("A16", "C3", "V1", t(2, 10)),
        adt("A26", "C4", "V1", t(2, 11)),
        adt("A25", "C5", "V1", t(2, 12)),
    )
    assert counts(t(2, 10, 30), "ICU") == (1, 0, 2) and counts(t(2, 10, 30), "MS4") == (0, 1, 0)
    assert counts(t(2, 11, 30), "ICU") == (1, 0, 1) and counts(t(2, 11, 30), "MS4") == (0, 0, 0)
    assert counts(t(2, 12, 30), "ICU") == (1, 0, 0)


def test_class_changes_and_leave_of_absence_keep_the_bed(ward):
    from tests import factories as f

    f.UnitFactory(facility=ward.hospital, code="ED", name="Emergency", kind="emergency", staffed_beds=10)
    send(
        adt("A04", "C1", "V1", t(2, 8), location="ED^^^rgh", patient_class="E"),
        adt("A06", "C2", "V1", t(2, 12), location="MS4^401^A^rgh", patient_class="I"),
    )
    enc = Encounter.objects.get(visit_number="V1")
    assert enc.encounter_class == "inpatient"
    assert (
        counts(t(2, 11), "ED")[0] == 1 and counts(t(2, 13), "MS4")[0] == 1 and counts(t(2, 13), "ED")[0] == 0
    )
    send(adt("A21", "C3", "V1", t(3, 9), location="MS4^401^A^rgh"))
    assert Encounter.objects.get(visit_number="V1").on_leave and counts(t(3, 10), "MS4")[0] == 1
    refused = send(adt("A22", "C4", "V9", t(3, 11), mrn="MRN9", location="MS4^401^A^rgh"))
    assert refused.status == "refused"
    send(
        adt("A22", "C5", "V1", t(3, 12), location="MS4^401^A^rgh"),
        adt("A07", "C6", "V1", t(4, 8), location="MS4^401^A^rgh", patient_class="O"),
    )
    enc = Encounter.objects.get(visit_number="V1")
    assert not enc.on_leave and enc.encounter_class == "outpatient"
    assert counts(t(4, 9), "MS4")[0] == 1
