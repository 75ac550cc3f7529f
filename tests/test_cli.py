"""End-to-end: the commands a planner runs, their files and their exit codes."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pandas as pd
from click.testing import CliRunner

from cli import main
from optimizer.report.console import tie_break_line
from optimizer.schema import markdown

ROOT = Path(__file__).resolve().parents[1]


def run(*args: str):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def test_run_writes_every_output_and_verifies(tiny, tmp_path) -> None:
    out = tmp_path / "out"
    r = run("run", tiny, "--out", out)
    assert r.exit_code == 0, r.output
    for name in (
        "summary.json",
        "placements.csv",
        "coverage.csv",
        "excluded.csv",
        "result.gpkg",
        "report.html",
        "report.md",
        "results.xlsx",
        "map.html",
        "verify.json",
    ):
        assert (out / name).is_file(), name
    s = json.loads((out / "summary.json").read_text())
    assert s["status"] == "optimal" and s["objective"] == 10_500 and s["mip_gap"] == 0
    tie = "least public money among plans of maximum coverage: proved (weighted: coverage exact, money within"
    assert tie in r.output
    assert s["formats"]["convenience_store"]["covered_before"] == 500
    assert s["budget"]["capital_yuan_used"] == 290_000 and s["budget"]["capital_yuan_limit"] == 400_000
    p = pd.read_csv(out / "placements.csv")
    assert list(p.columns[:5]) == ["site_id", "format", "name_zh", "fitout_yuan", "rent_yuan_per_year"]
    assert set(p["site_id"]) == {"s1", "s2"}
    cov = pd.read_csv(out / "coverage.csv")
    for col in (
        "residence_id",
        "format",
        "population",
        "minutes_before",
        "minutes_after",
        "covered_before",
        "covered_after",
    ):
        assert col in cov.columns
    assert json.loads((out / "verify.json").read_text())["ok"] is True
    report = (out / "report.html").read_text(encoding="utf-8")
    assert "第一部分 试点概要" in report and "data:image/png;base64," in report and "s2" in report
    import openpyxl

    assert openpyxl.load_workbook(out / "results.xlsx").sheetnames == [
        "汇总 summary",
        "新增网点 placements",
        "覆盖 coverage",
        "排除 excluded",
    ]
    # A second run must not overwrite without --overwrite
    r = run("run", tiny, "--out", out)
    assert r.exit_code == 2 and "exists" in r.output
    assert run("run", tiny, "--out", out, "--overwrite", "--no-maps").exit_code == 0
    assert run("verify", out).exit_code == 0


def test_run_refuses_to_write_over_its_inputs(tiny, tmp_path) -> None:
    folder = tmp_path / "sc"
    shutil.copytree(tiny.parent, folder)
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    r = run("run", folder / "scenario.yaml", "--out", folder, "--overwrite")
    assert r.exit_code == 2 and "inputs are never written" in r.output
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before


def test_infeasible_exit_code_and_diagnosis(tiny, tmp_path) -> None:
    folder = tmp_path / "sc"
    shutil.copytree(tiny.parent, folder)
    y = folder / "scenario.yaml"
    y.write_text(y.read_text() + "mandates:\n  - {group: all, formats: [pharmacy, 便利店], min_share: 1.0}\n")
    out = tmp_path / "out"
    r = run("run", y, "--out", out)
    assert r.exit_code == 3, r.output
    d = pd.read_csv(out / "diagnosis.csv")
    assert set(d["format"]) == {"pharmacy", "convenience_store"}
    # Each floor alone fits the 400k budget (pharmacy at s1+s3: 320k; stores at s1+s2: 290k), together
    # they need all four: 610k.
    assert d["met_within_budget"].all()
    assert (d["capital_needed_yuan"] == 610_000).all()
    plan = set(d["cheapest_plan_meeting_all"].iloc[0].split(";"))
    assert plan == {"s1:convenience_store", "s2:convenience_store", "s1:pharmacy", "s3:pharmacy"}
    assert "610,000" in r.output or "610000" in r.output
    # Without a plan the summary still says where the residents stand today (only o1 reaches r4 within
    # 5 minutes; no pharmacy anywhere) and leaves every "after" empty.
    s = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    store, pharmacy = s["formats"]["convenience_store"], s["formats"]["pharmacy"]
    assert (store["population"], store["covered_before"], store["share_before"]) == (5000, 500, 0.1)
    assert (pharmacy["covered_before"], pharmacy["share_before"]) == (0, 0)
    assert store["covered_after"] is store["share_after"] is pharmacy["share_after"] is None
    assert store["sites_opened"] == pharmacy["sites_opened"] == 0
    every = s["groups"]["all"]
    assert (every["covered_before_person_formats"], every["covered_after_person_formats"]) == (500, None)


def test_validate_formats_schema(tiny) -> None:
    r = run("validate", tiny)
    assert r.exit_code == 0 and "4 residences, 3 sites, 1 outlets" in r.output
    r = run("formats")
    assert r.exit_code == 0 and "标准化菜市场" in r.output and "convenience_store" in r.output
    assert run("schema").output.strip() == markdown().strip()


def test_verify_of_a_missing_folder_fails(tmp_path) -> None:
    assert run("verify", tmp_path / "nothing").exit_code == 4


def test_readme_scenario_format_is_generated_from_the_schema() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = re.search(r"<!-- schema:start -->\n(.*)<!-- schema:end -->", text, re.S)
    assert section is not None
    assert section.group(1) == markdown(), (
        "README is stale: regenerate its schema section from `quarterhour schema`"
    )


def test_readme_commands_match_ci() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    blocks = re.findall(r"```bash\n(.*?)\n```", text, re.S)
    assert len(blocks) == 2
    assert blocks[1].strip() in ci


def test_a_header_only_outlets_file_means_no_outlets(tiny, tmp_path) -> None:
    folder = tmp_path / "sc"
    shutil.copytree(tiny.parent, folder)
    (folder / "outlets.csv").write_text("id,format,lon,lat\n")
    lines = (tiny.parent / "walk_minutes.csv").read_text().splitlines()
    (folder / "walk_minutes.csv").write_text("\n".join(ln for ln in lines if ",o1," not in ln))
    r = run("run", folder / "scenario.yaml", "--out", tmp_path / "out", "--no-maps")
    assert r.exit_code == 0, r.output
    s = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert s["counts"]["outlets"] == 0 and s["formats"]["convenience_store"]["covered_before"] == 0


def test_outlets_of_formats_not_in_play_are_reported_not_silently_dropped(tiny, tmp_path) -> None:
    folder = tmp_path / "sc"
    shutil.copytree(tiny.parent, folder)
    with (folder / "outlets.csv").open("a") as f:
        f.write("o2,美容美发店,121.471,31.231\no3,laundry,121.472,31.231\n")
    r = run("validate", folder / "scenario.yaml")
    assert r.exit_code == 0, r.output
    assert "2 outlets are of formats not in play (hair_salon, laundry) and are not used: o2, o3" in r.output


def test_console_names_the_tie_break_only_when_asked(tiny, tmp_path) -> None:
    folder = tmp_path / "sc"
    shutil.copytree(tiny.parent, folder)
    y = folder / "scenario.yaml"
    y.write_text(y.read_text() + "objective: {tie_break: none}\n")
    r = run("run", y, "--out", tmp_path / "out", "--no-maps")
    assert r.exit_code == 0 and "least public money" not in r.output
    s = {"tie_break": "least_public_money", "tie_break_status": "not_run", "tie_break_proof": None}
    assert tie_break_line(s, "zh") == "同等覆盖下公共投入最少：未运行：时间上限已用完，保留覆盖最优方案"
    assert tie_break_line(s | {"tie_break_status": "feasible"}, "en") == (
        "least public money among plans of maximum coverage: not proved (a limit stopped it)"
    )
