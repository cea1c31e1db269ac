"""Forms of the cards screens: validation and cleaning only."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from cards import numbers
from cards.models import PrintRun, ResidenceCard
from core.widgets import keep_choices
from provinces.models import Province

# How long a process offers the same provinces in the cards' filter (the official list).
PROVINCES_KEPT_SECONDS = 600


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}), max_length=1000
    )

    def clean_reason(self) -> str:
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError(_("A reason is required."))
        return reason


class RevokeForm(ReasonForm):
    REASONS = [
        ("", "---------"),
        ("departure", _("Left Cambodia for good")),
        ("death", _("Death")),
        ("fraud", _("Fraud")),
        ("other", _("Other")),
    ]
    ground = forms.ChoiceField(label=_("Ground"), choices=REASONS)

    field_order = ["ground", "reason"]

    def full_reason(self) -> str:
        labels = dict(self.REASONS)
        return f"{labels[self.cleaned_data['ground']]}: {self.cleaned_data['reason']}"


class ReplaceForm(ReasonForm):
    GROUNDS = [("", "---------"), ("lost", _("Lost")), ("damaged", _("Damaged"))]
    ground = forms.ChoiceField(label=_("Ground"), choices=GROUNDS)

    field_order = ["ground", "reason"]

    def full_reason(self) -> str:
        labels = dict(self.GROUNDS)
        return f"{labels[self.cleaned_data['ground']]}: {self.cleaned_data['reason']}"


class RenewForm(forms.Form):
    reconfirmed = forms.BooleanField(
        label=_("The resident's new declaration is verified and acknowledged: issue the new card"),
        required=True,
    )


class HandOverForm(forms.Form):
    handed_to = forms.CharField(
        label=_("Handed over to"),
        max_length=200,
        help_text=_("The holder, or the name of the person who collected it on their behalf."),
    )


class CardNumberForm(forms.Form):
    number = forms.CharField(
        label=_("Card number"),
        max_length=40,
        help_text=_("As printed on the card, e.g. PR-12-0000123-4 (dashes optional)."),
    )

    def clean_number(self) -> str:
        try:
            return numbers.normalise(self.cleaned_data["number"])
        except numbers.InvalidCardNumber:
            raise forms.ValidationError(
                _("This is not a valid card number: check it for a typing mistake.")
            ) from None


class CardFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Any status")), *ResidenceCard.Status.choices],
    )
    province = forms.ModelChoiceField(
        label=_("Province"),
        queryset=Province.objects.all(),
        required=False,
        empty_label=_("All provinces"),
    )
    number = forms.CharField(label=_("Card number starts with"), required=False, max_length=24)
    # The district of the holder's address: the dashboard's district figures link here.
    district = forms.RegexField(required=False, regex=r"^\d{4}$", widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        province = cast(forms.ModelChoiceField, self.fields["province"])
        keep_choices(province, key="cards.provinces", seconds=PROVINCES_KEPT_SECONDS)


class PrintRunForm(forms.Form):
    selection = forms.ChoiceField(
        label=_("Cards to print"),
        choices=PrintRun.Selection.choices,
        widget=forms.RadioSelect,
        initial=PrintRun.Selection.NOT_PRINTED,
    )
    province = forms.ModelChoiceField(
        label=_("Province"),
        queryset=Province.objects.all(),
        required=False,
        empty_label=_("All provinces"),
    )
    cards = forms.CharField(
        label=_("Card numbers (hand-picked)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("One card number per line."),
    )
    reprint_reason = forms.CharField(
        label=_("Reprint reason"),
        required=False,
        max_length=500,
        help_text=_("Required when a card of the run was printed before."),
    )

    def __init__(self, *args: Any, user: object, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if getattr(user, "province_id", None):
            del self.fields["province"]
            cast(forms.ChoiceField, self.fields["selection"]).choices = [
                c for c in PrintRun.Selection.choices if c[0] != PrintRun.Selection.PROVINCE
            ]

    def clean_cards(self) -> list[str]:
        typed = [line for line in self.cleaned_data["cards"].split() if line.strip()]
        cleaned, wrong = [], []
        for number in typed:
            try:
                cleaned.append(numbers.normalise(number))
            except numbers.InvalidCardNumber:
                wrong.append(number)
        if wrong:
            raise forms.ValidationError(
                _("Not valid card numbers: %(numbers)s") % {"numbers": ", ".join(wrong)}
            )
        return cleaned

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        selection = data.get("selection")
        if selection == PrintRun.Selection.PROVINCE and not data.get("province"):
            self.add_error("province", _("Choose a province."))
        if selection == PrintRun.Selection.PICKED and not data.get("cards"):
            self.add_error("cards", _("Give at least one card number."))
        return data
