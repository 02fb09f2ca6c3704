"""Credential status, computed from dates and verification — never stored by hand.

Precedence, worst first: expired → unverified → expiring (within 90/60/30/7 days) → valid.
A required credential that a person does not hold at all is "missing" (see
``selectors.missing_required_credentials``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Case, CharField, Q, Value, When

from carehelm.workforce.models import VerificationResult

EXPIRY_WINDOWS = (90, 60, 30, 7)

VALID = "valid"
EXPIRING = "expiring"
EXPIRED = "expired"
UNVERIFIED = "unverified"
MISSING = "missing"
STATUS_LABELS = {
    VALID: "Valid",
    EXPIRING: "Expiring",
    EXPIRED: "Expired",
    UNVERIFIED: "Unverified",
    MISSING: "Missing (required)",
}


@dataclass(frozen=True)
class CredentialStatus:
    status: str
    days_left: int | None
    window: int | None  # the tightest expiry window (7/30/60/90) the expiry falls in

    @property
    def label(self) -> str:
        if self.status == EXPIRING and self.window:
            return f"Expiring ≤ {self.window} days"
        return STATUS_LABELS[self.status]


def window_for(days_left: int) -> int | None:
    for window in sorted(EXPIRY_WINDOWS):
        if days_left <= window:
            return window
    return None


def credential_status(
    *, expires_on: dt.date | None, verification_result: str, today: dt.date
) -> CredentialStatus:
    days_left = (expires_on - today).days if expires_on else None
    if days_left is not None and days_left < 0:
        return CredentialStatus(EXPIRED, days_left, None)
    if verification_result != VerificationResult.VERIFIED:
        return CredentialStatus(UNVERIFIED, days_left, window_for(days_left) if days_left is not None else None)
    if days_left is not None and days_left <= max(EXPIRY_WINDOWS):
        return CredentialStatus(EXPIRING, days_left, window_for(days_left))
    return CredentialStatus(VALID, days_left, None)


def status_of(credential, today: dt.date) -> CredentialStatus:
    return credential_status(
        expires_on=credential.expires_on, verification_result=credential.verification_result, today=today
    )


def status_expression(today: dt.date):
    """The same rule as ``credential_status`` as a database expression, for filtering and counting."""
    horizon = today + dt.timedelta(days=max(EXPIRY_WINDOWS))
    return Case(
        When(expires_on__lt=today, then=Value(EXPIRED)),
        When(~Q(verification_result=VerificationResult.VERIFIED), then=Value(UNVERIFIED)),
        When(expires_on__lte=horizon, then=Value(EXPIRING)),
        default=Value(VALID),
        output_field=CharField(),
    )
