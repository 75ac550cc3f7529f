"""Typed, frozen configuration: one dataclass per section of the scenario file.

The schema (:mod:`optimizer.schema`) is the one place where keys, types, ranges and defaults are
written; the dataclasses here take their defaults from it, and :func:`check_against_schema` (run by
the tests) proves the two agree field for field. Validation (:mod:`optimizer.scenario`) turns a YAML
mapping into a :class:`ScenarioConfig` once; after that, code reads attributes
(``config.budget.capital_yuan``) that a reader can follow, and a variant is a
:meth:`ScenarioConfig.replace` of one dotted key.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from .schema import KEY_BY_PATH, KEYS


def _default(path: str) -> Any:
    return KEY_BY_PATH[path].default


@dataclass(frozen=True)
class InputsConfig:
    """Where the tables are (paths as written in the scenario file, relative to its folder)."""

    residences: str | None = None
    residences_layer: str | None = None
    sites: str | None = None
    sites_layer: str | None = None
    outlets: str | None = None
    outlets_layer: str | None = None
    coordinates: str = _default("inputs.coordinates")
    walk_minutes: str | None = None


@dataclass(frozen=True)
class WalkConfig:
    """How walk minutes are made. ``source`` is resolved at validation (never None afterwards);
    ``network`` is an absolute path once a scenario is loaded."""

    source: str | None = None
    speed_m_per_s: float = _default("walk.speed_m_per_s")
    elderly_speed_m_per_s: float | None = None
    detour_factor: float = _default("walk.detour_factor")
    network: str | None = None
    include_highway: tuple[str, ...] | None = None
    exclude_highway: tuple[str, ...] | None = None
    cache: bool = _default("walk.cache")


@dataclass(frozen=True)
class PriorityConfig:
    old_neighbourhood: float = _default("priority.old_neighbourhood")
    affordable_housing: float = _default("priority.affordable_housing")
    elderly: float = _default("priority.elderly")


@dataclass(frozen=True)
class BudgetConfig:
    """The two budgets; the budget constraint family (:mod:`optimizer.model.budgets`) says which
    money each one limits."""

    capital_yuan: float = 0.0
    rent_subsidy_yuan_per_year: float = _default("budget.rent_subsidy_yuan_per_year")


@dataclass(frozen=True)
class SubsidyConfig:
    """``formats``: catalog keys eligible for rent subsidy (resolved at validation; None before)."""

    share_of_rent: float = _default("subsidy.share_of_rent")
    formats: tuple[str, ...] | None = None


@dataclass(frozen=True)
class ViabilityConfig:
    enabled: bool = _default("viability.enabled")


@dataclass(frozen=True)
class PartialCreditConfig:
    factor: float | None = None
    credit: float = _default("partial_credit.credit")


@dataclass(frozen=True)
class MandateConfig:
    """At least ``min_share`` of ``group``'s population covered for each of ``formats``."""

    group: str
    formats: tuple[str, ...]
    min_share: float


def _numbers(values: tuple[float, ...] | None) -> tuple[float, ...] | None:
    """Numbers of a per-year list (a scenario file's are numbers already; a config built in Python may
    hold text); text that is no number stays, for the phasing check to report."""
    if values is None:
        return None
    out: list[Any] = []
    for v in values:
        try:
            out.append(float(str(v).replace("_", "").replace(",", "")))
        except ValueError:
            out.append(v)
    return tuple(out)


@dataclass(frozen=True)
class PhasingConfig:
    """Yearly budgets for a phased plan (:mod:`optimizer.explain.phasing`); ``years`` None: no phasing."""

    years: int | None = None
    capital_yuan_per_year: tuple[float, ...] | None = None
    rent_subsidy_yuan_per_year: tuple[float, ...] | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "capital_yuan_per_year", _numbers(self.capital_yuan_per_year))
        object.__setattr__(self, "rent_subsidy_yuan_per_year", _numbers(self.rent_subsidy_yuan_per_year))


@dataclass(frozen=True)
class ObjectiveConfig:
    tie_break: str = _default("objective.tie_break")
    tie_break_method: str = _default("objective.tie_break_method")


@dataclass(frozen=True)
class SolverConfig:
    """Solver = name + options; serialisable in the scenario file under ``solver:``."""

    name: str = _default("solver.name")
    time_limit_s: float = _default("solver.time_limit_s")
    mip_gap: float = _default("solver.mip_gap")
    threads: int = _default("solver.threads")
    decompose: str = _default("solver.decompose")
    options: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_config(cls, cfg: Mapping[str, Any]) -> SolverConfig:
        """From a mapping of the ``solver:`` section (missing or None values take the defaults)."""
        return _build(cls, cfg)

    def to_dict(self) -> dict[str, Any]:
        return {f.name: _plain(getattr(self, f.name)) for f in fields(self)}


