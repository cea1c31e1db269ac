"""Synthetic, realistic demo residents: bulk inserts, deterministic, safe to run again.

Resident number i always gets the same person and the same passport number, so a second run finds
the passports already there and inserts only what is missing (`--residents` can grow the set).
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone
from pghistory import models as pghistory_models

from accounts.models import User
from provinces.models import Commune
from residents import rules, services
from residents.history import bulk_history, record_inserts
from residents.models import Declaration, ResidenceBasis, Resident, TravelDocument

CHUNK = 5_000
# Phnom Penh first, then Preah Sihanouk (many Chinese residents), Siem Reap, Kandal...
PROVINCE_WEIGHTS = {
    "12": 40,
    "18": 14,
    "17": 7,
    "08": 5,
    "02": 4,
    "03": 3,
    "09": 3,
    "01": 2,
    "07": 2,
    "21": 2,
    "20": 2,
    "14": 2,
    "05": 1.5,
    "06": 1.5,
    "25": 1.5,
    "04": 1,
    "10": 1,
    "15": 1,
    "22": 1,
    "23": 1,
    "24": 1,
    "16": 1,
    "11": 0.7,
    "13": 0.6,
    "19": 0.6,
}
# The ten provinces whose compilation is finished: nearly everything verified or acknowledged.
FINISHED = {"01", "04", "05", "06", "10", "11", "13", "19", "23", "24"}
NATIONALITY_WEIGHTS = {
    "CN": 42,
    "VN": 25,
    "TH": 8,
    "KR": 7,
    "JP": 5,
    "US": 2,
    "FR": 2,
    "MY": 1.5,
    "RU": 1,
    "GB": 1,
    "AU": 1,
    "PH": 1,
    "IN": 1,
    "TW": 1,
    "LA": 1,
    "DE": 0.5,
}
STATUS_WEIGHTS = {
    "draft": 8,
    "submitted": 30,
    "returned": 6,
    "verified": 30,
    "rejected": 3,
    "acknowledged": 23,
}
FINISHED_STATUS_WEIGHTS = {"verified": 25, "rejected": 4, "acknowledged": 71}
RETURN_REASONS = [
    "The passport copy is unreadable; attach a clearer scan.",
    "The date of first arrival does not match the entry stamp.",
    "The address commune is missing from the supporting documents.",
]
REJECT_REASONS = [
    "The resident left Cambodia in 2019 and has no residence here.",
    "No document supports the declared basis of residence.",
]

CN_SURNAMES = [
    ("WANG", "王"),
    ("LI", "李"),
    ("ZHANG", "张"),
    ("LIU", "刘"),
    ("CHEN", "陈"),
    ("YANG", "杨"),
    ("HUANG", "黄"),
    ("ZHAO", "赵"),
    ("WU", "吴"),
    ("ZHOU", "周"),
    ("XU", "徐"),
    ("SUN", "孙"),
    ("MA", "马"),
    ("ZHU", "朱"),
    ("HU", "胡"),
    ("GUO", "郭"),
    ("HE", "何"),
    ("LIN", "林"),
    ("LUO", "罗"),
    ("GAO", "高"),
]
CN_SYLLABLES = [
    ("WEI", "伟"),
    ("FANG", "芳"),
    ("NA", "娜"),
    ("MIN", "敏"),
    ("JING", "静"),
    ("LEI", "磊"),
    ("QIANG", "强"),
    ("JUN", "军"),
    ("YANG", "洋"),
    ("YONG", "勇"),
    ("YAN", "艳"),
    ("JIE", "杰"),
    ("TAO", "涛"),
    ("MING", "明"),
    ("CHAO", "超"),
    ("XIU", "秀"),
    ("YING", "英"),
    ("HUA", "华"),
    ("PING", "平"),
    ("HONG", "红"),
    ("GANG", "刚"),
    ("BIN", "斌"),
    ("HAO", "浩"),
    ("XIN", "欣"),
    ("YU", "宇"),
    ("ZHI", "志"),
    ("PENG", "鹏"),
    ("DAN", "丹"),
    ("LAN", "兰"),
    ("KAI", "凯"),
]
VN_SURNAMES = [
    "NGUYEN",
    "TRAN",
    "LE",
    "PHAM",
    "HOANG",
    "HUYNH",
    "PHAN",
    "VU",
    "VO",
    "DANG",
    "BUI",
    "DO",
    "HO",
    "NGO",
    "DUONG",
    "LY",
]
VN_MIDDLE = ["VAN", "THI", "DUC", "MINH", "HUU", "THANH", "NGOC", "QUOC"]
VN_GIVEN = [
    "AN",
    "ANH",
    "BINH",
    "CUONG",
    "DUNG",
    "GIANG",
    "HA",
    "HAI",
    "HANH",
    "HIEU",
    "HOA",
    "HUNG",
    "HUONG",
    "KHANH",
    "LAN",
    "LINH",
    "LONG",
    "MAI",
    "NAM",
    "NGA",
    "PHUONG",
    "QUANG",
    "SON",
    "THAO",
    "THUY",
    "TRUNG",
    "TUAN",
    "VIET",
    "XUAN",
]
TH_SURNAMES = [
    "SRISUK",
    "CHAIYAPORN",
    "WONGSAWAT",
    "SAETANG",
    "RATTANAKUL",
    "BOONMA",
    "SUKSAWAT",
    "THONGCHAI",
    "KAEWKLA",
    "PHROMMA",
    "SAELEE",
    "JANTARAT",
]
TH_GIVEN = [
    "SOMCHAI",
    "SOMSAK",
    "NARONG",
    "PRASERT",
    "SUDA",
    "MALEE",
    "WILAI",
    "ANONG",
    "KANYA",
    "PORNTIP",
    "SUPAPORN",
    "KITTI",
]
KR_SURNAMES = [
    ("KIM", "김"),
    ("LEE", "이"),
    ("PARK", "박"),
    ("CHOI", "최"),
    ("JUNG", "정"),
    ("KANG", "강"),
    ("CHO", "조"),
    ("YOON", "윤"),
    ("JANG", "장"),
    ("LIM", "임"),
]
KR_GIVEN = [
    ("MINJUN", "민준"),
    ("SEOYEON", "서연"),
    ("JIHOO", "지후"),
    ("HAYOON", "하윤"),
    ("DOYUN", "도윤"),
    ("SEOJUN", "서준"),
    ("JIWOO", "지우"),
    ("SUBIN", "수빈"),
    ("YEJIN", "예진"),
    ("HYUNWOO", "현우"),
]
JP_SURNAMES = [
    ("SATO", "佐藤"),
    ("SUZUKI", "鈴木"),
    ("TAKAHASHI", "高橋"),
    ("TANAKA", "田中"),
    ("WATANABE", "渡辺"),
    ("ITO", "伊藤"),
    ("YAMAMOTO", "山本"),
    ("NAKAMURA", "中村"),
    ("KOBAYASHI", "小林"),
    ("KATO", "加藤"),
]
JP_GIVEN = [
    ("HIROSHI", "博"),
    ("TAKESHI", "武"),
    ("YUKI", "由紀"),
    ("AKIKO", "明子"),
    ("KENJI", "健二"),
    ("HARUKA", "遥"),
    ("SATOSHI", "聡"),
    ("YUMI", "由美"),
]
OTHER_SURNAMES = [
    "SMITH",
    "JOHNSON",
    "MARTIN",
    "BERNARD",
    "DUBOIS",
    "MUELLER",
    "SCHMIDT",
    "BROWN",
    "WILSON",
    "TAYLOR",
    "IVANOV",
    "PETROV",
    "SANTOS",
    "REYES",
    "KUMAR",
    "SHARMA",
    "TAN",
    "WONG",
    "PHOMMAVONG",
    "ABDULLAH",
]
OTHER_GIVEN = [
    "JOHN",
    "MICHAEL",
    "DAVID",
    "SARAH",
    "EMMA",
    "PIERRE",
    "MARIE",
    "ANNA",
    "IVAN",
    "OLGA",
    "JOSE",
    "MARIA",
    "RAJ",
    "PRIYA",
    "AHMAD",
    "SIEW LING",
    "BOUNMY",
]
# Khmer renderings, used for about a third of the residents whose names have one.
KHMER = {
    "NGUYEN": "ង្វៀន",
    "TRAN": "ត្រឹន",
    "LE": "លេ",
    "PHAM": "ផាម",
    "HOANG": "ហ័ង",
    "VAN": "វ៉ាន់",
    "THI": "ធី",
    "AN": "អាន",
    "ANH": "អាញ",
    "HA": "ហា",
    "HAI": "ហៃ",
    "LAN": "ឡាន",
    "LINH": "លីញ",
    "LONG": "ឡុង",
    "MAI": "ម៉ៃ",
    "NAM": "ណាម",
    "SON": "សឺន",
    "WANG": "វ៉ាង",
    "LI": "លី",
    "ZHANG": "ចាង",
    "CHEN": "ចិន",
    "LIN": "លីន",
    "WEI": "វ៉ី",
    "MING": "មីង",
    "HUA": "ហ្វា",
    "KIM": "គីម",
    "LEE": "លី",
    "PARK": "ផាក",
    "TAN": "តាន់",
    "LIM": "លឹម",
}
PASSPORT_PREFIX = {"CN": "E", "VN": "C", "TH": "AA", "KR": "M", "JP": "TK"}
OCCUPATIONS = [
    "Trader",
    "Restaurant owner",
    "Teacher",
    "Engineer",
    "Farmer",
    "Retired",
    "Shop keeper",
    "Mechanic",
    "Tailor",
    "Company director",
    "",
]


@dataclass
class _Places:
    by_province: dict[str, list[tuple[str, str]]]


def _weighted(weights: Mapping[str, float]) -> tuple[list[str], list[float]]:
    return list(weights), list(weights.values())


def _name(rng: random.Random, nationality: str) -> tuple[str, str, str]:
    """Surname, given names (passport, upper case) and the name in the resident's own script."""
    if nationality in ("CN", "TW"):
        surname, han = rng.choice(CN_SURNAMES)
        parts = rng.sample(CN_SYLLABLES, rng.choice((1, 2, 2)))
        return surname, "".join(p[0] for p in parts), han + "".join(p[1] for p in parts)
    if nationality == "VN":
        given = f"{rng.choice(VN_MIDDLE)} {rng.choice(VN_GIVEN)}"
        return rng.choice(VN_SURNAMES), given, ""
    if nationality == "TH":
        return rng.choice(TH_SURNAMES), rng.choice(TH_GIVEN), ""
    if nationality == "KR":
        (surname, hangul), (given, given_hangul) = rng.choice(KR_SURNAMES), rng.choice(KR_GIVEN)
        return surname, given, hangul + given_hangul
    if nationality == "JP":
        (surname, kanji), (given, given_kanji) = rng.choice(JP_SURNAMES), rng.choice(JP_GIVEN)
        return surname, given, kanji + given_kanji
    return rng.choice(OTHER_SURNAMES), rng.choice(OTHER_GIVEN), ""


