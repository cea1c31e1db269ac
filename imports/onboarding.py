"""Onboarding a province's staff from a file: users read from a CSV or XLSX sheet.

The file is read here, with the resident imports' safe reader; the rules and the writes are
accounts' (accounts.services.users_import), like a user created by hand.
"""

from __future__ import annotations

from typing import Any

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from accounts import access, invitations, services
from accounts.access import Capability
from accounts.types import AuthenticatedRequest
from imports import messages as refusals
from imports.reader import FileRefused, open_sheet

MAX_USERS = 2000
# Column titles (lower case, any of these) -> field.
COLUMNS = {
    "username": ("username", "user name", "user_name"),
    "name": ("name", "full name"),
    "first_name": ("first name", "first_name", "given name"),
    "last_name": ("last name", "last_name", "surname"),
    "email": ("email", "e-mail", "e-mail address", "email address"),
    "role": ("role",),
    "province": ("province", "province code", "province_code"),
    "phone": ("phone", "telephone"),
    "language": ("language",),
}
REQUIRED = ("username", "email", "role", "province")


class FileProblem(Exception):
    pass


class UserImportForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("CSV or XLSX file"))
    dry_run = forms.BooleanField(
        label=gettext_lazy("Check only (dry run): create nobody yet"), required=False, initial=True
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.attrs = {"enctype": "multipart/form-data"}
        self.helper.add_input(Submit("submit", gettext_lazy("Send the file")))


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a province code typed as a number in a spreadsheet
    return str(value).strip()


def read_users(data: bytes) -> list[services.UserRow]:
    """The rows of an onboarding file, or FileProblem saying what is wrong with the file."""
    try:
        sheet = open_sheet(data)
    except FileRefused as refused:
        raise FileProblem(refusals.render(refused.code, refused.params)) from None
    try:
        titles = [_text(title).lower() for title in sheet.header]
        where = {
            name: next((i for i, title in enumerate(titles) if title in aliases), None)
            for name, aliases in COLUMNS.items()
        }
        missing = [name for name in REQUIRED if where[name] is None]
        if where["name"] is None and where["first_name"] is None:
            missing.append("name")
        if missing:
            raise FileProblem(_("Columns missing: %(columns)s.") % {"columns": ", ".join(missing)})
        rows = []
        for number, cells in sheet.rows:
            values = {
                name: _text(cells[i]) if i is not None and i < len(cells) else ""
                for name, i in where.items()
            }
            if not any(values.values()):
                continue
            rows.append(
                services.UserRow(
                    number=number, username=values["username"],
                    first_name=values["first_name"] or values["name"],
                    last_name=values["last_name"], email=values["email"], role=values["role"],
                    province=values["province"], phone=values["phone"],
                    language=values["language"].lower(),
                )
            )  # fmt: skip
            if len(rows) > MAX_USERS:
                raise FileProblem(_("At most %(limit)d users per file.") % {"limit": MAX_USERS})
    finally:
        sheet.close()
    if not rows:
        raise FileProblem(_("The file has no users."))
    return rows


@login_required
@require_http_methods(["GET", "POST"])
def user_import(request: AuthenticatedRequest) -> HttpResponse:
    access.require(request.user, Capability.USER_MANAGE)
    form = UserImportForm(request.POST or None, request.FILES or None)
    context: dict[str, Any] = {"form": form}
    if request.method == "POST" and form.is_valid():
        commit = not form.cleaned_data["dry_run"]
        try:
            rows = read_users(form.cleaned_data["file"].read())
        except FileProblem as problem:
            form.add_error("file", str(problem))
        else:
            created = services.users_import(actor=request.user, rows=rows, commit=commit)
            links = []
            if created and not invitations.mail_is_delivered():
                links = [
                    (user, request.build_absolute_uri(invitations.invitation_path(user)))
                    for user in created
                ]
            context |= {
                "rows": rows,
                "bad_rows": [row for row in rows if row.errors],
                "created": created,
                "committed": commit,
                "links": links,
            }
    return TemplateResponse(request, "imports/user_import.html", context)
