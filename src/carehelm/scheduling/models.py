"""Rostering inputs and results: shift types, demand, work rules, requests, roster periods and assignments.

Inputs per unit:
  ShiftType        a kind of shift with real start/end times, paid minutes, the skills it can be worked with
  Demand           minimum and target staff per shift, weekday (or a single date) and optional skill
  CensusForecast   the expected census a manager enters; census-driven demand derives from it by ratio
  ContractTemplate work rules (hours from FTE, consecutive days, rest, nights, weekends, shift maxima)
  StaffContract    which template a staff member works under
  StaffRequest     days off, shift preferences and aversions, leave (approved by the manager), standing
                   unavailability; each with a priority
  PublicHoliday    dates counted like weekends for the on-call fairness rule

Results:
  RosterPeriod     a unit's roster (or on-call rota) for some weeks; draft until published
  Assignment       one person on one shift on one date; ``pinned`` ones survive a re-solve
  SwapRequest      a staff member asks to swap with a colleague; the manager decides
  Absence          a sick call or other absence on a published roster, repaired by the engine
  CalendarFeed     the secret, revocable token of a person's iCalendar feed
"""

from __future__ import annotations

import datetime as dt
import secrets

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

from carehelm.accounts.scope import RestrictedQuerySet

UNIT_SCOPE = {"facility": "unit__facility_id", "unit": "unit_id"}


class ShiftType(models.Model):
    unit = models.ForeignKey("organization.Unit", on_delete=models.CASCADE, related_name="shift_types")
    code = models.SlugField(max_length=16, help_text="Short code shown in the roster grid, e.g. D, N, E, L.")
    name = models.CharField(max_length=80)
    start = models.TimeField()
    end = models.TimeField(help_text="An end at or before the start means the shift runs past midnight.")
    paid_minutes = models.PositiveIntegerField(
        help_text="Paid time, e.g. 690 for a 12-hour shift with a 30-minute break."
    )
    skills = models.ManyToManyField(
        "workforce.Skill",
        blank=True,
        related_name="shift_types",
        help_text="If set, only people holding at least one of these skills may work this shift.",
    )
    on_call = models.BooleanField(default=False, help_text="An on-call duty, rostered on the on-call rota.")
    colour = models.CharField(max_length=7, default="#cfe3f2")
    active = models.BooleanField(default=True)
    history = HistoricalRecords(m2m_fields=[skills])
    objects = RestrictedQuerySet.as_manager()
    scope_lookups = UNIT_SCOPE

    class Meta:
        ordering = ["unit", "start", "code"]
        constraints = [models.UniqueConstraint(fields=["unit", "code"], name="unique_shift_code_per_unit")]

    def __str__(self) -> str:
        return f"{self.code} {self.start:%H:%M}–{self.end:%H:%M}"

    @property
    def start_minute(self) -> int:
        return self.start.hour * 60 + self.start.minute

    @property
    def duration_minutes(self) -> int:
        end = self.end.hour * 60 + self.end.minute
        length = (end - self.start_minute) % (24 * 60)
        return length or 24 * 60

    @property
    def is_night(self) -> bool:
        """A shift that runs past midnight (or starts late in the evening) counts as a night."""
        return self.start_minute + self.duration_minutes > 24 * 60 or self.start_minute >= 20 * 60

    def starts_at(self, day: dt.date) -> dt.datetime:
        return dt.datetime.combine(day, self.start)

    def ends_at(self, day: dt.date) -> dt.datetime:
        return self.starts_at(day) + dt.timedelta(minutes=self.duration_minutes)


