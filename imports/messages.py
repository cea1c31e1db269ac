"""Every reason a file or a row is refused, kept as a code and shown in the reader's language."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

REASONS = {
    # Whole file
    "empty": _("The file is empty."),
    "file_deleted": _(
        "The uploaded file was deleted when its %(days)s days of retention ran out; "
        "upload it again."
    ),
    "too_big": _("The file is %(size)s MB; the limit is %(limit)s MB."),
    "too_many_rows": _("The file has more than %(limit)s rows; split it into smaller files."),
    "not_spreadsheet": _(
        "This is not a CSV or XLSX file (whatever its name says). Save it from Excel as "
        "“CSV UTF-8” or “Excel Workbook (.xlsx)”."
    ),
    "old_xls": _("This is an old Excel 97-2003 (.xls) file. Save it as “Excel Workbook (.xlsx)”."),
    "bad_xlsx": _("The XLSX file is damaged or is not an Excel workbook."),
    "zip_bomb": _(
        "The XLSX file unpacks to %(size)s MB, over the %(limit)s MB limit (or is packed "
        "suspiciously tightly); it was not opened."
    ),
    "xml_entities": _(
        "The XLSX file contains XML entity declarations, which are not allowed; it was not read."
    ),
    "nul_bytes": _("The file contains NUL bytes: it is a binary file, not a CSV text file."),
    "utf16": _("The file is in UTF-16; save it as “CSV UTF-8”."),
    "not_utf8": _(
        "The file is not UTF-8 (it looks like %(encoding)s); save it as “CSV UTF-8” and upload "
        "it again."
    ),
    "no_header": _("The file has no header row."),
    "missing_columns": _("Required columns are missing: %(columns)s."),
    "repeated_column": _("The column “%(column)s” appears more than once."),
    "no_rows": _("The file has a header but no rows."),
    "province_not_allowed": _("You cannot import for this province."),
    "check_failed": _(
        "The file could not be checked (it is no longer in storage, or a value in it could not be "
        "stored). Nothing was imported: upload the file again."
    ),
    # One row
    "cells_too_many": _("This row has %(found)s cells; the header has %(expected)s."),
    "cells_too_few": _("This row has %(found)s cells; the header has %(expected)s."),
    "required": _("This value is required."),
    "too_long": _("Longer than %(limit)s characters."),
    "too_long_in_capitals": _("Longer than %(limit)s characters once written in capitals."),
    "bad_date": _("Not a date: write DD/MM/YYYY, DD-MM-YYYY or YYYY-MM-DD."),
    "future_date": _("This date is in the future."),
    "too_old": _("This date is before 1900."),
    "bad_sex": _("Write M, F or X (Male, Female, Unspecified)."),
    "bad_country": _("Unknown country or nationality."),
    "cambodian": _("A Cambodian national is not a foreign resident."),
    "bad_passport": _("A passport number has 5 to 20 letters and digits."),
    "bad_surname": _("The surname must contain letters."),
    "other_province": _("This row is for %(province)s, not %(expected)s."),
    "bad_province": _("Unknown province."),
    "bad_district": _("Unknown district in %(province)s."),
    "bad_commune": _("Unknown commune in %(district)s."),
    "bad_basis": _("Unknown basis of residence; use one of: %(choices)s."),
    "expiry_before_issue": _("The passport expires before it was issued."),
    "names_too_long": _(
        "The names together are %(length)s characters long; the register holds at most "
        "%(limit)s. Shorten this name."
    ),
    # Duplicates
    "dup_passport": _("This passport is already registered (resident #%(resident)s)."),
    "dup_person": _(
        "A resident with the same name, date of birth and nationality exists (resident "
        "#%(resident)s)."
    ),
    "dup_passport_in_file": _("The same passport is on row %(row)s of this file."),
    "dup_person_in_file": _(
        "The same name, date of birth and nationality are on row %(row)s of this file."
    ),
}


def render(code: str, params: dict[str, Any] | None = None) -> str:
    """The reason in the active language; an unknown code is shown as is rather than lost."""
    template = REASONS.get(code)
    if template is None:
        return code
    text = str(template)
    return text % params if params else text
