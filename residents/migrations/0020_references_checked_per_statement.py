"""References to the small tables checked once per statement instead of once per row.

A foreign key checks each inserted row on its own (a trigger call and a query per row and per
key): a province's list of 100,000 residents made 600,000 such checks of the same handful of
users, provinces, communes and bases, more than the rows' own writes cost. These references
(a resident's province, commune and maker, a declaration's basis and maker) are checked instead
by statement-level triggers over the statement's rows: one query per key for the distinct
values, which locks the referenced rows as a foreign key does (FOR KEY SHARE, so a concurrent
delete waits or is refused). The other side keeps what the constraint kept: a referenced row
is never deleted, its key never changed, its table never emptied while it is referenced.

A foreign key also catches a delete made under REPEATABLE READ or SERIALIZABLE while another
transaction inserts a reference (it checks with a newer snapshot than the transaction's): these
triggers let a referenced table's keys go only in READ COMMITTED transactions (the IMS makes no
other), and refuse them otherwise. Migration 0011 of imports does the same for a batch's rows.
"""

from __future__ import annotations

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

# (referencing table, column, referenced table, key)
REFERENCES = [
    ("residents_resident", "province_id", "provinces_province", "code"),
    ("residents_resident", "address_commune_id", "provinces_commune", "code"),
    ("residents_resident", "created_by_id", "accounts_user", "id"),
    ("residents_declaration", "basis_id", "residents_residencebasis", "id"),
    ("residents_declaration", "created_by_id", "accounts_user", "id"),
]

FUNCTIONS = r"""
-- On the referencing table, after an INSERT or UPDATE statement: every value of each column in
-- TG_ARGV (column, referenced table, key; repeated) is a key of its table. Rows are locked as a
-- foreign key's check locks them. On UPDATE only the values that changed are checked.
CREATE OR REPLACE FUNCTION ims_references_exist() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    i integer := 0;
    changed text;
    wanted bigint;
    found bigint;
    missing text;
BEGIN
    WHILE i < TG_NARGS LOOP
        IF TG_OP = 'UPDATE' THEN
            changed := format(
                'SELECT n.%1$I AS v FROM new_rows n JOIN old_rows o ON o.id = n.id '
                'WHERE n.%1$I IS DISTINCT FROM o.%1$I AND n.%1$I IS NOT NULL',
                TG_ARGV[i]);
        ELSE
            changed := format('SELECT %1$I AS v FROM new_rows WHERE %1$I IS NOT NULL', TG_ARGV[i]);
        END IF;
        EXECUTE format(
            'WITH v AS (SELECT DISTINCT v FROM (%1$s) c) '
            'SELECT (SELECT count(*) FROM v), '
            '       (SELECT count(*) FROM (SELECT 1 FROM %2$I r WHERE r.%3$I IN (SELECT v FROM v) '
            '        FOR KEY SHARE OF r) l)',
            changed, TG_ARGV[i + 1], TG_ARGV[i + 2])
            INTO wanted, found;
        IF wanted <> found THEN
            EXECUTE format(
                'SELECT min(c.v::text) FROM (%1$s) c '
                'WHERE NOT EXISTS (SELECT 1 FROM %2$I r WHERE r.%3$I = c.v)',
                changed, TG_ARGV[i + 1], TG_ARGV[i + 2])
                INTO missing;
            RAISE EXCEPTION 'insert or update on table "%" violates its reference "%" to "%"',
                    TG_TABLE_NAME, TG_ARGV[i], TG_ARGV[i + 1]
                USING ERRCODE = 'foreign_key_violation',
                      DETAIL = format('Key (%s)=(%s) is not present in table "%s".',
                                      TG_ARGV[i], missing, TG_ARGV[i + 1]);
        END IF;
        i := i + 3;
    END LOOP;
    RETURN NULL;
END $$;

-- On the referenced table, after a DELETE, UPDATE or TRUNCATE statement: no row of the tables
-- in TG_ARGV (key, referencing table, column; repeated) refers to a key that is gone.
CREATE OR REPLACE FUNCTION ims_references_kept() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    i integer := 0;
    gone text;
    key text;
    snapshot boolean := current_setting('transaction_isolation') <> 'read committed';
BEGIN
    IF TG_OP = 'TRUNCATE' AND snapshot THEN
        RAISE EXCEPTION 'table "%" is emptied only in READ COMMITTED transactions', TG_TABLE_NAME
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    WHILE i < TG_NARGS LOOP
        IF TG_OP = 'TRUNCATE' THEN
            -- The table is empty now: any reference left is to a key that is gone.
            gone := format('SELECT %1$I AS k FROM %2$I WHERE %1$I IS NOT NULL',
                           TG_ARGV[i + 2], TG_ARGV[i + 1]);
        ELSIF TG_OP = 'DELETE' THEN
            gone := format('SELECT %1$I AS k FROM old_rows', TG_ARGV[i]);
        ELSE
            gone := format(
                'SELECT o.%1$I AS k FROM old_rows o '
                'WHERE NOT EXISTS (SELECT 1 FROM new_rows n WHERE n.%1$I = o.%1$I)',
                TG_ARGV[i]);
        END IF;
        IF snapshot THEN
            -- Under a snapshot the check below could miss a reference inserted meanwhile (a
            -- foreign key checks with a newer snapshot): a key goes only in READ COMMITTED.
            EXECUTE format('SELECT min(g.k::text) FROM (%1$s) g', gone) INTO key;
            IF key IS NOT NULL THEN
                RAISE EXCEPTION 'keys of "%" are deleted or changed only in READ COMMITTED '
                                'transactions', TG_TABLE_NAME
                    USING ERRCODE = 'foreign_key_violation';
            END IF;
        END IF;
        EXECUTE format(
            'SELECT min(g.k::text) FROM (%1$s) g '
            'WHERE EXISTS (SELECT 1 FROM %2$I r WHERE r.%3$I = g.k)',
            gone, TG_ARGV[i + 1], TG_ARGV[i + 2])
            INTO key;
        IF key IS NOT NULL THEN
            RAISE EXCEPTION 'update or delete on table "%" violates the reference "%" of "%"',
                    TG_TABLE_NAME, TG_ARGV[i + 2], TG_ARGV[i + 1]
                USING ERRCODE = 'foreign_key_violation',
                      DETAIL = format('Key (%s)=(%s) is still referenced from table "%s".',
                                      TG_ARGV[i], key, TG_ARGV[i + 1]);
        END IF;
        i := i + 3;
    END LOOP;
    RETURN NULL;
END $$;
"""

