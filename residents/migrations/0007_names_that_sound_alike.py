"""Likely duplicates that survive transliteration: one SQL rule for every comparison of names.

`ims_name_match(a, b)` compares two search names (upper-case, accent-free) and says why they may
name one person, or NULL:
- 'spelling': trigram similarity of the names >= 0.5, the rule before this one (trigrams are
  taken word by word, so WEI ZHANG / ZHANG WEI and JIAN-GUO / JIANGUO already match);
- 'sound': the names' words sound alike (metaphone keys of the words, sorted, trigram-similar
  >= 0.6), or the names written without spaces sound alike (KIM JI HUN / KIM JIHOON). This is
  what catches MOHAMMED / MUHAMMAD, LI / LEE, SERGEI / SERGEY.
Only Latin letters take part (the native-script and Khmer names in the search name are left out
of the sound keys). Candidates are always narrowed first to one date of birth and nationality.
tests/residents/test_name_matching.py measures the rule on a labelled set of name pairs.
"""

import pgtrigger.compiler
import pgtrigger.migrations
from django.contrib.postgres.operations import CreateExtension
from django.db import migrations, models

FUNCTIONS = r"""
CREATE OR REPLACE FUNCTION ims_name_words(name text) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT coalesce(array_agg(w ORDER BY w), '{}')
    FROM unnest(regexp_split_to_array(
           regexp_replace(upper(name), '[^A-Z ]', '', 'g'), '\s+')) AS w
   WHERE w <> ''
$$;

CREATE OR REPLACE FUNCTION ims_name_sound(name text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT coalesce(string_agg(k, ' ' ORDER BY k), '')
    FROM (SELECT metaphone(w, 12) AS k FROM unnest(ims_name_words(name)) AS w) AS keys
$$;

CREATE OR REPLACE FUNCTION ims_name_match(a text, b text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE
    WHEN similarity(a, b) >= 0.5 THEN 'spelling'
    WHEN similarity(ims_name_sound(a), ims_name_sound(b)) >= 0.6 THEN 'sound'
    WHEN similarity(metaphone(regexp_replace(upper(a), '[^A-Z]', '', 'g'), 24),
                    metaphone(regexp_replace(upper(b), '[^A-Z]', '', 'g'), 24)) >= 0.7
         THEN 'sound'
  END
$$;
"""

DROP = """
DROP FUNCTION IF EXISTS ims_name_match(text, text);
DROP FUNCTION IF EXISTS ims_name_sound(text);
DROP FUNCTION IF EXISTS ims_name_words(text);
"""


class Migration(migrations.Migration):
    dependencies = [
        ("residents", "0006_address_in_one_place"),
    ]

    operations = [
        CreateExtension("fuzzystrmatch"),
        migrations.RunSQL(FUNCTIONS, DROP),
        pgtrigger.migrations.RemoveTrigger(
            model_name="likelyduplicate",
            name="insert_insert",
        ),
        pgtrigger.migrations.RemoveTrigger(
            model_name="likelyduplicate",
            name="update_update",
        ),
        migrations.AddField(
            model_name="likelyduplicate",
            name="match_kind",
            field=models.CharField(
                blank=True,
                choices=[("spelling", "Names spelt alike"), ("sound", "Names that sound alike")],
                max_length=16,
                verbose_name="why the names match",
            ),
        ),
        migrations.AddField(
            model_name="likelyduplicateevent",
            name="match_kind",
            field=models.CharField(
                blank=True,
                choices=[("spelling", "Names spelt alike"), ("sound", "Names that sound alike")],
                max_length=16,
                verbose_name="why the names match",
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="likelyduplicate",
            trigger=pgtrigger.compiler.Trigger(
                name="insert_insert",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    func='INSERT INTO "residents_likelyduplicateevent" ("created_at", "decided_at", "decided_by_id", "id", "match_kind", "other_id", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "resident_id", "similarity", "status") VALUES (NEW."created_at", NEW."decided_at", NEW."decided_by_id", NEW."id", NEW."match_kind", NEW."other_id", _pgh_attach_context(), NOW(), \'insert\', NEW."id", NEW."resident_id", NEW."similarity", NEW."status"); RETURN NULL;',
                    hash="e5a9c8300be0a1fe6ece154be34b37d45054ae9d",
                    operation="INSERT",
                    pgid="pgtrigger_insert_insert_0a622",
                    table="residents_likelyduplicate",
                    when="AFTER",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="likelyduplicate",
            trigger=pgtrigger.compiler.Trigger(
                name="update_update",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    condition="WHEN (OLD.* IS DISTINCT FROM NEW.*)",
                    func='INSERT INTO "residents_likelyduplicateevent" ("created_at", "decided_at", "decided_by_id", "id", "match_kind", "other_id", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "resident_id", "similarity", "status") VALUES (NEW."created_at", NEW."decided_at", NEW."decided_by_id", NEW."id", NEW."match_kind", NEW."other_id", _pgh_attach_context(), NOW(), \'update\', NEW."id", NEW."resident_id", NEW."similarity", NEW."status"); RETURN NULL;',
                    hash="0a8724c368de17e7612fde8245f45329aba3ce36",
                    operation="UPDATE",
                    pgid="pgtrigger_update_update_6c9f7",
                    table="residents_likelyduplicate",
                    when="AFTER",
                ),
            ),
        ),
    ]
