"""The values real provincial lists contain, parsed into clean ones (or a named reason)."""

from __future__ import annotations

import datetime as dt

import pytest

from imports import columns, values

TODAY = dt.date(2026, 11, 26)


@pytest.mark.parametrize(
    "raw",
    [
        "17/05/1980",
        "17-05-1980",
        "1980-05-17",
        " 17/05/1980 ",
        "17.05.1980",
        "1980/05/17",
        "1980-5-17",
        "17/5/1980",
        "17\u200b/05/1980",  # a zero-width space pasted from a web page
        dt.datetime(1980, 5, 17, 0, 0),
        dt.date(1980, 5, 17),
        29358,  # Excel's serial number of 17 May 1980
        29358.0,
        "29358",
        "1980-05-17 00:00:00",
    ],
)
def test_dates_are_read_in_every_form_the_lists_use(raw):
    assert values.date(raw, today=TODAY) == dt.date(1980, 5, 17)


@pytest.mark.parametrize(
    ("raw", "code"),
    [("31/02/1980", "bad_date"), ("May 1980", "bad_date"), ("01/01/2027", "future_date"),
     ("01/01/1890", "too_old"), ("05/17/1980", "bad_date"), ("17/05-1980", "bad_date"),
     ("17/05/80", "bad_date"), ("1980.05.17", "bad_date"), ("00/05/1980", "bad_date")],
)  # fmt: skip
def test_impossible_or_future_dates_are_refused_with_their_reason(raw, code):
    with pytest.raises(values.Bad) as refused:
        values.date(raw, today=TODAY)

    assert refused.value.code == code


def test_a_passport_may_expire_in_the_future():
    assert values.date("01/01/2030", today=TODAY, past=False) == dt.date(2030, 1, 1)


@pytest.mark.parametrize(
    ("raw", "code"),
    [("China", "CN"), ("chinese", "CN"), ("CN", "CN"), ("chn", "CN"), ("ចិន", "CN"),
     ("ជនជាតិចិន", "CN"), ("Vietnamese", "VN"), ("Viet Nam", "VN"), ("វៀតណាម", "VN"),
     ("South Korean", "KR"), ("Korea", "KR"), ("United States of America", "US"),
     ("American", "US"), ("France", "FR"), ("Thai", "TH"), ("ថៃ", "TH"), ("Lao", "LA")],
)  # fmt: skip
def test_nationality_is_a_country_name_a_demonym_an_iso_code_or_khmer(raw, code):
    assert values.nationality(raw) == code


def test_an_unknown_nationality_and_a_cambodian_are_refused():
    with pytest.raises(values.Bad) as unknown:
        values.nationality("Martian")
    with pytest.raises(values.Bad) as cambodian:
        values.nationality("ខ្មែរ")

    assert (unknown.value.code, cambodian.value.code) == ("bad_country", "cambodian")


@pytest.mark.parametrize(
    ("raw", "number"),
    [("E12345678", "E12345678"), ("e 1234 5678", "E12345678"), ("E-123-456-78", "E12345678"),
     (" g1234567 ", "G1234567")],
)  # fmt: skip
def test_passport_numbers_lose_spaces_dashes_and_case(raw, number):
    assert values.passport_number(raw) == number


@pytest.mark.parametrize("raw", ["123", "ABC!!!", "E" * 25])
def test_a_passport_number_that_cannot_be_one_is_refused(raw):
    with pytest.raises(values.Bad) as refused:
        values.passport_number(raw)

    assert refused.value.code == "bad_passport"


def test_names_lose_stray_spaces_and_are_upper_case_as_in_the_passport():
    assert values.surname(values.text("  wang \u200b ")) == "WANG"
    assert values.given_names(values.text(" xiao   li ")) == "XIAO LI"


@pytest.mark.parametrize(
    ("raw", "sex"), [("M", "M"), ("male", "M"), ("ប្រុស", "M"), ("f", "F"), ("ស្រី", "F")]
)
def test_sex_is_read_in_english_or_khmer(raw, sex):
    assert values.sex(raw) == sex


@pytest.mark.parametrize(
    ("raw", "code"),
    [("12", "12"), ("Phnom Penh", "12"), ("រាជធានីភ្នំពេញ", "12"), ("ភ្នំពេញ", "12"),
     ("Siem Reap", "17"), ("Siem Reap Province", "17"), ("ខេត្តសៀមរាប", "17")],
)  # fmt: skip
def test_provinces_are_found_by_code_english_or_khmer_name(raw, code):
    assert values.province_code(raw) == code


@pytest.mark.parametrize(
    "raw", ["1201", "Chamkar Mon", "chamkar  mon", "Khan Chamkar Mon", "ចំការមន", "ខណ្ឌចំការមន"]
)
def test_districts_are_found_by_code_english_or_khmer_name(raw):
    assert values.district_code(raw, province="12", province_name="Phnom Penh") == "1201"


@pytest.mark.parametrize("raw", ["120101", "Tonle Basak", "Sangkat Tonle Basak", "ទន្លេបាសាក់"])
def test_communes_are_found_by_code_english_or_khmer_name(raw):
    assert values.commune_code(raw, district="1201", district_name="Chamkar Mon") == "120101"


