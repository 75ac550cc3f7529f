"""Random damage to a valid scenario: the engine either solves or lists the problems, never crashes.

Hypothesis mutates copies of ``tests/data/tiny`` (rows deleted or duplicated, cells set to random text,
numbers, blanks, negatives or huge values, columns dropped or renamed, YAML values and keys mangled)
and runs ``quarterhour run`` through click's CliRunner. Allowed outcomes: exit 0 (solved, with
summary.json), 3 (infeasible) or 4 (no solution within the limits), or 2 (bad input, a message, and
no output folder). Exit 1 (internal error) or a traceback fails the test.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cli import main
from optimizer.backends.registry import SOLVER_NAMES
from optimizer.schema import KEYS

pytestmark = pytest.mark.slow

TINY = Path(__file__).parent / "data" / "tiny"
# QH_FUZZ_SCALE=10 runs ten times as many examples (a longer hunt for crashes than the default run)
SCALE = float(os.environ.get("QH_FUZZ_SCALE", "1"))
TABLES = ["residences.csv", "sites.csv", "outlets.csv", "walk_minutes.csv"]
COLUMNS = {f: list(pd.read_csv(TINY / f, dtype=str, nrows=0).columns) for f in TABLES}
ROWS = {f: len(pd.read_csv(TINY / f, dtype=str)) for f in TABLES}
KEY_PATHS = sorted({k.path for k in KEYS if "[]" not in k.path} | {"formats.pharmacy.walk_minutes"})

# ---------------------------------------------------------------------------------------------------------
# strategies
# ---------------------------------------------------------------------------------------------------------

cell_values = st.one_of(
    st.just(""),
    st.sampled_from(["NaN", "nan", "inf", "-inf", "None", "null", "true", "否", "1,000", " 12 ", "0", "-1"]),
    st.sampled_from(["pharmacy", "便利店", "s1", "r1", "o1", "pharmacy;laundry", "便利店；药店", "x;;y"]),
    st.integers(min_value=-(10**15), max_value=10**15).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.floats(min_value=-200, max_value=200).map(lambda v: f"{v:.4f}"),
    st.text(max_size=12),
)

yaml_values = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(10**12), max_value=10**12),
        st.floats(allow_nan=True, allow_infinity=True),
        st.text(max_size=10),
        st.sampled_from(["highs", "cbc", "pharmacy", "all", "gcj02", "matrix", "network", "1e3", "-0"]),
    ),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=5,
)

table_ops = st.one_of(
    st.tuples(st.just("delete_row"), st.sampled_from(TABLES), st.integers(0, 20)),
    st.tuples(st.just("duplicate_row"), st.sampled_from(TABLES), st.integers(0, 20)),
    st.tuples(
        st.just("set_cell"), st.sampled_from(TABLES), st.integers(0, 20), st.integers(0, 20), cell_values
    ),
    st.tuples(st.just("drop_column"), st.sampled_from(TABLES), st.integers(0, 20)),
    st.tuples(st.just("rename_column"), st.sampled_from(TABLES), st.integers(0, 20), st.text(max_size=8)),
    st.tuples(st.just("header_only"), st.sampled_from(TABLES)),
)

yaml_ops = st.one_of(
    st.tuples(st.just("set"), st.sampled_from(KEY_PATHS), yaml_values),
    st.tuples(st.just("delete"), st.sampled_from(KEY_PATHS)),
    st.tuples(st.just("rename"), st.sampled_from(KEY_PATHS), st.text(min_size=1, max_size=6)),
    st.tuples(st.just("set_top"), st.text(min_size=1, max_size=8), yaml_values),
    st.tuples(
        st.just("mandate"),
        st.dictionaries(st.sampled_from(["group", "formats", "min_share", "share"]), yaml_values, max_size=4),
    ),
    st.tuples(st.just("raw_text"), st.integers(0, 2000), st.text(max_size=6)),
)

# ---------------------------------------------------------------------------------------------------------
# applying mutations
# ---------------------------------------------------------------------------------------------------------


def _table_op(folder: Path, op: tuple[Any, ...]) -> None:
    kind, name = op[0], op[1]
    path = folder / name
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError):  # an earlier edit broke it: leave it broken
        return
    if kind == "delete_row" and len(df):
        df = df.drop(index=df.index[op[2] % len(df)])
    elif kind == "duplicate_row" and len(df):
        df = pd.concat([df, df.iloc[[op[2] % len(df)]]], ignore_index=True)
    elif kind == "set_cell" and len(df) and len(df.columns):
        df.iloc[op[2] % len(df), op[3] % len(df.columns)] = op[4]
    elif kind == "drop_column" and len(df.columns) > 1:
        df = df.drop(columns=[df.columns[op[2] % len(df.columns)]])
    elif kind == "rename_column" and len(df.columns) and op[3] not in df.columns:
        df = df.rename(columns={df.columns[op[2] % len(df.columns)]: op[3]})
    elif kind == "header_only":
        df = df.iloc[:0]
    df.to_csv(path, index=False)


def _yaml_op(folder: Path, op: tuple[Any, ...]) -> None:
    path = folder / "scenario.yaml"
    if op[0] == "raw_text":
        text = path.read_text(encoding="utf-8")
        i = op[1] % (len(text) + 1)
        path.write_text(text[:i] + op[2] + text[i:], encoding="utf-8")
        return
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError:  # an earlier raw-text edit broke it: leave it broken
        return
    if not isinstance(doc, dict):
        return
    if op[0] == "set_top":
        doc[op[1]] = op[2]
    elif op[0] == "mandate":
        doc.setdefault("mandates", [])
        if isinstance(doc["mandates"], list):
            doc["mandates"].append(op[1])
    else:
        *head, last = op[1].split(".")
        node = doc
        for part in head:
            if not isinstance(node.get(part), dict):
                if op[0] != "set":
                    return
                node[part] = {}
            node = node[part]
        if op[0] == "set":
            node[last] = op[2]
        elif op[0] == "delete":
            node.pop(last, None)
        elif op[0] == "rename" and last in node:
            node[last + op[2]] = node.pop(last)
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")


def _snapshot(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def run_mutated(table_mutations: list[tuple[Any, ...]], yaml_mutations: list[tuple[Any, ...]]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "scenario"
        shutil.copytree(TINY, folder)
        for op in table_mutations:
            _table_op(folder, op)
        for op in yaml_mutations:
            _yaml_op(folder, op)
        # every solve is bounded: a mangled time limit must not make the test slow
        before = _snapshot(folder)
        out = Path(tmp) / "out"
        r = CliRunner().invoke(
            main,
            [
                "run",
                str(folder / "scenario.yaml"),
                "--out",
                str(out),
                "--no-maps",
                "-q",
                "--time-limit",
                "20",
            ],
        )
        text = r.output
        context = f"\ntables: {table_mutations}\nyaml: {yaml_mutations}\noutput:\n{text}"
        assert "Traceback" not in text, context
        assert r.exit_code in (0, 2, 3, 4), f"exit {r.exit_code}{context}"
        if r.exit_code == 0:
            assert (out / "summary.json").exists(), context
        if r.exit_code == 2:
            assert text.strip(), context
            assert not out.exists(), context
        assert _snapshot(folder) == before, "the run changed its inputs" + context


@settings(
    max_examples=int(300 * SCALE),
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    table_mutations=st.lists(table_ops, min_size=0, max_size=3),
    yaml_mutations=st.lists(yaml_ops, min_size=0, max_size=3),
)
def test_mutated_scenarios_never_crash(table_mutations: list[Any], yaml_mutations: list[Any]) -> None:
    run_mutated(table_mutations, yaml_mutations)


@settings(
    max_examples=int(150 * SCALE),
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(table_mutations=st.lists(table_ops, min_size=1, max_size=6))
def test_mutated_tables_never_crash(table_mutations: list[Any]) -> None:
    run_mutated(table_mutations, [])


# ---------------------------------------------------------------------------------------------------------
# values inside the documented ranges, some extreme: the model, the solver and the writers must cope
# ---------------------------------------------------------------------------------------------------------

FORMAT_NAMES = ["convenience_store", "pharmacy", "breakfast", "laundry", "便利店", "药店", "supermarket"]
extreme = st.sampled_from([0, 1e-9, 1e-3, 1, 7, 1e6, 1e9, 1e12])
valid_cells = {
    ("residences.csv", "population"): st.sampled_from([1e-6, 1, 3, 1e5, 1e9, 1e12]),
    ("residences.csv", "elderly_share"): st.sampled_from([0, 0.5, 1, ""]),
    ("residences.csv", "old_neighbourhood"): st.sampled_from(["true", "false", "1", "是", "否", "", "Yes"]),
    ("residences.csv", "affordable_housing"): st.sampled_from(["true", "false", "0", ""]),
    ("sites.csv", "floor_area_m2"): st.sampled_from([1e-3, 1, 50, 1e5]),
    ("sites.csv", "rent_yuan_per_m2_month"): extreme,
    ("sites.csv", "fitout_yuan"): st.one_of(extreme, st.just("")),
    ("sites.csv", "max_formats"): st.sampled_from(["", 1, 2, 3, 100]),
    ("sites.csv", "allowed_formats"): st.lists(st.sampled_from(FORMAT_NAMES), max_size=3).map(";".join),
    ("outlets.csv", "format"): st.sampled_from(FORMAT_NAMES),
    ("walk_minutes.csv", "minutes"): st.sampled_from([0, 0.5, 4.99, 5, 5.01, 8, 15, 1e6]),
}
valid_keys = {
    "budget.capital_yuan": extreme,
    "budget.rent_subsidy_yuan_per_year": extreme,
    "subsidy.share_of_rent": st.sampled_from([0, 0.3, 1]),
    "subsidy.formats": st.lists(st.sampled_from(FORMAT_NAMES[:4]), max_size=2),
    "viability.enabled": st.booleans(),
    "partial_credit.factor": st.sampled_from([1.01, 1.5, 3]),
    "partial_credit.credit": st.sampled_from([0, 0.5, 1]),
    "priority.old_neighbourhood": st.sampled_from([0, 1, 10]),
    "priority.elderly": st.sampled_from([0, 2]),
    "objective.tie_break": st.sampled_from(["least_public_money", "none"]),
    "objective.tie_break_method": st.sampled_from(["auto", "weighted", "two_stage"]),
    "solver.name": st.sampled_from(list(SOLVER_NAMES)),
    "solver.mip_gap": st.sampled_from([0, 0.5]),
    "walk.source": st.sampled_from(["matrix", "straight_line"]),
    "walk.elderly_speed_m_per_s": st.sampled_from([0.5, 1.0]),
    "formats": st.one_of(
        st.lists(st.sampled_from(FORMAT_NAMES), min_size=1, max_size=3, unique=True),
        st.dictionaries(
            st.sampled_from(FORMAT_NAMES[:3]),
            st.fixed_dictionaries(
                {},
                optional={
                    "walk_minutes": st.sampled_from([0.1, 5, 60]),
                    "area_m2": extreme,
                    "weight": extreme,
                },
            ),
            min_size=1,
            max_size=3,
        ),
    ),
    "mandates": st.lists(
        st.fixed_dictionaries(
            {
                "group": st.sampled_from(["all", "old_neighbourhood", "affordable_housing", "priority"]),
                "formats": st.lists(
                    st.sampled_from(["convenience_store", "pharmacy"]), min_size=1, max_size=2
                ),
                "min_share": st.sampled_from([0, 0.5, 1]),
            }
        ),
        max_size=2,
    ),
}
cell_items = sorted(valid_cells)
key_items = sorted(valid_keys)


@st.composite
def plausible(draw: st.DrawFn) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    tables: list[tuple[Any, ...]] = []
    for _ in range(draw(st.integers(0, 4))):
        f, col = draw(st.sampled_from(cell_items))
        cols = COLUMNS[f]
        row = draw(st.integers(0, ROWS[f] - 1))
        tables.append(("set_cell", f, row, cols.index(col), str(draw(valid_cells[(f, col)]))))
    for _ in range(draw(st.integers(0, 2))):
        f = "walk_minutes.csv"  # deleting a residence or site would leave the matrix naming unknown ids
        tables.append(("delete_row", f, draw(st.integers(0, ROWS[f] - 1))))
    keys = [
        ("set", k, draw(valid_keys[k]))
        for k in draw(st.lists(st.sampled_from(key_items), max_size=4, unique=True))
    ]
    return tables, keys


@settings(
    max_examples=int(50 * SCALE),
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(case=plausible())
def test_plausible_extremes_never_crash(case: tuple[list[Any], list[Any]]) -> None:
    run_mutated(*case)


def test_highs_pulp_huge_weight_does_not_crash() -> None:
    run_mutated(
        [],
        [
            ("set", "formats.pharmacy.weight", 1e12),
            ("set", "solver.name", "highs-pulp"),
        ],
    )
