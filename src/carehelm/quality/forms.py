"""Forms of the quality pages: dashboard filters, chart options of one KPI, and a KPI target.

``DashboardForm`` (grain, rules, from/to months) and ``ChartOptionsForm`` (adds chart type,
baseline freeze, parts, excluded points, moving-range screening) validate query parameters and
never raise: the view shows ``form.errors`` and falls back to defaults. ``TargetForm`` edits one
``KpiTarget`` value through ``services.set_target``; ``month_end(day)`` closes a month range.
"""

from __future__ import annotations

import datetime as dt

from django import forms

from carehelm.quality.catalogue import CHART_LABELS
from carehelm.quality.control_charts import RULE_LABELS, ChartOptions
from carehelm.quality.models import Grain
from carehelm.validation import InvalidInput


class MonthField(forms.CharField):
    """YYYY-MM (or a full ISO date) → the first day of that month."""

    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return None
        if len(value) > 10:
            raise forms.ValidationError("Enter a month as YYYY-MM, e.g. 2025-03.")
        try:
            day = dt.date.fromisoformat(value if len(value) > 7 else f"{value}-01")
        except ValueError:
            raise forms.ValidationError("Enter a month as YYYY-MM, e.g. 2025-03.") from None
        return day.replace(day=1)


class DashboardForm(forms.Form):
    grain = forms.ChoiceField(
        choices=[(Grain.MONTH, "Month"), (Grain.WEEK, "Week"), (Grain.DAY, "Day")],
        required=False,
        initial=Grain.MONTH,
    )
    rules = forms.ChoiceField(choices=list(RULE_LABELS.items()), required=False, initial="mdc")
    start = MonthField(label="From (YYYY-MM)", required=False)
    end = MonthField(label="To (YYYY-MM)", required=False)

    def clean(self):
        data = super().clean()
        data["grain"] = data.get("grain") or Grain.MONTH
        data["rules"] = data.get("rules") or "mdc"
        if data.get("start") and data.get("end") and data["end"] < data["start"]:
            self.add_error("end", "The end is before the start.")
        return data

    def settings(self) -> dict:
        """The cleaned values, or the defaults when the form is invalid (the page still renders)."""
        if self.is_valid():
            return {k: self.cleaned_data.get(k) for k in ("grain", "rules", "start", "end")}
        return {"grain": Grain.MONTH, "rules": "mdc", "start": None, "end": None}


def month_end(day: dt.date | None) -> dt.date | None:
    """The last day of the month that starts on ``day`` (None stays None)."""
    if day is None:
        return None
    return (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)


class ChartOptionsForm(DashboardForm):
    chart = forms.ChoiceField(choices=[("", "Default for this KPI"), *CHART_LABELS.items()], required=False)
    freeze = forms.IntegerField(label="Baseline: first N points", required=False, min_value=2)
    part = forms.CharField(
        label="New part after point(s)",
        required=False,
        max_length=100,
        help_text="e.g. 12 — recalculate the limits after a known change",
    )
    exclude = forms.CharField(label="Exclude point(s)", required=False, max_length=100)
    screen_mr = forms.BooleanField(label="Screen large moving ranges", required=False)

    def options(self) -> ChartOptions | None:
        """Chart options parsed from the form; ``None`` (and form errors) when they do not parse."""
        if not self.is_valid():
            return None
        d = self.cleaned_data
        try:
            return ChartOptions.parse(
                chart=d.get("chart"),
                rules=d["rules"],
                freeze=d.get("freeze"),
                parts=d.get("part"),
                exclude=d.get("exclude"),
                screen_mr=d.get("screen_mr"),
            )
        except InvalidInput as exc:
            for problem in exc.problems:
                self.add_error(problem.field if problem.field in self.fields else None, problem.message)
            return None


class TargetForm(forms.Form):
    value = forms.FloatField(label="Target")
    note = forms.CharField(required=False, max_length=300, label="Why this target")