def test_a_district_of_another_province_is_unknown_in_this_one():
    with pytest.raises(values.Bad) as refused:
        values.district_code("Angkor Thum", province="12", province_name="Phnom Penh")

    assert (refused.value.code, refused.value.params) == (
        "bad_district",
        {"province": "Phnom Penh", "suggestions": "Dangkao (1205)"},
    )


@pytest.mark.parametrize(
    ("header", "key"),
    [("Surname", "surname"), ("surname", "surname"), ("នាមត្រកូល", "surname"),
     ("Surname / នាមត្រកូល", "surname"), ("SURNAME *", "surname"), ("Last name", "surname"),
     ("ថ្ងៃខែឆ្នាំកំណើត", "date_of_birth"), ("Passport No.", "passport_number"),
     ("ឃុំ/សង្កាត់", "commune"), ("Favourite colour", None)],
)  # fmt: skip
def test_headers_are_recognised_in_english_or_khmer(header, key):
    assert columns.column_for(header) == key


@pytest.mark.parametrize(
    ("raw", "code"),
    [("Korea, Republic of", "KR"), ("Republic of Korea", "KR"), ("Korea (the Republic of)", "KR"),
     ("KOR", "KR"), ("kr", "KR"), ("Korea, Democratic People's Republic of", "KP"),
     ("North Korea", "KP"), ("People's Republic of China", "CN"),
     ("China, People's Republic of", "CN"),
     ("PRC", "CN"), ("中国", "CN"), ("Chine", "CN"), ("Socialist Republic of Viet Nam", "VN"),
     ("Vietnam", "VN"), ("VNM", "VN"), ("Lao People's Democratic Republic", "LA"), ("Laos", "LA"),
     ("Lao PDR", "LA"), ("Myanmar", "MM"), ("Burma", "MM"), ("Burmese", "MM"),
     ("Kingdom of Thailand", "TH"), ("Thailand", "TH"), ("Iran (Islamic Republic of)", "IR"),
     ("Islamic Republic of Iran", "IR"), ("Russian Federation", "RU"), ("Russian", "RU"),
     ("Taiwan, Province of China", "TW"), ("Taiwanese", "TW"), ("Hong Kong SAR China", "HK"),
     ("U.S.A.", "US"), ("United States", "US"), ("British", "GB"),
     ("United Kingdom of Great Britain and Northern Ireland", "GB"), ("Filipino", "PH"),
     ("Republic of the Philippines", "PH"), ("Japanese", "JP"), ("French", "FR"), ("German", "DE"),
     ("Malaysian", "MY"), ("Indonesian", "ID"), ("Singaporean", "SG"), ("Portuguese", "PT"),
     ("Türkiye", "TR"), ("Turkey", "TR"), ("Côte d’Ivoire", "CI"), ("cote d'ivoire", "CI"),
     ("Nepali", "NP"), ("Congo", "CG"),
     ("កូរ៉េខាងត្បូង", "KR"), ("កូរ៉េ ខាង ត្បូង", "KR"), ("សហរដ្ឋអាមេរិក", "US"),
     ("ប្រទេសជប៉ុន", "JP"), ("ជនជាតិវៀតណាម", "VN"), ("ហ្វ៊ីលីពីន", "PH"), ("ឡាវ", "LA"),
     ("ចក្រភពអង់គ្លេស", "GB"), ("ឥណ្ឌា", "IN")],
)  # fmt: skip
def test_every_usual_way_of_writing_a_country_is_read(raw, code):
    assert values.country(raw) == code


@pytest.mark.parametrize(
    ("raw", "suggestions"),
    [("Chinaa", "China (CN), Canada (CA), Czechia (CZ)"), ("Vietnamm", "Vietnam (VN)"),
     ("ចិនា", "China (CN)")],
)  # fmt: skip
def test_an_unknown_country_is_refused_with_the_closest_ones(raw, suggestions):
    with pytest.raises(values.Bad) as refused:
        values.country(raw)

    assert (refused.value.code, refused.value.params) == (
        "bad_country",
        {"suggestions": suggestions},
    )


def test_a_value_like_no_country_is_refused_without_suggestions():
    with pytest.raises(values.Bad) as refused:
        values.country("12345")

    assert (refused.value.code, refused.value.params) == ("bad_country", {})


@pytest.mark.parametrize(
    ("raw", "day"),
    [("១៧/០៥/១៩៨០", dt.date(1980, 5, 17)), ("១៩៨០-០៥-១៧", dt.date(1980, 5, 17)),
     ("១៧-៥-១៩៨០", dt.date(1980, 5, 17)), ("២៩៣៥៨", dt.date(1980, 5, 17))],
)  # fmt: skip
def test_dates_written_in_khmer_digits_are_read(raw, day):
    assert values.date(raw, today=TODAY) == day


def test_khmer_digits_in_numbers_and_codes_are_ascii_digits():
    assert values.text("០១២ ៣៤៥ ៦៧៨៩") == "012 345 6789"
    assert values.passport_number(values.text("E១២៣៤៥៦៧៨")) == "E12345678"
    assert values.district_code(values.text("១២០១"), province="12", province_name="") == "1201"


@pytest.mark.parametrize("raw", ['"', "〃", "ditto", "Same as above", "ដដែល", "-do-"])
def test_same_as_above_is_recognised_so_it_is_never_read_as_a_value(raw):
    assert values.is_ditto(values.text(raw))
