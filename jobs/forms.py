"""Filters of the renewals page."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from jobs import conf, selectors
from jobs.models import EXPIRED, threshold_label
from provinces.models import Province

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


def stage_choices() -> list[tuple[str, StrOrPromise]]:
    return [
        ("", _("Any")),
        *((str(t), threshold_label(t)) for t in conf.thresholds()),
        (str(EXPIRED), threshold_label(EXPIRED)),
    ]


STATE_CHOICES = [
    ("", _("Any")),
    (selectors.STATE_DUE, _("Due: expiring within 90 days or expired")),
    (selectors.STATE_NOT_STARTED, _("Renewal not started")),
    (selectors.STATE_IN_PROGRESS, _("Renewal started")),
    (selectors.STATE_READY, _("Declaration acknowledged: new card to issue")),
    (selectors.STATE_RENEWED, _("Renewed")),
]


class RenewalFilterForm(forms.Form):
    province = forms.ModelChoiceField(
        label=_("Province"),
        queryset=Province.objects.order_by("code"),
        required=False,
        empty_label=_("All provinces"),
    )
    stage = forms.ChoiceField(label=_("Expiry"), required=False, choices=())
    state = forms.ChoiceField(label=_("Renewal"), required=False, choices=STATE_CHOICES)
    run = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["stage"]).choices = stage_choices()
        if user.province_id:
            # A provincial user's page is their province's: no choice to offer.
            del self.fields["province"]

    def filters(self) -> selectors.RenewalFilters:
        if not self.is_bound or not self.is_valid():
            return selectors.RenewalFilters()
        data = self.cleaned_data
        province = data.get("province")
        return selectors.RenewalFilters(
            province=province.code if province else "",
            stage=data["stage"],
            state=data["state"],
            run=data["run"],
        )
