"""The rows of the audit trail, written in Python.

Fifty rows of nine cells, each through a filter or the lazy translation of its action's label,
cost the trail's page most of its time. The markup is the one the template wrote; the action
labels are translated once per page.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext

from audit.models import AuditEvent
from core.templatetags.ims_rows import pairs, utc_dmy_hms

register = template.Library()


def _or_dash(value: object) -> object:
    # `{{ value|default:"—" }}`
    return value or "—"


@register.simple_tag
def audit_rows(events: Iterable[Any]) -> SafeString:
    """`<tr>`s of audit events, newest first as audit.selectors.audit_event_list_for gives them."""
    labels = {value: str(label) for value, label in AuditEvent.Action.choices}

    def row(event: Any) -> tuple[Any, ...]:
        subject = (
            format_html(
                '<span class="text-muted">{} {}</span><br>{}',
                event.object_type,
                event.object_id,
                event.object_repr,
            )
            if event.object_type
            else "—"
        )
        return (
            event.pk,
            utc_dmy_hms(event.at),
            _or_dash(event.username),
            _or_dash(event.role),
            _or_dash(event.province_code),
            _or_dash(event.ip),
            labels.get(event.action, event.action),
            subject,
            pairs(event.detail),
        )

    html = format_html_join(
        "\n",
        '<tr><td>{}</td><td class="text-nowrap">{}</td><td>{}</td><td>{}</td><td>{}</td>'
        '<td>{}</td><td>{}</td><td>{}</td><td><code class="small">{}</code></td></tr>',
        (row(event) for event in events),
    )
    return html or format_html(
        '<tr><td colspan="9" class="text-muted">{}</td></tr>', gettext("No audit events match.")
    )
