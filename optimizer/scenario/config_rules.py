"""The scenario file's keys: each value coerced to its schema type, then the rules between keys.

:func:`validate_config` checks every key against :mod:`optimizer.schema` and returns the values with
defaults applied, as a fresh nested mapping it never changes afterwards. What depends on the tables
(the walk source, the formats in play) is resolved into new values, and :func:`build_config` makes the
typed :class:`~optimizer.config.ScenarioConfig` once from all of them.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..backends.registry import check_options as check_solver_options
from ..config import ScenarioConfig
from ..errors import Problem, did_you_mean
from ..groups import GROUP_BY_KEY
from ..schema import KEYS, Key
from .messages import FALSE, TRUE, warning

Coerced = tuple[Any, str | None]  # (value, problem or None)

# ---------------------------------------------------------------------------------------------------------
# one coercion per schema type
# ---------------------------------------------------------------------------------------------------------


def _text(value: Any, key: Key) -> Coerced:
    if isinstance(value, (dict, list)):
        return None, f"expected text, got {type(value).__name__}"
    return str(value), None


def _choice(value: Any, key: Key) -> Coerced:
    v = str(value).strip().lower()
    if v not in key.choices:
        return None, f"'{value}' is not one of {', '.join(key.choices)}{did_you_mean(v, key.choices)}"
    return v, None


def _bool(value: Any, key: Key) -> Coerced:
    if isinstance(value, bool):
        return value, None
    v = str(value).strip().lower()
    if v in TRUE or v in FALSE:
        return v in TRUE, None
    return None, f"expected true or false, got '{value}'"


def _number(value: Any, key: Key) -> Coerced:
    """A float or int within the key's range (text may use _ or , between thousands)."""
    if isinstance(value, bool):
        return None, f"expected a number, got {value}"
    v = float(str(value).replace("_", "").replace(",", "")) if isinstance(value, str) else float(value)
    if not np.isfinite(v):
        return None, f"expected a finite number, got {value}"
    if key.type == "int":
        if v != int(v):
            return None, f"expected a whole number, got {value}"
        v = int(v)
    if key.min is not None and (v < key.min or (key.exclusive_min and v == key.min)):
        return None, f"{value} is out of range: must be {'>' if key.exclusive_min else '>='} {key.min:g}"
    if key.max is not None and v > key.max:
        return None, f"{value} is out of range: must be <= {key.max:g}"
    return v, None


def _text_list(value: Any, key: Key) -> Coerced:
    if isinstance(value, str):
        return [s.strip() for s in value.split(";") if s.strip()], None
    if isinstance(value, (list, tuple)):
        return [str(v).strip() for v in value], None
    return None, f"expected a list, got {type(value).__name__}"


def _number_list(value: Any, key: Key) -> Coerced:
    """Numbers (a list, or text separated by ';'), each within the key's range."""
    items = [v for v in value.split(";") if v.strip()] if isinstance(value, str) else value
    if not isinstance(items, (list, tuple)):
        return None, f"expected a list of numbers, got {type(value).__name__}"
    out = []
    for n, item in enumerate(items, start=1):
        try:
            v, err = _number(item, key)
        except (TypeError, ValueError):
            v, err = None, f"expected a number, got '{item}'"
        if err:
            return None, f"item {n}: {err}"
        out.append(v)
    return out, None


def _mapping(value: Any, key: Key) -> Coerced:
    if isinstance(value, dict):
        return dict(value), None
    return None, f"expected a mapping (key: value), got {type(value).__name__}"


def _names_or_mapping(value: Any, key: Key) -> Coerced:
    """Formats: a mapping of name to overrides, or names (a list, or text separated by ';')."""
    if isinstance(value, dict):
        return dict(value), None
    if isinstance(value, (list, tuple)) and all(isinstance(v, (str, int)) for v in value):
        return {str(v): {} for v in value}, None
    if isinstance(value, str):
        return {v.strip(): {} for v in value.split(";") if v.strip()}, None
    return None, "expected a list of format names or a mapping of name to overrides"


def _mappings(value: Any, key: Key) -> Coerced:
    if isinstance(value, list) and all(isinstance(v, dict) for v in value):
        return list(value), None
    return None, "expected a list of mappings (- key: value)"


COERCE: dict[str, Callable[[Any, Key], Coerced]] = {
    "str": _text,
    "path": _text,
    "choice": _choice,
    "bool": _bool,
    "float": _number,
    "int": _number,
    "list[str]": _text_list,
    "list[float]": _number_list,
    "mapping": _mapping,
    "mapping|list[str]": _names_or_mapping,
    "list[mapping]": _mappings,
}


def coerce(value: Any, key: Key) -> Coerced:
    """Convert one YAML value to the key's type; return (value, problem or None). None stays None."""
    if value is None:
        return None, None
    if key.type not in COERCE:
        raise AssertionError(f"unknown schema type {key.type}")
    try:
        return COERCE[key.type](value, key)
    except (TypeError, ValueError):
        return None, f"expected a {key.type}, got '{value}'"


