"""Variants of a scenario: named overrides of its keys, from the scenario's ``variants:``, a table (CSV or
Excel: one row a variant, one column a dotted key) or ``--vary key=start:stop:n`` specs. Every variant is
validated up front, and every problem is reported together, naming the variant and the key."""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import Problems, ScenarioError, did_you_mean
from ..scenario import Scenario
from ..schema import KEY_BY_PATH

BASE = "base"
# Keys a variant may not change: which tables are read, and the variants themselves.
FIXED_PREFIXES = ("inputs.", "variants")


@dataclass(frozen=True)
class Variant:
    """One named variant: ``overrides`` maps dotted keys (``budget.capital_yuan``,
    ``formats.pharmacy.walk_minutes``) to values; empty for the base scenario."""

    name: str
    overrides: Mapping[str, Any] = field(default_factory=dict)

    def label(self) -> str:
        """The overrides as text, e.g. ``budget.capital_yuan=2000000; subsidy.share_of_rent=0.3``."""
        return "; ".join(f"{k}={as_text(v)}" for k, v in self.overrides.items())


def as_text(v: Any) -> str:
    """A value as a table cell shows it: whole numbers without .0, lists ';'-joined."""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if isinstance(v, (list, tuple)):
        return ";".join(map(str, v))
    return str(v)


