"""The users pages: administrators list, create, invite, change, deactivate and reset users."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import invitations, otp, services
from accounts.models import User
from audit.models import AuditEvent
from provinces.models import Province
from tests.conftest import SIEM_REAP, client_for
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

Action = AuditEvent.Action
CHOICE_ERROR = "Select a valid choice. %s is not one of the available choices."
CONSOLE = "django.core.mail.backends.console.EmailBackend"


def new_user_data(**overrides: str) -> dict[str, str]:
    data = {
        "username": "sokha_sr",
        "first_name": "Sokha",
        "last_name": "Chan",
        "email": "sokha@gdi.example",
        "phone": "+855 12 345 678",
        "language": "km",
        "role": "officer",
        "province": SIEM_REAP,
    }
    return data | overrides


def last_event_id() -> int:
    return AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0


def events_since(mark: int, action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(id__gt=mark, action=action).order_by("id"))


def snapshot(user: User) -> tuple:
    user.refresh_from_db()
    return (user.role, user.province_id, user.is_active, user.email, user.password)


# --- The list ---------------------------------------------------------------------------------
def test_administrator_lists_searches_and_filters_users(
    admin_client_, officer, other_officer, director
):
    other_officer.first_name, other_officer.last_name = "Dara", "Keo"
    other_officer.save(update_fields=["first_name", "last_name"])

    everyone = admin_client_.get("/accounts/users/")
    by_name = admin_client_.get("/accounts/users/", {"q": "keo"})
    siem_reap = admin_client_.get("/accounts/users/", {"province": SIEM_REAP})
    directors = admin_client_.get("/accounts/users/", {"role": "director"})
    with_otp = admin_client_.get("/accounts/users/", {"second_factor": "yes"})

    assert everyone.status_code == 200
    assert [u.username for u in everyone.context["page"]] == [
        "admin", "director", "officer_pp", "officer_sr",
    ]  # fmt: skip
    assert [u.username for u in by_name.context["page"]] == ["officer_sr"]
    assert [u.username for u in siem_reap.context["page"]] == ["officer_sr"]
    assert [u.username for u in directors.context["page"]] == ["director"]
    # Only the administrator signed in with a device (client_for gives one).
    assert [u.username for u in with_otp.context["page"]] == ["admin"]


def test_users_list_sorts_and_filters_on_activity_and_last_sign_in(admin_client_, officer, clerk):
    officer.is_active = False
    officer.save(update_fields=["is_active"])

    inactive = admin_client_.get("/accounts/users/", {"active": "no"})
    never = admin_client_.get("/accounts/users/", {"last_login": "never"})
    recent = admin_client_.get("/accounts/users/", {"last_login": "recent"})
    reversed_ = admin_client_.get("/accounts/users/", {"sort": "-username"})

    assert [u.username for u in inactive.context["page"]] == ["officer_pp"]
    assert [u.username for u in never.context["page"]] == ["clerk", "officer_pp"]
    assert [u.username for u in recent.context["page"]] == ["admin"]  # signed in by client_for
    assert [u.username for u in reversed_.context["page"]] == ["officer_pp", "clerk", "admin"]


def test_users_list_costs_the_same_queries_for_three_users_or_sixty(admin_client_, geo):
    UserFactory.create_batch(2, role=User.Role.OFFICER)
    admin_client_.get("/accounts/users/")  # the session's first activity write, once a minute
    with CaptureQueriesContext(connection) as few:
        admin_client_.get("/accounts/users/")
    UserFactory.create_batch(57, role=User.Role.VERIFIER, province_id=SIEM_REAP)
    with CaptureQueriesContext(connection) as many:
        response = admin_client_.get("/accounts/users/")

    assert len(response.context["page"]) == 50
    assert response.context["page"].paginator.num_pages == 2
    assert len(many) == len(few) == 5  # session, user, device, count, the page (provinces: kept)


def test_users_list_pages_keep_the_filters(admin_client_, geo):
    UserFactory.create_batch(55, role=User.Role.VERIFIER, province_id=SIEM_REAP)

    first = admin_client_.get("/accounts/users/", {"role": "verifier"})
    second = admin_client_.get("/accounts/users/", {"role": "verifier", "page": 2})

    assert 'href="?role=verifier&amp;page=2"' in first.content.decode()
    assert len(second.context["page"]) == 5


def test_users_export_is_a_csv_of_the_filtered_list_and_is_audited(
    admin_client_, officer, other_officer
):
    officer.email = "=HYPERLINK(1)"
    officer.save(update_fields=["email"])
    mark = last_event_id()

    response = admin_client_.get("/accounts/users/export.csv", {"province": "12"})

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["username", "first_name", "last_name"]
    assert [(r[0], r[3], r[6], r[7], r[8]) for r in rows[1:]] == [
        ("officer_pp", "'=HYPERLINK(1)", "12", "yes", "no")
    ]
    (event,) = events_since(mark, Action.EXPORTED)
    assert event.detail == {"what": "users", "rows": 1, "province": "Phnom Penh"}


# --- Access trio ------------------------------------------------------------------------------
USER_PAGES = ["/accounts/users/", "/accounts/users/new/", "/accounts/users/export.csv"]


@pytest.mark.parametrize("path", USER_PAGES)
def test_users_pages_refuse_other_roles(path, officer_client, director_client, clerk_client):
    for client in (officer_client, director_client, clerk_client):
        assert client.get(path).status_code == 403


@pytest.mark.parametrize("path", USER_PAGES)
def test_users_pages_send_anonymous_visitors_to_sign_in(path, geo):
    response = Client().get(path)

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("action", ["", "deactivate/", "reactivate/", "invite/",
                                    "two-factor-reset/"])  # fmt: skip
def test_a_provincial_user_gets_not_found_for_another_provinces_user_and_forbidden_for_own(
    action, officer_client, other_officer, officer2
):
    before = snapshot(other_officer), snapshot(officer2)
    method = officer_client.get if action == "" else officer_client.post

    assert method(f"/accounts/users/{other_officer.pk}/{action}").status_code == 404
    assert method(f"/accounts/users/{officer2.pk}/{action}").status_code == 403
    assert (snapshot(other_officer), snapshot(officer2)) == before


@pytest.mark.parametrize("action", ["", "deactivate/", "reactivate/", "invite/",
                                    "two-factor-reset/"])  # fmt: skip
def test_user_pages_send_anonymous_visitors_to_sign_in(action, officer):
    before = snapshot(officer)

    response = Client().post(f"/accounts/users/{officer.pk}/{action}")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert snapshot(officer) == before


# --- Create and invite ------------------------------------------------------------------------
def test_administrator_creates_a_user_who_is_e_mailed_an_invitation_in_their_language(
    admin_client_, django_capture_on_commit_callbacks
):
    mark = last_event_id()

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client_.post("/accounts/users/new/", new_user_data())

    user = User.objects.get(username="sokha_sr")
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/users/{user.pk}/"
    assert (user.role, user.province_id, user.phone, user.language) == (
        "officer", SIEM_REAP, "+855 12 345 678", "km",
    )  # fmt: skip
    assert not user.has_usable_password()
    (event,) = events_since(mark, Action.USER_CREATED)
    assert (event.username, event.object_id) == ("admin", str(user.pk))
    assert event.detail == {"role": "officer", "province": "17", "invitation_emailed": True}
    (message,) = mail.outbox
    assert message.to == ["sokha@gdi.example"]
    assert message.subject == "គណនី GDI IMS របស់អ្នក"  # Khmer only: the user's language
    assert "Dear" not in message.body
    link = next(line for line in message.body.splitlines() if "/accounts/invitation/" in line)
    assert invitations.user_for_token(link.rsplit("/", 2)[-2]) == user


def test_without_a_mail_server_the_administrator_is_shown_the_link_once(admin_client_, settings):
    settings.EMAIL_BACKEND = CONSOLE

    response = admin_client_.post("/accounts/users/new/", new_user_data(language=""))

    user = User.objects.get(username="sokha_sr")
    assert response.status_code == 200
    link = response.context["link"]
    assert link.startswith("http://testserver/accounts/invitation/")
    assert invitations.user_for_token(link.rsplit("/", 2)[-2]) == user
    assert response.context["invited"] == user
    assert mail.outbox == []
    # Shown once: the user's page does not show it again.
    assert link not in admin_client_.get(f"/accounts/users/{user.pk}/").content.decode()


@pytest.mark.parametrize(
    ("overrides", "field", "error"),
    [
        ({"province": ""}, "province", "A provincial user needs a province."),
        ({"role": "director"}, "province", "A national user has no province."),
        ({"role": "chief"}, "role", CHOICE_ERROR % "chief"),
        ({"username": "officer_pp"}, "username", "A user with that username already exists."),
        ({"email": ""}, "email", "This field is required."),
    ],
)  # fmt: skip
def test_a_refused_user_is_not_created_and_the_field_is_named(
    admin_client_, officer, overrides, field, error
):
    count = User.objects.count()

    response = admin_client_.post("/accounts/users/new/", new_user_data(**overrides))

    assert response.status_code == 200
    assert response.context["form"].errors[field] == [error]
    assert User.objects.count() == count


def test_a_user_name_or_e_mail_taken_in_another_case_is_refused(admin_client_, officer):
    officer.email = "taken@gdi.example"
    officer.save(update_fields=["email"])
    count = User.objects.count()

    by_name = admin_client_.post("/accounts/users/new/", new_user_data(username="OFFICER_PP"))
    by_mail = admin_client_.post("/accounts/users/new/", new_user_data(email="Taken@GDI.example"))

    assert by_name.context["form"].non_field_errors() == [
        "A user with this user name already exists."
    ]
    assert by_mail.context["form"].non_field_errors() == [
        "Another user already has this e-mail address."
    ]
    assert User.objects.count() == count


def test_only_an_administrator_creates_users(director):
    with pytest.raises(PermissionDenied):
        services.user_create(
            actor=director, username="x", first_name="X", last_name="Y", email="x@gdi.example",
            role="director", province=None,
        )  # fmt: skip
    assert not User.objects.filter(username="x").exists()


def test_a_new_invitation_voids_the_previous_link(
    administrator, admin_client_, django_capture_on_commit_callbacks, settings
):
    settings.EMAIL_BACKEND = CONSOLE
    user, _ = services.user_create(
        actor=administrator, username="new", first_name="N", last_name="U", email="n@gdi.example",
        role="director", province=None,
    )  # fmt: skip
    old = invitations.make_token(user)
    mark = last_event_id()

    response = admin_client_.post(f"/accounts/users/{user.pk}/invite/")

    new = response.context["link"].rsplit("/", 2)[-2]
    assert new != old
    assert invitations.user_for_token(new) == user
    with pytest.raises(invitations.InvalidInvitation, match="already used or replaced"):
        invitations.user_for_token(old)
    (event,) = events_since(mark, Action.USER_INVITED)
    assert event.detail == {"emailed": False}


def test_an_invitation_is_not_resent_to_a_user_who_has_a_password(admin_client_, officer):
    mark = last_event_id()

    response = admin_client_.post(f"/accounts/users/{officer.pk}/invite/", follow=True)

    assert "This user has already set a password" in response.content.decode()
    assert events_since(mark, Action.USER_INVITED) == []


# --- Accepting an invitation ------------------------------------------------------------------
@pytest.fixture
def invited(administrator, settings) -> User:
    settings.EMAIL_BACKEND = CONSOLE
    user, _ = services.user_create(
        actor=administrator, username="sokha_sr", first_name="Sokha", last_name="Chan",
        email="sokha@gdi.example", role="officer", province=Province.objects.get(pk=SIEM_REAP),
    )  # fmt: skip
    return user


NEW_PASSWORD = "Tonle-Sap-lake-1998!"


def twice(password: str) -> dict[str, str]:
    return {"new_password1": password, "new_password2": password}


def test_the_invited_user_sets_a_password_is_signed_in_and_sent_to_set_up_two_factor(invited):
    client = Client()
    path = invitations.invitation_path(invited)
    mark = last_event_id()

    page = client.get(path)
    response = client.post(path, twice(NEW_PASSWORD))

    assert page.status_code == 200
    assert "sokha_sr" in page.content.decode()
    assert response.status_code == 302
    assert response["Location"] == (
        "/accounts/two-factor/set-up/?next=%2Faccounts%2Ftwo-factor%2Frecovery-codes%2F"
    )
    invited.refresh_from_db()
    assert invited.check_password(NEW_PASSWORD)
    (event,) = events_since(mark, Action.USER_CHANGED)
    assert event.detail == {"fields": ["password"], "own": True, "invitation": True}
    assert client.get("/accounts/two-factor/set-up/").status_code == 200


def test_an_invitation_works_once(invited):
    path = invitations.invitation_path(invited)
    Client().post(path, twice(NEW_PASSWORD))
    invited.refresh_from_db()
    password = invited.password

    again = Client().post(path, twice("Other-pass-2026!x"))

    assert again.status_code == 400
    assert "already used or replaced" in again.context["error"]
    invited.refresh_from_db()
    assert invited.password == password


def test_an_expired_invitation_is_refused_and_changes_nothing(invited, time_machine):
    path = invitations.invitation_path(invited)
    time_machine.move_to(invited.invited_at + dt.timedelta(hours=72, seconds=5))

    response = Client().post(path, twice(NEW_PASSWORD))

    assert response.status_code == 400
    assert response.context["error"] == (
        "This invitation has expired. Ask your administrator to send a new one."
    )
    invited.refresh_from_db()
    assert not invited.has_usable_password()


def test_a_tampered_invitation_is_refused_and_changes_nothing(invited):
    token = invitations.make_token(invited)
    tampered = token[:-3] + ("aaa" if token[-3:] != "aaa" else "bbb")

    response = Client().post(f"/accounts/invitation/{tampered}/", twice(NEW_PASSWORD))

    assert response.status_code == 400
    assert response.context["error"] == (
        "This invitation link is not valid. Check that you copied all of it."
    )
    invited.refresh_from_db()
    assert not invited.has_usable_password()


def test_a_deactivated_users_invitation_no_longer_works(invited, administrator):
    path = invitations.invitation_path(invited)
    services.user_deactivate(actor=administrator, user=invited)

    assert Client().get(path).status_code == 400


def test_a_weak_password_is_refused_on_the_invitation_page(invited):
    path = invitations.invitation_path(invited)

    response = Client().post(path, twice("password"))

    assert response.status_code == 200
    assert "This password is too common." in response.context["form"].errors["new_password2"]
    invited.refresh_from_db()
    assert not invited.has_usable_password()


def test_the_invitation_page_speaks_khmer(invited):
    response = Client(headers={"accept-language": "km"}).get(invitations.invitation_path(invited))

    assert "សូមស្វាគមន៍មកកាន់ GDI IMS" in response.content.decode()


# --- Change, deactivate, reactivate, reset ----------------------------------------------------
def test_changing_a_role_or_province_ends_the_users_sessions_and_is_audited(admin_client_, officer):
    signed_in = client_for(officer)
    assert signed_in.get("/").status_code == 200
    mark = last_event_id()

    response = admin_client_.post(
        f"/accounts/users/{officer.pk}/",
        {"first_name": "Test", "last_name": officer.last_name, "email": "", "phone": "",
         "language": "", "role": "verifier", "province": SIEM_REAP},
    )  # fmt: skip

    assert response.status_code == 302
    officer.refresh_from_db()
    assert (officer.role, officer.province_id) == ("verifier", SIEM_REAP)
    assert signed_in.get("/")["Location"] == "/accounts/login/?next=/"
    (event,) = events_since(mark, Action.ROLE_CHANGED)
    assert event.detail == {
        "role": ["officer", "verifier"], "province": ["12", "17"], "sessions_ended": 1,
    }  # fmt: skip
    assert events_since(mark, Action.USER_CHANGED) == []


def test_changing_details_only_keeps_the_sessions_and_records_the_fields(admin_client_, officer):
    signed_in = client_for(officer)
    mark = last_event_id()

    admin_client_.post(
        f"/accounts/users/{officer.pk}/",
        {"first_name": "Bopha", "last_name": officer.last_name, "email": "bopha@gdi.example",
         "phone": "", "language": "en", "role": "officer", "province": "12"},
    )  # fmt: skip

    assert signed_in.get("/").status_code == 200
    (event,) = events_since(mark, Action.USER_CHANGED)
    assert event.detail == {"fields": ["first_name", "email", "language"]}
    assert events_since(mark, Action.ROLE_CHANGED) == []


def test_an_administrator_cannot_change_their_own_role(admin_client_, administrator, director):
    director.role = User.Role.ADMIN
    director.save(update_fields=["role"])  # another administrator exists
    before = snapshot(administrator)

    response = admin_client_.post(
        f"/accounts/users/{administrator.pk}/",
        {"first_name": "Test", "last_name": administrator.last_name, "email": "", "phone": "",
         "language": "", "role": "director", "province": ""},
    )  # fmt: skip

    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [
        "You cannot change your own role or province: ask another administrator."
    ]
    assert snapshot(administrator) == before


def test_an_administrator_cannot_deactivate_themselves(admin_client_, administrator):
    before = snapshot(administrator)
    mark = last_event_id()

    response = admin_client_.post(f"/accounts/users/{administrator.pk}/deactivate/", follow=True)

    assert "You cannot deactivate your own account." in response.content.decode()
    assert snapshot(administrator) == before
    assert events_since(mark, Action.USER_DEACTIVATED) == []


@pytest.fixture
def second_administrator(geo: None) -> User:
    return UserFactory(username="admin2", role=User.Role.ADMIN, province=None)


def test_an_administrator_deactivated_meanwhile_cannot_deactivate_the_last_one(
    administrator, second_administrator
):
    # Two administrators act on each other at once: the first to commit wins, the other is
    # refused, and one administrator is always left.
    stale = User.objects.get(pk=second_administrator.pk)
    services.user_deactivate(actor=administrator, user=second_administrator)
    before = snapshot(administrator)

    with pytest.raises(services.AccountsError, match="last active administrator"):
        services.user_deactivate(actor=stale, user=administrator)
    with pytest.raises(services.AccountsError, match="last active administrator"):
        services.user_update(
            actor=stale, user=administrator, first_name="Test", last_name="X", email="",
            phone="", language="", role="director", province=None,
        )  # fmt: skip
    assert snapshot(administrator) == before


def test_an_administrator_demotes_another_while_one_is_left(administrator, second_administrator):
    services.user_update(
        actor=administrator, user=second_administrator, first_name="A", last_name="B", email="",
        phone="", language="", role="director", province=None,
    )  # fmt: skip

    second_administrator.refresh_from_db()
    assert second_administrator.role == "director"


def test_deactivating_ends_sessions_and_reactivating_lets_the_user_back(admin_client_, officer):
    signed_in = client_for(officer)
    mark = last_event_id()

    off = admin_client_.post(f"/accounts/users/{officer.pk}/deactivate/")
    officer.refresh_from_db()
    assert (off.status_code, officer.is_active) == (302, False)
    assert signed_in.get("/")["Location"] == "/accounts/login/?next=/"
    (event,) = events_since(mark, Action.USER_DEACTIVATED)
    assert event.detail == {"sessions_ended": 1}

    on = admin_client_.post(f"/accounts/users/{officer.pk}/reactivate/")
    officer.refresh_from_db()
    assert (on.status_code, officer.is_active) == (302, True)
    (event,) = events_since(mark, Action.USER_REACTIVATED)
    assert event.username == "admin"
    back = Client().post("/accounts/login/", {"username": "officer_pp", "password": PASSWORD})
    assert (back.status_code, back["Location"]) == (302, "/")


def test_resetting_a_second_factor_from_the_users_page_removes_the_device_and_tells_the_user(
    admin_client_, director, django_capture_on_commit_callbacks
):
    director.email = "director@gdi.example"
    director.save(update_fields=["email"])
    otp.ensure_confirmed_device(director)

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client_.post(f"/accounts/users/{director.pk}/two-factor-reset/")

    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=director).exists()
    assert AuditEvent.objects.filter(action=Action.OTP_RESET, object_id=str(director.pk)).exists()
    assert [m.to for m in mail.outbox] == [["director@gdi.example"]]


def test_an_administrator_cannot_reset_their_own_second_factor_from_the_page(
    admin_client_, administrator
):
    response = admin_client_.post(
        f"/accounts/users/{administrator.pk}/two-factor-reset/", follow=True
    )

    assert "Another administrator must reset your own two-factor sign-in." in (
        response.content.decode()
    )
    assert TOTPDevice.objects.filter(user=administrator, confirmed=True).count() == 1


def test_the_user_page_speaks_khmer(administrator, officer):
    client = client_for(administrator)

    response = client.get(f"/accounts/users/{officer.pk}/", headers={"accept-language": "km"})

    assert response.status_code == 200
    assert "ព័ត៌មានលម្អិត តួនាទី និងខេត្ត" in response.content.decode()


def test_the_users_menu_entry_is_for_administrators_and_account_security_for_everyone(
    admin_client_, officer_client
):
    admin_menu = [item["url"] for item in admin_client_.get("/").context["nav_items"]]
    officer_menu = [item["url"] for item in officer_client.get("/").context["nav_items"]]

    assert "/accounts/users/" in admin_menu
    assert "/accounts/users/" not in officer_menu
    assert "/accounts/security/" in admin_menu
    assert "/accounts/security/" in officer_menu
