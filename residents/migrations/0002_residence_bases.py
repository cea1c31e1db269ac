from django.db import migrations


def load(apps, schema_editor):
    from residents.reference import load_residence_bases

    load_residence_bases(basis_model=apps.get_model("residents", "ResidenceBasis"))


class Migration(migrations.Migration):
    dependencies = [("residents", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