class Demand(models.Model):
    """How many people a shift needs: on a weekday, or on one date (an override)."""

    unit = models.ForeignKey("organization.Unit", on_delete=models.CASCADE, related_name="demands")
    shift_type = models.ForeignKey(ShiftType, on_delete=models.CASCADE, related_name="demands")
    weekday = models.PositiveSmallIntegerField(null=True, blank=True, help_text="0 = Monday … 6 = Sunday")
    date = models.DateField(
        null=True, blank=True, help_text="An override for one date; replaces the weekday row."
    )
    skill = models.ForeignKey(
        "workforce.Skill",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Only people holding this skill count; empty means anyone.",
    )
    minimum = models.PositiveSmallIntegerField()
    target = models.PositiveSmallIntegerField()
    from_census = models.BooleanField(default=False, help_text="Derived from the expected census by ratio.")
    history = HistoricalRecords()
    objects = RestrictedQuerySet.as_manager()
    scope_lookups = UNIT_SCOPE

    class Meta:
        ordering = ["unit", "shift_type", "weekday", "date"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(weekday__isnull=False, date__isnull=True)
                    | models.Q(weekday__isnull=True, date__isnull=False)
                ),
                name="demand_weekday_xor_date",
            ),
            models.CheckConstraint(
                condition=models.Q(target__gte=models.F("minimum")), name="demand_target_ge_minimum"
            ),
        ]

    def __str__(self) -> str:
        when = (
            self.date.isoformat()
            if self.date
            else ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"][self.weekday]
        )
        skill = f" {self.skill.code}" if self.skill_id else ""
        return f"{self.shift_type.code} {when}{skill}: {self.minimum}–{self.target}"


class CensusForecast(models.Model):
    unit = models.ForeignKey("organization.Unit", on_delete=models.CASCADE, related_name="census_forecasts")
    date = models.DateField()
    expected_census = models.PositiveIntegerField()
    history = HistoricalRecords()
    objects = RestrictedQuerySet.as_manager()
    scope_lookups = UNIT_SCOPE

    class Meta:
        ordering = ["unit", "date"]
        constraints = [models.UniqueConstraint(fields=["unit", "date"], name="one_census_forecast_per_day")]

    def __str__(self) -> str:
        return f"{self.unit.code} {self.date}: census {self.expected_census}"


class ContractTemplate(models.Model):
    name = models.CharField(max_length=120, unique=True)
    hours_per_week = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        default=40,
        help_text="Hours a week at FTE 1.0; a person's share follows their FTE.",
    )
    max_consecutive_days = models.PositiveSmallIntegerField(default=5)
    min_rest_hours = models.DecimalField(max_digits=4, decimal_places=1, default=11)
    max_consecutive_nights = models.PositiveSmallIntegerField(default=3)
    days_off_after_nights = models.PositiveSmallIntegerField(
        default=2, help_text="Days with no day or evening shift after the last night of a block."
    )
    weekends_per_four_weeks = models.PositiveSmallIntegerField(default=2)
    max_shifts_per_type = models.JSONField(
        default=dict, blank=True, help_text='Per roster period, by shift code, e.g. {"N": 8}.'
    )
    overtime_after_hours = models.DecimalField(
        max_digits=5, decimal_places=2, default=40, help_text="Weekly hours after which overtime is paid."
    )
    history = HistoricalRecords()
    objects = RestrictedQuerySet.as_manager()
    scope_lookups = {"public_to_signed_in": True}

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class StaffContract(models.Model):
    staff = models.OneToOneField("workforce.Staff", on_delete=models.CASCADE, related_name="roster_contract")
    template = models.ForeignKey(ContractTemplate, on_delete=models.PROTECT, related_name="staff_contracts")
    history = HistoricalRecords()
    objects = RestrictedQuerySet.as_manager()
    scope_lookups = {
        "facility": "staff__home_unit__facility_id",
        "unit": "staff__home_unit_id",
        "staff": "staff_id",
    }

    def __str__(self) -> str:
        return f"{self.staff} — {self.template}"


class RequestKind(models.TextChoices):
    DAY_OFF = "day_off", "Day off"
    PREFER = "prefer", "Shift preference"
    AVOID = "avoid", "Shift aversion"
    LEAVE = "leave", "Leave"
    UNAVAILABLE = "unavailable", "Standing unavailability"


class RequestStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"


class Priority(models.IntegerChoices):
    LOW = 1, "Low"
    NORMAL = 2, "Normal"
    HIGH = 3, "High"


