"""Family links: shown on both records with the inverse relation, a basis of residence needs one."""

from __future__ import annotations

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from cards import services as card_services
from residents import family, history_view, services
from residents.models import Declaration, FamilyLink, ResidenceBasis
from residents.services import NotAllowed, ResidentsError
from tests.conftest import client_for
from tests.residents.conftest import make_resident

pytestmark = pytest.mark.django_db


def test_a_link_shows_on_both_records_with_the_inverse_relation(officer, verifier):
    child = make_resident(maker=officer, surname="CHEN", given_names="XIAO")
    mother = make_resident(maker=officer, surname="CHEN", given_names="MEI")

    family.family_link_add(resident=child, relative=mother, relation="parent", actor=officer)

    from_child = family.relatives_of(user=verifier, resident=child)
    from_mother = family.relatives_of(user=verifier, resident=mother)
    assert [(r.relation, r.name) for r in from_child] == [("parent", "CHEN MEI")]
    assert [(r.relation, r.name) for r in from_mother] == [("child", "CHEN XIAO")]
    assert AuditEvent.objects.filter(action="family_link_added").count() == 2


def test_a_relative_of_another_province_is_shown_without_name_or_link(
    officer, other_officer, resident, other_resident
):
    family.family_link_add(
        resident=resident, relative=other_resident, relation="spouse", actor=officer
    )

    seen_here = family.relatives_of(user=officer, resident=resident)
    seen_there = family.relatives_of(user=other_officer, resident=other_resident)

    assert [(r.relation, r.resident_id, r.name, r.province_name) for r in seen_here] == [
        ("spouse", None, "", "Siemreap")
    ]
    assert [(r.resident_id, r.name) for r in seen_there] == [(None, "")]


def test_the_relative_is_found_by_card_number_in_any_province(
    officer, other_officer, clerk, resident
):
    spouse = make_resident(maker=other_officer, status=Declaration.Status.ACKNOWLEDGED)
    card = card_services.card_issue(declaration=spouse.declarations.get(), actor=clerk)

    found = family.relative_find_for(user=officer, reference=card.number)

    assert found.pk == spouse.pk
    with pytest.raises(ResidentsError):  # a register number outside the officer's province
        family.relative_find_for(user=officer, reference=str(spouse.pk))
    assert family.relative_find_for(user=officer, reference=str(resident.pk)).pk == resident.pk


def test_a_pair_is_linked_once_whichever_record_it_is_entered_from(officer):
    one, two = make_resident(maker=officer), make_resident(maker=officer)
    family.family_link_add(resident=one, relative=two, relation="spouse", actor=officer)

    with pytest.raises(ResidentsError):
        family.family_link_add(resident=two, relative=one, relation="spouse", actor=officer)
    with pytest.raises(ResidentsError):
        family.family_link_add(resident=one, relative=one, relation="child", actor=officer)

    assert FamilyLink.objects.count() == 1


def test_only_an_officer_of_the_residents_province_links(other_officer, verifier, officer):
    one, two = make_resident(maker=officer), make_resident(maker=officer)

    for actor in (other_officer, verifier):
        with pytest.raises(NotAllowed):
            family.family_link_add(resident=one, relative=two, relation="spouse", actor=actor)

    assert FamilyLink.objects.count() == 0


def test_a_removed_link_stays_in_both_histories(officer):
    one, two = make_resident(maker=officer), make_resident(maker=officer)
    link = family.family_link_add(resident=one, relative=two, relation="child", actor=officer)

    family.family_link_remove(link=link, actor=officer)

    assert FamilyLink.objects.count() == 0
    for who, relation in ((one, "Child"), (two, "Parent")):
        entries = [
            (e.action, [c.after for c in e.changes])
            for e in history_view.resident_history_for(resident=who)
            if e.subject == "Family link"
        ]
        assert entries == [
            ("Family link added", [relation]),
            ("Family link removed", [relation]),
        ]


