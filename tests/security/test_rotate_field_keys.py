"""Passport numbers are re-encrypted with the first key, in batches, and still found."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from audit.models import AuditEvent
from core import crypto
from residents.models import TravelDocument
from tests.factories import TravelDocumentFactory

pytestmark = pytest.mark.django_db

OLD_ONLY = ["t1:dGVzdC1rZXktb25lLXRlc3Qta2V5LW9uZS10ZXN0LWs"]
NEW_FIRST = [
    "t2:dGVzdC1rZXktdHdvLXRlc3Qta2V5LXR3by10ZXN0LWs",
    "t1:dGVzdC1rZXktb25lLXRlc3Qta2V5LW9uZS10ZXN0LWs",
]


@pytest.fixture
def keys(settings):
    def use(keys: list[str]) -> None:
        settings.FIELD_ENCRYPTION_KEYS = keys
        crypto._keys.cache_clear()

    yield use
    crypto._keys.cache_clear()


def test_rotation_re_encrypts_every_number_with_the_first_key_in_batches(geo, keys, capsys):
    keys(OLD_ONLY)
    numbers = [f"E{n:08d}" for n in range(5)]
    for number in numbers:
        TravelDocumentFactory(number=number)
    tokens = TravelDocument.objects.values_list("number_encrypted", flat=True)
    assert all(token.startswith("t1:") for token in tokens)
    keys(NEW_FIRST)

    call_command("rotate_field_keys", "--batch-size", "2")

    documents = TravelDocument.objects.order_by("pk")
    assert all(d.number_encrypted.startswith("t2:") for d in documents)
    assert [d.number for d in documents] == numbers
    assert TravelDocument.objects.get(number_index=TravelDocument.index_of("E00000003"))
    assert "5 numbers now under key t2" in capsys.readouterr().out
    assert AuditEvent.objects.get(action="keys_rotated").detail == {
        "key_id": "t2", "rows": 5, "reindexed": False,
    }  # fmt: skip


def test_after_rotation_the_old_key_can_be_removed(geo, keys):
    keys(OLD_ONLY)
    document = TravelDocumentFactory(number="E12345678")
    keys(NEW_FIRST)
    call_command("rotate_field_keys")

    keys(NEW_FIRST[:1])

    assert TravelDocument.objects.get(pk=document.pk).number == "E12345678"


def test_running_rotation_again_rewrites_nothing(geo, keys, capsys):
    keys(NEW_FIRST)
    TravelDocumentFactory(number="E12345678")
    before = list(TravelDocument.objects.values_list("number_encrypted", flat=True))

    call_command("rotate_field_keys")

    assert list(TravelDocument.objects.values_list("number_encrypted", flat=True)) == before
    assert "0 numbers now under key t2" in capsys.readouterr().out


def test_rotation_finds_every_encrypted_column_of_every_app():
    from audit.management.commands.rotate_field_keys import encrypted_fields

    found = [(model._meta.label, field.name) for model, field in encrypted_fields()]

    assert found == [
        ("imports.ExportLog", "query_encrypted"),
        ("imports.StagedRow", "passport_encrypted"),
        ("residents.TravelDocument", "number_encrypted"),
    ]


def test_rotation_re_encrypts_an_exports_query_too_and_leaves_an_empty_one(officer, keys, capsys):
    from imports.models import EXPORT_QUERY_CONTEXT, ExportLog

    keys(OLD_ONLY)
    query = '{"passport": "E12345678"}'
    logged = ExportLog.objects.create(
        user=officer,
        file_format="csv",
        row_count=1,
        query_encrypted=crypto.encrypt(query, context=EXPORT_QUERY_CONTEXT),
    )
    empty = ExportLog.objects.create(user=officer, file_format="csv", row_count=0)
    keys(NEW_FIRST)

    call_command("rotate_field_keys")

    logged.refresh_from_db()
    assert logged.query_encrypted.startswith("t2:")
    keys(NEW_FIRST[:1])
    assert crypto.decrypt(logged.query_encrypted, context=EXPORT_QUERY_CONTEXT) == query
    assert ExportLog.objects.get(pk=empty.pk).query_encrypted == ""
    assert "1 numbers now under key t2" in capsys.readouterr().out
