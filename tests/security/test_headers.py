"""Response headers: CSP without inline script, no caching of pages, sniffing and referrer."""

from __future__ import annotations

import re

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def directives(response) -> dict[str, str]:
    policy = response["Content-Security-Policy"]
    return {part.split()[0]: " ".join(part.split()[1:]) for part in policy.split("; ")}


def test_every_page_sends_a_strict_content_security_policy(officer_client):
    csp = directives(officer_client.get("/"))

    assert csp["default-src"] == "'self'"
    assert csp["script-src"] == "'self'"
    assert csp["style-src"] == "'self'"
    assert csp["object-src"] == "'none'"
    assert csp["base-uri"] == "'none'"
    assert csp["frame-ancestors"] == "'none'"
    assert "unsafe-inline" not in " ".join(csp.values())


def test_pages_carry_no_inline_script_or_style(officer_client, admin_client_):
    pages = [(Client(), "/accounts/login/"), (officer_client, "/"), (admin_client_, "/audit/")]
    for client, url in pages:
        page = client.get(url).content.decode()
        assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", page) == [], url
        assert "<style" not in page and " style=" not in page, url
        assert re.findall(r"\son[a-z]+=", page) == [], url


def test_signed_in_pages_are_never_stored_by_browsers_or_proxies(officer_client):
    response = officer_client.get("/")

    assert "no-store" in response["Cache-Control"]
    assert "private" in response["Cache-Control"]


def test_the_sign_in_page_is_not_stored_either(geo):
    assert "no-store" in Client().get("/accounts/login/")["Cache-Control"]


def test_content_type_sniffing_framing_and_referrer_are_locked_down(officer_client):
    response = officer_client.get("/")

    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"


def test_htmx_is_told_not_to_inject_inline_styles(officer_client):
    page = officer_client.get("/").content.decode()

    assert '<meta name="htmx-config" content=\'{"includeIndicatorStyles": false}\'>' in page


def test_static_files_keep_their_cache_lifetime_while_pages_are_never_stored(officer_client):
    """Styles, scripts and fonts are fetched once, not on every page (nothing personal in them)."""
    from django.templatetags.static import static

    response = officer_client.get(static("css/ims.css"))

    assert response.status_code == 200
    cache_control = response["Cache-Control"]
    assert "no-store" not in cache_control and "no-cache" not in cache_control
    max_age = re.search(r"max-age=(\d+)", cache_control)
    assert max_age is not None and int(max_age.group(1)) > 0
    assert "no-store" in officer_client.get("/")["Cache-Control"]
