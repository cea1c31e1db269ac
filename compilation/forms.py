"""Forms of the province list steps: HQ's estimate, a return, a sign-off."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from core import fields as ims_fields


class EstimateForm(forms.Form):
    estimated_residents = ims_fields.IntegerField(
        label=_("Estimated residents"), min_value=0, max_value=1_000_000
    )


class ReturnForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for return"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Give the reason for returning the list.")},
    )


class SignOffForm(forms.Form):
    override_reason = forms.CharField(
        label=_(
            "Override reason (only if records are not all verified or the list was not submitted)"
        ),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ReopenForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for reopening"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("Give the reason for reopening the list.")},
    )
