"""Bases of residence are named with Western digits, like every number (see core.formats)."""

from django.db import migrations

OLD = "ការស្នាក់នៅរយៈពេលវែងមុនឆ្នាំ១៩៩៣"
NEW = "ការស្នាក់នៅរយៈពេលវែងមុនឆ្នាំ 1993"


def western(apps, schema_editor):
    # Only the name as first loaded: an administrator's own wording is kept.
    basis = apps.get_model("residents", "ResidenceBasis")
    basis.objects.filter(code="long-term-residence", name_km=OLD).update(name_km=NEW)


def khmer(apps, schema_editor):
    basis = apps.get_model("residents", "ResidenceBasis")
    basis.objects.filter(code="long-term-residence", name_km=NEW).update(name_km=OLD)


class Migration(migrations.Migration):
    dependencies = [("residents", "0007_names_that_sound_alike")]

    operations = [migrations.RunPython(western, khmer)]
