"""The upload form and the export filters."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from accounts.models import User
from provinces.models import District, Province
from residents.models import Declaration


class ImportUploadForm(forms.Form):
    province = forms.ModelChoiceField(
        label=_("Province"),
        queryset=Province.objects.none(),
        error_messages={"invalid_choice": _("You cannot import for this province.")},
    )
    file = forms.FileField(
        label=_("File (CSV or XLSX)"),
        help_text=_("Use the template; headers may be in English or Khmer, in any order."),
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Officers import for their own province only; HQ chooses any.
        provinces = Province.objects.order_by("code")
        if user.is_provincial:
            provinces = provinces.filter(code=user.province_id)
            self.fields["province"].initial = user.province_id
        cast(forms.ModelChoiceField, self.fields["province"]).queryset = provinces


class ExportFilterForm(forms.Form):
    """The resident list's filters (q, status, nationality, district), from the query string."""

    q = forms.CharField(label=_("Name or passport number"), required=False, max_length=100)
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Any status")), *Declaration.Status.choices],
    )
    nationality = forms.ChoiceField(label=_("Nationality"), required=False)
    district = forms.ModelChoiceField(
        label=_("District"), required=False, queryset=District.objects.none()
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["nationality"]).choices = [
            ("", _("Any nationality")),
            *countries,
        ]
        districts = District.objects.order_by("code")
        if user.is_provincial:
            districts = districts.filter(province_id=user.province_id)
        district = cast(forms.ModelChoiceField, self.fields["district"])
        district.queryset = districts
        district.empty_label = _("Any district")

    def filters(self) -> dict[str, Any]:
        """The cleaned filters as plain strings (what the export log records)."""
        if not self.is_valid():
            return {}
        data = self.cleaned_data
        district = data.get("district")
        return {
            "q": data.get("q", "").strip(),
            "status": data.get("status", ""),
            "nationality": data.get("nationality", ""),
            "district": district.code if district else "",
        }
