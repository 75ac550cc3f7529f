"""Read a scenario, apply defaults and overrides, and validate it once.

``load_scenario`` reads the YAML file and its tables; ``Scenario.from_frames`` takes tables a notebook
user already has. Both go through the same checks and report every problem together
(:class:`~optimizer.errors.ScenarioError`). After this step the model code trusts its inputs.

The modules, in the order the data flows through them:

- :mod:`.read`: the readers (the YAML file, the input tables, a probe of the street network)
- :mod:`.config_rules`: each YAML value coerced to its schema type; rules between keys; the typed config
- :mod:`.table_rules`: the input tables against the schema's columns, one small rule per function
- :mod:`.geometry`: points and polygons in EPSG:4326 (GCJ-02 and BD-09 converted)
- :mod:`.formats`: the formats in play and every format name resolved to its catalog key
- :mod:`.walk_table`: the user's walk-minutes table
- :mod:`.types`: the :class:`Scenario` and :meth:`Scenario.from_frames`; :mod:`.load`: ``load_scenario``
"""

from __future__ import annotations

from .load import load_scenario
from .types import Scenario

__all__ = ["Scenario", "load_scenario"]
