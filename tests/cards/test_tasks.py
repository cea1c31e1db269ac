"""The print-run task on a real Celery worker, through Redis, against the test database."""

from __future__ import annotations

import pytest

from cards import services
from cards.models import CardEvent, PrintRun, ResidenceCard
from cards.tasks import render_print_run_task

Status = ResidenceCard.Status


@pytest.mark.worker
def test_a_real_worker_renders_a_print_run_and_marks_its_cards_printed(real_worker, issue, clerk):
    cards = [issue(), issue()]

    with real_worker.sending():
        run = services.print_run_create(actor=clerk, selection=PrintRun.Selection.NOT_PRINTED)
        # Queued on commit (this test is transactional, so right away); wait for its result.
        result = render_print_run_task.delay(run.pk).get(timeout=120)

    run.refresh_from_db()
    assert result == {"print_run": run.pk, "status": "done", "progress": 2}
    assert run.status == PrintRun.Status.DONE
    assert run.pdf.name == f"print-runs/{run.created_at:%Y/%m}/print-run-{run.pk}.pdf"
    with run.pdf.open("rb") as handle:
        assert handle.read(5) == b"%PDF-"
    for card in cards:
        card.refresh_from_db()
        assert card.status == Status.PRINTED
    # Delivered twice (on commit and by this test): rendered and recorded once.
    assert CardEvent.objects.filter(kind=CardEvent.Kind.PRINTED).count() == 2
    assert "render_print_run_task" in real_worker.output()
