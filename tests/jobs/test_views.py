"""Jobs pages: access trio for every view, re-run now, stuck work, renewals, exports, badges."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from audit.models import AuditEvent
from cards import services as card_services
from cards.models import PrintRun, ResidenceCard
from imports.models import ImportBatch
from jobs import services
from jobs.models import EXPIRED, JobRun, Notification
from residents.models import Declaration
from tests.conftest import client_for
from tests.factories import DeclarationFactory, ResidentFactory
from tests.jobs.conftest import PHNOM_PENH, SIEM_REAP, at_noon

pytestmark = pytest.mark.django_db

Status = ResidenceCard.Status
TODAY = dt.date(2027, 6, 15)


def days(n: int) -> dt.timedelta:
    return dt.timedelta(days=n)


@pytest.fixture(autouse=True)
def _frozen(time_machine) -> None:
    """The clock stops before any client signs in (a later jump would end their session)."""
    time_machine.move_to(at_noon(TODAY), tick=False)


def login_redirect(response, url: str) -> bool:
    return response.status_code == 302 and response["Location"].startswith(
        f"/accounts/login/?next={url.split('?')[0]}"
    )


# --- The jobs page ---------------------------------------------------------------------------
def test_an_administrator_sees_runs_failures_and_stuck_work(
    admin_client_, administrator, officer, verifier, clerk, freeze, make_card, time_machine
):
    long_ago = at_noon(TODAY - days(30))
    old_submitted = DeclarationFactory(created_by=officer, resident__created_by=officer)
    Declaration.objects.filter(pk=old_submitted.pk).update(
        status=Declaration.Status.SUBMITTED, submitted_at=long_ago
    )
    old_returned = DeclarationFactory(created_by=officer, resident__created_by=officer)
    Declaration.objects.filter(pk=old_returned.pk).update(
        status=Declaration.Status.RETURNED,
        submitted_at=long_ago,
        reviewed_at=long_ago + days(1),
        reviewed_by=verifier,
        status_reason="photo missing",
    )
    fresh = DeclarationFactory(created_by=officer, resident__created_by=officer)
    Declaration.objects.filter(pk=fresh.pk).update(
        status=Declaration.Status.SUBMITTED, submitted_at=at_noon(TODAY - days(2))
    )
    PrintRun.objects.create(
        created_by=clerk, selection="not_printed", status="failed", error="Font file missing"
    )
    ImportBatch.objects.create(
        province_id=PHNOM_PENH,
        created_by=officer,
        file_name="list.xlsx",
        file_sha256="0" * 64,
        status=ImportBatch.Status.FAILED,
        failure_code="not_a_spreadsheet",
    )
    make_card(TODAY - days(1))
    ok = services.flag_card_expiry()
    failed = JobRun.objects.create(
        job=JobRun.Job.FLAG_CARD_EXPIRY, status=JobRun.Status.FAILED, error="OperationalError: gone"
    )

    response = admin_client_.get(reverse("jobs:job-list"))

    assert response.status_code == 200
    assert [r.pk for r in response.context["runs"]] == [failed.pk, ok.pk]
    assert [r.pk for r in response.context["failures"]] == [failed.pk]
    [stuck] = response.context["stuck"]
    assert (stuck.province.code, stuck.submitted, stuck.returned) == (PHNOM_PENH, 1, 1)
    assert stuck.oldest == at_noon(TODAY - days(30))
    content = response.content.decode()
    assert "OperationalError: gone" in content
    assert "Font file missing" in content
    assert "list.xlsx" in content
    assert response.context["failed_imports"][0].reason != ""
    assert 'data-testid="run-now"' in content


def test_an_hq_director_reads_the_jobs_page_without_the_run_button(director_client):
    response = director_client.get(reverse("jobs:job-list"))

    assert response.status_code == 200
    assert 'data-testid="run-now"' not in response.content.decode()


@pytest.mark.parametrize("who", ["officer", "other_officer", "verifier", "clerk"])
def test_the_jobs_page_does_not_exist_for_provincial_staff_and_clerks(request, who):
    client = client_for(request.getfixturevalue(who))

    assert client.get(reverse("jobs:job-list")).status_code == 404


def test_anonymous_is_sent_to_sign_in_from_the_jobs_pages(client: Client, administrator):
    run = JobRun.objects.create(job=JobRun.Job.FLAG_CARD_EXPIRY)
    for url in [reverse("jobs:job-list"), reverse("jobs:run-detail", args=[run.pk])]:
        assert login_redirect(client.get(url), url)
    url = reverse("jobs:run-now", args=[JobRun.Job.FLAG_CARD_EXPIRY])

    assert login_redirect(client.post(url), url)
    assert JobRun.objects.count() == 1


def test_an_administrator_runs_the_job_now_and_sees_its_result(
    admin_client_, administrator, freeze, make_card, django_capture_on_commit_callbacks
):
    freeze(TODAY)
    card = make_card(TODAY - days(2))

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client_.post(reverse("jobs:run-now", args=["flag_card_expiry"]))

    run = JobRun.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("jobs:run-detail", args=[run.pk])
    assert run.triggered_by == administrator
    assert run.status == JobRun.Status.SUCCEEDED
    assert run.counts["expired"] == 1
    card.refresh_from_db()
    assert card.status == Status.EXPIRED
    event = AuditEvent.objects.filter(action=AuditEvent.Action.JOB_RUN_REQUESTED).latest("id")
    assert event.detail == {"job": "flag_card_expiry", "run_now": True}
    page = admin_client_.get(response["Location"])
    assert 'data-status="succeeded"' in page.content.decode()
    assert 'data-testid="count-expired">1<' in page.content.decode()
    assert "hx-trigger" not in page.content.decode()


def test_a_queued_run_page_polls_until_the_run_finishes(admin_client_):
    run = JobRun.objects.create(job=JobRun.Job.FLAG_CARD_EXPIRY)

    response = admin_client_.get(
        reverse("jobs:run-detail", args=[run.pk]), headers={"HX-Request": "true"}
    )

    assert response.templates[0].name == "jobs/_run_status.html"
    assert 'hx-trigger="every 2s"' in response.content.decode()


def test_an_hq_director_cannot_run_a_job(director_client):
    response = director_client.post(reverse("jobs:run-now", args=["flag_card_expiry"]))

    assert response.status_code == 403
    assert JobRun.objects.count() == 0


def test_an_officer_cannot_run_a_job_nor_read_a_run(officer_client):
    run = JobRun.objects.create(job=JobRun.Job.FLAG_CARD_EXPIRY)

    assert (
        officer_client.post(reverse("jobs:run-now", args=["flag_card_expiry"])).status_code == 404
    )
    assert officer_client.get(reverse("jobs:run-detail", args=[run.pk])).status_code == 404
    assert JobRun.objects.count() == 1


def test_an_unknown_job_is_not_found_and_nothing_is_queued(admin_client_):
    assert admin_client_.post(reverse("jobs:run-now", args=["drop_tables"])).status_code == 404
    assert JobRun.objects.count() == 0


# --- Renewals due ----------------------------------------------------------------------------
@pytest.fixture
def renewals(freeze, make_card, card_clerk, officer, other_officer, time_machine):
    """Phnom Penh: one expiring (not started), one started, one expired, one renewed; plus a
    Siem Reap card and a far-off one."""
    freeze(TODAY)
    cards = {
        "soon": make_card(TODAY + days(20), surname="SOON", created_by=officer),
        "started": make_card(TODAY + days(50), surname="STARTED", created_by=officer),
        "expired": make_card(TODAY - days(3), surname="=HYPERLINK(1)", created_by=officer),
        "renewed": make_card(TODAY + days(10), surname="RENEWED", created_by=officer),
        "far": make_card(TODAY + days(200), surname="FAR", created_by=officer),
        "siem_reap": make_card(
            TODAY + days(20), surname="REAP", province_id=SIEM_REAP, created_by=other_officer
        ),
    }
    services.flag_card_expiry()
    time_machine.shift(dt.timedelta(minutes=1))
    DeclarationFactory(
        resident=cards["started"].resident, created_by=officer, status=Declaration.Status.SUBMITTED
    )
    DeclarationFactory(
        resident=cards["renewed"].resident,
        created_by=officer,
        status=Declaration.Status.ACKNOWLEDGED,
    )
    cards["new"] = card_services.card_renew(card=cards["renewed"], actor=card_clerk)
    return cards


def test_an_officer_sees_the_renewals_of_the_province_and_how_far_each_has_gone(
    officer_client, renewals
):
    response = officer_client.get(reverse("jobs:renewals"))

    assert response.status_code == 200
    rows = [
        (card.resident.surname, card.renewal_state, card.stage_label)
        for card in response.context["page"].items
    ]
    assert rows == [
        ("=HYPERLINK(1)", "not_started", "Expired"),
        ("RENEWED", "renewed", "Within 30 days"),
        ("SOON", "not_started", "Within 30 days"),
        ("STARTED", "in_progress", "Within 60 days"),
    ]
    content = response.content.decode()
    assert f"Renewed: new card {renewals['new'].number} (Issued)" in content
    assert "REAP" not in content


def test_the_renewals_filter_by_expiry_and_by_renewal(officer_client, renewals):
    def surnames(query: str) -> list[str]:
        response = officer_client.get(reverse("jobs:renewals") + query)
        return [card.resident.surname for card in response.context["page"].items]

    assert surnames("?stage=30") == ["RENEWED", "SOON"]
    assert surnames(f"?stage={EXPIRED}") == ["=HYPERLINK(1)"]
    assert surnames("?state=renewed") == ["RENEWED"]
    assert surnames("?state=in_progress") == ["STARTED"]
    assert surnames("?state=not_started&stage=30") == ["SOON"]


def test_the_renewals_due_are_those_expiring_or_expired_without_the_ones_renewed(
    officer_client, renewals
):
    """What the province page's "renewals due" counts, renewal under way or not."""
    response = officer_client.get(reverse("jobs:renewals") + "?state=due")
    surnames = [card.resident.surname for card in response.context["page"].items]

    assert surnames == ["=HYPERLINK(1)", "SOON", "STARTED"]


