"""Uploaded import files are encrypted at rest and deleted when their retention runs out.

The files already stored are encrypted in place here (a file missing from the storage is left
as it is: its batch keeps its record).
"""

from django.core.files.base import ContentFile
from django.db import migrations, models


def encrypt_stored_files(apps, schema_editor):
    from core import crypto

    ImportBatch = apps.get_model("imports", "ImportBatch")
    for batch in ImportBatch.objects.exclude(file="").only("id", "file").iterator():
        storage, name = batch.file.storage, batch.file.name
        if not storage.exists(name):
            continue
        with storage.open(name, "rb") as handle:
            data = handle.read()
        if crypto.is_encrypted_file(data):
            continue
        sealed = crypto.encrypt_bytes(data, context="imports.file")
        storage.delete(name)
        storage.save(name, ContentFile(sealed))


class Migration(migrations.Migration):
    dependencies = [
        ("imports", "0004_staged_declared_on_optional"),
    ]

    operations = [
        migrations.AddField(
            model_name="importbatch",
            name="file_deleted_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="file deleted at"),
        ),
        migrations.AlterField(
            model_name="importbatch",
            name="file",
            field=models.FileField(blank=True, upload_to="imports/%Y/%m/", verbose_name="file"),
        ),
        migrations.RunPython(encrypt_stored_files, migrations.RunPython.noop),
    ]
