"""The OSM tag tables, and how an element's tags are parsed and matched against them.

* :data:`OUTLET_TAGS`: which tags mark an existing outlet of which catalog format;
* :data:`SITE_TAGS`: which tags mark a candidate site;
* :data:`RESIDENTIAL_BUILDINGS`, :data:`GENERIC_BUILDINGS` and :data:`NON_RESIDENTIAL_BUILDINGS`: which
  ``building`` values house people.

Every row is documented; the builder reads nothing about tags from anywhere else.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

# --------------------------------------------------------------------------------------------------
# The tag tables


@dataclass(frozen=True)
class OutletTag:
    """One OSM tag that marks an existing outlet of a catalog format.

    ``value`` ``*`` matches any value but ``no``; ``;``-separated OSM values match if any part does.
    ``requires`` is an extra condition on the same element: ``k=*`` (tag present), ``k=v`` or
    ``k~text`` (value contains text); empty for none.
    """

    key: str
    value: str
    format: str
    requires: str
    note: str


OUTLET_TAGS: tuple[OutletTag, ...] = (
    OutletTag("shop", "convenience", "convenience_store", "", "convenience store (便利店)"),
    OutletTag("shop", "supermarket", "supermarket", "", "supermarket of any size (综合超市)"),
    OutletTag("shop", "greengrocer", "fresh_food_store", "", "fruit and vegetable shop (菜店)"),
    OutletTag("amenity", "marketplace", "wet_market", "", "market hall or market square (菜市场)"),
    OutletTag("amenity", "pharmacy", "pharmacy", "", "pharmacy (药店)"),
    OutletTag("healthcare", "pharmacy", "pharmacy", "", "pharmacy tagged with the healthcare scheme only"),
    OutletTag(
        "shop",
        "chemist",
        "pharmacy",
        "",
        "chemist / drugstore: counted as a pharmacy (药店) though it may not dispense prescriptions",
    ),
    OutletTag("shop", "hairdresser", "hair_salon", "", "hairdresser (美发)"),
    OutletTag("shop", "beauty", "hair_salon", "", "beauty salon (美容)"),
    OutletTag("shop", "laundry", "laundry", "", "laundry (洗衣)"),
    OutletTag("shop", "dry_cleaning", "laundry", "", "dry cleaner (干洗/洗染)"),
    OutletTag("amenity", "laundry", "laundry", "", "self-service laundry (non-standard tag)"),
    OutletTag("shop", "bakery", "breakfast", "", "bakery: sells breakfast food in the morning (早餐)"),
    OutletTag(
        "amenity",
        "cafe",
        "breakfast",
        "breakfast=*",
        "cafe only when it says it serves breakfast (breakfast=* tag)",
    ),
    OutletTag(
        "amenity", "cafe", "breakfast", "cuisine~breakfast", "cafe only when its cuisine lists breakfast"
    ),
    OutletTag(
        "amenity",
        "fast_food",
        "breakfast",
        "cuisine~breakfast",
        "fast food only when its cuisine lists breakfast",
    ),
    OutletTag(
        "amenity",
        "restaurant",
        "breakfast",
        "cuisine~breakfast",
        "restaurant only when its cuisine lists breakfast",
    ),
    OutletTag("shop", "repair", "repair", "", "general repair shop (维修)"),
    OutletTag("shop", "electronics_repair", "repair", "", "electronics repair (non-standard shop value)"),
    OutletTag("shop", "shoe_repair", "repair", "", "shoe repair (修鞋)"),
    OutletTag("shop", "computer_repair", "repair", "", "computer repair (non-standard shop value)"),
    OutletTag("shop", "locksmith", "repair", "", "keys and locks (配钥匙)"),
    OutletTag("craft", "shoemaker", "repair", "", "shoemaker: mends shoes (修鞋)"),
    OutletTag("craft", "electronics_repair", "repair", "", "electronics repair craft"),
    OutletTag("craft", "key_cutter", "repair", "", "key cutting (配钥匙)"),
    OutletTag("craft", "locksmith", "repair", "", "locksmith (配钥匙)"),
    OutletTag("craft", "watchmaker", "repair", "", "watch repair (修表)"),
    OutletTag("craft", "clockmaker", "repair", "", "clock repair (修表)"),
    OutletTag("craft", "tailor", "repair", "", "tailor: clothes alterations and mending (缝补)"),
    OutletTag("amenity", "recycling", "recycling", "", "recycling point or container (回收点)"),
    OutletTag("amenity", "parcel_locker", "parcel_locker", "", "parcel locker (智能快件箱)"),
    OutletTag("vending", "parcel_pickup", "parcel_locker", "", "parcel pick-up machine, older tagging"),
    OutletTag("amenity", "post_office", "post_express", "", "post office (邮政)"),
    OutletTag("amenity", "parcel_pickup", "post_express", "", "staffed parcel pick-up point (快递点)"),
    OutletTag("shop", "copyshop", "photo_print", "", "copy and print shop (文印)"),
    OutletTag("shop", "photo", "photo_print", "", "photo shop (照相)"),
)
"""Which OSM tags mark an existing outlet of which catalog format. Not mapped on purpose:
``shop=kiosk`` (often only newspapers and tickets), ``shop=deli``/``butcher`` (not the 菜店 format),
housekeeping and front warehouses (no established OSM tag)."""


@dataclass(frozen=True)
class SiteTag:
    """One OSM tag that marks a candidate site. ``value`` as in :class:`OutletTag`."""

    key: str
    value: str
    kind: str
    note: str


SITE_TAGS: tuple[SiteTag, ...] = (
    SiteTag("shop", "vacant", "vacant shop", "an empty shop unit"),
    SiteTag("disused:shop", "*", "disused shop", "a shop that has closed"),
    SiteTag("abandoned:shop", "*", "abandoned shop", "a shop left empty for long"),
    SiteTag(
        "disused:amenity",
        "cafe;restaurant;bar;pub;fast_food;bank;pharmacy;post_office;ice_cream",
        "disused shop-type amenity",
        "a closed cafe, restaurant, bar, bank, ... (street-front unit)",
    ),
    SiteTag("building", "retail", "retail building", "ground floor of a retail building"),
    SiteTag("building", "commercial", "commercial building", "ground floor of a commercial building"),
    SiteTag("building", "kiosk", "kiosk building", "a kiosk"),
)
"""Which OSM tags mark a candidate site. Besides these, buildings whose representative point lies in
one of the ``site_landuse`` land uses (default ``retail``) with a footprint up to ``max_site_footprint_m2``
are candidates (their ground floor). A building that is itself tagged as a live shop or amenity
(``shop=*``, ``amenity=*`` other than parking) is occupied and not a candidate."""

RESIDENTIAL_BUILDINGS = frozenset(
    {
        "apartments",
        "residential",
        "house",
        "detached",
        "semidetached_house",
        "terrace",
        "dormitory",
        "bungalow",
        "farm",
        "static_caravan",
        "houseboat",
    }
)
GENERIC_BUILDINGS = frozenset({"yes", "block"})
NON_RESIDENTIAL_BUILDINGS = frozenset(
    {
        "church",
        "chapel",
        "cathedral",
        "mosque",
        "temple",
        "synagogue",
        "shrine",
        "public",
        "civic",
        "government",
        "train_station",
        "transportation",
        "roof",
        "shed",
        "garage",
        "garages",
        "parking",
        "carport",
        "kiosk",
        "service",
        "utility",
        "tower",
        "pavilion",
        "atrium",
        "entrance",
        "underpass_entrance",
        "ship",
        "glasshouse",
        "greenhouse",
        "bridge",
        "construction",
        "ruins",
        "museum",
        "stadium",
        "sports_hall",
        "warehouse",
        "industrial",
        "hospital",
        "school",
        "university",
        "college",
        "kindergarten",
        "fire_station",
        "toilets",
        "bunker",
        "hut",
        "cabin",
    }
)

# --------------------------------------------------------------------------------------------------
# Parsing

_TAG_RE = re.compile(r'"((?:[^"\\]|\\.)*)"=>"((?:[^"\\]|\\.)*)"')


def parse_other_tags(text: object) -> dict[str, str]:
    """Parse GDAL's ``other_tags`` hstore-like string ``"k"=>"v","k2"=>"v2"`` into a dict."""
    if not isinstance(text, str) or not text:
        return {}
    return {_unescape(k): _unescape(v) for k, v in _TAG_RE.findall(text)}


