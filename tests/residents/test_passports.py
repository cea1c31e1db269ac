"""A new passport replaces the old one on the record; both are kept and both still count."""

from __future__ import annotations

import datetime as dt

import pytest

from audit.models import AuditEvent
from residents import history_view, passports, selectors, services
from residents.models import Declaration, Resident, TravelDocument
from tests.residents.conftest import create_input, make_resident

pytestmark = pytest.mark.django_db


def new_passport(number: str = "EN7654321") -> services.PassportInput:
    return services.PassportInput(
        number=number,
        issuing_country="CN",
        issue_date=dt.date(2027, 2, 1),
        expiry_date=dt.date(2037, 1, 31),
    )


@pytest.fixture
def holder(officer) -> Resident:
    return make_resident(
        maker=officer, status=Declaration.Status.ACKNOWLEDGED, number="E11111111", nationality="CN"
    )


def test_a_new_passport_becomes_current_and_the_old_one_is_kept(holder, officer):
    old = holder.documents.get()

    new = passports.passport_replace(resident=holder, actor=officer, passport=new_passport())

    assert list(holder.documents.order_by("id").values_list("pk", "is_current")) == [
        (old.pk, False),
        (new.pk, True),
    ]
    assert (new.number, new.expiry_date) == ("EN7654321", dt.date(2037, 1, 31))
    old.refresh_from_db()
    assert old.number == "E11111111"
    event = AuditEvent.objects.get(action=AuditEvent.Action.PASSPORT_REPLACED)
    assert (event.user, event.detail) == (officer, {"previous": [old.pk], "document": new.pk})
    history = history_view.resident_history_for(resident=holder)
    recorded = [e for e in history if e.action == "Passport recorded"]
    changed = [e for e in history if e.action == "Passport changed"]
    assert (len(recorded), len(changed)) == (2, 1)
    assert [(c.field, c.before, c.after) for c in changed[0].changes] == [
        ("current", "True", "False")
    ]
    assert {e.who for e in [recorded[-1], changed[0]]} == {str(officer)}


def test_the_resident_is_found_through_either_passport(holder, officer):
    passports.passport_replace(resident=holder, actor=officer, passport=new_passport())

    for number in ("E11111111", "EN7654321"):
        page = selectors.resident_list_for(
            user=officer, filters=selectors.ResidentFilters(passport=number)
        )
        assert [r.pk for r in page.items] == [holder.pk], number


def test_a_new_resident_with_the_old_passport_is_still_a_duplicate(holder, officer):
    passports.passport_replace(resident=holder, actor=officer, passport=new_passport())

    with pytest.raises(services.DuplicatePassport) as refused:
        services.resident_create(
            **create_input(
                officer,
                passport=services.PassportInput(number="E11111111", issuing_country="CN"),
            )
        )

    assert refused.value.holder == holder
    assert Resident.objects.count() == 1


def test_a_passport_already_recorded_is_refused_and_nothing_changes(holder, officer):
    make_resident(maker=officer, number="EN7654321", nationality="CN")

    with pytest.raises(services.DuplicatePassport):
        passports.passport_replace(resident=holder, actor=officer, passport=new_passport())
    with pytest.raises(services.ResidentsError, match="already recorded for this resident"):
        passports.passport_replace(
            resident=holder, actor=officer, passport=new_passport("E11111111")
        )

    assert list(holder.documents.values_list("is_current", flat=True)) == [True]
    assert TravelDocument.objects.count() == 2


def test_only_an_officer_of_the_province_records_a_passport(holder, other_officer, verifier):
    for actor in (other_officer, verifier):
        with pytest.raises(services.NotAllowed):
            passports.passport_replace(resident=holder, actor=actor, passport=new_passport())

    assert list(holder.documents.values_list("is_current", flat=True)) == [True]
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.PASSPORT_REPLACED).exists()
