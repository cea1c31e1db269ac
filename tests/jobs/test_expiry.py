"""The card expiry job: boundaries on a frozen clock, idempotence, chunks, notices, e-mail."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.core.exceptions import ImproperlyConfigured

from cards.models import CardEvent, ResidenceCard, expiry_date_for
from jobs import services
from jobs.models import EXPIRED, JobRun, Notification, RenewalNotice
from tests.factories import UserFactory
from tests.jobs.conftest import PHNOM_PENH, SIEM_REAP

pytestmark = pytest.mark.django_db

Status = ResidenceCard.Status
Kind = CardEvent.Kind
TODAY = dt.date(2027, 6, 15)


def days(n: int) -> dt.timedelta:
    return dt.timedelta(days=n)


def status_of(card: ResidenceCard) -> str:
    card.refresh_from_db()
    return card.status


def job_events(kind: str | None = None) -> list[tuple[int, str]]:
    kinds = [kind] if kind else [Kind.MARKED_EXPIRING, Kind.MARKED_EXPIRED]
    return sorted(CardEvent.objects.filter(kind__in=kinds).values_list("card_id", "kind"))


# --- Date boundaries -------------------------------------------------------------------------
def test_a_card_becomes_expiring_on_the_90th_day_before_its_last_valid_day_not_the_91st(
    freeze, make_card
):
    freeze(TODAY)
    on_90th = make_card(TODAY + days(90))
    on_91st = make_card(TODAY + days(91))

    run = services.flag_card_expiry()

    assert status_of(on_90th) == Status.EXPIRING
    assert status_of(on_91st) == Status.ACTIVE
    assert run.status == JobRun.Status.SUCCEEDED
    assert run.run_for == TODAY
    assert run.counts == {"expired": 0, "expiring": 1, "notices": 1, "passports": 0, "emails": 0}


def test_a_card_is_expiring_not_expired_on_its_last_valid_day(freeze, make_card):
    freeze(TODAY)
    card = make_card(TODAY)

    services.flag_card_expiry()

    assert status_of(card) == Status.EXPIRING
    assert card.validity_on(TODAY) == ResidenceCard.Validity.EXPIRING


def test_a_card_is_marked_expired_the_day_after_its_last_valid_day(freeze, make_card):
    freeze(TODAY)
    card = make_card(TODAY)
    services.flag_card_expiry()
    freeze(TODAY + days(1))

    run = services.flag_card_expiry()

    assert status_of(card) == Status.EXPIRED
    assert run.counts["expired"] == 1
    assert job_events() == [(card.pk, Kind.MARKED_EXPIRED), (card.pk, Kind.MARKED_EXPIRING)]


def test_a_card_issued_on_29_february_is_valid_through_28_february_two_years_later(
    freeze, make_card
):
    freeze(dt.date(2028, 2, 29))
    card = make_card(issue_date=dt.date(2028, 2, 29))
    assert card.expiry_date == dt.date(2030, 2, 28)
    freeze(dt.date(2029, 11, 29))  # 91 days before 28-02-2030
    services.flag_card_expiry()
    assert status_of(card) == Status.ACTIVE
    freeze(dt.date(2029, 11, 30))  # the 90th day before
    services.flag_card_expiry()
    assert status_of(card) == Status.EXPIRING
    freeze(dt.date(2030, 2, 28))
    services.flag_card_expiry()
    assert status_of(card) == Status.EXPIRING

    freeze(dt.date(2030, 3, 1))
    services.flag_card_expiry()

    assert status_of(card) == Status.EXPIRED


def test_a_card_whose_last_valid_day_is_29_february_expires_on_1_march(freeze, make_card):
    freeze(dt.date(2026, 3, 1))
    card = make_card(issue_date=dt.date(2026, 3, 1))
    assert card.expiry_date == expiry_date_for(dt.date(2026, 3, 1)) == dt.date(2028, 2, 29)
    freeze(dt.date(2028, 2, 29))
    services.flag_card_expiry()
    assert status_of(card) == Status.EXPIRING

    freeze(dt.date(2028, 3, 1))
    services.flag_card_expiry()

    assert status_of(card) == Status.EXPIRED


def test_only_handed_over_cards_become_expiring_but_every_current_card_expires(freeze, make_card):
    freeze(TODAY)
    issued_soon = make_card(TODAY + days(10), Status.ISSUED)
    printed_soon = make_card(TODAY + days(10), Status.PRINTED)
    issued_past = make_card(TODAY - days(1), Status.ISSUED)
    printed_past = make_card(TODAY - days(1), Status.PRINTED)
    expiring_past = make_card(TODAY - days(3), Status.EXPIRING)
    replaced = make_card(TODAY - days(5), Status.REPLACED)
    revoked = make_card(TODAY + days(5), Status.REVOKED)

    run = services.flag_card_expiry()

    assert [status_of(c) for c in (issued_soon, printed_soon)] == [Status.ISSUED, Status.PRINTED]
    assert [status_of(c) for c in (issued_past, printed_past, expiring_past)] == [
        Status.EXPIRED
    ] * 3
    assert [status_of(c) for c in (replaced, revoked)] == [Status.REPLACED, Status.REVOKED]
    assert run.counts["expired"] == 3
    assert run.counts["expiring"] == 0


def test_each_card_the_job_moves_gets_one_event_naming_the_run_and_no_actor(freeze, make_card):
    freeze(TODAY)
    expiring = make_card(TODAY + days(30))
    expired = make_card(TODAY - days(2), Status.PRINTED)

    run = services.flag_card_expiry()

    events = {e.card_id: e for e in CardEvent.objects.filter(kind__startswith="marked_")}
    assert set(events) == {expiring.pk, expired.pk}
    assert events[expiring.pk].kind == Kind.MARKED_EXPIRING
    assert events[expiring.pk].actor_id is None
    assert events[expiring.pk].data == {
        "from": "active",
        "expiry_date": (TODAY + days(30)).isoformat(),
        "job_run": run.pk,
    }
    assert events[expired.pk].kind == Kind.MARKED_EXPIRED
    assert events[expired.pk].data["from"] == "printed"


# --- Idempotence and chunks ------------------------------------------------------------------
def test_a_second_run_the_same_day_changes_nothing_and_notifies_nobody_twice(
    freeze, make_card, officer, verifier
):
    officer.email, verifier.email = "officer@example.org", ""
    officer.save(update_fields=["email"])
    verifier.save(update_fields=["email"])
    freeze(TODAY)
    make_card(TODAY + days(20), created_by=officer)
    make_card(TODAY - days(1), created_by=officer)
    first = services.flag_card_expiry()
    before = (
        job_events(),
        list(RenewalNotice.objects.values_list("card_id", "threshold", "run_id")),
        list(Notification.objects.values_list("recipient_id", "threshold", "count", "run_id")),
        len(mail.outbox),
    )

    second = services.flag_card_expiry()

    assert first.counts == {"expired": 1, "expiring": 1, "notices": 2, "passports": 0, "emails": 1}
    assert second.counts == {"expired": 0, "expiring": 0, "notices": 0, "passports": 0, "emails": 0}
    assert second.status == JobRun.Status.SUCCEEDED
    after = (
        job_events(),
        list(RenewalNotice.objects.values_list("card_id", "threshold", "run_id")),
        list(Notification.objects.values_list("recipient_id", "threshold", "count", "run_id")),
        len(mail.outbox),
    )
    assert after == before
    assert len(mail.outbox) == 1


def test_small_chunks_flag_every_card_once_and_the_counts_add_up(settings, freeze, make_card):
    settings.JOBS_CHUNK_SIZE = 2
    freeze(TODAY)
    expiring = [make_card(TODAY + days(n)) for n in (1, 2, 3, 4, 5)]
    expired = [make_card(TODAY - days(n)) for n in (1, 2, 3)]

    run = services.flag_card_expiry()

    assert run.counts == {"expired": 3, "expiring": 5, "notices": 8, "passports": 0, "emails": 0}
    assert [status_of(c) for c in expiring] == [Status.EXPIRING] * 5
    assert [status_of(c) for c in expired] == [Status.EXPIRED] * 3
    assert len(job_events()) == 8
    assert RenewalNotice.objects.count() == 8


def test_a_run_left_running_by_a_dead_worker_is_marked_interrupted_by_the_next_run(
    freeze, make_card
):
    freeze(TODAY)
    card = make_card(TODAY + days(10))
    dead = JobRun.objects.create(
        job=JobRun.Job.FLAG_CARD_EXPIRY, status=JobRun.Status.RUNNING, counts={"expired": 4}
    )

    run = services.flag_card_expiry()

    dead.refresh_from_db()
    assert dead.status == JobRun.Status.INTERRUPTED
    assert dead.finished_at is not None
    assert run.status == JobRun.Status.SUCCEEDED
    assert status_of(card) == Status.EXPIRING


def test_a_queued_run_is_the_one_the_task_records(freeze, make_card, administrator):
    freeze(TODAY)
    make_card(TODAY - days(1))
    queued = JobRun.objects.create(job=JobRun.Job.FLAG_CARD_EXPIRY, triggered_by=administrator)

    run = services.flag_card_expiry(run_id=queued.pk)

    assert run.pk == queued.pk
    queued.refresh_from_db()
    assert queued.status == JobRun.Status.SUCCEEDED
    assert queued.counts["expired"] == 1
    assert queued.started_at is not None and queued.finished_at is not None
    assert JobRun.objects.count() == 1


# --- Notices, notifications, digests ---------------------------------------------------------
def test_a_card_gets_one_notice_per_threshold_as_it_nears_expiry_then_one_when_expired(
    freeze, make_card
):
    expiry = TODAY + days(85)
    freeze(TODAY)
    card = make_card(expiry)

    for day in [TODAY + days(n) for n in range(0, 90, 1)]:
        freeze(day)
        services.flag_card_expiry()

    notices = list(
        RenewalNotice.objects.filter(card=card)
        .order_by("id")
        .values_list("threshold", "created_at__date")
    )
    # Noticed when first seen (85 days left), then on the 60th day, the 30th day, and the day
    # after the last valid day; each once although the job ran every day.
    assert [t for t, _d in notices] == [90, 60, 30, EXPIRED]
    assert [d for _t, d in notices] == [
        TODAY,
        expiry - days(60),
        expiry - days(30),
        expiry + days(1),
    ]


def test_a_card_first_seen_20_days_before_expiry_gets_only_the_30_day_notice(freeze, make_card):
    freeze(TODAY)
    card = make_card(TODAY + days(20))

    services.flag_card_expiry()

    assert list(RenewalNotice.objects.filter(card=card).values_list("threshold", flat=True)) == [30]


def test_the_province_officers_are_told_how_many_of_their_residents_reach_each_threshold(
    freeze, make_card, officer, officer2, verifier, other_officer, director
):
    freeze(TODAY)
    for _ in range(3):
        make_card(TODAY + days(20), created_by=officer)
    make_card(TODAY - days(1), created_by=officer)
    make_card(TODAY + days(20), province_id=SIEM_REAP, created_by=other_officer)
    inactive = UserFactory(username="gone_pp", province_id=PHNOM_PENH, is_active=False)

    run = services.flag_card_expiry()

    told = sorted(
        Notification.objects.values_list("recipient__username", "province_id", "threshold", "count")
    )
    assert told == [
        ("officer2_pp", PHNOM_PENH, EXPIRED, 1),
        ("officer2_pp", PHNOM_PENH, 30, 3),
        ("officer_pp", PHNOM_PENH, EXPIRED, 1),
        ("officer_pp", PHNOM_PENH, 30, 3),
        ("officer_sr", SIEM_REAP, 30, 1),
        ("verifier_pp", PHNOM_PENH, EXPIRED, 1),
        ("verifier_pp", PHNOM_PENH, 30, 3),
    ]
    assert not Notification.objects.filter(recipient__in=[director, inactive]).exists()
    assert set(Notification.objects.values_list("run_id", flat=True)) == {run.pk}
    text = Notification.objects.get(recipient=officer, threshold=30).text
    assert text == "The cards of 3 residents expire within 30 days: renew them."


def test_with_small_chunks_the_officer_gets_one_notification_with_the_total(
    settings, freeze, make_card, officer
):
    settings.JOBS_CHUNK_SIZE = 2
    freeze(TODAY)
    for _ in range(5):
        make_card(TODAY + days(40), created_by=officer)

    services.flag_card_expiry()

    assert list(Notification.objects.values_list("recipient_id", "threshold", "count")) == [
        (officer.pk, 60, 5)
    ]


def test_the_digest_names_each_resident_with_a_link_in_khmer_and_english(
    settings, freeze, make_card, officer
):
    settings.JOBS_SITE_URL = "https://ims.example.org"
    officer.email = "officer@example.org"
    officer.save(update_fields=["email"])
    freeze(TODAY)
    soon = make_card(TODAY + days(20), surname="SOON", created_by=officer)
    gone = make_card(TODAY - days(4), surname="GONE", created_by=officer)

    run = services.flag_card_expiry()

    assert run.counts["emails"] == 1
    [message] = mail.outbox
    assert message.to == ["officer@example.org"]
    assert message.subject == "ប័ណ្ណដែលត្រូវបន្ត / Cards to renew"
    body = message.body
    assert (
        f"{soon.resident.full_name}, {soon.number}, expiry date 05-07-2027: "
        f"https://ims.example.org/residents/{soon.resident_id}/" in body
    )
    assert (
        f"{gone.resident.full_name}, {gone.number}, expiry date 11-06-2027: "
        f"https://ims.example.org/residents/{gone.resident_id}/" in body
    )
    assert "1 card expires within 30 days" in body
    assert "1 card has expired" in body
    assert "https://ims.example.org/jobs/renewals/" in body
    assert "ប័ណ្ណ" in body.split("Dear")[0]
    assert Notification.objects.filter(emailed_at__isnull=True).count() == 0


def test_when_e_mail_is_down_the_run_fails_with_the_reason_and_the_next_run_sends_the_digest(
    settings, freeze, make_card, officer
):
    officer.email = "officer@example.org"
    officer.save(update_fields=["email"])
    freeze(TODAY)
    card = make_card(TODAY + days(20), created_by=officer)
    # A real SMTP client against a port nobody listens on.
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2

    failed = services.flag_card_expiry()

    assert failed.status == JobRun.Status.FAILED
    assert failed.error.startswith("E-mail not sent: ")
    assert status_of(card) == Status.EXPIRING
    assert len(mail.outbox) == 0
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"

    retried = services.flag_card_expiry()

    assert retried.status == JobRun.Status.SUCCEEDED
    assert retried.counts == {
        "expired": 0,
        "expiring": 0,
        "notices": 0,
        "passports": 0,
        "emails": 1,
    }
    assert len(mail.outbox) == 1


def test_the_thresholds_come_from_the_settings(settings, freeze, make_card):
    settings.CARDS_EXPIRY_THRESHOLDS = [45, 7]
    freeze(TODAY)
    far = make_card(TODAY + days(60))
    mid = make_card(TODAY + days(45))
    near = make_card(TODAY + days(7))

    services.flag_card_expiry()

    assert status_of(far) == Status.EXPIRING  # the expiring window stays the cards' 90 days
    notices = dict(RenewalNotice.objects.values_list("card_id", "threshold"))
    assert notices == {mid.pk: 45, near.pk: 7}


def test_a_threshold_beyond_the_expiring_window_is_refused(settings, freeze, make_card):
    settings.CARDS_EXPIRY_THRESHOLDS = [120, 30]
    freeze(TODAY)
    card = make_card(TODAY + days(10))

    with pytest.raises(ImproperlyConfigured):
        services.flag_card_expiry()

    run = JobRun.objects.get()
    assert run.status == JobRun.Status.FAILED
    assert "CARDS_EXPIRY_THRESHOLDS" in run.error
    assert RenewalNotice.objects.count() == 0
    assert status_of(card) == Status.ACTIVE
    assert job_events() == []


# --- Nights after the first: only what may have changed --------------------------------------
def test_a_replacement_card_issued_after_a_run_is_noticed_the_next_night(
    freeze, make_card, card_clerk
):
    from cards import services as card_services

    freeze(TODAY)
    lost = make_card(TODAY + days(100))
    services.flag_card_expiry()
    freeze(TODAY + days(15))  # 85 days left: noticed at 90 that night
    services.flag_card_expiry()
    new = card_services.card_replace(card=lost, actor=card_clerk, reason="lost")

    freeze(TODAY + days(16))
    run = services.flag_card_expiry()

    assert new.expiry_date == lost.expiry_date
    assert list(RenewalNotice.objects.filter(card=new).values_list("threshold", flat=True)) == [90]
    assert run.counts["notices"] == 1


def test_after_nights_without_a_run_every_threshold_crossed_meanwhile_is_noticed(freeze, make_card):
    freeze(TODAY)
    crossed_60 = make_card(TODAY + days(65))
    crossed_30 = make_card(TODAY + days(38))
    untouched = make_card(TODAY + days(200))
    services.flag_card_expiry()

    freeze(TODAY + days(10))
    run = services.flag_card_expiry()

    assert set(RenewalNotice.objects.filter(run=run).values_list("card_id", "threshold")) == {
        (crossed_60.pk, 60),
        (crossed_30.pk, 30),
    }
    assert not RenewalNotice.objects.filter(card=untouched).exists()


def test_a_run_started_from_the_jobs_page_rechecks_the_whole_window(
    freeze, make_card, administrator
):
    freeze(TODAY)
    card = make_card(TODAY + days(50))
    services.flag_card_expiry()
    freeze(TODAY + days(2))
    services.flag_card_expiry()
    RenewalNotice.objects.filter(card=card).delete()  # as if lost
    freeze(TODAY + days(3))
    scheduled = services.flag_card_expiry()
    queued = JobRun.objects.create(job=JobRun.Job.FLAG_CARD_EXPIRY, triggered_by=administrator)

    manual = services.flag_card_expiry(run_id=queued.pk)

    assert scheduled.counts["notices"] == 0
    assert manual.counts["notices"] == 1
    assert list(RenewalNotice.objects.filter(card=card).values_list("threshold", flat=True)) == [60]
