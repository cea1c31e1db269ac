"""A verifier finds a likely-duplicate pair in the duplicates queue, sees the two records side by
side on the review screen, and merges them: one record is left, holding both declarations."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from accounts.models import User
from residents import services
from residents.models import Resident
from tests.e2e.conftest import sign_in
from tests.factories import PASSWORD, UserFactory
from tests.residents.conftest import make_resident

pytestmark = pytest.mark.django_db(transaction=True)
BORN = dt.date(1980, 5, 17)


def test_a_verifier_merges_a_pair_found_in_the_duplicates_queue(geo, page, screenshot):
    officer = UserFactory(username="officer_pp", role=User.Role.OFFICER, province_id="12")
    UserFactory(username="verifier_pp", role=User.Role.VERIFIER, province_id="12")
    first = make_resident(maker=officer, number="E10000001", surname="WANG", given_names="LI NA",
                          date_of_birth=BORN, nationality="CN")  # fmt: skip
    second = make_resident(maker=officer, number="E10000002", surname="WANG", given_names="LINA",
                           date_of_birth=BORN, nationality="CN")  # fmt: skip
    services.flag_likely_duplicates(resident_ids=[second.pk])
    declaration = second.declarations.get()

    sign_in(page, "verifier_pp", PASSWORD)
    page.goto("/residents/duplicates/")
    expect(page.get_by_test_id("queue-row")).to_have_count(1)
    expect(page.get_by_test_id("queue-total")).to_contain_text("1")
    screenshot(page, "duplicates-queue")
    page.get_by_role("button", name="ភាសាខ្មែរ").click()
    expect(page.get_by_test_id("queue-row")).to_have_count(1)
    screenshot(page, "duplicates-queue-km")
    page.get_by_role("button", name="English").click()

    # The review screen shows both records side by side, differences marked.
    page.goto(f"/residents/declarations/{declaration.pk}/review/")
    expect(page.get_by_test_id("duplicate-comparison")).to_be_visible()
    expect(page.get_by_test_id("difference").first).to_be_visible()
    page.get_by_test_id("merge-keep-other").click()

    expect(
        page.get_by_text(f"resident no. {second.pk} is now part of resident no. {first.pk}")
    ).to_be_visible()
    expect(page).to_have_url(re.compile(rf"/declarations/{declaration.pk}/review/"))
    screenshot(page, "merged-review")
    page.goto(f"/residents/{second.pk}/")
    expect(page.get_by_test_id("merged-banner")).to_contain_text(f"resident no. {first.pk}")
    screenshot(page, "merged-record")
    page.get_by_role("button", name="ភាសាខ្មែរ").click()
    expect(page.get_by_test_id("merged-banner")).to_be_visible()
    screenshot(page, "merged-record-km")
    page.get_by_role("button", name="English").click()
    page.get_by_test_id("merged-banner").get_by_role("link").click()
    expect(page).to_have_url(re.compile(rf"/residents/{first.pk}/$"))
    expect(page.get_by_text("Records merged: the same person").first).to_be_visible()
    screenshot(page, "kept-record")

    assert Resident.objects.get(pk=second.pk).merged_into_id == first.pk
    assert Resident.objects.get(pk=first.pk).declarations.count() == 2
    page.goto("/residents/duplicates/")
    expect(page.get_by_test_id("queue-row")).to_have_count(0)
