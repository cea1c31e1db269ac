from django.db import migrations


def require_links(apps, schema_editor):
    from residents.reference import REQUIRED_LINKS

    basis_model = apps.get_model("residents", "ResidenceBasis")
    for code, link in REQUIRED_LINKS.items():
        basis_model.objects.filter(code=code, required_link="").update(required_link=link)


class Migration(migrations.Migration):
    dependencies = [("residents", "0015_end_of_residence_transfers_family")]

    operations = [migrations.RunPython(require_links, migrations.RunPython.noop)]
