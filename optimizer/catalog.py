"""The format catalog (业态): every basic format of the 15-minute convenient living circle programme.

Each format carries its walk-time limit, a typical floor area, fit-out cost, yearly operating cost
(staff, utilities; rent excluded, it comes from the site), gross margin per covered resident per year,
whether it is a low-margin format eligible for rent subsidy (微利业态), and a coverage weight.
Every number is a default that a scenario can override per format; ``CATALOG_SOURCES`` says where
each kind of number comes from. Walk limits follow the MOFCOM tiers of 2021-09-02 (5 / 8 / 15 min);
costs and margins are planning assumptions (marked ``assumption``) to be replaced by local survey
figures. Rents are per site, not per format; the 2017 Shanghai asking rents (median 198 yuan/m²/month
for street-front shops, p25 127) are the range used for defaults.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import pandas as pd


@dataclass(frozen=True)
class Format:
    key: str
    name_zh: str
    name_en: str
    walk_minutes: float
    area_m2: float
    fitout_yuan_per_m2: float
    opex_yuan_per_year: float
    margin_yuan_per_resident_year: float
    micro_profit: bool
    weight: float = 1.0
    aliases: tuple[str, ...] = ()
    walk_source: str = ""


_T5 = "MOFCOM tiers 2021-09-02: 5 min (convenience store, small supermarket)"
_T8 = "MOFCOM tiers 2021-09-02: 8 min (fast food, pharmacy, laundry, hair salon, farmers' market)"
_T15 = "MOFCOM tiers 2021-09-02: 15 min (large and medium supermarket, repair)"
_T10 = "assumption: between the 8 and 15 min tiers (service points)"

FORMATS: tuple[Format, ...] = (
    Format(
        "convenience_store",
        "便利店",
        "Convenience store",
        5,
        100,
        1500,
        260_000,
        120,
        False,
        aliases=("convenience",),
        walk_source=_T5,
    ),
    Format(
        "breakfast",
        "早餐店",
        "Breakfast shop",
        5,
        40,
        2500,
        150_000,
        35,
        True,
        aliases=("早餐",),
        walk_source="national guide: about 5 min with the convenience store (一店一早)",
    ),
    Format(
        "breakfast_cart",
        "移动早餐车",
        "Mobile breakfast cart",
        5,
        6,
        8000,
        60_000,
        12,
        True,
        walk_source="assumption: serves a 5-min circle like a breakfast shop",
    ),
    Format("supermarket", "综合超市", "Supermarket", 15, 1500, 1200, 2_500_000, 90, False, walk_source=_T15),
    Format(
        "wet_market",
        "标准化菜市场",
        "Standardised wet market",
        8,
        800,
        1800,
        700_000,
        45,
        True,
        aliases=("菜市场", "标准化菜场", "market"),
        walk_source=_T8,
    ),
    Format(
        "fresh_food_store",
        "生鲜超市/菜店",
        "Fresh-food store",
        8,
        150,
        1500,
        300_000,
        60,
        True,
        aliases=("生鲜超市", "菜店", "greengrocer"),
        walk_source=_T8,
    ),
    Format(
        "hair_salon",
        "美容美发店",
        "Hair and beauty salon",
        8,
        60,
        2000,
        200_000,
        50,
        False,
        aliases=("美容美发", "hairdresser"),
        walk_source=_T8,
    ),
    Format(
        "laundry",
        "洗染店",
        "Laundry and dry cleaning",
        8,
        40,
        2500,
        120_000,
        20,
        True,
        aliases=("洗衣店",),
        walk_source=_T8,
    ),
    Format(
        "pharmacy",
        "药店",
        "Pharmacy",
        8,
        80,
        2000,
        300_000,
        80,
        False,
        aliases=("chemist", "药房"),
        walk_source=_T8,
    ),
    Format(
        "housekeeping",
        "家政服务点",
        "Housekeeping service point",
        10,
        30,
        1500,
        90_000,
        12,
        True,
        aliases=("家政",),
        walk_source=_T10,
    ),
    Format(
        "repair", "维修点", "Repair point", 15, 20, 1500, 70_000, 6, True, aliases=("维修",), walk_source=_T15
    ),
    Format(
        "recycling",
        "再生资源回收点",
        "Recycling point",
        10,
        15,
        1000,
        50_000,
        3,
        True,
        aliases=("回收点",),
        walk_source=_T10 + "; Shanghai plan adds the format",
    ),
    Format(
        "front_warehouse",
        "前置仓",
        "Front warehouse",
        15,
        300,
        1000,
        400_000,
        30,
        False,
        walk_source="assumption: delivery-led, planned like a 15-min format; Shanghai plan adds it",
    ),
    Format(
        "photo_print",
        "照相文印店",
        "Photo and print shop",
        10,
        30,
        1500,
        80_000,
        8,
        True,
        aliases=("文印店",),
        walk_source=_T10,
    ),
    Format(
        "post_express",
        "邮政快递综合服务点",
        "Post and parcel service point",
        10,
        40,
        1200,
        120_000,
        15,
        True,
        aliases=("邮政快递", "快递点"),
        walk_source=_T10,
    ),
    Format(
        "parcel_locker",
        "智能快件箱",
        "Smart parcel locker",
        5,
        4,
        5000,
        8_000,
        3,
        False,
        aliases=("快件箱",),
        walk_source="assumption: a doorstep facility, planned on the 5-min circle",
    ),
)

CATALOG_SOURCES: dict[str, str] = {
    "walk_minutes": "MOFCOM walk-time tiers (2021-09-02) where a tier names the format; "
    "otherwise marked assumption",
    "area_m2": "assumption: typical community-shop sizes; Shanghai 2024 draft standard: points of 50-200 m2",
    "fitout_yuan_per_m2": "assumption: community retail fit-out 1,000-2,500 yuan/m2; "
    "kiosks and carts per unit",
    "opex_yuan_per_year": "assumption: staff at about 80,000 yuan per full-time worker per year "
    "plus utilities",
    "margin_yuan_per_resident_year": "assumption: gross margin earned per resident in the catchment per year",
    "micro_profit": "programme documents: 微利业态 eligible for rent support "
    "(breakfast, food markets, repair, ...)",
    "weight": "1 for every basic format; scenarios weigh formats by local need",
    "rent": "per site; 2017 Shanghai asking rents p10 83, p25 127, median 198, p75 313 yuan/m2/month",
}

FORMAT_FIELDS: tuple[str, ...] = (
    "walk_minutes",
    "area_m2",
    "fitout_yuan_per_m2",
    "opex_yuan_per_year",
    "margin_yuan_per_resident_year",
    "micro_profit",
    "weight",
)

BY_KEY: dict[str, Format] = {f.key: f for f in FORMATS}


def _lookup() -> dict[str, str]:
    table: dict[str, str] = {}
    for f in FORMATS:
        for name in (f.key, f.name_zh, f.name_en, *f.aliases):
            table[name.strip().lower()] = f.key
    return table


NAMES: dict[str, str] = _lookup()


def resolve(name: str) -> str | None:
    """The catalog key for a format named by key, Chinese name, English name or alias; None if unknown."""
    return NAMES.get(str(name).strip().lower())


def catalog_frame() -> pd.DataFrame:
    """The catalog as a DataFrame indexed by format key (what ``quarterhour formats`` prints)."""
    rows = []
    for f in FORMATS:
        d = asdict(f)
        d["aliases"] = ", ".join(f.aliases)
        rows.append(d)
    return pd.DataFrame(rows).set_index("key")
