"""The KPI rebuild as a background task with a Run: progress, result, cancel, all-or-nothing."""

from __future__ import annotations

import pytest

from carehelm.quality import services
from carehelm.quality.models import KpiValue
from carehelm.runs.models import RunStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def immediate_tasks(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


def test_rebuild_task_finishes_its_run_with_the_count(world, hand_frames, immediate_tasks, monkeypatch):
    # The worker reads the activity tables; here they are the hand-made frames of conftest.
    monkeypatch.setattr(services, "activity_frames", lambda ids: hand_frames)
    run = services.start_kpi_rebuild(actor=world.users["facility_admin"], facility_ids=[world.hospital.pk])
    run.refresh_from_db()
    assert run.status == RunStatus.SUCCEEDED, run.error
    assert run.progress == 1.0 and run.facility_id == world.hospital.pk
    assert run.result["values"] == KpiValue.objects.filter(facility=world.hospital).count() > 0


def test_cancelled_rebuild_keeps_the_previous_values(world, hand_frames):
    from carehelm.quality.tasks import rebuild_kpis_task
    from carehelm.runs.services import start_run

    services.rebuild_kpis(frames=hand_frames, facility_ids=[world.hospital.pk])
    before = sorted(KpiValue.objects.values_list("pk", flat=True))
    run = start_run(kind="kpi.rebuild", title="KPI rebuild")
    run.cancel_requested = True
    run.save()
    rebuild_kpis_task.call(run_id=run.pk, facility_ids=[world.hospital.pk])
    run.refresh_from_db()
    assert run.status == RunStatus.CANCELLED
    assert sorted(KpiValue.objects.values_list("pk", flat=True)) == before


def test_rebuild_page_starts_a_run_and_shows_its_progress(
    world, client_for, hand_frames, immediate_tasks, monkeypatch
):
    monkeypatch.setattr(services, "activity_frames", lambda ids: hand_frames)
    client = client_for(world.users["executive"])
    response = client.post("/quality/rebuild", {"facility": world.hospital.pk})
    assert response.status_code == 302
    page = client.get(response["Location"])
    assert "KPI rebuild" in page.content.decode() and "Succeeded" in page.content.decode()
    staff_index = client_for(world.users["staff"]).get("/quality/")
    assert staff_index.status_code == 403
