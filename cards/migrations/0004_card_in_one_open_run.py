"""A card is in at most one open print run, enforced by a partial unique index.

Entries of finished runs are closed first. Where concurrent clerks had already put one card in
several waiting runs, the card stays in the oldest of them only; the later runs keep the entry
as a record, closed, and their rendering leaves that card out.
"""

from django.db import migrations, models


def close_finished_and_repeated(apps, schema_editor):
    PrintRunCard = apps.get_model("cards", "PrintRunCard")
    PrintRunCard.objects.filter(print_run__status__in=["done", "failed"]).update(open=False)
    schema_editor.execute(
        """
        UPDATE cards_printruncard SET open = false
        WHERE open AND id NOT IN (
            SELECT DISTINCT ON (card_id) id FROM cards_printruncard
            WHERE open ORDER BY card_id, print_run_id, id
        )
        """
    )


class Migration(migrations.Migration):
    dependencies = [
        ("cards", "0003_event_kinds_for_the_nightly_job"),
    ]

    operations = [
        migrations.AddField(
            model_name="printruncard",
            name="open",
            field=models.BooleanField(default=True),
        ),
        migrations.RunPython(close_finished_and_repeated, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="printruncard",
            constraint=models.UniqueConstraint(
                condition=models.Q(("open", True)),
                fields=("card",),
                name="print_run_card_one_open_run",
            ),
        ),
    ]
