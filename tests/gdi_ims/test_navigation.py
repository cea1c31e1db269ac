"""The menu: each role's entries, in the page's language, reversed once per process."""

from __future__ import annotations

import re

import pytest
from django.conf import settings

from gdi_ims import navigation

pytestmark = pytest.mark.django_db


def menu_of(page: str) -> list[str]:
    """The addresses of the menu entries on a page."""
    menu = page.split('data-testid="nav"', 1)[1].split("</ul>", 1)[0]
    return re.findall(r'href="([^"]+)"', menu)


def test_each_role_sees_its_own_entries(officer_client, director_client):
    officer = menu_of(officer_client.get("/").content.decode())
    director = menu_of(director_client.get("/").content.decode())

    assert "/residents/new/" in officer and "/provinces/" not in officer
    assert "/provinces/" in director and "/residents/new/" not in director
    assert "/audit/" in director and "/audit/" not in officer


def test_the_menu_follows_the_language_of_the_page(officer_client):
    english = officer_client.get("/").content.decode()
    officer_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "km"
    khmer = officer_client.get("/").content.decode()

    assert "New resident" in english and "អ្នករស់នៅថ្មី" not in english
    assert "អ្នករស់នៅថ្មី" in khmer and "New resident" not in khmer
    assert menu_of(english) == menu_of(khmer)


def test_the_menu_is_reversed_once_per_role_and_language(officer_client, director_client):
    navigation._menu.cache_clear()
    officer_client.get("/")
    director_client.get("/")
    built = navigation._menu.cache_info().misses

    officer_client.get("/")
    director_client.get("/")

    assert built == 2
    assert navigation._menu.cache_info().misses == built


def test_the_menu_follows_a_changed_url_configuration(officer_client, settings):
    officer_client.get("/")

    settings.ROOT_URLCONF = "tests.gdi_ims.urls_prefixed"

    assert "/ims/residents/new/" in menu_of(officer_client.get("/ims/").content.decode())
