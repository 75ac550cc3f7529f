"""Bad scenarios typed by hand: each must exit 2 with a message naming the problem, no traceback,
no output folder, and the inputs untouched.

The cases are data: ``tests/bad_inputs/cases.yaml`` lists, for each, the edits applied to a copy of
``tests/data/tiny`` and the message fragments expected. Edits (``ops``):

- ``{delete: FILE}``                                  remove a file
- ``{write: FILE, text: ...}`` / ``{write: FILE, hex: ...}`` / ``{write: FILE, junk: N}``
                                                      write text, bytes, or N random-looking bytes
- ``{replace: FILE, old: ..., new: ...}``             replace text (``old`` must occur)
- ``{append: FILE, text: ...}``                       append text
- ``{set_cell: FILE, row: ID, column: COL, value: V}`` set a cell of a CSV (row by its id or origin;
                                                      ``row: "#N"`` is the N-th data line, from 1)
- ``{drop_column: FILE, column: COL}`` / ``{rename_column: FILE, old: A, new: B}``
- ``{drop_row: FILE, row: ID}`` / ``{duplicate_row: FILE, row: ID}`` / ``{header_only: FILE}``
- ``{yaml_set: KEY.PATH, value: V}`` / ``{yaml_delete: KEY.PATH}`` on scenario.yaml
- ``{encode: FILE, encoding: ENC}``                   re-encode a text file (e.g. gbk, utf-16)
- ``{xlsx: SRC, to: DST}``                           the CSV as a workbook, plus a second sheet
- ``{convert: SRC, to: DST, crs: EPSG|null, drop_prj: bool, layer: NAME}``  write a CSV's points as a
                                                      vector file (or add a layer to a GeoPackage)

Each case also says ``exit`` (default 2), ``expect`` (fragments that must all appear) and optionally
``problems`` (the exact number of problems reported) and ``scenario`` (a different scenario file name).
A case with ``exit: 0`` is a doubtful but usable input: it must solve, write summary.json and print
the expected warning.
"""

from __future__ import annotations

import hashlib
import shutil
import warnings
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

from cli import main

HERE = Path(__file__).parent
TINY = HERE / "data" / "tiny"
CASES_FILE = HERE / "bad_inputs" / "cases.yaml"
CASES: list[dict[str, Any]] = yaml.safe_load(CASES_FILE.read_text(encoding="utf-8"))


# ---------------------------------------------------------------------------------------------------------
# applying a case's edits to a copy of the tiny scenario
# ---------------------------------------------------------------------------------------------------------


def _read_csv(p: Path) -> pd.DataFrame:
    return pd.read_csv(p, dtype=str, keep_default_na=False)


def _row_index(df: pd.DataFrame, row: str) -> int:
    if str(row).startswith("#"):
        return int(str(row)[1:]) - 1
    key = "id" if "id" in df.columns else df.columns[0]
    hits = df.index[df[key] == str(row)]
    assert len(hits), f"row {row} not found"
    return int(hits[0])


def _yaml_path(doc: dict[str, Any], dotted: str, create: bool) -> tuple[dict[str, Any], str]:
    parts = dotted.split(".")
    node = doc
    for p in parts[:-1]:
        if create and not isinstance(node.get(p), dict):
            node[p] = {}
        node = node[p]
    return node, parts[-1]


OPTIONS = {
    "text",
    "hex",
    "junk",
    "old",
    "new",
    "row",
    "column",
    "value",
    "encoding",
    "to",
    "crs",
    "drop_prj",
    "layer",
}


def apply_op(folder: Path, op: dict[str, Any]) -> None:
    kind = next(k for k in op if k not in OPTIONS)
    target = folder / str(op[kind])
    if kind == "delete":
        target.unlink()
    elif kind == "write":
        if "hex" in op:
            target.write_bytes(bytes.fromhex(op["hex"]))
        elif "junk" in op:
            target.write_bytes(bytes((i * 7919 + 13) % 256 for i in range(int(op["junk"]))))
        else:
            target.write_text(op["text"], encoding="utf-8")
    elif kind == "replace":
        text = target.read_text(encoding="utf-8")
        assert op["old"] in text, f"{op['old']!r} not in {target.name}"
        target.write_text(text.replace(op["old"], op["new"]), encoding="utf-8")
    elif kind == "append":
        with target.open("a", encoding="utf-8") as f:
            f.write(op["text"])
    elif kind == "encode":
        target.write_bytes(target.read_text(encoding="utf-8").encode(op["encoding"]))
    elif kind == "yaml_set" or kind == "yaml_delete":
        scen = folder / "scenario.yaml"
        doc = yaml.safe_load(scen.read_text(encoding="utf-8"))
        node, last = _yaml_path(doc, str(op[kind]), create=kind == "yaml_set")
        if kind == "yaml_set":
            node[last] = op["value"]
        else:
            del node[last]
        scen.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    elif kind == "xlsx":  # the CSV as an Excel workbook's first sheet, with a notes sheet after it
        with pd.ExcelWriter(folder / op["to"]) as xw:
            _read_csv(target).to_excel(xw, sheet_name=target.stem, index=False)
            pd.DataFrame({"note": ["typed by hand"]}).to_excel(xw, sheet_name="notes", index=False)
    elif kind == "convert":
        import geopandas as gpd

        df = _read_csv(target)
        dst = folder / op["to"]
        crs = op.get("crs", 4326)
        gdf = gpd.GeoDataFrame(
            df.drop(columns=["lon", "lat"]),
            geometry=gpd.points_from_xy(df["lon"].astype(float), df["lat"].astype(float)),
            crs=crs,
        )
        with warnings.catch_warnings():  # pyogrio warns about the very defects these cases want
            warnings.simplefilter("ignore")
            gdf.to_file(dst, layer=op.get("layer"), engine="pyogrio")
        if op.get("drop_prj"):
            dst.with_suffix(".prj").unlink(missing_ok=True)
    else:
        df = _read_csv(target)
        if kind == "set_cell":
            df.loc[_row_index(df, op["row"]), op["column"]] = "" if op["value"] is None else str(op["value"])
        elif kind == "drop_column":
            df = df.drop(columns=[op["column"]])
        elif kind == "rename_column":
            df = df.rename(columns={op["old"]: op["new"]})
        elif kind == "drop_row":
            df = df.drop(index=_row_index(df, op["row"]))
        elif kind == "duplicate_row":
            i = _row_index(df, op["row"])
            df = pd.concat([df, df.iloc[[i]]], ignore_index=True)
        elif kind == "header_only":
            df = df.iloc[:0]
        else:
            raise AssertionError(f"unknown op {kind}")
        df.to_csv(target, index=False)


