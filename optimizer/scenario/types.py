"""The validated scenario: typed tables indexed by the user's ids, the formats in play, the typed config.

:meth:`Scenario.from_frames` is the one way in (``load_scenario`` reads files and calls it): every check
runs, every problem is collected, and the scenario exists only when none is an error.
:meth:`Scenario.with_config` makes a variant with some config sections changed, checked again.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import geopandas as gpd
import pandas as pd
import pyproj

from ..config import ScenarioConfig
from ..coords import utm_crs
from ..errors import Problem, Problems
from ..walk import WalkTimeSource, make_source
from .config_rules import build_config, empty_mandate_groups, network_path, validate_config, walk_source
from .formats import Formats, nothing_in_play, resolve_formats
from .geometry import to_wgs84
from .table_rules import validate_table
from .walk_table import Known, check_walk_table

PLACED = ("residences", "sites", "outlets")  # the tables with a place on the map
T = TypeVar("T")
NO_OUTLETS = pd.DataFrame(
    {
        "id": pd.Series(dtype=str),
        "format": pd.Series(dtype=str),
        "lon": pd.Series(dtype=float),
        "lat": pd.Series(dtype=float),
    }
)


@dataclass
class Scenario:
    """A validated scenario: typed tables indexed by the user's ids, and the config with defaults.

    ``residences``, ``sites``, ``outlets``: GeoDataFrames in EPSG:4326 indexed by id (text).
    ``formats``: the formats in play (index: catalog key) with every catalog field after overrides.
    ``config``: the scenario file's keys, nested, with defaults applied.
    """

    name: str
    config: ScenarioConfig
    residences: gpd.GeoDataFrame
    sites: gpd.GeoDataFrame
    outlets: gpd.GeoDataFrame
    formats: pd.DataFrame
    walk_minutes: pd.DataFrame | None = None
    path: Path | None = None
    folder: Path = field(default_factory=Path.cwd)
    warnings: list[Problem] = field(default_factory=list)
    inputs: list[Path] = field(default_factory=list)

    @property
    def metric_crs(self) -> pyproj.CRS:
        """The UTM zone at the centre of the residences' bounding box: the CRS walk distances use."""
        x0, y0, x1, y1 = self.residences.total_bounds
        return utm_crs((x0 + x1) / 2, (y0 + y1) / 2)

    def walk_source(self, progress: bool = False) -> WalkTimeSource:
        """The walk-time source this scenario asks for (``walk.source``), built from its typed settings."""
        return make_source(
            self.config.walk, walk_minutes=self.walk_minutes, folder=self.folder, progress=progress
        )

    @classmethod
    def from_frames(
        cls,
        residences: pd.DataFrame,
        sites: pd.DataFrame,
        outlets: pd.DataFrame | None = None,
        config: dict[str, Any] | None = None,
        walk_minutes: pd.DataFrame | None = None,
        folder: Path | None = None,
        path: Path | None = None,
        files: dict[str, str] | None = None,
        problems: Problems | None = None,
        inputs: list[Path] | None = None,
    ) -> Scenario:
        """Validate tables (DataFrames with lon/lat or GeoDataFrames) and a config dict into a Scenario.

        ``config`` holds the same keys as a scenario file; ``inputs.residences``/``inputs.sites`` are
        not needed here.
        """
        probs = problems or Problems()
        files = files or {}
        where = {t: files.get(t, t) for t in (*PLACED, "walk_minutes")}
        cfg_file = str(path) if path else "config"
        cfg = _checked(validate_config(_with_frame_inputs(config, files), cfg_file), probs)
        frames = {"residences": residences, "sites": sites, "outlets": outlets}
        geo = _placed_tables(frames, where, cfg["inputs"]["coordinates"] or "wgs84", probs)
        formats = _formats(cfg, geo.get("sites"), geo.get("outlets"), cfg_file, where, probs)
        wm = None
        if walk_minutes is not None:
            ids = {t: geo[t].index if t in geo else None for t in PLACED}
            known = Known(**ids, outlets_unread=outlets is None and "outlets" in files)
            wm = _checked(check_walk_table(walk_minutes, where["walk_minutes"], known), probs)
        source = _checked(walk_source(cfg["walk"], wm is not None, cfg_file), probs)
        if "residences" in geo:
            probs.extend(empty_mandate_groups(cfg["mandates"], geo["residences"], cfg_file))
        probs.raise_if_any()
        return cls(
            name=str(cfg.get("name") or "scenario"),
            config=build_config(
                cfg,
                walk_source=source,
                network=network_path(cfg["walk"], folder),
                subsidy_formats=formats.subsidy,
                mandate_formats=formats.mandates,
            ),
            residences=geo["residences"],
            sites=formats.sites,
            outlets=formats.outlets,
            formats=formats.table,
            walk_minutes=wm,
            path=path,
            folder=folder or Path.cwd(),
            warnings=probs.warnings,
            inputs=list(inputs or []),
        )

    def with_config(self, **changes: Any) -> Scenario:
        """A copy with some config sections changed, validated again (e.g. ``budget={...}``, or a
        typed section such as ``budget=BudgetConfig(2e6, 3e5)``)."""
        raw = _changed(self.config.to_dict(), changes)
        if raw.get("formats") is None:
            raw = {**raw, "formats": {k: {} for k in self.formats.index}}
        probs = Problems()
        cfg = _checked(validate_config(raw, "config"), probs)
        formats = _formats(cfg, self.sites, self.outlets, "config", {t: t for t in PLACED}, probs)
        probs.raise_if_any()
        config = build_config(cfg, subsidy_formats=formats.subsidy, mandate_formats=formats.mandates)
        return dataclasses.replace(self, config=config, formats=formats.table)