class StaffRequest(models.Model):
    """A wish or a limit from a staff member. Leave is hard once approved; others are soft, weighted by priority.

    Standing unavailability applies every ``weekday`` between the dates (or from ``date_from`` on).
    """

    staff = models.ForeignKey("workforce.Staff", on_delete=models.CASCADE, related_name="roster_requests")
    kind = models.CharField(max_length=16, choices=RequestKind.choices)
    date_from = models.DateField()
    date_to = models.DateField(
        null=True,
        blank=True,
        help_text="Last day; empty means the same day (or open-ended for standing unavailability).",
    )
    shift_type = models.ForeignKey(
        ShiftType, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    weekday = models.PositiveSmallIntegerField(null=True, blank=True)
    priority = models.PositiveSmallIntegerField(choices=Priority.choices, default=Priority.NORMAL)
    status = models.CharField(max_length=16, choices=RequestStatus.choices, default=RequestStatus.APPROVED)
    note = models.CharField(max_length=200, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()
    objects = RestrictedQuerySet.as_manager()
    scope_lookups = {
        "facility": "staff__home_unit__facility_id",
        "unit": "staff__home_unit_id",
        "staff": "staff_id",
    }

    class Meta:
        ordering = ["date_from", "staff"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} — {self.staff} from {self.date_from}"

    @property
    def weekday_name(self) -> str:
        names = ("Mondays", "Tuesdays", "Wednesdays", "Thursdays", "Fridays", "Saturdays", "Sundays")
        return names[self.weekday] if self.weekday is not None else ""

    def covers(self, day: dt.date) -> bool:
        last = self.date_to or (None if self.kind == RequestKind.UNAVAILABLE else self.date_from)
        if day < self.date_from or (last is not None and day > last):
            return False
        return self.weekday is None or day.weekday() == self.weekday


class PublicHoliday(models.Model):
    date = models.DateField(unique=True)
    name = models.CharField(max_length=120)
    objects = RestrictedQuerySet.as_manager()
    scope_lookups = {"public_to_signed_in": True}

    class Meta:
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.name} ({self.date})"


class PeriodKind(models.TextChoices):
    ROSTER = "roster", "Unit roster"
    ON_CALL = "on_call", "On-call rota"


class PeriodStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    PUBLISHED = "published", "Published"


class RosterPeriod(models.Model):
    unit = models.ForeignKey("organization.Unit", on_delete=models.CASCADE, related_name="roster_periods")
    kind = models.CharField(max_length=16, choices=PeriodKind.choices, default=PeriodKind.ROSTER)
    start_date = models.DateField()
    weeks = models.PositiveSmallIntegerField(default=4)
    status = models.CharField(max_length=16, choices=PeriodStatus.choices, default=PeriodStatus.DRAFT)
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    max_on_call_in_a_row = models.PositiveSmallIntegerField(
        default=2, help_text="On-call rota: nobody is on call more than this many days in a row."
    )
    budgeted_hours = models.DecimalField(
        max_digits=8,
        decimal_places=1,
        null=True,
        blank=True,
        help_text="The unit's budgeted paid hours for the period.",
    )
    last_run = models.ForeignKey(
        "runs.Run", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    penalty = models.IntegerField(null=True, blank=True)
    lower_bound = models.IntegerField(null=True, blank=True)
    history = HistoricalRecords()
    objects = RestrictedQuerySet.as_manager()
    scope_lookups = {"facility": "unit__facility_id", "unit": "unit_id", "staff": "assignments__staff_id"}

    class Meta:
        ordering = ["-start_date", "unit"]
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "kind", "start_date"], name="one_period_per_unit_kind_start"
            ),
        ]

    def __str__(self) -> str:
        label = "On-call" if self.kind == PeriodKind.ON_CALL else "Roster"
        return f"{label} {self.unit.code} {self.start_date:%d %b %Y} ({self.weeks} wk)"

    @property
    def end_date(self) -> dt.date:
        """The last day of the period (inclusive)."""
        return self.start_date + dt.timedelta(days=7 * self.weeks - 1)

    @property
    def days(self) -> list[dt.date]:
        return [self.start_date + dt.timedelta(days=i) for i in range(7 * self.weeks)]

    @property
    def published(self) -> bool:
        return self.status == PeriodStatus.PUBLISHED


