# The event's card needs no index of its own: card_event_card_at starts with it.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('cards', '0007_card_indexes_written_once'),
    ]

    operations = [
        migrations.AlterField(
            model_name='cardevent',
            name='card',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='events', to='cards.residencecard', verbose_name='card'),
        ),
    ]
