from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("imports", "0008_export_built_by_task"),
    ]

    operations = [
        migrations.AddField(
            model_name="importbatch",
            name="duplicates_flagged_at",
            field=models.DateTimeField(
                blank=True, null=True, verbose_name="likely duplicates flagged at"
            ),
        ),
        # Batches committed before this flagged their likely duplicates within their commit.
        migrations.RunSQL(
            "UPDATE imports_importbatch SET duplicates_flagged_at = committed_at "
            "WHERE status = 'committed'",
            migrations.RunSQL.noop,
        ),
    ]
