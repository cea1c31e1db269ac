"""The card's TD1 machine-readable zone, read back from the PDF by an independent parser."""

from __future__ import annotations

import datetime as dt
import re
import subprocess

import pytest
from mrz.checker.td1 import TD1CodeChecker

from cards import mrz, pdf
from cards.models import ResidenceCard

pytestmark = pytest.mark.django_db

MRZ_LINE = re.compile(r"^[A-Z0-9<]{30}$")


def zone_on_back(content: bytes) -> str:
    """The three 30-character lines printed on the card's back, as pdftotext reads them."""
    text = subprocess.run(
        ["pdftotext", "-f", "2", "-l", "2", "-layout", "-", "-"],
        input=content, capture_output=True, check=True,
    ).stdout.decode()  # fmt: skip
    lines = [line.strip().replace(" ", "") for line in text.splitlines()]
    return "\n".join(line for line in lines if MRZ_LINE.match(line))


def test_the_zone_on_a_card_reads_back_with_every_field_and_check_digit(issue):
    card = issue(
        surname="WANG", given_names="XIAO LI", nationality="CN", sex="F",
        date_of_birth=dt.date(1980, 5, 17), issue_date=dt.date(2026, 11, 26),
    )  # fmt: skip

    zone = zone_on_back(pdf.render_card(card))

    checker = TD1CodeChecker(zone)
    assert bool(checker) is True
    assert checker.report.falses == []
    fields = checker.fields()
    province, serial = card.number.split("-")[1:3]
    assert fields.document_type == "IR"
    assert fields.country == "KHM"
    assert fields.document_number == province + serial
    assert fields.birth_date == "800517"
    assert fields.sex == "F"
    assert fields.expiry_date == "281125"
    assert card.expiry_date == dt.date(2028, 11, 25)
    assert fields.nationality == "CHN"
    assert (fields.surname, fields.name) == ("WANG", "XIAO LI")
    assert (fields.optional_data, fields.optional_data_2) == ("", "")
    lines = zone.splitlines()
    assert [len(line) for line in lines] == [30, 30, 30]
    # Every check digit, computed here by the parser's own rule and compared with the printed one.
    assert lines[0][14] == fields.document_number_hash == mrz.check_digit(province + serial)
    assert lines[1][6] == fields.birth_date_hash == "1"
    assert lines[1][14] == fields.expiry_date_hash == "7"
    assert lines[1][29] == fields.final_hash


def test_the_zone_spells_an_accented_hyphenated_name_in_mrz_letters_and_marks_no_sex(issue):
    card = issue(
        surname="MÜLLER-LÜDENSCHEIDT", given_names="JOSÉ O'BRIEN", nationality="DE", sex="X",
        status=ResidenceCard.Status.ACTIVE,
    )  # fmt: skip

    zone = zone_on_back(pdf.render_card(card))

    checker = TD1CodeChecker(zone)
    assert bool(checker) is True
    assert zone.splitlines()[2] == "MUELLER<LUEDENSCHEIDT<<JOSE<OB"
    assert checker.fields().sex == "<"
    # ICAO's code for Germany is "D", not ISO's "DEU".
    assert zone.splitlines()[1][15:18] == "D<<"
    assert checker.fields().nationality == "D"


def test_icao_check_digits_of_the_worked_examples():
    assert mrz.check_digit("D23145890") == "7"
    assert mrz.check_digit("740812") == "2"
    assert mrz.check_digit("120415") == "9"
    assert mrz.check_digit("L898902C<") == "3"


@pytest.mark.parametrize(
    ("surname", "given_names", "field"),
    [
        ("WANG", "", "WANG" + "<" * 26),
        ("NGUYỄN", "THỊ MINH", "NGUYEN<<THI<MINH" + "<" * 14),
        ("STRAẞE", "ÆSA ØRN", "STRASSE<<AESA<OERN" + "<" * 12),
        ("D'ARTAGNAN", "JEAN-LUC", "DARTAGNAN<<JEAN<LUC" + "<" * 11),
        # Cut at 30: the given names lose their end, mid-name where the cut falls in one...
        ("ABCDEFGHIJKLMNOPQRSTUVWXY", "ZED AMY", "ABCDEFGHIJKLMNOPQRSTUVWXY<<ZED"),
        ("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "BOB JIM", "ABCDEFGHIJKLMNOPQRSTUVWXYZ<<BO"),
        # ... and a whole name where it falls on the filler before it.
        ("ABCDEFGHIJKLMNOPQRSTUVWX", "ABC DEF", "ABCDEFGHIJKLMNOPQRSTUVWX<<ABC<"),
        ("ABCDEFGHIJKLMNOPQRSTUVWXYZABCD", "LI", "ABCDEFGHIJKLMNOPQRSTUVWXYZABCD"),
    ],
)
def test_names_are_transliterated_and_cut_the_icao_way(surname, given_names, field):
    assert mrz.name_field(surname=surname, given_names=given_names) == field
    assert len(field) == 30


@pytest.mark.parametrize(
    ("alpha2", "code"), [("CN", "CHN"), ("KR", "KOR"), ("DE", "D<<"), ("XK", "RKS")]
)
def test_nationalities_take_icao_codes(alpha2, code):
    assert mrz.nationality_code(alpha2) == code


def test_a_name_cut_to_the_filler_between_names_keeps_only_the_surname():
    field = mrz.name_field(surname="A" * 28, given_names="BOB")

    assert field == "A" * 28 + "<<"


def test_a_document_number_past_nine_characters_takes_the_extended_form():
    zone = mrz.td1(
        card_number="PR-12-12345678-0", surname="LI", given_names="", nationality="VN",
        sex="M", date_of_birth=dt.date(1990, 1, 2), expiry_date=dt.date(2030, 3, 4),
    )  # fmt: skip

    line1 = zone.lines[0]
    assert line1[:15] == "IRKHM" + "121234567" + "<"
    assert line1[15:17] == "8" + mrz.check_digit("1212345678")
    assert line1[17:] == "<" * 13
    assert zone.lines[1][15:18] == "VNM"
    composite = line1[5:30] + zone.lines[1][0:7] + zone.lines[1][8:15] + zone.lines[1][18:29]
    assert zone.lines[1][29] == mrz.check_digit(composite)
