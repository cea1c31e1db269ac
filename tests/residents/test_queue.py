"""The verification queue: search, filters, counts, keyset pages, claims and the next record."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.cache import cache
from django.utils import timezone

from accounts.models import User
from core import keyset
from imports.models import ImportBatch, ImportedResident
from residents import selectors, services
from residents.models import Declaration, LikelyDuplicate, ResidenceBasis
from residents.selectors import QueueFilters
from tests.conftest import client_for
from tests.factories import UserFactory
from tests.residents.conftest import make_resident

Status = Declaration.Status


def queued(maker: User, surname: str, *, days_ago: int = 1, **fields: object) -> Declaration:
    resident = make_resident(maker=maker, surname=surname, **fields)
    declaration = resident.declarations.get()
    Declaration.objects.filter(pk=declaration.pk).update(
        submitted_at=timezone.now() - dt.timedelta(days=days_ago)
    )
    return Declaration.objects.get(pk=declaration.pk)


def surnames(page: selectors.QueuePage) -> list[str]:
    return [d.resident.surname for d in page.items]


@pytest.fixture
def officer_b(geo: None) -> User:
    return UserFactory(username="officer2_pp", role="officer", province_id="12")


@pytest.fixture
def second_verifier(geo: None) -> User:
    return UserFactory(username="verifier2_pp", role="verifier", province_id="12")


# --- Search and filters ----------------------------------------------------------------------
def test_the_queue_finds_by_name_despite_case_and_accents_and_by_passport_number(verifier, officer):
    queued(officer, "NGUYEN", given_names="THI LAN", number="C7654321")
    queued(officer, "WANG", given_names="LI NA", number="E12345678")

    by_name = selectors.verification_queue_for(user=verifier, filters=QueueFilters(q="nguyễn"))
    by_passport = selectors.verification_queue_for(
        user=verifier, filters=QueueFilters(passport="e 1234-5678")
    )

    assert surnames(by_name) == ["NGUYEN"]
    assert surnames(by_passport) == ["WANG"]


def test_each_filter_narrows_the_queue_to_exactly_its_records(verifier, officer, officer_b):
    district_b = "1202"
    old = queued(officer, "OLD", days_ago=40)
    queued(officer_b, "ELSEWHERE", address_district_id=district_b, address_commune_id="120201")
    flagged = queued(officer, "FLAGGED")
    LikelyDuplicate.objects.create(resident=flagged.resident, other=old.resident, similarity=0.8)
    business = ResidenceBasis.objects.exclude(code="marriage").order_by("code").first()
    Declaration.objects.filter(pk=flagged.pk).update(basis=business)
    batch = ImportBatch.objects.create(province_id="12", created_by=officer, file_name="pp.csv")
    ImportedResident.objects.create(batch=batch, row_number=2, resident=old.resident)

    def shown(**filters: object) -> list[str]:
        return surnames(
            selectors.verification_queue_for(user=verifier, filters=QueueFilters(**filters))
        )

    assert shown() == ["OLD", "ELSEWHERE", "FLAGGED"]
    assert shown(district=district_b) == ["ELSEWHERE"]
    assert shown(commune="120201") == ["ELSEWHERE"]
    assert shown(maker=officer_b.pk) == ["ELSEWHERE"]
    assert shown(basis=business.pk) == ["FLAGGED"]
    assert shown(flags="open") == ["FLAGGED"]
    assert shown(flags="none") == ["OLD", "ELSEWHERE"]
    assert shown(older_than=30) == ["OLD"]
    assert shown(batch=batch.pk) == ["OLD"]
    assert shown(sort="newest") == ["FLAGGED", "ELSEWHERE", "OLD"]
    assert shown(sort="name") == ["ELSEWHERE", "FLAGGED", "OLD"]


def test_an_age_range_in_the_url_narrows_the_queue_to_one_bucket_of_the_backlog(
    verifier, verifier_client, officer
):
    """The province page's backlog links to its buckets: "8 to 14 days" and the like."""
    for surname, days in (("FRESH", 2), ("WEEK", 10), ("MONTH", 20), ("OLD", 40)):
        queued(officer, surname, days_ago=days)

    def shown(**filters: object) -> list[str]:
        return surnames(
            selectors.verification_queue_for(user=verifier, filters=QueueFilters(**filters))
        )

    assert shown(newer_than=8) == ["FRESH"]
    assert shown(older_than=8, newer_than=15) == ["WEEK"]
    assert shown(older_than=15, newer_than=31) == ["MONTH"]
    assert shown(older_than=31) == ["OLD"]
    linked = verifier_client.get("/residents/verification/", {"older_than": 8, "newer_than": 15})
    assert linked.context["page"].total == 1
    assert surnames(linked.context["page"]) == ["WEEK"]