class AssignmentSource(models.TextChoices):
    SOLVER = "solver", "Solver"
    MANUAL = "manual", "Manual"
    REPAIR = "repair", "Repair"
    SWAP = "swap", "Swap"


class Assignment(models.Model):
    period = models.ForeignKey(RosterPeriod, on_delete=models.CASCADE, related_name="assignments")
    staff = models.ForeignKey("workforce.Staff", on_delete=models.CASCADE, related_name="assignments")
    date = models.DateField()
    shift_type = models.ForeignKey(ShiftType, on_delete=models.PROTECT, related_name="assignments")
    pinned = models.BooleanField(default=False, help_text="Kept as it is when the roster is solved again.")
    source = models.CharField(
        max_length=16, choices=AssignmentSource.choices, default=AssignmentSource.SOLVER
    )
    history = HistoricalRecords()
    objects = RestrictedQuerySet.as_manager()
    scope_lookups = {"facility": "period__unit__facility_id", "unit": "period__unit_id", "staff": "staff_id"}

    class Meta:
        ordering = ["date", "shift_type__start", "staff__last_name"]
        constraints = [
            models.UniqueConstraint(fields=["period", "staff", "date"], name="one_assignment_per_person_day"),
        ]

    def __str__(self) -> str:
        return f"{self.staff} {self.date} {self.shift_type.code}"


class SwapStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"


class SwapRequest(models.Model):
    """``requester`` gives their shift on ``requester_date`` to ``colleague``; if ``colleague_date`` is set,
    the colleague's shift on that date goes the other way (a true swap)."""

    period = models.ForeignKey(RosterPeriod, on_delete=models.CASCADE, related_name="swaps")
    requester = models.ForeignKey("workforce.Staff", on_delete=models.CASCADE, related_name="swaps_asked")
    requester_date = models.DateField()
    colleague = models.ForeignKey("workforce.Staff", on_delete=models.CASCADE, related_name="swaps_offered")
    colleague_date = models.DateField(null=True, blank=True)
    note = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=16, choices=SwapStatus.choices, default=SwapStatus.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()
    objects = RestrictedQuerySet.as_manager()
    scope_lookups = {
        "facility": "period__unit__facility_id",
        "unit": "period__unit_id",
        "staff": ["requester_id", "colleague_id"],
    }

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Swap {self.requester} {self.requester_date} ↔ {self.colleague}"


class Absence(models.Model):
    period = models.ForeignKey(RosterPeriod, on_delete=models.CASCADE, related_name="absences")
    staff = models.ForeignKey("workforce.Staff", on_delete=models.CASCADE, related_name="absences")
    date_from = models.DateField()
    date_to = models.DateField()
    reason = models.CharField(max_length=120, default="Sick")
    open_shifts = models.JSONField(
        default=list, blank=True, help_text='Shifts the absence left open: [["2026-03-03", "D"], ...]'
    )
    repaired = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()
    objects = RestrictedQuerySet.as_manager()
    scope_lookups = {"facility": "period__unit__facility_id", "unit": "period__unit_id", "staff": "staff_id"}

    class Meta:
        ordering = ["-date_from"]

    def __str__(self) -> str:
        return f"{self.staff} absent {self.date_from}–{self.date_to} ({self.reason})"

    def covers(self, day: dt.date) -> bool:
        return self.date_from <= day <= self.date_to


def new_feed_token() -> str:
    return secrets.token_urlsafe(24)


class CalendarFeed(models.Model):
    """The secret in a personal iCalendar URL. Revoking replaces it, so old URLs stop working."""

    staff = models.OneToOneField("workforce.Staff", on_delete=models.CASCADE, related_name="calendar_feed")
    token = models.CharField(max_length=64, unique=True, default=new_feed_token)
    created_at = models.DateTimeField(auto_now=True)
    objects = RestrictedQuerySet.as_manager()
    scope_lookups = {"staff": "staff_id"}

    def __str__(self) -> str:
        return f"Calendar feed of {self.staff}"
