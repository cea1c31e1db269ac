"""The references to the small tables, checked once per statement (residents' migration 0020).

A resident's province, commune and maker, a declaration's basis and maker, and a batch's row
links hold what a foreign key would: no row refers to a key that does not exist, and a referenced
key never goes (deleted, changed or emptied), whoever writes the SQL.
"""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction

from accounts.models import User
from imports.models import ImportBatch, ImportedResident
from provinces.models import Commune
from residents.models import Declaration, Resident
from tests.residents.conftest import make_resident


def _execute(sql: str, params: list[object] | None = None) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


def test_a_resident_entered_by_a_user_who_does_not_exist_is_refused(officer):
    resident = make_resident(maker=officer)

    with pytest.raises(IntegrityError, match=r"Key \(created_by_id\)=\(987654\) is not present"):
        _execute(
            "UPDATE residents_resident SET created_by_id = 987654 WHERE id = %s", [resident.pk]
        )

    assert Resident.objects.get().created_by_id == officer.pk


def test_a_resident_copied_into_a_commune_that_does_not_exist_is_refused(officer):
    resident = make_resident(maker=officer)
    columns = ", ".join(
        f.column
        for f in Resident._meta.concrete_fields
        if f.column not in ("id", "address_commune_id")
    )

    # 120199 nests in district 1201 (the address check passes) but is no commune.
    with pytest.raises(IntegrityError, match=r"Key \(address_commune_id\)=\(120199\) is not"):
        _execute(
            f"INSERT INTO residents_resident (address_commune_id, {columns}) "  # noqa: S608
            f"SELECT '120199', {columns} FROM residents_resident WHERE id = %s",
            [resident.pk],
        )

    assert list(Resident.objects.values_list("pk", flat=True)) == [resident.pk]


def test_a_declaration_of_a_basis_that_does_not_exist_is_refused(officer):
    declaration = make_resident(maker=officer).declarations.get()

    with pytest.raises(IntegrityError, match=r"Key \(basis_id\)=\(987654\) is not present"):
        _execute(
            "UPDATE residents_declaration SET basis_id = 987654 WHERE id = %s", [declaration.pk]
        )

    assert Declaration.objects.get().basis_id == declaration.basis_id


def test_a_user_who_entered_a_resident_cannot_be_deleted(officer, officer2):
    make_resident(maker=officer)

    with pytest.raises(IntegrityError, match="is still referenced from table"):
        _execute("DELETE FROM accounts_user WHERE id IN (%s, %s)", [officer.pk, officer2.pk])

    assert set(User.objects.values_list("pk", flat=True)) >= {officer.pk, officer2.pk}


def test_a_user_nobody_refers_to_can_be_deleted_and_updated(officer, officer2):
    make_resident(maker=officer)

    _execute("UPDATE accounts_user SET last_name = 'Sok' WHERE id = %s", [officer.pk])
    _execute("DELETE FROM accounts_user WHERE id = %s", [officer2.pk])

    assert not User.objects.filter(pk=officer2.pk).exists()
    assert User.objects.get(pk=officer.pk).last_name == "Sok"


def test_the_code_of_a_commune_someone_lives_in_cannot_change(officer):
    resident = make_resident(maker=officer)
    code = resident.address_commune_id

    with pytest.raises(IntegrityError, match="is still referenced from table"):
        _execute("UPDATE provinces_commune SET code = '120199' WHERE code = %s", [code])

    assert Commune.objects.filter(code=code).exists()


def test_the_users_table_cannot_be_emptied_under_the_residents_they_entered(officer):
    make_resident(maker=officer)

    with pytest.raises(IntegrityError, match="is still referenced from table"):
        # (TRUNCATE refuses to run over the test's own deferred checks: they run first.)
        _execute("SET CONSTRAINTS ALL IMMEDIATE; TRUNCATE accounts_user CASCADE")

    assert User.objects.filter(pk=officer.pk).exists()


@pytest.mark.django_db(transaction=True)
def test_under_repeatable_read_a_referenced_table_keeps_its_keys(officer, officer2):
    # A snapshot would not see a reference inserted meanwhile: its keys go only in READ COMMITTED.
    with (
        pytest.raises(IntegrityError, match="only in READ COMMITTED transactions"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        cursor.execute("DELETE FROM accounts_user WHERE id = %s", [officer2.pk])

    assert User.objects.filter(pk=officer2.pk).exists()


def test_a_row_link_to_a_batch_that_does_not_exist_is_refused(officer):
    resident = make_resident(maker=officer)

    with pytest.raises(IntegrityError, match=r"Key \(batch_id\)=\(987654\) is not present"):
        _execute(
            "INSERT INTO imports_importedresident (batch_id, row_number, resident_id) "
            "VALUES (987654, 2, %s)",
            [resident.pk],
        )

    assert not ImportedResident.objects.exists()
    assert not ImportBatch.objects.exists()
