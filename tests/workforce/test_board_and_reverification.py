"""The board's unit filter, who sees an import in their trail, and re-verification after a discrepancy."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from carehelm.audit.selectors import events_for
from carehelm.workforce import selectors, services
from carehelm.workforce.models import VerificationResult
from tests import factories as f
from tests.workforce.test_imports import STAFF_HEADER, csv_text, staff_rows


def test_the_boards_unit_filter_includes_staff_who_float_to_that_unit(world):
    soon = timezone.localdate() + dt.timedelta(days=10)
    world.medsurg_nurse.float_units.add(world.icu)
    f.StaffCredentialFactory(staff=world.medsurg_nurse, expires_on=soon)
    rows = selectors.expiry_board(world.users["executive"], unit=world.icu.pk, within=30)
    assert world.medsurg_nurse in [r.staff for r in rows]
    # ...and the directory's unit filter gives the same people.
    assert world.medsurg_nurse in selectors.staff_list(world.users["executive"], unit=world.icu.pk)


def test_a_unit_manager_sees_their_own_import_in_the_audit_trail(world):
    manager = world.users["unit_manager"]
    services.import_staff_csv(actor=manager, content=csv_text(STAFF_HEADER, staff_rows(3)), filename="icu.csv")
    assert events_for(manager, action="staff.imported").filter(object_id="icu.csv").exists()
    # The med-surg manager does not.
    other = f.UserFactory(username="manager.ms4")
    f.grant(other, "unit_manager", unit=world.medsurg)
    assert not events_for(other, action="staff.imported").exists()


def test_a_credential_with_a_discrepancy_can_be_verified_again_from_the_staff_page(world, client):
    cred = f.StaffCredentialFactory(staff=world.icu_nurse, verification_result=VerificationResult.DISCREPANCY)
    client.force_login(world.users["compliance"])
    page = client.get(f"/staff/{world.icu_nurse.pk}/")
    assert f"/credentials/{cred.pk}/verify/" in page.content.decode()
    client.post(f"/credentials/{cred.pk}/verify/", {"source": "State board lookup", "result": "verified"})
    cred.refresh_from_db()
    assert cred.verification_result == VerificationResult.VERIFIED
    page = client.get(f"/staff/{world.icu_nurse.pk}/")
    assert f"/credentials/{cred.pk}/verify/" not in page.content.decode()
