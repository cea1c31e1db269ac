"""The other work queues (acknowledgement, cards due, returned-to-me, likely duplicates) on the
verification queue's engine: search, filters, counts, keyset pages at any depth, URL filters."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cards import selectors as card_selectors
from residents import queues, services
from residents.models import Declaration, LikelyDuplicate
from tests.conftest import client_for
from tests.factories import UserFactory
from tests.residents.conftest import make_resident

pytestmark = pytest.mark.django_db
Status = Declaration.Status
NOW = timezone.now()


def in_state(declaration: Declaration, status: str, *, days_ago: int, checker=None) -> None:
    """Put a declaration in a queue's state, entered `days_ago` days ago."""
    # A second per id keeps the rows of one day apart and in id order; less than a day in all,
    # whatever the database's sequences have reached (a whole suite's run goes past 28,000).
    moment = NOW - dt.timedelta(days=days_ago, seconds=declaration.pk % 86_400)
    fields: dict[str, object] = {"status": status}
    if status in (Status.VERIFIED, Status.RETURNED, Status.ACKNOWLEDGED):
        fields.update(reviewed_by=checker, reviewed_at=moment)
    if status == Status.RETURNED:
        fields["status_reason"] = "Passport copy unreadable"
    if status == Status.ACKNOWLEDGED:
        fields["acknowledged_at"] = moment
    Declaration.objects.filter(pk=declaration.pk).update(**fields)


SURNAMES = ["SOKHA", "CHANTHOU", "VIREAK", "PISETH", "DARAVUTH", "MONIROTH", "BOPHA", "KOSAL",
            "RATANAK"]  # fmt: skip


def people(maker, status: str, count: int, *, checker, first_number: int = 0, **fields):
    """`count` residents of the maker's province in a queue's state, 0, 5, 10... days ago."""
    made = []
    for n in range(count):
        resident = make_resident(
            maker=maker, number=f"P{first_number + n:08d}", surname=SURNAMES[n], **fields
        )
        in_state(resident.declarations.get(), status, days_ago=n * 5, checker=checker)
        made.append(resident)
    return made


def walk(queue: queues.Queue, user, filters: queues.QueueFilters, size: int) -> list[int]:
    """Every row's id, page after page through the cursors."""
    seen, after = [], ""
    while True:
        page = queue.page(user=user, filters=filters, after=after, page_size=size)
        seen += [row.pk for row in page.items]
        if not page.next_cursor:
            return seen
        after = page.next_cursor


QUEUES = {
    "acknowledgement": (queues.ACKNOWLEDGEMENT, Status.VERIFIED, "director"),
    "returned": (queues.RETURNED, Status.RETURNED, "officer"),
    "cards_due": (card_selectors.CARDS_DUE, Status.ACKNOWLEDGED, "clerk"),
}


@pytest.fixture
def reader(officer, director, clerk):
    return {"officer": officer, "director": director, "clerk": clerk}


@pytest.mark.parametrize("name", list(QUEUES))
def test_every_row_comes_once_in_order_through_the_pages_at_any_depth(
    name, officer, verifier, reader
):
    queue, status, who = QUEUES[name]
    made = people(officer, status, 7, checker=verifier)
    user = reader[who]
    oldest_first = [r.declarations.get().pk for r in reversed(made)]

    for sort, expected in (("oldest", oldest_first), ("newest", oldest_first[::-1])):
        assert walk(queue, user, queues.QueueFilters(sort=sort), size=2) == expected
    by_name = walk(queue, user, queues.QueueFilters(sort="name"), size=3)
    assert by_name == [r.declarations.get().pk for r in sorted(made, key=lambda r: r.surname)]
    last = queue.page(user=user, filters=queues.QueueFilters(sort="oldest"), last=True,
                      page_size=2)  # fmt: skip
    assert [d.pk for d in last.items] == oldest_first[-2:]
    assert (last.last, bool(last.prev_cursor)) == (True, True)


