"""A batch's row links check their batch once per statement, not with a foreign key per row.

As residents' migration 0020 does for the residents' references to the small tables (its
functions `ims_references_exist` and `ims_references_kept`): a commit writes one link per
accepted row, all to the same batch.
"""

import django.db.models.deletion
from django.db import migrations, models

REFERENCE = "'batch_id', 'imports_importbatch', 'id'"
KEPT = "'id', 'imports_importedresident', 'batch_id'"

CREATE_TRIGGERS = f"""
CREATE TRIGGER imports_refs_insert AFTER INSERT ON imports_importedresident
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION ims_references_exist({REFERENCE});
CREATE TRIGGER imports_refs_update AFTER UPDATE ON imports_importedresident
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION ims_references_exist({REFERENCE});
CREATE TRIGGER imports_refs_kept_delete AFTER DELETE ON imports_importbatch
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION ims_references_kept({KEPT});
CREATE TRIGGER imports_refs_kept_update AFTER UPDATE ON imports_importbatch
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION ims_references_kept({KEPT});
CREATE TRIGGER imports_refs_kept_truncate AFTER TRUNCATE ON imports_importbatch
    FOR EACH STATEMENT EXECUTE FUNCTION ims_references_kept({KEPT});
"""

DROP_TRIGGERS = """
DROP TRIGGER IF EXISTS imports_refs_insert ON imports_importedresident;
DROP TRIGGER IF EXISTS imports_refs_update ON imports_importedresident;
DROP TRIGGER IF EXISTS imports_refs_kept_delete ON imports_importbatch;
DROP TRIGGER IF EXISTS imports_refs_kept_update ON imports_importbatch;
DROP TRIGGER IF EXISTS imports_refs_kept_truncate ON imports_importbatch;
"""


class Migration(migrations.Migration):
    dependencies = [
        ("imports", "0010_merge_encryption_context_export_recovery_and_flags"),
        ("residents", "0020_references_checked_per_statement"),
    ]

    operations = [
        # The triggers stand before the foreign key goes.
        migrations.RunSQL(CREATE_TRIGGERS, DROP_TRIGGERS),
        migrations.AlterField(
            model_name="importedresident",
            name="batch",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="imported",
                to="imports.importbatch",
            ),
        ),
    ]
