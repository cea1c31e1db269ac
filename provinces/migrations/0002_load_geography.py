from django.db import migrations


def load(apps, schema_editor):
    from provinces.geography import load_geography

    load_geography(
        province_model=apps.get_model("provinces", "Province"),
        district_model=apps.get_model("provinces", "District"),
        commune_model=apps.get_model("provinces", "Commune"),
    )


class Migration(migrations.Migration):
    dependencies = [("provinces", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
