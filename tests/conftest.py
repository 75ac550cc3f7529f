"""Shared fixtures: the tiny scenario and the real data beside the repository (skipped when absent)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

SHARED_DATA = ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session", autouse=True)
def _walk_cache_in_tmp(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Tests never write into the source tree: network walk times are cached in a session temp folder."""
    os.environ["QUARTERHOUR_CACHE_DIR"] = str(tmp_path_factory.mktemp("walk-cache"))


@pytest.fixture
def tiny() -> Path:
    return ROOT / "tests" / "data" / "tiny" / "scenario.yaml"


@pytest.fixture
def shared_data() -> Path:
    """../shared/data: real data that no one here wrote. Tests that need it skip cleanly without it."""
    if not SHARED_DATA.is_dir():
        pytest.skip("../shared/data is not present")
    return SHARED_DATA


@pytest.fixture(scope="session")
def huangpu_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shipped Huangpu scenario run once from the command line (Chinese report, map, workbook)."""
    from click.testing import CliRunner

    from cli import main

    out = tmp_path_factory.mktemp("huangpu") / "out"
    scenario = ROOT / "scenarios" / "shanghai_huangpu" / "scenario.yaml"
    r = CliRunner().invoke(main, ["run", str(scenario), "--out", str(out), "--quiet"], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    return out
