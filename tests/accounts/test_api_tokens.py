"""Personal API tokens: `carehelm token create USERNAME`, Bearer auth with the user's reach, revocation."""

from __future__ import annotations

import io
import re

import pytest
from django.core.management import CommandError, call_command

from carehelm.accounts.models import ApiToken
from carehelm.audit.models import AuditEvent


def _create_token(username: str) -> str:
    out = io.StringIO()
    call_command("token", "create", username, stdout=out)
    return out.getvalue().strip()


def _bearer(secret: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def test_token_created_on_the_command_line_reaches_what_its_user_reaches(client, world):
    secret = _create_token("manager.icu")
    assert secret.startswith("chm_") and len(secret) > 30

    response = client.get("/api/workforce/staff", **_bearer(secret))
    assert response.status_code == 200
    assert [s["employee_number"] for s in response.json()["items"]] == [world.icu_nurse.employee_number]
    assert client.get(f"/api/workforce/staff/{world.clinic_nurse.pk}", **_bearer(secret)).status_code == 404
    assert client.get("/api/accounts/me", **_bearer(secret)).json()["username"] == "manager.icu"


def test_executive_token_reaches_the_whole_health_system(client, world):
    secret = _create_token("exec")
    items = client.get("/api/workforce/staff", **_bearer(secret)).json()["items"]
    assert len(items) == 3


def test_token_secret_is_not_stored_in_clear(world):
    secret = _create_token("compliance")
    token = ApiToken.objects.get(user=world.users["compliance"])
    stored = [str(getattr(token, f.attname)) for f in ApiToken._meta.concrete_fields]
    assert all(secret not in value for value in stored)
    assert token.key_digest != secret
    assert len(token.key_prefix) < len(secret) // 2  # only a recognisable prefix is kept
    assert not AuditEvent.objects.filter(summary__contains=secret).exists()


def test_revoked_token_is_refused_with_401_problem(client, world):
    secret = _create_token("manager.icu")
    prefix = secret[:10]
    call_command("token", "revoke", "manager.icu", prefix, stdout=io.StringIO())
    response = client.get("/api/workforce/staff", **_bearer(secret))
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["status"] == 401


def test_unknown_or_malformed_token_is_refused(client, world):
    assert client.get("/api/workforce/staff", **_bearer("chm_not-a-real-token")).status_code == 401
    assert client.get("/api/workforce/staff", **_bearer("garbage")).status_code == 401


def test_token_of_a_deactivated_user_is_refused(client, world):
    secret = _create_token("manager.icu")
    user = world.users["unit_manager"]
    user.is_active = False
    user.save()
    assert client.get("/api/workforce/staff", **_bearer(secret)).status_code == 401


def test_token_command_refuses_an_unknown_user(db):
    with pytest.raises(CommandError, match="no user named"):
        call_command("token", "create", "nobody", stdout=io.StringIO())


def test_token_can_write_with_its_users_rights_and_the_audit_names_that_user(client, world):
    secret = _create_token("compliance")
    from tests.factories import StaffCredentialFactory

    cred = StaffCredentialFactory(staff=world.medsurg_nurse, verification_result="", verified_at=None)
    response = client.post(
        f"/api/workforce/credentials/{cred.pk}/verify",
        {"source": "AHA eCard lookup"},
        content_type="application/json",
        **_bearer(secret),
    )
    assert response.status_code == 200
    event = AuditEvent.objects.get(action="credential.verified")
    assert event.actor == world.users["compliance"]
    assert event.source == "api"


def test_profile_page_creates_a_token_shown_once_and_revokes_it(client, world):
    user = world.users["facility_admin"]
    client.force_login(user)
    response = client.post("/profile/", {"name": "rota export script"})
    assert response.status_code == 200
    shown = re.search(r"chm_[A-Za-z0-9_\-]+", response.content.decode())
    assert shown, "the new secret is shown on the page"
    secret = shown.group(0)
    token = ApiToken.objects.get(user=user)
    assert token.name == "rota export script"

    # A second visit does not show the secret again.
    assert secret not in client.get("/profile/").content.decode()

    client.logout()
    assert client.get("/api/workforce/staff", **_bearer(secret)).status_code == 200

    client.force_login(user)
    response = client.post(f"/profile/tokens/{token.pk}/revoke")
    assert response.status_code == 302
    client.logout()
    assert client.get("/api/workforce/staff", **_bearer(secret)).status_code == 401


def test_profile_page_refuses_a_token_without_a_name(client, world):
    client.force_login(world.users["executive"])
    response = client.post("/profile/", {"name": "   "})
    assert response.status_code == 200
    assert not ApiToken.objects.exists()


def test_a_user_cannot_revoke_someone_elses_token(client, world):
    _create_token("exec")
    token = ApiToken.objects.get(user=world.users["executive"])
    client.force_login(world.users["unit_manager"])
    assert client.post(f"/profile/tokens/{token.pk}/revoke").status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_a_browser_session_cannot_write_through_the_api_without_the_csrf_token(world):
    from django.test import Client

    from tests.factories import StaffCredentialFactory

    cred = StaffCredentialFactory(staff=world.medsurg_nurse, verification_result="", verified_at=None)
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(world.users["compliance"])
    response = browser.post(
        f"/api/workforce/credentials/{cred.pk}/verify", {"source": "AHA"}, content_type="application/json"
    )
    assert response.status_code in (401, 403)
    cred.refresh_from_db()
    assert cred.verification_result == ""

    # A script with a token needs no CSRF token: it sends no cookies a third-party site could ride on.
    secret = _create_token("compliance")
    script = Client(enforce_csrf_checks=True)
    response = script.post(
        f"/api/workforce/credentials/{cred.pk}/verify",
        {"source": "AHA"},
        content_type="application/json",
        **_bearer(secret),
    )
    assert response.status_code == 200
