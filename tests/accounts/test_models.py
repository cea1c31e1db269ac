from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from accounts.models import User
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("role", [User.Role.OFFICER, User.Role.VERIFIER])
def test_provincial_user_without_province_is_refused_by_the_database(geo, role):
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(username="nobody", role=role, province=None)

    assert not User.objects.filter(username="nobody").exists()


@pytest.mark.parametrize("role", [User.Role.DIRECTOR, User.Role.ADMIN])
def test_national_user_with_province_is_refused_by_the_database(geo, role):
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(username="nobody", role=role, province_id="12")

    assert not User.objects.filter(username="nobody").exists()


def test_clerk_may_be_national_or_provincial(geo):
    national = UserFactory(username="clerk_hq", role=User.Role.CLERK, province=None)
    provincial = UserFactory(username="clerk_pp", role=User.Role.CLERK, province_id="12")

    assert (national.is_national, provincial.is_provincial) == (True, True)


def test_model_validation_names_the_province_field(geo):
    user = User(username="x", role=User.Role.OFFICER)

    with pytest.raises(ValidationError) as excinfo:
        user.full_clean()

    assert excinfo.value.message_dict["province"] == ["A provincial user needs a province."]


def test_national_user_validation_refuses_a_province(geo):
    user = User(username="x", role=User.Role.DIRECTOR, province_id="12", password="x")

    with pytest.raises(ValidationError) as excinfo:
        user.full_clean()

    assert excinfo.value.message_dict["province"] == ["A national user has no province."]


def test_passwords_are_hashed_with_argon2_in_production_settings():
    from gdi_ims.settings import base

    assert base.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"


def test_short_passwords_are_refused(geo):
    from django.contrib.auth.password_validation import validate_password

    with pytest.raises(ValidationError) as excinfo:
        validate_password("Short-pw-11")

    assert any("at least 12 characters" in m for m in excinfo.value.messages)
