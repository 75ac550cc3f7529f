"""Regenerate the pinned results of the shipped scenarios, on purpose.

Run ``python tests/expected/regenerate.py`` only when a change is meant to change a shipped scenario's
optimum (a new catalog default, new data); ``tests/test_shipped.py`` then checks every later run against
these files, so an unintended change to the model, the walk times or the solver settings shows up.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT))

SHIPPED = ("shanghai_huangpu", "helsinki_centre")


def pinned(name: str) -> dict[str, Any]:
    """What is pinned of a shipped scenario's run: status, objective and every placement."""
    import optimizer as qh

    res = qh.solve(qh.load_scenario(ROOT / "scenarios" / name / "scenario.yaml"))
    s = res.summary()
    p = res.placements.sort_values(["site_id", "format"])
    return {
        "scenario": name,
        "status": s["status"],
        "objective": round(float(s["objective_recomputed"]), 6),
        "placements": [
            {
                "site_id": str(r.site_id),
                "format": str(r.format),
                "subsidy_yuan_per_year": round(float(r.subsidy_yuan_per_year), 2),
            }
            for r in p.itertuples()
        ],
    }


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["QUARTERHOUR_CACHE_DIR"] = tmp  # never write caches into the source tree
        for name in SHIPPED:
            data = pinned(name)
            (HERE / f"{name}.json").write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
            n = len(data["placements"])
            print(f"{name}: {data['status']}, objective {data['objective']}, {n} placements")


if __name__ == "__main__":
    main()