def flatten(overrides: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """``{budget: {capital_yuan: 1}}`` and ``{"budget.capital_yuan": 1}`` both to dotted keys. Mappings
    under ``formats.<name>``, ``solver.options`` and ``mandates`` are values, not sections."""
    out: dict[str, Any] = {}
    for k, v in overrides.items():
        path = f"{prefix}{k}"
        is_value = (
            path in KEY_BY_PATH and KEY_BY_PATH[path].type not in ("mapping|list[str]",)
        ) or path.startswith("formats.")
        if isinstance(v, Mapping) and not is_value:
            out.update(flatten(v, f"{path}."))
        else:
            out[path] = v
    return out


def check_key(path: str) -> str | None:
    """Why ``path`` cannot be varied, or None when it can."""
    if path.startswith(FIXED_PREFIXES):
        return f"'{path}' cannot be varied: a variant reads the same tables as its scenario"
    if path.startswith("formats."):
        parts = path.split(".")
        return None if len(parts) in (2, 3) else f"'{path}': use formats.<format>.<field>"
    if path in KEY_BY_PATH and "[]" not in path:
        return None
    known = [k for k in KEY_BY_PATH if "[]" not in k and not k.startswith(FIXED_PREFIXES)]
    return f"unknown key '{path}'{did_you_mean(path, known)}"


def _changes(scenario: Scenario, overrides: Mapping[str, Any]) -> dict[str, Any]:
    """The ``Scenario.with_config`` sections for a set of dotted overrides."""
    cfg = scenario.config.to_dict()
    changes: dict[str, Any] = {}
    for path, value in overrides.items():
        head, _, rest = path.partition(".")
        if head == "formats" and rest:
            fmts = changes.setdefault("formats", copy.deepcopy(cfg.get("formats") or {}))
            name, _, fld = rest.partition(".")
            entry = dict(fmts.get(name) or {})
            if fld:
                entry[fld] = value
            fmts[name] = entry if fld else (value or {})
        elif rest:
            changes.setdefault(head, {})[rest] = value
        else:
            changes[head] = value
    return changes


def apply(scenario: Scenario, overrides: Mapping[str, Any]) -> Scenario:
    """A validated copy of ``scenario`` with the dotted ``overrides`` applied."""
    if not overrides:
        return scenario
    return scenario.with_config(**_changes(scenario, overrides))


def build(scenario: Scenario, variants: Sequence[Variant]) -> list[tuple[Variant, Scenario]]:
    """Each variant applied to ``scenario``; raises ScenarioError listing every bad variant at once."""
    probs = Problems()
    out: list[tuple[Variant, Scenario]] = []
    seen: set[str] = set()
    for v in variants:
        where = {"file": "variants", "row": v.name}
        if v.name in seen:
            probs.add(
                f"variant name '{v.name}' is used twice", fix="give every variant its own name", **where
            )
        seen.add(v.name)
        bad = [msg for msg in map(check_key, v.overrides) if msg]
        for msg in bad:
            probs.add(msg, fix="use a key listed by `quarterhour schema`", **where)
        if bad:
            continue
        try:
            out.append((v, apply(scenario, v.overrides)))
        except ScenarioError as e:
            for p in e.problems:
                probs.add(p.message, column=p.column, fix=p.fix, **where)
    probs.raise_if_any()
    return out


def from_config(scenario: Scenario) -> list[Variant]:
    """The scenario file's ``variants:`` (name -> overrides, nested or dotted), in file order."""
    raw = scenario.config.variants or {}
    out = []
    for name, overrides in raw.items():
        if not isinstance(overrides, Mapping):
            raise ScenarioError(_problem(f"variant '{name}' must be a mapping of keys to values"))
        out.append(Variant(str(name), flatten(overrides)))
    return out


VARY_FIX = "write KEY=START:STOP:N or KEY=V1,V2,... with a key listed by `quarterhour schema`"


def _problem(message: str, fix: str = "write each variant as name: {dotted.key: value, ...}") -> list[Any]:
    p = Problems()
    p.add(message, file="variants", fix=fix)
    return p.items


def from_table(path: str | Path) -> list[Variant]:
    """A variants table: one row a variant, one column a dotted key; the first column (or ``name``)
    names the variants; an empty cell keeps the scenario's value."""
    p = Path(path)
    if not p.exists():
        raise ScenarioError(_problem(f"variants table {p} not found", fix="check the --variants path"))
    df = pd.read_excel(p) if p.suffix.lower() in (".xlsx", ".xls") else pd.read_csv(p, dtype=str)
    name_col = "name" if "name" in df.columns else df.columns[0]
    out = []
    for _, row in df.iterrows():
        overrides = {
            str(k): _cell(v) for k, v in row.items() if k != name_col and not pd.isna(v) and str(v).strip()
        }
        out.append(Variant(str(row[name_col]), overrides))
    return out


def _cell(v: Any) -> Any:
    """A table cell as YAML would read it (numbers, true/false, lists with ';' stay text for the schema)."""
    if isinstance(v, str):
        s = v.strip()
        try:
            return float(s.replace("_", ""))
        except ValueError:
            return s
    if isinstance(v, np.generic):
        return v.item()
    return v


def parse_vary(spec: str) -> tuple[str, list[Any]]:
    """``key=start:stop:n`` (n evenly spaced values, both ends included) or ``key=v1,v2,...``."""
    key, sep, values = spec.partition("=")
    key = key.strip()
    if not sep or not values.strip():
        raise ScenarioError(_problem(f"--vary '{spec}': write KEY=START:STOP:N or KEY=V1,V2,...", VARY_FIX))
    problem = check_key(key)
    if problem:
        raise ScenarioError(_problem(f"--vary: {problem}", VARY_FIX))
    parts = values.split(":")
    if len(parts) == 3:
        try:
            start, stop, n = float(parts[0]), float(parts[1]), int(parts[2])
        except ValueError:
            raise ScenarioError(
                _problem(f"--vary '{spec}': START:STOP:N must be numbers", VARY_FIX)
            ) from None
        if n < 2:
            raise ScenarioError(_problem(f"--vary '{spec}': N must be at least 2", VARY_FIX))
        return key, [float(v) for v in np.linspace(start, stop, n)]
    return key, [_cell(v) for v in values.split(",") if v.strip()]


def grid(dimensions: Mapping[str, Sequence[Any]]) -> list[Variant]:
    """Every combination of one or two varied keys, the last key varying fastest."""
    keys = list(dimensions)
    combos: list[dict[str, Any]] = [{}]
    for k in keys:
        combos = [{**c, k: v} for c in combos for v in dimensions[k]]
    return [Variant(f"p{i:03d}", c) for i, c in enumerate(combos)]
