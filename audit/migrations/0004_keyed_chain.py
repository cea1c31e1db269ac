"""Re-hash the existing audit trail with the keyed hash (HMAC-SHA256 under AUDIT_HMAC_KEY).

The rows were chained with a plain SHA-256, which anyone able to write the table could recompute.
The old chain is checked first: a trail that fails it stops the migration (re-keying it would
bless the tampering), so investigate with the previous release's `verify_audit`. The owner, who
runs migrations, switches the append-only trigger off for this one transaction.
"""

import hashlib

from django.db import migrations

from audit.chain import GENESIS_HASH, canonical, chain_hash

TRIGGER = "audit_event_no_update_delete"


def _payload(event, prev_hash):
    return [
        prev_hash,
        event.at.isoformat(timespec="microseconds"),
        event.user_id,
        event.username,
        event.role,
        event.province_code,
        event.ip or "",
        event.action,
        event.object_type,
        event.object_id,
        event.object_repr,
        event.detail,
    ]


def _legacy_hash(payload):
    return hashlib.sha256(canonical(payload)).hexdigest()


def _rehash(apps, schema_editor, *, old, new):
    AuditEvent = apps.get_model("audit", "AuditEvent")
    events = list(AuditEvent.objects.order_by("id"))
    if not events:
        return
    expected_prev = GENESIS_HASH
    for event in events:
        if event.prev_hash != expected_prev or old(_payload(event, event.prev_hash)) != event.hash:
            raise RuntimeError(
                f"audit trail broken at row {event.pk}: not re-keyed; investigate first"
            )
        expected_prev = event.hash
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(f"ALTER TABLE audit_auditevent DISABLE TRIGGER {TRIGGER}")
        prev_hash = GENESIS_HASH
        for event in events:
            new_hash = new(_payload(event, prev_hash))
            cursor.execute(
                "UPDATE audit_auditevent SET prev_hash = %s, hash = %s WHERE id = %s",
                [prev_hash, new_hash, event.pk],
            )
            prev_hash = new_hash
        cursor.execute(f"ALTER TABLE audit_auditevent ENABLE TRIGGER {TRIGGER}")


def forward(apps, schema_editor):
    _rehash(apps, schema_editor, old=_legacy_hash, new=chain_hash)


def backward(apps, schema_editor):
    _rehash(apps, schema_editor, old=chain_hash, new=_legacy_hash)


class Migration(migrations.Migration):
    dependencies = [("audit", "0003_alter_auditevent_action")]

    operations = [migrations.RunPython(forward, backward)]
