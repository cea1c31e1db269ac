"""Document types, the documents each basis requires, and the verifier's marks gating a verify."""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile

from audit.models import AuditEvent
from residents import history_view, selectors, services
from residents.models import Declaration, DeclarationDocument, DocumentType
from tests.residents.conftest import make_resident

Check = DeclarationDocument.Check
Status = Declaration.Status


@pytest.fixture
def marriage_certificate(db: None) -> DocumentType:
    return DocumentType.objects.get(code="marriage-certificate")


@pytest.fixture
def required(declaration: Declaration, marriage_certificate: DocumentType) -> Declaration:
    """The declaration's basis (marriage) requires a marriage certificate."""
    declaration.basis.required_documents.add(marriage_certificate)
    return declaration


def upload(declaration: Declaration, name: str = "certificate.pdf") -> DeclarationDocument:
    return declaration.documents.create(
        file=ContentFile(b"%PDF-1.4\n%%EOF\n", name=name), original_name=name,
        content_type="application/pdf", size=15, uploaded_by=declaration.created_by,
    )  # fmt: skip


def test_a_declaration_missing_a_required_document_cannot_be_verified(verifier, required):
    document = upload(required)

    with pytest.raises(
        services.NotAllowed,
        match=r"These required documents are not accepted yet: Marriage certificate\.",
    ):
        services.declaration_verify(declaration=required, actor=verifier)

    required.refresh_from_db()
    document.refresh_from_db()
    assert (required.status, required.reviewed_by) == (Status.SUBMITTED, None)
    assert document.verdict == Check.UNCHECKED


def test_an_illegible_required_document_does_not_count(verifier, required, marriage_certificate):
    document = upload(required)
    services.document_check(
        document=document, actor=verifier, verdict=Check.ILLEGIBLE,
        document_type=marriage_certificate,
    )  # fmt: skip

    with pytest.raises(services.NotAllowed, match="Marriage certificate"):
        services.declaration_verify(declaration=required, actor=verifier)

    assert Declaration.objects.get(pk=required.pk).status == Status.SUBMITTED


def test_once_every_required_document_is_accepted_the_declaration_is_verified(
    verifier, required, marriage_certificate
):
    document = upload(required)

    services.document_check(
        document=document, actor=verifier, verdict=Check.ACCEPTED,
        document_type=marriage_certificate,
    )  # fmt: skip
    services.declaration_verify(declaration=required, actor=verifier)

    required.refresh_from_db()
    assert required.status == Status.VERIFIED
    assert selectors.missing_documents_of(declaration=required) == []


def test_a_return_lists_the_documents_still_missing(verifier, required):
    services.declaration_return(declaration=required, actor=verifier, reason="Please complete")

    required.refresh_from_db()
    assert required.status == Status.RETURNED
    assert required.status_reason == (
        "Please complete\nDocuments to provide: Marriage certificate."
    )


def test_a_basis_without_required_documents_verifies_as_before(verifier, declaration):
    services.declaration_verify(declaration=declaration, actor=verifier)

    assert Declaration.objects.get(pk=declaration.pk).status == Status.VERIFIED


def test_the_maker_cannot_mark_their_own_declarations_documents(officer, verifier):
    own = make_resident(maker=verifier, surname="OWN").declarations.get()
    document = upload(own)

    with pytest.raises(services.NotAllowed):
        services.document_check(
            document=document, actor=verifier, verdict=Check.ACCEPTED, document_type=None
        )

    document.refresh_from_db()
    assert (document.verdict, document.checked_by) == (Check.UNCHECKED, None)


def test_the_verifier_marks_a_document_from_the_review_screen_audited_and_in_the_history(
    verifier_client, verifier, required, marriage_certificate
):
    document = upload(required)

    response = verifier_client.post(
        f"/residents/documents/{document.pk}/check/?sort=name",
        {"verdict": "accepted", "document_type": marriage_certificate.pk},
    )

    document.refresh_from_db()
    assert response["Location"] == f"/residents/declarations/{required.pk}/review/?sort=name"
    assert (document.verdict, document.document_type, document.checked_by) == (
        Check.ACCEPTED, marriage_certificate, verifier,
    )  # fmt: skip
    event = AuditEvent.objects.get(action=AuditEvent.Action.DOCUMENT_CHECKED)
    assert (event.username, event.detail["verdict"]) == (verifier.username, "accepted")
    page = verifier_client.get(response["Location"]).content.decode()
    assert "Marriage certificate · Accepted" in page
    history = history_view.resident_history_for(resident=required.resident)
    assert any(change.after == "Accepted" for entry in history for change in entry.changes), history


def test_the_review_screen_names_the_required_documents_not_accepted(verifier_client, required):
    page = verifier_client.get(f"/residents/declarations/{required.pk}/review/").content.decode()

    assert 'data-testid="missing-documents"' in page
    assert "Marriage certificate" in page


def test_an_officer_cannot_mark_a_document(officer_client, required):
    document = upload(required)

    response = officer_client.post(
        f"/residents/documents/{document.pk}/check/", {"verdict": "accepted"}
    )

    document.refresh_from_db()
    assert response.status_code == 403
    assert document.verdict == Check.UNCHECKED


def test_another_provinces_verifier_gets_not_found_and_anonymous_signs_in(
    other_verifier, required, client
):
    from tests.conftest import client_for

    document = upload(required)

    refused = client_for(other_verifier).post(
        f"/residents/documents/{document.pk}/check/", {"verdict": "accepted"}
    )
    anonymous = client.post(f"/residents/documents/{document.pk}/check/", {"verdict": "accepted"})

    document.refresh_from_db()
    assert refused.status_code == 404
    assert anonymous.status_code == 302
    assert "/accounts/login/" in anonymous["Location"]
    assert document.verdict == Check.UNCHECKED
