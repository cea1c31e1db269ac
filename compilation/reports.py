"""The dashboard as files: the table in CSV and XLSX, and the bilingual PDF report."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from pathlib import Path
from urllib.parse import unquote, urlparse

from django.conf import settings
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from compilation.models import ProvinceCompilation
from compilation.selectors import NATIONALITIES_SHOWN, Dashboard, ProvinceRow
from core.countries import country_name

COLUMNS: list[tuple[Promise, Callable[[ProvinceRow], object]]] = [
    (_("Code"), lambda r: r.province.code),
    (_("Province"), lambda r: r.province.name),
    (_("Estimate"), lambda r: r.compilation.estimated_residents),
    (_("Entered"), lambda r: r.summary.residents),
    (_("Submitted"), lambda r: r.summary.submitted),
    (_("Returned"), lambda r: r.summary.returned),
    (_("Verified"), lambda r: r.summary.verified),
    (_("Rejected"), lambda r: r.summary.rejected),
    (_("Acknowledged"), lambda r: r.summary.acknowledged),
    (_("Cards issued"), lambda r: r.summary.cards_issued),
    (_("Printed"), lambda r: r.summary.cards_printed),
    (_("Handed over"), lambda r: r.summary.cards_active),
    (_("Expiring"), lambda r: r.summary.cards_expiring),
    (_("Expired"), lambda r: r.summary.cards_expired),
    (_("List status"), lambda r: r.compilation.get_status_display()),
    (_("Progress (%)"), lambda r: r.percent),
]

# A spreadsheet runs a cell beginning with one of these as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> object:
    """Make a text cell inert in a spreadsheet: a leading formula character gets a quote."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def table(dashboard: Dashboard) -> tuple[list[str], list[list[object]]]:
    """Header (in the active language) and one row of cells per province, neutralised."""
    header = [str(label) for label, _get in COLUMNS]
    rows = [[neutralise(get(row)) for _label, get in COLUMNS] for row in dashboard.rows]
    return header, rows


def as_csv(dashboard: Dashboard) -> bytes:
    header, rows = table(dashboard)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    # A byte-order mark, so spreadsheet programs read the Khmer names as UTF-8.
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def as_xlsx(dashboard: Dashboard) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.worksheet.worksheet import Worksheet

    header, rows = table(dashboard)
    book = Workbook()
    sheet = book.active
    assert isinstance(sheet, Worksheet)  # a new workbook's one sheet
    sheet.title = str(_("Provinces"))[:31]
    sheet.append(header)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(row)
    sheet.freeze_panes = "C2"
    sheet.column_dimensions["B"].width = 28
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# --- PDF ---------------------------------------------------------------------------------------


def _allowed_roots() -> list[Path]:
    roots = [Path(settings.KHMER_FONT_DIR).resolve()]
    for entry in settings.STATICFILES_DIRS:
        roots.append(Path(str(entry[1] if isinstance(entry, tuple) else entry)).resolve())
    return roots


def local_only_fetcher() -> object:
    """A WeasyPrint URL fetcher reading data: URIs and the project's static files, nothing else.

    A report never makes a network request, and never reads a file outside the static folders.
    """
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class LocalOnlyFetcher(URLFetcher):
        def fetch(self, url: str, headers: dict[str, str] | None = None) -> URLFetcherResponse:
            if url.startswith("data:"):
                return super().fetch(url, headers)
            parsed = urlparse(url)
            if parsed.scheme == "file":
                path = Path(unquote(parsed.path)).resolve()
                if path.is_file() and any(path.is_relative_to(r) for r in _allowed_roots()):
                    return URLFetcherResponse(url, body=path.read_bytes())
            raise ValueError(f"refused URL in a report: {url[:80]}")

    return LocalOnlyFetcher(allowed_protocols={"data", "file"})


def khmer_font_url() -> str:
    found = finders.find("fonts/noto-sans-khmer/NotoSansKhmer[wdth,wght].ttf")
    path = Path(found) if found else next(Path(settings.KHMER_FONT_DIR).glob("*.ttf"))
    return path.resolve().as_uri()


def both_languages(text: Promise) -> dict[str, str]:
    """A label in English and in Khmer, for the bilingual report."""
    with translation.override("en"):
        en = str(text)
    with translation.override("km"):
        km = str(text)
    return {"en": en, "km": km}


REPORT_TITLES = {
    "report": _("Compilation of the list of foreign permanent residents"),
    "finished": _("Provinces finished"),
    "compiled": _("Residents compiled (verified or acknowledged)"),
    "estimate": _("Estimate"),
    "entered": _("Entered"),
    "days_left": _("Days left to the deadline"),
    "deadline": _("Deadline"),
    "refreshed": _("Figures as of"),
    "generated": _("Report generated"),
    "nationality": _("Residents by nationality"),
    "progress": _("Progress per province"),
    "trend": _("Daily trend"),
    "province": _("Province"),
    "status": _("List status"),
    "progress_pct": _("Progress (%)"),
    "table": _("Figures per province"),
}


def _english_charts(dashboard: Dashboard) -> dict[str, str]:
    with translation.override("en"):
        return dashboard.charts()


def _bilingual_nationalities(dashboard: Dashboard) -> list[dict[str, object]]:
    """The nationalities the chart shows, each named in English and in Khmer (CLDR)."""
    return [
        {"en": country_name(code, "en"), "km": country_name(code, "km"), "residents": residents}
        for code, _name, residents in dashboard.nationalities[:NATIONALITIES_SHOWN]
    ]


def as_pdf(dashboard: Dashboard) -> bytes:
    """The printable report for the director-general's meeting: headline, charts, table."""
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration

    figures = COLUMNS[2:14]
    rows = [
        {
            "row": row,
            "figures": [get(row) for _label, get in figures],
            "status": both_languages(ProvinceCompilation.Status(row.compilation.status).label),
        }
        for row in dashboard.rows
    ]
    context = {
        "dashboard": dashboard,
        "header": [both_languages(label) for label, _get in figures],
        "rows": rows,
        "titles": {key: both_languages(label) for key, label in REPORT_TITLES.items()},
        # WeasyPrint draws SVG text glyph by glyph, which breaks Khmer clusters: the charts are
        # labelled in English, and nationalities are listed in both languages as HTML text.
        "charts": _english_charts(dashboard),
        "nationalities": _bilingual_nationalities(dashboard),
        "generated_at": timezone.localtime(),
    }
    html = render_to_string("compilation/report_pdf.html", context)
    fonts = FontConfiguration()
    url_fetcher = local_only_fetcher()
    css = CSS(
        string=(
            f"@font-face {{ font-family: 'Noto Sans Khmer'; src: url('{khmer_font_url()}'); }}"
        ),
        font_config=fonts,
        url_fetcher=url_fetcher,
    )
    document = HTML(string=html, url_fetcher=url_fetcher, base_url=None)
    return document.write_pdf(stylesheets=[css], font_config=fonts)
