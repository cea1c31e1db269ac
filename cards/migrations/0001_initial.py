# Depends only on the committed residents and provinces migrations.

import cards.models
import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('provinces', '0002_load_geography'),
        ('residents', '0002_residence_bases'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='PrintRun',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='created at')),
                ('selection', models.CharField(choices=[('not_printed', 'All issued cards not yet printed'), ('province', 'Issued cards of one province'), ('picked', 'Hand-picked cards')], max_length=16, verbose_name='selection')),
                ('status', models.CharField(choices=[('queued', 'Queued'), ('rendering', 'Rendering'), ('done', 'Done'), ('failed', 'Failed')], default='queued', max_length=16, verbose_name='status')),
                ('total', models.PositiveIntegerField(default=0, verbose_name='cards')),
                ('progress', models.PositiveIntegerField(default=0, verbose_name='cards rendered')),
                ('pdf', models.FileField(blank=True, upload_to='print-runs/%Y/%m/', verbose_name='PDF')),
                ('started_at', models.DateTimeField(blank=True, null=True, verbose_name='started at')),
                ('finished_at', models.DateTimeField(blank=True, null=True, verbose_name='finished at')),
                ('error', models.TextField(blank=True, verbose_name='error')),
                ('created_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='created by')),
                ('province', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='provinces.province', verbose_name='province')),
            ],
            options={
                'verbose_name': 'print run',
                'verbose_name_plural': 'print runs',
                'ordering': ['-id'],
            },
        ),
        migrations.CreateModel(
            name='ResidenceCard',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('number', models.CharField(editable=False, max_length=24, unique=True, verbose_name='card number')),
                ('issue_date', models.DateField(verbose_name='issue date')),
                ('expiry_date', models.DateField(verbose_name='expiry date')),
                ('status', models.CharField(choices=[('issued', 'Issued'), ('printed', 'Printed'), ('active', 'Handed over'), ('expiring', 'Expiring'), ('expired', 'Expired'), ('replaced', 'Replaced'), ('revoked', 'Revoked')], default='issued', max_length=16, verbose_name='status')),
                ('status_reason', models.TextField(blank=True, verbose_name='reason')),
                ('token', models.CharField(default=cards.models.new_token, editable=False, max_length=64, unique=True)),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='created at')),
                ('printed_at', models.DateTimeField(blank=True, null=True, verbose_name='printed at')),
                ('handed_over_at', models.DateTimeField(blank=True, null=True, verbose_name='handed over at')),
                ('handed_over_to', models.CharField(blank=True, max_length=200, verbose_name='handed over to')),
                ('declaration', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='cards', to='residents.declaration', verbose_name='declaration')),
                ('issued_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='issued by')),
                ('province', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='cards', to='provinces.province', verbose_name='issuing province')),
                ('replaces', models.OneToOneField(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='replacement', to='cards.residencecard', verbose_name='replaces card')),
                ('resident', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='cards', to='residents.resident', verbose_name='resident')),
            ],
            options={
                'verbose_name': 'residence card',
                'verbose_name_plural': 'residence cards',
                'ordering': ['-id'],
            },
        ),
        migrations.CreateModel(
            name='PrintRunCard',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('position', models.PositiveIntegerField()),
                ('reprint_reason', models.TextField(blank=True, verbose_name='reprint reason')),
                ('print_run', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='entries', to='cards.printrun')),
                ('card', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='cards.residencecard')),
            ],
            options={
                'ordering': ['print_run', 'position'],
            },
        ),
        migrations.AddField(
            model_name='printrun',
            name='cards',
            field=models.ManyToManyField(related_name='print_runs', through='cards.PrintRunCard', to='cards.residencecard', verbose_name='cards'),
        ),
        migrations.CreateModel(
            name='CardEvent',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(choices=[('issued', 'Issued'), ('printed', 'Printed'), ('reprinted', 'Reprinted'), ('spoiled', 'Spoiled'), ('handed_over', 'Handed over'), ('renewed', 'Renewed'), ('replaced', 'Replaced'), ('revoked', 'Revoked'), ('verified', 'Validity checked')], max_length=16, verbose_name='event')),
                ('at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='when')),
                ('reason', models.TextField(blank=True, verbose_name='reason')),
                ('data', models.JSONField(blank=True, default=dict)),
                ('actor', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='by')),
                ('print_run', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='cards.printrun')),
                ('card', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='events', to='cards.residencecard', verbose_name='card')),
            ],
            options={
                'verbose_name': 'card event',
                'verbose_name_plural': 'card events',
                'ordering': ['-at', '-id'],
            },
        ),
        migrations.AddIndex(
            model_name='residencecard',
            index=models.Index(fields=['province', 'status', '-id'], name='card_province_status'),
        ),
        migrations.AddIndex(
            model_name='residencecard',
            index=models.Index(fields=['status', 'expiry_date'], name='card_status_expiry'),
        ),
        migrations.AddIndex(
            model_name='residencecard',
            index=models.Index(fields=['resident', '-id'], name='card_resident'),
        ),
        migrations.AddConstraint(
            model_name='residencecard',
            constraint=models.UniqueConstraint(condition=models.Q(('status__in', ['issued', 'printed', 'active', 'expiring'])), fields=('resident',), name='card_one_current_per_resident'),
        ),
        migrations.AddConstraint(
            model_name='residencecard',
            constraint=models.CheckConstraint(condition=models.Q(('expiry_date__gte', models.F('issue_date'))), name='card_expiry_not_before_issue'),
        ),
        migrations.AddConstraint(
            model_name='residencecard',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('status', 'revoked'), _negated=True), models.Q(('status_reason', ''), _negated=True), _connector='OR'), name='card_reason_when_revoked'),
        ),
        migrations.AddConstraint(
            model_name='printruncard',
            constraint=models.UniqueConstraint(fields=('print_run', 'card'), name='print_run_card_once'),
        ),
        migrations.AddIndex(
            model_name='printrun',
            index=models.Index(fields=['province', '-id'], name='print_run_province'),
        ),
        migrations.AddIndex(
            model_name='cardevent',
            index=models.Index(fields=['card', '-at'], name='card_event_card_at'),
        ),
    ]
