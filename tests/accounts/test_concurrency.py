"""One recovery code, two sign-ins at the same moment, on the real PostgreSQL with threads."""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from django_otp.plugins.otp_static.models import StaticToken

from accounts import otp, services

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_recovery_code_used_twice_at_once_signs_in_only_once(director):
    otp.ensure_confirmed_device(director)
    code = services.recovery_codes_generate(user=director)[0]
    barrier = threading.Barrier(2)
    results: list[bool] = []
    errors: list[BaseException] = []

    def use() -> None:
        try:
            barrier.wait()
            results.append(services.recovery_code_use(user=director, code=code) is not None)
        except BaseException as error:  # reported by the test, not lost in the thread
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=use) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert sorted(results) == [False, True]
    assert not StaticToken.objects.filter(token=code).exists()
    assert StaticToken.objects.filter(device__user=director).count() == 9


def test_the_last_two_administrators_deactivating_each_other_at_once_leave_one(administrator, geo):
    from accounts.models import User
    from tests.factories import UserFactory

    other = UserFactory(username="admin2", role=User.Role.ADMIN, province=None)
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []
    refused: list[str] = []

    def deactivate(actor: User, user: User) -> None:
        try:
            barrier.wait()
            services.user_deactivate(actor=actor, user=user)
        except services.AccountsError as error:
            refused.append(str(error))
        except BaseException as error:  # reported by the test, not lost in the thread
            errors.append(error)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=deactivate, args=(administrator, other)),
        threading.Thread(target=deactivate, args=(other, administrator)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert refused == ["This is the last active administrator: appoint another one first."]
    assert User.objects.filter(role=User.Role.ADMIN, is_active=True).count() == 1
