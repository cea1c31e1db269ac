"""Form widgets shared by the apps."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.cache import caches
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

_OPTIONS: dict[tuple[str, str], str] = {}
_REQUIRED: dict[tuple[str, str], bool] = {}


class FixedChoicesSelect(forms.Select):
    """A select whose options are rendered once per language and reused by every request.

    Django renders each <option> through a template: the world's countries in a search form cost
    a list page more than its fifty rows. Only for choices fixed when the code loads (countries,
    statuses), never for choices read from the database.
    """

    def __init__(self, *args: Any, cache_key: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.cache_key = cache_key

    def use_required_attribute(self, initial: Any) -> bool:
        # Select's reads the first choice, which for a callable list (the countries) builds the
        # whole list again on every render; the choices are fixed, so the answer is too.
        key = (self.cache_key, "required")
        if key not in _REQUIRED:
            _REQUIRED[key] = super().use_required_attribute(initial)
        return _REQUIRED[key]

    def _options(self) -> str:
        key = (self.cache_key, get_language() or "")
        options = _OPTIONS.get(key)
        if options is None:
            options = _OPTIONS[key] = "".join(
                format_html('<option value="{}">{}</option>', "" if value is None else value, label)
                for value, label in self.choices
            )
        return options

    def render(
        self,
        name: str,
        value: Any,
        attrs: dict[str, Any] | None = None,
        renderer: Any = None,
    ) -> SafeString:
        final_attrs = {"name": name, **self.build_attrs(self.attrs, attrs)}
        chosen = (self.format_value(value) or [""])[0]
        option = f'<option value="{escape(chosen)}">'
        options = self._options().replace(option, option[:-1] + " selected>", 1)
        # Every piece was escaped above (format_html, escape): the assembled select is safe.
        return mark_safe(f"<select{_attributes(final_attrs)}>{options}</select>")  # noqa: S308


def keep_choices(field: forms.ModelChoiceField, *, key: str, seconds: int) -> None:
    """Offer a ModelChoiceField's options from this process's memory, read at most once a `seconds`.

    For choices read from tables that seldom change (divisions, bases of residence): a search form
    on every list page read them, and built an object per option, on every request. The field's
    queryset still checks a chosen value (a query only when one is sent); an option added or
    withdrawn shows in the form within `seconds`. Kept per language (the labels are translated).
    """
    kept = caches["fragments"]
    name = f"choices:{key}:{get_language() or ''}"
    choices = kept.get(name)
    if choices is None:
        choices = [(str(value), str(label)) for value, label in field.iterator(field)]
        kept.set(name, choices, seconds)
    field.choices = choices


def _attributes(attrs: dict[str, Any]) -> str:
    """As django/forms/widgets/attrs.html writes them: in order, True bare, False and None out."""
    return "".join(
        format_html(" {}", name) if value is True else format_html(' {}="{}"', name, value)
        for name, value in attrs.items()
        if value is not False and value is not None
    )
