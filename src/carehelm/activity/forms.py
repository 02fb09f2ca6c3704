"""Forms of the census pages: the "as at" instant and a bed's status on the bed board."""

from __future__ import annotations

from django import forms

from carehelm.organization.models import BedStatus

# Statuses a person may give an empty bed from the board; occupied follows the ADT feed only.
SETTABLE_BED_STATUSES = [(s.value, s.label) for s in BedStatus if s != BedStatus.OCCUPIED]


class CensusAtForm(forms.Form):
    at = forms.DateTimeField(
        required=False,
        label="As at",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d"],
    )


class BedStatusForm(forms.Form):
    status = forms.ChoiceField(choices=SETTABLE_BED_STATUSES)
    reason = forms.CharField(required=False, max_length=120)
