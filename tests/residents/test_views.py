from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from residents import services
from residents.models import Declaration, DeclarationDocument, LikelyDuplicate, Resident
from tests.conftest import client_for
from tests.residents.conftest import make_resident, pdf_bytes, resident_post_data

pytestmark = pytest.mark.django_db
Status = Declaration.Status


def jpeg_bytes(size: tuple[int, int] = (40, 50)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 120, 40)).save(out, format="JPEG")
    return out.getvalue()


# --- The access trio for every view: allowed user, officer of another province, anonymous ----
def _urls(resident: Resident) -> dict[str, tuple[str, str, str]]:
    """name -> (method, url, allowed persona)"""
    declaration = resident.declarations.get()
    document = DeclarationDocument.objects.create(
        declaration=declaration,
        file=SimpleUploadedFile("a.pdf", b"%PDF-1.4 test"),
        original_name="a.pdf",
        content_type="application/pdf",
        size=13,
        uploaded_by=resident.created_by,
    )
    resident.photo.save("p.jpg", SimpleUploadedFile("p.jpg", jpeg_bytes()), save=True)
    flag = LikelyDuplicate.objects.create(resident=resident, other=resident_twin(resident),
                                          similarity=0.9)  # fmt: skip
    return {
        "detail": ("get", f"/residents/{resident.pk}/", "officer"),
        "edit": ("get", f"/residents/{resident.pk}/edit/", "officer"),
        "photo": ("get", f"/residents/{resident.pk}/photo/", "officer"),
        "document": ("get", f"/residents/documents/{document.pk}/", "officer"),
        "declaration-edit": ("get", f"/residents/declarations/{declaration.pk}/edit/", "officer"),
        "declaration-submit": (
            "post",
            f"/residents/declarations/{declaration.pk}/submit/",
            "officer",
        ),
        "document-upload": (
            "post",
            f"/residents/declarations/{declaration.pk}/documents/",
            "officer",
        ),
        "review": ("get", f"/residents/declarations/{declaration.pk}/review/", "verifier"),
        "duplicate-decide": ("post", f"/residents/duplicates/{flag.pk}/decide/", "verifier"),
        "declaration-acknowledge": (
            "post",
            f"/residents/declarations/{declaration.pk}/acknowledge/",
            "director",
        ),
    }


def resident_twin(resident: Resident) -> Resident:
    return make_resident(maker=resident.created_by, surname=resident.surname)


RECORD_VIEWS = [
    "detail",
    "edit",
    "photo",
    "document",
    "declaration-edit",
    "declaration-submit",
    "document-upload",
    "review",
    "duplicate-decide",
    "declaration-acknowledge",
]


@pytest.mark.parametrize("name", RECORD_VIEWS)
def test_each_record_view_answers_its_allowed_user(request, name, resident, verifier, director):
    method, url, persona = _urls(resident)[name]

    response = getattr(client_for(request.getfixturevalue(persona)), method)(url)

    assert response.status_code in (200, 302)
    if method == "get":
        assert response.status_code == 200


@pytest.mark.parametrize("name", RECORD_VIEWS)
def test_each_record_view_answers_404_to_an_officer_of_another_province(
    name, resident, other_officer_client
):
    method, url, _persona = _urls(resident)[name]
    before = Declaration.objects.values_list("status", flat=True).get(resident=resident)

    response = getattr(other_officer_client, method)(url)

    assert response.status_code == 404
    assert Declaration.objects.values_list("status", flat=True).get(resident=resident) == before


@pytest.mark.parametrize("name", RECORD_VIEWS)
def test_each_record_view_sends_anonymous_visitors_to_sign_in(name, resident):
    method, url, _persona = _urls(resident)[name]

    response = getattr(Client(), method)(url)

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