@pytest.mark.parametrize("name", list(QUEUES))
def test_a_deep_page_costs_the_queries_of_the_first(name, officer, verifier, reader):
    queue, status, who = QUEUES[name]
    people(officer, status, 9, checker=verifier)
    user = reader[who]
    filters = queues.QueueFilters(sort="oldest")
    first = queue.page(user=user, filters=filters, page_size=2)
    deep = queue.page(user=user, filters=filters, page_size=2)
    for _n in range(3):
        deep = queue.page(user=user, filters=filters, after=deep.next_cursor, page_size=2)

    with CaptureQueriesContext(connection) as on_first:
        queue.page(user=user, filters=filters, page_size=2)
    with CaptureQueriesContext(connection) as on_deep:
        page = queue.page(user=user, filters=filters, after=deep.prev_cursor, page_size=2)

    assert first.items and page.items
    assert len(on_deep) == len(on_first) == 1  # the page; its counts come from the cache


@pytest.mark.parametrize("name", list(QUEUES))
def test_search_and_filters_narrow_the_queue_and_each_count_shows_what_it_would_show(
    name, officer, officer2, verifier, reader
):
    queue, status, who = QUEUES[name]
    mine = people(officer, status, 3, checker=verifier)
    theirs = people(officer2, status, 2, checker=verifier, first_number=100)
    user = reader[who] if name != "returned" else officer
    total = 3 if name == "returned" else 5

    def ids(**filters) -> list[int]:
        page = queue.page(user=user, filters=queues.QueueFilters(**filters), page_size=50)
        return sorted(d.resident_id for d in page.items)

    assert len(ids()) == total
    assert ids(q="CHANTHOU") == sorted(
        r.pk for r in (mine[1], theirs[1]) if name != "returned" or r in mine
    )
    assert ids(passport="P00000002") == [mine[2].pk]
    assert ids(older_than=7) == [mine[2].pk]  # entered 10 days ago; the others 0 or 5
    counts = queue.counts(user=user, filters=queues.QueueFilters())
    assert counts["total"] == total
    makers = {row["label"]: row["count"] for row in counts["makers"]}
    if name == "returned":
        assert makers == {"officer_pp": 3}
    else:
        assert makers == {"officer_pp": 3, "officer2_pp": 2}
        assert ids(maker=officer2.pk) == sorted(r.pk for r in theirs)


def test_another_provinces_users_queues_hold_nothing_of_this_province(
    officer, verifier, other_officer
):
    other_clerk = UserFactory(username="clerk_sr", role="clerk", province_id="17")
    people(officer, Status.RETURNED, 2, checker=verifier)
    people(officer, Status.ACKNOWLEDGED, 2, checker=verifier, first_number=50)

    assert queues.RETURNED.page(user=other_officer).items == []
    assert card_selectors.CARDS_DUE.page(user=other_clerk).items == []


def test_a_resident_with_a_card_is_no_longer_due_one(officer, verifier, clerk):
    from cards import services as card_services

    due = people(officer, Status.ACKNOWLEDGED, 2, checker=verifier)
    card_services.card_issue(declaration=due[0].declarations.get(), actor=clerk)

    page = card_selectors.CARDS_DUE.page(user=clerk)

    assert [d.resident_id for d in page.items] == [due[1].pk]


# --- Likely duplicates ---------------------------------------------------------------------------
def flagged(officer, count: int) -> list[LikelyDuplicate]:
    flags = []
    for n in range(count):
        born = dt.date(1970, 1, 1) + dt.timedelta(days=n)
        make_resident(maker=officer, number=f"D{n:08d}", surname=SURNAMES[n], given_names="HUA",
                      date_of_birth=born)  # fmt: skip
        twin = make_resident(maker=officer, number=f"T{n:08d}", surname=SURNAMES[n],
                             given_names="HUA", date_of_birth=born)  # fmt: skip
        services.flag_likely_duplicates(resident_ids=[twin.pk])
        flags.append(twin.duplicate_flags.get())
    return flags


