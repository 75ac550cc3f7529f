"""The result object for every audience, and atomic output folders."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import pytest  # noqa: E402

import optimizer as qh  # noqa: E402
from optimizer.io import atomic_dir  # noqa: E402


@pytest.fixture(scope="module")
def result() -> qh.Result:
    from pathlib import Path

    return qh.solve(qh.load_scenario(Path(__file__).parent / "data" / "tiny" / "scenario.yaml"))


def test_tables_are_keyed_by_the_users_ids(result) -> None:
    assert set(result.placements["site_id"]) <= {"s1", "s2", "s3"}
    cov = result.coverage
    assert set(cov["residence_id"]) == {"r1", "r2", "r3", "r4"}
    assert len(cov) == 4 * 2  # residences x formats
    r4 = cov[(cov["residence_id"] == "r4") & (cov["format"] == "convenience_store")].iloc[0]
    assert r4["minutes_before"] == 1 and bool(r4["covered_before"])


def test_geodataframes(result) -> None:
    p = result.to_geodataframe("placements")
    assert p.crs.to_epsg() == 4326 and len(p) == 2 and (p.geom_type == "Point").all()
    r = result.to_geodataframe("residences")
    assert {"convenience_store_before", "convenience_store_after", "pharmacy_after"} <= set(r.columns)
    assert r.set_index("residence_id").loc["r2", "pharmacy_after"] == 2000
    s = result.to_geodataframe("sites")
    assert s.set_index("site_id").loc["s1", "opened_formats"] == "convenience_store"
    with pytest.raises(ValueError, match="unknown layer"):
        result.to_geodataframe("nope")


def test_plot_explore_and_html(result) -> None:
    ax = result.plot("pharmacy")
    assert "pharmacy" in ax.get_title()
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["candidate site", "new placement"]
    m = result.explore()
    assert "folium" in type(m).__module__
    html = result._repr_html_()
    assert "optimal" in html and "s2" in html
    assert "optimal" in repr(result)


def test_atomic_dir_leaves_nothing_on_failure(tmp_path) -> None:
    target = tmp_path / "out"
    with pytest.raises(RuntimeError), atomic_dir(target) as tmp:
        (tmp / "half.csv").write_text("a,b\n")
        raise RuntimeError("interrupted")
    assert not target.exists()
    assert list(tmp_path.iterdir()) == []


def test_atomic_dir_keeps_the_old_folder_until_the_new_one_is_complete(tmp_path) -> None:
    target = tmp_path / "out"
    target.mkdir()
    (target / "old.txt").write_text("old")
    with pytest.raises(KeyboardInterrupt), atomic_dir(target, overwrite=True) as tmp:
        (tmp / "new.txt").write_text("new")
        raise KeyboardInterrupt
    assert (target / "old.txt").read_text() == "old" and not (target / "new.txt").exists()
    with atomic_dir(target, overwrite=True) as tmp:
        (tmp / "new.txt").write_text("new")
    assert sorted(p.name for p in target.iterdir()) == ["new.txt"]
