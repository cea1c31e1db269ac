"""A database superuser rewriting the trail is caught: the hash is keyed, the head is anchored.

The superuser (DATABASE_ADMIN_URL, default postgres) can do anything to the table: switch the
triggers off with `session_replication_role`, edit a row and re-chain every later one with the
plain SHA-256, or delete the newest rows. Without the HMAC key, and with the anchors kept out of
its reach, `verify_audit` still says so.
"""

from __future__ import annotations

import hashlib
import importlib
from pathlib import Path
from types import SimpleNamespace

import psycopg
import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection

from audit import chain
from audit.models import GENESIS_HASH, AuditEvent
from audit.selectors import audit_chain_problems
from audit.services import AuditAnchorRefused, audit_anchor_head, audit_record

keyed_chain = importlib.import_module("audit.migrations.0004_keyed_chain")


def as_superuser() -> psycopg.Connection:
    admin = settings.DATABASE_ADMIN
    return psycopg.connect(
        host=admin["HOST"] or "127.0.0.1",
        port=admin["PORT"] or 5432,
        user=admin["USER"],
        password=admin["PASSWORD"] or None,
        dbname=connection.settings_dict["NAME"],
        autocommit=True,
    )


def plain_sha256(event: AuditEvent) -> str:
    """What a tamperer without the key computes: the chain's payload under a bare SHA-256."""
    return hashlib.sha256(chain.canonical(event.chain_payload())).hexdigest()


def record(n: int) -> list[AuditEvent]:
    return [
        audit_record(actor=None, action=AuditEvent.Action.OTHER, detail={"n": i}) for i in range(n)
    ]


def anchor_lines() -> list[str]:
    path = Path(settings.AUDIT_ANCHOR_FILE)
    return path.read_text().splitlines() if path.exists() else []


@pytest.mark.django_db(transaction=True)
def test_a_superuser_who_edits_a_row_and_re_hashes_the_chain_is_detected(capsys):
    events = record(4)
    call_command("verify_audit")  # anchors row 4
    capsys.readouterr()
    tampered = events[1]
    # The superuser edits row 2, then re-links it and every later row with the plain SHA-256.
    with as_superuser() as admin, admin.transaction():
        admin.execute("SET LOCAL session_replication_role = replica")
        prev_hash = tampered.prev_hash
        for event in AuditEvent.objects.filter(pk__gte=tampered.pk).order_by("id"):
            if event.pk == tampered.pk:
                event.detail = {"n": 99}
            event.prev_hash = prev_hash
            event.hash = plain_sha256(event)
            admin.execute(
                "UPDATE audit_auditevent SET detail = %s, prev_hash = %s, hash = %s WHERE id = %s",
                [psycopg.types.json.Jsonb(event.detail), event.prev_hash, event.hash, event.pk],
            )
            prev_hash = event.hash

    with pytest.raises(CommandError, match="tampered with: 4 problem"):
        call_command("verify_audit")

    assert AuditEvent.objects.get(pk=tampered.pk).detail == {"n": 99}
    assert capsys.readouterr().err.splitlines() == [
        f"row {events[1].pk}: content does not match its hash (the row was altered)",
        f"row {events[2].pk}: content does not match its hash (the row was altered)",
        f"row {events[3].pk}: content does not match its hash (the row was altered)",
        f"row {events[3].pk}: hash differs from the one anchored at "
        f"{chain.read_anchors()[0].at} (the row was altered)",
    ]
    assert len(anchor_lines()) == 1  # a tampered trail is never anchored


@pytest.mark.django_db(transaction=True)
def test_a_superuser_who_deletes_the_newest_rows_is_detected_by_the_anchor(capsys):
    events = record(4)
    call_command("verify_audit")  # anchors row 4
    capsys.readouterr()
    anchored_at = chain.read_anchors()[0].at
    with as_superuser() as admin, admin.transaction():
        admin.execute("SET LOCAL session_replication_role = replica")
        admin.execute("DELETE FROM audit_auditevent WHERE id >= %s", [events[2].pk])

    with pytest.raises(CommandError, match="tampered with: 1 problem"):
        call_command("verify_audit")

    assert capsys.readouterr().err.splitlines() == [
        f"row {events[3].pk}: anchored at {anchored_at} but missing "
        "(rows were removed from the trail)"
    ]
    assert AuditEvent.objects.count() == 2
    assert len(anchor_lines()) == 1


