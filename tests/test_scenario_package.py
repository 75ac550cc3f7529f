"""The scenario package: small modules and functions, inputs never changed, names quoted as written."""

from __future__ import annotations

import ast
import copy
from pathlib import Path

import pandas as pd
import pytest

from optimizer.errors import ScenarioError
from optimizer.scenario import Scenario

PACKAGE = Path(__file__).resolve().parents[1] / "optimizer" / "scenario"


def _frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    res = pd.DataFrame({"id": ["r1"], "population": [100], "lon": [121.47], "lat": [31.23]})
    sites = pd.DataFrame(
        {
            "id": ["s1"],
            "floor_area_m2": [100],
            "rent_yuan_per_m2_month": [10],
            "lon": [121.47],
            "lat": [31.23],
        }
    )
    return res, sites


@pytest.mark.parametrize("module", sorted(PACKAGE.glob("*.py")), ids=lambda p: p.name)
def test_modules_and_functions_stay_small(module: Path) -> None:
    text = module.read_text(encoding="utf-8")
    assert len(text.splitlines()) <= 600
    tree = ast.parse(text)
    assert ast.get_docstring(tree), f"{module.name} starts without a docstring"
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            assert node.end_lineno - node.lineno + 1 <= 80, f"{module.name}:{node.name} is too long"


def test_the_users_config_and_frames_are_left_as_they_were() -> None:
    res, sites = _frames()
    config = {
        "budget": {"capital_yuan": 1e6},
        "formats": {"药店": {"walk_minutes": 10}},
        "mandates": [{"group": "all", "formats": ["药店"], "min_share": 0.1}],
    }
    before = copy.deepcopy(config)
    frames = (res.copy(), sites.copy())
    sc = Scenario.from_frames(res, sites, config=config)
    assert config == before
    pd.testing.assert_frame_equal(res, frames[0])
    pd.testing.assert_frame_equal(sites, frames[1])
    assert sc.config.mandates[0].formats == ("pharmacy",)
    assert sc.config.walk.source == "straight_line"
    assert sc.config.subsidy.formats == ()


def test_unknown_format_of_a_repeated_outlet_id_quotes_the_value() -> None:
    res, sites = _frames()
    outlets = pd.DataFrame(
        {"id": ["o1", "o1"], "format": ["zzz", "zzz"], "lon": [121.47] * 2, "lat": [31.23] * 2}
    )
    with pytest.raises(ScenarioError) as e:
        Scenario.from_frames(res, sites, outlets, {"budget": {"capital_yuan": 1}})
    messages = [p.message for p in e.value.problems]
    assert messages.count("unknown format 'zzz'") == 2, messages
