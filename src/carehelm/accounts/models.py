"""Users, the roles they hold (with the scope each applies to) and personal API tokens."""

from __future__ import annotations

import hashlib

from django.contrib.auth.models import AbstractUser
from django.db import models
from simple_history.models import HistoricalRecords


class Role(models.TextChoices):
    EXECUTIVE = "executive", "Executive"
    FACILITY_ADMIN = "facility_admin", "Facility administrator"
    UNIT_MANAGER = "unit_manager", "Unit manager"
    COMPLIANCE = "compliance", "Compliance officer"
    STAFF = "staff", "Staff member"


class User(AbstractUser):
    """A person who logs in. Their reach is the union of their role grants."""

    history = HistoricalRecords(excluded_fields=["password", "last_login"])

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.username


class RoleGrant(models.Model):
    """One role held by a user over one scope.

    Executive and compliance officer reach the whole health system; a facility administrator one
    facility; a unit manager one unit; a staff member only their own record (via Staff.user).
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="role_grants")
    role = models.CharField(max_length=32, choices=Role.choices)
    health_system = models.ForeignKey(
        "organization.HealthSystem", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    facility = models.ForeignKey(
        "organization.Facility", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    unit = models.ForeignKey("organization.Unit", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    granted_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "role", "health_system", "facility", "unit"], name="unique_role_grant"
            )
        ]

    def __str__(self) -> str:
        where = self.unit or self.facility or self.health_system or "own record"
        return f"{self.get_role_display()} — {where}"


class ApiToken(models.Model):
    """A personal API token. Only a SHA-256 digest is stored; the secret is shown once."""

    PREFIX = "chm_"

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    key_prefix = models.CharField(max_length=16, help_text="First characters, to recognise a token in lists.")
    key_digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.key_prefix}…)"

    @staticmethod
    def digest(secret: str) -> str:
        return hashlib.sha256(secret.encode()).hexdigest()

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
