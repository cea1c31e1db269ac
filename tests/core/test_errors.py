"""One error vocabulary (core.errors), answered once (core.middleware)."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from accounts.services import AccountsError
from audit.models import AuditEvent
from cards.services import CardRefused
from cards.services import IllegalTransition as CardTransition
from compilation.services import ProvinceListError
from core.errors import ApplicationError, Conflict, Invalid, NotAllowed
from residents import services as residents
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def test_every_apps_refusal_is_an_application_error_with_its_status():
    assert issubclass(AccountsError, ApplicationError)
    assert issubclass(ProvinceListError, Conflict)
    assert issubclass(residents.IllegalTransition, Conflict)
    assert issubclass(residents.StaleVersion, Conflict)
    assert issubclass(residents.NotAllowed, NotAllowed)
    assert issubclass(residents.DuplicatePassport, residents.ResidentsError)
    # A card's refused move is still a ValidationError, so a form's clean() may raise it.
    assert issubclass(CardTransition, Conflict) and issubclass(CardTransition, ValidationError)
    assert (ApplicationError.status, NotAllowed.status, Conflict.status) == (400, 403, 409)
    error = CardTransition("Only a printed card can be handed over.")
    assert (error.message, str(error)) == (
        "Only a printed card can be handed over.",
        "Only a printed card can be handed over.",
    )


@pytest.fixture
def refusing(settings):
    settings.ROOT_URLCONF = "tests.core.urls"


def test_an_uncaught_refusal_on_a_page_shows_its_message_and_status(refusing, officer):
    client = client_for(officer)
    before = AuditEvent.objects.count()

    conflict = client.get("/refuse/conflict/")
    plain = client.get("/refuse/plain/", headers={"accept-language": "km"})

    assert conflict.status_code == 409
    assert "A verified declaration cannot be submitted again." in conflict.content.decode()
    assert "Nothing was changed." in conflict.content.decode()
    assert plain.status_code == 400
    assert "គ្មានអ្វីត្រូវបានផ្លាស់ប្តូរទេ។" in plain.content.decode()
    assert AuditEvent.objects.count() == before


def test_an_uncaught_refusal_of_a_form_post_goes_back_with_the_message(refusing, officer):
    client = client_for(officer)

    response = client.post(
        "/refuse/conflict/", headers={"referer": "http://testserver/residents/"}, follow=True
    )

    assert response.redirect_chain == [("http://testserver/residents/", 303)]
    messages = [str(m) for m in response.context["messages"]]
    assert messages == ["A verified declaration cannot be submitted again."]


def test_a_foreign_referer_is_never_followed(refusing, officer):
    client = client_for(officer)

    response = client.post("/refuse/plain/", headers={"referer": "https://evil.example/x"})

    assert response.status_code == 400
    assert "Refused for a reason the user can read." in response.content.decode()


def test_a_refused_actor_gets_the_403_page_even_from_a_form_post(refusing, officer):
    client = client_for(officer)
    before = AuditEvent.objects.count()

    response = client.post(
        "/refuse/role/",
        headers={"referer": "http://testserver/residents/", "accept-language": "km"},
    )

    assert response.status_code == 403
    assert "តួនាទីរបស់អ្នកមិនរួមបញ្ចូលសកម្មភាពនេះទេ" in response.content.decode()
    assert AuditEvent.objects.count() == before


def test_the_refusals_django_knows_are_still_djangos():
    # A role refusal is Django's PermissionDenied (the admin, handler403) and a broken rule its
    # ValidationError (a form's clean() may raise it), but both are the IMS's own first.
    refused = CardRefused("A reason is required.")
    assert isinstance(NotAllowed(), PermissionDenied) and isinstance(refused, ValidationError)
    assert isinstance(refused, Invalid) and isinstance(refused, ApplicationError)
    assert (refused.messages, refused.status) == (["A reason is required."], 400)
    assert str(NotAllowed()).startswith("Your role does not include this action.")
