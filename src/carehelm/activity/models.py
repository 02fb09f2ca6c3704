"""Patient activity: patients, encounters, their unit stays (location history), pending moves
and the ADT message log they are derived from.

An encounter's stays and pending moves are *derived*: they are rebuilt from the encounter's applied
ADT messages, folded in effective-time order (see :mod:`carehelm.activity.course`). So the census
at any past instant is read from stay intervals, never from the beds' current status, and a late
message lands where it belongs.

No names, addresses or phone numbers are kept: a patient is an MRN with its assigning authority
and the three demographics the KPIs need. Activity rows carry no row history (simple_history):
the ADT message log *is* their history, and bulk loads would double in cost.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from carehelm.accounts.scope import RestrictedQuerySet
from carehelm.organization.models import Bed, Facility, Unit


class EncounterClass(models.TextChoices):
    INPATIENT = "inpatient", "Inpatient"
    EMERGENCY = "emergency", "Emergency"
    OUTPATIENT = "outpatient", "Outpatient"
    OBSERVATION = "observation", "Observation"


class EncounterStatus(models.TextChoices):
    PLANNED = "planned", "Planned (pre-admitted / pending admit)"
    ACTIVE = "active", "In house"
    FINISHED = "finished", "Discharged"
    CANCELLED = "cancelled", "Cancelled"


class Patient(models.Model):
    mrn = models.CharField("MRN", max_length=64)
    authority = models.CharField("assigning authority", max_length=64, blank=True, default="")
    birth_date = models.DateField(null=True, blank=True)
    sex = models.CharField(max_length=16, blank=True, default="")
    postal_code = models.CharField(max_length=16, blank=True, default="")

    objects = RestrictedQuerySet.as_manager()
    scope_lookups = {"facility": "encounters__facility_id", "unit": "encounters__stays__unit_id"}

    class Meta:
        constraints = [models.UniqueConstraint(fields=["mrn", "authority"], name="unique_patient_mrn")]

    def __str__(self) -> str:
        return f"MRN {self.mrn}" + (f" ({self.authority})" if self.authority else "")


class Encounter(models.Model):
    facility = models.ForeignKey(Facility, on_delete=models.PROTECT, related_name="encounters")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="encounters")
    visit_number = models.CharField(max_length=64)
    encounter_class = models.CharField(max_length=16, choices=EncounterClass.choices)
    status = models.CharField(max_length=16, choices=EncounterStatus.choices, default=EncounterStatus.ACTIVE)
    admit_at = models.DateTimeField(null=True, blank=True)
    discharge_at = models.DateTimeField(null=True, blank=True)
    admit_source = models.CharField(max_length=32, blank=True, default="", help_text="HL7 table 0023")
    discharge_disposition = models.CharField(
        max_length=32, blank=True, default="", help_text="HL7 table 0112"
    )
    expected_discharge_at = models.DateTimeField(null=True, blank=True)
    hospital_service = models.CharField(max_length=32, blank=True, default="")
    on_leave = models.BooleanField(default=False, help_text="On a leave of absence (A21), bed kept")
    source = models.CharField(max_length=16, default="hl7", help_text="hl7, fhir, synthea or demo")

    objects = RestrictedQuerySet.as_manager()
    # Staff members reach no encounter lists: the bed board of their home unit is all they see.
    scope_lookups = {"facility": "facility_id", "unit": "stays__unit_id"}

    class Meta:
        ordering = ["-admit_at"]
        constraints = [
            models.UniqueConstraint(fields=["facility", "visit_number"], name="unique_visit_per_facility")
        ]
        indexes = [models.Index(fields=["facility", "admit_at"]), models.Index(fields=["status"])]

    def __str__(self) -> str:
        return f"visit {self.visit_number}"


class UnitStay(models.Model):
    """One stretch of an encounter in one unit (and bed): the location history."""

    encounter = models.ForeignKey(Encounter, on_delete=models.CASCADE, related_name="stays")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="stays")
    bed = models.ForeignKey(Bed, null=True, blank=True, on_delete=models.SET_NULL, related_name="stays")
    start_at = models.DateTimeField()
    end_at = models.DateTimeField(null=True, blank=True)

    objects = RestrictedQuerySet.as_manager()
    scope_lookups = {"facility": "unit__facility_id", "unit": "unit_id"}

    class Meta:
        ordering = ["encounter", "start_at"]
        indexes = [
            models.Index(fields=["unit", "start_at", "end_at"]),
            models.Index(fields=["bed", "end_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.encounter} in {self.unit.code} from {self.start_at:%Y-%m-%d %H:%M}"


class PendingKind(models.TextChoices):
    ADMIT = "admit", "Pending admit"
    TRANSFER = "transfer", "Pending transfer"
    DISCHARGE = "discharge", "Pending discharge"


class PendingMove(models.Model):
    """A move announced but not yet made (A05/A14 pending admit, A15 transfer, A16 discharge).

    It counts as *pending in* for ``to_unit`` and *pending out* for ``from_unit`` while
    ``start_at <= t < end_at``; it ends when the move happens or is cancelled.
    """

    encounter = models.ForeignKey(Encounter, on_delete=models.CASCADE, related_name="pending_moves")
    kind = models.CharField(max_length=16, choices=PendingKind.choices)
    from_unit = models.ForeignKey(Unit, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    to_unit = models.ForeignKey(Unit, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    to_bed = models.ForeignKey(Bed, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    start_at = models.DateTimeField()
    end_at = models.DateTimeField(null=True, blank=True)

    objects = RestrictedQuerySet.as_manager()
    scope_lookups = {"facility": "encounter__facility_id", "unit": ["from_unit_id", "to_unit_id"]}

    class Meta:
        indexes = [models.Index(fields=["start_at", "end_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for {self.encounter}"


class AdtStatus(models.TextChoices):
    APPLIED = "applied", "Applied"
    REFUSED = "refused", "Refused"
    DUPLICATE = "duplicate", "Duplicate"


class AdtMessage(models.Model):
    """Every ADT message received, whatever became of it.

    ``raw`` keeps the message for replay (it may carry names: it never leaves the database, and
    nothing logs or audits it); ``payload`` is what the course fold needs, with locations
    already resolved to our units and beds.
    """

    control_id = models.CharField("MSH-10", max_length=64)
    trigger = models.CharField(max_length=3)
    effective_at = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(max_length=16, choices=AdtStatus.choices)
    reason = models.CharField(max_length=300, blank=True, default="")
    raw_sha256 = models.CharField(max_length=64)
    raw = models.TextField(blank=True, default="")
    visit_number = models.CharField(max_length=64, blank=True, default="")
    facility = models.ForeignKey(Facility, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    encounter = models.ForeignKey(
        Encounter, null=True, blank=True, on_delete=models.SET_NULL, related_name="messages"
    )
    payload = models.JSONField(default=dict, blank=True)
    channel = models.CharField(max_length=16, default="file", help_text="file, mllp, api or demo")

    objects = RestrictedQuerySet.as_manager()
    scope_lookups = {"facility": "facility_id"}

    class Meta:
        ordering = ["-id"]
        constraints = [
            # Idempotency: a control id is applied at most once; refusals and duplicates may repeat.
            models.UniqueConstraint(
                fields=["control_id"], condition=Q(status="applied"), name="unique_applied_control_id"
            ),
        ]
        indexes = [models.Index(fields=["control_id"]), models.Index(fields=["encounter", "effective_at"])]

    def __str__(self) -> str:
        return f"{self.trigger} {self.control_id} ({self.status})"
