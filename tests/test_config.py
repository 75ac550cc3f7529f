"""The typed config agrees with the schema, and variants are plain replacements that validate."""

from __future__ import annotations

import dataclasses

import pytest

import optimizer as qh
from optimizer.config import BudgetConfig, ScenarioConfig, check_against_schema
from optimizer.errors import ScenarioError


def test_config_types_match_the_schema_field_for_field() -> None:
    assert check_against_schema() == []


def test_scenario_config_is_typed_and_frozen(tiny) -> None:
    sc = qh.load_scenario(tiny)
    assert isinstance(sc.config, ScenarioConfig)
    assert sc.config.budget == BudgetConfig(capital_yuan=400_000.0, rent_subsidy_yuan_per_year=0.0)
    assert sc.config.walk.source == "matrix"
    with pytest.raises(dataclasses.FrozenInstanceError):
        sc.config.budget.capital_yuan = 1.0  # type: ignore[misc]


def test_replace_changes_one_dotted_key_and_nothing_else(tiny) -> None:
    cfg = qh.load_scenario(tiny).config
    new = cfg.replace("budget.capital_yuan", 123.0)
    assert new.get("budget.capital_yuan") == 123.0
    assert cfg.budget.capital_yuan == 400_000.0
    assert dataclasses.replace(new, budget=cfg.budget) == cfg


def test_with_config_takes_dicts_or_typed_sections_and_validates(tiny) -> None:
    sc = qh.load_scenario(tiny)
    a = sc.with_config(budget={"capital_yuan": 5e5})
    b = sc.with_config(budget=dataclasses.replace(sc.config.budget, capital_yuan=5e5))
    assert a.config == b.config
    assert a.config.budget.capital_yuan == 5e5
    with pytest.raises(ScenarioError, match="'budget.capital_yuan': -1 is out of range: must be >= 0"):
        sc.with_config(budget={"capital_yuan": -1})


def test_to_dict_round_trips(tiny) -> None:
    cfg = qh.load_scenario(tiny).config
    assert ScenarioConfig.from_dict(cfg.to_dict()) == cfg
