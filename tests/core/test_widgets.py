"""A select whose options are rendered once: the same HTML as Django's, in the reader's language."""

from __future__ import annotations

from django import forms
from django.utils import translation

from core.widgets import FixedChoicesSelect

CHOICES = [("", "Any"), ("KH", "Cambodia"), ("VN", "Viet Nam <&>")]


def _both(value: object, attrs: dict[str, str]) -> tuple[str, str]:
    fast = FixedChoicesSelect(choices=CHOICES, cache_key="tests.widgets")
    plain = forms.Select(choices=CHOICES)
    return fast.render("nat", value, attrs), plain.render("nat", value, attrs)


def test_the_fixed_choices_select_renders_what_djangos_select_renders():
    for value in (None, "", "VN", "KH", "XX"):
        fast, plain = _both(value, {"id": "id_nat", "class": "form-select"})

        assert fast.replace("\n", "") == plain.replace("\n", "").replace(
            ' selected="selected"', " selected"
        ).replace("  ", ""), value


def test_the_chosen_value_alone_is_selected_and_labels_are_escaped():
    fast, _plain = _both("VN", {"id": "id_nat"})

    assert fast.count(" selected") == 1
    assert '<option value="VN" selected>Viet Nam &lt;&amp;&gt;</option>' in fast


def test_the_options_follow_the_readers_language():
    widget = FixedChoicesSelect(
        choices=[("", translation.gettext_lazy("Any status"))], cache_key="tests.widgets.lazy"
    )
    with translation.override("en"):
        english = widget.render("status", "", {})
    with translation.override("km"):
        khmer = widget.render("status", "", {})

    assert "Any status" in english
    assert "Any status" not in khmer
