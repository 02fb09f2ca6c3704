"""Stored KPI values are the engine's figures, and match the hand-computed month of conftest."""

from __future__ import annotations

import datetime as dt
import math

import pytest

from carehelm.engines.kpi import compute_kpis
from carehelm.quality import services
from carehelm.quality.models import KpiValue

from .conftest import AS_OF, ENCOUNTERS, STAYS, encounters_frame, stays_frame

pytestmark = pytest.mark.django_db
JAN = dt.date(2024, 1, 1)


def _month(world, kpi, unit=None):
    return KpiValue.objects.get(facility=world.hospital, unit=unit, kpi=kpi, grain="month", period=JAN)


def test_every_stored_value_equals_the_engine_row(world, hand_frames):
    result = services.rebuild_kpis(frames=hand_frames, as_of=AS_OF, facility_ids=[world.hospital.pk])
    engine = compute_kpis(encounters_frame(), stays_frame(), hand_frames.staffed_beds, as_of=AS_OF)
    assert result["values"] == len(engine) == KpiValue.objects.count()
    code_of = {world.icu.pk: "ICU", world.medsurg.pk: "MS4", None: None}
    code_of.update({pk: code for (_f, code), pk in hand_frames.unit_ids.items()})
    stored = {(v.grain, v.period.isoformat(), code_of[v.unit_id], v.kpi): v for v in KpiValue.objects.all()}
    for row in engine.itertuples(index=False):
        value = stored[(row.grain, row.period, row.unit, row.kpi)]
        for got, want in (
            (value.numerator, row.numerator),
            (value.denominator, row.denominator),
            (value.value, row.value),
        ):
            if want is None or (isinstance(want, float) and math.isnan(want)):
                assert got is None
            else:
                assert got == pytest.approx(want, abs=1e-12)


def test_hand_computed_january_at_the_hospital(world, hand_frames, ed_unit):
    services.rebuild_kpis(frames=hand_frames, as_of=AS_OF, facility_ids=[world.hospital.pk])
    assert _month(world, "admissions").value == 3
    assert _month(world, "discharges").value == 3
    assert _month(world, "average_length_of_stay").value == pytest.approx(10 / 3)
    readmissions = _month(world, "readmission_rate_30d")
    assert (readmissions.numerator, readmissions.denominator, readmissions.value) == (1, 2, 50.0)
    assert _month(world, "ed_lwbs_rate").value == 50.0
    assert _month(world, "ed_los_median_minutes").value == 240.0
    # Unit level: the transfer ICU -> MS4 on Jan 2, and MS4 discharges all three patients.
    assert _month(world, "transfers_out", world.icu).value == 1
    assert _month(world, "transfers_in", world.medsurg).value == 1
    assert _month(world, "discharges", world.medsurg).value == 3
    assert _month(world, "readmission_rate_30d", world.icu).value is None  # nothing to divide by
    assert _month(world, "ed_lwbs_rate", ed_unit).value == 50.0


def test_rebuild_replaces_the_facility_values_and_keeps_other_facilities(world, hand_frames):
    services.rebuild_kpis(frames=hand_frames, as_of=AS_OF, facility_ids=[world.hospital.pk])
    first = KpiValue.objects.count()
    other = KpiValue.objects.create(
        grain="month",
        period=JAN,
        facility=world.clinic,
        kpi="admissions",
        value=7,
        computed_at=dt.datetime(2024, 2, 1, tzinfo=dt.UTC),
    )
    services.rebuild_kpis(frames=hand_frames, as_of=AS_OF, facility_ids=[world.hospital.pk])
    assert KpiValue.objects.filter(facility=world.hospital).count() == first
    assert KpiValue.objects.filter(pk=other.pk).exists()


def test_activity_tables_are_read_like_the_hand_made_frames(world, hand_frames, ed_unit, settings):
    """The selector over the activity models gives the engine the same month (facility wall-clock)."""
    activity = pytest.importorskip("carehelm.activity.models")
    from django.utils import timezone

    tz = timezone.get_default_timezone()
    units = {"ICU": world.icu, "MS4": world.medsurg, "ED": ed_unit}
    has_flag = any(f.name == "left_without_being_seen" for f in activity.Encounter._meta.get_fields())
    patients = {}
    encounters = {}
    for eid, pid, _unit, cls, admit, discharge, disposition, lwbs in ENCOUNTERS:
        patient = patients.get(pid) or activity.Patient.objects.create(mrn=pid)
        patients[pid] = patient
        extra = {"left_without_being_seen": bool(lwbs)} if has_flag else {}
        encounters[eid] = activity.Encounter.objects.create(
            facility=world.hospital,
            patient=patient,
            visit_number=eid,
            encounter_class=cls,
            status="finished",
            admit_at=timezone.make_aware(dt.datetime.fromisoformat(admit), tz),
            discharge_at=timezone.make_aware(dt.datetime.fromisoformat(discharge), tz),
            discharge_disposition=disposition,
            **extra,
        )
    for eid, unit, start, end in STAYS:
        activity.UnitStay.objects.create(
            encounter=encounters[eid],
            unit=units[unit],
            start_at=timezone.make_aware(dt.datetime.fromisoformat(start), tz),
            end_at=timezone.make_aware(dt.datetime.fromisoformat(end), tz),
        )
    # A cancelled visit never counts.
    activity.Encounter.objects.create(
        facility=world.hospital,
        patient=patients["P2"],
        visit_number="X9",
        encounter_class="inpatient",
        status="cancelled",
        admit_at=timezone.make_aware(dt.datetime(2024, 1, 9, 9), tz),
    )
    services.rebuild_kpis(as_of=AS_OF, facility_ids=[world.hospital.pk])
    from_tables = {(v.unit_id, v.kpi, v.grain, v.period): v.value for v in KpiValue.objects.all()}
    KpiValue.objects.all().delete()
    services.rebuild_kpis(frames=hand_frames, as_of=AS_OF, facility_ids=[world.hospital.pk])
    from_frames = {(v.unit_id, v.kpi, v.grain, v.period): v.value for v in KpiValue.objects.all()}
    assert from_tables == pytest.approx(from_frames)
    assert _month(world, "admissions").value == 3


def test_a_visit_across_the_autumn_clock_change_keeps_its_real_length(world, ed_unit, settings):
    """01:40 summer time to 01:10 winter time on 3 Nov 2024 is 30 minutes, not minus 30."""
    activity = pytest.importorskip("carehelm.activity.models")
    settings.TIME_ZONE = "America/New_York"
    patient = activity.Patient.objects.create(mrn="DST1")
    visit = activity.Encounter.objects.create(
        facility=world.hospital,
        patient=patient,
        visit_number="DST1",
        encounter_class="emergency",
        status="finished",
        admit_at=dt.datetime(2024, 11, 3, 5, 40, tzinfo=dt.UTC),
        discharge_at=dt.datetime(2024, 11, 3, 6, 10, tzinfo=dt.UTC),
        discharge_disposition="home",
    )
    activity.UnitStay.objects.create(
        encounter=visit, unit=ed_unit, start_at=visit.admit_at, end_at=visit.discharge_at
    )
    services.rebuild_kpis(facility_ids=[world.hospital.pk], as_of="2024-12-01")
    median = KpiValue.objects.get(
        facility=world.hospital, unit=None, kpi="ed_los_median_minutes", grain="day"
    )
    assert median.period == dt.date(2024, 11, 3) and median.value == pytest.approx(30.0)
