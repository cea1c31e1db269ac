"""Every index of a card is written again at each status move: keep none twice.

The resident and the province need no index of their own (card_resident and card_province_status
start with them), and the token no pattern-matching index (it is only looked up whole). Written
in SQL: Django's own removal of the resident's index would also drop the partial unique index
card_one_current_per_resident, which stands on the same column.
"""

import cards.models
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('cards', '0006_card_created_at_index'),
        ('provinces', '0004_division_codes_nest'),
        ('residents', '0010_document_types_and_checks'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='residencecard',
                    name='province',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='cards', to='provinces.province', verbose_name='issuing province'),
                ),
                migrations.AlterField(
                    model_name='residencecard',
                    name='resident',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='cards', to='residents.resident', verbose_name='resident'),
                ),
                migrations.AlterField(
                    model_name='residencecard',
                    name='token',
                    field=models.CharField(default=cards.models.new_token, editable=False, max_length=64),
                ),
                migrations.AddConstraint(
                    model_name='residencecard',
                    constraint=models.UniqueConstraint(fields=('token',), name='card_token_unique'),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    sql="""
                    DROP INDEX IF EXISTS cards_residencecard_province_id_714081a2;
                    DROP INDEX IF EXISTS cards_residencecard_province_id_714081a2_like;
                    DROP INDEX IF EXISTS cards_residencecard_resident_id_2cbaa528;
                    ALTER TABLE cards_residencecard
                        ADD CONSTRAINT card_token_unique UNIQUE (token);
                    ALTER TABLE cards_residencecard
                        DROP CONSTRAINT cards_residencecard_token_key;
                    DROP INDEX IF EXISTS cards_residencecard_token_22b3ec49_like;
                    """,
                    reverse_sql="""
                    CREATE INDEX cards_residencecard_province_id_714081a2
                        ON cards_residencecard (province_id);
                    CREATE INDEX cards_residencecard_province_id_714081a2_like
                        ON cards_residencecard (province_id varchar_pattern_ops);
                    CREATE INDEX cards_residencecard_resident_id_2cbaa528
                        ON cards_residencecard (resident_id);
                    ALTER TABLE cards_residencecard
                        ADD CONSTRAINT cards_residencecard_token_key UNIQUE (token);
                    CREATE INDEX cards_residencecard_token_22b3ec49_like
                        ON cards_residencecard (token varchar_pattern_ops);
                    ALTER TABLE cards_residencecard DROP CONSTRAINT card_token_unique;
                    """,
                ),
            ],
        ),
    ]
