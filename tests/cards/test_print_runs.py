"""Print runs: choosing cards, rendering one PDF with progress, reprints and spoiled cards."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from pypdf import PdfReader

from audit.models import AuditEvent
from cards import services
from cards.models import CardEvent, PrintRun, PrintRunCard, ResidenceCard
from tests.cards.conftest import SIEM_REAP

pytestmark = pytest.mark.django_db

Status = ResidenceCard.Status
Kind = CardEvent.Kind
Selection = PrintRun.Selection


def test_a_run_of_issued_cards_renders_one_pdf_and_marks_them_printed(
    clerk, issue, django_capture_on_commit_callbacks
):
    cards = [issue(), issue(), issue()]
    issue(status=Status.ACTIVE)  # handed over: not in the run

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        run = services.print_run_create(actor=clerk, selection=Selection.NOT_PRINTED)

    # The rendering task is queued after commit (tests run tasks eagerly).
    assert len(callbacks) == 1
    run.refresh_from_db()
    assert run.status == PrintRun.Status.DONE
    assert (run.total, run.progress, run.percent) == (3, 3, 100)
    assert run.created_by == clerk
    assert run.province_id == "12"
    assert run.started_at is not None and run.finished_at is not None
    assert list(run.entries.values_list("card_id", flat=True)) == [c.pk for c in cards]
    with run.pdf.open("rb") as handle:
        reader = PdfReader(io.BytesIO(handle.read()))
    assert len(reader.pages) == 6  # front and back of each card
    text = "".join(page.extract_text() for page in reader.pages)
    assert all(card.number in text for card in cards)
    for card in cards:
        card.refresh_from_db()
        assert card.status == Status.PRINTED
        assert card.printed_at is not None
        event = card.events.get(kind=Kind.PRINTED)
        assert (event.actor, event.print_run) == (clerk, run)


def test_a_run_by_province_takes_only_that_provinces_issued_cards(clerk, issue):
    issue()
    siem_reap = issue(province_id=SIEM_REAP)

    run = services.print_run_create(
        actor=clerk, selection=Selection.PROVINCE, province_code=SIEM_REAP
    )

    assert list(run.cards.all()) == [siem_reap]
    assert run.province_id == SIEM_REAP


def test_reprinting_a_printed_card_needs_a_reason(clerk, issue):
    card = issue(status=Status.PRINTED)

    with pytest.raises(ValidationError, match="reprint reason"):
        services.print_run_create(actor=clerk, selection=Selection.PICKED, card_ids=[card.pk])

    assert PrintRun.objects.count() == 0


def test_a_reprint_is_recorded_with_its_reason(clerk, issue, django_capture_on_commit_callbacks):
    card = issue(status=Status.PRINTED)

    with django_capture_on_commit_callbacks(execute=True):
        run = services.print_run_create(
            actor=clerk,
            selection=Selection.PICKED,
            card_ids=[card.pk],
            reprint_reason="Printer jammed",
        )

    run.refresh_from_db()
    assert run.status == PrintRun.Status.DONE
    event = card.events.get(kind=Kind.REPRINTED)
    assert (event.reason, event.print_run, event.actor) == ("Printer jammed", run, clerk)
    card.refresh_from_db()
    assert card.status == Status.PRINTED


def test_a_spoiled_card_is_printed_again_as_a_reprint_carrying_the_spoil_reason(
    clerk, issue, django_capture_on_commit_callbacks
):
    card = issue(status=Status.PRINTED)
    services.card_spoil(card=card, actor=clerk, reason="Photo smudged")

    with django_capture_on_commit_callbacks(execute=True):
        services.print_run_create(actor=clerk, selection=Selection.NOT_PRINTED)

    card.refresh_from_db()
    assert card.status == Status.PRINTED
    assert card.events.get(kind=Kind.REPRINTED).reason == "Spoiled: Photo smudged"


def test_a_handed_over_card_cannot_be_picked_for_printing(clerk, issue):
    card = issue(status=Status.ACTIVE)

    with pytest.raises(ValidationError, match="nothing to print"):
        services.print_run_create(
            actor=clerk, selection=Selection.PICKED, card_ids=[card.pk], reprint_reason="x"
        )

    assert PrintRun.objects.count() == 0


def test_a_provincial_clerk_prints_only_cards_of_their_province(clerk_sr, issue):
    issue()  # Phnom Penh
    mine = issue(province_id=SIEM_REAP)

    run = services.print_run_create(actor=clerk_sr, selection=Selection.NOT_PRINTED)

    assert list(run.cards.all()) == [mine]


def test_a_card_waiting_in_an_unfinished_run_is_not_put_in_a_second_run(clerk, issue):
    card = issue()
    waiting = PrintRun.objects.create(
        created_by=clerk, selection=Selection.NOT_PRINTED, total=1, status=PrintRun.Status.QUEUED
    )
    PrintRunCard.objects.create(print_run=waiting, card=card, position=1)

    with pytest.raises(ValidationError, match="nothing to print"):
        services.print_run_create(actor=clerk, selection=Selection.NOT_PRINTED)

    assert PrintRun.objects.count() == 1


def test_rendering_a_finished_run_again_changes_nothing(
    clerk, issue, django_capture_on_commit_callbacks
):
    card = issue()
    with django_capture_on_commit_callbacks(execute=True):
        run = services.print_run_create(actor=clerk, selection=Selection.NOT_PRINTED)
    run.refresh_from_db()
    pdf_name = run.pdf.name

    again = services.print_run_render(print_run_id=run.pk)

    assert again.pdf.name == pdf_name
    assert card.events.filter(kind=Kind.PRINTED).count() == 1


def test_a_card_revoked_while_its_run_waited_is_not_marked_printed(clerk, director, issue):
    card = issue()
    run = PrintRun.objects.create(created_by=clerk, selection=Selection.PICKED, total=1)
    PrintRunCard.objects.create(print_run=run, card=card, position=1)
    services.card_revoke(card=card, actor=director, reason="Fraud")

    services.print_run_render(print_run_id=run.pk)

    card.refresh_from_db()
    assert card.status == Status.REVOKED
    assert not card.events.filter(kind=Kind.PRINTED).exists()


def test_a_failed_rendering_is_recorded_with_its_reason_and_the_cards_stay_issued(
    clerk, issue, settings
):
    card = issue()
    run = PrintRun.objects.create(created_by=clerk, selection=Selection.PICKED, total=1)
    PrintRunCard.objects.create(print_run=run, card=card, position=1)
    settings.KHMER_FONT_DIR = "/nonexistent-font-dir"  # the font is missing: rendering fails

    result = services.print_run_render(print_run_id=run.pk)

    assert result.status == PrintRun.Status.FAILED
    assert result.error == "list index out of range"
    card.refresh_from_db()
    assert card.status == Status.ISSUED


def test_a_run_reports_its_progress_chunk_by_chunk_while_it_renders(clerk, issue, monkeypatch):
    cards = [issue(), issue(), issue()]
    run = PrintRun.objects.create(created_by=clerk, selection=Selection.PICKED, total=3)
    for position, card in enumerate(cards, start=1):
        PrintRunCard.objects.create(print_run=run, card=card, position=position)
    # One card per chunk, so that each card moves the progress.
    monkeypatch.setattr("cards.pdf.CHUNK_SIZE", 1)

    with CaptureQueriesContext(connection) as queries:
        services.print_run_render(print_run_id=run.pk)

    progress_updates = [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].startswith('UPDATE "cards_printrun" SET "progress"')
    ]
    assert [sql.split("= ", 1)[1].split(" ", 1)[0] for sql in progress_updates] == ["1", "2", "3"]
    run.refresh_from_db()
    assert (run.status, run.progress) == (PrintRun.Status.DONE, 3)


def test_a_finished_or_failed_run_frees_its_cards_for_the_next_run(
    clerk, issue, settings, django_capture_on_commit_callbacks
):
    card = issue()
    settings.KHMER_FONT_DIR = "/nonexistent-font-dir"  # the first rendering fails
    with django_capture_on_commit_callbacks(execute=True):
        failed = services.print_run_create(actor=clerk, selection=Selection.NOT_PRINTED)
    failed.refresh_from_db()
    assert failed.status == PrintRun.Status.FAILED
    assert not failed.entries.filter(open=True).exists()

    again = services.print_run_create(actor=clerk, selection=Selection.NOT_PRINTED)

    assert list(again.cards.all()) == [card]
    assert list(PrintRunCard.objects.filter(open=True).values_list("print_run_id", flat=True)) == [
        again.pk
    ]


def test_a_failed_run_tried_again_leaves_out_the_cards_another_run_has_taken(
    clerk, issue, django_capture_on_commit_callbacks
):
    taken, free = issue(), issue()
    failed = PrintRun.objects.create(
        created_by=clerk, selection=Selection.PICKED, total=2, status=PrintRun.Status.FAILED
    )
    for position, card in enumerate([taken, free], start=1):
        PrintRunCard.objects.create(print_run=failed, card=card, position=position, open=False)
    other = PrintRun.objects.create(created_by=clerk, selection=Selection.PICKED, total=1)
    PrintRunCard.objects.create(print_run=other, card=taken, position=1)

    with django_capture_on_commit_callbacks(execute=True):
        services.print_run_retry(actor=clerk, print_run=failed)
    result = PrintRun.objects.get(pk=failed.pk)

    assert result.status == PrintRun.Status.DONE
    taken.refresh_from_db()
    free.refresh_from_db()
    assert (taken.status, free.status) == (Status.ISSUED, Status.PRINTED)
    assert not taken.events.filter(kind__in=[Kind.PRINTED, Kind.REPRINTED]).exists()


def _failed_run(clerk, card) -> PrintRun:
    run = PrintRun.objects.create(
        created_by=clerk,
        selection=Selection.PICKED,
        total=1,
        status=PrintRun.Status.FAILED,
        province_id=card.province_id,
        error="font missing",
    )
    PrintRunCard.objects.create(print_run=run, card=card, position=1, open=False)
    return run


def test_a_clerk_tries_a_failed_run_again_from_its_page(
    clerk, clerk_client, issue, django_capture_on_commit_callbacks
):
    card = issue()
    run = _failed_run(clerk, card)
    page = clerk_client.get(f"/cards/print-runs/{run.pk}/").content.decode()
    assert 'data-testid="retry-form"' in page

    with django_capture_on_commit_callbacks(execute=True):
        response = clerk_client.post(f"/cards/print-runs/{run.pk}/retry/")

    assert response.status_code == 302
    run.refresh_from_db()
    card.refresh_from_db()
    assert (run.status, run.error, card.status) == (PrintRun.Status.DONE, "", Status.PRINTED)
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.PRINT_RUN_RETRIED, object_id=str(run.pk)
    ).exists()


def test_a_run_that_is_neither_failed_nor_stuck_is_not_tried_again(clerk, clerk_client, issue):
    card = issue()
    run = PrintRun.objects.create(created_by=clerk, selection=Selection.PICKED, total=1)
    PrintRunCard.objects.create(print_run=run, card=card, position=1)

    response = clerk_client.post(f"/cards/print-runs/{run.pk}/retry/", follow=True)

    assert "nothing to retry" in response.content.decode()
    run.refresh_from_db()
    assert (run.status, run.queued_at < timezone.now()) == (PrintRun.Status.QUEUED, True)
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.PRINT_RUN_RETRIED).exists()


def test_a_run_queued_long_ago_with_no_worker_on_it_can_be_tried_again(clerk, issue):
    card = issue()
    run = PrintRun.objects.create(
        created_by=clerk,
        selection=Selection.PICKED,
        total=1,
        queued_at=timezone.now() - dt.timedelta(minutes=10),
    )
    PrintRunCard.objects.create(print_run=run, card=card, position=1)

    assert services.print_run_can_retry(run)
    assert not services.print_run_can_retry(run, now=run.queued_at + dt.timedelta(seconds=30))


@pytest.mark.parametrize("persona", ["other_clerk", "officer", "anonymous"])
def test_trying_a_run_again_is_refused_to_others_and_changes_nothing(
    request, persona, clerk, issue, client_factory_for_retry
):
    card = issue()
    run = _failed_run(clerk, card)

    response = client_factory_for_retry(persona).post(f"/cards/print-runs/{run.pk}/retry/")

    expected = {"other_clerk": 404, "officer": 403, "anonymous": 302}[persona]
    assert response.status_code == expected
    if persona == "anonymous":
        assert response["Location"].startswith("/accounts/login/")
    run.refresh_from_db()
    assert run.status == PrintRun.Status.FAILED
    assert not run.entries.filter(open=True).exists()


@pytest.fixture
def client_factory_for_retry(officer, clerk_sr):
    from django.test import Client

    from tests.conftest import client_for

    return lambda persona: {
        "other_clerk": lambda: client_for(clerk_sr),
        "officer": lambda: client_for(officer),
        "anonymous": Client,
    }[persona]()