def _checked(result: tuple[T, list[Problem]], probs: Problems) -> T:
    """The value of a check, its problems added to ``probs``."""
    value, found = result
    probs.extend(found)
    return value


def _with_frame_inputs(config: Mapping[str, Any] | None, files: Mapping[str, str]) -> dict[str, Any]:
    """The user's config (copied), with the residences and sites inputs named when it does not name
    them: tables given as frames need no path."""
    raw = copy.deepcopy(dict(config or {}))
    inputs: dict[str, Any] = raw["inputs"] if isinstance(raw.get("inputs"), dict) else {}
    given = {t: files.get(t, "<frame>") for t in ("residences", "sites")}
    return {**raw, "inputs": {**given, **inputs}}


def _placed_tables(
    frames: Mapping[str, pd.DataFrame | None], where: Mapping[str, str], coordinates: str, probs: Problems
) -> dict[str, gpd.GeoDataFrame]:
    """Residences, sites and outlets checked, then placed in EPSG:4326; a table with problems that stop
    it being placed is left out (its problems are reported)."""
    checked = {}
    for name in PLACED:
        df = frames[name]
        if df is None:  # no outlets (a survey may find none), or an outlets file that could not be read
            checked[name] = validate_table(NO_OUTLETS, name, where[name])[0]
        else:
            checked[name] = _checked(validate_table(df, name, where[name]), probs)
    geo = {}
    for name, df in checked.items():
        if "id" in getattr(df, "columns", []) or df.index.name != "id":
            continue  # missing columns already reported
        if len(df) == 0:
            geo[name] = gpd.GeoDataFrame(df, geometry=gpd.GeoSeries([], crs=4326, index=df.index), crs=4326)
            continue
        g = _checked(to_wgs84(df, where[name], coordinates), probs)
        if g is not None:
            geo[name] = g
    return geo


def _formats(
    cfg: Mapping[str, Any],
    sites: gpd.GeoDataFrame | None,
    outlets: gpd.GeoDataFrame | None,
    file: str,
    where: Mapping[str, str],
    probs: Problems,
) -> Formats:
    """The formats in play and every name resolved; 'no formats in play' only when nothing else is
    wrong (another problem would explain it)."""
    formats = _checked(resolve_formats(cfg, sites, outlets, file, where["sites"], where["outlets"]), probs)
    if not probs.errors:
        probs.extend(nothing_in_play(formats, file))
    return formats


def _changed(cfg: dict[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    """The config mapping with whole sections replaced, or a section's keys updated by a mapping."""
    out = dict(cfg)
    for section, values in changes.items():
        if dataclasses.is_dataclass(values) and not isinstance(values, type):
            values = ScenarioConfig().replace(section, values).to_dict()[section]
        elif isinstance(values, tuple):
            values = list(values)
        if isinstance(values, dict) and isinstance(out.get(section), dict):
            out[section] = {**out[section], **values}
        else:
            out[section] = values
    return out