def test_a_notification_link_lists_the_residents_it_named(officer_client, officer, renewals):
    notification = Notification.objects.get(recipient=officer, threshold=60)

    response = officer_client.get(notification.link)

    assert [c.resident.surname for c in response.context["page"].items] == ["STARTED"]


def test_an_hq_director_sees_every_province_or_one(director_client, renewals):
    everything = director_client.get(reverse("jobs:renewals"))
    one = director_client.get(reverse("jobs:renewals") + f"?province={SIEM_REAP}")

    assert len(everything.context["page"].items) == 5
    assert [c.resident.surname for c in one.context["page"].items] == ["REAP"]


@pytest.mark.parametrize("name", ["jobs:renewals", "jobs:renewals-csv", "jobs:renewals-xlsx"])
def test_another_province_renewals_do_not_exist_for_an_officer(
    officer_client, other_officer_client, renewals, name
):
    assert officer_client.get(reverse(name) + f"?province={SIEM_REAP}").status_code == 404
    assert other_officer_client.get(reverse(name) + f"?province={PHNOM_PENH}").status_code == 404
    assert AuditEvent.objects.filter(action=AuditEvent.Action.EXPORTED).count() == 0


@pytest.mark.parametrize("name", ["jobs:renewals", "jobs:renewals-csv", "jobs:renewals-xlsx"])
def test_anonymous_is_sent_to_sign_in_from_the_renewals(client: Client, geo, name):
    assert login_redirect(client.get(reverse(name)), reverse(name))


