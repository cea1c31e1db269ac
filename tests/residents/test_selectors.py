from __future__ import annotations

import datetime as dt

import pytest
from django.http import Http404

from residents import selectors
from residents.models import Declaration
from residents.selectors import ResidentFilters
from tests.residents.conftest import make_resident

pytestmark = pytest.mark.django_db
Status = Declaration.Status


def names(page: selectors.ResidentPage) -> list[str]:
    return [r.full_name for r in page.items]


def test_an_officer_gets_404_for_a_resident_of_another_province(other_officer, resident):
    with pytest.raises(Http404):
        selectors.resident_get_for(user=other_officer, pk=resident.pk)


def test_national_roles_read_every_province(director, clerk, administrator, other_resident):
    for user in (director, clerk, administrator):
        assert selectors.resident_get_for(user=user, pk=other_resident.pk) == other_resident


@pytest.mark.parametrize(
    "query", ["wang li na", "Wáng Lì Nà", "WANG LI NAA", "WANF LI NA", "li na"]
)
def test_name_search_tolerates_case_accents_and_small_typos(officer, resident, query):
    make_resident(maker=officer, surname="PETROV", given_names="IVAN")

    page = selectors.resident_list_for(user=officer, filters=ResidentFilters(q=query))

    assert names(page) == ["WANG LI NA"]


def test_name_search_finds_the_own_script_name(officer):
    make_resident(maker=officer, surname="ZHANG", given_names="WEI", name_native="张伟")

    page = selectors.resident_list_for(user=officer, filters=ResidentFilters(q="张伟"))

    assert names(page) == ["ZHANG WEI"]


def test_passport_search_is_exact_and_scoped(officer, other_officer, resident, other_resident):
    mine = selectors.resident_list_for(user=officer, filters=ResidentFilters(passport="e1234 5678"))
    theirs = selectors.resident_list_for(
        user=other_officer, filters=ResidentFilters(passport="E12345678")
    )
    partial = selectors.resident_list_for(user=officer, filters=ResidentFilters(passport="E1234"))

    assert names(mine) == ["WANG LI NA"]
    assert names(theirs) == []
    assert names(partial) == []


def test_filters_by_status_nationality_district_and_date_entered(officer):
    make_resident(maker=officer, surname="A", status=Status.VERIFIED, nationality="VN")
    make_resident(maker=officer, surname="B", status=Status.SUBMITTED, nationality="VN")
    make_resident(maker=officer, surname="C", status=Status.VERIFIED, nationality="TH")

    verified_vn = selectors.resident_list_for(
        user=officer, filters=ResidentFilters(status="verified", nationality="VN")
    )
    in_district = selectors.resident_list_for(
        user=officer, filters=ResidentFilters(district="1201", sort="name")
    )
    tomorrow = dt.date.today() + dt.timedelta(days=1)
    entered_later = selectors.resident_list_for(
        user=officer, filters=ResidentFilters(entered_from=tomorrow)
    )

    assert names(verified_vn) == ["A LI"]
    assert names(in_district) == ["A LI", "B LI", "C LI"]
    assert names(entered_later) == []


def test_keyset_pages_walk_forward_and_back_without_gaps_or_repeats(officer):
    for letter in "FBDAEC":
        make_resident(maker=officer, surname=letter)
    filters = ResidentFilters(sort="name")

    first = selectors.resident_list_for(user=officer, filters=filters, page_size=2)
    second = selectors.resident_list_for(
        user=officer, filters=filters, after=first.next_cursor, page_size=2
    )
    third = selectors.resident_list_for(
        user=officer, filters=filters, after=second.next_cursor, page_size=2
    )
    back = selectors.resident_list_for(
        user=officer, filters=filters, before=third.prev_cursor, page_size=2
    )

    assert [names(p) for p in (first, second, third)] == [
        ["A LI", "B LI"], ["C LI", "D LI"], ["E LI", "F LI"],
    ]  # fmt: skip
    assert names(back) == ["C LI", "D LI"]
    assert (first.prev_cursor, third.next_cursor) == ("", "")


def test_a_tampered_cursor_falls_back_to_the_first_page(officer, resident):
    page = selectors.resident_list_for(
        user=officer, filters=ResidentFilters(), after="not-a-cursor!!"
    )

    assert names(page) == ["WANG LI NA"]


def test_the_queue_holds_the_provinces_submitted_declarations_made_by_others(
    officer, verifier, other_officer
):
    waiting = make_resident(maker=officer, surname="WAITING")
    make_resident(maker=officer, surname="DRAFT", status=Status.DRAFT)
    make_resident(maker=verifier, surname="OWN")
    make_resident(maker=other_officer, surname="ELSEWHERE")

    queue = selectors.verification_queue_for(user=verifier)

    assert [d.resident for d in queue.items] == [waiting]
