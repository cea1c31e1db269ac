"""Forms of corrections and new passports: the record's own fields, checked as at entry."""

from __future__ import annotations

from typing import Any

from crispy_forms.layout import HTML, Column, Fieldset, Layout, Row
from django import forms
from django.utils.translation import gettext_lazy as _

# Defined by django-countries but missing from its stubs (fields.pyi).
from django_countries.fields import LazyTypedChoiceField  # type: ignore[attr-defined]

from residents import rules, services
from residents.forms import ResidentForm, _country_choices, _date_field
from residents.uploads import sniff_document


class CorrectionForm(ResidentForm):
    """The record as it stands, to correct, with the reason and the evidence of the correction.

    The same fields and checks as an edit (names, address, likely duplicates); no passport (a
    new passport is recorded on its own) and no photo.
    """

    reason = forms.CharField(
        label=_("Reason for the correction"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What was wrong, and what the evidence shows. The verifier reads it."),
    )
    evidence = forms.FileField(
        label=_("Evidence"),
        help_text=_("The document that proves the correct value: PDF, JPEG or PNG, at most 10 MB."),
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,image/jpeg,image/png"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in (
            "passport_number",
            "passport_country",
            "passport_issue_date",
            "passport_expiry_date",
            "photo_upload",
            "photo_kept",
        ):
            del self.fields[name]

    def _layout(self) -> Layout:
        return Layout(
            Fieldset(
                _("Identity"),
                Row(Column("surname"), Column("given_names")),
                Row(Column("name_km"), Column("name_native")),
                Row(Column("sex"), Column("date_of_birth"), Column("nationality")),
                Row(Column("place_of_birth"), Column("arrival_date")),
                Row(Column("phone"), Column("occupation"), Column("employer")),
            ),
            Fieldset(
                _("Address in Cambodia"),
                Row(
                    Column("address_province"),
                    Column("address_district"),
                    Column("address_commune"),
                ),
                Row(Column("address_village"), Column("address_street")),
            ),
            Fieldset(_("Correction"), "reason", "evidence"),
            HTML("{% include 'residents/_likely_duplicates.html' %}"),
            "version",
        )

    def clean_evidence(self) -> tuple[Any, str, str]:
        upload = self.cleaned_data["evidence"]
        content, content_type = sniff_document(upload)
        return content, content_type, upload.name


class PassportForm(forms.Form):
    number = forms.CharField(label=_("Passport number"), max_length=30)
    issuing_country = LazyTypedChoiceField(label=_("Issuing country"), choices=_country_choices)
    issue_date = _date_field(_("Passport issue date"), required=False)
    expiry_date = _date_field(_("Passport expiry date"))

    def clean_number(self) -> str:
        number = rules.passport_number(self.cleaned_data["number"])
        if number is None:
            raise forms.ValidationError(_("A passport number has 5 to 20 letters and digits."))
        return number

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        issue, expiry = data.get("issue_date"), data.get("expiry_date")
        if issue and expiry and expiry <= issue:
            self.add_error("expiry_date", _("The expiry date must be after the issue date."))
        return data

    def passport_input(self) -> services.PassportInput:
        data = self.cleaned_data
        return services.PassportInput(
            number=data["number"],
            issuing_country=str(data["issuing_country"]),
            issue_date=data.get("issue_date"),
            expiry_date=data.get("expiry_date"),
        )
