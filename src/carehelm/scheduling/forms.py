"""Forms of the roster pages. They only parse and validate input; services do the writing."""

from __future__ import annotations

from django import forms

from carehelm.scheduling.models import PeriodKind, Priority, RequestKind


class DateInput(forms.DateInput):
    input_type = "date"


class TimeInput(forms.TimeInput):
    input_type = "time"


class PeriodForm(forms.Form):
    unit = forms.ModelChoiceField(queryset=None)
    kind = forms.ChoiceField(choices=PeriodKind.choices, initial=PeriodKind.ROSTER)
    start_date = forms.DateField(widget=DateInput)
    weeks = forms.IntegerField(min_value=1, max_value=12, initial=4)
    budgeted_hours = forms.DecimalField(required=False, min_value=0, max_digits=8, decimal_places=1)

    def __init__(self, *args, units=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units


class ChangeForm(forms.Form):
    staff = forms.IntegerField()
    date = forms.DateField(widget=DateInput)
    shift = forms.CharField(required=False, help_text="Shift code, or empty for a day off.")


class ShiftTypeForm(forms.Form):
    code = forms.SlugField(max_length=16)
    name = forms.CharField(max_length=80)
    start = forms.TimeField(widget=TimeInput)
    end = forms.TimeField(widget=TimeInput)
    paid_minutes = forms.IntegerField(min_value=1, max_value=1440)
    skills = forms.CharField(required=False, help_text="Skill codes, comma-separated (empty: anyone).")
    on_call = forms.BooleanField(required=False)
    colour = forms.CharField(max_length=7, initial="#cfe3f2", widget=forms.TextInput(attrs={"type": "color"}))


class CensusForm(forms.Form):
    date_from = forms.DateField(widget=DateInput)
    date_to = forms.DateField(widget=DateInput)
    expected_census = forms.IntegerField(min_value=0)
    ratio = forms.IntegerField(
        min_value=1, required=False, help_text="Patients per nurse; empty: the unit's default."
    )

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_to"] < data["date_from"]:
            self.add_error("date_to", "ends before it starts")
        return data


class RequestForm(forms.Form):
    kind = forms.ChoiceField(choices=RequestKind.choices)
    date_from = forms.DateField(widget=DateInput)
    date_to = forms.DateField(widget=DateInput, required=False)
    shift = forms.CharField(required=False, help_text="Shift code for a preference or aversion.")
    weekday = forms.TypedChoiceField(
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", "—")]
        + [
            (i, d)
            for i, d in enumerate(
                ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
            )
        ],
    )
    priority = forms.TypedChoiceField(choices=Priority.choices, coerce=int, initial=Priority.NORMAL)
    note = forms.CharField(max_length=200, required=False)


class SwapForm(forms.Form):
    period = forms.IntegerField()
    requester_date = forms.DateField(widget=DateInput)
    colleague = forms.IntegerField()
    colleague_date = forms.DateField(widget=DateInput, required=False)
    note = forms.CharField(max_length=200, required=False)


class AbsenceForm(forms.Form):
    staff = forms.IntegerField()
    date_from = forms.DateField(widget=DateInput)
    date_to = forms.DateField(widget=DateInput, required=False)
    reason = forms.CharField(max_length=120, initial="Sick")
