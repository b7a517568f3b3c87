"""Migration frictions: what a move from region s to region r costs, in log-utility units.

A reconsidering agent moves from s to r only if its utility gain beats the cost,
U_r - U_s - C_sr > 0, and then with probability min(1, response · (gain - C_sr)):

    C_sr = m + c_{sr} + h_r,        C_ss = 0,

m the cost of any move (``frictions.migration_cost``), c_{sr} an extra cost between that
pair (``frictions.pair_costs``, both directions) and h_r a household-registration barrier
on entering r (``frictions.registration``: a cost, or ``blocked`` = ∞), as China's hukou
makes settling in a big city costly or impossible. With costs, an economy stops moving in a
band around each equilibrium (a real-wage gap smaller than the cost is not worth a move),
which delays or prevents agglomeration.
"""

from __future__ import annotations

import numpy as np

from negsim.scenario import RegistrationBarrier, Scenario


def cost_matrix(
    scenario: Scenario, registration: list[RegistrationBarrier] | None = None
) -> np.ndarray | None:
    """C[s, r], the cost of moving from s to r (0 on the diagonal), or None if frictionless.

    ``registration`` replaces the scenario's barriers (a policy may have changed them).
    """
    fr = scenario.frictions
    barriers = fr.registration if registration is None else registration
    if (
        fr.migration_cost == 0
        and not fr.pair_costs
        and not any(b.cost > 0 or b.blocked for b in barriers)
    ):
        return None
    names = scenario.region_names
    index = {name: i for i, name in enumerate(names)}
    n = len(names)
    cost = np.full((n, n), fr.migration_cost)
    for pair in fr.pair_costs:
        i, j = index[pair.between[0]], index[pair.between[1]]
        cost[i, j] += pair.cost
        cost[j, i] += pair.cost
    for barrier in barriers:
        r = index[barrier.region]
        cost[:, r] += np.inf if barrier.blocked else barrier.cost
    np.fill_diagonal(cost, 0.0)
    return cost


def entry_costs(scenario: Scenario) -> np.ndarray:
    """h_r, the registration barriers' cost of entering each place (∞ where ``blocked``, 0
    where there is none): the part of C_sr that depends on the destination alone."""
    index = {name: i for i, name in enumerate(scenario.region_names)}
    cost = np.zeros(len(index))
    for barrier in scenario.frictions.registration:
        cost[index[barrier.region]] += np.inf if barrier.blocked else barrier.cost
    return cost
