"""Transport-cost matrices: the iceberg factor T_rs ≥ 1 (T_rr = 1) between every pair of places."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from negsim.scenario import Scenario


def two_region(T: float) -> np.ndarray:
    """Two places a transport cost T apart: [[1, T], [T, 1]]."""
    return np.array([[1.0, T], [T, 1.0]])


def transport_costs(scenario: Scenario) -> np.ndarray:
    """The R×R iceberg matrix a scenario describes."""
    kind = scenario.geography.kind
    if kind == "two_region":
        return two_region(scenario.economy.transport_cost)
    raise ValueError(f"unknown geography.kind {kind!r}")
