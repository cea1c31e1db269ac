"""The likely duplicates of an import are flagged after its commit, by a task of their own."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from gdi_ims import queue
from imports import services
from imports.models import ImportBatch
from residents.models import LikelyDuplicate, Resident
from tests.imports.conftest import csv_bytes, person, upload

pytestmark = pytest.mark.django_db


def _checked(officer, province, rows):
    return services.import_batch_create(
        actor=officer, province=province, upload=upload(csv_bytes(rows))
    )


def _twins(n: int) -> list[dict[str, str]]:
    """Pairs of rows one letter apart in the surname: each pair, born on its own day, is one
    likely duplicate."""
    rows = []
    for k in range(n):
        born = {"Date of birth": f"{k + 1:02d}/05/1980", "Given names": "XIAOMING"}
        rows.append(person(2 * k, Surname="CHEN", **born))
        rows.append(person(2 * k + 1, Surname="CHENN", **born))
    return rows


def _flags() -> list[tuple[int, int]]:
    return list(
        LikelyDuplicate.objects.order_by("resident_id").values_list("resident_id", "other_id")
    )


def test_the_commit_writes_the_records_and_leaves_the_flags_to_the_task_it_queues(
    officer, phnom_penh, django_capture_on_commit_callbacks
):
    batch = _checked(officer, phnom_penh, _twins(1))

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.import_commit_request(batch=batch, actor=officer)

    batch.refresh_from_db()
    assert (batch.status, batch.accepted_rows) == (ImportBatch.Status.COMMITTED, 2)
    assert batch.duplicates_flagged_at is None
    assert _flags() == []
    assert len(callbacks) == 1  # the flagging task, sent once the commit is committed


def test_the_task_flags_the_later_record_of_each_pair_in_the_batch_even_across_its_parts(
    officer, phnom_penh, settings, django_capture_on_commit_callbacks
):
    settings.IMPORTS_COMMIT_MIN_ROWS = 3  # parts of 3 rows: pairs straddle two parts
    batch = _checked(officer, phnom_penh, _twins(4))

    with django_capture_on_commit_callbacks(execute=True):
        services.import_commit_request(batch=batch, actor=officer)

    batch.refresh_from_db()
    ids = list(Resident.objects.order_by("id").values_list("id", flat=True))
    assert _flags() == [(ids[1], ids[0]), (ids[3], ids[2]), (ids[5], ids[4]), (ids[7], ids[6])]
    assert batch.duplicates_flagged_at is not None


def test_flagging_a_batch_twice_flags_nothing_more(officer, phnom_penh):
    batch = _checked(officer, phnom_penh, _twins(2))
    services.import_commit_request(batch=batch, actor=officer)
    assert services.import_flag_duplicates(batch_id=batch.pk) == 2
    batch.refresh_from_db()
    flagged_at = batch.duplicates_flagged_at

    again = services.import_flag_duplicates(batch_id=batch.pk)

    batch.refresh_from_db()
    assert again == 0
    assert len(_flags()) == 2
    assert batch.duplicates_flagged_at == flagged_at


def test_a_batch_not_committed_is_not_flagged(officer, phnom_penh):
    batch = _checked(officer, phnom_penh, _twins(1))

    flagged = services.import_flag_duplicates(batch_id=batch.pk)

    batch.refresh_from_db()
    assert flagged == 0
    assert (batch.status, batch.duplicates_flagged_at) == (ImportBatch.Status.VALIDATED, None)


def test_the_flags_history_names_the_importer_and_the_batch(officer, phnom_penh):
    from django.apps import apps

    batch = _checked(officer, phnom_penh, _twins(1))
    services.import_commit_request(batch=batch, actor=officer)

    services.import_flag_duplicates(batch_id=batch.pk)

    events = apps.get_model("residents", "LikelyDuplicateEvent").objects
    assert [e.pgh_context.metadata for e in events.select_related("pgh_context")] == [
        {"user": officer.pk, "import_batch": batch.pk}
    ]


def test_the_sweep_sends_again_the_flags_of_a_batch_committed_a_while_ago(officer, phnom_penh):
    batch = _checked(officer, phnom_penh, _twins(1))
    services.import_commit_request(batch=batch, actor=officer)  # its task never ran
    later = timezone.now() + dt.timedelta(minutes=5)

    sent = queue.requeue_stalled_work(now=later)

    batch.refresh_from_db()
    assert sent == {"print_runs": 0, "imports": 1, "job_runs": 0, "exports": 0}
    assert batch.duplicates_flagged_at is not None
    assert len(_flags()) == 1
    assert queue.requeue_stalled_work(now=later) == {
        "print_runs": 0,
        "imports": 0,
        "job_runs": 0,
        "exports": 0,
    }


def test_the_batch_page_says_whether_the_likely_duplicates_are_flagged_yet(
    officer_client, officer, phnom_penh
):
    batch = _checked(officer, phnom_penh, _twins(1))
    services.import_commit_request(batch=batch, actor=officer)
    url = reverse("imports:batch-detail", args=[batch.pk])

    before = officer_client.get(url).content.decode()
    services.import_flag_duplicates(batch_id=batch.pk)
    after = officer_client.get(url).content.decode()

    assert "The imported residents are being compared with the register" in before
    assert "The imported residents were compared with the register" in after


def test_a_commit_run_by_the_worker_flags_the_likely_duplicates_right_after(
    officer, phnom_penh, settings, django_capture_on_commit_callbacks
):
    settings.IMPORTS_INLINE_MAX_BYTES = 100  # checked and committed by the worker
    with django_capture_on_commit_callbacks(execute=True):
        batch = _checked(officer, phnom_penh, _twins(1))

    with django_capture_on_commit_callbacks(execute=True) as queued:
        services.import_commit_request(batch=batch, actor=officer)

    batch.refresh_from_db()
    first, second = Resident.objects.order_by("id").values_list("id", flat=True)
    assert len(queued) == 1  # the worker's task, which also flags
    assert (batch.status, batch.accepted_rows) == (ImportBatch.Status.COMMITTED, 2)
    assert _flags() == [(second, first)]
    assert batch.duplicates_flagged_at is not None
