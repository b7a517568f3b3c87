"""What a run starts from, shared by ``NEGModel`` and ``negsim.ensemble`` so that both start
alike: the initial shares of the mobile factor and the economy's bound solver."""

from __future__ import annotations

import numpy as np

from negsim.economies.base import Economy, Solver
from negsim.scenario import Scenario


def initial_shares(scenario: Scenario, rng: np.random.Generator) -> np.ndarray:
    """The scenario's initial shares, scaled by 1 + ε·U(-1, 1) and renormalised if ε > 0
    (``population.initial_perturbation``; the first draws of a run's ``rng``)."""
    shares = np.asarray(scenario.initial_shares(), dtype=float)
    eps = scenario.population.initial_perturbation
    if eps > 0:
        shares = shares * (1.0 + eps * rng.uniform(-1.0, 1.0, size=shares.size))
        shares /= shares.sum()
    return shares


def bound_solver(
    scenario: Scenario, economy: Economy, immobile: np.ndarray, transport_costs: np.ndarray
) -> Solver:
    """The economy's short-run equilibrium with the scenario's parameters bound."""
    econ, settings = scenario.economy, scenario.solver
    return economy.solver(
        immobile,
        transport_costs,
        econ.sigma,
        econ.mu,
        housing_share=econ.housing_share,
        housing=np.asarray(scenario.housing_shares(), dtype=float),
        tol=settings.tol,
        max_iter=settings.max_iter,
    )
