"""Form fields for dates and numbers, typed in either language (the rule: core.formats)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from core import formats
from core.formats import western_digits

DATE_DISPLAY = formats.DATE
# %d and %m also read one digit, so 5-3-2026 is 05-03-2026; ISO for values a browser or link sends.
DATE_INPUT_FORMATS = [DATE_DISPLAY, "%d/%m/%Y", "%d.%m.%Y", "%Y-%m-%d"]


class DateInput(forms.DateInput):
    """A text box that shows and takes DD-MM-YYYY (a browser's date input shows its own order)."""

    input_type = "text"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(
            attrs={"placeholder": _("DD-MM-YYYY"), "autocomplete": "off", **(attrs or {})},
            format=DATE_DISPLAY,
        )


class DateField(forms.DateField):
    """A date typed as DD-MM-YYYY, D-M-YYYY or DD/MM/YYYY, in Western or Khmer digits."""

    widget = DateInput
    input_formats = DATE_INPUT_FORMATS

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("input_formats", DATE_INPUT_FORMATS)
        kwargs.setdefault("error_messages", {"invalid": _("Enter the date as DD-MM-YYYY.")})
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> Any:
        if isinstance(value, str):
            value = western_digits(value).strip()
        return super().to_python(value)


class NumberInput(forms.TextInput):
    """A text box for a whole number: a browser's number input refuses Khmer digits."""

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs={"inputmode": "numeric", **(attrs or {})})


class IntegerField(forms.IntegerField):
    """A whole number typed in Western or Khmer digits."""

    widget = NumberInput

    def widget_attrs(self, widget: forms.Widget) -> dict[str, Any]:
        # min/max/step are attributes of a number input only; the server checks the bounds.
        attrs = super().widget_attrs(widget)
        if isinstance(widget, NumberInput):
            for name in ("min", "max", "step"):
                attrs.pop(name, None)
        return attrs

    def to_python(self, value: Any) -> Any:
        if isinstance(value, str):
            value = western_digits(value).strip().replace(",", "")
        return super().to_python(value)
