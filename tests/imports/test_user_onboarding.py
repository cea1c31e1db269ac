"""Onboarding a province's staff from a CSV or XLSX file: checked first, then all or nothing."""

from __future__ import annotations

import io

import openpyxl
import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts import invitations, services
from accounts.models import User
from audit.models import AuditEvent
from imports.onboarding import read_users

pytestmark = pytest.mark.django_db

GOOD = (
    "username,name,email,role,province\n"
    "sokha_sr,Sokha Chan,sokha@gdi.example,officer,17\n"
    "dara_sr,Dara Keo,dara@gdi.example,Provincial verifier,17\n"
    "vannak,Vannak Ly,vannak@gdi.example,នាយកនៅទីស្នាក់ការកណ្តាល,\n"
)


def upload(client: Client, content: str | bytes, *, dry_run: bool, name: str = "staff.csv"):
    data = content.encode() if isinstance(content, str) else content
    payload = {"file": SimpleUploadedFile(name, data)}
    if dry_run:
        payload["dry_run"] = "on"
    return client.post("/imports/users/", payload)


def test_a_dry_run_checks_every_row_and_creates_nobody(admin_client_):
    count = User.objects.count()

    response = upload(admin_client_, GOOD, dry_run=True)

    assert response.status_code == 200
    assert [row.username for row in response.context["rows"]] == ["sokha_sr", "dara_sr", "vannak"]
    assert response.context["bad_rows"] == []
    assert "3 users checked: no problems." in response.content.decode()
    assert User.objects.count() == count


def test_committing_creates_every_user_invited_and_audited(
    admin_client_, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(admin_client_, GOOD, dry_run=False)

    assert "3 users were created and invited." in response.content.decode()
    created = User.objects.filter(username__in=["sokha_sr", "dara_sr", "vannak"]).order_by("pk")
    assert [(u.username, u.role, u.province_id, u.first_name) for u in created] == [
        ("sokha_sr", "officer", "17", "Sokha Chan"),
        ("dara_sr", "verifier", "17", "Dara Keo"),
        ("vannak", "director", None, "Vannak Ly"),
    ]
    assert not any(u.has_usable_password() for u in created)
    assert sorted(m.to[0] for m in mail.outbox) == [
        "dara@gdi.example", "sokha@gdi.example", "vannak@gdi.example",
    ]  # fmt: skip
    events = AuditEvent.objects.filter(action=AuditEvent.Action.USER_CREATED, username="admin")
    assert sorted(e.object_repr for e in events) == ["Dara Keo", "Sokha Chan", "Vannak Ly"]
    assert all(e.detail["imported"] for e in events)


def test_every_bad_row_is_named_and_nobody_is_created(
    admin_client_, officer, django_capture_on_commit_callbacks
):
    officer.email = "taken@gdi.example"
    officer.save(update_fields=["email"])
    content = (
        "username,name,email,role,province\n"
        "ok_user,Ok User,ok@gdi.example,officer,17\n"
        "chief_x,Chief X,chief@gdi.example,chief,17\n"
        "noprov,No Province,noprov@gdi.example,officer,\n"
        "OFFICER_PP,Taken Name,new@gdi.example,officer,12\n"
        "twin,Twin One,twin@gdi.example,officer,12\n"
        "twin,Twin Two,taken@gdi.example,officer,99\n"
    )
    count = User.objects.count()

    with django_capture_on_commit_callbacks(execute=True):
        response = upload(admin_client_, content, dry_run=False)

    errors = {row.number: [str(e) for e in row.errors] for row in response.context["bad_rows"]}
    assert errors == {
        3: ["Unknown role “chief”."],
        4: ["A provincial user needs a province."],
        5: ["The user name OFFICER_PP is already taken."],
        7: [
            "The user name twin is also on row 6.",
            "Another user already has the e-mail address taken@gdi.example.",
            "Unknown province code “99”.",
        ],
    }
    assert "4 rows have problems: nobody was created." in response.content.decode()
    assert User.objects.count() == count
    assert mail.outbox == []


def test_an_xlsx_file_is_read_like_a_csv(admin_client_):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["User name", "First name", "Last name", "E-mail", "Role", "Province code"])
    sheet.append(["bopha_sr", "Bopha", "Chea", "bopha@gdi.example", "officer", 17])
    buffer = io.BytesIO()
    book.save(buffer)

    response = upload(admin_client_, buffer.getvalue(), dry_run=False, name="staff.xlsx")

    assert response.context["bad_rows"] == []
    user = User.objects.get(username="bopha_sr")
    assert (user.first_name, user.last_name, user.province_id) == ("Bopha", "Chea", "17")


def test_a_file_missing_columns_is_refused_as_a_whole(admin_client_):
    response = upload(admin_client_, "username,email\nx,x@gdi.example\n", dry_run=True)

    assert response.context["form"].errors["file"] == ["Columns missing: role, province, name."]


def test_without_a_mail_server_the_links_are_shown_once(admin_client_, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"

    response = upload(admin_client_, GOOD, dry_run=False)

    links = {user.username: link for user, link in response.context["links"]}
    assert sorted(links) == ["dara_sr", "sokha_sr", "vannak"]
    token = links["sokha_sr"].rsplit("/", 2)[-2]
    assert invitations.user_for_token(token).username == "sokha_sr"


def test_checking_a_file_costs_the_same_queries_for_three_rows_or_three_hundred(administrator):
    def rows(n: int) -> list[services.UserRow]:
        return read_users(
            (
                "username,name,email,role,province\n"
                + "".join(f"u{i},User {i},u{i}@gdi.example,officer,17\n" for i in range(n))
            ).encode()
        )

    with CaptureQueriesContext(connection) as few:
        services.users_import(actor=administrator, rows=rows(3), commit=False)
    with CaptureQueriesContext(connection) as many:
        services.users_import(actor=administrator, rows=rows(300), commit=False)

    assert len(many) == len(few)


def test_only_administrators_import_users(officer_client, director_client, geo):
    for client in (officer_client, director_client):
        assert upload(client, GOOD, dry_run=False).status_code == 403
    anonymous = upload(Client(), GOOD, dry_run=False)
    assert anonymous["Location"].startswith("/accounts/login/")
    assert not User.objects.filter(username="sokha_sr").exists()


def test_the_import_page_speaks_khmer(admin_client_):
    response = admin_client_.get("/imports/users/", headers={"accept-language": "km"})

    assert "នាំចូលអ្នកប្រើ" in response.content.decode()