def test_the_counts_say_how_many_each_filter_would_show_keeping_the_others(
    verifier, officer, officer_b
):
    queued(officer, "A", days_ago=10)
    queued(officer, "B", days_ago=40)
    queued(officer_b, "C", address_district_id="1202", address_commune_id="120201")

    counts = selectors.verification_queue_for(
        user=verifier, filters=QueueFilters(district="1202")
    ).counts

    assert counts["total"] == 1
    assert {row["value"]: row["count"] for row in counts["districts"]} == {"1201": 2, "1202": 1}
    assert {row["value"]: row["count"] for row in counts["makers"]} == {officer_b.pk: 1}
    assert (counts["older_than_7"], counts["older_than_30"]) == (0, 0)
    assert counts["flags"] == {"open": 0, "none": 1}


def test_the_counts_of_every_facet_come_from_one_grouped_pass_kept_for_the_next_clicks(
    verifier, officer, officer_b, django_assert_num_queries
):
    queued(officer, "A", days_ago=10)
    queued(officer, "B", days_ago=40)
    queued(officer_b, "C", address_district_id="1202", address_commune_id="120201")
    selectors.verification_queue_for(user=verifier)

    with django_assert_num_queries(1):  # the page; the counts are summed from the kept pass
        page = selectors.verification_queue_for(
            user=verifier, filters=QueueFilters(district="1202", older_than=7)
        )
    fresh = selectors.queue_counts_for(
        user=verifier, filters=QueueFilters(district="1202", older_than=7)
    )

    assert {k: v for k, v in page.counts.items() if k != "counted_at"} == {
        k: v for k, v in fresh.items() if k != "counted_at"
    }
    assert (page.counts["total"], page.counts["older_than_7"]) == (0, 0)
    assert {row["value"]: row["count"] for row in page.counts["districts"]} == {"1201": 2}
    assert page.counts["flags"] == {"open": 0, "none": 0}


# --- Keyset pages ----------------------------------------------------------------------------
def test_pages_seek_forwards_backwards_and_to_the_last_in_the_same_number_of_queries(
    verifier, officer, django_assert_num_queries
):
    for n in range(5):
        queued(officer, f"P{n}", days_ago=10 - n)

    # The page, then the counts per filter (one grouped query, in a savepoint that turns the
    # JIT off for it, and the names of the districts, bases and makers found), kept for the
    # next pages.
    with django_assert_num_queries(8):
        first = selectors.verification_queue_for(user=verifier, page_size=2)
    with django_assert_num_queries(1):
        second = selectors.verification_queue_for(
            user=verifier, after=first.next_cursor, page_size=2
        )
    third = selectors.verification_queue_for(user=verifier, after=second.next_cursor, page_size=2)
    back = selectors.verification_queue_for(user=verifier, before=third.prev_cursor, page_size=2)
    with django_assert_num_queries(1):
        last = selectors.verification_queue_for(user=verifier, last=True, page_size=2)
    cache.clear()
    with django_assert_num_queries(8):
        selectors.verification_queue_for(user=verifier, last=True, page_size=2)

    assert [surnames(p) for p in (first, second, third, back, last)] == [
        ["P0", "P1"], ["P2", "P3"], ["P4"], ["P2", "P3"], ["P3", "P4"],
    ]  # fmt: skip
    assert (first.first, first.last, third.last, last.last, last.first) == (
        True, False, True, True, False,
    )  # fmt: skip


def test_a_tampered_cursor_shows_the_first_page(verifier, officer):
    queued(officer, "ONLY")

    page = selectors.verification_queue_for(user=verifier, after="%%not-a-cursor")

    assert surnames(page) == ["ONLY"]


# --- The queue screen ------------------------------------------------------------------------
def test_the_filters_stay_in_the_url_and_the_passport_number_is_sealed(verifier_client, officer):
    queued(officer, "WANG", given_names="LI NA", number="E12345678")
    queued(officer, "OTHER")

    response = verifier_client.post(
        "/residents/verification/", {"passport": "E12345678", "sort": "newest"}
    )
    page = verifier_client.get(response["Location"]).content.decode()

    assert response.status_code == 302
    assert "E12345678" not in response["Location"]
    assert "sort=newest" in response["Location"]
    assert "WANG LI" in page
    assert "OTHER" not in page