PAGE_VIEWS = [
    ("/residents/", "officer"),
    ("/residents/new/", "officer"),
    ("/residents/verification/", "verifier"),
    ("/residents/returned/", "officer"),
    ("/residents/acknowledgements/", "director"),
    ("/residents/acknowledgements/?province=12", "director"),
    ("/residents/options/districts/?address_province=12", "officer"),
    ("/residents/options/communes/?address_district=1201", "officer"),
]


@pytest.mark.parametrize(("url", "persona"), PAGE_VIEWS)
def test_each_page_answers_its_allowed_user_and_sends_anonymous_to_sign_in(request, url, persona):
    allowed = client_for(request.getfixturevalue(persona)).get(url)
    anonymous = Client().get(url)

    assert allowed.status_code == 200
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize(
    ("url", "persona"),
    [
        ("/residents/new/", "verifier"),
        ("/residents/verification/", "officer"),
        ("/residents/acknowledgements/", "verifier"),
        ("/residents/returned/", "director"),
    ],
)
def test_a_role_page_refuses_other_roles(request, url, persona):
    response = client_for(request.getfixturevalue(persona)).get(url)

    assert response.status_code == 403


def test_a_provincial_page_of_another_province_answers_404(
    director_client, other_officer_client, resident
):
    response = other_officer_client.post("/residents/acknowledgements/12/")

    assert response.status_code == 404
    assert resident.declarations.get().status == Status.SUBMITTED


def test_the_list_shows_only_the_officers_province(
    officer_client, other_officer_client, resident, other_resident
):
    mine = officer_client.get("/residents/").content.decode()
    theirs = other_officer_client.get("/residents/").content.decode()

    assert f"/residents/{resident.pk}/" in mine
    assert f"/residents/{other_resident.pk}/" not in mine
    assert f"/residents/{other_resident.pk}/" in theirs
    assert f"/residents/{resident.pk}/" not in theirs


def test_a_passport_search_is_posted_and_the_number_never_appears_in_a_url(
    officer_client, resident, other_resident
):
    # when an officer searches a passport number, with other filters, from the search form
    posted = officer_client.post("/residents/", {"passport": "e1234 5678", "q": "wang"})

    # then the list's address carries the filters but the number only encrypted
    location = posted["Location"]
    assert posted.status_code == 302
    assert location.startswith("/residents/?") and "q=wang" in location
    assert "12345678" not in location and "passport=" not in location
    page = officer_client.get(location)
    html = page.content.decode()
    assert f"/residents/{resident.pk}/" in html
    assert f"/residents/{other_resident.pk}/" not in html
    # and the next page's links carry the sealed number, never the number itself
    assert "passport_sealed=" in page.context["query"]
    assert "12345678" not in page.context["query"]


def test_an_old_link_with_a_passport_number_is_moved_out_of_the_address(officer_client, resident):
    response = officer_client.get("/residents/", {"passport": "E12345678"})

    assert response.status_code == 302
    assert "E12345678" not in response["Location"]
    assert f"/residents/{resident.pk}/" in officer_client.get(response["Location"]).content.decode()


@pytest.mark.parametrize("sealed", ["garbage", "t2:AAAA", "nokey:" + "A" * 40, "t2:" + "B" * 60])
def test_a_tampered_sealed_passport_answers_with_a_message_not_an_error(
    officer_client, resident, sealed
):
    response = officer_client.get("/residents/", {"passport_sealed": sealed}, follow=True)

    assert response.status_code == 200
    assert "passport number cannot be read" in response.content.decode()


def test_the_director_sees_every_province(director_client, resident, other_resident):
    page = director_client.get("/residents/").content.decode()

    assert f"/residents/{resident.pk}/" in page
    assert f"/residents/{other_resident.pk}/" in page


