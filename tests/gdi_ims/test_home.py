from __future__ import annotations

from pathlib import Path

import pytest
from django.test import Client

from tests.conftest import client_for

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("persona", "heading"),
    [
        ("officer", "Provincial officer · Phnom Penh"),
        ("verifier", "Provincial verifier · Phnom Penh"),
        ("other_officer", "Provincial officer · Siemreap"),
        ("director", "HQ director"),
        ("clerk", "Card clerk"),
        ("administrator", "Administrator"),
    ],
)
def test_each_role_sees_its_own_home_page(request, persona, heading):
    # client_for: signed in with the second factor verified, as every persona client is.
    client = client_for(request.getfixturevalue(persona))

    response = client.get("/")

    assert response.status_code == 200
    assert f'data-testid="home-title">{heading}</h1>' in response.content.decode()


def test_only_administrators_see_the_administration_link(officer_client, admin_client_):
    officer_page = officer_client.get("/").content.decode()
    admin_page = admin_client_.get("/").content.decode()

    assert 'href="/admin/"' not in officer_page
    assert 'href="/admin/"' in admin_page


def test_anonymous_visitor_is_sent_to_sign_in(geo):
    response = Client().get("/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/"


def test_unknown_page_shows_the_translated_404_page(officer_client):
    response = officer_client.get("/no-such-page/", HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


def test_pages_show_the_khmer_web_font_from_the_package(officer_client):
    from django.contrib.staticfiles import finders

    font = finders.find("fonts/noto-sans-khmer/NotoSansKhmer[wdth,wght].ttf")
    css = finders.find("css/ims.css")

    assert font is not None
    assert "NotoSansKhmer[wdth,wght].ttf" in Path(css).read_text(encoding="utf-8")
    assert "/static/css/ims.css" in officer_client.get("/").content.decode()


def test_bootstrap_and_htmx_are_served_from_installed_packages(officer_client):
    from django.contrib.staticfiles import finders

    page = officer_client.get("/").content.decode()

    for asset in ("vendor/bootstrap/css/bootstrap.min.css", "vendor/htmx/htmx.min.js"):
        assert f"/static/{asset}" in page
        assert "node_modules" in finders.find(asset)
