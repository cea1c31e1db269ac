"""The nightly jobs: run them under a lock, record each run, notify the provinces.

A run is a sequence of short transactions (one per chunk), so a worker that dies mid-run leaves
only whole chunks behind; every step selects what is still left to do, so the next run finishes
the work and a second run on the same day changes nothing.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import DatabaseError, connection, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts import access
from accounts.access import Capability
from accounts.models import User
from audit.models import AuditEvent
from audit.services import audit_record
from cards import expiry
from cards.models import ResidenceCard
from core import queue
from core.errors import NotAllowed
from jobs import conf
from jobs.models import EXPIRED, JobRun, Notification, RenewalNotice

logger = logging.getLogger(__name__)

Job = JobRun.Job
RunStatus = JobRun.Status

# Keys of the session-level advisory locks, one per job (any constants, unique in the project).
LOCK_KEYS: dict[str, int] = {Job.FLAG_CARD_EXPIRY: 0x6A0B_E701}
# Who is told about their province's renewals.
NOTIFIED_ROLES = tuple(sorted(access.ROLES[Capability.NOTIFICATIONS]))
# A digest names at most this many residents per threshold; the page lists them all.
DIGEST_NAMES = 100


# --- Locking and recording -------------------------------------------------------------------
@contextmanager
def job_lock(job: str) -> Iterator[bool]:
    """Try to take the job's lock for this connection; yield whether it was taken.

    A session-level advisory lock, because the run spans many transactions; PostgreSQL drops it
    by itself when the holder's connection ends, so a killed worker never leaves it behind.
    """
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [LOCK_KEYS[job]])
        taken = bool(cursor.fetchone()[0])
    try:
        yield taken
    finally:
        if taken:
            try:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_unlock(%s)", [LOCK_KEYS[job]])
            except DatabaseError:  # the connection is gone, and the lock with it
                logger.warning("Could not release the lock of job %s", job)


def _load_or_create(job: str, run_id: int | None, task_id: str) -> JobRun:
    if run_id is not None:
        run = JobRun.objects.filter(pk=run_id, job=job).first()
        if run is not None:
            return run
    return JobRun.objects.create(job=job, task_id=task_id)


def _save(run: JobRun, *fields: str) -> None:
    JobRun.objects.filter(pk=run.pk).update(**{f: getattr(run, f) for f in fields})


def _finish(run: JobRun, status: str, error: str = "") -> JobRun:
    run.status, run.error, run.finished_at = status, error[:4000], timezone.now()
    _save(run, "status", "error", "finished_at", "counts")
    return run


def _save_counts_commit_without_waiting(run: JobRun) -> None:
    """Save the run's counts, and let this transaction's COMMIT return before its WAL is on disk.

    A normal night is a handful of small chunks, each of which need not wait for the disk (nor
    for a statement of its own to say so: the save says it). A commit is still atomic and in
    order; only a crash of the database server could lose the last fraction of a second of
    them, and the job redoes whatever is missing at its next run (every step selects what is
    left). The run's final save waits as usual, which puts every earlier chunk on disk too.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE jobs_jobrun SET counts = %s WHERE id = %s"
            " RETURNING set_config('synchronous_commit', 'off', true)",
            [json.dumps(run.counts), run.pk],
        )


def _chunks(run: JobRun, key: str, step: Callable[[int], int]) -> int:
    """Repeat `step(limit)` until it returns less than `limit`; each call commits on its own.

    The run's counts are saved in the chunk's transaction, so they always match what committed.
    """
    size, pause, total = conf.chunk_size(), conf.chunk_pause(), 0
    while True:
        with transaction.atomic():
            done = step(size)
            total += done
            run.counts[key] = run.counts.get(key, 0) + done
            _save_counts_commit_without_waiting(run)
        if done < size:
            return total
        if pause:
            time.sleep(pause)


