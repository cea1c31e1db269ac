from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pytest
from django.conf import settings
from django.urls import reverse
from openpyxl import load_workbook

from compilation import selectors, services
from compilation.models import ProvinceCompilation, ProvinceListEvent
from residents.models import Declaration
from tests.compilation.conftest import make_record
from tests.conftest import client_for
from tests.pdf_glyphs import broken_glyphs

pytestmark = pytest.mark.django_db

DASHBOARD = reverse("provinces:dashboard")
PP_PAGE = reverse("provinces:detail", args=["12"])
HQ_PAGES = [
    reverse("provinces:dashboard"),
    reverse("provinces:export-csv"),
    reverse("provinces:export-xlsx"),
    reverse("provinces:report-pdf"),
]


def status_of(code: str = "12") -> str | None:
    return (
        ProvinceCompilation.objects.filter(province_id=code)
        .values_list("status", flat=True)
        .first()
    )


# --- Access ------------------------------------------------------------------------------------


@pytest.mark.parametrize("url", HQ_PAGES)
def test_hq_pages_open_for_the_director(director_client, url):
    assert director_client.get(url).status_code == 200


@pytest.mark.parametrize("url", HQ_PAGES)
def test_hq_pages_are_refused_to_provincial_users_and_clerks(
    officer_client, verifier_client, clerk_client, url
):
    for client in (officer_client, verifier_client, clerk_client):
        assert client.get(url).status_code == 403


@pytest.mark.parametrize(
    "url",
    [
        *HQ_PAGES,
        reverse("provinces:mine"),
        PP_PAGE,
        reverse("provinces:refresh"),
        reverse("provinces:estimate", args=["12"]),
        reverse("provinces:submit", args=["12"]),
        reverse("provinces:review", args=["12"]),
        reverse("provinces:sign-off", args=["12"]),
        reverse("provinces:return", args=["12"]),
    ],
)
def test_anonymous_users_are_sent_to_sign_in(client, geo, url):
    response = (
        client.post(url)
        if url.endswith(("/refresh/", "estimate/", "submit/", "review/", "sign-off/", "return/"))
        else client.get(url)
    )

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_the_administrator_sees_the_dashboard(admin_client_):
    assert admin_client_.get(DASHBOARD).status_code == 200


def test_a_provincial_user_sees_their_own_province_page(officer_client, verifier_client, seeded):
    services.province_summary_refresh()

    for client in (officer_client, verifier_client):
        response = client.get(PP_PAGE)
        assert response.status_code == 200
        assert response.context["page"].row.summary.residents == 7


def test_a_provincial_user_never_sees_another_province_page(other_officer_client, seeded):
    services.province_summary_refresh()

    assert other_officer_client.get(PP_PAGE).status_code == 404


def test_my_province_leads_each_user_to_their_own_page(
    officer_client, other_officer_client, director_client
):
    url = reverse("provinces:mine")
    assert officer_client.get(url)["Location"] == PP_PAGE
    assert other_officer_client.get(url)["Location"] == reverse("provinces:detail", args=["17"])
    assert director_client.get(url)["Location"] == DASHBOARD


def test_an_unknown_province_is_a_404(director_client):
    assert director_client.get(reverse("provinces:detail", args=["99"])).status_code == 404


# --- Dashboard ---------------------------------------------------------------------------------


def test_the_dashboard_lists_25_provinces_with_their_figures(director_client, seeded, director):
    services.province_summary_refresh()
    services.province_estimate_set(
        province=seeded.residents["12"][0].province, estimated_residents=10, actor=director
    )

    response = director_client.get(DASHBOARD)

    board = response.context["dashboard"]
    assert len(board.rows) == 25
    pp = next(r for r in board.rows if r.province.code == "12")
    assert (pp.summary.residents, pp.summary.submitted, pp.summary.verified) == (7, 2, 1)
    assert (pp.compilation.estimated_residents, pp.percent, pp.percent_entered) == (10, 20, 70)
    headline = board.headline
    assert (headline.finished, headline.provinces) == (0, 25)
    assert (headline.compiled, headline.estimate, headline.entered) == (4, 10, 10)
    assert board.refreshed_at == headline.refreshed_at is not None
    assert board.nationalities[0][0] == "CN"
    content = response.content.decode()
    assert content.count('data-testid="province-row"') == 25
    assert "Figures as of" in content
    assert "<svg" in content


def _row_cells(content: str, code: str) -> list[str]:
    row = content.split(f'data-code="{code}">', 1)[1].split("</tr>", 1)[0]
    cells = [cell.rsplit("<td", 1)[1].split(">", 1)[1] for cell in row.split("</td>")[:-1]]
    return [re.sub(r"<[^>]+>", "", cell) for cell in cells]  # a figure's drill-down link


