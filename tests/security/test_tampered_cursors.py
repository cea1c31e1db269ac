"""Tampered list cursors: every keyset-paginated list answers with its first page, never a 500."""

from __future__ import annotations

import base64
import datetime as dt
import json

import pytest
from django.utils import timezone

from cards import services as card_services
from cards.models import ResidenceCard
from core.validators import parse_id
from residents import selectors
from tests.cards.conftest import acknowledged
from tests.residents.conftest import make_resident

pytestmark = pytest.mark.django_db


def b64(raw: str) -> str:
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


# None of these was made by the list: bad base64, JSON of another shape, values of the wrong type
# or beyond what the sort column holds (`WyJhYmMiXQ` is ["abc"], a name where an id belongs).
RESIDENT_CURSORS = [
    "not-a-cursor!!",
    "WyJhYmMiXQ",
    "W",
    "====",
    b64("{}"),
    b64('{"id": 1}'),
    b64('"abc"'),
    b64("[]"),
    b64("[1, 2, 3]"),
    b64("[true]"),
    b64("[null]"),
    b64("[[1]]"),
    b64("[1.5]"),
    b64("[1e400]"),
    b64("[NaN]"),
    b64("[-Infinity]"),
    b64("[99999999999999999999999]"),
    b64('["\\u0000", 1]'),
    b64('["\\ud800", 1]'),
    b64(json.dumps(["A" * 5000, 1])),
    b64('["WANG", "1"]'),
    b64('[{"a": 1}, 1]'),
    b64("[" * 100_000),
    b64("x") * 3000,
]
SORTS = [
    {"sort": "newest"},
    {"sort": "oldest"},
    {"sort": "name"},
    {"q": "WANG", "sort": "relevance"},
]


@pytest.mark.parametrize("query", SORTS, ids=[q["sort"] for q in SORTS])
@pytest.mark.parametrize("key", ["after", "before"])
def test_a_tampered_resident_list_cursor_shows_the_first_page(officer_client, officer, query, key):
    for surname in ("WANG", "WANGA", "WANGB"):
        make_resident(maker=officer, surname=surname)
    first = officer_client.get("/residents/", query).context["page"].items
    assert len(first) == 3

    for cursor in RESIDENT_CURSORS:
        response = officer_client.get("/residents/", {**query, key: cursor})

        assert response.status_code == 200, cursor
        assert response.context["page"].items == first, cursor


def test_the_longest_cursor_the_list_makes_is_still_taken(officer):
    # A name of 300 characters, each written \uXXXX in the cursor's JSON.
    for surname in ("A" * 98, "B" * 98):
        make_resident(maker=officer, surname=surname, given_names="ក" * 150, name_km="ខ" * 50)
    filters = selectors.ResidentFilters(sort="name")

    first = selectors.resident_list_for(user=officer, filters=filters, page_size=1)
    second = selectors.resident_list_for(
        user=officer, filters=filters, after=first.next_cursor, page_size=1
    )

    assert len(first.items[0].search_name) == 300
    assert [r.surname[0] for r in (*first.items, *second.items)] == ["A", "B"]


CARD_BEFORE = ["²", "٣", "-1", "1e5", "0x10", "99999999999999999999999", " 5", "abc", "1" * 5000]


@pytest.mark.parametrize("before", CARD_BEFORE)
def test_a_tampered_card_list_cursor_shows_the_first_page(clerk_client, clerk, before):
    card = card_services.card_issue(declaration=acknowledged(), actor=clerk)

    response = clerk_client.get("/cards/", {"before": before})

    assert response.status_code == 200
    assert [c.pk for c in response.context["cards"]] == [card.pk]


RENEWAL_AFTER = [
    "2026-01-01_²",
    "2026-13-01_1",
    "_",
    "x" * 5000,
    "9999-12-31_99999999999999999999999",
    "0001-01-01_-99999999999999999999999",
    "2026W01_1",
    "2026-01-01_1_2",
    b64("[1]"),
]


@pytest.mark.parametrize("after", RENEWAL_AFTER)
def test_a_tampered_renewals_cursor_never_fails(director_client, clerk, after):
    card = card_services.card_issue(declaration=acknowledged(), actor=clerk)
    soon = timezone.localdate() + dt.timedelta(days=30)
    ResidenceCard.objects.filter(pk=card.pk).update(
        status=ResidenceCard.Status.ACTIVE, expiry_date=soon
    )

    response = director_client.get("/jobs/renewals/", {"after": after})

    assert response.status_code == 200
    assert [c.pk for c in response.context["page"].items] in ([card.pk], [])


AUDIT_BEFORE = ["²", "-1", "abc", "99999999999999999999999", "1" * 5000]


@pytest.mark.parametrize("before", AUDIT_BEFORE)
def test_a_tampered_audit_cursor_never_fails(admin_client_, before):
    response = admin_client_.get("/audit/", {"before": before})

    assert response.status_code == 200


@pytest.mark.parametrize(
    ("text", "parsed"),
    [("42", 42), ("9223372036854775807", 2**63 - 1), ("9223372036854775808", None), ("²", None),
     ("٣", None), ("-1", None), (" 5", None), ("", None), (None, None), ("1" * 5000, None)],
)  # fmt: skip
def test_an_id_from_a_query_is_plain_ascii_digits_a_bigint_holds(text, parsed):
    assert parse_id(text) == parsed


def test_card_ids_picked_with_odd_digits_are_ignored(clerk_client, clerk):
    card = card_services.card_issue(declaration=acknowledged(), actor=clerk)

    response = clerk_client.post("/cards/print-runs/new/", {"card": ["²", str(card.pk)]})

    assert response.status_code == 200
    assert card.number in response.content.decode()
