"""The rows of the users list, written in Python.

Fifty rows of a dozen template nodes (a link, a role's label, the second factor's state, a time)
cost the list more than the rest of its page. The markup is the one the template wrote; every
label is translated once per page.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext

from accounts.models import User
from core.templatetags.ims_rows import html_rows, local_times, names_in_language, url_maker

register = template.Library()


@register.simple_tag
def user_rows(users: Iterable[Any]) -> SafeString:
    """`<tr>`s of the users as accounts.selectors.user_list_for gives them."""
    detail_url = url_maker("accounts:user-detail")
    _dmy, dmy_hm = local_times()
    name = names_in_language()
    roles = {value: str(label) for value, label in User.Role.choices}
    active = gettext("Yes")
    deactivated = format_html(
        '<span class="badge text-bg-secondary">{}</span>', gettext("Deactivated")
    )
    set_up = format_html('<i class="bi bi-shield-check text-success"></i> {}', gettext("Set up"))
    invited = format_html('<span class="text-muted">{}</span>', gettext("Invited"))
    never = gettext("Never")

    def row(managed: Any) -> tuple[Any, ...]:
        second_factor: SafeString | str
        if managed.has_second_factor:
            second_factor = set_up
        elif not managed.has_usable_password():
            second_factor = invited
        else:
            second_factor = "—"
        return (
            detail_url(managed.pk),
            managed.username,
            managed.get_full_name() or "—",
            roles.get(managed.role, managed.role),
            name(managed.province) or "—",
            active if managed.is_active else deactivated,
            second_factor,
            dmy_hm(managed.last_login) or never,
        )

    html = html_rows(
        '<tr data-testid="user-row">\n'
        '      <td><a href="{}">{}</a></td>\n'
        "      <td>{}</td>\n"
        "      <td>{}</td>\n"
        "      <td>{}</td>\n"
        "      <td>{}</td>\n"
        "      <td>{}</td>\n"
        '      <td class="text-nowrap">{}</td>\n'
        "    </tr>",
        (row(managed) for managed in users),
    )
    return html or format_html(
        '<tr><td colspan="7" class="text-muted">{}</td></tr>', gettext("No users match.")
    )
