"""A labelled set of name pairs, as officers write them: one person (transliterated, spaced or
ordered differently) or different people. Every pair shares a date of birth and a nationality, as
the likely-duplicate candidates do; only the names decide.

Same-person pairs come from groups of spellings of one name (each pair of spellings in a group);
different-people pairs from names of one culture that are not the same name. Built, not listed
one by one, so that the set stays balanced across Chinese, Vietnamese, Korean, Arabic, Thai,
Russian and Western names.
"""

from __future__ import annotations

from itertools import combinations

# (culture, [spellings of one person's full name, surname first as the forms enter it])
SAME_PERSON: list[tuple[str, list[str]]] = [
    ("chinese", ["ZHANG WEI", "CHANG WEI", "WEI ZHANG"]),
    ("chinese", ["LI NA", "LEE NA", "NA LI"]),
    ("chinese", ["LI XIAOMING", "LI XIAO MING", "LEE XIAO MING"]),
    ("chinese", ["WANG XIAOLING", "WANG XIAO LING", "WONG XIAO LING"]),
    ("chinese", ["ZHOU JIELUN", "CHOU JIE LUN", "ZHOU JIE LUN"]),
    ("chinese", ["XU MINGHAO", "HSU MING HAO", "XU MING HAO"]),
    ("chinese", ["ZHAO LEI", "CHAO LEI", "LEI ZHAO"]),
    ("chinese", ["CHEN JIANGUO", "CHEN JIAN GUO", "CHEN JIAN-GUO"]),
    ("chinese", ["LIU YANG", "LIOU YANG", "YANG LIU"]),
    ("vietnamese", ["NGUYEN VAN AN", "NGUYEN VANAN", "NGUYEN VAN ANN"]),
    ("vietnamese", ["TRAN THI LAN", "TRAN THI LANH", "TRAN THILAN"]),
    ("vietnamese", ["PHAM MINH TUAN", "PHAM MINH TUANH", "PHAM MINHTUAN"]),
    ("vietnamese", ["LE THI HOA", "LE THI HOAH", "LEE THI HOA"]),
    ("vietnamese", ["HOANG VAN DUC", "HOANG VAN DUOC", "HOANG VANDUC"]),
    ("vietnamese", ["DANG QUOC HUY", "DANG QUOC HUI", "DANG QUOCHUY"]),
    ("korean", ["KIM JIHOON", "KIM JI HUN", "KIM JI-HOON"]),
    ("korean", ["PARK MINSU", "PARK MIN SU", "PARK MIN-SOO"]),
    ("korean", ["LEE SEUNGHO", "LEE SEUNG HO", "YI SEUNG HO"]),
    ("korean", ["CHOI YOUNGHEE", "CHOE YOUNG HEE", "CHOI YOUNG-HEE"]),
    ("korean", ["JUNG HOSEOK", "JEONG HO SEOK", "JUNG HO-SEOK"]),
    ("korean", ["KANG DONGWON", "KANG DONG WON", "KANG DONG-WON"]),
    ("arabic", ["MOHAMMED ALI", "MUHAMMAD ALI", "MOHAMED ALI", "MOHAMMAD ALI"]),
    ("arabic", ["AHMED HASSAN", "AHMAD HASAN", "AHMED HASAN"]),
    ("arabic", ["HUSSEIN KARIM", "HUSSAIN KARIM", "HOSSEIN KARIM"]),
    ("arabic", ["ABDULRAHMAN SALEH", "ABDUL RAHMAN SALEH", "ABD AL RAHMAN SALEH"]),
    ("arabic", ["YOUSSEF IBRAHIM", "YUSUF IBRAHIM", "YOUSEF EBRAHIM"]),
    ("arabic", ["KHALED OMAR", "KHALID UMAR", "KHALED UMAR"]),
    ("arabic", ["MUSTAFA NASSER", "MOSTAFA NASER", "MUSTAPHA NASSER"]),
    ("thai", ["SOMCHAI WONGSAWAT", "SOMCHAY WONGSAWAT", "SOMCHAI WONGSAVAT"]),
    ("thai", ["PRAYUT CHANOCHA", "PRAYUTH CHAN-OCHA", "PRAYUT CHAN OCHA"]),
    ("thai", ["CHAIYAPORN SRISUK", "CHAIYAPHON SRISUK", "CHAIYAPORN SRISOOK"]),
    ("thai", ["WATTANA BOONMA", "WATANA BOONMA", "WATTANA BUNMA"]),
    ("thai", ["SURIYA THONGDEE", "SURIYAH THONGDEE", "SURIYA THONGDI"]),
    ("russian", ["IVANOV ALEKSANDR", "IVANOV ALEXANDER", "IVANOFF ALEKSANDR"]),
    ("russian", ["PETROV SERGEI", "PETROV SERGEY", "PETROFF SERGEI"]),
    ("russian", ["SMIRNOV YURI", "SMIRNOV YURIY", "SMIRNOV IURII"]),
    ("russian", ["KUZNETSOV DMITRY", "KUZNETSOV DMITRII", "KOUZNETSOV DMITRIY"]),
    ("russian", ["POPOVA NATALIA", "POPOVA NATALYA", "POPOVA NATALIYA"]),
    ("russian", ["VOLKOVA TATIANA", "VOLKOVA TATYANA", "VOLKOVA TATJANA"]),
    ("western", ["SMITH JONATHAN", "SMITH JONATHON", "JONATHAN SMITH"]),
    ("western", ["BROWN STEPHEN", "BROWN STEVEN", "STEPHEN BROWN"]),
    ("western", ["MILLER CATHERINE", "MILLER KATHERINE", "MILLER CATHRYN"]),
    ("western", ["DUPONT PHILIPPE", "DUPONT PHILIP", "DU PONT PHILIPPE"]),
    ("western", ["MUELLER HANS", "MULLER HANS", "MUELLER HANNS"]),
    ("western", ["O'BRIEN SEAN", "OBRIEN SHAWN", "O BRIEN SEAN"]),
    ("chinese", ["HUANG MEI LING", "HUANG MEILING", "HWANG MEI LING"]),
    ("russian", ["ORLOV EVGENY", "ORLOV YEVGENIY", "ORLOV EVGENII"]),
    ("arabic", ["AL HARBI ABDULLAH", "ALHARBI ABDULLAH", "AL-HARBI ABDALLAH"]),
    ("korean", ["SHIN HYESUN", "SHIN HYE SUN", "SIN HYE SUN"]),
    ("thai", ["PHONGSAK KAEWMANEE", "PONGSAK KAEWMANEE", "PHONGSAK KAEWMANI"]),
]