def test_a_bad_filter_value_in_a_link_is_ignored_not_an_error(verifier_client, officer):
    queued(officer, "SHOWN")

    response = verifier_client.get(
        "/residents/verification/", {"district": "99x", "batch": "-3", "older_than": "abc"}
    )

    assert response.status_code == 200
    assert "SHOWN" in response.content.decode()


def test_the_queue_screen_counts_link_to_their_filtered_list(verifier_client, officer):
    old = queued(officer, "OLD", days_ago=40)
    queued(officer, "NEW")

    page = verifier_client.get("/residents/verification/").content.decode()

    assert "older_than=30" in page
    linked = verifier_client.get("/residents/verification/", {"older_than": "30"})
    assert old.resident.surname in linked.content.decode()
    assert "NEW " not in linked.content.decode()


# --- Claims ----------------------------------------------------------------------------------
def test_opening_a_record_holds_it_and_another_verifier_sees_who_holds_it(
    verifier_client, second_verifier, officer
):
    declaration = queued(officer, "HELD")

    verifier_client.get(f"/residents/declarations/{declaration.pk}/review/")
    page = client_for(second_verifier).get(f"/residents/declarations/{declaration.pk}/review/")

    declaration.refresh_from_db()
    assert declaration.claimed_by.username == "verifier_pp"
    assert declaration.claimed_until > timezone.now()
    assert 'data-testid="held-by-other"' in page.content.decode()
    assert 'data-testid="review-form"' not in page.content.decode()


def test_a_held_record_cannot_be_decided_by_another_verifier(verifier, second_verifier, officer):
    declaration = queued(officer, "HELD")
    assert services.declaration_claim(declaration=declaration, actor=verifier)

    with pytest.raises(services.NotAllowed, match="is reviewing this declaration until"):
        services.declaration_verify(declaration=declaration, actor=second_verifier)

    declaration.refresh_from_db()
    assert (declaration.status, declaration.reviewed_by, declaration.claimed_by) == (
        Status.SUBMITTED, None, verifier,
    )  # fmt: skip


def test_a_claim_lapses_by_itself(verifier, second_verifier, officer):
    declaration = queued(officer, "LAPSED")
    services.declaration_claim(declaration=declaration, actor=verifier)
    Declaration.objects.filter(pk=declaration.pk).update(
        claimed_until=timezone.now() - dt.timedelta(seconds=1)
    )

    taken = services.declaration_claim(declaration=declaration, actor=second_verifier)

    declaration.refresh_from_db()
    assert taken is True
    assert declaration.claimed_by == second_verifier


def test_a_claim_is_not_a_change_in_the_history(verifier, officer):
    declaration = queued(officer, "QUIET")
    events = declaration.events.count()

    services.declaration_claim(declaration=declaration, actor=verifier)

    assert declaration.events.count() == events


def test_a_verifier_cannot_claim_a_record_they_made(verifier):
    declaration = queued(verifier, "OWN")

    with pytest.raises(services.NotAllowed):
        services.declaration_claim(declaration=declaration, actor=verifier)

    declaration.refresh_from_db()
    assert declaration.claimed_by is None


def test_after_a_decision_the_next_record_of_the_filtered_queue_opens(
    verifier_client, verifier, officer, officer_b
):
    first = queued(officer, "FIRST", days_ago=5)
    queued(officer_b, "SKIPPED", days_ago=4)
    second = queued(officer, "SECOND", days_ago=3)
    url = f"/residents/declarations/{first.pk}/review/?maker={officer.pk}"
    verifier_client.get(url)

    response = verifier_client.post(
        url, {"action": "verify", "reason": "", "version": "1", "resident_version": "1"}
    )

    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == Status.VERIFIED
    assert first.claimed_by is None
    assert response["Location"] == f"/residents/declarations/{second.pk}/review/?maker={officer.pk}"
    assert second.claimed_by == verifier


def test_next_skips_the_current_record_and_releases_it(verifier_client, verifier, officer):
    first = queued(officer, "FIRST", days_ago=5)
    second = queued(officer, "SECOND", days_ago=3)
    verifier_client.get(f"/residents/declarations/{first.pk}/review/")

    response = verifier_client.post("/residents/verification/next/", {"current": first.pk})

    first.refresh_from_db()
    second.refresh_from_db()
    assert response["Location"] == f"/residents/declarations/{second.pk}/review/"
    assert (first.claimed_by, second.claimed_by) == (None, verifier)