def test_the_duplicates_queue_pages_the_open_flags_and_leaves_out_decided_ones(officer, verifier):
    flags = flagged(officer, 5)
    services.duplicate_decide(flag=flags[0], actor=verifier, confirmed=False)

    seen = walk(queues.DUPLICATES, verifier, queues.QueueFilters(sort="oldest"), size=2)
    named = queues.DUPLICATES.page(user=verifier, filters=queues.QueueFilters(q="PISETH"))

    assert seen == [f.pk for f in flags[1:]]
    assert [f.pk for f in named.items] == [flags[3].pk]
    assert queues.DUPLICATES.counts(user=verifier, filters=queues.QueueFilters())["total"] == 4


# --- The pages -----------------------------------------------------------------------------------
def rows_in(body: str) -> int:
    return body.count('data-testid="queue-row"') + body.count('data-testid="returned-row"')


PAGES = [
    ("/residents/acknowledgements/?province=12", "director", Status.VERIFIED),
    ("/residents/returned/", "officer", Status.RETURNED),
    ("/cards/due/", "clerk", Status.ACKNOWLEDGED),
]


@pytest.mark.parametrize(("url", "who", "status"), PAGES)
def test_each_queue_page_lists_its_rows_with_counts_and_keeps_filters_in_its_links(
    url, who, status, officer, verifier, director, clerk
):
    people(officer, status, 3, checker=verifier)
    user = {"officer": officer, "director": director, "clerk": clerk}[who]
    client = client_for(user)
    joiner = "&" if "?" in url else "?"

    page = client.get(f"{url}{joiner}q=CHANTHOU&sort=name")
    narrowed = client.get(f"{url}{joiner}older_than=7")

    body = page.content.decode()
    assert page.status_code == 200
    assert rows_in(body) == 1
    assert "CHANTHOU" in body
    assert "older_than=7" in body and "q=CHANTHOU" in body  # the counts' links keep the search
    assert rows_in(narrowed.content.decode()) == 1  # entered 10 days ago


def test_the_duplicates_page_lists_the_open_pairs(officer, verifier):
    flags = flagged(officer, 2)

    response = client_for(verifier).get("/residents/duplicates/?sort=newest")

    body = response.content.decode()
    assert response.status_code == 200
    assert rows_in(body) == 2
    assert f'href="/residents/{flags[1].resident_id}/"' in body


def test_a_posted_queue_search_comes_back_as_a_link_with_the_passport_sealed(
    officer, verifier, director
):
    people(officer, Status.VERIFIED, 2, checker=verifier)
    client = client_for(director)

    posted = client.post("/residents/acknowledgements/", {"passport": "P00000001"})
    followed = client.get(posted["Location"])

    assert posted.status_code == 302
    assert "P00000001" not in posted["Location"]
    assert rows_in(followed.content.decode()) == 1


@pytest.mark.parametrize(
    ("url", "who"),
    [("/residents/duplicates/", "officer"), ("/residents/returned/", "verifier"),
     ("/residents/acknowledgements/", "verifier"), ("/cards/due/", "officer")],
)  # fmt: skip
def test_a_queue_is_refused_to_a_role_that_does_not_work_it(url, who, officer, verifier):
    user = {"officer": officer, "verifier": verifier}[who]

    assert client_for(user).get(url).status_code == 403


@pytest.mark.parametrize(
    "url", ["/residents/duplicates/", "/residents/returned/", "/residents/acknowledgements/",
            "/cards/due/"],
)  # fmt: skip
def test_an_anonymous_visitor_is_sent_to_sign_in(client, url, geo):
    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_another_provinces_officer_sees_none_of_the_returned_records(
    officer, verifier, other_officer
):
    people(officer, Status.RETURNED, 2, checker=verifier)

    body = client_for(other_officer).get("/residents/returned/").content.decode()

    assert rows_in(body) == 0


def test_another_provinces_clerk_naming_this_province_sees_none_of_its_cards_due(officer, verifier):
    other_clerk = UserFactory(username="clerk_sr2", role="clerk", province_id="17")
    people(officer, Status.ACKNOWLEDGED, 1, checker=verifier)

    response = client_for(other_clerk).get("/cards/due/?province=12")

    assert response.status_code == 200
    assert rows_in(response.content.decode()) == 0
