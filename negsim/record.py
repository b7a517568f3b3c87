"""What a run records, as plain data: ``Result`` (a finished run) and ``RegionState`` (where
the mobile agents are at one step). Records neither draw nor write: figures read them
(``negsim.plots``), ``negsim.output`` writes them, the model and a finished run make them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import pandas as pd

from negsim import economies
from negsim.economies.base import GroupWelfare
from negsim.geography import transport_costs
from negsim.scenario import Scenario


@dataclass
class Result:
    """A finished run: ``timeseries`` (one row per step per region) and ``summary``;
    ``effects`` (one row per place, ``negsim.effects.EFFECT_COLUMNS``) when the run was
    compared with its baseline (``negsim.runner.run_with_baseline``); ``welfare`` (one row
    per step per region, ``WELFARE_COLUMNS``)."""

    scenario: Scenario
    timeseries: pd.DataFrame
    summary: dict[str, Any]
    effects: pd.DataFrame | None = None
    welfare: pd.DataFrame | None = None
    """welfare.csv: per step and region, each group's indirect utility (``welfare_frame``)."""

    def region_state(self, step: int | None = None) -> RegionState:
        """Where the mobile agents were at ``step`` (default: the last step)."""
        ts = self.timeseries
        at = int(ts["step"].max()) if step is None else int(step)
        rows = ts[ts["step"] == at]
        if rows.empty:
            raise ValueError(f"no step {at} in this run (steps 0–{int(ts['step'].max())})")
        economy = self.scenario.economy.model
        mobile_firms = economies.get(economy).firms_are_mobile
        return RegionState(
            kind=self.scenario.geography.kind,
            economy=economy,
            names=[str(n) for n in rows["region"]],
            counts=rows["firms" if mobile_firms else "workers"].to_numpy(dtype=float),
            shares=rows["share"].to_numpy(dtype=float),
            real_wage=rows["real_wage"].to_numpy(dtype=float),
            transport_costs=np.asarray(transport_costs(self.scenario), dtype=float),
            step=at,
            geography=self.scenario.geography,
        )


class HasRegionState(Protocol):
    """Anything that can say where its mobile agents are: a ``Result`` at any step, a live
    ``NEGModel`` at its current one."""

    def region_state(self, step: int | None = None) -> RegionState: ...


@dataclass(frozen=True)
class RegionState:
    """Where the mobile agents are at one step: what a regions map draws.

    ``counts`` are the mobile agents per region (workers in cp, entrepreneurs in fe, firms in
    fc) and ``shares`` their shares λ. ``geography`` is the scenario's geography table (its
    ``kind`` picks the drawing); ``transport_costs`` is the R×R iceberg matrix, for maps that
    draw links.
    """

    kind: str
    economy: str
    names: list[str]
    counts: np.ndarray
    shares: np.ndarray
    real_wage: np.ndarray
    transport_costs: np.ndarray
    step: int
    geography: Any = None

    @property
    def mobile(self) -> str:
        """Axis name of the mobile factor, e.g. "mobile workers"."""
        return mobile_label(self.economy)

    @property
    def potential_when_empty(self) -> bool:
        """An empty region shows what a first mover would earn there."""
        known = economies.REGISTRY.get(self.economy)
        return known is not None and known.empty_region_potential

    @property
    def unit(self) -> str:
        """What one counted agent is, e.g. "workers"."""
        known = economies.REGISTRY.get(self.economy)
        return "agents" if known is None else known.mobile.unit

    @classmethod
    def of(cls, source: RegionState | HasRegionState, step: int | None = None) -> RegionState:
        """The state of a live model now, or of a finished run at ``step`` (default: last)."""
        if isinstance(source, RegionState):
            return source
        if not hasattr(source, "region_state"):
            raise TypeError(
                f"expected a NEGModel, Result or RegionState, got {type(source).__name__}"
            )
        return source.region_state(step)


def mobile_label(model: str) -> str:
    """What the mobile agents of economy ``model`` are called on axes ("mobile workers")."""
    known = economies.REGISTRY.get(model)
    return "mobile factor" if known is None else known.mobile.label


WELFARE_COLUMNS = (
    "step",
    "region",
    "mobile_mass",
    "mobile_utility",
    "immobile_mass",
    "immobile_utility",
    "region_welfare",
    "total_welfare",
)
"""welfare.csv: the residents of each group (``Economy.welfare_groups``: mobile first) and
the indirect utility of one of them, the region's Σ of utilities (its real income Y_r/P_r)
and the utilitarian total over all regions at that step (repeated on each of its rows)."""


def welfare_frame(names: list[str], record: list[tuple[int, GroupWelfare]]) -> pd.DataFrame:
    """One row per (step, region) of a run's recorded ``GroupWelfare`` (``WELFARE_COLUMNS``)."""
    n = len(names)
    if not record:
        return pd.DataFrame(columns=list(WELFARE_COLUMNS))
    steps = np.repeat([step for step, _ in record], n)
    fields = [[getattr(w, f) for _, w in record] for f in GroupWelfare.__dataclass_fields__]
    by_region = np.concatenate([w.by_region for _, w in record])
    totals = np.repeat([w.total for _, w in record], n)
    return pd.DataFrame(
        dict(
            zip(
                WELFARE_COLUMNS,
                [
                    steps,
                    np.tile(names, len(record)),
                    *map(np.concatenate, fields),
                    by_region,
                    totals,
                ],
                strict=True,
            )
        )
    )
