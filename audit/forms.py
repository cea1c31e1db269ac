from __future__ import annotations

from typing import Any

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Layout, Row, Submit
from django import forms
from django.utils.translation import gettext_lazy as _

from audit.models import AuditEvent
from core import fields as ims_fields
from core.validators import reject_control_characters


class AuditSearchForm(forms.Form):
    username = forms.CharField(
        label=_("User name"), max_length=150, required=False,
        validators=[reject_control_characters],
    )  # fmt: skip
    action = forms.ChoiceField(
        label=_("Action"),
        choices=[("", _("Any action")), *AuditEvent.Action.choices],
        required=False,
    )
    object_type = forms.CharField(label=_("Object type"), max_length=100, required=False)
    object_id = forms.CharField(label=_("Object id"), max_length=64, required=False)
    province_code = forms.CharField(label=_("Province code"), max_length=8, required=False)
    since = ims_fields.DateField(label=_("From"), required=False)
    until = ims_fields.DateField(label=_("Until"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_method = "get"
        self.helper.layout = Layout(
            Row(
                Column("username"), Column("action"), Column("object_type"), Column("object_id"),
            ),
            Row(Column("province_code"), Column("since"), Column("until")),
        )  # fmt: skip
        self.helper.add_input(Submit("search", _("Search")))

    def filters(self) -> dict[str, Any]:
        return {k: v for k, v in self.cleaned_data.items() if v}