def build_case(case: dict[str, Any], root: Path) -> Path:
    folder = root / "scenario"
    shutil.copytree(TINY, folder)
    for op in case.get("ops", []):
        apply_op(folder, op)
    return folder


def _snapshot(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _flat(text: str) -> str:
    """The text without whitespace: the console wraps long warnings, even inside a path."""
    return "".join(text.split())


def run_cli(args: list[str]) -> Any:
    return CliRunner().invoke(main, args, catch_exceptions=True)


# ---------------------------------------------------------------------------------------------------------
# the tests
# ---------------------------------------------------------------------------------------------------------


def test_cases_are_many_and_distinct() -> None:
    names = [c["name"] for c in CASES]
    assert len(names) >= 50
    assert len(set(names)) == len(names), "case names must be unique"
    for c in CASES:
        assert c.get("expect"), f"{c['name']}: says no expected message"


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_bad_input(case: dict[str, Any], tmp_path: Path) -> None:
    folder = build_case(case, tmp_path)
    before = _snapshot(folder)
    out = tmp_path / "out"
    scenario = folder / case.get("scenario", "scenario.yaml")
    r = run_cli(["run", str(scenario), "--out", str(out), "--no-maps"])
    text = r.output
    assert "Traceback" not in text, text
    assert "internal error" not in text, text
    assert r.exception is None or isinstance(r.exception, SystemExit), repr(r.exception)
    assert r.exit_code == case.get("exit", 2), text
    flat = _flat(text)
    for fragment in case["expect"]:
        assert _flat(fragment) in flat, f"expected {fragment!r} in:\n{text}"
    if "problems" in case:
        n = case["problems"]
        assert f"{n} problem{'s' if n != 1 else ''} in the scenario" in text, text
    if r.exit_code == 0:
        assert "warning" in text, text
        assert (out / "summary.json").exists()
        return
    assert not out.exists(), "a failed run must leave no output folder"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out")], "temporary folder left behind"
    assert _snapshot(folder) == before, "the run changed its inputs"


def test_validate_agrees_with_run(tmp_path: Path) -> None:
    """`validate` reports the same problems as `run` (one case with many problems)."""
    case = next(c for c in CASES if c["name"] == "many_problems_at_once")
    folder = build_case(case, tmp_path)
    r = run_cli(["validate", str(folder / "scenario.yaml")])
    assert r.exit_code == 2
    assert "Traceback" not in r.output
    for fragment in case["expect"]:
        assert fragment in r.output


def test_valid_tiny_still_runs(tmp_path: Path) -> None:
    out = tmp_path / "out"
    r = run_cli(["run", str(TINY / "scenario.yaml"), "--out", str(out), "--no-maps", "-q"])
    assert r.exit_code == 0, r.output
    assert (out / "summary.json").exists()


def test_unreachable_residences_warn_not_fail(tmp_path: Path) -> None:
    """A residence no site and no outlet reaches is a warning listing it, and the run still solves."""
    folder = build_case(
        {
            "ops": [
                {"append": "residences.csv", "text": "r_far,300,false,false,0.1,121.490,31.240\n"},
                {"append": "residences.csv", "text": "r_lost,200,false,false,0.1,121.491,31.240\n"},
            ]
        },
        tmp_path,
    )
    out = tmp_path / "out"
    r = run_cli(["run", str(folder / "scenario.yaml"), "--out", str(out), "--no-maps"])
    assert r.exit_code == 0, r.output
    assert "Traceback" not in r.output
    assert "warning" in r.output
    flat = _flat(r.output)
    assert (
        _flat("2 residences are reached by no site and no outlet within any walk limit: r_far, r_lost")
        in flat
    )
    assert (out / "summary.json").exists()
