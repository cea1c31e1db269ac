# The compilation's models moved to the `compilation` app; their tables stay where they are
# (compilation.0001 takes the same tables over, state only). Nothing here touches the database.

from django.db import migrations

MOVED = [
    "ProvinceListEvent",
    "ProvinceCompilation",
    "ProvinceSummary",
    "DistrictSummary",
    "NationalitySummary",
    "DailySnapshot",
]


class Migration(migrations.Migration):

    dependencies = [
        ("provinces", "0005_compilation_reopen"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name=name) for name in MOVED],
            database_operations=[],
        ),
    ]
