"""Counts and figures on the HQ pages read 41,000 in both languages; links, the estimate's form
value and the exports keep plain numbers."""

from __future__ import annotations

import csv
import io
import re

import pytest
from django.conf import settings
from django.urls import reverse

from compilation import services

DASHBOARD = reverse("provinces:dashboard")


@pytest.mark.parametrize("language", ["en", "km"])
def test_the_dashboard_and_the_province_page_show_a_large_estimate_grouped_and_links_still_work(
    director_client, seeded, director, language
):
    province = seeded.residents["12"][0].province
    services.province_estimate_set(province=province, estimated_residents=41000, actor=director)
    services.province_summary_refresh()
    director_client.cookies[settings.LANGUAGE_COOKIE_NAME] = language

    board = director_client.get(DASHBOARD).content.decode()
    page_url = reverse("provinces:detail", args=["12"])
    page = director_client.get(page_url).content.decode()

    row = board.split('data-code="12">', 1)[1].split("</tr>", 1)[0]
    # The estimate links to the records entered; its text is the grouped figure.
    assert 'data-figure="estimate">41,000</a></td>' in row
    assert "41000" not in row
    assert 'data-figure="estimate">41,000</a></div>' in board  # the headline: compiled of it
    assert 'data-testid="figure-estimate">41,000<' in page
    # The estimate's own form keeps the plain number it submits, and the link to the page works.
    assert 'name="estimated_residents" id="id_estimated_residents" value="41000"' in page
    assert f'href="{page_url}"' in board
    assert director_client.get(page_url).status_code == 200


def test_the_exports_keep_figures_as_plain_numbers(director_client, seeded, director):
    province = seeded.residents["12"][0].province
    services.province_estimate_set(province=province, estimated_residents=41000, actor=director)
    services.province_summary_refresh()

    response = director_client.get(reverse("provinces:export-csv"))

    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert next(r for r in rows if r[0] == "12")[2] == "41000"


@pytest.mark.parametrize("language", ["en", "km"])
def test_the_forecasts_records_still_to_decide_are_grouped(
    director_client, seeded, director, language
):
    province = seeded.residents["12"][0].province
    services.province_estimate_set(province=province, estimated_residents=41000, actor=director)
    services.province_summary_refresh()
    director_client.cookies[settings.LANGUAGE_COOKIE_NAME] = language

    page = director_client.get(reverse("provinces:detail", args=["12"])).content.decode()

    remaining = page.split('data-testid="forecast-remaining">', 1)[1].split("<", 1)[0]
    # About 41,000 still to decide: grouped by thousands, as every other figure on the page.
    assert re.fullmatch(r"\d{1,3}(,\d{3})+", remaining), remaining
