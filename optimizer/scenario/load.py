"""``load_scenario``: read a scenario file and everything it names, then validate it all at once."""

from __future__ import annotations

from pathlib import Path

from ..errors import Problems
from .config_rules import validate_config
from .read import read_inputs, read_scenario_file
from .types import Scenario


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario file; raise ScenarioError listing every problem."""
    path = Path(path)
    probs = Problems()
    raw, found = read_scenario_file(path)
    probs.extend(found)
    inputs, found = read_inputs(raw, path)
    probs.extend(found)
    if inputs.tables.get("residences") is None or inputs.tables.get("sites") is None:
        # Report what can be checked without the tables, then stop.
        probs.extend(validate_config(raw, str(path))[1])
        probs.raise_if_any()
    return Scenario.from_frames(
        residences=inputs.tables["residences"],  # type: ignore[arg-type]
        sites=inputs.tables["sites"],  # type: ignore[arg-type]
        outlets=inputs.tables.get("outlets"),
        config=raw if isinstance(raw, dict) else {},
        walk_minutes=inputs.tables.get("walk_minutes"),
        folder=path.parent,
        path=path,
        files=inputs.files,
        problems=probs,
        inputs=inputs.used,
    )