def test_the_csv_export_lists_the_renewals_with_formula_cells_neutralised(
    officer_client, renewals, settings
):
    settings.JOBS_SITE_URL = "https://ims.example.org"

    response = officer_client.get(reverse("jobs:renewals-csv") + "?stage=0")

    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="renewals-12-20270615.csv"'
    lines = response.content.decode("utf-8-sig").splitlines()
    assert lines[0] == (
        "Card number,Resident,Name in Khmer,Nationality,Province,Expiry date,Days left,Expiry,"
        "Renewal,Notified on,Link"
    )
    card = renewals["expired"]
    assert lines[1:] == [
        f"{card.number},'=HYPERLINK(1) LI,,China,Phnom Penh,12/06/2027,-3,Expired,Not started,"
        f"15/06/2027,https://ims.example.org/residents/{card.resident_id}/"
    ]
    event = AuditEvent.objects.get(action=AuditEvent.Action.EXPORTED)
    assert event.detail["what"] == "renewals"
    assert event.detail["rows"] == 1


def test_the_xlsx_export_lists_the_same_rows(officer_client, renewals):
    response = officer_client.get(reverse("jobs:renewals-xlsx"))

    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    values = list(sheet.iter_rows(values_only=True))
    assert len(values) == 5
    assert values[1][1] == "'=HYPERLINK(1) LI"
    assert [row[8] for row in values[1:]] == [
        "Not started",
        f"Renewed: new card {renewals['new'].number} (Issued)",
        "Not started",
        "Renewal started (new declaration under way)",
    ]