@dataclass(frozen=True)
class ScenarioConfig:
    """Every section of a scenario file, validated, with defaults applied."""

    name: str = _default("name")
    description: str = _default("description")
    inputs: InputsConfig = field(default_factory=InputsConfig)
    formats: Mapping[str, Mapping[str, Any]] | None = None
    walk: WalkConfig = field(default_factory=WalkConfig)
    priority: PriorityConfig = field(default_factory=PriorityConfig)
    budget: BudgetConfig = field(default_factory=BudgetConfig)
    subsidy: SubsidyConfig = field(default_factory=SubsidyConfig)
    viability: ViabilityConfig = field(default_factory=ViabilityConfig)
    partial_credit: PartialCreditConfig = field(default_factory=PartialCreditConfig)
    mandates: tuple[MandateConfig, ...] = ()
    phasing: PhasingConfig = field(default_factory=PhasingConfig)
    objective: ObjectiveConfig = field(default_factory=ObjectiveConfig)
    solver: SolverConfig = field(default_factory=SolverConfig)
    variants: Mapping[str, Mapping[str, Any]] | None = None
    """Named overrides for comparisons (:mod:`optimizer.study.variants`); a single run ignores them."""

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ScenarioConfig:
        """From a nested mapping of validated values (as :mod:`optimizer.scenario` produces)."""
        return _build(cls, data)

    def to_dict(self) -> dict[str, Any]:
        """The nested mapping a scenario file would hold (lists for tuples), e.g. to re-validate."""
        return _plain(self)

    def get(self, path: str) -> Any:
        """The value of a dotted key, e.g. ``config.get("budget.capital_yuan")``."""
        node: Any = self
        for part in path.split("."):
            node = getattr(node, part)
        return node

    def replace(self, path: str, value: Any) -> ScenarioConfig:
        """A copy with one dotted key changed (``dataclasses.replace`` along the path). The value is
        taken as given: :meth:`optimizer.scenario.Scenario.with_config` validates changes."""
        head, _, rest = path.partition(".")
        if not rest:
            return dataclasses.replace(self, **{head: value})
        return dataclasses.replace(self, **{head: _replace(getattr(self, head), rest, value)})


def _replace(node: Any, path: str, value: Any) -> Any:
    head, _, rest = path.partition(".")
    if not rest:
        return dataclasses.replace(node, **{head: value})
    return dataclasses.replace(node, **{head: _replace(getattr(node, head), rest, value)})


def _plain(v: Any) -> Any:
    """Dataclasses to dicts and tuples to lists: what a YAML or JSON file holds."""
    if dataclasses.is_dataclass(v) and not isinstance(v, type):
        return {f.name: _plain(getattr(v, f.name)) for f in fields(v)}
    if isinstance(v, Mapping):
        return {str(k): _plain(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_plain(x) for x in v]
    return v


def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _dataclass_of(tp: Any) -> type | None:
    """The dataclass inside a field type (``X``, ``X | None``), if any."""
    if dataclasses.is_dataclass(tp) and isinstance(tp, type):
        return tp
    if isinstance(tp, types.UnionType) or typing.get_origin(tp) is typing.Union:
        for a in typing.get_args(tp):
            if dataclasses.is_dataclass(a) and isinstance(a, type):
                return a
    return None


def _build(cls: type, data: Mapping[str, Any]) -> Any:
    """Instantiate ``cls`` from a mapping, recursing into nested dataclasses; None means default."""
    hints = _hints(cls)
    kwargs: dict[str, Any] = {}
    for f in fields(cls):
        if f.name not in data or data[f.name] is None:
            continue
        v = data[f.name]
        tp = hints[f.name]
        sub = _dataclass_of(tp)
        if sub is not None and isinstance(v, Mapping):
            v = _build(sub, v)
        elif f.name == "mandates":
            v = tuple(m if isinstance(m, MandateConfig) else _build(MandateConfig, m) for m in v)
        elif isinstance(v, list):
            v = tuple(v)
        elif isinstance(v, Mapping):
            v = {k: dict(x) if isinstance(x, Mapping) else x for k, x in v.items()}
        kwargs[f.name] = v
    return cls(**kwargs)


def _field_default(f: dataclasses.Field[Any]) -> Any:
    if f.default is not dataclasses.MISSING:
        return f.default
    factory: Any = f.default_factory
    return factory()


def check_against_schema() -> list[str]:
    """Disagreements between the dataclasses and the schema (none when they match field for field)."""
    problems: list[str] = []
    seen: set[str] = set()

    def walk(cls: type, prefix: str) -> None:
        hints = _hints(cls)
        for f in fields(cls):
            path = f"{prefix}{f.name}"
            sub = _dataclass_of(hints[f.name])
            if path == "mandates":
                seen.add(path)
                walk(MandateConfig, "mandates[].")
                continue
            if sub is not None and path != "mandates[]":
                walk(sub, f"{path}.")
                continue
            seen.add(path)
            key = KEY_BY_PATH.get(path)
            if key is None:
                problems.append(f"{path}: a config field the schema does not know")
                continue
            if key.required or cls is MandateConfig:
                continue
            default = _field_default(f)
            want = key.default if key.default != () else ()
            if default != want and not (want is None and default in ({}, ())):
                problems.append(
                    f"{path}: default {default!r} in the config type, {key.default!r} in the schema"
                )

    walk(ScenarioConfig, "")
    for k in KEYS:
        if k.path not in seen:
            problems.append(f"{k.path}: a schema key with no config field")
    return problems
