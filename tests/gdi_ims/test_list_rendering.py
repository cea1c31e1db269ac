"""List pages' Python-written markup: the same as the templates it replaced, escaped, no query."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.template import Context, Template
from django.urls import reverse
from django.utils import timezone

from accounts.forms import UserSearchForm
from accounts.models import User
from audit.forms import AuditSearchForm
from core.templatetags import ims_rows
from residents.forms import QueueFilterForm, ResidentSearchForm
from tests.factories import DeclarationFactory, ResidentFactory


def _squeeze(html: str) -> str:
    html = re.sub(r"\s+", " ", html)
    return re.sub(r"\s*(<|>)\s*", r"\1", html).replace(" >", ">").strip()


def _both(bound) -> tuple[str, str]:
    ours = Template("{% load ims_fields %}{{ f|field }}").render(Context({"f": bound}))
    theirs = Template("{% load crispy_forms_tags %}{{ f|as_crispy_field }}").render(
        Context({"f": bound})
    )
    return _squeeze(ours), _squeeze(theirs)


@pytest.mark.django_db
@pytest.mark.parametrize("data", [{}, {"q": "=cmd", "status": "nonsense", "entered_from": "x"}])
def test_the_field_filter_writes_what_crispy_writes_for_every_search_field(geo, data):
    director = User(username="d", role=User.Role.DIRECTOR)
    forms = [
        ResidentSearchForm(data or None, user=director),
        QueueFilterForm(
            data or None, user=User(username="v", role=User.Role.VERIFIER, province_id="12")
        ),
        AuditSearchForm(data or None),
        UserSearchForm(data or None),
    ]
    compared = 0
    for form in forms:
        form.is_valid()
        for name in form.fields:
            ours, theirs = _both(form[name])
            assert ours == theirs, name
            compared += 1
    assert compared > 30


def test_url_of_is_the_reversed_address_of_one_id():
    assert ims_rows.url_of(42, "residents:detail") == reverse("residents:detail", args=[42])
    assert ims_rows.url_of("7", "cards:card-issue") == reverse("cards:card-issue", args=[7])


def test_the_menu_marks_the_current_page_and_escapes_its_labels():
    items = [
        {"url": "/residents/", "icon": "people", "label": "Residents"},
        {"url": "/cards/", "icon": "card", "label": "<Cards>"},
    ]

    html = ims_rows.nav_links(items, "/cards/")

    assert html.count('aria-current="page"') == 1
    assert 'class="nav-link text-nowrap active" aria-current="page" href="/cards/"' in html
    assert "&lt;Cards&gt;" in html
    assert "<Cards>" not in html


def test_dates_are_written_dd_mm_yyyy_in_local_time_and_utc_for_the_audit_trail():
    moment = dt.datetime(2026, 12, 3, 20, 5, 9, tzinfo=dt.UTC)  # 04-12-2026 03:05 in Phnom Penh

    assert ims_rows.dmy(dt.date(2026, 1, 2)) == "02-01-2026"
    assert ims_rows.dmy(None) == ""
    with timezone.override("Asia/Phnom_Penh"):
        assert ims_rows.dmy(moment) == "04-12-2026"
        assert ims_rows.dmy_hm(moment) == "04-12-2026 03:05"
        assert ims_rows.utc_dmy_hms(moment) == "03-12-2026 20:05:09"
    assert ims_rows.pairs({"a": 1, "b": "x"}) == "a=1, b=x"
    assert ims_rows.pairs({}) == "—"


@pytest.mark.django_db
def test_the_residents_rows_escape_what_the_register_holds(officer_client, geo):
    DeclarationFactory(resident=ResidentFactory(surname="<SCRIPT>", name_km="<b>ខ</b>"))

    page = officer_client.get(reverse("residents:list")).content.decode()

    assert "&lt;SCRIPT&gt;" in page
    assert "<SCRIPT>" not in page
    assert "&lt;b&gt;ខ&lt;/b&gt;" in page
    assert page.count('data-testid="resident-row"') == 1
    assert 'data-testid="status"' in page


@pytest.mark.django_db
def test_the_residents_list_makes_the_same_queries_for_3_rows_as_for_30(officer_client, geo):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _n in range(3):
        DeclarationFactory(resident=ResidentFactory())
    officer_client.get(reverse("residents:list"))
    with CaptureQueriesContext(connection) as three:
        officer_client.get(reverse("residents:list"))
    for _n in range(27):
        DeclarationFactory(resident=ResidentFactory())
    with CaptureQueriesContext(connection) as thirty:
        response = officer_client.get(reverse("residents:list"))

    assert response.content.decode().count('data-testid="resident-row"') == 25
    assert len(thirty) == len(three)
