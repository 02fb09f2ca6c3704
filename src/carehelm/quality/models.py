"""KPI values (the KPI engine's tidy rows, stored per facility/unit) and KPI targets.

``KpiValue`` rows are written only by ``services.rebuild_kpis`` (a background task with a Run):
the page, the API and the exports all read these same rows, so a figure is computed once and
shown the same everywhere. A row with ``unit`` empty is the facility-level figure.

Who sees what (``scope_lookups``): executives and compliance see every row; a facility admin the
rows of their facilities (both levels); a unit manager the unit-level rows of their units only (a
facility total mixes other units' activity); a staff member sees no KPI rows — KPIs are
management information, and ward staff see them on the board summary their manager takes to them.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from carehelm.accounts.scope import RestrictedQuerySet
from carehelm.organization.models import Facility, Unit


class Grain(models.TextChoices):
    DAY = "day", "Day"
    WEEK = "week", "Week (from Monday)"
    MONTH = "month", "Month"


class KpiValue(models.Model):
    grain = models.CharField(max_length=8, choices=Grain.choices)
    period = models.DateField(help_text="First day of the period (cut to the data's range at the edges).")
    facility = models.ForeignKey(Facility, on_delete=models.CASCADE, related_name="kpi_values")
    unit = models.ForeignKey(Unit, null=True, blank=True, on_delete=models.CASCADE, related_name="kpi_values")
    kpi = models.CharField(max_length=64)
    numerator = models.FloatField(null=True, blank=True)
    denominator = models.FloatField(null=True, blank=True)
    value = models.FloatField(null=True, blank=True, help_text="Empty when there is nothing to divide by.")
    computed_at = models.DateTimeField()

    objects = RestrictedQuerySet.as_manager()
    scope_lookups = {"facility": "facility_id", "unit": "unit_id"}

    class Meta:
        ordering = ["facility_id", "unit_id", "kpi", "grain", "period"]
        indexes = [
            models.Index(fields=["facility", "unit", "kpi", "grain", "period"], name="kpi_series_idx"),
            models.Index(fields=["grain", "period"], name="kpi_period_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kpi} {self.grain} {self.period} = {self.value}"


class KpiTarget(models.Model):
    """The level a KPI should reach in one facility (``unit`` empty) or unit.

    The SPC chart draws it as a line and the Making Data Count assurance icon compares it with the
    process limits; the improvement direction comes from the KPI catalogue, not the target.
    """

    kpi = models.CharField(max_length=64)
    facility = models.ForeignKey(Facility, on_delete=models.CASCADE, related_name="kpi_targets")
    unit = models.ForeignKey(
        Unit, null=True, blank=True, on_delete=models.CASCADE, related_name="kpi_targets"
    )
    value = models.FloatField(help_text="In the KPI's unit of measure (e.g. 12 for 12 %).")
    note = models.CharField(max_length=300, blank=True, default="")
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = RestrictedQuerySet.as_manager()
    scope_lookups = {"facility": "facility_id", "unit": "unit_id"}

    class Meta:
        ordering = ["facility_id", "unit_id", "kpi"]
        constraints = [
            models.UniqueConstraint(
                fields=["kpi", "facility", "unit"],
                condition=Q(unit__isnull=False),
                name="unique_kpi_target_per_unit",
            ),
            models.UniqueConstraint(
                fields=["kpi", "facility"],
                condition=Q(unit__isnull=True),
                name="unique_kpi_target_per_facility",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kpi} target {self.value:g}"