def test_the_kept_dashboard_page_follows_a_refresh_and_a_new_estimate(
    director_client, seeded, director
):
    services.province_summary_refresh()
    before = _row_cells(director_client.get(DASHBOARD).content.decode(), "12")
    make_record(province="12", status=None, maker=seeded.maker_pp, checker=seeded.checker_pp)

    unchanged = _row_cells(director_client.get(DASHBOARD).content.decode(), "12")
    services.province_summary_refresh()
    refreshed = _row_cells(director_client.get(DASHBOARD).content.decode(), "12")
    services.province_estimate_set(
        province=seeded.residents["12"][0].province, estimated_residents=40, actor=director
    )
    estimated = _row_cells(director_client.get(DASHBOARD).content.decode(), "12")

    # Columns: estimate, entered, ...
    assert (before[0], before[1]) == ("0", "7")
    assert unchanged == before
    assert (refreshed[0], refreshed[1]) == ("0", "8")
    assert (estimated[0], estimated[1]) == ("40", "8")


def test_the_dashboard_sorts_by_a_column_both_ways(director_client, seeded):
    services.province_summary_refresh()

    down = director_client.get(DASHBOARD, {"sort": "entered", "dir": "desc"}).context["dashboard"]
    up = director_client.get(DASHBOARD, {"sort": "entered"}).context["dashboard"]

    assert [r.province.code for r in down.rows[:2]] == ["12", "17"]
    assert [r.province.code for r in up.rows[-2:]] == ["17", "12"]


def test_the_days_left_follow_the_configured_deadline(director_client, settings, time_machine):
    time_machine.move_to("2026-11-24 09:00 +07:00")
    settings.COMPILATION_DEADLINE = "2026-12-31"

    headline = director_client.get(DASHBOARD).context["dashboard"].headline

    assert headline.days_left == 37


def test_the_dashboard_costs_the_same_queries_whatever_the_data(
    director, director_client, seeded, django_assert_num_queries
):
    services.province_summary_refresh()
    director_client.get(DASHBOARD)  # renders and keeps the fragment; writes the session's activity
    with django_assert_num_queries(3):  # provinces with their rows, nationalities, trend
        selectors.dashboard_for(user=director).charts()
    # Session, user, two-factor device, the figures' stamps, the ended residences per reason (one
    # GROUP BY over a partial index): the rendered table, headline and charts are kept; the
    # forecast (moved by every decision) reads the rows, the last 7 days' decisions and the
    # burn-down's snapshots.
    with django_assert_num_queries(5 + 3):
        director_client.get(DASHBOARD)

    for n in range(10):
        make_record(
            province=f"{n + 1:02d}", status="submitted", maker=seeded.maker_pp,
            checker=seeded.checker_pp, nationality="FR",
        )  # fmt: skip
    services.province_summary_refresh()
    services.daily_snapshot_take()
    services.daily_snapshot_take(day=dt.date(2026, 11, 1))

    with django_assert_num_queries(3):
        selectors.dashboard_for(user=director).charts()
    with django_assert_num_queries(5 + 3 + 2):  # changed figures: nationalities, trend read again
        director_client.get(DASHBOARD)
    with django_assert_num_queries(5 + 3):
        director_client.get(DASHBOARD)


