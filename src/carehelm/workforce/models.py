"""Staff, job roles and the career ladder, skills, credential types, requirements and credentials.

A credential's status is computed, never stored by hand: see ``carehelm.workforce.status``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

from carehelm.accounts.scope import RestrictedQuerySet
from carehelm.organization.models import UnitKind


class RoleCategory(models.TextChoices):
    CLINICAL = "clinical", "Clinical"
    MANAGEMENT = "management", "Health-services management"
    SUPPORT = "support", "Support"


class JobRole(models.Model):
    """A job in the catalogue; management roles form a ladder through ``next_role``."""

    code = models.SlugField(max_length=32, unique=True)
    name = models.CharField(max_length=120)
    category = models.CharField(max_length=16, choices=RoleCategory.choices)
    education = models.CharField("typical education", max_length=300, blank=True)
    experience = models.CharField("typical experience", max_length=300, blank=True)
    salary_min = models.PositiveIntegerField("salary band minimum (USD/yr)", null=True, blank=True)
    salary_median = models.PositiveIntegerField("salary band median (USD/yr)", null=True, blank=True)
    salary_max = models.PositiveIntegerField("salary band maximum (USD/yr)", null=True, blank=True)
    next_role = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="previous_roles"
    )
    ladder_rank = models.PositiveSmallIntegerField(null=True, blank=True)
    history = HistoricalRecords()
    objects = RestrictedQuerySet.as_manager()
    scope_lookups = {"public_to_signed_in": True}

    class Meta:
        ordering = ["category", "ladder_rank", "name"]

    def __str__(self) -> str:
        return self.name


class Skill(models.Model):
    code = models.SlugField(max_length=32, unique=True)
    name = models.CharField(max_length=120)
    history = HistoricalRecords()
    objects = RestrictedQuerySet.as_manager()
    scope_lookups = {"public_to_signed_in": True}

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class EmploymentType(models.TextChoices):
    FULL_TIME = "full_time", "Full-time"
    PART_TIME = "part_time", "Part-time"
    CASUAL = "casual", "Casual / per diem"
    AGENCY = "agency", "Agency"
    CONTRACT = "contract", "Contract"


class Staff(models.Model):
    employee_number = models.CharField(max_length=32, unique=True)
    first_name = models.CharField(max_length=80)
    last_name = models.CharField(max_length=80)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    job_role = models.ForeignKey(JobRole, on_delete=models.PROTECT, related_name="staff")
    home_unit = models.ForeignKey("organization.Unit", on_delete=models.PROTECT, related_name="home_staff")
    float_units = models.ManyToManyField("organization.Unit", blank=True, related_name="float_staff")
    fte = models.DecimalField("FTE", max_digits=4, decimal_places=2, default=1)
    employment_type = models.CharField(max_length=16, choices=EmploymentType.choices, default=EmploymentType.FULL_TIME)
    hire_date = models.DateField()
    hourly_rate = models.DecimalField(max_digits=8, decimal_places=2)
    skills = models.ManyToManyField(Skill, blank=True, related_name="staff")
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="staff_record"
    )
    active = models.BooleanField(default=True)
    history = HistoricalRecords(m2m_fields=[float_units, skills])
    objects = RestrictedQuerySet.as_manager()
    scope_lookups = {
        "facility": "home_unit__facility_id",
        "unit": ["home_unit_id", "float_units__id"],
        "staff": "id",
    }

    class Meta:
        ordering = ["last_name", "first_name"]
        verbose_name_plural = "staff"

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


class CredentialKind(models.TextChoices):
    LICENCE = "licence", "Licence"
    REGISTRATION = "registration", "Registration"
    LIFE_SUPPORT = "life_support", "Life-support certification"
    MANAGEMENT = "management", "Management certification"
    OTHER = "other", "Other certification"


class CredentialType(models.Model):
    code = models.SlugField(max_length=32, unique=True)
    name = models.CharField(max_length=160)
    kind = models.CharField(max_length=16, choices=CredentialKind.choices)
    issuing_body = models.CharField(max_length=160)
    renewal_months = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Renewal cycle in months; empty when it does not expire."
    )
    description = models.TextField(blank=True)
    job_roles = models.ManyToManyField(JobRole, through="CredentialRequirement", related_name="credential_types")
    history = HistoricalRecords()
    objects = RestrictedQuerySet.as_manager()
    scope_lookups = {"public_to_signed_in": True}

    class Meta:
        ordering = ["kind", "name"]

    def __str__(self) -> str:
        return self.name


class CredentialRequirement(models.Model):
    """A credential required of everyone in a job role, or of everyone working in a unit (or unit kind).

    A requirement with a job role and a unit kind applies only to that role in units of that kind
    (e.g. ACLS for RNs in ICU and ED).
    """

    credential_type = models.ForeignKey(CredentialType, on_delete=models.CASCADE, related_name="requirements")
    job_role = models.ForeignKey(JobRole, null=True, blank=True, on_delete=models.CASCADE, related_name="requirements")
    unit_kind = models.CharField(max_length=32, choices=UnitKind.choices, blank=True)
    unit = models.ForeignKey(
        "organization.Unit", null=True, blank=True, on_delete=models.CASCADE, related_name="credential_requirements"
    )
    for_next_role_only = models.BooleanField(
        default=False, help_text="Expected for the role on the career ladder, not required to work."
    )
    history = HistoricalRecords()
    objects = RestrictedQuerySet.as_manager()
    scope_lookups = {"public_to_signed_in": True}

    def __str__(self) -> str:
        parts = [self.credential_type.code]
        if self.job_role_id:
            parts.append(f"role={self.job_role.code}")
        if self.unit_kind:
            parts.append(f"unit kind={self.unit_kind}")
        if self.unit_id:
            parts.append(f"unit={self.unit.code}")
        return " ".join(parts)


class VerificationResult(models.TextChoices):
    VERIFIED = "verified", "Verified"
    DISCREPANCY = "discrepancy", "Discrepancy found"
    UNABLE = "unable", "Unable to verify"


class StaffCredential(models.Model):
    staff = models.ForeignKey(Staff, on_delete=models.CASCADE, related_name="credentials")
    credential_type = models.ForeignKey(CredentialType, on_delete=models.PROTECT, related_name="held")
    number = models.CharField(max_length=64, blank=True)
    issuer = models.CharField(max_length=160, blank=True)
    issued_on = models.DateField(null=True, blank=True)
    expires_on = models.DateField(null=True, blank=True)
    # Primary-source verification: who checked, when, against what, and what they found.
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    verified_at = models.DateTimeField(null=True, blank=True)
    verification_source = models.CharField(max_length=200, blank=True)
    verification_result = models.CharField(max_length=16, choices=VerificationResult.choices, blank=True)
    history = HistoricalRecords()
    objects = RestrictedQuerySet.as_manager()
    scope_lookups = {
        "facility": "staff__home_unit__facility_id",
        "unit": ["staff__home_unit_id", "staff__float_units__id"],
        "staff": "staff_id",
    }

    class Meta:
        ordering = ["expires_on"]
        constraints = [
            models.UniqueConstraint(fields=["staff", "credential_type"], name="one_current_credential_per_type")
        ]

    def __str__(self) -> str:
        return f"{self.credential_type.code} — {self.staff}"
