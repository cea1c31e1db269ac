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
    "signed_off": _(
        "HQ signed this province's list off before the file was imported: nothing was imported. "
        "Import it again once HQ has reopened the list."
    ),
    "check_failed": _(
        "The file could not be checked (it is no longer in storage, or a value in it could not be "
        "stored). Nothing was imported: upload the file again."
    ),
    # One row
    "cells_too_many": _("This row has %(found)s cells; the header has %(expected)s."),
    "cells_too_few": _("This row has %(found)s cells; the header has %(expected)s."),
    "required": _("This value is required."),
    "same_as_above": _("“Same as above” is not read: each row must hold its own value."),
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


# What to do about each reason a row is refused: shown beside it in the preview and the report.
FIXES = {
    "cells_too_many": _("Remove the cells beyond the last column, or give them a header."),
    "cells_too_few": _("Give the row a cell for every column (an optional one may stay empty)."),
    "required": _("Write the value on this row; it is never taken from another row."),
    "same_as_above": _("Write the value itself, as on the row it repeats."),
    "too_long": _("Shorten it to %(limit)s characters."),
    "bad_date": _("Write the date as DD/MM/YYYY, for example 17/05/1980."),
    "future_date": _("Check the year: this date cannot be after today."),
    "too_old": _("Check the year, written with four digits."),
    "bad_sex": _("Write M, F or X."),
    "bad_country": _(
        "Write the country's English name, its ISO code (CN or CHN) or its Khmer name."
    ),
    "cambodian": _("Remove the row: Cambodian nationals are not registered here."),
    "bad_passport": _("Copy the number from the passport's photo page."),
    "bad_surname": _("Write the surname as in the passport."),
    "other_province": _("Import this row with the list of its own province."),
    "bad_province": _("Write the province's code or its name as in the official list."),
    "bad_district": _("Write the district's code or its name as in the official list."),
    "bad_commune": _("Write the commune's code or its name as in the official list."),
    "bad_basis": _("Use one of: %(choices)s."),
    "expiry_before_issue": _("Check both passport dates against the passport."),
    "dup_passport": _("Nothing to do: this passport is registered already."),
    "dup_person": _("Nothing to do if it is the same person; otherwise check the name and date."),
    "dup_passport_in_file": _("Keep one of the two rows."),
    "dup_person_in_file": _("Keep one of the two rows, unless they are two people."),
}
# When the closest known values were found, the fix names them instead.
SUGGESTION = _("Did you mean %(suggestions)s?")


def fix(code: str, params: dict[str, Any] | None = None) -> str:
    """The suggested fix for a reason, in the active language ('' when there is none)."""
    params = params or {}
    if params.get("suggestions"):
        return str(SUGGESTION) % params
    template = FIXES.get(code)
    if template is None:
        return ""
    try:
        return str(template) % params if "%(" in str(template) else str(template)
    except KeyError:
        return ""


def render(code: str, params: dict[str, Any] | None = None) -> str:
    """The reason in the active language; an unknown code is shown as is rather than lost."""
    template = REASONS.get(code)
    if template is None:
        return code
    text = str(template)
    return text % params if params else text
