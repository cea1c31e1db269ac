from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings

pytestmark = pytest.mark.django_db
PO_FILE = Path(settings.BASE_DIR) / "locale" / "km" / "LC_MESSAGES" / "django.po"


def test_switching_to_khmer_shows_the_interface_in_khmer(officer_client):
    response = officer_client.post("/i18n/setlang/", {"language": "km", "next": "/"}, follow=True)

    page = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="km">' in page
    assert "ចាកចេញ" in page  # "Sign out"
    assert "Sign out" not in page


def test_unknown_language_code_is_refused_with_a_message_and_nothing_changes(officer_client):
    response = officer_client.post("/i18n/setlang/", {"language": "xx", "next": "/"}, follow=True)

    page = response.content.decode()
    assert "Unknown language. Choose English or Khmer." in page
    assert '<html lang="en">' in page
    assert settings.LANGUAGE_COOKIE_NAME not in response.client.cookies


def test_language_switch_does_not_redirect_off_site(officer_client):
    response = officer_client.post(
        "/i18n/setlang/", {"language": "xx", "next": "https://evil.example/"}
    )

    assert response["Location"] == "/"


def test_set_language_refuses_get(officer_client):
    response = officer_client.get("/i18n/setlang/?language=km")

    assert response.status_code == 405
    assert settings.LANGUAGE_COOKIE_NAME not in response.client.cookies


def _po_entries(text: str) -> list[tuple[str, str, bool]]:
    """(msgid, msgstr, fuzzy) of each entry of a .po file, header excluded."""
    entries, fuzzy = [], False
    msgid = msgstr = None
    field = None
    for line in [*text.splitlines(), ""]:
        if line.startswith("#,") and "fuzzy" in line:
            fuzzy = True
        elif line.startswith("msgid "):
            msgid, field = line[6:].strip('"'), "id"
        elif line.startswith("msgid_plural"):
            field = "plural"
        elif line.startswith("msgstr"):
            value = line.split(" ", 1)[1].strip('"')
            msgstr = value if msgstr is None else msgstr + value
            field = "str"
        elif line.startswith('"'):
            if field == "id":
                msgid += line.strip('"')
            elif field == "str":
                msgstr += line.strip('"')
        elif not line.strip():
            if msgid:
                entries.append((msgid, msgstr or "", fuzzy))
            msgid = msgstr = field = None
            fuzzy = False
    return entries


def test_every_interface_string_has_a_khmer_translation():
    entries = _po_entries(PO_FILE.read_text(encoding="utf-8"))

    untranslated = [msgid for msgid, msgstr, fuzzy in entries if not msgstr or fuzzy]
    assert len(entries) > 50
    assert untranslated == []
