"""Credential status rules at their boundaries, and the database expression agreeing with Python.

Rules (issue 2): valid; expiring within 90/60/30/7 days; expired; unverified; missing-but-required
(BLS for every RN, ACLS for RNs in ICU and ED). A credential is good through its expiry date:
it expires the day after.
"""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from carehelm.organization.models import UnitKind
from carehelm.workforce import selectors
from carehelm.workforce import status as cs
from carehelm.workforce.models import StaffCredential
from tests import factories as f

TODAY = dt.date(2026, 3, 15)


def status_in(days: int | None, result: str = "verified") -> cs.CredentialStatus:
    expires = None if days is None else TODAY + dt.timedelta(days=days)
    return cs.credential_status(expires_on=expires, verification_result=result, today=TODAY)


@pytest.mark.parametrize(
    ("days", "status", "window"),
    [
        (-1, cs.EXPIRED, None),  # expired yesterday
        (-400, cs.EXPIRED, None),
        (0, cs.EXPIRING, 7),  # expires today: still good today
        (1, cs.EXPIRING, 7),  # tomorrow
        (7, cs.EXPIRING, 7),
        (8, cs.EXPIRING, 30),
        (30, cs.EXPIRING, 30),
        (31, cs.EXPIRING, 60),
        (60, cs.EXPIRING, 60),
        (61, cs.EXPIRING, 90),
        (90, cs.EXPIRING, 90),
        (91, cs.VALID, None),
        (730, cs.VALID, None),
        (None, cs.VALID, None),  # a credential that does not expire
    ],
)
def test_verified_credential_status_at_each_expiry_boundary(days, status, window):
    result = status_in(days)
    assert (result.status, result.window) == (status, window)
    assert result.days_left == days


def test_expiring_label_names_the_tightest_window():
    assert status_in(7).label == "Expiring ≤ 7 days"
    assert status_in(8).label == "Expiring ≤ 30 days"
    assert status_in(91).label == "Valid"


@pytest.mark.parametrize("result", ["", "discrepancy", "unable"])
def test_a_credential_not_verified_against_its_primary_source_is_unverified(result):
    assert status_in(400, result).status == cs.UNVERIFIED
    assert status_in(5, result).status == cs.UNVERIFIED
    assert status_in(None, result).status == cs.UNVERIFIED


def test_expired_beats_unverified():
    assert status_in(-1, "").status == cs.EXPIRED


# --- the database expression agrees with Python ----------------------------------------------------


def _statuses_in_db(today: dt.date) -> dict[int, str]:
    qs = StaffCredential.objects.annotate(computed=cs.status_expression(today))
    return dict(qs.values_list("pk", "computed"))


@pytest.mark.django_db
def test_database_status_agrees_with_python_at_every_boundary():
    staff = f.StaffFactory()
    types = [
        "bls",
        "acls",
        "pals",
        "nrp",
        "rn-licence",
        "dea",
        "fache",
        "cmm",
        "cphq",
        "cphims",
        "cpps",
        "cmpe",
        "chc",
        "lpn-licence",
    ]
    offsets = [-400, -1, 0, 1, 7, 8, 30, 31, 60, 61, 90, 91, None]
    creds = []
    for code, days in zip(types, offsets, strict=False):
        creds.append(
            f.StaffCredentialFactory(
                staff=staff,
                credential_type=f.credential_type(code),
                expires_on=None if days is None else TODAY + dt.timedelta(days=days),
                verification_result="verified" if days != 8 else "",
            )
        )
    in_db = _statuses_in_db(TODAY)
    for cred in creds:
        assert in_db[cred.pk] == cs.status_of(cred, TODAY).status, cred.expires_on


@pytest.mark.django_db
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    offset=st.one_of(st.none(), st.integers(min_value=-800, max_value=800)),
    result=st.sampled_from(["", "verified", "discrepancy", "unable"]),
    today=st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2090, 12, 31)),
)
def test_database_status_agrees_with_python_for_any_date(offset, result, today):
    cred = StaffCredential.objects.first() or f.StaffCredentialFactory()
    expires = None if offset is None else today + dt.timedelta(days=offset)
    StaffCredential.objects.filter(pk=cred.pk).update(expires_on=expires, verification_result=result)
    cred.refresh_from_db()
    assert _statuses_in_db(today)[cred.pk] == cs.status_of(cred, today).status


# --- missing but required ---------------------------------------------------------------------------


def _missing_codes(staff) -> set[str]:
    rows = selectors.missing_required_credentials(type(staff).objects.filter(pk=staff.pk))
    return {r.credential_type.code for r in rows}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("unit_kind", "needs_acls"),
    [
        (UnitKind.ICU, True),
        (UnitKind.EMERGENCY, True),
        (UnitKind.INPATIENT_WARD, False),
        (UnitKind.OUTPATIENT, False),
    ],
)
def test_every_rn_needs_bls_and_rns_in_icu_and_ed_need_acls(unit_kind, needs_acls):
    nurse = f.StaffFactory(home_unit=f.UnitFactory(kind=unit_kind))
    missing = _missing_codes(nurse)
    assert "bls" in missing
    assert ("acls" in missing) == needs_acls


@pytest.mark.django_db
def test_a_held_credential_is_not_missing_even_when_expired():
    nurse = f.StaffFactory(home_unit=f.UnitFactory(kind=UnitKind.ICU))
    f.StaffCredentialFactory(
        staff=nurse,
        credential_type=f.credential_type("bls"),
        expires_on=dt.date.today() - dt.timedelta(days=3),
    )
    f.StaffCredentialFactory(staff=nurse, credential_type=f.credential_type("acls"))
    missing = _missing_codes(nurse)
    assert "bls" not in missing and "acls" not in missing


@pytest.mark.django_db
def test_a_unit_clerk_needs_no_life_support_certification():
    clerk = f.StaffFactory(job_role=f.job_role("unit-clerk"), home_unit=f.UnitFactory(kind=UnitKind.ICU))
    assert _missing_codes(clerk) == set()


@pytest.mark.django_db
def test_expiry_board_window_keeps_only_what_expires_within_it(world):
    today = selectors.today()
    for days, code in [(5, "bls"), (25, "acls"), (45, "pals"), (85, "nrp"), (120, "rn-licence")]:
        f.StaffCredentialFactory(
            staff=world.icu_nurse,
            credential_type=f.credential_type(code),
            expires_on=today + dt.timedelta(days=days),
        )
    user = world.users["executive"]

    def board(within):
        rows = selectors.expiry_board(user, within=within, statuses={cs.EXPIRING})
        return {r.credential_type.code for r in rows}

    assert board(7) == {"bls"}
    assert board(30) == {"bls", "acls"}
    assert board(60) == {"bls", "acls", "pals"}
    assert board(90) == {"bls", "acls", "pals", "nrp"}


@pytest.mark.django_db
def test_dashboard_counts_expired_and_missing(world):
    today = selectors.today()
    f.StaffCredentialFactory(
        staff=world.icu_nurse,
        credential_type=f.credential_type("bls"),
        expires_on=today - dt.timedelta(days=1),
    )
    f.StaffCredentialFactory(
        staff=world.icu_nurse,
        credential_type=f.credential_type("acls"),
        expires_on=today + dt.timedelta(days=20),
    )
    counts = selectors.credential_counts(world.users["unit_manager"], on=today)
    assert counts[cs.EXPIRED] == 1
    assert counts[cs.EXPIRING] == 1
    assert counts["within_30"] == 1
    assert counts[cs.MISSING] == 1  # the ICU RN holds BLS and ACLS but no RN licence