# --- Create and edit -------------------------------------------------------------------------
def test_an_officer_creates_a_resident_and_submits_it(officer_client, officer):
    response = officer_client.post("/residents/new/", {**resident_post_data(), "submit": "1"})

    resident = Resident.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/residents/{resident.pk}/"
    assert (resident.surname, resident.given_names, resident.province_id) == (
        "ZHANG",
        "WEI MING",
        "12",
    )
    assert resident.documents.get().number == "EA1234567"
    assert resident.declarations.get().status == Status.SUBMITTED


def test_extra_post_fields_cannot_set_province_status_or_maker(officer_client, officer, verifier):
    officer_client.post(
        "/residents/new/",
        {
            **resident_post_data(),
            "province": "17",
            "status": "verified",
            "created_by": str(verifier.pk),
            "reviewed_by": str(verifier.pk),
            "version": "99",
        },
    )

    resident = Resident.objects.get()
    declaration = resident.declarations.get()
    assert resident.province_id == "12"
    assert resident.created_by == officer
    assert resident.version == 1
    assert (declaration.status, declaration.reviewed_by) == (Status.DRAFT, None)


def test_bad_input_redisplays_the_form_with_errors_and_keeps_what_was_typed(officer_client):
    response = officer_client.post(
        "/residents/new/",
        resident_post_data(date_of_birth="2999-01-01", address_commune="170101"),
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert Resident.objects.count() == 0
    assert "The date of birth cannot be in the future." in page
    assert "Select a valid choice" in page
    assert 'value="Zhang"' in page
    assert 'value="St. 271, No. 12"' in page
    assert "Married since 2001." in page


def test_the_same_passport_in_scope_names_the_existing_record(officer_client, resident):
    response = officer_client.post(
        "/residents/new/", resident_post_data(passport_number="e1234-5678", passport_country="CN")
    )

    page = response.content.decode()
    assert Resident.objects.count() == 1
    assert f"This passport is already recorded for WANG LI NA (resident no. {resident.pk})." in page
    assert (
        f'<a class="alert-link" href="/residents/{resident.pk}/">Open the existing record</a>'
        in (page)
    )


def test_the_same_passport_out_of_scope_only_says_another_province_holds_it(
    officer_client, other_resident
):
    response = officer_client.post(
        "/residents/new/", resident_post_data(passport_number="G87654321", passport_country="CN")
    )

    page = response.content.decode()
    assert Resident.objects.count() == 1
    assert "This passport is already recorded by another province&#x27;s office." in page
    assert "NGUYEN" not in page
    assert "Open the existing record" not in page
    assert f"/residents/{other_resident.pk}/" not in page


def test_a_likely_duplicate_warns_at_entry_and_saves_once_confirmed(officer_client, officer):
    import datetime as dt

    make_resident(
        maker=officer, surname="ZHANG", given_names="WEI MIN", date_of_birth=dt.date(1975, 3, 12)
    )

    warned = officer_client.post("/residents/new/", resident_post_data())
    saved = officer_client.post("/residents/new/", resident_post_data(confirm_duplicates="on"))

    assert 'data-testid="likely-duplicates"' in warned.content.decode()
    assert "same date of birth and nationality" in warned.content.decode()
    assert saved.status_code == 302
    new = Resident.objects.get(given_names="WEI MING")
    assert new.duplicate_flags.get().status == LikelyDuplicate.Status.OPEN


def test_an_edit_from_a_stale_form_is_refused_with_a_clear_message(officer_client, resident):
    form = resident_post_data(
        surname="WANG",
        given_names="LI NA",
        name_native="",
        date_of_birth="1980-05-17",
        passport_number="E12345678",
        passport_country="CN",
        version="1",
    )
    first = officer_client.post(f"/residents/{resident.pk}/edit/", {**form, "phone": "111"})
    second = officer_client.post(f"/residents/{resident.pk}/edit/", {**form, "phone": "222"})

    resident.refresh_from_db()
    assert first.status_code == 302
    assert second.status_code == 200
    assert "Someone else changed this resident after you opened it." in second.content.decode()
    assert 'value="222"' in second.content.decode()
    assert resident.phone == "111"


def test_a_photo_is_accepted_by_content_and_served_only_through_the_checked_view(
    officer_client, other_officer_client
):
    upload = SimpleUploadedFile("me.png", jpeg_bytes((600, 800)), content_type="image/png")
    officer_client.post("/residents/new/", {**resident_post_data(), "photo_upload": upload})

    resident = Resident.objects.get()
    photo = officer_client.get(f"/residents/{resident.pk}/photo/")
    assert photo["Content-Type"] == "image/jpeg"
    assert Image.open(io.BytesIO(b"".join(photo.streaming_content))).size == (398, 531)
    assert other_officer_client.get(f"/residents/{resident.pk}/photo/").status_code == 404
    assert "/media/" not in officer_client.get(f"/residents/{resident.pk}/").content.decode()


def test_a_valid_photo_is_kept_when_the_form_comes_back_with_an_error(officer_client):
    import re

    upload = SimpleUploadedFile("me.png", jpeg_bytes((60, 80)), content_type="image/png")
    refused = officer_client.post(
        "/residents/new/", {**resident_post_data(surname=""), "photo_upload": upload}
    )
    page = refused.content.decode()
    token = re.search(r'name="photo_kept" value="([^"]+)"', page).group(1)

    assert Resident.objects.count() == 0
    assert "Nothing you typed was lost. Your photo is kept." in page
    assert "Choose the photo again." not in page

    officer_client.post("/residents/new/", {**resident_post_data(), "photo_kept": token})

    resident = Resident.objects.get()
    photo = officer_client.get(f"/residents/{resident.pk}/photo/")
    assert Image.open(io.BytesIO(b"".join(photo.streaming_content))).size == (60, 80)


def test_a_kept_photo_is_no_one_elses_to_attach(officer_client, officer):
    from residents.forms import keep_photo
    from tests.factories import UserFactory

    someone = UserFactory(role=officer.role, province_id=officer.province_id)
    token = keep_photo(user=someone, photo=SimpleUploadedFile("p.jpg", jpeg_bytes()))

    officer_client.post("/residents/new/", {**resident_post_data(), "photo_kept": token})

    assert not Resident.objects.get().photo


def test_a_file_that_is_not_an_image_is_refused_as_a_photo(officer_client):
    upload = SimpleUploadedFile("photo.jpg", b"MZ\x90\x00 not an image", content_type="image/jpeg")

    response = officer_client.post(
        "/residents/new/", {**resident_post_data(), "photo_upload": upload}
    )

    assert "The photo must be a JPEG or PNG image." in response.content.decode()
    assert Resident.objects.count() == 0


def test_the_district_options_follow_the_province(officer_client):
    response = officer_client.get("/residents/options/districts/?address_province=17")

    page = response.content.decode()
    assert '<option value="1701">Angkor Chum</option>' in page
    assert "1201" not in page
    assert 'id="id_address_commune" hx-swap-oob="innerHTML"' in page


# --- Documents -------------------------------------------------------------------------------
def test_a_pdf_supporting_document_is_stored_and_downloaded_by_the_province_only(
    officer_client, other_officer_client, declaration
):
    pdf = pdf_bytes()
    upload = SimpleUploadedFile("proof.txt", pdf, content_type="text/plain")

    officer_client.post(f"/residents/declarations/{declaration.pk}/documents/", {"file": upload})

    document = declaration.documents.get()
    assert (document.original_name, document.content_type) == ("proof.txt", "application/pdf")
    download = officer_client.get(f"/residents/documents/{document.pk}/")
    assert b"".join(download.streaming_content) == pdf
    assert other_officer_client.get(f"/residents/documents/{document.pk}/").status_code == 404


def test_a_document_keeps_a_safe_form_of_its_name_in_any_script(officer_client, declaration):
    upload = SimpleUploadedFile("លិខិត\u202egpj.exe (1).pdf", pdf_bytes(), "application/pdf")

    officer_client.post(f"/residents/declarations/{declaration.pk}/documents/", {"file": upload})

    assert declaration.documents.get().original_name == "លិខិតgpj.exe (1).pdf"


def test_a_document_that_is_not_pdf_jpeg_or_png_is_refused(officer_client, declaration):
    upload = SimpleUploadedFile("scan.pdf", b"PK\x03\x04 a zip", content_type="application/pdf")

    response = officer_client.post(
        f"/residents/declarations/{declaration.pk}/documents/", {"file": upload}, follow=True
    )

    assert "Supporting documents must be PDF, JPEG or PNG files." in response.content.decode()
    assert declaration.documents.count() == 0


# --- Review ----------------------------------------------------------------------------------
def test_the_queue_lists_submitted_declarations_made_by_others_with_duplicate_flags(
    verifier_client, verifier, resident, officer
):
    own = make_resident(maker=verifier, surname="OWN")
    LikelyDuplicate.objects.create(
        resident=resident, other=make_resident(maker=officer, status=Status.VERIFIED),
        similarity=0.81,
    )  # fmt: skip

    page = verifier_client.get("/residents/verification/").content.decode()

    assert "WANG LI NA" in page
    assert "Likely duplicates: 1" in page
    assert own.full_name not in page


def test_a_verifier_verifies_from_the_review_page(verifier_client, declaration, resident):
    response = verifier_client.post(
        f"/residents/declarations/{declaration.pk}/review/",
        {"action": "verify", "reason": "", "version": "1", "resident_version": "1"},
    )

    declaration.refresh_from_db()
    assert response.status_code == 302
    assert declaration.status == Status.VERIFIED


def test_the_second_of_two_verifiers_sees_a_clear_message(
    verifier_client, declaration, other_verifier, verifier
):
    from tests.factories import UserFactory

    second = UserFactory(username="verifier2_pp", role="verifier", province_id="12")
    form = {"action": "verify", "reason": "", "version": "1", "resident_version": "1"}
    verifier_client.post(f"/residents/declarations/{declaration.pk}/review/", form)

    response = client_for(second).post(f"/residents/declarations/{declaration.pk}/review/", form)

    assert response.status_code == 200
    assert "This declaration is now verified; it cannot become verified." in (
        response.content.decode()
    )
    declaration.refresh_from_db()
    assert declaration.reviewed_by == verifier


def test_returning_without_a_reason_keeps_the_declaration_submitted(verifier_client, declaration):
    response = verifier_client.post(
        f"/residents/declarations/{declaration.pk}/review/",
        {"action": "return", "reason": " ", "version": "1", "resident_version": "1"},
    )

    declaration.refresh_from_db()
    assert response.status_code == 200
    assert "Give the reason: the officer will read it." in response.content.decode()
    assert declaration.status == Status.SUBMITTED


def test_the_maker_sees_the_reason_of_a_returned_declaration(officer_client, verifier, declaration):
    services.declaration_return(declaration=declaration, actor=verifier, reason="Wrong birth date")

    returned = officer_client.get("/residents/returned/").content.decode()
    detail = officer_client.get(f"/residents/{declaration.resident_id}/").content.decode()

    assert "Wrong birth date" in returned
    assert "Wrong birth date" in detail


def test_the_detail_page_shows_the_history_in_order_with_who_and_what_changed(
    officer_client, officer, verifier, resident
):
    services.resident_update(resident=resident, actor=officer, version=1, fields={"phone": "012"})
    services.declaration_return(
        declaration=resident.declarations.get(), actor=verifier, reason="Blurred photo"
    )

    page = officer_client.get(f"/residents/{resident.pk}/").content.decode()

    history = page[page.index('data-testid="history"') :]
    changed = history.index("Resident changed")
    returned = history.index("Returned to the officer")
    assert changed < returned
    assert "phone</span>: — → 012" in history
    assert str(verifier) in history[returned - 200 :]
    assert "Reason: Blurred photo" in history


# --- Acknowledgement -------------------------------------------------------------------------
def test_the_director_acknowledges_a_province_in_bulk(director_client, officer):
    for _n in range(3):
        make_resident(maker=officer, status=Status.VERIFIED)

    response = director_client.post(
        "/residents/acknowledgements/12/", {"confirmed": "3"}, follow=True
    )

    assert "3 verified declarations of Phnom Penh acknowledged." in response.content.decode()
    assert Declaration.objects.filter(status=Status.ACKNOWLEDGED).count() == 3


@pytest.mark.parametrize("confirmed", [None, "", "2", "4"])
def test_a_province_is_acknowledged_only_once_the_director_confirmed_its_count(
    director_client, officer, confirmed
):
    for _n in range(3):
        make_resident(maker=officer, status=Status.VERIFIED)
    data = {"confirmed": confirmed} if confirmed is not None else {}

    response = director_client.post("/residents/acknowledgements/12/", data, follow=True)

    assert Declaration.objects.filter(status=Status.ACKNOWLEDGED).count() == 0
    assert (
        "Nothing was acknowledged: Phnom Penh has 3 verified declarations. "
        "Check the list and confirm again." in response.content.decode()
    )


def test_acknowledging_a_province_asks_to_confirm_with_the_count_and_what_cannot_be_undone(
    director_client, officer
):
    for _n in range(2):
        make_resident(maker=officer, status=Status.VERIFIED)

    page = director_client.get("/residents/acknowledgements/?province=12").content.decode()

    assert "Acknowledge 2 verified declarations of Phnom Penh?" in page
    assert "not only those shown on this page" in page
    assert "This cannot be undone." in page
    assert 'name="confirmed" value="2"' in page


# --- Queries -------------------------------------------------------------------------------------
def test_a_list_page_costs_the_same_number_of_queries_for_10_or_40_residents(
    officer_client, officer, django_assert_num_queries
):
    for _n in range(10):
        make_resident(maker=officer)
    officer_client.get("/residents/")  # the search form's districts are kept after it
    with django_assert_num_queries(5) as small:
        officer_client.get("/residents/?sort=name")
    for _n in range(30):
        make_resident(maker=officer)

    with django_assert_num_queries(len(small.captured_queries)):
        officer_client.get("/residents/?sort=name")


# --- The next step on a resident's page ----------------------------------------------------------
def test_after_acknowledging_the_director_is_offered_to_issue_the_card(director_client, officer):
    resident = make_resident(maker=officer, status=Status.VERIFIED)
    declaration = resident.declarations.get()

    response = director_client.post(
        f"/residents/declarations/{declaration.pk}/acknowledge/", {"next": "detail"}, follow=True
    )

    page = response.content.decode()
    assert response.redirect_chain[-1][0] == f"/residents/{resident.pk}/"
    assert f'action="/cards/issue/{declaration.pk}/"' in page
    assert "Next step: the declaration is acknowledged and the resident has no card yet." in page


def test_an_officer_reads_that_the_card_office_issues_the_card_next(officer_client, officer):
    resident = make_resident(maker=officer, status=Status.ACKNOWLEDGED)

    page = officer_client.get(f"/residents/{resident.pk}/").content.decode()

    assert "the card office issues the resident's card next." in page
    assert "/cards/issue/" not in page


def test_a_resident_page_links_to_each_of_their_cards(director_client, director, officer):
    from cards import services as card_services

    resident = make_resident(maker=officer, status=Status.ACKNOWLEDGED)
    card = card_services.card_issue(declaration=resident.declarations.get(), actor=director)

    page = director_client.get(f"/residents/{resident.pk}/").content.decode()

    assert f'<a href="/cards/{card.pk}/" class="text-nowrap">{card.number}</a>' in page
    assert "/cards/issue/" not in page
