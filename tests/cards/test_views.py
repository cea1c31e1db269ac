"""Card screens: every view with its access trio, the actions, print runs and validity checks."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from PIL import Image
from pypdf import PdfReader

from audit.models import AuditEvent
from cards import pdf
from cards.models import CardEvent, PrintRun, PrintRunCard, ResidenceCard
from tests.cards.conftest import SIEM_REAP, acknowledged, renewal_declaration
from tests.cards.test_pdf import pdftotext, qr_codes_on_page
from tests.conftest import client_for
from tests.factories import TravelDocumentFactory
from tests.pdf_glyphs import broken_glyphs

pytestmark = pytest.mark.django_db

Status = ResidenceCard.Status

CARD_PAGES = ["cards:card-detail", "cards:card-preview"]
CARD_ACTIONS = [
    "cards:card-renew",
    "cards:card-replace",
    "cards:card-revoke",
    "cards:card-hand-over",
    "cards:card-spoil",
]


def login_redirect(response, url: str) -> bool:
    return response.status_code == 302 and response["Location"] == f"/accounts/login/?next={url}"


# --- Card pages: allowed, other province 404, anonymous to sign-in ---------------------------
@pytest.mark.parametrize("name", CARD_PAGES)
def test_an_officer_sees_a_card_of_their_province(officer_client, issue, name):
    card = issue()

    response = officer_client.get(reverse(name, args=[card.pk]))

    assert response.status_code == 200


@pytest.mark.parametrize("name", CARD_PAGES + CARD_ACTIONS)
def test_a_card_of_another_province_does_not_exist_for_its_users(
    other_officer_client, clerk_sr, issue, name
):
    card = issue(status=Status.PRINTED)
    url = reverse(name, args=[card.pk])

    assert client_for(clerk_sr).get(url).status_code == 404
    if name in CARD_PAGES:
        assert other_officer_client.get(url).status_code == 404


@pytest.mark.parametrize("name", CARD_PAGES + CARD_ACTIONS)
def test_an_anonymous_visitor_is_sent_to_sign_in_for_every_card_page(issue, name):
    card = issue()
    url = reverse(name, args=[card.pk])

    assert login_redirect(Client().get(url), url)


@pytest.mark.parametrize("name", CARD_ACTIONS)
def test_an_officer_cannot_change_cards(officer_client, issue, name):
    card = issue(status=Status.PRINTED)

    response = officer_client.post(reverse(name, args=[card.pk]), {"reason": "x"})

    assert response.status_code == 403
    card.refresh_from_db()
    assert card.status == Status.PRINTED


def test_the_card_page_shows_the_cards_events_with_who_and_when(
    clerk_client, clerk, issue, django_assert_max_num_queries
):
    card = issue(status=Status.PRINTED)
    clerk_client.post(reverse("cards:card-hand-over", args=[card.pk]), {"handed_to": "WANG LI"})

    with django_assert_max_num_queries(12):
        response = clerk_client.get(reverse("cards:card-detail", args=[card.pk]))

    events = response.context["events"]
    assert [e.kind for e in events] == [CardEvent.Kind.HANDED_OVER, CardEvent.Kind.ISSUED]
    assert all(e.actor == clerk for e in events)
    html = response.content.decode()
    assert "Handed over" in html and "WANG LI" in html and card.number in html


def test_the_card_preview_is_a_pdf_of_the_card(officer_client, issue):
    card = issue()

    response = officer_client.get(reverse("cards:card-preview", args=[card.pk]))

    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert response["Content-Disposition"] == f'inline; filename="{card.number}-specimen.pdf"'


def test_the_card_preview_is_marked_specimen_on_both_faces_and_its_qr_carries_no_token(
    officer_client, issue, tmp_path
):
    card = issue(status=Status.ACTIVE, name_km="វ៉ាង លី", surname="WANG", given_names="LI")

    response = officer_client.get(reverse("cards:card-preview", args=[card.pk]))

    pages = [page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages]
    assert [page.count("SPECIMEN") for page in pages] == [1, 1]
    assert "Specimen: not a valid card" in pages[1]
    assert "Scan to check" not in pages[1]
    lines = pages[0].splitlines()  # still the card's own face
    assert "WANG" in lines and "LI" in lines and card.number in lines
    assert broken_glyphs(response.content) == []  # the Khmer mark draws whole, too
    codes = qr_codes_on_page(response.content, 2, tmp_path)
    assert codes == [pdf.SPECIMEN_QR_PAYLOAD]
    assert card.token not in codes[0] and "/cards/v/" not in codes[0]
    event = AuditEvent.objects.get(action=AuditEvent.Action.PDF_DOWNLOADED)
    assert (event.object_id, event.detail) == (str(card.pk), {"preview": True})


def test_a_clerk_downloads_the_printable_card_with_its_live_qr(clerk_client, issue, tmp_path):
    card = issue(status=Status.PRINTED)

    response = clerk_client.get(reverse("cards:card-download", args=[card.pk]))

    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="{card.number}.pdf"'
    assert "SPECIMEN" not in pdftotext(response.content)
    assert qr_codes_on_page(response.content, 2, tmp_path) == [pdf.verify_url(card)]
    event = AuditEvent.objects.get(action=AuditEvent.Action.PDF_DOWNLOADED)
    assert (event.object_id, event.detail) == (str(card.pk), {"printable": True})


@pytest.mark.parametrize("persona", ["officer", "verifier", "director", "administrator"])
def test_only_card_clerks_download_the_printable_card(request, issue, persona):
    card = issue(status=Status.PRINTED)
    client = client_for(request.getfixturevalue(persona))

    response = client.get(reverse("cards:card-download", args=[card.pk]))

    assert response.status_code == 403
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.PDF_DOWNLOADED).exists()


def test_the_printable_card_of_another_province_does_not_exist_for_its_users(
    clerk_sr, other_officer_client, issue
):
    card = issue(status=Status.PRINTED)
    url = reverse("cards:card-download", args=[card.pk])

    assert client_for(clerk_sr).get(url).status_code == 404
    assert other_officer_client.get(url).status_code == 404
    assert login_redirect(Client().get(url), url)
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.PDF_DOWNLOADED).exists()


def test_the_card_page_shows_the_live_address_and_the_download_to_clerks_only(
    clerk_client, officer_client, issue
):
    card = issue(status=Status.PRINTED)
    url = reverse("cards:card-detail", args=[card.pk])

    clerk_html = clerk_client.get(url).content.decode()
    officer_html = officer_client.get(url).content.decode()

    assert card.token in clerk_html and 'data-testid="card-download"' in clerk_html
    assert card.token not in officer_html and 'data-testid="card-download"' not in officer_html
    assert 'data-testid="verify-url"' not in officer_html


# --- Card list -------------------------------------------------------------------------------
def test_the_card_list_shows_only_the_users_province(officer_client, other_officer_client, issue):
    mine = issue()
    theirs = issue(province_id=SIEM_REAP)

    assert [c.pk for c in officer_client.get("/cards/").context["cards"]] == [mine.pk]
    assert [c.pk for c in other_officer_client.get("/cards/").context["cards"]] == [theirs.pk]
    assert login_redirect(Client().get("/cards/"), "/cards/")


def test_the_card_list_pages_by_keyset_with_a_constant_number_of_queries(
    director_client, issue, django_assert_max_num_queries
):
    cards = [issue() for _ in range(3)]

    with django_assert_max_num_queries(8):
        first = director_client.get("/cards/", {"status": "issued"})
    older = director_client.get("/cards/", {"before": cards[2].pk})

    assert [c.pk for c in first.context["cards"]] == [c.pk for c in reversed(cards)]
    assert [c.pk for c in older.context["cards"]] == [cards[1].pk, cards[0].pk]


# --- Actions ---------------------------------------------------------------------------------
def test_a_clerk_renews_an_expiring_card_from_its_page(clerk_client, issue):
    card = issue(status=Status.EXPIRING, issue_date=dt.date.today() - dt.timedelta(days=700))
    renewal_declaration(card)

    response = clerk_client.post(reverse("cards:card-renew", args=[card.pk]), {"reconfirmed": "on"})

    new = ResidenceCard.objects.get(replaces=card)
    assert response.status_code == 302
    assert response["Location"] == reverse("cards:card-detail", args=[new.pk])
    card.refresh_from_db()
    assert card.status == Status.REPLACED


def test_renewing_without_the_reconfirmation_keeps_the_form_and_changes_nothing(
    clerk_client, issue
):
    card = issue(status=Status.EXPIRING, issue_date=dt.date.today() - dt.timedelta(days=700))
    renewal_declaration(card)

    response = clerk_client.post(reverse("cards:card-renew", args=[card.pk]), {"other": "x"})

    assert response.status_code == 200
    assert "reconfirmed" in response.context["form"].errors
    card.refresh_from_db()
    assert card.status == Status.EXPIRING
    assert ResidenceCard.objects.count() == 1


def test_renewing_a_card_far_from_expiry_shows_why_and_changes_nothing(clerk_client, issue):
    card = issue(status=Status.ACTIVE)
    renewal_declaration(card)

    response = clerk_client.post(reverse("cards:card-renew", args=[card.pk]), {"reconfirmed": "on"})

    assert response.status_code == 200
    assert "within 90 days" in response.content.decode()
    assert ResidenceCard.objects.count() == 1


def test_a_director_revokes_a_card_with_a_ground_and_a_reason(director_client, issue):
    card = issue(status=Status.ACTIVE)

    director_client.post(
        reverse("cards:card-revoke", args=[card.pk]),
        {"ground": "departure", "reason": "Left on 01-11-2026"},
    )

    card.refresh_from_db()
    assert (card.status, card.status_reason) == (
        Status.REVOKED,
        "Left Cambodia for good: Left on 01-11-2026",
    )


def test_revoking_without_a_reason_keeps_the_card(director_client, issue):
    card = issue(status=Status.ACTIVE)

    response = director_client.post(
        reverse("cards:card-revoke", args=[card.pk]), {"ground": "fraud", "reason": " "}
    )

    assert response.status_code == 200
    card.refresh_from_db()
    assert card.status == Status.ACTIVE


def test_a_clerk_replaces_a_lost_card(clerk_client, issue):
    card = issue(status=Status.ACTIVE)

    clerk_client.post(
        reverse("cards:card-replace", args=[card.pk]), {"ground": "lost", "reason": "Theft"}
    )

    new = ResidenceCard.objects.get(replaces=card)
    assert new.expiry_date == card.expiry_date
    card.refresh_from_db()
    assert (card.status, card.status_reason) == (Status.REPLACED, "Lost: Theft")


def test_a_clerk_records_a_spoiled_card(clerk_client, issue):
    card = issue(status=Status.PRINTED)

    clerk_client.post(reverse("cards:card-spoil", args=[card.pk]), {"reason": "Bent"})

    card.refresh_from_db()
    assert card.status == Status.ISSUED


# --- Issuing ---------------------------------------------------------------------------------
def test_the_due_list_shows_acknowledged_residents_without_a_card_in_scope(clerk_client, clerk_sr):
    due = acknowledged()
    other = acknowledged(province_id=SIEM_REAP)

    national = clerk_client.get("/cards/due/").context["page"].items
    provincial = client_for(clerk_sr).get("/cards/due/").context["page"].items

    assert {d.pk for d in national} == {due.pk, other.pk}
    assert [d.pk for d in provincial] == [other.pk]
    assert login_redirect(Client().get("/cards/due/"), "/cards/due/")


def test_an_officer_cannot_open_the_due_list(officer_client):
    assert officer_client.get("/cards/due/").status_code == 403


def test_a_clerk_issues_a_card_from_the_due_list(clerk_client):
    declaration = acknowledged()

    response = clerk_client.post(reverse("cards:card-issue", args=[declaration.pk]))

    card = ResidenceCard.objects.get(declaration=declaration)
    assert response["Location"] == reverse("cards:card-detail", args=[card.pk])


def test_a_clerk_of_another_province_cannot_issue_and_nothing_is_created(clerk_sr):
    declaration = acknowledged()
    url = reverse("cards:card-issue", args=[declaration.pk])

    assert client_for(clerk_sr).post(url).status_code == 404
    assert login_redirect(Client().post(url), url)
    assert ResidenceCard.objects.count() == 0


def test_a_clerk_issues_cards_to_a_whole_province_at_once(clerk_client):
    for _ in range(3):
        acknowledged()

    response = clerk_client.post("/cards/issue/province/", {"province": "12", "confirmed": "3"})

    assert response["Location"] == "/cards/?province=12&status=issued"
    assert ResidenceCard.objects.filter(province_id="12").count() == 3


@pytest.mark.parametrize("confirmed", [None, "", "2", "4"])
def test_a_whole_province_is_issued_nothing_unless_the_clerk_confirmed_its_count(
    clerk_client, confirmed
):
    for _ in range(3):
        acknowledged()
    data = {"province": "12", **({"confirmed": confirmed} if confirmed is not None else {})}

    response = clerk_client.post("/cards/issue/province/", data, follow=True)

    assert ResidenceCard.objects.count() == 0
    assert response.redirect_chain[0][0] == "/cards/due/?province=12"
    assert (
        "No card was issued: 3 residents of this province are due a card. "
        "Check the list and confirm again." in response.content.decode()
    )


def test_the_cards_due_page_asks_to_confirm_with_the_count_and_the_province(clerk_client):
    for _ in range(2):
        acknowledged()

    page = clerk_client.get("/cards/due/?province=12").content.decode()

    assert "Issue cards to the 2 residents due in this province" in page
    assert "Issue 2 cards in Phnom Penh?" in page
    assert "This cannot be undone: an issued card can only be revoked or replaced." in page
    assert 'name="confirmed" value="2"' in page


def test_a_provincial_clerk_bulk_issues_only_in_their_province(clerk_sr):
    acknowledged()
    acknowledged(province_id=SIEM_REAP)

    client_for(clerk_sr).post("/cards/issue/province/", {"province": "12", "confirmed": "1"})

    assert list(ResidenceCard.objects.values_list("province_id", flat=True)) == [SIEM_REAP]


# --- Print runs ------------------------------------------------------------------------------
def test_a_clerk_creates_a_print_run_and_downloads_its_pdf(
    clerk_client, issue, django_capture_on_commit_callbacks
):
    card = issue()

    with django_capture_on_commit_callbacks(execute=True):
        response = clerk_client.post(
            "/cards/print-runs/new/", {"selection": "not_printed", "reprint_reason": ""}
        )

    run = PrintRun.objects.get()
    assert response["Location"] == reverse("cards:print-run-detail", args=[run.pk])
    detail = clerk_client.get(response["Location"])
    assert [str(m) for m in detail.context["messages"]] == [
        f"Print run {run.pk} created with 1 card; its PDF is being rendered."
    ]
    assert [c.pk for c in detail.context["cards"]] == [card.pk]
    assert "Download PDF" in detail.content.decode()
    download = clerk_client.get(reverse("cards:print-run-pdf", args=[run.pk]))
    assert download["Content-Type"] == "application/pdf"
    assert b"".join(download.streaming_content).startswith(b"%PDF")


def test_the_print_run_progress_fragment_polls_until_done(clerk, clerk_client, issue):
    card = issue()
    run = PrintRun.objects.create(created_by=clerk, selection="picked", total=1)
    PrintRunCard.objects.create(print_run=run, card=card, position=1)

    response = clerk_client.get(
        reverse("cards:print-run-detail", args=[run.pk]), HTTP_HX_REQUEST="true"
    )

    html = response.content.decode()
    assert 'data-status="queued"' in html and "every 1s" in html
    assert "<table" not in html


def test_hand_picked_cards_from_the_list_are_offered_in_the_print_run_form(clerk_client, issue):
    card = issue()

    response = clerk_client.post("/cards/print-runs/new/", {"card": [card.pk]})

    assert response.context["form"].initial["cards"] == card.number
    assert PrintRun.objects.count() == 0


def test_a_mistyped_card_number_in_a_print_run_is_refused(clerk_client, issue):
    issue()

    response = clerk_client.post(
        "/cards/print-runs/new/", {"selection": "picked", "cards": "PR-12-0000001-0"}
    )

    assert "Not valid card numbers: PR-12-0000001-0" in response.content.decode()
    assert PrintRun.objects.count() == 0


def test_a_director_follows_a_print_run_but_only_clerks_download_its_printable_pdf(
    clerk, director_client, issue
):
    card = issue()
    run = PrintRun.objects.create(
        created_by=clerk, selection="picked", total=1, status=PrintRun.Status.DONE, pdf="x.pdf"
    )
    PrintRunCard.objects.create(print_run=run, card=card, position=1)

    detail = director_client.get(reverse("cards:print-run-detail", args=[run.pk]))
    download = director_client.get(reverse("cards:print-run-pdf", args=[run.pk]))

    assert detail.status_code == 200
    assert 'data-testid="download-pdf"' not in detail.content.decode()
    assert "The printable PDF is for card clerks only." in detail.content.decode()
    assert download.status_code == 403
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.PDF_DOWNLOADED).exists()


def test_print_runs_of_another_province_do_not_exist_for_a_provincial_clerk(clerk, clerk_sr, issue):
    run = PrintRun.objects.create(created_by=clerk, selection="province", province_id="12", total=0)
    other = client_for(clerk_sr)

    assert other.get(reverse("cards:print-run-detail", args=[run.pk])).status_code == 404
    assert other.get(reverse("cards:print-run-pdf", args=[run.pk])).status_code == 404
    assert other.get("/cards/print-runs/").context["runs"] == []


@pytest.mark.parametrize("url", ["/cards/print-runs/", "/cards/print-runs/new/", "run"])
def test_print_run_pages_need_sign_in_and_a_clerk(clerk, officer_client, url):
    if url == "run":  # a run of the officer's own province: seen, then refused for the role
        run = PrintRun.objects.create(created_by=clerk, selection="picked", province_id="12")
        url = reverse("cards:print-run-detail", args=[run.pk])
    assert login_redirect(Client().get(url), url)
    assert officer_client.get(url).status_code == 403


# --- Validity checks -------------------------------------------------------------------------
def test_the_public_check_shows_validity_and_minimal_identity_only(issue):
    card = issue(status=Status.ACTIVE, name_km="វ៉ាង លី")
    TravelDocumentFactory(resident=card.resident, number="E99887766")
    card.resident.address_street = "House 12, Street 310"
    card.resident.save(update_fields=["address_street"])

    response = Client().get(reverse("cards:verify", args=[card.token]))

    assert response.status_code == 200
    assert response.context["validity"] == "valid"
    html = response.content.decode()
    assert card.resident.full_name in html
    assert "China" in html and "Phnom Penh" in html
    assert card.expiry_date.strftime("%d-%m-%Y") in html
    assert "E99887766" not in html and "887766" not in html
    assert "Street 310" not in html
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    event = card.events.get(kind=CardEvent.Kind.VERIFIED)
    assert (event.actor, event.data) == (None, {"channel": "qr", "result": "valid"})


@pytest.mark.parametrize(
    ("status", "answer"),
    [(Status.REVOKED, "revoked"), (Status.REPLACED, "replaced"), (Status.EXPIRED, "expired")],
)
def test_the_public_check_never_says_valid_for_a_revoked_replaced_or_expired_card(
    issue, status, answer
):
    card = issue(status=status)

    response = Client().get(reverse("cards:verify", args=[card.token]))

    assert response.context["validity"] == answer
    assert response.context["is_valid"] is False


def with_photo(card: ResidenceCard, media_root) -> ResidenceCard:
    photo = Path(media_root) / "photos" / f"{card.pk}.png"
    photo.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (60, 80), (200, 30, 30)).save(photo)
    card.resident.photo = f"photos/{card.pk}.png"
    card.resident.save(update_fields=["photo"])
    return card


def personal(card: ResidenceCard) -> list[str]:
    """What the public page must not show of a card that is not valid."""
    return [
        card.resident.full_name,
        card.resident.surname,
        card.resident.name_km,
        card.number,
        card.expiry_date.strftime("%d-%m-%Y"),
        "data:image/",
        "China",
        'data-testid="validity-name"',  # the identity block, in either language
    ]


def test_a_handed_over_card_is_valid_with_its_holders_name_and_photo(issue, settings):
    card = with_photo(issue(status=Status.ACTIVE, name_km="វ៉ាង លី"), settings.MEDIA_ROOT)

    html = Client().get(reverse("cards:verify", args=[card.token])).content.decode()

    assert 'data-validity="valid">' in html
    assert '>\n      <i class="bi bi-check-circle" aria-hidden="true"></i> Valid\n' in html
    assert card.resident.full_name in html and "វ៉ាង លី" in html
    assert "data:image/png;base64," in html
    assert card.number in html


def test_a_handed_over_card_in_its_last_90_days_is_valid_expiring_soon_with_its_holder(issue):
    issued = timezone.localdate() - dt.timedelta(days=700)  # about 30 days left
    card = issue(status=Status.EXPIRING, issue_date=issued)

    html = Client().get(reverse("cards:verify", args=[card.token])).content.decode()

    assert 'data-validity="valid">' in html
    assert "Valid, expiring soon" in html
    assert card.resident.full_name in html and card.number in html


@pytest.mark.parametrize("status", [Status.ISSUED, Status.PRINTED])
def test_a_card_not_yet_handed_over_says_so_and_shows_nothing_of_its_holder(
    issue, settings, status
):
    card = with_photo(issue(status=status, name_km="វ៉ាង លី"), settings.MEDIA_ROOT)
    url = reverse("cards:verify", args=[card.token])

    response = Client().get(url)
    khmer = Client(HTTP_ACCEPT_LANGUAGE="km").get(url).content.decode()

    assert response.context["validity"] == "not_handed_over"
    assert response.context["is_valid"] is False
    html = response.content.decode()
    assert 'data-validity="not_handed_over">' in html
    assert "Not yet issued to its holder" in html
    assert "has not yet handed this card over to its holder" in html
    assert ">Valid<" not in html and "Valid until" not in html
    assert [text for text in personal(card) if text in html] == []
    assert "មិនទាន់បានប្រគល់ជូនម្ចាស់ប័ណ្ណនៅឡើយ" in khmer
    assert [text for text in personal(card) if text in khmer] == []
    results = [e.data["result"] for e in card.events.filter(kind=CardEvent.Kind.VERIFIED)]
    assert results == ["not_handed_over", "not_handed_over"]  # both checks recorded


@pytest.mark.parametrize("status", [Status.REVOKED, Status.REPLACED, Status.EXPIRED])
def test_a_revoked_replaced_or_expired_card_is_not_valid_and_shows_nothing_of_its_holder(
    issue, settings, status
):
    card = with_photo(issue(status=status, name_km="វ៉ាង លី"), settings.MEDIA_ROOT)
    url = reverse("cards:verify", args=[card.token])

    html = Client().get(url).content.decode()
    khmer = Client(HTTP_ACCEPT_LANGUAGE="km").get(url).content.decode()

    assert 'data-validity="not_valid">' in html
    assert "Not valid" in html and "This card is not valid." in html
    # The page does not say why (revoked, replaced or expired): that is the holder's business.
    assert "Revoked" not in html and "Replaced" not in html and "Expired" not in html
    assert [text for text in personal(card) if text in html] == []
    assert "គ្មានសុពលភាព" in khmer and "ប័ណ្ណនេះគ្មានសុពលភាពទេ។" in khmer
    assert [text for text in personal(card) if text in khmer] == []


def test_a_card_past_its_dates_is_not_valid_even_before_the_nightly_job(issue):
    card = issue(status=Status.ACTIVE, issue_date=dt.date(2024, 1, 10))  # last day 09-01-2026

    html = Client().get(reverse("cards:verify", args=[card.token])).content.decode()

    assert 'data-validity="not_valid">' in html
    assert card.resident.full_name not in html


def test_staff_checking_a_revoked_card_see_why_and_whose_it_is(officer_client, issue):
    card = issue(status=Status.REVOKED)

    response = officer_client.get("/cards/check/", {"number": card.number})

    html = response.content.decode()
    assert 'data-validity="not_valid">' in html
    assert '<div data-testid="validity-status">Revoked</div>' in html
    assert card.resident.full_name in html


def test_an_unknown_token_is_not_found():
    assert Client().get("/cards/v/not-a-real-token-000000000000000/").status_code == 404


def test_the_public_check_is_rate_limited_per_client_address(issue, settings):
    settings.CARDS_CHECK_RATE_PER_MINUTE = 3
    card = issue()
    url = reverse("cards:verify", args=[card.token])
    client = Client(REMOTE_ADDR="203.0.113.7")

    codes = [client.get(url).status_code for _ in range(4)]
    other = Client(REMOTE_ADDR="203.0.113.8").get(url)

    assert codes == [200, 200, 200, 429]
    assert other.status_code == 200
    assert card.events.filter(kind=CardEvent.Kind.VERIFIED).count() == 4


def test_an_officer_checks_a_typed_number_and_the_check_is_recorded(officer, officer_client, issue):
    card = issue(status=Status.ACTIVE)
    typed = card.number.replace("-", " ").lower()

    response = officer_client.get("/cards/check/", {"number": typed})

    assert response.context["validity"] == "valid"
    assert response.context["detail_pk"] == card.pk
    event = card.events.get(kind=CardEvent.Kind.VERIFIED)
    assert (event.actor, event.data["channel"]) == (officer, "number")


def test_an_officer_of_another_province_gets_the_not_found_answer_and_no_card_event(
    other_officer, other_officer_client, issue
):
    card = issue()

    response = other_officer_client.get("/cards/check/", {"number": card.number})

    assert response.status_code == 200
    assert response.context["checked"] is True
    assert "card_found" not in response.context
    assert "validity" not in response.context
    assert card.resident.full_name not in response.content.decode()
    assert not card.events.filter(kind=CardEvent.Kind.VERIFIED).exists()
    # the look-up is in the audit trail all the same, with the number asked for
    looked_up = AuditEvent.objects.get(action=AuditEvent.Action.CARD_VALIDITY_CHECKED)
    assert (looked_up.user_id, looked_up.object_id) == (other_officer.pk, "")
    assert looked_up.detail == {"channel": "number", "result": "not_found", "number": card.number}


def test_card_look_ups_are_limited_per_user_wherever_they_come_from(
    officer, verifier, issue, settings
):
    settings.CARDS_LOOKUP_RATE_PER_MINUTE = 3
    card = issue()
    first, second = client_for(officer), client_for(officer)
    second.defaults["REMOTE_ADDR"] = "203.0.113.9"  # the same user on another machine

    codes = [first.get("/cards/check/", {"number": card.number}).status_code for _ in range(2)]
    codes.append(second.get("/cards/check/", {"number": card.number}).status_code)
    refused = second.get("/cards/check/", {"number": card.number})
    colleague = client_for(verifier).get("/cards/check/", {"number": card.number})

    assert codes == [200, 200, 200]
    assert refused.status_code == 429
    assert card.resident.full_name not in refused.content.decode()
    assert "Wait a minute" in refused.content.decode()
    assert colleague.status_code == 200
    # the refused look-up read nothing and recorded nothing
    assert card.events.filter(kind=CardEvent.Kind.VERIFIED, actor=officer).count() == 3
    assert (
        AuditEvent.objects.filter(
            action=AuditEvent.Action.CARD_VALIDITY_CHECKED, user_id=officer.pk
        ).count()
        == 3
    )


def test_a_typo_in_a_checked_number_is_caught_by_the_check_digit(officer_client, issue):
    card = issue()
    wrong = card.number[:-1] + str((int(card.number[-1]) + 1) % 10)

    response = officer_client.get("/cards/check/", {"number": wrong})

    assert "check it for a typing mistake" in response.content.decode()
    assert not CardEvent.objects.filter(kind=CardEvent.Kind.VERIFIED).exists()


def test_the_officer_check_page_needs_sign_in():
    assert login_redirect(Client().get("/cards/check/"), "/cards/check/")


def test_the_public_check_speaks_khmer(issue):
    card = issue(status=Status.ACTIVE)
    client = Client(HTTP_ACCEPT_LANGUAGE="km")

    html = client.get(reverse("cards:verify", args=[card.token])).content.decode()

    assert "ប័ណ្ណស្នាក់នៅអចិន្ត្រៃយ៍៖ ការពិនិត្យសុពលភាព" in html
    assert 'data-validity="valid">' in html
    assert "មានសុពលភាព" in html
    assert "ចិន" in html  # the nationality, China, in Khmer
