"""`{{ form.field|field }}`: a form field in Bootstrap 5 markup, written in Python.

The same markup crispy-forms' bootstrap5 pack writes for a field (wrapper, label, widget with its
Bootstrap class, errors, help text), without its dozen templates per field: a list page's search
form rendered through crispy cost it more than its rows. Forms with layouts (entry, review) keep
crispy; search and filter forms use this.
"""

from __future__ import annotations

from django import forms, template
from django.forms.boundfield import BoundField
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from core.widgets import _attributes

register = template.Library()

# Django's own widget templates this module writes by hand (the same markup, without a template
# render per <option>); any other widget renders itself.
_INPUTS = {
    f"django/forms/widgets/{kind}.html"
    for kind in (
        "text",
        "number",
        "email",
        "url",
        "password",
        "date",
        "search",
        "tel",
        "hidden",
        "input",
    )
}
_SELECTS = {"django/forms/widgets/select.html"}


def _attrs(attrs: dict[str, object]) -> SafeString:
    # core.widgets._attributes escapes every name and value (format_html).
    return mark_safe(_attributes(attrs))  # noqa: S308


def _widget_html(bound: BoundField, attrs: dict[str, str | bool]) -> SafeString:
    """The widget as Django's templates write it; Select and Input by hand, others by Django."""
    widget = bound.field.widget
    overridden = type(widget).render is not forms.Widget.render
    if overridden or widget.template_name not in _INPUTS | _SELECTS:
        return bound.as_widget(attrs=attrs)
    attrs = bound.build_widget_attrs(attrs, widget)
    if bound.auto_id and "id" not in widget.attrs:
        attrs.setdefault("id", bound.auto_id)
    context = widget.get_context(bound.html_name, bound.value(), attrs)["widget"]
    if widget.template_name in _INPUTS:
        value = context["value"]
        return format_html(
            '<input type="{}" name="{}"{}{}>',
            context["type"],
            context["name"],
            format_html(' value="{}"', value) if value is not None else "",
            _attrs(context["attrs"]),
        )
    parts: list[str] = [
        format_html('<select name="{}"{}>', context["name"], _attrs(context["attrs"]))
    ]
    for group, options, _index in context["optgroups"]:
        if group:
            parts.append(format_html('<optgroup label="{}">', group))
        parts.extend(
            format_html(
                '<option value="{}"{}>{}</option>',
                "" if option["value"] is None else option["value"],
                _attrs(option["attrs"]),
                option["label"],
            )
            for option in options
        )
        if group:
            parts.append("</optgroup>")
    parts.append("</select>")
    return mark_safe("".join(parts))  # noqa: S308 (every piece escaped above)


def _widget_class(widget: forms.Widget) -> str:
    if isinstance(widget, forms.CheckboxInput):
        return "form-check-input"
    if isinstance(widget, forms.Select | forms.SelectMultiple) and not isinstance(
        widget, forms.RadioSelect | forms.CheckboxSelectMultiple
    ):
        return "form-select"
    return "form-control"


@register.filter(name="field")
def field(bound: BoundField) -> SafeString:
    """The field's wrapper, label, widget, errors and help text, as crispy's bootstrap5 pack."""
    if bound.is_hidden:
        if bound.field.show_hidden_initial:
            return mark_safe(str(bound))  # noqa: S308 (Django's own widget rendering, escaped)
        return _widget_html(bound, {})
    widget = bound.field.widget
    css = _widget_class(widget)
    if bound.errors:
        css += " is-invalid"
    # As crispy: the widget's own classes, its class name, then Bootstrap's.
    classes = [*widget.attrs.get("class", "").split(), type(widget).__name__.lower(), *css.split()]
    attrs: dict[str, str | bool] = {"class": " ".join(dict.fromkeys(classes))}
    rendered = _widget_html(bound, attrs)
    required = bound.field.required
    star = mark_safe('<span class="asteriskField">*</span>') if required else ""
    errors = (
        format_html(
            '<div id="{}_error" class="invalid-feedback">{}</div>',
            bound.auto_id,
            format_html_join(
                "",
                '<p id="error_{}_{}"><strong>{}</strong></p>',
                ((n, bound.auto_id, e) for n, e in enumerate(bound.errors, 1)),
            ),
        )
        if bound.errors
        else ""
    )
    help_text = (
        format_html(
            '<div id="{}_helptext" class="form-text">{}</div>', bound.auto_id, bound.help_text
        )
        if bound.help_text
        else ""
    )
    required_class = " requiredField" if required else ""
    if isinstance(widget, forms.CheckboxInput):
        return format_html(
            '<div class="mb-3"><div id="div_{}" class="form-check">{}'
            '<label for="{}" class="form-check-label{}">{}{}</label>{}{}</div></div>',
            bound.auto_id,
            rendered,
            bound.id_for_label,
            required_class,
            bound.label,
            star,
            errors,
            help_text,
        )
    label = (
        format_html(
            '<label for="{}" class="form-label{}">{}{}</label>',
            bound.id_for_label,
            required_class,
            bound.label,
            star,
        )
        if bound.label
        else ""
    )
    return format_html(
        '<div id="div_{}" class="mb-3">{}{}{}{}</div>',
        bound.auto_id,
        label,
        rendered,
        errors,
        help_text,
    )
