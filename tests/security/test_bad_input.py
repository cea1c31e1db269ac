"""Bad input to the foundation and accounts: refused or neutralised, and nothing changes."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.admin import IMSUserChangeForm
from accounts.models import User
from core.validators import reject_control_characters, safe_upload_name
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db
LOGIN = "/accounts/login/"


def test_an_oversized_request_is_refused_and_signs_nobody_in(officer):
    client = Client()
    padding = "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)

    response = client.post(
        LOGIN,
        data=f"username=officer_pp&password={PASSWORD}&pad={padding}",
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 400
    assert "_auth_user_id" not in client.session


def test_a_request_with_too_many_fields_is_refused_and_signs_nobody_in(officer):
    client = Client()
    fields = {f"f{i}": "1" for i in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1)}

    response = client.post(LOGIN, {"username": "officer_pp", "password": PASSWORD, **fields})

    assert response.status_code == 400
    assert "_auth_user_id" not in client.session


def test_a_forged_csrf_token_is_refused_and_the_session_survives(officer):
    client = Client(enforce_csrf_checks=True)
    client.get(LOGIN)
    client.force_login(officer)

    response = client.post("/accounts/logout/", {"csrfmiddlewaretoken": "forged" * 8})

    assert response.status_code == 403
    assert client.session["_auth_user_id"] == str(officer.pk)


def test_a_forged_csrf_token_cannot_switch_the_language(officer):
    client = Client(enforce_csrf_checks=True)
    client.get(LOGIN)

    response = client.post("/i18n/setlang/", {"language": "km", "csrfmiddlewaretoken": "x" * 64})

    assert response.status_code == 403
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies


def test_extra_fields_posted_at_two_factor_set_up_are_ignored(director, officer):
    client = Client()
    client.post(LOGIN, {"username": "director", "password": PASSWORD})
    client.get("/accounts/two-factor/set-up/")
    device = TOTPDevice.objects.get(user=director)
    key = device.key

    client.post(
        "/accounts/two-factor/set-up/",
        {"code": "000000", "user": officer.pk, "user_id": officer.pk, "confirmed": "on",
         "key": "00" * 20},
    )  # fmt: skip

    device.refresh_from_db()
    assert (device.user_id, device.key, device.confirmed) == (director.pk, key, False)
    assert not TOTPDevice.objects.filter(user=officer).exists()


@pytest.mark.parametrize(
    "name",
    [
        "WANG\u202eIL",  # right-to-left override
        "LI\u2066WEI\u2069",  # isolates
        "CHAN\x00",  # NUL
        "SOK\x1b[31m",  # terminal escape
        "DARA\u200f\u202b",  # embedding
    ],
)
def test_control_and_bidi_override_characters_are_refused_in_names(name):
    with pytest.raises(ValidationError) as error:
        reject_control_characters(name)

    assert "invisible control characters" in str(error.value.messages[0])


@pytest.mark.parametrize("name", ["WANG LI", "សុខ ចាន់", "王\u200b丽", "Line one\nline two\ttab"])
def test_ordinary_names_in_any_script_pass(name):
    assert reject_control_characters(name) is None


def test_the_admin_refuses_a_user_name_with_a_direction_override_and_changes_nothing(officer):
    form = IMSUserChangeForm(
        data={"username": "officer_pp", "first_name": "Evil\u202eNAME", "last_name": "Chan",
              "email": "", "role": "officer", "province": "12", "is_active": "on",
              "date_joined_0": "2026-01-01", "date_joined_1": "00:00:00"},
        instance=officer,
    )  # fmt: skip

    assert not form.is_valid()
    assert "first_name" in form.errors
    assert User.objects.get(pk=officer.pk).first_name == "Test"


@pytest.mark.parametrize(
    ("uploaded", "stored"),
    [
        ("../../etc/passwd", "passwd"),
        ("..\\..\\windows\\system32\\config", "config"),
        ("/var/www/photo.jpg", "photo.jpg"),
        ("..", "upload"),
        ("", "upload"),
        ("photo\x00.php.jpg", "photo.php.jpg"),
        ("pic\u202egpj.exe", "picgpj.exe"),
        ("<script>alert(1)</script>.png", "script_.png"),  # "/" ends a folder name
        ("passport scan 01.PDF", "passport scan 01.PDF"),
        ("លិខិតឆ្លងដែន (2).pdf", "លិខិតឆ្លងដែន (2).pdf"),
        ("护照 扫描.jpg", "护照 扫描.jpg"),
    ],
)
def test_uploaded_file_names_never_escape_their_folder(uploaded, stored):
    assert safe_upload_name(uploaded) == stored


def test_a_very_long_file_name_is_cut_but_keeps_its_extension():
    name = safe_upload_name("a" * 500 + ".jpeg")

    assert len(name) == 100
    assert name.endswith(".jpeg")


def test_audit_search_with_control_characters_shows_an_error_instead_of_failing(admin_client_):
    response = admin_client_.get("/audit/", {"username": "adm\u202ein"})

    assert response.status_code == 200
    assert "invisible control characters" in response.content.decode()


@pytest.mark.parametrize(
    ("persona", "url"),
    [
        # A province code with NUL reached PostgreSQL here: a server error before.
        ("director_client", "/cards/due/?province=%00"),
        ("officer_client", "/residents/?q=WANG%00"),
        ("officer_client", "/residents/options/districts/?province=12%00"),
    ],
)
def test_a_nul_character_in_a_query_gets_the_bad_request_page(request, persona, url):
    response = request.getfixturevalue(persona).get(url)

    assert response.status_code == 400
    assert "The request could not be understood" in response.content.decode()


def test_a_nul_character_in_a_form_gets_the_bad_request_page_and_saves_nothing(
    officer_client, officer
):
    from residents.models import Resident
    from tests.residents.test_views import resident_post_data

    before = Resident.objects.count()
    data = {**resident_post_data(), "surname": "WANG\x00", "submit": "1"}

    response = officer_client.post("/residents/new/", data)

    assert response.status_code == 400
    assert "Nothing was changed" in response.content.decode()
    assert Resident.objects.count() == before
