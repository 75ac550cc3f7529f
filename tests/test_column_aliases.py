"""Planners' own tables: headers written as a column's alias (often Chinese) read as the schema's names."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml

import optimizer as qh
from optimizer.errors import ScenarioError
from optimizer.schema import COORDINATE_COLUMNS, TABLES

TINY = Path(__file__).parent / "data" / "tiny"
CHINESE = {
    "residences.csv": {
        "id": "编号",
        "population": "人口",
        "old_neighbourhood": "老旧小区",
        "affordable_housing": "保障房",
        "elderly_share": "老龄化率",
        "lon": "经度",
        "lat": "纬度",
    },
    "sites.csv": {
        "id": "编号",
        "floor_area_m2": "面积",
        "rent_yuan_per_m2_month": "租金",
        "fitout_yuan": "装修费",
        "allowed_formats": "允许业态",
        "max_formats": "最多业态数",
        "lon": "经度",
        "lat": "纬度",
    },
    "outlets.csv": {"id": "编号", "format": "业态", "lon": "经度", "lat": "纬度"},
    "walk_minutes.csv": {"origin": "起点", "destination": "终点", "minutes": "步行时间"},
}


def _copy(tmp_path: Path, headers: dict[str, dict[str, str]], straight_line: bool = False) -> Path:
    folder = tmp_path / "scenario"
    shutil.copytree(TINY, folder)
    for name, rename in headers.items():
        df = pd.read_csv(folder / name, dtype=str, keep_default_na=False)
        df.rename(columns=rename).to_csv(folder / name, index=False)
    if straight_line:  # walk times from the coordinates, so lon/lat are read through their aliases too
        doc = yaml.safe_load((folder / "scenario.yaml").read_text(encoding="utf-8"))
        del doc["inputs"]["walk_minutes"]
        (folder / "scenario.yaml").write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    return folder / "scenario.yaml"


def test_aliases_are_unambiguous() -> None:
    for table, cols in {**TABLES, "coordinates": COORDINATE_COLUMNS}.items():
        names = [n for c in cols for n in (c.name, *c.aliases)]
        assert len(names) == len(set(names)), table


@pytest.mark.parametrize("straight_line", [False, True], ids=["walk_minutes", "straight_line"])
def test_chinese_headers_load_and_solve_to_the_same_answer(tmp_path: Path, straight_line: bool) -> None:
    english = qh.load_scenario(_copy(tmp_path / "en", {}, straight_line))
    chinese = qh.load_scenario(_copy(tmp_path / "zh", CHINESE, straight_line))
    for table in ("residences", "sites", "outlets", "formats"):
        pd.testing.assert_frame_equal(getattr(english, table), getattr(chinese, table))
    if not straight_line:
        pd.testing.assert_frame_equal(english.walk_minutes, chinese.walk_minutes)
    a, b = qh.solve(english), qh.solve(chinese)
    assert a.status == b.status == "optimal"
    assert a.first.objective == pytest.approx(b.first.objective)
    pd.testing.assert_frame_equal(a.placements, b.placements)


def test_two_headers_for_one_column_are_one_clear_problem(tmp_path: Path) -> None:
    scenario = _copy(tmp_path, {})
    res = pd.read_csv(scenario.parent / "residences.csv", dtype=str, keep_default_na=False)
    res.insert(2, "人口", res["population"])
    res.to_csv(scenario.parent / "residences.csv", index=False)
    with pytest.raises(ScenarioError) as e:
        qh.load_scenario(scenario)
    assert len(e.value.problems) == 1, e.value
    p = e.value.problems[0]
    assert p.message == "columns 'population' and '人口' both mean 'population': only one can be read"
    assert (Path(p.file).name, p.column) == ("residences.csv", "population")
    assert p.fix == "keep one of them (delete or rename the others)"


def test_aliases_apply_to_frames_too() -> None:
    config = {"budget": {"capital_yuan": 1e6}}
    res = pd.DataFrame({"编号": ["r1"], "人数": [100], "经度": [121.47], "纬度": [31.23]})
    sites = pd.DataFrame(
        {"编号": ["s1"], "使用面积": [80], "月租金": [10], "lng": [121.471], "latitude": [31.23]}
    )
    sc = qh.Scenario.from_frames(res, sites, config=config)
    assert list(sc.residences.index) == ["r1"] and sc.residences.at["r1", "population"] == 100
    assert sc.sites.at["s1", "floor_area_m2"] == 80
    assert sc.sites.at["s1", "rent_yuan_per_m2_month"] == 10
    three = "columns '使用面积', '面积' and 'area_m2' all mean 'floor_area_m2'"
    with pytest.raises(ScenarioError, match=three):
        qh.Scenario.from_frames(res, sites.assign(面积=1, area_m2=3), config=config)
