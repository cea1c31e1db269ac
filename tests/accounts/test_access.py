"""The access policy: the capability table, the scope rule, and their order (404 before 403)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import Http404

from accounts import access
from accounts.access import Capability
from residents.models import Resident
from tests.factories import ResidentFactory

pytestmark = pytest.mark.django_db


def test_every_capability_has_its_roles_and_names_only_real_roles():
    from accounts.models import User

    assert set(access.ROLES) == set(Capability)
    assert all(roles <= set(User.Role.values) for roles in access.ROLES.values())


def test_a_provincial_user_sees_only_their_province_a_national_user_every_one(
    officer, other_officer, director
):
    mine = ResidentFactory(province_id="12")
    theirs = ResidentFactory(province_id="17")
    every = Resident.objects.all()

    assert list(access.scope(every, officer)) == [mine]
    assert list(access.scope(every, other_officer)) == [theirs]
    assert set(access.scope(every, director)) == {mine, theirs}
    assert not access.scope(every, AnonymousUser()).exists()


def test_another_provinces_record_is_not_found_before_any_role_check(officer, other_officer):
    theirs = ResidentFactory(province_id="17")

    with pytest.raises(Http404):
        access.get_in_scope(Resident.objects.all(), officer, pk=theirs.pk)
    assert access.get_in_scope(Resident.objects.all(), other_officer, pk=theirs.pk) == theirs


def test_a_capability_is_refused_to_other_roles_and_to_inactive_users(officer, verifier):
    access.require(officer, Capability.RESIDENT_WRITE)
    with pytest.raises(PermissionDenied):
        access.require(verifier, Capability.RESIDENT_WRITE)
    officer.is_active = False
    assert not access.can(officer, Capability.RESIDENT_WRITE)
    assert not access.can(AnonymousUser(), Capability.RESIDENT_READ)