# --- The card expiry job ---------------------------------------------------------------------
def flag_card_expiry(
    *, run_id: int | None = None, today: dt.date | None = None, task_id: str = ""
) -> JobRun:
    """Mark expiring and expired cards, record renewal notices and notify the provinces.

    Safe to start twice at once: the second start finds the lock taken and records a skipped
    run. Safe to run twice in a day: every step only picks what is still to do.
    """
    job = Job.FLAG_CARD_EXPIRY
    today = today or timezone.localdate()
    run = _load_or_create(job, run_id, task_id)
    run.run_for, run.task_id = today, task_id or run.task_id
    run.started_at = timezone.now()
    with job_lock(job) as taken:
        if not taken:
            run.status = RunStatus.SKIPPED
            _save(run, "run_for", "task_id", "started_at")
            return _finish(run, RunStatus.SKIPPED)
        # Holding the lock, any other "running" run of this job is a dead worker's.
        JobRun.objects.filter(job=job, status=RunStatus.RUNNING).exclude(pk=run.pk).update(
            status=RunStatus.INTERRUPTED,
            finished_at=timezone.now(),
            error=_("The worker stopped before the end; the next run finished the work."),
        )
        run.status, run.counts, run.error = RunStatus.RUNNING, {}, ""
        _save(run, "status", "run_for", "task_id", "started_at", "counts", "error")
        try:
            _flag_and_notify(run, today)
        except Exception as error:
            logger.exception("Job run %s failed", run.pk)
            # If the database is what failed, the retry records the run.
            with suppress(DatabaseError):
                _finish(run, RunStatus.FAILED, f"{type(error).__name__}: {error}")
            raise
        try:
            run.counts["emails"] = send_renewal_digests()
        except Exception as error:  # e-mail down: the cards are flagged; the next run resends
            logger.exception("Renewal digests of run %s not sent", run.pk)
            return _finish(
                run, RunStatus.FAILED, _("E-mail not sent: %(error)s") % {"error": error}
            )
        return _finish(run, RunStatus.SUCCEEDED)


def _flag_and_notify(run: JobRun, today: dt.date) -> None:
    conf.thresholds()  # a bad setting stops the run before it changes anything
    at = timezone.now()
    if not JobRun.objects.filter(job=run.job, status=RunStatus.SUCCEEDED).exists():
        # First run ever: cards already expired before the job existed get their notice once;
        # afterwards a card's "expired" notice is written with its move (below).
        _chunks(run, "notices", lambda limit: _notice_chunk(run, at, limit, expired_backlog=True))

    def expire(limit: int) -> int:
        moved = expiry.mark_expired_chunk(today=today, at=at, limit=limit, run_id=run.pk)
        if moved:
            run.counts["notices"] = run.counts.get("notices", 0) + _notice_chunk(
                run, at, len(moved), card_ids=moved
            )
        return len(moved)

    # Expired first: a card past its last day must never be marked "expiring" on the way.
    _chunks(run, "expired", expire)
    _chunks(
        run,
        "expiring",
        lambda limit: len(
            expiry.mark_expiring_chunk(today=today, at=at, limit=limit, run_id=run.pk)
        ),
    )
    since = _last_full_pass(run, today)
    _chunks(run, "notices", lambda limit: _notice_chunk(run, at, limit, today=today, since=since))
    _chunks(run, "passports", lambda limit: _passport_flag_chunk(run, at, limit, since=since))


# A current card whose holder's current passport expires first: someone must notice before the
# card outlives the passport it was issued against. The partial unique index of current
# passports (travel_document_one_current) finds each holder's one passport.
_PASSPORT_FLAG_SQL = """
INSERT INTO jobs_passportexpiryflag
    (card_id, document_id, resident_id, province_id, passport_expiry, card_expiry, created_at,
     run_id)
SELECT c.id, d.id, c.resident_id, c.province_id, d.expiry_date, c.expiry_date, %(at)s, %(run)s
FROM cards_residencecard c
JOIN residents_traveldocument d ON d.resident_id = c.resident_id AND d.is_current
WHERE c.status = ANY(%(current)s)
  AND d.expiry_date < c.expiry_date
  {since}
  AND NOT EXISTS (
      SELECT 1 FROM jobs_passportexpiryflag f WHERE f.card_id = c.id AND f.document_id = d.id
  )
LIMIT %(limit)s
ON CONFLICT (card_id, document_id) DO NOTHING
"""


def _passport_flag_chunk(
    run: JobRun, at: dt.datetime, limit: int, *, since: JobRun | None = None
) -> int:
    """Flag at most `limit` residents whose passport expires before their card; one statement.

    Once per card and passport, ever: a second run flags nobody twice, and a new passport that
    still falls short of the card is flagged afresh. Whether a pair falls short does not change
    with the date, only with a new card or a new passport: after the run `since` (see
    _last_full_pass) only the cards and passports recorded since are looked at.
    """
    params: dict[str, Any] = {
        "at": at,
        "run": run.pk,
        "limit": limit,
        "current": list(ResidenceCard.CURRENT_STATUSES),
    }
    recent = ""
    if since is not None and since.started_at is not None:
        recent = "AND (c.created_at >= %(since)s OR d.created_at >= %(since)s)"
        params["since"] = since.started_at - dt.timedelta(days=1)
    with connection.cursor() as cursor:
        cursor.execute(_PASSPORT_FLAG_SQL.format(since=recent), params)
        return cursor.rowcount


# Beyond this many days since the last successful run, the night re-checks the whole window.
INCREMENTAL_MAX_GAP_DAYS = 31