DROP_FUNCTIONS = """
DROP FUNCTION IF EXISTS ims_references_exist();
DROP FUNCTION IF EXISTS ims_references_kept();
"""


def _args(values: list[str]) -> str:
    return ", ".join(f"'{value}'" for value in values)


def triggers_sql(references: list[tuple[str, str, str, str]], prefix: str) -> tuple[str, str]:
    """The triggers of `references`, on both sides, and the SQL that drops them."""
    referencing: dict[str, list[str]] = {}
    referenced: dict[str, list[str]] = {}
    for table, column, target, key in references:
        referencing.setdefault(table, []).extend([column, target, key])
        referenced.setdefault(target, []).extend([key, table, column])
    create, drop = [], []
    for table, args in referencing.items():
        for event in ("INSERT", "UPDATE"):
            name = f"{prefix}_refs_{event.lower()}"
            transition = "NEW TABLE AS new_rows"
            if event == "UPDATE":
                transition = "OLD TABLE AS old_rows NEW TABLE AS new_rows"
            create.append(
                f"CREATE TRIGGER {name} AFTER {event} ON {table} REFERENCING {transition} "
                f"FOR EACH STATEMENT EXECUTE FUNCTION ims_references_exist({_args(args)});"
            )
            drop.append(f"DROP TRIGGER IF EXISTS {name} ON {table};")
    for table, args in referenced.items():
        for event, transition in (
            ("DELETE", "REFERENCING OLD TABLE AS old_rows"),
            ("UPDATE", "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows"),
            ("TRUNCATE", ""),
        ):
            name = f"{prefix}_refs_kept_{event.lower()}"
            create.append(
                f"CREATE TRIGGER {name} AFTER {event} ON {table} {transition} "
                f"FOR EACH STATEMENT EXECUTE FUNCTION ims_references_kept({_args(args)});"
            )
            drop.append(f"DROP TRIGGER IF EXISTS {name} ON {table};")
    return "\n".join(create), "\n".join(drop)


CREATE_TRIGGERS, DROP_TRIGGERS = triggers_sql(REFERENCES, "residents")


class Migration(migrations.Migration):
    dependencies = [
        ("provinces", "0006_compilation_moves_out"),
        ("residents", "0019_merge_queue_indexes_and_encrypted_columns"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunSQL(FUNCTIONS, DROP_FUNCTIONS),
        migrations.RunSQL(CREATE_TRIGGERS, DROP_TRIGGERS),
        # The triggers stand before the foreign keys go.
        migrations.AlterField(
            model_name="declaration",
            name="basis",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="declarations",
                to="residents.residencebasis",
                verbose_name="basis of residence",
            ),
        ),
        migrations.AlterField(
            model_name="declaration",
            name="created_by",
            field=models.ForeignKey(
                db_constraint=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="maker",
            ),
        ),
        migrations.AlterField(
            model_name="resident",
            name="address_commune",
            field=models.ForeignKey(
                db_constraint=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="provinces.commune",
                verbose_name="commune",
            ),
        ),
        migrations.AlterField(
            model_name="resident",
            name="created_by",
            field=models.ForeignKey(
                db_constraint=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="entered by",
            ),
        ),
        migrations.AlterField(
            model_name="resident",
            name="province",
            field=models.ForeignKey(
                db_constraint=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="residents",
                to="provinces.province",
                verbose_name="responsible province office",
            ),
        ),
    ]