def test_refresh_now_rewrites_the_figures(
    director_client, seeded, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = director_client.post(reverse("provinces:refresh"))

    assert response.status_code == 302
    pp = next(
        r
        for r in director_client.get(DASHBOARD).context["dashboard"].rows
        if r.province.code == "12"
    )
    assert pp.summary.residents == 7


def test_refresh_now_is_refused_to_a_provincial_user(officer_client, seeded):
    assert officer_client.post(reverse("provinces:refresh")).status_code == 403


# --- Sign-off through the pages ----------------------------------------------------------------


def verify_all_of_phnom_penh(seeded) -> None:
    Declaration.objects.filter(
        resident__province_id="12", status__in=["draft", "submitted", "returned"]
    ).update(status="verified", reviewed_by=seeded.checker_pp, status_reason="")
    seeded.residents["12"][-1].delete()


def test_the_chief_is_told_why_an_unverified_list_cannot_be_submitted(verifier_client, seeded):
    response = verifier_client.post(reverse("provinces:submit", args=["12"]), follow=True)

    assert "5 record(s) are not verified yet" in response.content.decode()
    assert status_of() is None


def test_the_chief_submits_and_the_director_signs_off(verifier_client, director_client, seeded):
    verify_all_of_phnom_penh(seeded)

    verifier_client.post(reverse("provinces:submit", args=["12"]))
    assert status_of() == "submitted"
    director_client.post(reverse("provinces:review", args=["12"]))
    assert status_of() == "under_review"
    response = director_client.post(reverse("provinces:sign-off", args=["12"]), follow=True)

    assert status_of() == "finished"
    assert "the province is finished" in response.content.decode()
    assert response.context["dashboard" if "dashboard" in response.context else "page"]
    headline = director_client.get(DASHBOARD).context["dashboard"].headline
    assert headline.finished == 1


def test_a_chief_of_another_province_cannot_submit_it(other_verifier, seeded):
    verify_all_of_phnom_penh(seeded)

    response = client_for(other_verifier).post(reverse("provinces:submit", args=["12"]))

    assert response.status_code == 404
    assert status_of() is None


def test_a_director_cannot_submit_for_the_province(director_client, seeded):
    verify_all_of_phnom_penh(seeded)

    assert director_client.post(reverse("provinces:submit", args=["12"])).status_code == 403
    assert status_of() is None


def test_a_provincial_user_cannot_sign_off_return_review_or_set_the_estimate(
    verifier_client, seeded
):
    for name, data in [
        ("sign-off", {"override_reason": "x"}),
        ("return", {"reason": "x"}),
        ("review", {}),
        ("estimate", {"estimated_residents": "5"}),
    ]:
        assert (
            verifier_client.post(reverse(f"provinces:{name}", args=["12"]), data).status_code == 403
        )
    assert status_of() is None
    assert ProvinceListEvent.objects.count() == 0


def test_other_province_users_get_404_on_every_step(other_officer_client, seeded):
    for name in ("sign-off", "return", "review", "estimate", "submit"):
        assert (
            other_officer_client.post(reverse(f"provinces:{name}", args=["12"])).status_code == 404
        )
    assert status_of() is None


def test_a_return_needs_a_reason_and_is_shown_with_it(verifier_client, director_client, seeded):
    verify_all_of_phnom_penh(seeded)
    verifier_client.post(reverse("provinces:submit", args=["12"]))

    refused = director_client.post(
        reverse("provinces:return", args=["12"]), {"reason": ""}, follow=True
    )
    assert "Give the reason for returning the list." in refused.content.decode()
    assert status_of() == "submitted"

    director_client.post(
        reverse("provinces:return", args=["12"]), {"reason": "Recount Chamkar Mon"}
    )
    page = verifier_client.get(PP_PAGE).content.decode()
    assert status_of() == "returned"
    assert "Recount Chamkar Mon" in page


def test_the_director_overrides_with_a_reason_shown_in_the_history(director_client, seeded):
    director_client.post(
        reverse("provinces:sign-off", args=["12"]), {"override_reason": "Minister's decision"}
    )

    assert status_of() == "finished"
    page = director_client.get(PP_PAGE).content.decode()
    assert "Signed off by HQ override" in page
    assert "Minister&#x27;s decision" in page


def test_a_change_after_sign_off_is_flagged_on_the_province_page(director_client, seeded):
    director_client.post(
        reverse("provinces:sign-off", args=["12"]), {"override_reason": "Deadline"}
    )
    declaration = seeded.declarations["12"][1]

    declaration.notes = "Address corrected"
    declaration.save()

    response = director_client.get(PP_PAGE)
    assert response.context["page"].changed_count == 1
    assert "Records changed after the list was signed off on" in response.content.decode()


def test_the_director_sets_the_estimate_and_bad_input_is_refused(director_client, seeded):
    director_client.post(
        reverse("provinces:estimate", args=["12"]), {"estimated_residents": "45000"}
    )
    refused = director_client.post(
        reverse("provinces:estimate", args=["12"]), {"estimated_residents": "-3"}, follow=True
    )

    assert ProvinceCompilation.objects.get(province_id="12").estimated_residents == 45000
    assert "Estimate:" in refused.content.decode()


# --- The province page -------------------------------------------------------------------------


def test_the_province_page_shows_districts_and_the_backlog_by_age(
    director_client, seeded, time_machine
):
    from django.utils import timezone

    now = timezone.now()
    submitted = list(Declaration.objects.filter(resident__province_id="12", status="submitted"))
    Declaration.objects.filter(pk=submitted[0].pk).update(submitted_at=now - dt.timedelta(days=3))
    Declaration.objects.filter(pk=submitted[1].pk).update(submitted_at=now - dt.timedelta(days=40))
    services.province_summary_refresh()

    page = director_client.get(PP_PAGE).context["page"]

    assert [b.count for b in page.backlog] == [1, 0, 0, 1]
    assert [(d.residents, d.submitted) for d in page.districts if d.residents] == [(5, 1), (2, 1)]
    assert page.pending == 5


# --- Reports -----------------------------------------------------------------------------------


def test_the_csv_export_has_one_row_per_province_with_exact_figures(director_client, seeded):
    services.province_summary_refresh()

    response = director_client.get(reverse("provinces:export-csv"))

    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:4] == ["Code", "Province", "Estimate", "Entered"]
    assert len(rows) == 26
    pp = next(r for r in rows if r[0] == "12")
    assert pp[1:9] == ["Phnom Penh", "0", "7", "2", "1", "1", "0", "1"]
    assert response["Content-Disposition"].startswith('attachment; filename="provinces-')