def test_next_passes_over_a_record_another_verifier_holds(
    verifier_client, verifier, second_verifier, officer
):
    held = queued(officer, "HELD", days_ago=5)
    free = queued(officer, "FREE", days_ago=3)
    services.declaration_claim(declaration=held, actor=second_verifier)

    response = verifier_client.post("/residents/verification/next/")

    held.refresh_from_db()
    assert response["Location"] == f"/residents/declarations/{free.pk}/review/"
    assert held.claimed_by == second_verifier


def test_next_on_an_empty_queue_goes_back_to_the_list(verifier_client):
    response = verifier_client.post("/residents/verification/next/", {"sort": "name"})

    assert response.status_code == 302
    assert response["Location"].startswith("/residents/verification/")


# --- Access ----------------------------------------------------------------------------------
def test_next_refuses_another_provinces_current_record_and_anonymous(
    verifier_client, other_officer, client
):
    elsewhere = queued(other_officer, "SIEMREAP")

    refused = verifier_client.post("/residents/verification/next/", {"current": elsewhere.pk})
    anonymous = client.post("/residents/verification/next/")

    assert refused.status_code == 404
    assert anonymous.status_code == 302
    assert "/accounts/login/" in anonymous["Location"]
    elsewhere.refresh_from_db()
    assert elsewhere.claimed_by is None


def test_an_officer_cannot_pull_next(officer_client, officer2):
    declaration = queued(officer2, "OTHERS")

    response = officer_client.post("/residents/verification/next/")

    declaration.refresh_from_db()
    assert response.status_code == 403
    assert declaration.claimed_by is None


def test_a_document_shown_in_the_page_may_be_framed_by_this_site_only(verifier_client, officer):
    from django.core.files.base import ContentFile

    declaration = queued(officer, "DOCS")
    document = declaration.documents.create(
        file=ContentFile(b"%PDF-1.4\n%%EOF\n", name="a.pdf"), original_name="a.pdf",
        content_type="application/pdf", size=15, uploaded_by=officer,
    )  # fmt: skip

    inline = verifier_client.get(f"/residents/documents/{document.pk}/?inline=1")
    download = verifier_client.get(f"/residents/documents/{document.pk}/")
    review = verifier_client.get(f"/residents/declarations/{declaration.pk}/review/")

    assert inline["X-Frame-Options"] == "SAMEORIGIN"
    assert "frame-ancestors 'self'" in inline["Content-Security-Policy"]
    assert not inline["Content-Disposition"].startswith("attachment")
    assert download["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in download["Content-Security-Policy"]
    assert f'src="/residents/documents/{document.pk}/?inline=1"' in review.content.decode()


def test_a_jump_opens_the_queue_at_a_day_or_at_a_name_in_one_query(
    verifier, officer, django_assert_num_queries
):
    for n, days_ago in enumerate((20, 15, 10, 5)):
        queued(officer, f"N{n}", days_ago=days_ago)
    selectors.verification_queue_for(user=verifier)  # the counts are kept from here on
    day = (timezone.localdate() - dt.timedelta(days=12)).isoformat()

    with django_assert_num_queries(1):
        oldest = selectors.verification_queue_for(user=verifier, start=day)
    newest = selectors.verification_queue_for(
        user=verifier, filters=QueueFilters(sort="newest"), start=day
    )
    by_name = selectors.verification_queue_for(
        user=verifier, filters=QueueFilters(sort="name"), start="n2"
    )
    nonsense = selectors.verification_queue_for(user=verifier, start="not a day")

    assert surnames(oldest) == ["N2", "N3"]
    assert surnames(newest) == ["N1", "N0"]
    assert surnames(by_name) == ["N2", "N3"]
    assert surnames(nonsense) == ["N0", "N1", "N2", "N3"]
    assert oldest.prev_cursor != ""


def test_the_jump_form_keeps_the_filters(verifier_client, officer):
    queued(officer, "KEPT")

    page = verifier_client.get("/residents/verification/", {"sort": "name", "flags": "none"})

    html = page.content.decode()
    assert '<input type="hidden" name="sort" value="name">' in html
    assert '<input type="hidden" name="flags" value="none">' in html


@pytest.mark.parametrize(
    "values",
    [["not a moment", 1], ["2026-11-01T00:00:00", 1], [12, 1], ["2026-11-01T00:00:00+00:00", "1"]],
)
def test_a_forged_queue_cursor_shows_the_first_page(verifier_client, officer, values):
    queued(officer, "FIRST")

    response = verifier_client.get(
        "/residents/verification/", {"after": keyset.encode_cursor(values)}
    )

    assert response.status_code == 200
    assert "FIRST" in response.content.decode()