def _last_full_pass(run: JobRun, today: dt.date) -> JobRun | None:
    """The last successful scheduled run this one may build on, or None for a full pass.

    A current card's threshold changes only when the date crosses one, or when the card is new
    (a replacement keeps its predecessor's expiry date). So after a successful run on day L,
    the night only needs the cards whose expiry date crossed a threshold since L, and the cards
    created since that run. A run started from the jobs page always makes the full pass.
    """
    if run.triggered_by_id is not None:
        return None
    last = (
        JobRun.objects.filter(job=run.job, status=RunStatus.SUCCEEDED, run_for__isnull=False)
        .exclude(pk=run.pk)
        .order_by("-finished_at", "-id")
        .first()
    )
    if last is None or last.started_at is None or last.run_for is None or last.run_for > today:
        return None
    if (today - last.run_for).days > INCREMENTAL_MAX_GAP_DAYS:
        return None
    return last


def _stage_case(thresholds: tuple[int, ...]) -> str:
    """SQL: the tightest threshold a card has reached on %(today)s (0 once expired)."""
    whens = " ".join(
        f"WHEN c.expiry_date <= %(today)s::date + {int(t)} THEN {int(t)}"
        for t in sorted(thresholds)
    )
    return (
        f"CASE WHEN c.status = 'expired' OR c.expiry_date < %(today)s::date THEN {EXPIRED} "
        f"{whens} END"
    )


# Candidates: the current cards within the window (whose stage moves with the date), or the
# cards just marked expired, or (first run) every expired card. No ORDER BY before the LIMIT:
# it would make the planner walk every card by primary key.
_NOTICE_SQL = """
WITH candidates AS (
    SELECT c.id, c.resident_id, c.province_id, c.expiry_date, {stage} AS threshold
    FROM cards_residencecard c
    WHERE {candidates}
), fresh AS (
    INSERT INTO jobs_renewalnotice
        (card_id, resident_id, province_id, threshold, expiry_date, created_at, run_id)
    SELECT cand.id, cand.resident_id, cand.province_id, cand.threshold, cand.expiry_date,
           %(at)s, %(run)s
    FROM candidates cand
    WHERE NOT EXISTS (
        SELECT 1 FROM jobs_renewalnotice n
        WHERE n.card_id = cand.id AND n.threshold = cand.threshold
    )
    LIMIT %(limit)s
    ON CONFLICT (card_id, threshold) DO NOTHING
    RETURNING province_id, threshold
), grouped AS (
    SELECT province_id, threshold, count(*) AS n FROM fresh GROUP BY province_id, threshold
), told AS (
    INSERT INTO jobs_notification (recipient_id, province_id, threshold, count, run_id, created_at)
    SELECT u.id, g.province_id, g.threshold, g.n, %(run)s, %(at)s
    FROM grouped g JOIN accounts_user u ON u.province_id = g.province_id
    WHERE u.is_active AND u.role = ANY(%(roles)s)
    ON CONFLICT (recipient_id, run_id, province_id, threshold)
    DO UPDATE SET count = jobs_notification.count + EXCLUDED.count
    RETURNING 1
)
SELECT (SELECT count(*) FROM fresh), (SELECT count(*) FROM told)
"""


def _notice_chunk(
    run: JobRun,
    at: dt.datetime,
    limit: int,
    *,
    today: dt.date | None = None,
    card_ids: list[int] | None = None,
    expired_backlog: bool = False,
    since: JobRun | None = None,
) -> int:
    """Record at most `limit` new notices and add them to the officers' notifications.

    One statement: a notice and the notification that tells about it commit together, so a
    resident is never noticed without their officers being told, nor told twice. Candidates:
    `card_ids` (cards just marked expired), every expired card (`expired_backlog`), or the
    current cards within the largest threshold of `today` (only those that may have changed
    since the run `since`, if given).
    """
    sql, params = notice_statement(
        run, at, limit, today=today, card_ids=card_ids, expired_backlog=expired_backlog,
        since=since,
    )  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        notices, _told = cursor.fetchone()
    return int(notices)


