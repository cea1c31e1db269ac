"""The HQ report PDF as reviewed: its pages as images, compared with reference images."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from compilation import services
from tests.pdf_glyphs import broken_glyphs
from tests.pdf_images import mismatches, page_images

pytestmark = pytest.mark.django_db

REFERENCES = Path(__file__).parent / "reference"
# An A4 page at 75 dpi (620 x 877 pixels): the table's rows, the charts and the Khmer headings.
REPORT_DPI = 75
# Figures, "days left", "as of" and "generated" all read the clock: one fixed morning.
MORNING = dt.datetime(2026, 12, 1, 9, 0, tzinfo=ZoneInfo("Asia/Phnom_Penh"))


def test_the_hq_report_looks_as_reviewed_in_khmer_and_english(
    director_client, seeded, time_machine, tmp_path
):
    time_machine.move_to(MORNING, tick=False)
    services.province_summary_refresh()

    response = director_client.get(reverse("provinces:report-pdf"))

    assert broken_glyphs(response.content) == []
    pages = page_images(response.content, dpi=REPORT_DPI, folder=tmp_path)
    named = {f"report-{number}": page for number, page in enumerate(pages, start=1)}
    assert mismatches(named, references=REFERENCES, folder=tmp_path) == []
    assert len(pages) == len(list(REFERENCES.glob("report-*.png")))
