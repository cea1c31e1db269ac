from django.db import migrations

BASES = [
    ("long-term-residence", "Long-term residence before 1993", "ការស្នាក់នៅរយៈពេលវែងមុនឆ្នាំ១៩៩៣"),
    ("marriage", "Married to a Cambodian citizen", "រៀបការជាមួយពលរដ្ឋខ្មែរ"),
    ("family", "Family member of a permanent resident", "សមាជិកគ្រួសាររបស់អ្នករស់នៅអចិន្ត្រៃយ៍"),
    ("investment", "Investment", "ការវិនិយោគ"),
    ("employment", "Long-term employment", "ការងាររយៈពេលវែង"),
    ("retirement", "Retirement", "និវត្តន៍"),
    ("born-in-cambodia", "Born in Cambodia to foreign parents", "កើតនៅកម្ពុជាពីឪពុកម្តាយជាជនបរទេស"),
    ("other", "Other ground approved by GDI", "មូលដ្ឋានផ្សេងទៀតដែលអគ្គនាយកដ្ឋានអន្តោប្រវេសន៍អនុម័ត"),
]


def load(apps, schema_editor):
    basis = apps.get_model("residents", "ResidenceBasis")
    for code, name_en, name_km in BASES:
        basis.objects.update_or_create(code=code, defaults={"name_en": name_en, "name_km": name_km})


class Migration(migrations.Migration):
    dependencies = [("residents", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
