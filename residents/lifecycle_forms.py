"""Forms of the end of residence, the transfer between provinces and the family links."""

from __future__ import annotations

from typing import Any, cast

from crispy_forms.helper import FormHelper
from django import forms
from django.utils.translation import gettext_lazy as _

from core import fields as ims_fields
from provinces.models import Province
from residents.models import EndReason, FamilyRelation
from residents.uploads import sniff_document


def _helper() -> FormHelper:
    helper = FormHelper()
    helper.form_tag = False
    return helper


class EndingRequestForm(forms.Form):
    reason = forms.ChoiceField(label=_("Why the residence ends"), choices=EndReason.choices)
    ended_on = ims_fields.DateField(label=_("Date residence ended"))
    notes = forms.CharField(
        label=_("Details"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    evidence = forms.FileField(
        label=_("Evidence document"),
        help_text=_(
            "Exit record, death certificate, decision or naturalisation decree: PDF, JPEG or PNG, "
            "at most 10 MB."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,image/jpeg,image/png"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = _helper()

    def clean_evidence(self) -> tuple[Any, str, str]:
        upload = self.cleaned_data["evidence"]
        content, content_type = sniff_document(upload)
        return content, content_type, upload.name


class DecisionForm(forms.Form):
    """Approve/accept or refuse; a reason is required to refuse (the services check too)."""

    action = forms.ChoiceField(
        choices=[("approve", "approve"), ("refuse", "refuse")], widget=forms.HiddenInput
    )
    reason = forms.CharField(
        label=_("Reason (required to refuse)"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if data.get("action") == "refuse" and not (data.get("reason") or "").strip():
            self.add_error("reason", _("Give the reason: the officer will read it."))
        return data


class TransferProposeForm(forms.Form):
    to_province = forms.ModelChoiceField(
        label=_("Receiving province"),
        queryset=Province.objects.order_by("code"),
        to_field_name="code",
    )
    reason = forms.CharField(
        label=_("Reason for the move"), max_length=1000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, current_province: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(
            forms.ModelChoiceField, self.fields["to_province"]
        ).queryset = Province.objects.exclude(code=current_province).order_by("code")
        self.helper = _helper()


class FamilyLinkForm(forms.Form):
    relation = forms.ChoiceField(
        label=_("The relative is the resident's"), choices=FamilyRelation.choices
    )
    relative = forms.CharField(
        label=_("Relative's card number or register number"),
        max_length=30,
        help_text=_(
            "The card number of a resident of any province, or the register number of a "
            "resident of your province."
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = _helper()