def _unescape(s: str) -> str:
    return s.replace('\\"', '"').replace("\\\\", "\\")


# --------------------------------------------------------------------------------------------------
# Matching


def _values(tags: dict[str, str], key: str) -> list[str]:
    v = tags.get(key)
    if not v:
        return []
    return [p.strip() for p in v.split(";") if p.strip()]


def _value_matches(tags: dict[str, str], key: str, value: str) -> bool:
    vals = _values(tags, key)
    if value == "*":
        return any(v != "no" for v in vals)
    wanted = set(value.split(";"))
    return any(v in wanted for v in vals)


def _requires(tags: dict[str, str], cond: str) -> bool:
    if not cond:
        return True
    if "~" in cond:
        k, text = cond.split("~", 1)
        return text in tags.get(k, "")
    k, v = cond.split("=", 1)
    return _value_matches(tags, k, v)


def match_outlet(tags: dict[str, str]) -> list[tuple[str, OutletTag]]:
    """The catalog formats an element's tags mark, each with the first table row that matched."""
    found: dict[str, OutletTag] = {}
    for row in OUTLET_TAGS:
        if (
            row.format not in found
            and _value_matches(tags, row.key, row.value)
            and _requires(tags, row.requires)
        ):
            found[row.format] = row
    return list(found.items())


def match_site(tags: dict[str, str]) -> SiteTag | None:
    """The first :data:`SITE_TAGS` row an element's tags match, or None."""
    for row in SITE_TAGS:
        if _value_matches(tags, row.key, row.value):
            return row
    return None


def is_live(tags: dict[str, str]) -> bool:
    """True when an element is itself a working shop or service (so not vacant)."""
    if _values(tags, "shop") and tags.get("shop") not in ("vacant", "no"):
        return True
    amen = tags.get("amenity", "")
    return bool(amen) and amen not in ("parking", "bicycle_parking", "no")


def outlet_tag_frame() -> pd.DataFrame:
    """:data:`OUTLET_TAGS` as a table (for documentation and the CLI)."""
    return pd.DataFrame([r.__dict__ for r in OUTLET_TAGS])


def site_tag_frame() -> pd.DataFrame:
    """:data:`SITE_TAGS` as a table (for documentation and the CLI)."""
    return pd.DataFrame([r.__dict__ for r in SITE_TAGS])


def tag_text(row: OutletTag | SiteTag, tags: dict[str, str] | None = None) -> str:
    """``key=value`` of a matched row, with the element's own value when given."""
    return f"{row.key}={tags.get(row.key, row.value) if tags else row.value}"
