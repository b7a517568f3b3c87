"""The NEG economies negsim runs, one module each: ``cp`` (Krugman core–periphery, with an
optional housing/congestion force), ``fe`` (footloose entrepreneur), ``fc`` (footloose
capital). Each solves its short-run equilibrium for R regions and any transport costs.

Who moves, by economy:

| economy | mobile agents (their share is λ)   | who follows                         |
| ------- | ---------------------------------- | ----------------------------------- |
| cp      | workers, on real wages             | firms track workers (free entry), or  |
|         |                                    | move on profits at their own speed    |
|         |                                    | (``negsim.firm_dynamics``)            |
| fe      | entrepreneurs, on real rewards     | each firm moves with its entrepreneur |
| fc      | firms (capital), on nominal reward | nobody: workers and owners stay       |
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

import numpy as np

from negsim.economies import cp, fc, fe
from negsim.economies.base import Equilibrium

if TYPE_CHECKING:
    from negsim.scenario import Scenario

MOBILE_FACTOR = {"cp": "workers", "fe": "entrepreneurs", "fc": "capital"}
FIRMS_MOVE = {"cp": False, "fe": False, "fc": True}

Solver = Callable[..., Equilibrium]


def make_solver(scenario: Scenario, transport_costs: np.ndarray) -> Solver:
    """solve(shares, wage0=None, firms=None) for the scenario's economy, parameters and
    geography; ``firms`` (cp only) are given firm masses instead of free entry."""
    econ, settings = scenario.economy, scenario.solver
    farmers = np.asarray(scenario.farmer_shares(), dtype=float)
    if econ.model == "cp":
        base = partial(
            cp.short_run_equilibrium,
            farmers=farmers,
            T=transport_costs,
            sigma=econ.sigma,
            mu=econ.mu,
            housing_share=econ.housing_share,
            housing=np.asarray(scenario.housing_shares(), dtype=float),
            tol=settings.tol,
            max_iter=settings.max_iter,
        )
        return lambda shares, wage0=None, firms=None: base(shares, wage0=wage0, firms=firms)
    module = {"fe": fe, "fc": fc}[econ.model]
    return lambda shares, wage0=None, firms=None: module.short_run_equilibrium(
        shares, farmers, transport_costs, econ.sigma, econ.mu
    )
