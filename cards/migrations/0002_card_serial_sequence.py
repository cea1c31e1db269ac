from django.db import migrations


class Migration(migrations.Migration):
    """The serial of every card number comes from this sequence: never repeated, even concurrently."""

    dependencies = [("cards", "0001_initial")]

    operations = [
        migrations.RunSQL(
            "CREATE SEQUENCE IF NOT EXISTS cards_card_serial START 1",
            "DROP SEQUENCE IF EXISTS cards_card_serial",
        ),
    ]
