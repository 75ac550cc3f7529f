"""Builders that turn open data into scenario folders the engine reads.

* :func:`optimizer.scenario_builder.build.build_scenario`: a scenario from an OpenStreetMap extract
  (buildings, shops, vacant units, streets) and a population grid or density.
* :func:`optimizer.scenario_builder.blocks.street_blocks`: street blocks (polygons enclosed by streets) for
  areas where OSM has streets but no buildings.
* :func:`optimizer.scenario_builder.write.write_scenario`: the atomic folder writer both use.
"""

from .blocks import street_blocks
from .build import build_scenario
from .osm import read_osm
from .tags import OUTLET_TAGS, SITE_TAGS, outlet_tag_frame, site_tag_frame
from .write import write_scenario

__all__ = [
    "OUTLET_TAGS",
    "SITE_TAGS",
    "build_scenario",
    "outlet_tag_frame",
    "read_osm",
    "site_tag_frame",
    "street_blocks",
    "write_scenario",
]
