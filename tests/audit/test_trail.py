"""The audit trail: recorded facts, chained hashes, append-only in the database, tamper check."""

from __future__ import annotations

import threading

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from audit.models import GENESIS_HASH, AuditEvent
from audit.selectors import audit_chain_problems
from audit.services import audit_record

pytestmark = pytest.mark.django_db


def test_a_record_carries_who_where_when_what_and_chains_to_the_previous_one(officer, rf):
    previous = AuditEvent.objects.order_by("-id").first()
    request = rf.get("/", REMOTE_ADDR="10.1.2.3")

    event = audit_record(
        actor=officer,
        action=AuditEvent.Action.RESIDENT_VIEWED,
        obj=officer,
        request=request,
        detail={"tab": "documents"},
    )

    event.refresh_from_db()
    assert (event.username, event.role, event.province_code) == ("officer_pp", "officer", "12")
    assert event.ip == "10.1.2.3"
    assert event.action == "resident_viewed"
    assert (event.object_type, event.object_id) == ("accounts.user", str(officer.pk))
    assert event.detail == {"tab": "documents"}
    assert event.at.utcoffset().total_seconds() == 0
    assert event.prev_hash == previous.hash
    assert event.hash == event.compute_hash()


def test_the_first_record_chains_to_the_genesis_hash(db):
    event = audit_record(actor=None, action=AuditEvent.Action.OTHER)

    assert event.prev_hash == GENESIS_HASH
    assert list(audit_chain_problems()) == []


def test_an_unknown_action_is_refused_and_nothing_is_recorded(db):
    with pytest.raises(ValueError, match="unknown audit action"):
        audit_record(actor=None, action="made_up")

    assert AuditEvent.objects.count() == 0


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE audit_auditevent SET action = 'other'",
        "DELETE FROM audit_auditevent",
    ],
)
def test_the_database_refuses_to_update_or_delete_audit_rows(db, sql):
    audit_record(actor=None, action=AuditEvent.Action.SIGN_IN_FAILED, detail={"username": "x"})

    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        connection.cursor().execute(sql)

    assert list(AuditEvent.objects.values_list("action", flat=True)) == ["sign_in_failed"]


def test_the_orm_cannot_delete_audit_rows_either(db):
    event = audit_record(actor=None, action=AuditEvent.Action.OTHER)

    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        event.delete()

    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_truncate_is_refused_outside_the_test_databases(db):
    with connection.cursor() as cursor:
        cursor.execute("SELECT prosrc FROM pg_proc WHERE proname = 'audit_event_refuse_change'")
        source = cursor.fetchone()[0]
        cursor.execute(
            "SELECT tgname FROM pg_trigger WHERE tgrelid = 'audit_auditevent'::regclass "
            "AND NOT tgisinternal ORDER BY tgname"
        )
        triggers = [row[0] for row in cursor.fetchall()]

    assert triggers == ["audit_event_no_truncate", "audit_event_no_update_delete"]
    assert "current_database() LIKE 'test\\_%'" in source


def test_verify_audit_passes_on_an_intact_trail(db, capsys):
    for _ in range(3):
        audit_record(actor=None, action=AuditEvent.Action.OTHER)

    call_command("verify_audit")

    assert "audit trail intact: 3 rows" in capsys.readouterr().out


def test_verify_audit_names_the_row_the_owner_altered_behind_the_trigger(db, capsys):
    events = [audit_record(actor=None, action=AuditEvent.Action.OTHER) for _ in range(3)]
    tampered = events[1]
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER audit_event_no_update_delete")
        cursor.execute(
            'UPDATE audit_auditevent SET detail = \'{"note": "nothing to see"}\' WHERE id = %s',
            [tampered.pk],
        )
        cursor.execute("ALTER TABLE audit_auditevent ENABLE TRIGGER audit_event_no_update_delete")

    with pytest.raises(CommandError, match="tampered with: 1 problem"):
        call_command("verify_audit")

    assert f"row {tampered.pk}: content does not match its hash" in capsys.readouterr().err


def test_verify_audit_detects_a_row_removed_from_the_middle(db, capsys):
    events = [audit_record(actor=None, action=AuditEvent.Action.OTHER) for _ in range(3)]
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER audit_event_no_update_delete")
        cursor.execute("DELETE FROM audit_auditevent WHERE id = %s", [events[1].pk])
        cursor.execute("ALTER TABLE audit_auditevent ENABLE TRIGGER audit_event_no_update_delete")

    with pytest.raises(CommandError):
        call_command("verify_audit")

    assert f"row {events[2].pk}: previous-hash link is broken" in capsys.readouterr().err


@pytest.mark.django_db(transaction=True)
def test_concurrent_appends_keep_one_linear_chain():
    def append_five() -> None:
        try:
            for _ in range(5):
                audit_record(actor=None, action=AuditEvent.Action.OTHER)
        finally:
            connection.close()

    threads = [threading.Thread(target=append_five) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert AuditEvent.objects.count() == 30
    assert list(audit_chain_problems()) == []
    assert AuditEvent.objects.values("prev_hash").distinct().count() == 30
