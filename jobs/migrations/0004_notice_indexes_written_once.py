# The notice's card, province and run need no index of their own (see jobs.models.RenewalNotice).

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('cards', '0001_initial'),
        ("jobs", "0003_passport_expiry_flags"),
        ('provinces', '0004_division_codes_nest'),
    ]

    operations = [
        migrations.AlterField(
            model_name='renewalnotice',
            name='card',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='renewal_notices', to='cards.residencecard', verbose_name='card'),
        ),
        migrations.AlterField(
            model_name='renewalnotice',
            name='province',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='provinces.province', verbose_name='province'),
        ),
        migrations.AlterField(
            model_name='renewalnotice',
            name='run',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='notices', to='jobs.jobrun'),
        ),
    ]