@pytest.mark.django_db(transaction=True)
def test_the_shortened_chain_alone_looks_intact_which_is_why_the_head_is_anchored():
    events = record(3)
    audit_anchor_head()
    with as_superuser() as admin, admin.transaction():
        admin.execute("SET LOCAL session_replication_role = replica")
        admin.execute("DELETE FROM audit_auditevent WHERE id = %s", [events[2].pk])
    Path(settings.AUDIT_ANCHOR_FILE).unlink()

    assert list(audit_chain_problems()) == []


@pytest.mark.django_db(transaction=True)
def test_the_beat_task_refuses_to_anchor_a_trail_that_lost_its_anchored_rows():
    events = record(3)
    audit_anchor_head()
    before = anchor_lines()
    with as_superuser() as admin, admin.transaction():
        admin.execute("SET LOCAL session_replication_role = replica")
        admin.execute("DELETE FROM audit_auditevent WHERE id = %s", [events[2].pk])
    from audit.tasks import anchor_audit_head_task

    with pytest.raises(AuditAnchorRefused, match=f"row {events[2].pk} anchored at"):
        anchor_audit_head_task.delay()

    assert anchor_lines() == before


@pytest.mark.django_db
def test_the_beat_task_appends_one_signed_head_line_per_run():
    events = record(2)
    from audit.tasks import anchor_audit_head_task

    anchor_audit_head_task.delay()
    anchor_audit_head_task.delay()

    anchors = chain.read_anchors()
    assert [(a.head_id, a.head_hash, a.signed) for a in anchors] == [
        (events[1].pk, events[1].hash, True),
        (events[1].pk, events[1].hash, True),
    ]
    assert list(audit_chain_problems()) == []


@pytest.mark.django_db
def test_an_anchor_line_forged_without_the_key_is_reported(capsys):
    event = record(1)[0]
    call_command("verify_audit")
    line = anchor_lines()[0]
    forged = line.replace(f"id={event.pk} ", f"id={event.pk + 1} ")
    with Path(settings.AUDIT_ANCHOR_FILE).open("a") as anchors:
        anchors.write(forged + "\n")
    capsys.readouterr()

    with pytest.raises(CommandError, match="tampered with: 1 problem"):
        call_command("verify_audit")

    assert capsys.readouterr().err.splitlines() == [
        "anchor line 2: not signed with this IMS's key (the anchor file was altered)"
    ]


@pytest.mark.django_db
def test_the_chain_hash_is_an_hmac_under_the_configured_key(settings):
    event = record(1)[0]

    assert event.hash != plain_sha256(event)
    assert list(audit_chain_problems()) == []
    settings.AUDIT_HMAC_KEY = "b3RoZXIta2V5LW90aGVyLWtleS1vdGhlci1rZXktb3RoZXIta2V5"
    assert list(audit_chain_problems()) == [
        f"row {event.pk}: content does not match its hash (the row was altered)"
    ]


def insert_legacy_chain(n: int) -> list[AuditEvent]:
    """Rows as the previous release wrote them: chained with the plain SHA-256."""
    from django.utils import timezone

    prev_hash, events = GENESIS_HASH, []
    for i in range(n):
        event = AuditEvent(at=timezone.now(), action="other", detail={"n": i}, prev_hash=prev_hash)
        event.hash = plain_sha256(event)
        event.save(force_insert=True)
        prev_hash = event.hash
        events.append(event)
    return events


@pytest.mark.django_db
def test_the_migration_re_keys_a_trail_chained_with_the_plain_sha256():
    from django.apps import apps

    insert_legacy_chain(3)
    assert len(list(audit_chain_problems())) == 3

    keyed_chain.forward(apps, SimpleNamespace(connection=connection))

    assert list(audit_chain_problems()) == []
    assert AuditEvent.objects.order_by("id").first().prev_hash == GENESIS_HASH


@pytest.mark.django_db
def test_the_migration_refuses_to_re_key_a_broken_legacy_trail_and_changes_nothing():
    from django.apps import apps

    events = insert_legacy_chain(3)
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER audit_event_no_update_delete")
        cursor.execute("UPDATE audit_auditevent SET detail = '{}' WHERE id = %s", [events[1].pk])
        cursor.execute("ALTER TABLE audit_auditevent ENABLE TRIGGER audit_event_no_update_delete")
    before = list(AuditEvent.objects.order_by("id").values_list("prev_hash", "hash"))

    with pytest.raises(RuntimeError, match=f"audit trail broken at row {events[1].pk}"):
        keyed_chain.forward(apps, SimpleNamespace(connection=connection))

    assert list(AuditEvent.objects.order_by("id").values_list("prev_hash", "hash")) == before
