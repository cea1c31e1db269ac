"""Fail when code or templates switch off HTML escaping outside a reviewed allow-list.

Looks for `|safe`, `|safeseq`, `{% autoescape off %}` in templates and `mark_safe(`,
`SafeString(` / `SafeText(` in Python. User data must always be escaped on output; the few
places that build HTML themselves are listed below with the reason they are safe.
Run: python scripts/check_output_encoding.py (part of `make lint`).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SKIP_DIRS = {".venv", "node_modules", "staticfiles", ".git", "var", "media", "tests", "bench"}

# path -> why its use of mark_safe is safe (reviewed).
ALLOWED = {
    "scripts/check_output_encoding.py": "this checker: names the patterns, never uses them",
    "compilation/charts.py": "SVG charts from numbers; every piece of text goes through escape()",
    "core/widgets.py": "a select built from options and attributes each made by format_html",
    "core/templatetags/ims_fields.py": (
        "form fields written as crispy's markup: every attribute, value and label through "
        "format_html, the rest constant tags"
    ),
    "core/templatetags/ims_rows.py": (
        "html_rows and html_of: every value escaped (or already safe) before it is placed, as "
        "format_html does; a constant aria-current attribute"
    ),
    "templates/jobs/email/renewal_digest.txt": "plain-text e-mail body, never shown as HTML",
    "templates/jobs/email/notification.txt": "plain-text e-mail body, never shown as HTML",
    "templates/accounts/email/otp_reset.txt": "plain-text e-mail body, never shown as HTML",
    "templates/accounts/email/invitation.txt": "plain-text e-mail body, never shown as HTML",
    "templates/accounts/email/password_reset.txt": "plain-text e-mail body, never shown as HTML",
}

TEMPLATE_RULE = re.compile(r"\|\s*safe(seq)?\b|\{%\s*autoescape\s+off\s*%\}")
PYTHON_RULE = re.compile(r"\bmark_safe\s*\(|\bSafe(String|Text)\s*\(")


def offences() -> list[str]:
    found = []
    for path in sorted(ROOT.rglob("*")):
        relative = path.relative_to(ROOT)
        if path.is_dir() or SKIP_DIRS & set(relative.parts):
            continue
        if path.suffix in {".html", ".txt", ".xml", ".svg"} and "templates" in relative.parts:
            rule = TEMPLATE_RULE
        elif path.suffix == ".py":
            rule = PYTHON_RULE
        else:
            continue
        if relative.as_posix() in ALLOWED:
            continue
        for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
            if rule.search(line):
                found.append(f"{relative}:{number}: {line.strip()}")
    return found


def main() -> int:
    found = offences()
    for offence in found:
        print(offence)
    if found:
        print(
            f"{len(found)} place(s) switch off HTML escaping. Escape instead, or review the "
            "use and add the file to ALLOWED in scripts/check_output_encoding.py with a reason."
        )
        return 1
    print("output encoding: no unreviewed |safe or mark_safe")
    return 0


if __name__ == "__main__":
    sys.exit(main())