# ---------------------------------------------------------------------------------------------------------
# the keys of the scenario file
# ---------------------------------------------------------------------------------------------------------


def _sections() -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for k in KEYS:
        if "[]" in k.path:
            continue
        head, _, tail = k.path.partition(".")
        out.setdefault(head, [])
        if tail:
            out[head].append(tail)
    return out


SECTIONS = _sections()  # top-level key -> its keys (empty for a plain value such as name)
MANDATE_KEYS: dict[str, Key] = {k.path.split("[].")[1]: k for k in KEYS if k.path.startswith("mandates[].")}


def validate_config(raw: Any, file: str) -> tuple[dict[str, Any], list[Problem]]:
    """Every key of the YAML checked against the schema: the nested values with defaults applied, and
    every problem (unknown keys, missing required keys, values of the wrong type or range)."""
    found: list[Problem] = []
    if not isinstance(raw, dict):
        found.append(
            Problem(
                "the scenario file must be a mapping of keys (name:, inputs:, budget:, ...)",
                file=file,
                fix="see the README's scenario format",
            )
        )
        raw = {}
    found += _unknown_keys(raw, file)
    cfg, problems = _values(raw, file)
    mandates, more = _mandates(cfg.get("mandates") or [], file)
    solver = cfg.get("solver") or {}
    raw_phasing = raw.get("phasing") if isinstance(raw.get("phasing"), dict) else {}
    more += _phasing(cfg.get("phasing") or {}, {k for k, v in raw_phasing.items() if v is not None}, file)
    return {**cfg, "mandates": mandates}, found + problems + more + _solver_options(solver, file)


def _phasing(ph: Mapping[str, Any], given: set[str], file: str) -> list[Problem]:
    """Per-year budgets (``given`` in the file, even if unreadable) need ``phasing.years`` and one
    number per year."""
    lists = {k: v for k, v in ph.items() if k.endswith("_per_year") and v is not None}
    years = ph.get("years")
    if years is None and any(k.endswith("_per_year") for k in given):
        return [
            Problem(
                "'phasing.years' is not set, but per-year budgets are given",
                file=file,
                column="phasing.years",
                fix="add phasing: {years: N} with one number per year in each list",
            )
        ]
    return [
        Problem(
            f"'phasing.{k}': {len(v)} numbers for {years} years",
            file=file,
            column=f"phasing.{k}",
            fix=f"give one number per year, {years} in all",
        )
        for k, v in lists.items()
        if years is not None and len(v) != years
    ]


def _unknown_keys(raw: Mapping[Any, Any], file: str) -> list[Problem]:
    found = []
    for top, value in raw.items():
        if top not in SECTIONS:
            found.append(_unknown(f"'{top}'{did_you_mean(str(top), SECTIONS)}", str(top), file))
        elif SECTIONS[top] and value is not None and not isinstance(value, dict):
            found.append(
                Problem(f"'{top}' must be a mapping of {', '.join(SECTIONS[top])}", file=file, column=top)
            )
        elif SECTIONS[top] and isinstance(value, dict):
            found += [
                _unknown(f"'{top}.{sub}'{did_you_mean(str(sub), SECTIONS[top])}", f"{top}.{sub}", file)
                for sub in value
                if str(sub) not in SECTIONS[top]
            ]
    return found


def _unknown(what: str, column: str, file: str) -> Problem:
    return Problem(f"unknown key {what}", file=file, column=column, fix="remove it or correct its name")


def _values(raw: Mapping[Any, Any], file: str) -> tuple[dict[str, Any], list[Problem]]:
    """The value of every schema key (its default when absent), coerced to its type."""
    cfg: dict[str, Any] = {}
    found = []
    for key in KEYS:
        if "[]" in key.path:
            continue
        head, _, tail = key.path.partition(".")
        section = raw.get(head) if tail else raw
        value = section.get(tail or head) if isinstance(section, dict) else None
        if value is None:
            if key.required:
                found.append(
                    Problem(
                        f"'{key.path}' is required: {key.description}",
                        file=file,
                        column=key.path,
                        fix=f"add '{key.path}' to the scenario file",
                    )
                )
            v = copy.deepcopy(key.default)
        else:
            v, err = coerce(value, key)
            if err:
                found.append(Problem(f"'{key.path}': {err}", file=file, column=key.path, fix=key.description))
        node = cfg.setdefault(head, {}) if tail else cfg
        node[tail or head] = v
    return cfg, found


def _mandates(items: Sequence[Mapping[str, Any]], file: str) -> tuple[list[dict[str, Any]], list[Problem]]:
    out, found = [], []
    for n, item in enumerate(items, start=1):
        m, problems = _mandate(n, item, file)
        out.append(m)
        found += problems
    return out, found