# (culture, [names of different people who may share a birth date and nationality])
DIFFERENT_PEOPLE: list[tuple[str, list[str]]] = [
    ("chinese", ["ZHANG WEI", "LIU YANG", "WANG FANG", "LI QIANG", "CHEN JING", "ZHAO MIN"]),
    ("chinese", ["WANG XIAOLING", "WANG JIANHUA", "WANG DAWEI", "WANG MEIHUA"]),
    ("vietnamese", ["NGUYEN VAN AN", "NGUYEN VAN HUNG", "NGUYEN THI MAI", "NGUYEN DUC MINH"]),
    ("vietnamese", ["TRAN THI LAN", "PHAM THI THU", "LE VAN NAM", "VO THI HONG"]),
    ("korean", ["KIM JIHOON", "KIM MINJUN", "KIM SOYEON", "KIM DAEHYUN"]),
    ("korean", ["PARK MINSU", "LEE JIEUN", "CHOI WOOSIK", "JUNG YUMI"]),
    ("arabic", ["MOHAMMED ALI", "AHMED HASSAN", "OMAR FAROUK", "YOUSSEF IBRAHIM"]),
    ("arabic", ["ABDULLAH SALEH", "ABDULAZIZ KARIM", "ABDELKADER NASSER", "ABDULRAHMAN OMAR"]),
    ("thai", ["SOMCHAI WONGSAWAT", "SOMSAK PHROMMA", "NATTAPONG SRISUK", "KITTIPONG BOONMA"]),
    (
        "thai",
        ["PRAYUT CHANOCHA", "ANUTIN CHARNVIRAKUL", "SRETTHA THAVISIN", "PAETONGTARN SHINAWATRA"],
    ),
    ("russian", ["IVANOV ALEKSANDR", "IVANOV SERGEI", "PETROV ALEKSANDR", "SMIRNOV IVAN"]),
    ("russian", ["POPOVA NATALIA", "POPOVA OLGA", "VOLKOVA IRINA", "SOKOLOVA ANNA"]),
    ("western", ["SMITH JONATHAN", "SMITH JAMES", "JONES JONATHAN", "TAYLOR MICHAEL"]),
    ("western", ["DUPONT PHILIPPE", "DUPONT MARIE", "MARTIN PHILIPPE", "BERNARD LUC"]),
    ("korean", ["KIM MINJI", "KIM MINJUN", "KIM MINSEO", "LEE MINHO", "PARK JISOO", "CHOI JIWOO"]),
    (
        "arabic",
        [
            "HASSAN MAHMOUD",
            "HUSSEIN ABBAS",
            "KARIM MANSOUR",
            "SAMIR HADDAD",
            "TAREK AZIZ",
            "WALID SAAD",
        ],
    ),
    (
        "russian",
        [
            "NOVIKOV ALEKSEI",
            "MOROZOV ANDREI",
            "LEBEDEV MAKSIM",
            "KOZLOV NIKOLAI",
            "ORLOV PAVEL",
            "EGOROV ROMAN",
        ],
    ),
    ("vietnamese", ["TRAN VAN BINH", "TRAN VAN BAO", "TRAN VAN BANG", "TRAN VAN BACH"]),
    (
        "western",
        [
            "GARCIA MARIA",
            "GARCIA JOSE",
            "LOPEZ MARIA",
            "GONZALEZ ANA",
            "PEREZ LUIS",
            "SANCHEZ CARMEN",
        ],
    ),
]


def labelled_pairs() -> list[tuple[str, str, bool, str]]:
    """(name, other name, same person?, culture) for every pair of the groups above."""
    pairs = [
        (a, b, True, culture) for culture, names in SAME_PERSON for a, b in combinations(names, 2)
    ]
    pairs += [
        (a, b, False, culture)
        for culture, names in DIFFERENT_PEOPLE
        for a, b in combinations(names, 2)
    ]
    return pairs
