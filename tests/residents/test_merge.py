""" "Same person": a likely-duplicate pair merged into one record, nothing either held lost."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import close_old_connections, connection

from accounts.models import User
from audit.models import AuditEvent
from cards import services as card_services
from cards.models import CardEvent, ResidenceCard
from imports.models import ImportBatch, ImportedResident
from residents import history_view, merge, services
from residents.models import Declaration, DeclarationDocument, LikelyDuplicate, Resident
from tests.factories import DeclarationFactory, UserFactory
from tests.residents.conftest import make_resident

pytestmark = pytest.mark.django_db

BORN = dt.date(1980, 5, 17)


def pair(officer: User) -> tuple[Resident, Resident, LikelyDuplicate]:
    """Two records of one woman, the later one flagged against the earlier one."""
    first = make_resident(
        maker=officer,
        number="E10000001",
        surname="WANG",
        given_names="LI NA",
        date_of_birth=BORN,
        nationality="CN",
    )
    second = make_resident(
        maker=officer,
        number="E10000002",
        surname="WANG",
        given_names="LINA",
        date_of_birth=BORN,
        nationality="CN",
    )
    assert services.flag_likely_duplicates(resident_ids=[second.pk]) == 1
    return first, second, second.duplicate_flags.get()


def snapshot() -> dict[str, object]:
    """Everything a merge may touch, to prove a refused one changed nothing."""
    return {
        "residents": sorted(Resident.objects.values_list("pk", "merged_into_id", "version")),
        "declarations": sorted(Declaration.objects.values_list("pk", "resident_id", "status")),
        "flags": sorted(
            LikelyDuplicate.objects.values_list("pk", "resident_id", "other_id", "status")
        ),
        "cards": sorted(ResidenceCard.objects.values_list("pk", "resident_id", "status")),
        "audit": AuditEvent.objects.exclude(action=AuditEvent.Action.RESIDENT_VIEWED).count(),
    }


def acknowledge(resident: Resident) -> Declaration:
    return DeclarationFactory(resident=resident, status=Declaration.Status.ACKNOWLEDGED)


def test_same_person_moves_declarations_documents_passports_and_flags_to_the_record_kept(
    officer, verifier
):
    first, second, flag = pair(officer)
    document = DeclarationDocument.objects.create(
        declaration=second.declarations.get(),
        original_name="lease.pdf",
        content_type="application/pdf",
        size=10,
        uploaded_by=officer,
        file="x.pdf",
    )
    third = make_resident(
        maker=officer,
        number="E10000003",
        surname="WANG",
        given_names="LI NAA",
        date_of_birth=BORN,
        nationality="CN",
    )
    services.flag_likely_duplicates(resident_ids=[third.pk])  # third ~ first and third ~ second

    kept = merge.residents_merge(flag=flag, survivor=first, actor=verifier)

    second.refresh_from_db()
    flag.refresh_from_db()
    assert kept == first
    assert (second.merged_into_id, second.merged_at is not None) == (first.pk, True)
    assert sorted(first.declarations.values_list("pk", flat=True)) == sorted(
        Declaration.objects.filter(resident__in=[first, second]).values_list("pk", flat=True)
    )
    assert first.declarations.count() == 2 and second.declarations.count() == 0
    assert DeclarationDocument.objects.get(pk=document.pk).declaration.resident_id == first.pk
    assert list(first.documents.order_by("pk").values_list("is_current", flat=True)) == [
        True,
        False,
    ]
    assert second.documents.count() == 0
    assert (flag.status, flag.decided_by) == (LikelyDuplicate.Status.MERGED, verifier)
    # third ~ second would repeat third ~ first: it stays on the merged record, closed.
    assert sorted(third.duplicate_flags.values_list("other_id", "status")) == [
        (first.pk, "open"),
        (second.pk, "merged"),
    ]
    event = AuditEvent.objects.filter(action=AuditEvent.Action.DUPLICATE_RESOLVED).get()
    assert (event.detail["decision"], event.detail["survivor"], event.detail["merged"]) == (
        "merged",
        first.pk,
        second.pk,
    )
    assert event.user == verifier


def test_the_merged_records_current_card_is_revoked_when_the_kept_record_has_one(
    officer, verifier, clerk
):
    first, second, flag = pair(officer)
    kept_card = card_services.card_issue(declaration=acknowledge(first), actor=clerk)
    other_card = card_services.card_issue(declaration=acknowledge(second), actor=clerk)

    merge.residents_merge(flag=flag, survivor=first, actor=verifier)

    kept_card.refresh_from_db()
    other_card.refresh_from_db()
    assert (kept_card.resident_id, kept_card.status) == (first.pk, "issued")
    assert (other_card.resident_id, other_card.status) == (first.pk, "revoked")
    assert other_card.status_reason == (
        f"The same person as resident no. {first.pk}: records merged."
    )
    assert list(other_card.events.values_list("kind", "actor")) == [
        (CardEvent.Kind.REVOKED, verifier.pk),
        (CardEvent.Kind.ISSUED, clerk.pk),
    ]
    assert ResidenceCard.objects.filter(resident=first).current().count() == 1


def test_the_merged_records_card_moves_and_stays_valid_when_the_kept_record_has_none(
    officer, verifier, clerk
):
    first, second, flag = pair(officer)
    card = card_services.card_issue(declaration=acknowledge(second), actor=clerk)

    merge.residents_merge(flag=flag, survivor=first, actor=verifier)

    card.refresh_from_db()
    assert (card.resident_id, card.status) == (first.pk, "issued")


def test_the_later_record_can_be_the_one_kept(officer, verifier):
    first, second, flag = pair(officer)

    merge.residents_merge(flag=flag, survivor=second, actor=verifier)

    first.refresh_from_db()
    assert first.merged_into_id == second.pk
    assert second.declarations.count() == 2


def test_the_import_row_and_every_other_reference_move_to_the_record_kept(officer, verifier, clerk):
    from jobs.models import JobRun, RenewalNotice

    first, second, flag = pair(officer)
    batch = ImportBatch.objects.create(
        province_id="12", created_by=officer, file_name="pp.csv", file_sha256="0" * 64
    )
    ImportedResident.objects.create(batch=batch, row_number=2, resident=second)
    card = card_services.card_issue(declaration=acknowledge(second), actor=clerk)
    run = JobRun.objects.create(job=JobRun.Job.FLAG_CARD_EXPIRY)
    notice = RenewalNotice.objects.create(
        card=card,
        resident=second,
        province_id="12",
        threshold=90,
        expiry_date=card.expiry_date,
        run=run,
    )

    merge.residents_merge(flag=flag, survivor=first, actor=verifier)

    assert ImportedResident.objects.get(batch=batch).resident_id == first.pk
    notice.refresh_from_db()
    assert notice.resident_id == first.pk


def test_both_records_histories_show_the_merge_and_the_kept_one_shows_both_pasts(officer, verifier):
    first, second, flag = pair(officer)

    merge.residents_merge(flag=flag, survivor=first, actor=verifier)

    kept = history_view.resident_history_for(resident=Resident.objects.get(pk=first.pk))
    gone = history_view.resident_history_for(resident=Resident.objects.get(pk=second.pk))
    merged_entries = [e for e in kept if e.action == "Records merged: the same person"]
    assert [(e.who, e.subject) for e in merged_entries] == [
        (str(verifier), f"Resident {second.pk}")
    ]
    assert [c.after for c in merged_entries[0].changes] == [str(first.pk)]
    assert f"Resident {second.pk}" in {e.subject for e in kept if e.action == "Resident entered"}
    assert "Merged: the same person" in {e.action for e in kept}
    assert "Records merged: the same person" in {e.action for e in gone}


@pytest.mark.parametrize("who", ["officer", "other_verifier", "director"])
def test_a_merge_by_anyone_but_a_verifier_of_the_province_changes_nothing(
    who, officer, verifier, other_verifier, director
):
    first, _second, flag = pair(officer)
    actor = {"officer": officer, "other_verifier": other_verifier, "director": director}[who]
    before = snapshot()

    with pytest.raises(services.NotAllowed):
        merge.residents_merge(flag=flag, survivor=first, actor=actor)

    assert snapshot() == before


def test_a_pair_already_decided_different_people_cannot_be_merged(officer, verifier):
    first, _second, flag = pair(officer)
    services.duplicate_decide(flag=flag, actor=verifier, confirmed=False)
    before = snapshot()

    with pytest.raises(services.IllegalTransition) as refused:
        merge.residents_merge(flag=flag, survivor=first, actor=verifier)

    assert str(refused.value.message) == "Someone already decided on this likely duplicate."
    assert snapshot() == before


def test_a_record_outside_the_pair_cannot_be_the_one_kept(officer, verifier):
    _first, _second, flag = pair(officer)
    stranger = make_resident(maker=officer, number="E10000009")
    before = snapshot()

    with pytest.raises(services.NotAllowed):
        merge.residents_merge(flag=flag, survivor=stranger, actor=verifier)

    assert snapshot() == before


def test_different_people_clears_the_flag_for_good(officer, verifier):
    first, second, flag = pair(officer)

    services.duplicate_decide(flag=flag, actor=verifier, confirmed=False)
    again = services.flag_likely_duplicates(resident_ids=[second.pk, first.pk])
    services.resident_update(
        resident=Resident.objects.get(pk=second.pk),
        actor=officer,
        version=None,
        fields={"given_names": "LI-NA"},
    )

    assert again == 0
    assert list(LikelyDuplicate.objects.values_list("status", flat=True)) == ["not_duplicate"]


# --- The pages -------------------------------------------------------------------------------
def test_a_verifier_merges_from_the_review_screen(officer, verifier, verifier_client):
    first, second, flag = pair(officer)
    declaration = second.declarations.get()

    response = verifier_client.post(
        f"/residents/duplicates/{flag.pk}/merge/",
        {"keep": str(first.pk), "declaration": str(declaration.pk)},
    )

    assert response.status_code == 302
    assert response["Location"] == f"/residents/declarations/{declaration.pk}/review/"
    assert Resident.objects.get(pk=second.pk).merged_into_id == first.pk
    page = verifier_client.get(f"/residents/{second.pk}/")
    assert f"merged into resident no. {first.pk}" in page.content.decode()


def test_another_provinces_verifier_finds_no_flag_to_merge(officer, verifier, other_verifier):
    from tests.conftest import client_for

    first, _second, flag = pair(officer)
    signed_in = client_for(other_verifier)
    before = snapshot()

    response = signed_in.post(f"/residents/duplicates/{flag.pk}/merge/", {"keep": str(first.pk)})

    assert response.status_code == 404
    assert snapshot() == before


def test_an_anonymous_visitor_is_sent_to_sign_in_before_any_merge(client, officer):
    first, _second, flag = pair(officer)
    before = snapshot()

    response = client.post(f"/residents/duplicates/{flag.pk}/merge/", {"keep": str(first.pk)})

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert snapshot() == before


def test_a_merge_naming_no_record_to_keep_is_refused_with_a_message(
    officer, verifier, verifier_client
):
    _first, _second, flag = pair(officer)
    before = snapshot()

    response = verifier_client.post(
        f"/residents/duplicates/{flag.pk}/merge/", {"keep": "abc"}, follow=True
    )

    assert response.status_code == 200
    assert "Choose the record to keep." in response.content.decode()
    assert snapshot() == before


# --- Two verifiers at once -------------------------------------------------------------------
@pytest.mark.django_db(transaction=True)
def test_two_verifiers_merging_one_pair_each_keeping_another_record_exactly_one_wins(officer):
    first, second, flag = pair(officer)
    verifiers = [
        UserFactory(username=f"verifier{i}_pp", role="verifier", province_id="12") for i in (1, 2)
    ]
    survivors = [first, second]
    barrier = threading.Barrier(2)
    results: list[object] = [None, None]

    def work(i: int) -> None:
        try:
            barrier.wait()
            results[i] = merge.residents_merge(flag=flag, survivor=survivors[i], actor=verifiers[i])
        except Exception as error:  # each thread reports what it got
            results[i] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(i,)) for i in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    close_old_connections()

    winners = [r for r in results if isinstance(r, Resident)]
    losers = [r for r in results if isinstance(r, services.IllegalTransition)]
    assert (len(winners), len(losers)) == (1, 1), results
    kept = winners[0]
    gone = Resident.objects.get(pk=({first.pk, second.pk} - {kept.pk}).pop())
    assert gone.merged_into_id == kept.pk
    assert Resident.objects.get(pk=kept.pk).merged_into_id is None
    assert Declaration.objects.filter(resident=kept).count() == 2
    assert LikelyDuplicate.objects.get(pk=flag.pk).status == LikelyDuplicate.Status.MERGED
    assert AuditEvent.objects.filter(detail__decision="merged").count() == 1


def test_a_merged_record_leaves_the_count_of_current_residents(officer, verifier):
    from compilation.models import ProvinceSummary
    from compilation.services import province_summary_refresh

    first, second, flag = pair(officer)
    province_summary_refresh()
    before = ProvinceSummary.objects.get(province_id=first.province_id).residents

    merge.residents_merge(flag=flag, survivor=first, actor=verifier)
    province_summary_refresh()

    assert ProvinceSummary.objects.get(province_id=first.province_id).residents == before - 1
    assert list(Resident.objects.current().filter(pk__in=[first.pk, second.pk])) == [first]
    assert Resident.objects.filter(pk=second.pk).exists()  # kept in the register