# --- Notifications ---------------------------------------------------------------------------
def test_an_officer_reads_the_notifications_and_opening_one_marks_it_read(
    officer_client, officer, renewals
):
    page = officer_client.get(reverse("jobs:notification-list"))
    notification = Notification.objects.get(recipient=officer, threshold=30)

    response = officer_client.post(
        reverse("jobs:notification-read", args=[notification.pk]), {"next": notification.link}
    )

    assert page.status_code == 200
    assert page.context["unread"] == 3
    assert "The cards of 2 residents expire within 30 days: renew them." in page.content.decode()
    assert response.status_code == 302
    assert response["Location"] == notification.link
    notification.refresh_from_db()
    assert notification.read_at is not None


def test_an_officer_cannot_mark_another_officers_notification(
    other_officer_client, officer, renewals
):
    notification = Notification.objects.get(recipient=officer, threshold=30)

    response = other_officer_client.post(reverse("jobs:notification-read", args=[notification.pk]))

    assert response.status_code == 404
    notification.refresh_from_db()
    assert notification.read_at is None


def test_a_notification_does_not_follow_a_link_to_another_site(officer_client, officer, renewals):
    notification = Notification.objects.get(recipient=officer, threshold=30)

    response = officer_client.post(
        reverse("jobs:notification-read", args=[notification.pk]), {"next": "https://evil.example"}
    )

    assert response["Location"] == reverse("jobs:notification-list")


def test_mark_all_read_marks_only_the_officers_own(officer_client, officer, renewals):
    response = officer_client.post(reverse("jobs:notifications-read-all"))

    assert response.status_code == 302
    assert Notification.objects.filter(recipient=officer, read_at__isnull=True).count() == 0
    assert Notification.objects.exclude(recipient=officer).filter(read_at__isnull=True).count() > 0


def test_anonymous_is_sent_to_sign_in_from_the_notifications(client: Client, officer, renewals):
    notification = Notification.objects.filter(recipient=officer).first()
    url = reverse("jobs:notification-read", args=[notification.pk])

    assert login_redirect(client.get(reverse("jobs:notification-list")), "/jobs/notifications/")
    assert login_redirect(client.post(url), url)
    assert login_redirect(client.post(reverse("jobs:notifications-read-all")), "/jobs/")
    notification.refresh_from_db()
    assert notification.read_at is None


