"""Long work as a Run: progress the page can poll, and a Cancel that the task honours."""

from __future__ import annotations

import pytest

from carehelm.audit.models import AuditEvent
from carehelm.runs import services
from carehelm.runs.models import Run, RunStatus


def test_cancelling_a_run_from_the_page_stops_the_task_and_is_audited(world, client):
    run = services.start_run(kind="test.work", title="Long work", actor=world.users["unit_manager"],
                             facility_id=world.hospital.pk, unit_id=world.icu.pk)
    client.force_login(world.users["unit_manager"])
    response = client.post(f"/runs/{run.pk}/cancel", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    steps = []

    def body(run_id):
        for step in range(5):
            steps.append(step)
            services.report(run_id, progress=step / 5, message=f"step {step}")
        return {"done": True}

    services.run_task_body(run.pk, body)
    run.refresh_from_db()
    assert run.status == RunStatus.CANCELLED
    assert steps == [0]
    event = AuditEvent.objects.get(action="run.cancel_requested")
    assert event.unit_id == world.icu.pk


def test_a_run_outside_the_managers_units_cannot_be_seen_or_cancelled(world, client):
    run = services.start_run(kind="test.work", title="Elsewhere", facility_id=world.hospital.pk,
                             unit_id=world.medsurg.pk)
    client.force_login(world.users["unit_manager"])
    assert client.get(f"/runs/{run.pk}/").status_code == 404
    assert client.post(f"/runs/{run.pk}/cancel").status_code == 404
    assert not Run.objects.get(pk=run.pk).cancel_requested


@pytest.mark.parametrize("failure", [ValueError("bad input"), RuntimeError("solver crashed")])
def test_a_failing_task_leaves_its_run_failed_with_the_reason(world, failure):
    run = services.start_run(kind="test.work", title="Doomed")

    def body(run_id):
        raise failure

    services.run_task_body(run.pk, body)
    run.refresh_from_db()
    assert run.status == RunStatus.FAILED
    assert str(failure) in run.error
