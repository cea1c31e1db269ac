from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from compilation import services
from compilation.models import ProvinceCompilation, ProvinceListEvent
from provinces.models import Province
from residents.models import Declaration

pytestmark = pytest.mark.django_db

Status = ProvinceCompilation.Status


@pytest.fixture
def phnom_penh(geo) -> Province:
    return Province.objects.get(code="12")


@pytest.fixture
def all_verified(seeded) -> None:
    """Phnom Penh's records all through verification (the undeclared resident removed)."""
    Declaration.objects.filter(
        resident__province_id="12", status__in=["draft", "submitted", "returned"]
    ).update(status="verified", reviewed_by=seeded.checker_pp, status_reason="")
    seeded.residents["12"][-1].delete()


def compilation_state(code: str = "12") -> tuple[object, ...]:
    c = ProvinceCompilation.objects.filter(province_id=code).first()
    if c is None:
        return (None,)
    return (c.status, c.submitted_by_id, c.signed_off_by_id, c.returned_by_id, c.return_reason)


def test_the_chief_cannot_submit_while_records_are_unverified_and_nothing_changes(
    seeded, verifier, phnom_penh
):
    before = compilation_state()

    with pytest.raises(services.ProvinceListError) as refusal:
        services.province_list_submit(province=phnom_penh, actor=verifier)

    # 1 draft, 2 submitted, 1 returned, and 1 resident without a declaration.
    assert "5 record(s) are not verified yet" in refusal.value.message
    assert compilation_state() == before
    assert ProvinceListEvent.objects.count() == 0


def test_the_chief_submits_a_fully_verified_list_and_the_step_is_recorded(
    all_verified, verifier, phnom_penh
):
    compilation = services.province_list_submit(province=phnom_penh, actor=verifier)

    assert compilation.status == Status.SUBMITTED
    assert compilation.submitted_by == verifier
    event = ProvinceListEvent.objects.get()
    assert (event.kind, event.actor, event.from_status, event.to_status) == (
        "submitted", verifier, "in_progress", "submitted",
    )  # fmt: skip


def test_only_the_chief_of_the_province_may_submit(
    all_verified, other_verifier, officer, phnom_penh
):
    with pytest.raises(Http404):  # another province's chief: out of their scope
        services.province_list_submit(province=phnom_penh, actor=other_verifier)
    with pytest.raises(PermissionDenied):  # the province's officer: not the chief
        services.province_list_submit(province=phnom_penh, actor=officer)

    assert compilation_state() == (None,)


def test_hq_signs_off_a_submitted_list_and_the_province_is_finished(
    all_verified, verifier, director, phnom_penh
):
    services.province_list_submit(province=phnom_penh, actor=verifier)
    services.province_list_start_review(province=phnom_penh, actor=director)

    compilation = services.province_list_sign_off(province=phnom_penh, actor=director)

    assert compilation.status == Status.FINISHED
    assert compilation.signed_off_by == director
    assert compilation.override_reason == ""
    kinds = list(ProvinceListEvent.objects.order_by("id").values_list("kind", flat=True))
    assert kinds == ["submitted", "review_started", "signed_off"]


def test_hq_cannot_sign_off_a_list_with_unverified_records_without_a_reason(
    seeded, director, phnom_penh
):
    ProvinceCompilation.objects.create(province=phnom_penh, status=Status.SUBMITTED)
    before = compilation_state()

    with pytest.raises(services.ProvinceListError) as refusal:
        services.province_list_sign_off(province=phnom_penh, actor=director)

    assert "5 record(s) are not verified yet" in refusal.value.message
    assert compilation_state() == before
    assert ProvinceListEvent.objects.count() == 0


def test_hq_can_override_with_a_recorded_reason(seeded, director, phnom_penh):
    compilation = services.province_list_sign_off(
        province=phnom_penh, actor=director, override_reason="  Deadline; rest follows in January "
    )

    assert compilation.status == Status.FINISHED
    assert compilation.override_reason == "Deadline; rest follows in January"
    event = ProvinceListEvent.objects.get()
    assert (event.kind, event.reason, event.from_status, event.details) == (
        "signed_off_override", "Deadline; rest follows in January", "in_progress",
        {"pending_records": 5},
    )  # fmt: skip


def test_a_list_not_submitted_needs_an_override_even_when_all_is_verified(
    all_verified, director, phnom_penh
):
    with pytest.raises(services.ProvinceListError) as refusal:
        services.province_list_sign_off(province=phnom_penh, actor=director)

    assert "has not submitted it" in refusal.value.message
    assert compilation_state() == (None,)


def test_hq_returns_a_list_with_a_reason_and_the_chief_can_submit_again(
    all_verified, verifier, director, phnom_penh
):
    services.province_list_submit(province=phnom_penh, actor=verifier)

    services.province_list_return(
        province=phnom_penh, actor=director, reason="Count Khan Daun Penh"
    )

    assert compilation_state() == (
        "returned",
        verifier.pk,
        None,
        director.pk,
        "Count Khan Daun Penh",
    )
    services.province_list_submit(province=phnom_penh, actor=verifier)
    assert compilation_state()[0] == "submitted"
    kinds = list(ProvinceListEvent.objects.order_by("id").values_list("kind", "reason"))
    assert kinds == [("submitted", ""), ("returned", "Count Khan Daun Penh"), ("submitted", "")]


def test_a_return_without_a_reason_is_refused_and_nothing_changes(
    all_verified, verifier, director, phnom_penh
):
    services.province_list_submit(province=phnom_penh, actor=verifier)
    before = compilation_state()

    with pytest.raises(services.ProvinceListError):
        services.province_list_return(province=phnom_penh, actor=director, reason="   ")

    assert compilation_state() == before
    assert ProvinceListEvent.objects.count() == 1


def test_a_list_in_progress_cannot_be_returned(director, phnom_penh):
    with pytest.raises(services.ProvinceListError):
        services.province_list_return(province=phnom_penh, actor=director, reason="Why")

    assert compilation_state() == (None,)


def test_a_signed_off_list_cannot_be_signed_off_twice(seeded, director, phnom_penh):
    services.province_list_sign_off(province=phnom_penh, actor=director, override_reason="x")

    with pytest.raises(services.ProvinceListError):
        services.province_list_sign_off(province=phnom_penh, actor=director, override_reason="y")

    assert ProvinceListEvent.objects.count() == 1


def test_only_a_director_decides_on_a_list(seeded, verifier, administrator, phnom_penh):
    for actor in (verifier, administrator):
        with pytest.raises(PermissionDenied):
            services.province_list_sign_off(province=phnom_penh, actor=actor, override_reason="x")
        with pytest.raises(PermissionDenied):
            services.province_estimate_set(province=phnom_penh, estimated_residents=5, actor=actor)

    assert compilation_state() == (None,)


def test_the_estimate_is_set_by_hq_and_the_old_value_recorded(director, phnom_penh):
    services.province_estimate_set(province=phnom_penh, estimated_residents=40_000, actor=director)
    services.province_estimate_set(province=phnom_penh, estimated_residents=42_500, actor=director)

    assert ProvinceCompilation.objects.get(province=phnom_penh).estimated_residents == 42_500
    details = list(ProvinceListEvent.objects.order_by("id").values_list("details", flat=True))
    assert details == [{"from": 0, "to": 40_000}, {"from": 40_000, "to": 42_500}]
