"""The command-line contract: ``adt load``, ``census --json`` (also at a past instant), malformed files."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from carehelm.activity.models import AdtMessage, Encounter, Patient, UnitStay
from tests.activity.conftest import adt, t

pytestmark = pytest.mark.django_db
FIXTURES = Path(__file__).parent / "fixtures"


def run(*argv) -> tuple[str, str, int]:
    out, err = io.StringIO(), io.StringIO()
    code = 0
    try:
        call_command(*argv, stdout=out, stderr=err)
    except CommandError as exc:
        code = exc.returncode
        err.write(str(exc))
    return out.getvalue(), err.getvalue(), code


def write(tmp_path, name, *messages, newline="\r") -> Path:
    path = tmp_path / name
    path.write_text("".join(m.replace("\r", newline) for m in messages), encoding="utf-8")
    return path


def test_adt_load_prints_one_line_per_message_and_applies_in_effective_order(ward, tmp_path):
    # The transfer is written first in the file but happened after the admit: effective order wins.
    path = write(
        tmp_path,
        "feed.hl7",
        adt("A02", "C2", "V1", t(3, 10), location="MS4^401^A^rgh"),
        adt("A01", "C1", "V1", t(2, 8)),
        adt("A02", "C3", "V404", t(3, 11), location="MS4^401^B^rgh"),
        newline="\n",
    )
    out, err, code = run("adt", "load", str(path))
    lines = [line for line in out.splitlines() if " message " in line]
    assert [line.split(": ", 1)[1].split()[0] for line in lines] == ["accepted", "accepted", "refused"]
    assert "unknown visit" in lines[2]
    assert code == 1  # one refusal
    assert list(UnitStay.objects.order_by("start_at").values_list("unit__code", flat=True)) == ["ICU", "MS4"]
    assert "ZYXWVUTSON" not in out + err and "QUIBBLEBERRY" not in out + err  # no names in the output


def test_census_json_gives_the_census_as_it_stood_at_a_past_instant(ward, tmp_path):
    path = write(
        tmp_path,
        "feed.hl7",
        adt("A01", "C1", "V1", t(2, 8)),
        adt("A01", "C2", "V2", t(2, 9), mrn="MRN2", location="ICU^ICU-02^A^rgh"),
        adt("A15", "C3", "V2", t(2, 12), mrn="MRN2", location="ICU^ICU-02^A^rgh", pending="MS4^402^A^rgh"),
        adt("A02", "C4", "V2", t(2, 15), mrn="MRN2", location="MS4^402^A^rgh"),
        adt("A03", "C5", "V1", t(3, 10)),
    )
    run("adt", "load", str(path))
    out, _, _ = run("census", "--at", "2026-03-02T13:00", "--json")
    census = json.loads(out)
    icu = next(u for u in census["units"] if u["unit"] == "ICU")
    ms4 = next(u for u in census["units"] if u["unit"] == "MS4")
    assert census["at"].startswith("2026-03-02T13:00")
    assert {k: icu[k] for k in ("occupied", "pending_in", "pending_out", "staffed_beds")} == {
        "occupied": 2,
        "pending_in": 0,
        "pending_out": 1,
        "staffed_beds": 14,
    }
    assert (ms4["occupied"], ms4["pending_in"]) == (0, 1)
    later = json.loads(run("census", "--at", "2026-03-03T12:00-05:00", "--json")[0])
    icu = next(u for u in later["units"] if u["unit"] == "ICU")
    assert (icu["occupied"], icu["pending_out"]) == (0, 0)
    now = json.loads(run("census", "--json")[0])
    assert next(u for u in now["units"] if u["unit"] == "MS4")["occupied"] == 1


def test_a_file_that_does_not_parse_whole_writes_nothing(ward, tmp_path):
    bad = (
        adt("A02", "C2", "V1", t(3, 10))
        .replace("ADT^A02^ADT_A01", "ADT^A02^ADT_A01")
        .replace("20260303100000", "2026-03-03")
    )  # EVN-6 is not an HL7 date/time
    path = write(tmp_path, "broken.hl7", adt("A01", "C1", "V1", t(2, 8)), bad)
    out, err, code = run("adt", "load", str(path))
    assert code == 1 and "nothing written" in err and "message 2" in err and "EVN-6" in err
    assert not Encounter.objects.exists() and not Patient.objects.exists() and not AdtMessage.objects.exists()


def test_real_world_samples_are_answered_not_crashed_on(ward, tmp_path):
    # Sample messages with a BOM and LF endings; they name places and visits we do not know.
    out, _, code = run("adt", "load", str(FIXTURES / "ADT04-23.hl7"), str(FIXTURES / "ADT01-28.hl7"))
    assert code == 1
    assert "unknown point of care 'ABCD'" in out
    assert "missing visit number" in out
    assert not Encounter.objects.exists()
    out, _, _ = run("adt", "load", "--learn-locations", str(FIXTURES / "ADT04-23.hl7"))
    assert "accepted" in out
    enc = Encounter.objects.get(visit_number="0123456789")
    assert enc.encounter_class == "outpatient" and enc.stays.get().unit.code == "ABCD"


def test_unknown_file_is_reported(ward, tmp_path):
    _, err, code = run("adt", "load", str(tmp_path / "missing.hl7"))
    assert code == 1 and "no such file" in err


def test_replay_applies_messages_whose_time_has_come(ward, tmp_path):
    path = write(tmp_path, "feed.hl7", adt("A01", "R1", "V1", t(2, 8)), adt("A03", "R2", "V1", t(3, 8)))
    out, _, code = run("adt", "replay", str(path), "--speed", "1000")
    assert code == 0 and out.count("accepted") == 2
    assert Encounter.objects.get(visit_number="V1").status == "finished"


def test_unsupported_trigger_is_rejected_not_half_applied(ward, tmp_path):
    merge = adt("A01", "M1", "V1", t(2, 8)).replace("ADT^A01^ADT_A01", "ADT^A40^ADT_A39")
    path = write(tmp_path, "merge.hl7", merge)
    out, _, code = run("adt", "load", str(path))
    assert code == 1 and "A40" in out and "not applied" in out
    assert not Encounter.objects.exists()


def test_demo_feed_task_applies_what_is_due_once_and_comes_back_for_the_rest(ward, tmp_path):
    from carehelm.activity.tasks import play_feed

    path = write(
        tmp_path,
        "feed.hl7",
        adt("A01", "F1", "V1", t(2, 8)),
        adt("A03", "F2", "V1", t(2, 8).replace(year=2099)),
    )
    assert play_feed.call(path=str(path)) == {"applied": 1, "remaining": 1}
    assert play_feed.call(path=str(path)) == {"applied": 0, "remaining": 1}
    assert AdtMessage.objects.filter(control_id="F1").count() == 1  # not applied twice
    assert Encounter.objects.get(visit_number="V1").status == "active"
