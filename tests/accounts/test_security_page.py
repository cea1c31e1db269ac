"""One's own account security: recovery codes instead of the phone, and one's live sessions."""

from __future__ import annotations

import pytest
from django.test import Client
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken

from accounts import otp, services
from audit.models import AuditEvent
from tests.conftest import client_for
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

Action = AuditEvent.Action
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0"


def codes_of(user) -> set[str]:
    return set(StaticToken.objects.filter(device__user=user).values_list("token", flat=True))


def signed_in_with_password(username: str, agent: str = FIREFOX) -> Client:
    client = Client(headers={"user-agent": agent})
    response = client.post("/accounts/login/", {"username": username, "password": PASSWORD})
    assert response.status_code == 302
    return client


# --- Recovery codes ---------------------------------------------------------------------------
def test_a_user_makes_ten_recovery_codes_shown_once_and_audited(director_client, director):
    page = director_client.get("/accounts/two-factor/recovery-codes/")
    response = director_client.post("/accounts/two-factor/recovery-codes/", {"next": "/"})

    assert page.context["codes"] is None
    shown = response.context["codes"]
    assert len(shown) == 10
    assert all(len(code) == 9 and code[4] == "-" for code in shown)
    assert codes_of(director) == {code.replace("-", "") for code in shown}
    event = AuditEvent.objects.filter(action=Action.RECOVERY_CODES_GENERATED).latest("id")
    assert (event.username, event.detail) == ("director", {"count": 10, "replaced": 0})
    # Shown once: the page afterwards says how many are left, not what they are.
    again = director_client.get("/accounts/two-factor/recovery-codes/")
    assert again.context["codes"] is None
    assert again.context["left"] == 10
    assert shown[0] not in again.content.decode()


def test_new_recovery_codes_replace_the_old_ones(director):
    otp.ensure_confirmed_device(director)
    old = services.recovery_codes_generate(user=director)

    new = services.recovery_codes_generate(user=director)

    assert codes_of(director) == set(new)
    assert not set(old) & set(new)
    assert StaticDevice.objects.filter(user=director).count() == 1


def test_recovery_codes_need_an_authenticator_first(officer_client, officer):
    officer_client.get("/")  # the persona's device from client_for is removed below
    otp.confirmed_device(officer).delete()

    response = officer_client.post("/accounts/two-factor/recovery-codes/")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/two-factor/set-up/")
    assert codes_of(officer) == set()


def test_a_recovery_code_signs_in_once_instead_of_the_authenticator(director):
    otp.ensure_confirmed_device(director)
    code = services.recovery_codes_generate(user=director)[0]
    client = signed_in_with_password("director")
    assert client.get("/")["Location"].startswith("/accounts/two-factor/")

    response = client.post(
        "/accounts/two-factor/", {"recovery_code": otp.format_recovery_code(code).upper()}
    )

    assert response["Location"] == "/"
    assert client.get("/").status_code == 200
    assert code not in codes_of(director)
    assert len(codes_of(director)) == 9
    event = AuditEvent.objects.filter(action=Action.OTP_VERIFIED).latest("id")
    assert event.detail == {"recovery_code": True, "left": 9}
    # The same code again, in another session: refused, nothing spent.
    other = signed_in_with_password("director")
    refused = other.post("/accounts/two-factor/", {"recovery_code": code})
    assert refused.status_code == 200
    assert refused.context["recovery_form"].errors["recovery_code"] == [
        "This recovery code is wrong or was already used."
    ]
    assert other.get("/")["Location"].startswith("/accounts/two-factor/")
    assert len(codes_of(director)) == 9
    assert AuditEvent.objects.filter(action=Action.OTP_FAILED).latest("id").detail == {
        "recovery_code": True
    }


def test_the_code_page_offers_recovery_codes_only_to_users_who_have_some(director):
    otp.ensure_confirmed_device(director)
    client = signed_in_with_password("director")

    without = client.get("/accounts/two-factor/")
    services.recovery_codes_generate(user=director)
    with_codes = client.get("/accounts/two-factor/")

    assert 'data-testid="recovery-code"' not in without.content.decode()
    assert 'data-testid="recovery-code"' in with_codes.content.decode()


def test_resetting_the_second_factor_removes_the_recovery_codes(administrator, director):
    otp.ensure_confirmed_device(director)
    services.recovery_codes_generate(user=director)

    services.otp_reset(actor=administrator, user=director)

    assert not StaticDevice.objects.filter(user=director).exists()
    assert codes_of(director) == set()


# --- Sessions ---------------------------------------------------------------------------------
def test_the_security_page_lists_ones_own_sessions_with_where_and_when(officer, officer2):
    here = signed_in_with_password("officer_pp")
    signed_in_with_password("officer_pp", agent="Chrome/131 on Android")
    signed_in_with_password("officer2_pp")  # someone else's: not listed

    response = here.get("/accounts/security/")

    assert response.status_code == 200
    listed = response.context["sessions"]
    assert sorted(s.agent for s in listed) == ["Chrome/131 on Android", FIREFOX]
    assert {s.ip for s in listed} == {"127.0.0.1"}
    assert all(s.signed_in_at is not None for s in listed)
    assert response.context["current_key"] in {s.key for s in listed}
    assert "this session" in response.content.decode()


def test_signing_out_of_all_other_sessions_keeps_this_one(officer, officer2):
    here = signed_in_with_password("officer_pp")
    elsewhere = signed_in_with_password("officer_pp", agent="Chrome/131")
    colleague = signed_in_with_password("officer2_pp")

    response = here.post("/accounts/security/sessions/end-others/", follow=True)

    assert "1 other session was signed out." in response.content.decode()
    assert here.get("/").status_code == 200
    assert elsewhere.get("/")["Location"] == "/accounts/login/?next=/"
    assert colleague.get("/").status_code == 200
    event = AuditEvent.objects.get(action=Action.OTHER_SESSIONS_ENDED)
    assert (event.username, event.detail) == ("officer_pp", {"sessions_ended": 1})


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/accounts/security/"),
        ("get", "/accounts/two-factor/recovery-codes/"),
        ("post", "/accounts/two-factor/recovery-codes/"),
        ("post", "/accounts/security/sessions/end-others/"),
    ],
)
def test_the_security_pages_send_anonymous_visitors_to_sign_in(method, path, geo):
    response = getattr(Client(), method)(path)

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert not AuditEvent.objects.filter(
        action__in=[Action.RECOVERY_CODES_GENERATED, Action.OTHER_SESSIONS_ENDED]
    ).exists()


def test_the_security_page_speaks_khmer(officer):
    client = client_for(officer)

    response = client.get("/accounts/security/", headers={"accept-language": "km"})

    assert "សុវត្ថិភាពគណនី" in response.content.decode()
    assert "កន្លែងដែលអ្នកបានចូលប្រើ" in response.content.decode()


def test_a_provincial_officer_may_set_up_two_factor_sign_in_from_the_security_page(officer):
    client = signed_in_with_password("officer_pp")  # no device: not asked for a code

    page = client.get("/accounts/security/")
    enrol = client.get("/accounts/two-factor/set-up/?next=/accounts/security/")

    assert page.context["has_second_factor"] is False
    assert 'href="/accounts/two-factor/set-up/?next=/accounts/security/"' in page.content.decode()
    assert enrol.status_code == 200
    assert enrol.context["required"] is False
