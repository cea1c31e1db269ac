# The compilation's models, moved from `provinces` with their tables (provinces.0006 forgets them,
# state only): from an empty database provinces.0003 and 0005 have built the tables, from an older
# one they hold the data, and nothing here touches them. Their content types follow them, so the
# permissions and anything else that points at those rows stay valid.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

MOVED = [
    "provincecompilation",
    "provincelistevent",
    "provincesummary",
    "districtsummary",
    "nationalitysummary",
    "dailysnapshot",
]


def _relabel(apps, schema_editor, source, target):
    ContentType = apps.get_model("contenttypes", "ContentType")
    types = ContentType.objects.using(schema_editor.connection.alias)
    taken = types.filter(app_label=target, model__in=MOVED).values("model")
    types.filter(app_label=source, model__in=MOVED).exclude(model__in=taken).update(
        app_label=target
    )


def content_types_follow(apps, schema_editor):
    _relabel(apps, schema_editor, "provinces", "compilation")


def content_types_return(apps, schema_editor):
    _relabel(apps, schema_editor, "compilation", "provinces")


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('contenttypes', '0002_remove_content_type_name'),
        ('provinces', '0006_compilation_moves_out'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='ProvinceSummary',
                    fields=[
                        ('residents', models.PositiveIntegerField(default=0, verbose_name='entered')),
                        ('draft', models.PositiveIntegerField(default=0, verbose_name='draft')),
                        ('submitted', models.PositiveIntegerField(default=0, verbose_name='submitted')),
                        ('returned', models.PositiveIntegerField(default=0, verbose_name='returned')),
                        ('verified', models.PositiveIntegerField(default=0, verbose_name='verified')),
                        ('rejected', models.PositiveIntegerField(default=0, verbose_name='rejected')),
                        ('acknowledged', models.PositiveIntegerField(default=0, verbose_name='acknowledged')),
                        ('cards_issued', models.PositiveIntegerField(default=0, verbose_name='cards issued')),
                        ('cards_printed', models.PositiveIntegerField(default=0, verbose_name='cards printed')),
                        ('cards_active', models.PositiveIntegerField(default=0, verbose_name='cards handed over')),
                        ('cards_expiring', models.PositiveIntegerField(default=0, verbose_name='cards expiring')),
                        ('cards_expired', models.PositiveIntegerField(default=0, verbose_name='cards expired')),
                        ('cards_total', models.PositiveIntegerField(default=0, verbose_name='cards ever issued')),
                        ('province', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name='summary', serialize=False, to='provinces.province')),
                        ('changed_since_sign_off', models.PositiveIntegerField(default=0)),
                        ('refreshed_at', models.DateTimeField()),
                    ],
                    options={
                        'verbose_name': 'province summary',
                        'verbose_name_plural': 'province summaries',
                        'db_table': 'provinces_provincesummary',
                    },
                ),
                migrations.CreateModel(
                    name='DailySnapshot',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('residents', models.PositiveIntegerField(default=0, verbose_name='entered')),
                        ('draft', models.PositiveIntegerField(default=0, verbose_name='draft')),
                        ('submitted', models.PositiveIntegerField(default=0, verbose_name='submitted')),
                        ('returned', models.PositiveIntegerField(default=0, verbose_name='returned')),
                        ('verified', models.PositiveIntegerField(default=0, verbose_name='verified')),
                        ('rejected', models.PositiveIntegerField(default=0, verbose_name='rejected')),
                        ('acknowledged', models.PositiveIntegerField(default=0, verbose_name='acknowledged')),
                        ('cards_issued', models.PositiveIntegerField(default=0, verbose_name='cards issued')),
                        ('cards_printed', models.PositiveIntegerField(default=0, verbose_name='cards printed')),
                        ('cards_active', models.PositiveIntegerField(default=0, verbose_name='cards handed over')),
                        ('cards_expiring', models.PositiveIntegerField(default=0, verbose_name='cards expiring')),
                        ('cards_expired', models.PositiveIntegerField(default=0, verbose_name='cards expired')),
                        ('cards_total', models.PositiveIntegerField(default=0, verbose_name='cards ever issued')),
                        ('day', models.DateField(verbose_name='day')),
                        ('taken_at', models.DateTimeField()),
                        ('province', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='provinces.province')),
                    ],
                    options={
                        'verbose_name': 'daily snapshot',
                        'verbose_name_plural': 'daily snapshots',
                        'db_table': 'provinces_dailysnapshot',
                        'ordering': ['day', 'province'],
                        'constraints': [models.UniqueConstraint(fields=('day', 'province'), name='daily_snapshot_unique')],
                    },
                ),
                migrations.CreateModel(
                    name='DistrictSummary',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('residents', models.PositiveIntegerField(default=0, verbose_name='entered')),
                        ('draft', models.PositiveIntegerField(default=0, verbose_name='draft')),
                        ('submitted', models.PositiveIntegerField(default=0, verbose_name='submitted')),
                        ('returned', models.PositiveIntegerField(default=0, verbose_name='returned')),
                        ('verified', models.PositiveIntegerField(default=0, verbose_name='verified')),
                        ('rejected', models.PositiveIntegerField(default=0, verbose_name='rejected')),
                        ('acknowledged', models.PositiveIntegerField(default=0, verbose_name='acknowledged')),
                        ('cards_issued', models.PositiveIntegerField(default=0, verbose_name='cards issued')),
                        ('cards_printed', models.PositiveIntegerField(default=0, verbose_name='cards printed')),
                        ('cards_active', models.PositiveIntegerField(default=0, verbose_name='cards handed over')),
                        ('cards_expiring', models.PositiveIntegerField(default=0, verbose_name='cards expiring')),
                        ('cards_expired', models.PositiveIntegerField(default=0, verbose_name='cards expired')),
                        ('cards_total', models.PositiveIntegerField(default=0, verbose_name='cards ever issued')),
                        ('refreshed_at', models.DateTimeField()),
                        ('district', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='provinces.district')),
                        ('province', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='provinces.province')),
                    ],
                    options={
                        'verbose_name': 'district summary',
                        'verbose_name_plural': 'district summaries',
                        'db_table': 'provinces_districtsummary',
                        'constraints': [models.UniqueConstraint(fields=('province', 'district'), name='district_summary_unique')],
                    },
                ),
                migrations.CreateModel(
                    name='NationalitySummary',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('nationality', models.CharField(max_length=2)),
                        ('residents', models.PositiveIntegerField(default=0)),
                        ('refreshed_at', models.DateTimeField()),
                        ('province', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='provinces.province')),
                    ],
                    options={
                        'db_table': 'provinces_nationalitysummary',
                        'constraints': [models.UniqueConstraint(fields=('province', 'nationality'), name='nationality_summary_unique')],
                    },
                ),
                migrations.CreateModel(
                    name='ProvinceCompilation',
                    fields=[
                        ('province', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name='compilation', serialize=False, to='provinces.province', verbose_name='province')),
                        ('estimated_residents', models.PositiveIntegerField(default=0, verbose_name='estimated residents')),
                        ('status', models.CharField(choices=[('in_progress', 'In progress'), ('submitted', 'Submitted to HQ'), ('under_review', 'Under review'), ('finished', 'Finished'), ('returned', 'Returned'), ('reopened', 'Reopened by HQ')], default='in_progress', max_length=16, verbose_name='list status')),
                        ('submitted_at', models.DateTimeField(blank=True, null=True, verbose_name='submitted at')),
                        ('signed_off_at', models.DateTimeField(blank=True, null=True, verbose_name='signed off at')),
                        ('override_reason', models.TextField(blank=True, verbose_name='override reason')),
                        ('returned_at', models.DateTimeField(blank=True, null=True, verbose_name='returned at')),
                        ('return_reason', models.TextField(blank=True, verbose_name='reason for return')),
                        ('reopened_at', models.DateTimeField(blank=True, null=True, verbose_name='reopened at')),
                        ('reopen_reason', models.TextField(blank=True, verbose_name='reason for reopening')),
                        ('updated_at', models.DateTimeField(auto_now=True, verbose_name='updated at')),
                        ('reopened_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='reopened by')),
                        ('returned_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='returned by')),
                        ('signed_off_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='signed off by')),
                        ('submitted_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='submitted by')),
                    ],
                    options={
                        'verbose_name': 'province compilation',
                        'verbose_name_plural': 'province compilations',
                        'db_table': 'provinces_provincecompilation',
                        'ordering': ['province'],
                        'constraints': [models.CheckConstraint(condition=models.Q(models.Q(('status', 'finished'), _negated=True), ('signed_off_at__isnull', False), _connector='OR'), name='compilation_finished_has_sign_off'), models.CheckConstraint(condition=models.Q(models.Q(('status', 'returned'), _negated=True), models.Q(('return_reason', ''), _negated=True), _connector='OR'), name='compilation_returned_has_reason'), models.CheckConstraint(condition=models.Q(models.Q(('status', 'reopened'), _negated=True), models.Q(('reopen_reason', ''), _negated=True), _connector='OR'), name='compilation_reopened_has_reason')],
                    },
                ),
                migrations.CreateModel(
                    name='ProvinceListEvent',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('kind', models.CharField(choices=[('estimate_set', 'Estimate set'), ('submitted', 'Submitted to HQ'), ('review_started', 'Review started'), ('signed_off', 'Signed off'), ('signed_off_override', 'Signed off by HQ override'), ('returned', 'Returned'), ('reopened', 'Reopened by HQ')], max_length=24, verbose_name='step')),
                        ('at', models.DateTimeField(auto_now_add=True, verbose_name='at')),
                        ('from_status', models.CharField(blank=True, max_length=16, verbose_name='from')),
                        ('to_status', models.CharField(blank=True, max_length=16, verbose_name='to')),
                        ('reason', models.TextField(blank=True, verbose_name='reason')),
                        ('details', models.JSONField(blank=True, default=dict, verbose_name='details')),
                        ('actor', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='by')),
                        ('province', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='list_events', to='provinces.province', verbose_name='province')),
                    ],
                    options={
                        'verbose_name': 'province list event',
                        'verbose_name_plural': 'province list events',
                        'db_table': 'provinces_provincelistevent',
                        'ordering': ['-at', '-id'],
                        'indexes': [models.Index(fields=['province', '-at'], name='province_event_at')],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(content_types_follow, content_types_return),
    ]
