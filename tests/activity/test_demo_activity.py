"""The demo's simulated activity (small scale): history, patients in beds, and a feed that folds onto it."""

from __future__ import annotations

import random

import pytest
from django.db.models import F
from django.utils import timezone

from carehelm.activity import demo as activity_demo
from carehelm.activity.feeds import compose_adt
from carehelm.activity.models import Encounter, UnitStay
from carehelm.activity.selectors import census_at
from carehelm.activity.services import course_of, receive_adt
from carehelm.organization.models import Bed

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    from django.db import transaction

    from carehelm.demo.build import build_demo

    # Built once for the module inside a transaction that is rolled back at the end (as Django's
    # setUpTestData does); each test runs in a savepoint inside it.
    with django_db_blocker.unblock(), transaction.atomic():
        # The foundation's demo without the other apps' steps, then this app's step alone.
        build_demo(scale=0.1, with_extras=False)
        activity_demo.build(rng=random.Random(5), today=timezone.localdate(), scale=0.1)
        yield
        transaction.set_rollback(True)


def test_demo_history_is_ordered_and_spans_weeks(demo):
    assert Encounter.objects.filter(source="demo").count() > 300
    assert not Encounter.objects.filter(discharge_at__lt=F("admit_at")).exists()
    assert not UnitStay.objects.filter(end_at__lt=F("start_at")).exists()
    first = Encounter.objects.filter(admit_at__isnull=False).order_by("admit_at").first().admit_at
    assert (timezone.now() - first).days >= 14


def test_in_house_patients_occupy_beds_and_the_census_counts_them(demo):
    open_in_beds = UnitStay.objects.filter(end_at__isnull=True, bed__isnull=False)
    assert open_in_beds.exists()
    # A bed holds at most one patient, and a bed with a patient in it is marked occupied.
    assert open_in_beds.values("bed").distinct().count() == open_in_beds.count()
    assert set(Bed.objects.filter(status="O").values_list("pk", flat=True)) == set(
        open_in_beds.values_list("bed_id", flat=True)
    )
    census = census_at()
    units = [u["unit"] for u in census["units"] if u["facility"] == "rgh"]
    in_house = UnitStay.objects.filter(end_at__isnull=True, unit__code__in=units, unit__facility__code="rgh")
    assert sum(u["occupied"] for u in census["units"]) == in_house.count() > 0


def test_every_in_house_patients_message_log_folds_to_their_stored_stays(demo):
    in_house = Encounter.objects.filter(status__in=("active", "planned"), source="demo")
    assert in_house.exists()
    for enc in in_house:
        course = course_of(enc)
        stored = list(enc.stays.order_by("start_at").values_list("unit_id", "bed_id", "start_at", "end_at"))
        assert [(s.unit_id, s.bed_id, s.start, s.end) for s in course.stays] == stored
        pending = sorted(enc.pending_moves.values_list("kind", "from_unit_id", "to_unit_id", "start_at"))
        assert sorted((p.kind, p.from_unit_id, p.to_unit_id, p.start) for p in course.pendings) == pending


def test_a_live_discharge_folds_onto_a_demo_patient(demo):
    stay = (
        UnitStay.objects.filter(end_at__isnull=True, bed__isnull=False, unit__code="ICU")
        .select_related("encounter__patient", "bed__room", "unit")
        .first()
        or UnitStay.objects.filter(end_at__isnull=True, bed__isnull=False)
        .select_related("encounter__patient", "bed__room", "unit")
        .first()
    )
    enc = stay.encounter
    now = timezone.localtime().replace(tzinfo=None, microsecond=0)
    message = compose_adt(
        trigger="A03",
        control_id="LIVE-1",
        visit_number=enc.visit_number,
        mrn=enc.patient.mrn,
        authority="RGH",
        event_time=now,
        location=(stay.unit.code, stay.bed.room.name, stay.bed.label, "rgh"),
    )
    result = receive_adt(message)
    assert result.status == "applied", result.reason
    enc.refresh_from_db()
    stay.bed.refresh_from_db()
    assert enc.status == "finished" and stay.bed.status == "H"