def _born_here_declaration(officer, verifier):
    basis = ResidenceBasis.objects.get(code="born-in-cambodia")
    child = make_resident(maker=officer, status=Declaration.Status.SUBMITTED)
    declaration = child.declarations.get()
    Declaration.objects.filter(pk=declaration.pk).update(basis=basis)
    declaration.refresh_from_db()
    return child, declaration


def test_a_basis_resting_on_a_parent_is_verified_only_with_a_parent_link(officer, verifier):
    assert ResidenceBasis.objects.get(code="born-in-cambodia").required_link == "parent"
    assert ResidenceBasis.objects.get(code="family").required_link == "any"
    child, declaration = _born_here_declaration(officer, verifier)
    father = make_resident(maker=officer)

    with pytest.raises(NotAllowed, match="parent"):
        services.declaration_verify(declaration=declaration, actor=verifier)
    declaration.refresh_from_db()
    assert declaration.status == Declaration.Status.SUBMITTED

    family.family_link_add(resident=father, relative=child, relation="child", actor=officer)
    services.declaration_verify(declaration=declaration, actor=verifier)

    declaration.refresh_from_db()
    assert declaration.status == Declaration.Status.VERIFIED


def test_a_spouse_link_does_not_satisfy_a_basis_that_needs_a_parent(officer, verifier):
    child, declaration = _born_here_declaration(officer, verifier)
    family.family_link_add(
        resident=child, relative=make_resident(maker=officer), relation="spouse", actor=officer
    )

    with pytest.raises(NotAllowed):
        services.declaration_verify(declaration=declaration, actor=verifier)

    declaration.refresh_from_db()
    assert declaration.status == Declaration.Status.SUBMITTED


def test_relatives_are_read_in_one_query(officer, django_assert_num_queries):
    one = make_resident(maker=officer)
    for _ in range(3):
        family.family_link_add(
            resident=one, relative=make_resident(maker=officer), relation="child", actor=officer
        )

    with django_assert_num_queries(1):
        assert len(family.relatives_of(user=officer, resident=one)) == 3


# --- Views -----------------------------------------------------------------------------------
def test_officer_links_from_the_resident_page_and_both_pages_show_it(officer_client, officer):
    one, two = make_resident(maker=officer), make_resident(maker=officer)

    response = officer_client.post(
        reverse("residents:family-link-add", args=[one.pk]),
        {"relation": "spouse", "relative": str(two.pk)},
    )

    assert response.status_code == 302
    page = officer_client.get(reverse("residents:detail", args=[two.pk]))
    assert [(r.relation, r.resident_id) for r in page.context["relatives"]] == [("spouse", one.pk)]


def test_a_mistyped_relative_is_refused_with_a_message(officer_client, resident):
    response = officer_client.post(
        reverse("residents:family-link-add", args=[resident.pk]),
        {"relation": "spouse", "relative": "PR-12-0000000-0"},
        follow=True,
    )

    assert "No current resident" in response.content.decode()
    assert FamilyLink.objects.count() == 0


def test_another_provinces_officer_gets_404_linking_or_removing(officer, other_officer, resident):
    two = make_resident(maker=officer)
    link = family.family_link_add(resident=resident, relative=two, relation="spouse", actor=officer)
    client = client_for(other_officer)

    add = client.post(
        reverse("residents:family-link-add", args=[resident.pk]),
        {"relation": "child", "relative": str(two.pk)},
    )
    remove = client.post(reverse("residents:family-link-remove", args=[link.pk]))

    assert (add.status_code, remove.status_code) == (404, 404)
    assert FamilyLink.objects.count() == 1


def test_anonymous_visitors_are_sent_to_sign_in(client, officer, resident):
    two = make_resident(maker=officer)
    link = family.family_link_add(resident=resident, relative=two, relation="spouse", actor=officer)

    for url in (
        reverse("residents:family-link-add", args=[resident.pk]),
        reverse("residents:family-link-remove", args=[link.pk]),
    ):
        response = client.post(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")
    assert FamilyLink.objects.count() == 1
