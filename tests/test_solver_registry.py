"""The solver registry: every option check it names exists, and each backend judges its own options."""

from __future__ import annotations

from pathlib import Path

import pytest

from optimizer.backends.registry import OPTION_CHECK, SOLVERS, OptionProblem, _load, check_options

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("name", list(SOLVERS))
def test_option_check_is_named_exactly_when_declared(name: str) -> None:
    spec = SOLVERS[name]
    assert spec.can(OPTION_CHECK) == bool(spec.option_check)
    if spec.option_check:
        assert callable(_load(spec.option_check))


def test_highs_names_unknown_options_and_refused_values() -> None:
    found = check_options("highs", {"presolv": "off", "mip_rel_gap": "lots", "presolve": "off"})
    assert found == [
        OptionProblem(
            "presolv",
            "HiGHS has no option 'presolv' (did you mean 'presolve'?)",
            "use a HiGHS option name (https://ergo-code.github.io/HiGHS/stable/options/definitions/)",
        ),
        OptionProblem(
            "mip_rel_gap",
            "HiGHS rejects the value 'lots'",
            "give a value of the option's type and range (see the HiGHS option list)",
        ),
    ]
    assert check_options("highs-pulp", {"presolv": "off"})[0].option == "presolv"


def test_solvers_without_an_option_check_accept_anything() -> None:
    assert check_options("cbc", {"anything": "at all"}) == []
    assert check_options("no-such-solver", {"x": 1}) == []
    assert check_options("highs", None) == []


def test_the_scenario_asks_the_registry_not_a_backend() -> None:
    scenario = ROOT / "optimizer" / "scenario"
    files = sorted(scenario.rglob("*.py")) if scenario.is_dir() else [scenario.with_suffix(".py")]
    for f in files:
        text = f.read_text(encoding="utf-8")
        assert "backends.highs" not in text and "import highspy" not in text, f