# --- Badges ----------------------------------------------------------------------------------
def test_residents_and_cards_show_an_expiring_or_expired_badge_in_lists_and_detail_pages(
    officer_client, freeze, make_card, officer
):
    freeze(TODAY)
    soon = make_card(TODAY + days(45), surname="SOON", created_by=officer)
    gone = make_card(TODAY - days(2), surname="GONE", created_by=officer)
    fine = make_card(TODAY + days(400), surname="FINE", created_by=officer)

    residents = officer_client.get(reverse("residents:list")).content.decode()
    cards = officer_client.get(reverse("cards:card-list")).content.decode()

    for content in (residents, cards):
        assert content.count('data-alert="expiring"') == 1
        assert content.count('data-alert="expired"') == 1
        assert "Card expires in 45 days" in content
        assert "Card expired 2 days ago" in content
    for card, badge in ((soon, "expiring"), (gone, "expired"), (fine, None)):
        for url in (
            reverse("residents:detail", args=[card.resident_id]),
            reverse("cards:card-detail", args=[card.pk]),
        ):
            content = officer_client.get(url).content.decode()
            if badge:
                assert f'data-alert="{badge}"' in content
            else:
                assert "data-alert" not in content


def test_a_renewed_residents_badge_goes_away(
    officer_client, freeze, make_card, officer, card_clerk
):
    freeze(TODAY)
    card = make_card(TODAY + days(10), created_by=officer)
    DeclarationFactory(resident=card.resident, status=Declaration.Status.ACKNOWLEDGED)
    card_services.card_renew(card=card, actor=card_clerk)

    content = officer_client.get(reverse("residents:detail", args=[card.resident_id])).content

    assert b"data-alert" not in content


def test_the_residents_list_badges_cost_no_query_per_row(
    officer_client, freeze, make_card, officer, django_assert_num_queries
):
    freeze(TODAY)
    for n in range(3):
        make_card(TODAY + days(10 * n), created_by=officer)
    officer_client.get(reverse("residents:list"))  # the search form's districts are kept after it
    with django_assert_num_queries(5) as small:
        officer_client.get(reverse("residents:list"))
    for n in range(12):
        make_card(TODAY - days(n), created_by=officer)
    ResidentFactory(created_by=officer)

    with django_assert_num_queries(len(small.captured_queries)):
        response = officer_client.get(reverse("residents:list"))

    assert response.content.decode().count("data-alert=") == 15


def test_the_renewals_page_costs_the_same_number_of_queries_for_2_or_12_cards(
    officer_client, make_card, officer, card_clerk, django_assert_num_queries
):
    make_card(TODAY + days(5), created_by=officer)
    card = make_card(TODAY + days(6), created_by=officer)
    DeclarationFactory(resident=card.resident, status=Declaration.Status.ACKNOWLEDGED)
    card_services.card_renew(card=card, actor=card_clerk)
    officer_client.get(reverse("jobs:renewals"))
    with django_assert_num_queries(4) as small:
        officer_client.get(reverse("jobs:renewals"))
    for n in range(10):
        make_card(TODAY - days(n), created_by=officer)

    with django_assert_num_queries(len(small.captured_queries)):
        response = officer_client.get(reverse("jobs:renewals"))

    assert len(response.context["page"].items) == 12


def _notification(officer) -> Notification:
    run = JobRun.objects.create(job=JobRun.Job.FLAG_CARD_EXPIRY, status=JobRun.Status.SUCCEEDED)
    return Notification.objects.create(
        recipient=officer, province_id=officer.province_id, threshold=30, count=2, run=run
    )


# A text that is no path was taken for a view name to reverse: a server error before.
@pytest.mark.parametrize(
    "target", ["-118515", "jobs:job-list", "home", "https://evil.example/", "//evil.example/x"]
)
def test_reading_a_notification_with_a_next_that_is_no_path_of_the_site_goes_to_the_list(
    officer_client, officer, target
):
    notification = _notification(officer)

    response = officer_client.post(f"/jobs/notifications/{notification.pk}/read/", {"next": target})

    assert response.status_code == 302
    assert response["Location"] == "/jobs/notifications/"
    notification.refresh_from_db()
    assert notification.read_at is not None


def test_reading_a_notification_follows_its_link_on_the_site(officer_client, officer):
    notification = _notification(officer)

    response = officer_client.post(
        f"/jobs/notifications/{notification.pk}/read/", {"next": "/jobs/renewals/?stage=30"}
    )

    assert response["Location"] == "/jobs/renewals/?stage=30"