def _khmer(surname: str, given: str) -> str:
    words = [surname, *given.split()]
    if all(w in KHMER for w in words):
        return " ".join(KHMER[w] for w in words)
    return ""


def passport_number(i: int, nationality: str) -> str:
    """Unique per resident number i, shaped like the issuing country's numbers."""
    prefix = PASSPORT_PREFIX.get(nationality, "P")
    return f"{prefix}{30_000_000 + i:08d}"


def seed_residents(
    *,
    count: int,
    history: bool = True,
    flag_duplicates: bool = True,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Make sure demo residents 0..count-1 exist; insert the missing ones in bulk; return how many.

    `history=False` skips the pghistory insert triggers (benchmark loads of a million rows).
    """
    users = {u.username: u for u in User.objects.filter(is_active=True)}
    makers = {
        "12": [users.get("officer_pp"), users.get("officer2_pp")],
        "17": [users.get("officer_sr")],
    }
    reviewers = {"12": users.get("verifier_pp"), "17": users.get("verifier_sr")}
    director = users.get("director")
    central = users.get("admin") or director
    if director is None or central is None:
        raise ValueError("seed the demo users first (director and admin are needed)")
    places = _Places(defaultdict(list))
    for code, district, province in Commune.objects.values_list(
        "code", "district_id", "district__province_id"
    ):
        places.by_province[province].append((district, code))
    bases = list(ResidenceBasis.objects.filter(is_active=True).order_by("code"))
    context_id = None
    if history:
        context_id = uuid.uuid4()
        pghistory_models.Context.objects.create(
            id=context_id, metadata={"user": central.pk, "action": "demo.seed"}
        )
    created = 0
    for start in range(0, count, CHUNK):
        indexes = range(start, min(start + CHUNK, count))
        # The row-by-row history triggers cost more than the inserts themselves; the events are
        # written set-based instead, one INSERT ... SELECT per table and chunk.
        with transaction.atomic(), bulk_history():
            created += _seed_chunk(
                indexes, places, bases, makers, reviewers, director, central, flag_duplicates,
                context_id,
            )  # fmt: skip
        if progress:
            progress(min(start + CHUNK, count))
    if created:
        # Fresh statistics: planned on the empty tables' estimates, the first queries over
        # tens of thousands of new rows (cards for a whole province) take minutes, not seconds.
        with connection.cursor() as cursor:
            cursor.execute(
                "ANALYZE residents_resident, residents_declaration, residents_traveldocument"
            )
    return created


def _seed_chunk(
    indexes: range,
    places: _Places,
    bases: list[ResidenceBasis],
    makers: dict[str, list[User | None]],
    reviewers: dict[str, User | None],
    director: User,
    central: User,
    flag_duplicates: bool,
    context_id: uuid.UUID | None,
) -> int:
    provinces, province_weights = _weighted(PROVINCE_WEIGHTS)
    nationalities, nationality_weights = _weighted(NATIONALITY_WEIGHTS)
    people = []
    for i in indexes:
        rng = random.Random(i * 7_919 + 17)  # noqa: S311 - synthetic data, not secrets
        nationality = rng.choices(nationalities, nationality_weights)[0]
        people.append((i, rng, nationality, passport_number(i, nationality)))
    existing = set(
        TravelDocument.objects.filter(
            number_index__in=[TravelDocument.index_of(p[3]) for p in people]
        ).values_list("number_index", flat=True)
    )
    people = [p for p in people if TravelDocument.index_of(p[3]) not in existing]
    if not people:
        return 0
    now = timezone.now()
    residents, documents, declarations = [], [], []
    for _i, rng, nationality, number in people:
        province = rng.choices(provinces, province_weights)[0]
        district, commune = rng.choice(places.by_province[province])
        surname, given, native = _name(rng, nationality)
        khmer = _khmer(surname, given) if rng.random() < 0.35 else ""
        born = dt.date(1940, 1, 1) + dt.timedelta(days=rng.randrange(60 * 365))
        arrived = max(born + dt.timedelta(days=18 * 365), dt.date(1979, 1, 7)) + dt.timedelta(
            days=rng.randrange(8_000)
        )
        arrived = min(arrived, dt.date(2024, 12, 31))
        entered = now - dt.timedelta(days=rng.randrange(1, 180), minutes=rng.randrange(1_440))
        maker = rng.choice([m for m in makers.get(province, []) if m] or [central])
        resident = Resident(
            surname=surname,
            given_names=given,
            name_km=khmer,
            name_native=native,
            sex=rng.choice("FM"),
            date_of_birth=born,
            place_of_birth="",
            nationality=nationality,
            phone=f"+855 {rng.choice((12, 15, 17, 77, 89, 92))} {rng.randrange(100, 999)} "
            f"{rng.randrange(100, 999)}",
            occupation=rng.choice(OCCUPATIONS),
            arrival_date=arrived,
            province_id=province,
            address_province_id=province,
            address_district_id=district,
            address_commune_id=commune,
            address_village=f"Phum {rng.randrange(1, 12)}",
            address_street=f"St. {rng.randrange(1, 600)}, No. {rng.randrange(1, 300)}",
            created_by=maker,
            created_at=entered,
        )
        rules.refresh_search_name(resident)
        residents.append(resident)
        issued = dt.date(2018, 1, 1) + dt.timedelta(days=rng.randrange(2_500))
        document = TravelDocument(
            kind=TravelDocument.Kind.PASSPORT,
            issuing_country=nationality,
            issue_date=issued,
            is_current=True,
        )
        # Ten years less a day (an issue date of 29 February has no anniversary day).
        document.expiry_date = issued + dt.timedelta(days=3_652 - 1)
        document.set_number(number)
        documents.append(document)
        weights = FINISHED_STATUS_WEIGHTS if province in FINISHED else STATUS_WEIGHTS
        status = rng.choices(*_weighted(weights))[0]
        declarations.append(
            _declaration(
                rng, status, maker, reviewers.get(province) or director, director, entered, bases
            )
        )
    Resident.objects.bulk_create(residents, batch_size=2_000)
    for resident, document, declaration in zip(residents, documents, declarations, strict=True):
        document.resident_id = resident.pk
        declaration.resident_id = resident.pk
    TravelDocument.objects.bulk_create(documents, batch_size=2_000)
    Declaration.objects.bulk_create(declarations, batch_size=2_000)
    if context_id is not None:
        for model, rows in ((Resident, residents), (TravelDocument, documents),
                            (Declaration, declarations)):  # fmt: skip
            record_inserts(model, [row.pk for row in rows], context_id)
    if flag_duplicates:
        services.flag_likely_duplicates(resident_ids=[r.pk for r in residents])
    return len(residents)


def _declaration(
    rng: random.Random,
    status: str,
    maker: User,
    reviewer: User,
    director: User,
    entered: dt.datetime,
    bases: list[ResidenceBasis],
) -> Declaration:
    declaration = Declaration(
        declared_on=entered.date() - dt.timedelta(days=rng.randrange(0, 30)),
        basis=rng.choice(bases),
        status=status,
        created_by=maker,
        created_at=entered,
        notes="",
    )
    if status == "draft":
        return declaration
    now = timezone.now()
    submitted = min(entered + dt.timedelta(hours=rng.randrange(1, 48)), now)
    declaration.submitted_at = submitted
    reviewed = submitted
    if status in ("verified", "returned", "rejected", "acknowledged"):
        declaration.reviewed_by = reviewer if reviewer.pk != maker.pk else director
        reviewed = min(submitted + dt.timedelta(days=rng.randrange(1, 9)), now)
        declaration.reviewed_at = reviewed
    if status == "returned":
        declaration.status_reason = rng.choice(RETURN_REASONS)
    if status == "rejected":
        declaration.status_reason = rng.choice(REJECT_REASONS)
    if status == "acknowledged":
        declaration.acknowledged_by = director
        declaration.acknowledged_at = min(reviewed + dt.timedelta(days=rng.randrange(1, 9)), now)
    return declaration