def _mandate(n: int, item: Mapping[str, Any], file: str) -> tuple[dict[str, Any], list[Problem]]:
    """One equity floor {group, formats, min_share}: its keys known, present and of their types."""
    where = f"mandates[{n}]"
    found = [
        Problem(
            f"mandate {n}: unknown key '{name}'{did_you_mean(str(name), MANDATE_KEYS)}",
            file=file,
            column=f"{where}.{name}",
        )
        for name in item
        if name not in MANDATE_KEYS
    ]
    m: dict[str, Any] = {}
    for name, key in MANDATE_KEYS.items():
        column = f"{where}.{name}"
        if item.get(name) is None:
            found.append(
                Problem(f"mandate {n}: '{name}' is required: {key.description}", file=file, column=column)
            )
            continue
        v, err = coerce(item[name], key)
        if err:
            found.append(Problem(f"mandate {n}: '{name}': {err}", file=file, column=column))
        elif name == "formats" and not v:
            found.append(
                Problem(
                    f"mandate {n}: 'formats' is empty, so the mandate would do nothing",
                    file=file,
                    column=column,
                    fix="list the formats the floor applies to, or remove the mandate",
                )
            )
        m[name] = v
    return m, found


def _solver_options(solver: Mapping[str, Any], file: str) -> list[Problem]:
    """What the schema cannot state: option names and values, judged by the chosen solver's backend.
    (The schema caps solver.threads at 256: HiGHS aborts the whole process when asked for ~100000.)"""
    found = []
    for p in check_solver_options(solver.get("name"), solver.get("options")):
        where = f"solver.options.{p.option}"
        found.append(Problem(f"'{where}': {p.message}", file=file, column=where, fix=p.fix))
    return found


# ---------------------------------------------------------------------------------------------------------
# rules that need the tables, and the typed config
# ---------------------------------------------------------------------------------------------------------


def walk_source(walk: Mapping[str, Any], has_matrix: bool, file: str) -> tuple[str, list[Problem]]:
    """The walk source (given, or matrix / network / straight_line by what the inputs hold) and the
    problems of a source whose input is missing or an input no source uses."""
    src = walk.get("source")
    if src is None:
        src = "matrix" if has_matrix else ("network" if walk.get("network") else "straight_line")
    found = []
    if src == "matrix" and not has_matrix:
        found.append(
            Problem(
                "walk.source is 'matrix' but inputs.walk_minutes is not given",
                file=file,
                column="walk.source",
                fix="add inputs.walk_minutes or choose another walk.source",
            )
        )
    if src != "matrix" and has_matrix:
        found.append(
            warning(
                f"inputs.walk_minutes is given but walk.source is '{src}': "
                "the walk-minutes table is not used",
                file=file,
                column="walk.source",
                fix="remove walk.source (or set it to matrix) to use the table",
            )
        )
    return src, found + _network_use(walk, src, file)


def _network_use(walk: Mapping[str, Any], src: str, file: str) -> list[Problem]:
    if src != "network" and walk.get("network"):
        return [
            warning(
                f"walk.network is given but walk.source is '{src}': the street network is not used",
                file=file,
                column="walk.network",
                fix="remove walk.network, or set walk.source to network",
            )
        ]
    if src == "network" and not walk.get("network"):
        return [
            Problem(
                "walk.source is 'network' but walk.network is not given",
                file=file,
                column="walk.network",
                fix="give the street network file",
            )
        ]
    return []


def network_path(walk: Mapping[str, Any], folder: Path | None) -> str | None:
    """The street network file as an absolute path (relative to the scenario's folder), when both are
    known; otherwise None, and the config keeps the path as written."""
    network = walk.get("network")
    return str((folder / network).resolve()) if network and folder is not None else None


def empty_mandate_groups(
    mandates: Sequence[Mapping[str, Any]], res: pd.DataFrame, file: str
) -> list[Problem]:
    """A mandate for a group nobody belongs to constrains nothing: warn, since the flags may be missing."""
    if not len(res) or not {"old_neighbourhood", "affordable_housing"} <= set(res.columns):
        return []
    found = []
    for n, m in enumerate(mandates, start=1):
        group = GROUP_BY_KEY.get(str(m.get("group")))
        if group is not None and not group.mask(res).any():
            found.append(
                warning(
                    f"mandate {n} is for group '{group.key}' but no residence belongs to it: "
                    "it constrains nothing",
                    file=file,
                    column=f"mandates[{n}].group",
                    fix=f"mark the residences of that group ({group.members})",
                )
            )
    return found


def build_config(
    cfg: Mapping[str, Any],
    *,
    walk_source: str | None = None,
    network: str | None = None,
    subsidy_formats: Sequence[str],
    mandate_formats: Sequence[Sequence[str]],
) -> ScenarioConfig:
    """The typed config, made once from the validated values and what was resolved from the tables:
    the walk source, the street network's absolute path, and format names as catalog keys."""
    walk = dict(cfg["walk"])
    if walk_source is not None:
        walk["source"] = walk_source
    if network is not None:
        walk["network"] = network
    return ScenarioConfig.from_dict(
        {
            **cfg,
            "walk": walk,
            "subsidy": {**cfg["subsidy"], "formats": list(subsidy_formats)},
            "mandates": [
                {**m, "formats": list(f)} for m, f in zip(cfg["mandates"], mandate_formats, strict=True)
            ],
        }
    )