def test_the_xlsx_export_neutralises_formula_like_cells(director_client, seeded):
    from provinces.models import Province

    Province.objects.filter(code="17").update(name_en='=HYPERLINK("http://x")')
    services.province_summary_refresh()

    response = director_client.get(reverse("provinces:export-xlsx"))

    sheet = load_workbook(io.BytesIO(response.content)).active
    values = {row[0]: row for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert values["17"][1] == '\'=HYPERLINK("http://x")'
    assert values["12"][3] == 7
    assert sheet.max_row == 26


def test_the_pdf_report_is_a_pdf_with_both_languages(director_client, seeded):
    from pypdf import PdfReader

    services.province_summary_refresh()

    response = director_client.get(reverse("provinces:report-pdf"))

    assert response["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    text = "".join(page.extract_text() for page in reader.pages)
    assert "Provinces finished" in text
    assert "Phnom Penh" in text
    fonts = {
        str(f.get_object().get("/BaseFont"))
        for page in reader.pages
        for f in (page.get("/Resources", {}).get("/Font", {}) or {}).values()
    }
    # The Khmer face is embedded from the package, never taken from the machine.
    assert any(f.endswith("+Noto-Sans-Khmer") for f in fonts)
    # Every Khmer cluster is drawn whole: no dotted circle, no missing glyph.
    assert broken_glyphs(response.content) == []
    # Bilingual: the Khmer labels and province names are there as text, next to the English.
    assert "Tboung Khmum" in text
    assert sum("\u1780" <= c <= "\u17ff" for c in text) > 500


def test_the_report_fetcher_refuses_network_and_outside_files():
    from compilation.reports import khmer_font_url, local_only_fetcher

    fetcher = local_only_fetcher()
    for url in ("http://127.0.0.1/", "file:///etc/passwd", "https://example.org/x.css"):
        with pytest.raises(ValueError, match="refused URL"):
            fetcher(url)
    assert fetcher("data:text/plain,hello").read() == b"hello"
    assert fetcher(khmer_font_url()).read(4) == b"\x00\x01\x00\x00"


def test_the_province_page_lists_renewals_due_and_last_imports(
    other_officer_client, seeded, director
):
    from django.utils import timezone

    from cards.models import ResidenceCard

    today = timezone.localdate()
    declaration = seeded.declarations["17"][2]
    ResidenceCard.objects.create(
        number="TEST0001", resident=declaration.resident, declaration=declaration,
        province_id="17", issue_date=today - dt.timedelta(days=700),
        expiry_date=today + dt.timedelta(days=29), status="active", issued_by=director,
    )  # fmt: skip
    from imports.models import ImportBatch

    for name, province in (("siem-reap.xlsx", "17"), ("phnom-penh.xlsx", "12")):
        ImportBatch.objects.create(
            province_id=province, created_by=seeded.maker_sr, file=f"imports/{name}",
            file_name=name, file_sha256="0" * 64, status="validated", total_rows=3,
        )  # fmt: skip

    response = other_officer_client.get(reverse("provinces:detail", args=["17"]))

    page = response.context["page"]
    assert page.renewals_due_count == 1
    assert [c.number for c in page.renewals_due] == ["TEST0001"]
    assert [b.file_name for b in page.imports] == ["siem-reap.xlsx"]
    assert "phnom-penh.xlsx" not in response.content.decode()


def test_the_director_home_page_shows_the_headline(director_client, seeded, director):
    services.province_list_sign_off(
        province=seeded.residents["17"][0].province, actor=director, override_reason="Deadline"
    )

    content = director_client.get(reverse("home")).content.decode()

    assert 'data-testid="headline-finished">1 / 25<' in content
    assert "Days left to the deadline" in content


def test_the_pdf_report_names_nationalities_in_both_languages_with_whole_khmer_clusters(
    director_client, seeded
):
    from pypdf import PdfReader

    services.province_summary_refresh()
    director_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "km"

    response = director_client.get(reverse("provinces:report-pdf"))

    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert "ចិន" in text  # China, as CLDR names it in Khmer, next to its English name
    assert "China" in text
    assert broken_glyphs(response.content) == []
