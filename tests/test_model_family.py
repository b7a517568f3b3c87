"""The agents in the FE, FC and congestion economies come to rest where theory says."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import negsim
from negsim import theory
from negsim.economies import fc, fe
from negsim.scenario import load_scenario

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
TWO = SCENARIOS / "two_region_clustering.toml"
BELL = SCENARIOS / "bell_shape_housing.toml"


def run(model, sigma, mu, T, start, seed=1, workers=6000, steps=6000, **extra):
    overrides = [
        f"economy.model={model}",
        f"economy.sigma={sigma}",
        f"economy.mu={mu}",
        f"economy.transport_cost={T}",
        f"population.workers={workers}",
        f"population.initial_shares=[{start}, {1 - start}]",
        f"run.steps={steps}",
    ] + [f"{k}={v}" for k, v in extra.items()]
    return negsim.run(load_scenario(TWO, overrides), seed=seed).summary


FE_PARAMS = [(3.0, 0.5), (4.0, 0.6)]


@pytest.mark.parametrize("sigma,mu", FE_PARAMS)
def test_fe_agents_reproduce_break_and_sustain_points(sigma, mu):
    t_b, t_s = fe.break_point(sigma, mu).T, fe.sustain_point(sigma, mu).T
    assert t_b < t_s
    clusters = run("fe", sigma, mu, 0.97 * t_b, 0.51)
    disperses = run("fe", sigma, mu, 1.03 * t_s, 0.8)
    assert (clusters["regime"], disperses["regime"]) == ("agglomerated", "dispersed")
    assert clusters["converged"] and disperses["converged"]
    assert clusters["mobile_factor"] == "entrepreneurs"
    assert disperses["final_shares"]["North"] == pytest.approx(0.5, abs=0.005)


@pytest.mark.parametrize("sigma,mu", FE_PARAMS)
def test_fe_between_thresholds_depends_on_history(sigma, mu):
    t_b, t_s = fe.break_point(sigma, mu).T, fe.sustain_point(sigma, mu).T
    T = (t_b * t_s) ** 0.5
    (divide,) = [lam for _, lam, stable in theory.tomahawk("fe", sigma, mu, [T]) if 0.5 < lam < 1]
    core = run("fe", sigma, mu, T, min(0.995, divide + 0.05))
    even = run("fe", sigma, mu, T, 0.55)
    assert (core["regime"], even["regime"]) == ("agglomerated", "dispersed")


def test_fe_firms_move_with_their_entrepreneurs():
    sc = load_scenario(
        TWO,
        ["economy.model=fe", "economy.sigma=3", "economy.mu=0.5", "economy.transport_cost=1.4"]
        + ["population.workers=3000", "population.firms=300", "run.steps=200"],
    )
    model = negsim.NEGModel(sc, seed=4)
    model.run_for(200)
    assert model.shares.max() > 0.9
    assert np.abs(model.firm_counts / 300 - model.shares).max() <= 1 / 300


SE = 0.6  # North's share of the immobile population, hence of expenditure, in FC


@pytest.mark.parametrize("T", [1.12, 1.2, 1.35, 1.6, 2.2])
def test_fc_agents_settle_at_the_home_market_share_from_any_start(T):
    phi = T ** (1 - 5.0)
    target = fc.equilibrium_share(SE, phi)
    finals = []
    for start in (0.2, 0.8):
        summary = run("fc", 5.0, 0.4, T, start, **{"regions.farmer_shares": f"[{SE}, {1 - SE}]"})
        assert summary["mobile_factor"] == "capital"
        assert summary["theory"]["equilibrium_share"] == pytest.approx(target)
        finals.append(summary["final_shares"]["North"])
    # a unique, globally stable rest point: no path dependence in FC
    assert finals == pytest.approx([target, target], abs=0.01)
    assert finals[0] > SE  # the home-market effect: more than proportional share of firms


def test_fc_share_moves_smoothly_with_trade_freeness():
    """No catastrophe: as φ rises the agents' share of firms in the bigger market rises
    continuously, never jumping by more than the theory's change plus sampling error."""
    Ts = np.linspace(2.5, 1.13, 8)
    finals = []
    for T in Ts:
        summary = run("fc", 5.0, 0.4, T, 0.5, **{"regions.farmer_shares": f"[{SE}, {1 - SE}]"})
        finals.append(summary["final_shares"]["North"])
    theory_shares = [fc.equilibrium_share(SE, T ** (1 - 5.0)) for T in Ts]
    assert np.all(np.diff(finals) > -0.005)
    assert np.max(np.abs(np.diff(finals) - np.diff(theory_shares))) < 0.01
    assert finals[0] < 0.62 and finals[-1] > 0.9  # theory: 0.605 at T = 2.5, 0.917 at 1.13


def test_fc_people_stay_put():
    sc = load_scenario(
        TWO,
        ["economy.model=fc", "economy.transport_cost=1.3", "regions.farmer_shares=[0.6, 0.4]"]
        + ["population.workers=2000", "run.steps=100"],
    )
    model = negsim.NEGModel(sc, seed=1)
    before = model.worker_counts.copy()
    model.run_for(100)
    np.testing.assert_array_equal(model.worker_counts, before)
    np.testing.assert_array_equal(before, [1200, 800])
    assert model.firm_moves == 0 and model.shares[0] > 0.6


def test_congestion_gives_the_bell_shape():
    """Concentration rises then falls as transport costs fall (Helpman 1998 housing)."""
    largest = {
        T: negsim.run(load_scenario(BELL, [f"economy.transport_cost={T}"])).summary["largest_share"]
        for T in (1.9, 1.3, 1.03)
    }
    assert largest[1.3] > 0.99
    assert largest[1.9] < 0.53 and largest[1.03] < 0.53
    for T in (1.9, 1.3, 1.03):
        assert theory.predict("cp", T, 5.0, 0.4, 0.05).startswith(
            "agglomerated" if T == 1.3 else "dispersed"
        )
