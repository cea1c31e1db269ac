"""Reference data of the residents app: the initial list of bases of residence.

One loader serves the data migration and the test suite (transactional tests flush the tables the
migrations filled). It only adds what is missing, so it never overwrites an administrator's edits.
"""

from __future__ import annotations

from typing import Any

BASES = [
    ("long-term-residence", "Long-term residence before 1993", "ការស្នាក់នៅរយៈពេលវែងមុនឆ្នាំ 1993"),
    ("marriage", "Married to a Cambodian citizen", "រៀបការជាមួយពលរដ្ឋខ្មែរ"),
    ("family", "Family member of a permanent resident", "សមាជិកគ្រួសាររបស់អ្នករស់នៅអចិន្ត្រៃយ៍"),
    ("investment", "Investment", "ការវិនិយោគ"),
    ("employment", "Long-term employment", "ការងាររយៈពេលវែង"),
    ("retirement", "Retirement", "និវត្តន៍"),
    ("born-in-cambodia", "Born in Cambodia to foreign parents", "កើតនៅកម្ពុជាពីឪពុកម្តាយជាជនបរទេស"),
    ("other", "Other ground approved by GDI", "មូលដ្ឋានផ្សេងទៀតដែលអគ្គនាយកដ្ឋានអន្តោប្រវេសន៍អនុម័ត"),
]

# Bases resting on a family tie: verified only once the resident is linked to a resident relative
# (residents.family.missing_link_of).
REQUIRED_LINKS = {"family": "any", "born-in-cambodia": "parent"}


DOCUMENT_TYPES = [
    ("passport-copy", "Copy of the passport", "ច្បាប់ចម្លងលិខិតឆ្លងដែន"),
    ("marriage-certificate", "Marriage certificate", "សំបុត្រអាពាហ៍ពិពាហ៍"),
    ("birth-certificate", "Birth certificate", "សំបុត្រកំណើត"),
    ("proof-of-address", "Proof of address", "ភស្តុតាងអាសយដ្ឋាន"),
    ("employment-letter", "Letter from the employer", "លិខិតពីនិយោជក"),
    ("investment-licence", "Investment licence", "អាជ្ញាប័ណ្ណវិនិយោគ"),
    ("other", "Other document", "ឯកសារផ្សេងទៀត"),
]


def load_document_types(*, type_model: Any = None) -> int:
    """Create the document types that do not exist yet; return how many were created.

    No basis requires any of them until an administrator says so (Django admin): a province's
    records already in the queue are not blocked by a rule they were entered without.
    """
    if type_model is None:
        from residents.models import DocumentType as type_model
    existing = set(type_model.objects.values_list("code", flat=True))
    missing = [
        type_model(code=code, name_en=name_en, name_km=name_km)
        for code, name_en, name_km in DOCUMENT_TYPES
        if code not in existing
    ]
    type_model.objects.bulk_create(missing)
    return len(missing)


def load_residence_bases(*, basis_model: Any = None) -> int:
    """Create the bases that do not exist yet; return how many were created.

    The data migration passes its historical model; everyone else gets the current one.
    """
    from_current_models = basis_model is None
    if basis_model is None:
        from residents.models import ResidenceBasis as basis_model
    existing = set(basis_model.objects.values_list("code", flat=True))
    # An early migration's historical model has no required_link yet (a later one sets it).
    has_link = any(f.name == "required_link" for f in basis_model._meta.get_fields())
    missing = [
        basis_model(
            code=code,
            name_en=name_en,
            name_km=name_km,
            **({"required_link": REQUIRED_LINKS.get(code, "")} if has_link else {}),
        )
        for code, name_en, name_km in BASES
        if code not in existing
    ]
    basis_model.objects.bulk_create(missing)
    if from_current_models:
        load_document_types()
    return len(missing)
