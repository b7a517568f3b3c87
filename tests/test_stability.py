"""``negsim.stability``: a state where an empty place pays more is no rest point (#16).

Reference: FKV (1999) ch. 5 — full agglomeration is an equilibrium exactly while the
periphery's real wage is below the core's, i.e. below the sustain point T_S
(``cp.sustain_ratio`` < 1, a closed form independent of the solver used here).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import negsim
from negsim import economies
from negsim.economies import cp
from negsim.geography import two_region
from negsim.stability import empty_place_pays_more, is_stable_rest_point

BASE = Path(__file__).resolve().parents[1] / "scenarios" / "two_region_clustering.toml"
CORE = np.array([1.0, 0.0])


def cp_solver(T: float, sigma: float = 5.0, mu: float = 0.4):
    return economies.get("cp").solver(np.array([0.5, 0.5]), two_region(T), sigma, mu)


@pytest.mark.parametrize(("sigma", "mu"), [(5.0, 0.4), (4.0, 0.3), (8.0, 0.2)])
def test_a_core_is_a_stable_rest_point_exactly_below_the_sustain_point(sigma, mu):
    t_s = cp.sustain_point(sigma, mu).T
    for factor, expected in ((1 - 1e-6, True), (1 + 1e-6, False), (0.9, True), (1.1, False)):
        T = t_s * factor
        assert (cp.sustain_ratio(T, sigma, mu) < 1.0) is expected  # the closed form agrees
        assert is_stable_rest_point(cp_solver(T, sigma, mu), CORE) is expected


def test_a_migration_cost_larger_than_the_gain_keeps_the_core():
    T = cp.sustain_point(5.0, 0.4).T * 1.01
    u = np.log(cp_solver(T)(CORE).payoff)
    gain = u[1] - u[0]
    assert gain > 0
    assert empty_place_pays_more(u, CORE)
    below, above = (np.array([[0.0, c], [c, 0.0]]) for c in (0.5 * gain, 2.0 * gain))
    assert empty_place_pays_more(u, CORE, below)
    assert not empty_place_pays_more(u, CORE, above)
    assert is_stable_rest_point(cp_solver(T), CORE, cost=above)


def test_a_run_does_not_settle_on_a_core_just_above_the_sustain_point():
    """Just above T_S the periphery pays more, though by so little that nobody moves for
    hundreds of steps: the run must not call that core settled (it did, after 50 steps)."""
    t_s = cp.sustain_point(5.0, 0.4).T
    runs = {}
    for factor in (1 - 1e-6, 1 + 1e-6):
        scenario = negsim.load_scenario(
            BASE,
            [
                f"economy.transport_cost={t_s * factor!r}",
                "population.initial_shares=[1.0, 0.0]",
                "population.workers=2000",
                "run.steps=300",
            ],
        )
        runs[factor] = negsim.run(scenario).summary
    assert runs[1 - 1e-6]["converged"] and runs[1 - 1e-6]["steps"] < 300
    assert not runs[1 + 1e-6]["converged"] and runs[1 + 1e-6]["steps"] == 300
