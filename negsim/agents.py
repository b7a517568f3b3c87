"""Worker and firm agents: Mesa agents that *view* one entry of the model's numpy arrays.

Hot state lives in numpy arrays owned by the model (one entry per agent, regions in the
smallest integer type that holds them, ``region_dtype``); ``Worker`` and ``Firm`` are Mesa
agents that view one entry. The model creates them only when a user asks for them
(``model.agents``, ``agents_by_type``, ``workers``, ``firms``): a step and a batch run touch
only the arrays. Once created they are live views, not snapshots: an agent reads its entry
whenever it is asked, so it stays in sync as the model steps. How agents decide is in
``negsim.rules``. An agent's ``model`` is the ``NEGModel`` that created it; the views read
its arrays by name (``worker_region``, ``firm_region``, ``firm_productivity``,
``equilibrium``, ``mobile_taste``, ``firms_move``, ``region_names``).
"""

from __future__ import annotations

import mesa
import numpy as np


def region_dtype(n_regions: int) -> np.dtype:
    """The smallest signed integer type holding the region indices 0 … ``n_regions`` (R
    itself marks a closed firm slot): int8 up to 127 regions, int16 up to 32,767."""
    for dtype in (np.int8, np.int16, np.int32):
        if n_regions <= np.iinfo(dtype).max:
            return np.dtype(dtype)
    return np.dtype(np.int64)


class _Located(mesa.Agent):
    """A Mesa agent that views entry ``index`` of one of the model's location arrays."""

    _locations = ""  # name of the model's array of region indices

    def __init__(self, model: mesa.Model, index: int) -> None:
        super().__init__(model)
        self.index = index

    @property
    def region_index(self) -> int:
        return int(getattr(self.model, self._locations)[self.index])

    @property
    def region(self) -> str:
        """Name of the region the agent is in."""
        return self.model.region_names[self.region_index]


class Worker(_Located):
    """A mobile manufacturing worker (entrepreneur in fe; immobile in fc): a view on the
    model's worker arrays."""

    _locations = "worker_region"

    @property
    def real_wage(self) -> float:
        """Real wage ω = w G^(-μ) earned where the worker lives."""
        return float(self.model.equilibrium.real_wage[self.region_index])

    def utility(self, region: int) -> float:
        """Perceived utility of living in ``region``: ln of the real wage (real reward in fe)
        plus ln of its amenity and the worker's taste for the place (workers are immobile in fc)."""
        model = self.model
        value = float(np.log(model.equilibrium.payoff[region]))
        if model.log_amenity is not None and not model.firms_move:
            value += float(model.log_amenity[region])
        if model.mobile_taste is not None and not model.firms_move:
            value += float(model.mobile_taste[self.index, region])
        return value


class Firm(_Located):
    """A firm producing one block of varieties: a view on the model's firm arrays."""

    _locations = "firm_region"

    @property
    def productivity(self) -> float:
        """The firm's productivity a (1 when firms are identical)."""
        values = self.model.firm_productivity
        return 1.0 if values is None else float(values[self.index])