def notice_statement(
    run: JobRun,
    at: dt.datetime,
    limit: int,
    *,
    today: dt.date | None = None,
    card_ids: list[int] | None = None,
    expired_backlog: bool = False,
    since: JobRun | None = None,
) -> tuple[str, dict[str, Any]]:
    """The SQL and parameters of one notice chunk (`_notice_chunk`), apart for EXPLAIN."""
    thresholds = conf.thresholds()
    day = today or run.run_for
    params: dict[str, Any] = {
        "today": day,
        "at": at,
        "run": run.pk,
        "limit": limit,
        "roles": list(NOTIFIED_ROLES),
    }
    if card_ids is not None:
        candidates, params["ids"] = "c.id = ANY(%(ids)s)", card_ids
    elif expired_backlog:
        candidates = "c.status = 'expired'"
    elif day is None:
        raise ValueError("the notices of a window need the run's day")
    else:
        candidates = (
            "c.status = ANY(%(current)s) AND c.expiry_date >= %(today)s"
            " AND c.expiry_date <= %(window_end)s"
        )
        params["current"] = list(ResidenceCard.CURRENT_STATUSES)
        params["window_end"] = day + dt.timedelta(days=thresholds[0])
        if since is not None and since.started_at is not None:
            # Only what may have changed since that run (see _last_full_pass); a margin of a
            # day covers cards whose transaction was still open when that run started.
            crossed = " OR ".join(
                f"(c.expiry_date > %(last_day)s::date + {int(t)}"
                f" AND c.expiry_date <= %(today)s::date + {int(t)})"
                for t in thresholds
            )
            candidates += f" AND (c.created_at >= %(created_since)s OR {crossed})"
            params["last_day"] = since.run_for
            params["created_since"] = since.started_at - dt.timedelta(days=1)
    return _NOTICE_SQL.format(stage=_stage_case(thresholds), candidates=candidates), params


# --- E-mail digests --------------------------------------------------------------------------
def send_renewal_digests() -> int:
    """E-mail each officer one digest of their notifications not yet e-mailed; return how many.

    Sent, then marked, one officer at a time: a crash in between may send one digest twice,
    never lose one (and a digest names residents, it changes nothing).
    """
    pending = (
        Notification.objects.filter(
            kind=Notification.Kind.RENEWAL, emailed_at__isnull=True, recipient__is_active=True
        )
        .exclude(recipient__email="")
        .select_related("recipient", "province")
        .order_by("recipient_id", "threshold", "id")
    )
    by_recipient: dict[int, list[Notification]] = defaultdict(list)
    for notification in pending:
        by_recipient[notification.recipient_id].append(notification)
    sent = 0
    for notifications in by_recipient.values():
        recipient = notifications[0].recipient
        sections = [_digest_section(n) for n in notifications]
        bodies, subjects = [], []
        for language in ("km", "en"):
            with translation.override(language):
                subjects.append(_("Cards to renew"))
                bodies.append(
                    render_to_string(
                        "jobs/email/renewal_digest.txt",
                        {
                            "recipient": recipient,
                            "province": notifications[0].province,
                            "sections": sections,
                            "site_url": conf.site_url(),
                            "renewals_url": conf.site_url() + reverse("jobs:renewals"),
                        },
                    )
                )
        EmailMessage(
            subject=" / ".join(subjects),
            body="\n\n".join(bodies),
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[recipient.email],
        ).send()
        Notification.objects.filter(pk__in=[n.pk for n in notifications]).update(
            emailed_at=timezone.now()
        )
        sent += 1
    return sent


def _digest_section(notification: Notification) -> dict[str, object]:
    notices = list(
        RenewalNotice.objects.filter(
            run_id=notification.run_id,
            province_id=notification.province_id,
            # None would be an IS NULL match (the stubs want an int); a digest's entry has one.
            threshold=notification.threshold,  # type: ignore[misc]
        )
        .select_related("resident", "card")
        .order_by("expiry_date", "id")[:DIGEST_NAMES]
    )
    return {
        "threshold": notification.threshold,
        "count": notification.count,
        "notices": notices,
        "more": max(0, notification.count - len(notices)),
    }


# --- Actions from the pages ------------------------------------------------------------------
@transaction.atomic
def job_run_enqueue(*, job: str, actor: User) -> JobRun:
    """Queue a run of `job` now, on an administrator's request; the worker picks it up.

    The run row exists from the start, so the page can show it queued, then its result.
    """
    from jobs import tasks

    if job not in Job.values:
        raise ValueError(f"unknown job {job!r}")
    run = JobRun.objects.create(job=job, status=RunStatus.QUEUED, triggered_by=actor)
    audit_record(
        actor=actor,
        action=AuditEvent.Action.JOB_RUN_REQUESTED,
        obj=run,
        detail={"job": job, "run_now": True},
    )
    queue.send_on_commit(tasks.TASKS[Job(job)], run_id=run.pk)
    return run


def notification_mark_read(*, notification: Notification, user: User) -> Notification:
    """Mark one of the user's notifications read (already read: left as it was)."""
    if notification.recipient_id != user.pk:
        raise NotAllowed(_("This notification is someone else's."))
    if notification.read_at is None:
        notification.read_at = timezone.now()
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(
            read_at=notification.read_at
        )
    return notification


def notifications_mark_all_read(*, user: User) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).update(
        read_at=timezone.now()
    )
