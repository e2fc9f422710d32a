"""Console forms: they read what was posted; the rules live in profiles/.

The domain functions validate again under a row lock, so a form only checks
what the request carries (fields present, a known choice).
"""

from __future__ import annotations

from django import forms

from profiles.models import Identifier

FIELD_MISSING = "This field is missing from the request."
IDENTIFIER_UNKNOWN = "Choose one of the listed identifiers."
SEARCH_CHOICE_UNKNOWN = "Choose whether search is enabled or disabled."


class DisplayNameForm(forms.Form):
    # Blank is allowed (it resets the name to the key); an absent field is not,
    # so that a truncated or forged post cannot reset a name by accident.
    display_name = forms.CharField(required=False, strip=False)

    def clean_display_name(self) -> str:
        if "display_name" not in self.data:
            raise forms.ValidationError(FIELD_MISSING, code="missing")
        return self.cleaned_data["display_name"]


class AddressTypeMappingForm(forms.Form):
    identifier = forms.ModelChoiceField(
        queryset=Identifier.objects.all(),
        to_field_name="key",
        error_messages={
            "required": IDENTIFIER_UNKNOWN,
            "invalid_choice": IDENTIFIER_UNKNOWN,
        },
    )


class AddressTypeSearchForm(forms.Form):
    search = forms.ChoiceField(
        choices=[("enabled", "Enabled"), ("disabled", "Disabled")],
        error_messages={
            "required": SEARCH_CHOICE_UNKNOWN,
            "invalid_choice": SEARCH_CHOICE_UNKNOWN,
        },
    )

    @property
    def enabled(self) -> bool:
        return self.cleaned_data["search"] == "enabled"
