"""Health system → facility → unit → room → bed."""

from __future__ import annotations

from django.db import models
from simple_history.models import HistoricalRecords

from carehelm.accounts.scope import RestrictedQuerySet


class FacilityKind(models.TextChoices):
    HOSPITAL = "hospital", "Hospital"
    CLINIC = "clinic", "Medical practice / clinic"
    LONG_TERM_CARE = "long_term_care", "Long-term care"
    HOME_HEALTH = "home_health", "Home health"
    AMBULATORY_SURGERY = "ambulatory_surgery", "Ambulatory surgery"
    MENTAL_HEALTH = "mental_health", "Mental health"
    REHABILITATION = "rehabilitation", "Rehabilitation"
    PUBLIC_HEALTH = "public_health", "Public health"


class UnitKind(models.TextChoices):
    INPATIENT_WARD = "inpatient_ward", "Inpatient ward"
    ICU = "icu", "Intensive care unit"
    EMERGENCY = "emergency", "Emergency department"
    OPERATING_THEATRE = "operating_theatre", "Operating theatre"
    MATERNITY = "maternity", "Maternity"
    OUTPATIENT = "outpatient", "Outpatient clinic"
    ADMINISTRATIVE = "administrative", "Administrative"


class BedStatus(models.TextChoices):
    """HL7 v2 table 0116 (bed status) plus reserved and blocked."""

    OCCUPIED = "O", "Occupied"
    UNOCCUPIED = "U", "Unoccupied"
    HOUSEKEEPING = "H", "Housekeeping"
    CLOSED = "C", "Closed"
    ISOLATED = "I", "Isolated"
    CONTAMINATED = "K", "Contaminated"
    RESERVED = "R", "Reserved"
    BLOCKED = "B", "Blocked"


# Beds a patient cannot be put in right now (the "unavailable" column of the census).
UNAVAILABLE_BED_STATUSES = (BedStatus.HOUSEKEEPING, BedStatus.CLOSED, BedStatus.CONTAMINATED, BedStatus.BLOCKED)


class HealthSystem(models.Model):
    name = models.CharField(max_length=200)
    code = models.SlugField(max_length=32, unique=True)
    history = HistoricalRecords()
    objects = RestrictedQuerySet.as_manager()
    scope_lookups = {"public_to_signed_in": True}

    def __str__(self) -> str:
        return self.name


class Facility(models.Model):
    health_system = models.ForeignKey(HealthSystem, on_delete=models.PROTECT, related_name="facilities")
    name = models.CharField(max_length=200)
    code = models.SlugField(max_length=32, unique=True)
    kind = models.CharField(max_length=32, choices=FacilityKind.choices)
    address = models.CharField(max_length=300, blank=True)
    phone = models.CharField(max_length=40, blank=True)
    history = HistoricalRecords()
    objects = RestrictedQuerySet.as_manager()
    scope_lookups = {"facility": "id", "unit": "units__id", "staff": ["units__home_staff__id"]}

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "facilities"

    def __str__(self) -> str:
        return self.name


class Unit(models.Model):
    facility = models.ForeignKey(Facility, on_delete=models.PROTECT, related_name="units")
    name = models.CharField(max_length=200)
    code = models.CharField(max_length=32, help_text="Short code used on rosters and in HL7 PV1-3 (point of care).")
    kind = models.CharField(max_length=32, choices=UnitKind.choices)
    cost_centre = models.CharField("cost-centre code", max_length=32, blank=True)
    staffed_beds = models.PositiveIntegerField(default=0)
    history = HistoricalRecords()
    objects = RestrictedQuerySet.as_manager()
    scope_lookups = {"facility": "facility_id", "unit": "id", "staff": ["home_staff__id"]}

    class Meta:
        ordering = ["facility__name", "name"]
        constraints = [models.UniqueConstraint(fields=["facility", "code"], name="unique_unit_code_per_facility")]

    def __str__(self) -> str:
        return f"{self.name} ({self.facility.code})"


class Room(models.Model):
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="rooms")
    name = models.CharField(max_length=32)
    history = HistoricalRecords()
    objects = RestrictedQuerySet.as_manager()
    scope_lookups = {"facility": "unit__facility_id", "unit": "unit_id"}

    class Meta:
        ordering = ["unit", "name"]
        constraints = [models.UniqueConstraint(fields=["unit", "name"], name="unique_room_per_unit")]

    def __str__(self) -> str:
        return f"{self.unit.code} {self.name}"


class Bed(models.Model):
    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="beds")
    label = models.CharField(max_length=32)
    status = models.CharField(max_length=1, choices=BedStatus.choices, default=BedStatus.UNOCCUPIED)
    history = HistoricalRecords()
    objects = RestrictedQuerySet.as_manager()
    scope_lookups = {"facility": "room__unit__facility_id", "unit": "room__unit_id"}

    class Meta:
        ordering = ["room", "label"]
        constraints = [models.UniqueConstraint(fields=["room", "label"], name="unique_bed_per_room")]

    def __str__(self) -> str:
        return f"{self.room} {self.label}"
