"""The register's export streamed: every column right, one statement, memory of one chunk."""

from __future__ import annotations

import datetime as dt
import gc
import tracemalloc

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from imports import selectors
from imports.models import ExportLog
from residents.models import Declaration, Resident, TravelDocument
from tests.factories import DeclarationFactory, ResidentFactory
from tests.imports.conftest import read_csv_response

pytestmark = pytest.mark.django_db


def _copies_of(resident: Resident, count: int) -> None:
    """`count` more residents like `resident`, inserted by the database (fast, no documents)."""
    columns = [
        f.column for f in Resident._meta.concrete_fields if not f.primary_key
    ]  # every column but the id
    names = ", ".join(columns)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO residents_resident ({names}) SELECT {names} "  # noqa: S608 (model columns)
            "FROM residents_resident, generate_series(1, %s) WHERE id = %s",
            [count, resident.pk],
        )


def test_the_csv_export_is_streamed_with_every_column_of_the_current_passport_and_declaration(
    officer_client, geo
):
    resident = ResidentFactory(surname="NGUYEN", given_names="VAN AN", nationality="VN",
                               arrival_date=dt.date(2019, 3, 1), phone="012345678")  # fmt: skip
    old = TravelDocument(resident=resident, issuing_country="VN", is_current=False)
    old.set_number("B1111111")
    old.save()
    current = TravelDocument(
        resident=resident,
        issuing_country="VN",
        issue_date=dt.date(2021, 2, 28),
        expiry_date=dt.date(2031, 2, 27),
    )
    current.set_number("C7654321")
    current.save()
    DeclarationFactory(
        resident=resident, status=Declaration.Status.RETURNED, status_reason="Blurred photo"
    )
    latest = DeclarationFactory(
        resident=resident, status=Declaration.Status.SUBMITTED, declared_on=dt.date(2026, 11, 2)
    )

    response = officer_client.get(reverse("imports:export-download"), {"format": "csv"})

    assert response.streaming
    rows = read_csv_response(b"".join(response.streaming_content))
    row = rows[1]
    assert len(rows) == 2
    assert len(row) == len(rows[0]) == 25
    assert row[0:2] == ["NGUYEN", "VAN AN"]
    assert (row[5], row[7]) == ("17/05/1980", "VN")
    assert row[8:12] == ["C7654321", "VN", "28/02/2021", "27/02/2031"]
    assert (row[12], row[13]) == ("01/03/2019", "012345678")
    assert row[16:19] == [resident.address_province_id, resident.address_district_id,
                          resident.address_commune_id]  # fmt: skip
    assert row[21:25] == [latest.basis.code, "02/11/2026", "submitted", str(resident.pk)]


def test_a_resident_without_passport_or_declaration_is_exported_with_empty_cells(
    officer_client, geo
):
    ResidentFactory(surname="ALONE")

    response = officer_client.get(reverse("imports:export-download"), {"format": "csv"})

    row = read_csv_response(b"".join(response.streaming_content))[1]
    assert row[0] == "ALONE"
    assert row[8:12] == ["", "", "", ""]
    assert row[21:24] == ["", "", ""]


def test_the_export_makes_the_same_queries_for_3_residents_as_for_30(officer_client, geo):
    def export() -> None:
        response = officer_client.get(reverse("imports:export-download"), {"format": "csv"})
        b"".join(response.streaming_content)

    for _n in range(3):
        DeclarationFactory(resident=ResidentFactory())
    export()  # the first request of a session makes a few queries of its own
    with CaptureQueriesContext(connection) as three:
        export()
    for _n in range(27):
        DeclarationFactory(resident=ResidentFactory())

    with CaptureQueriesContext(connection) as thirty:
        export()

    assert len(thirty) == len(three)
    assert sum("COPY (" in q["sql"] for q in thirty.captured_queries) == 1
    assert ExportLog.objects.order_by("-id").first().row_count == 30


def test_the_csv_export_holds_a_chunk_or_two_in_memory_however_many_rows(officer_client, geo):
    def peak_while_streaming() -> tuple[int, int]:
        response = officer_client.get(reverse("imports:export-download"), {"format": "csv"})
        gc.collect()
        tracemalloc.start()
        lines = 0
        for part in response.streaming_content:
            lines += part.count(b"\n")
            del part
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        return lines - 1, peak

    first = ResidentFactory(surname="COPY")
    _copies_of(first, selectors.EXPORT_CHUNK_ROWS - 1)
    one_chunk_rows, one_chunk_peak = peak_while_streaming()
    _copies_of(first, 9 * selectors.EXPORT_CHUNK_ROWS)

    ten_chunks_rows, ten_chunks_peak = peak_while_streaming()

    assert (one_chunk_rows, ten_chunks_rows) == (2_000, 20_000)
    # At most the chunk being written and the next one being read; built in memory, ten times
    # the rows would take ten times the memory.
    assert ten_chunks_peak < 2 * one_chunk_peak, (one_chunk_peak, ten_chunks_peak)
