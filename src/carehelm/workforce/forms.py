from django import forms

from carehelm.workforce.models import CredentialType, VerificationResult


class CredentialForm(forms.Form):
    credential_type = forms.ModelChoiceField(queryset=CredentialType.objects.all(), to_field_name="code",
                                             label="Credential")
    number = forms.CharField(max_length=64, required=False, label="Licence / certificate number")
    issuer = forms.CharField(max_length=160, required=False, help_text="Leave empty for the usual issuing body.")
    issued_on = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}), label="Issued on")
    expires_on = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}), label="Expires on")

    def clean(self):
        data = super().clean()
        if data.get("issued_on") and data.get("expires_on") and data["expires_on"] < data["issued_on"]:
            self.add_error("expires_on", "The expiry date is before the issue date.")
        return data


class VerificationForm(forms.Form):
    source = forms.CharField(max_length=200, label="Primary source checked",
                             help_text="e.g. State Board of Nursing licence lookup, AHA eCard verification")
    result = forms.ChoiceField(choices=VerificationResult.choices, initial=VerificationResult.VERIFIED)


class ImportForm(forms.Form):
    KINDS = [("staff", "Staff"), ("credentials", "Credentials")]
    kind = forms.ChoiceField(choices=KINDS, label="What the file holds")
    file = forms.FileField(label="CSV file", help_text="UTF-8 CSV with a header row; see the column list below.")
