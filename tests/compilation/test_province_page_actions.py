"""The director's actions on a province page follow the list's status (the transition table)."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from compilation.models import ProvinceCompilation

pytestmark = pytest.mark.django_db

Status = ProvinceCompilation.Status
ACTIONS = ("review", "sign-off", "return", "reopen")


def shown_actions(client) -> set[str]:
    body = client.get(reverse("provinces:detail", args=["12"])).content.decode()
    return {a for a in ACTIONS if f'action="{reverse(f"provinces:{a}", args=["12"])}"' in body}


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (Status.IN_PROGRESS, {"sign-off"}),
        (Status.SUBMITTED, {"review", "sign-off", "return"}),
        (Status.UNDER_REVIEW, {"sign-off", "return"}),
        (Status.RETURNED, {"sign-off"}),
        (Status.FINISHED, {"reopen"}),
        (Status.REOPENED, {"sign-off"}),
    ],
)
def test_the_director_is_offered_only_the_moves_the_lists_status_allows(
    director_client, geo, status, expected
):
    ProvinceCompilation.objects.create(
        province_id="12",
        status=status,
        signed_off_at=timezone.now() if status == Status.FINISHED else None,
        return_reason="Unreadable copies" if status == Status.RETURNED else "",
        reopen_reason="A family was missed" if status == Status.REOPENED else "",
    )

    assert shown_actions(director_client) == expected


def test_only_a_signed_off_list_says_it_is_held(director_client, verifier_client, geo):
    compilation = ProvinceCompilation.objects.create(province_id="12", status=Status.SUBMITTED)
    page = reverse("provinces:detail", args=["12"])
    assert 'data-testid="list-held"' not in director_client.get(page).content.decode()

    ProvinceCompilation.objects.filter(pk=compilation.pk).update(
        status=Status.FINISHED, signed_off_at=timezone.now()
    )

    for client in (director_client, verifier_client):
        body = client.get(page).content.decode()
        assert 'data-testid="list-held"' in body
        assert not shown_actions(verifier_client)
