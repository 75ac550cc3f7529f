"""Every scenario key and table column, as data: type, unit, default, description.

This one table drives validation (:mod:`optimizer.scenario`) and the documentation
(``quarterhour schema`` prints it as Markdown; the README's scenario section is generated from it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .backends.registry import SOLVER_NAMES
from .backends.registry import describe as describe_solvers
from .catalog import CATALOG_SOURCES, FORMAT_FIELDS
from .groups import GROUP_KEYS
from .walk.registry import WALK_SOURCES

# Value types understood by the validator.
TYPES = (
    "str",
    "float",
    "int",
    "bool",
    "path",
    "list[str]",
    "list[float]",
    "mapping",
    "mapping|list[str]",
    "list[mapping]",
    "choice",
)


@dataclass(frozen=True)
class Key:
    """One key of the scenario YAML file, by its dotted path."""

    path: str
    type: str
    description: str
    default: Any = None
    unit: str = ""
    required: bool = False
    choices: tuple[str, ...] = ()
    min: float | None = None
    exclusive_min: bool = False
    max: float | None = None


@dataclass(frozen=True)
class Column:
    """One column of an input table. ``aliases``: other headers read as this column (planners' own
    tables often use Chinese headers), matched exactly once spaces around the header are removed."""

    name: str
    type: str
    description: str
    required: bool = False
    default: Any = None
    unit: str = ""
    min: float | None = None
    exclusive_min: bool = False
    max: float | None = None
    aliases: tuple[str, ...] = ()


COORDINATES = ("wgs84", "gcj02", "bd09")

KEYS: tuple[Key, ...] = (
    Key("name", "str", "Scenario name shown in reports.", default="scenario"),
    Key("description", "str", "Free text for the report.", default=""),
    Key(
        "inputs.residences",
        "path",
        "Where people live: points or polygons (GeoPackage, GeoJSON, Shapefile, "
        "or CSV with lon/lat). Columns: see the residences table.",
        required=True,
    ),
    Key("inputs.residences_layer", "str", "Layer name when the residences file has several.", default=None),
    Key(
        "inputs.sites",
        "path",
        "Candidate sites (vacant or underused spaces). Columns: see the sites table.",
        required=True,
    ),
    Key("inputs.sites_layer", "str", "Layer name when the sites file has several.", default=None),
    Key(
        "inputs.outlets",
        "path",
        "Existing outlets by format. Columns: see the outlets table. Leave out when there are none.",
        default=None,
    ),
    Key("inputs.outlets_layer", "str", "Layer name when the outlets file has several.", default=None),
    Key(
        "inputs.coordinates",
        "choice",
        "Coordinate system of lon/lat inputs: WGS84, or the Chinese map "
        "providers' GCJ-02 (Amap, Tencent) or BD-09 (Baidu), converted exactly to WGS84.",
        default="wgs84",
        choices=COORDINATES,
    ),
    Key(
        "inputs.walk_minutes",
        "path",
        "Optional CSV origin,destination,minutes (residence id to site or "
        "outlet id) that replaces computed walk times. Pairs not listed are out of reach.",
        default=None,
    ),
    Key(
        "formats",
        "mapping|list[str]",
        "Formats in play: a list of names, or a mapping of name to overrides of the "
        "catalog defaults (keys: " + ", ".join(FORMAT_FIELDS) + "). Names may be catalog keys or Chinese "
        "names. Default: every format that has an outlet or a site allowing it.",
        default=None,
    ),
    Key(
        "walk.source",
        "choice",
        "Where walk minutes come from. Default: matrix when inputs.walk_minutes is "
        "given, network when walk.network is given, otherwise straight_line.",
        default=None,
        choices=tuple(WALK_SOURCES),
    ),
    Key("walk.speed_m_per_s", "float", "Walking speed.", default=1.2, unit="m/s", min=0, exclusive_min=True),
    Key(
        "walk.elderly_speed_m_per_s",
        "float",
        "Walking speed of the elderly share of each residence; when "
        "set, that share is counted covered only if it reaches the shop at this speed.",
        default=None,
        unit="m/s",
        min=0,
        exclusive_min=True,
    ),
    Key(
        "walk.detour_factor",
        "float",
        "Straight-line source: street distance / straight distance.",
        default=1.3,
        min=1.0,
    ),
    Key("walk.network", "path", "Street network file (.osm, .osm.pbf, or a line layer).", default=None),
    Key(
        "walk.include_highway",
        "list[str]",
        "Network source: highway values to keep (replaces the default walkable set).",
        default=None,
    ),
    Key("walk.exclude_highway", "list[str]", "Network source: highway values to drop.", default=None),
    Key(
        "walk.cache",
        "bool",
        "Cache network walk times next to the scenario (in .quarterhour-cache; $QUARTERHOUR_CACHE_DIR "
        "moves it).",
        default=True,
    ),
    Key(
        "priority.old_neighbourhood",
        "float",
        "Weight multiplier for residents of old neighbourhoods (老旧小区).",
        default=1.5,
        min=0,
    ),
    Key(
        "priority.affordable_housing",
        "float",
        "Weight multiplier for residents of affordable-housing areas (大型保障性居住社区).",
        default=1.5,
        min=0,
    ),
    Key(
        "priority.elderly",
        "float",
        "Extra weight per elderly share: a residence weighs (1 + elderly x elderly_share).",
        default=0.0,
        min=0,
    ),
    Key("budget.capital_yuan", "float", "Capital budget for fit-out.", required=True, unit="yuan", min=0),
    Key(
        "budget.rent_subsidy_yuan_per_year",
        "float",
        "Rent-subsidy budget per year.",
        default=0.0,
        unit="yuan/year",
        min=0,
    ),
    Key(
        "subsidy.share_of_rent",
        "float",
        "Largest share of a subsidised format's rent the subsidy may pay.",
        default=0.5,
        min=0,
        max=1,
    ),
    Key(
        "subsidy.formats",
        "list[str]",
        "Formats eligible for rent subsidy. Default: the catalog's low-margin formats (微利业态).",
        default=None,
    ),
    Key(
        "viability.enabled",
        "bool",
        "Open a format only where its margin from the residents in its "
        "catchment plus subsidy pays its rent and operating cost.",
        default=True,
    ),
    Key(
        "partial_credit.factor",
        "float",
        "A second walk limit, this many times each format's limit, gives partial credit. Leave out for none.",
        default=None,
        min=1.0,
        exclusive_min=True,
    ),
    Key(
        "partial_credit.credit",
        "float",
        "Share of the credit earned within the second limit.",
        default=0.5,
        min=0,
        max=1,
    ),
    Key(
        "mandates",
        "list[mapping]",
        "Hard equity floors: each {group, formats, min_share}: at least "
        "min_share of the group's population covered for each listed format.",
        default=(),
    ),
    Key(
        "mandates[].group",
        "choice",
        "Population group the floor applies to.",
        required=True,
        choices=GROUP_KEYS,
    ),
    Key("mandates[].formats", "list[str]", "Formats the floor applies to.", required=True),
    Key(
        "mandates[].min_share",
        "float",
        "Smallest covered share of the group's population.",
        required=True,
        min=0,
        max=1,
    ),
    Key(
        "phasing.years",
        "int",
        "Years over which the plan opens (quarterhour phasing). Leave out for a single-period plan.",
        default=None,
        min=1,
        max=20,
    ),
    Key(
        "phasing.capital_yuan_per_year",
        "list[float]",
        "Capital budget of each year, one number per year (yuan); fit-out is paid in the year of opening.",
        default=None,
        unit="yuan",
        min=0,
    ),
    Key(
        "phasing.rent_subsidy_yuan_per_year",
        "list[float]",
        "Rent-subsidy budget of each year, one number per year; it pays every shop open that year.",
        default=None,
        unit="yuan/year",
        min=0,
    ),
    Key(
        "objective.tie_break",
        "choice",
        "Among plans of maximum coverage, pick the one with the least "
        "public money (how: `objective.tie_break_method`), or take the first found.",
        default="least_public_money",
        choices=("least_public_money", "none"),
    ),
    Key(
        "objective.tie_break_method",
        "choice",
        "How the least-public-money tie-break is found: `weighted` (one solve of coverage minus a safe "
        "multiple of money; needs whole-number-like weights, else two-stage), `two_stage` (coverage, then "
        "money at that coverage), or `auto` (the measured faster one: bench/RESULTS.md).",
        default="auto",
        choices=("auto", "weighted", "two_stage"),
    ),
    Key(
        "solver.name",
        "choice",
        "Solver: " + describe_solvers() + ".",
        default="highs",
        choices=SOLVER_NAMES,
    ),
    Key(
        "solver.time_limit_s",
        "float",
        "One deadline for the whole solve: the starting plan, both stages and the diagnosis.",
        default=300.0,
        unit="s",
        min=0,
        exclusive_min=True,
    ),
    Key("solver.mip_gap", "float", "Relative MIP gap at which the solver stops.", default=1e-4, min=0),
    Key("solver.threads", "int", "Solver threads, and windows solved at once.", default=2, min=1, max=256),
    Key(
        "solver.decompose",
        "choice",
        "Solve walkable regions (parts that share only the budgets and mandates) as separate MIPs "
        "coordinated by budget prices, in parallel on the run's executor: `regions` whenever there are "
        "two or more, `auto` only for large models (over 1,000,000 nonzeros), `off` never. The result "
        "keeps a valid bound and its gap.",
        default="auto",
        choices=("auto", "regions", "off"),
    ),
    Key("solver.options", "mapping", "Extra solver options passed through by name.", default=None),
    Key(
        "variants",
        "mapping",
        "Named variants for `quarterhour compare`: each name maps dotted keys of this file to other "
        "values (e.g. `no_subsidy: {budget.rent_subsidy_yuan_per_year: 0}`). A run ignores them.",
        default=None,
    ),
)

KEY_BY_PATH: dict[str, Key] = {k.path: k for k in KEYS}

RESIDENCE_COLUMNS: tuple[Column, ...] = (
    Column("id", "str", "Residence id, unique.", required=True, aliases=("编号",)),
    Column(
        "population",
        "float",
        "Residents.",
        required=True,
        unit="persons",
        min=0,
        exclusive_min=True,
        aliases=("人口", "人数", "常住人口"),
    ),
    Column(
        "elderly_share",
        "float",
        "Share of residents aged 60 or over.",
        default=0.0,
        min=0,
        max=1,
        aliases=("老年人口比例", "老年人口占比", "老龄化率"),
    ),
    Column(
        "old_neighbourhood",
        "bool",
        "In an old neighbourhood (老旧小区).",
        default=False,
        aliases=("老旧小区",),
    ),
    Column(
        "affordable_housing",
        "bool",
        "In an affordable-housing area (大型保障性居住社区).",
        default=False,
        aliases=("保障房", "保障性住房"),
    ),
    Column("households", "float", "Households (for reports).", default=None, min=0, aliases=("户数",)),
)

SITE_COLUMNS: tuple[Column, ...] = (
    Column("id", "str", "Site id, unique.", required=True, aliases=("编号",)),
    Column(
        "floor_area_m2",
        "float",
        "Usable floor area.",
        required=True,
        unit="m2",
        min=0,
        exclusive_min=True,
        aliases=("面积", "建筑面积", "使用面积", "area_m2"),
    ),
    Column(
        "rent_yuan_per_m2_month",
        "float",
        "Rent.",
        required=True,
        unit="yuan/m2/month",
        min=0,
        aliases=("租金", "月租金"),
    ),
    Column(
        "fitout_yuan",
        "float",
        "Fit-out cost per format opened here; overrides the catalog's area x cost per m2.",
        default=None,
        unit="yuan",
        min=0,
        aliases=("装修费", "装修费用"),
    ),
    Column(
        "allowed_formats",
        "list[str]",
        "Formats this site may host, ';'-separated. Empty: any.",
        default=None,
        aliases=("允许业态", "可选业态"),
    ),
    Column(
        "max_formats",
        "int",
        "Most formats this site may host (一点多用).",
        default=None,
        min=1,
        aliases=("最多业态数",),
    ),
)

OUTLET_COLUMNS: tuple[Column, ...] = (
    Column("id", "str", "Outlet id, unique.", required=True, aliases=("编号",)),
    Column("format", "str", "Format (catalog key or Chinese name).", required=True, aliases=("业态", "类型")),
)

WALK_COLUMNS: tuple[Column, ...] = (
    Column("origin", "str", "Residence id.", required=True, aliases=("起点",)),
    Column("destination", "str", "Site or outlet id.", required=True, aliases=("终点",)),
    Column("minutes", "float", "Walk time.", required=True, unit="min", min=0, aliases=("分钟", "步行时间")),
)

# Where a CSV row is (residences, sites, outlets without a geometry column). Unlike the columns above,
# these headers are matched ignoring case, and the first present, in the order written, is read.
COORDINATE_COLUMNS: tuple[Column, ...] = (
    Column(
        "lon",
        "float",
        "Longitude (east), decimal degrees, in the system of inputs.coordinates.",
        unit="degrees",
        aliases=("lng", "longitude", "x", "经度"),
    ),
    Column(
        "lat",
        "float",
        "Latitude (north), decimal degrees, in the system of inputs.coordinates.",
        unit="degrees",
        aliases=("latitude", "y", "纬度"),
    ),
)

TABLES: dict[str, tuple[Column, ...]] = {
    "residences": RESIDENCE_COLUMNS,
    "sites": SITE_COLUMNS,
    "outlets": OUTLET_COLUMNS,
    "walk_minutes": WALK_COLUMNS,
}


def _fmt_default(v: Any) -> str:
    if v is None or v == ():
        return ""
    return f"`{v}`"


def _range(item: Key | Column) -> str:
    parts = []
    if item.min is not None:
        parts.append(f"{'>' if item.exclusive_min else '>='} {item.min:g}")
    if item.max is not None:
        parts.append(f"<= {item.max:g}")
    return ", ".join(parts)


def _columns_markdown(cols: tuple[Column, ...]) -> list[str]:
    out = [
        "| column | also read as | type | unit | default | allowed | description |",
        "|---|---|---|---|---|---|---|",
    ]
    for c in cols:
        aliases = ", ".join(f"`{a}`" for a in c.aliases)
        req = " **required**" if c.required else ""
        out.append(
            f"| `{c.name}` | {aliases} | {c.type} | {c.unit} | {_fmt_default(c.default)} | {_range(c)} | "
            f"{c.description}{req} |"
        )
    return out


def markdown() -> str:
    """The scenario format as Markdown, generated from the schema above."""
    out = [
        "### Scenario file keys",
        "",
        "| key | type | unit | default | allowed | description |",
        "|---|---|---|---|---|---|",
    ]
    for k in KEYS:
        allowed = ", ".join(k.choices) if k.choices else _range(k)
        req = " **required**" if k.required else ""
        out.append(
            f"| `{k.path}` | {k.type} | {k.unit} | {_fmt_default(k.default)} | {allowed} | "
            f"{k.description}{req} |"
        )
    for table, cols in TABLES.items():
        out += ["", f"### Table `{table}`", ""] + _columns_markdown(cols)
    out += [
        "",
        "### Coordinate columns (CSV tables of residences, sites and outlets)",
        "",
        *_columns_markdown(COORDINATE_COLUMNS),
        "",
        "Tables may be GeoPackage, GeoJSON, Shapefile (geometry column), or CSV with `lon`/`lat` "
        "columns (residences, sites, outlets). A header written as one of a column's aliases is read "
        "as that column (two headers for one column are a problem); coordinate headers are matched "
        "ignoring case, the first present read.",
        "",
        "### Format catalog fields (overridable per format)",
        "",
        "| field | source |",
        "|---|---|",
    ]
    out += [f"| `{k}` | {v} |" for k, v in CATALOG_SOURCES.items()]
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------------------------------------------------
# output tables: the columns the writers emit and the verification reads back (required: the
# verification cannot check a folder without them)
# ---------------------------------------------------------------------------------------------------------

OUTPUT_TABLES: dict[str, tuple[Column, ...]] = {
    "placements": (
        Column("site_id", "str", "Site opened.", required=True),
        Column("format", "str", "Format opened there (catalog key).", required=True),
        Column("name_zh", "str", "Format's Chinese name."),
        Column("fitout_yuan", "float", "Fit-out paid from the capital budget.", unit="yuan", required=True),
        Column("rent_yuan_per_year", "float", "Rent of the format's floor area.", unit="yuan/year"),
        Column("subsidy_yuan_per_year", "float", "Rent subsidy paid.", unit="yuan/year", required=True),
        Column("opex_yuan_per_year", "float", "Operating cost (staff, utilities).", unit="yuan/year"),
        Column("catchment", "float", "Residents sharing the outlet's custom.", unit="persons"),
        Column("margin_yuan_per_year", "float", "Gross margin from the catchment.", unit="yuan/year"),
        Column("area_m2", "float", "Floor area used.", unit="m2"),
    ),
    "coverage": (
        Column("residence_id", "str", "Residence.", required=True),
        Column("group", "str", "Speed group: all, or under_60 / elderly when the elderly walk slower."),
        Column("format", "str", "Format.", required=True),
        Column(
            "population", "float", "Residents of this residence and group.", unit="persons", required=True
        ),
        Column(
            "minutes_before",
            "float",
            "Walk to the nearest existing outlet (empty: none in reach).",
            unit="min",
            required=True,
        ),
        Column(
            "minutes_after", "float", "Walk to the nearest outlet after the plan.", unit="min", required=True
        ),
        Column("covered_before", "bool", "Within the format's walk limit before.", required=True),
        Column("covered_after", "bool", "Within the format's walk limit after.", required=True),
        Column("credit_before", "float", "Coverage credit before (1, the partial credit, or 0)."),
        Column("credit_after", "float", "Coverage credit after."),
    ),
    "excluded": (
        Column("site_id", "str", "Site."),
        Column("format", "str", "Format that could not open there."),
        Column("reason", "str", "Why (the first rule that holds)."),
        Column("amount", "float", "By how much the reason fails (e.g. the floor area or capital missing)."),
        Column("amount_unit", "str", "Unit of `amount` (m2, yuan, min, ...)."),
    ),
    # explain.csv; placements.csv repeats these columns after its own
    "explain": (
        Column("site_id", "str", "Site opened.", required=True),
        Column("format", "str", "Format opened there.", required=True),
        Column(
            "residents_newly_covered",
            "float",
            "Residents within the walk limit who had no outlet of the format in reach before.",
            unit="persons",
        ),
        Column(
            "residents_only_here",
            "float",
            "Of those, the residents no other placement of the format reaches.",
            unit="persons",
        ),
        Column(
            "priority_residents_covered",
            "float",
            "Newly covered residents of old neighbourhoods or affordable housing.",
            unit="persons",
        ),
        Column("public_money_yuan", "float", "Fit-out plus one year of rent subsidy.", unit="yuan"),
        Column("residents_per_10k_yuan", "float", "Residents newly covered per 10,000 yuan of public money."),
        Column(
            "weighted_loss_if_removed",
            "float",
            "Weighted coverage lost when the placement is forbidden and the plan re-optimised "
            "(empty unless asked for: `run --explain-money`, `explain`).",
        ),
        Column("removal_note", "str", "When the plan without it cannot meet a mandate, why."),
    ),
}
