"""Population groups, as data: who belongs to each, how reports name it, how mandates refer to it.

Every module that selects a group (the mandates in the model, the coverage summary, the verification,
the reports) reads this one table.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Group:
    """A population group: members are the rows where any of ``flags`` is true (every row when empty)."""

    key: str
    name_en: str
    name_zh: str
    flags: tuple[str, ...]
    members: str  # how a user marks the group's residences, for messages

    def mask(self, table: pd.DataFrame) -> np.ndarray:
        """Membership of each row of a residences or demand-unit table with the flag columns."""
        if not self.flags:
            return np.ones(len(table), dtype=bool)
        out = np.zeros(len(table), dtype=bool)
        for f in self.flags:
            out |= table[f].to_numpy(bool)
        return out


GROUPS: tuple[Group, ...] = (
    Group("all", "All residents", "全体居民", (), "population"),
    Group(
        "old_neighbourhood",
        "Old neighbourhoods",
        "老旧小区",
        ("old_neighbourhood",),
        "column old_neighbourhood",
    ),
    Group(
        "affordable_housing",
        "Affordable housing",
        "大型保障性居住社区",
        ("affordable_housing",),
        "column affordable_housing",
    ),
    Group(
        "priority",
        "Priority areas (old neighbourhoods or affordable housing)",
        "重点区域（老旧小区或保障房）",
        ("old_neighbourhood", "affordable_housing"),
        "column old_neighbourhood or affordable_housing",
    ),
)
GROUP_BY_KEY: dict[str, Group] = {g.key: g for g in GROUPS}
GROUP_KEYS: tuple[str, ...] = tuple(GROUP_BY_KEY)

# Speed groups: a residence splits into these demand units when the elderly walk slower.
SPEED_GROUPS: dict[str, tuple[str, str]] = {
    "all": ("All residents", "全体居民"),
    "under_60": ("Residents under 60", "60岁以下居民"),
    "elderly": ("Residents 60 and over", "60岁及以上居民"),
}


def group_mask(table: pd.DataFrame, key: str) -> np.ndarray:
    """Membership of each row in population group ``key`` (a mandate group) or speed group."""
    if key in GROUP_BY_KEY:
        return GROUP_BY_KEY[key].mask(table)
    return (table["group"] == key).to_numpy()
