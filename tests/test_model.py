"""The agent-based model reproduces the CP theory in its noise-free limit, and is reproducible.

Thresholds come from negsim.economies.cp, which tests/test_cp_theory.py checks against
independent root-finding; here the *agents* must land on the side of each threshold that
theory predicts.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import negsim
from negsim.economies import cp
from negsim.scenario import load_scenario

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
BASE = SCENARIOS / "two_region_clustering.toml"


def scenario(sigma, mu, T, start, workers=10_000, steps=6000, **extra):
    overrides = [
        f"economy.sigma={sigma}",
        f"economy.mu={mu}",
        f"economy.transport_cost={T}",
        f"population.workers={workers}",
        f"population.initial_shares=[{start}, {1 - start}]",
        f"run.steps={steps}",
    ] + [f"{k}={v}" for k, v in extra.items()]
    return load_scenario(BASE, overrides)


def unstable_asymmetric_share(sigma, mu, T):
    (lam,) = [p[1] for p in cp.tomahawk(sigma, mu, [T]) if 0.5 < p[1] < 1.0]
    return lam


# Non-default parameter sets (the shipped scenarios use FKV's σ=5, μ=0.4).
PARAMS = [(4.0, 0.3), (6.0, 0.5), (3.0, 0.2)]


@pytest.mark.parametrize("sigma,mu", PARAMS)
def test_clusters_three_percent_below_break_point(sigma, mu):
    T = 0.97 * cp.break_point(sigma, mu).T
    summary = negsim.run(scenario(sigma, mu, T, start=0.51), seed=3).summary
    assert summary["converged"]
    assert summary["regime"] == "agglomerated"
    assert summary["largest_share"] > 0.99
    assert summary["core"] == "North"  # the region that started ahead


@pytest.mark.parametrize("sigma,mu", PARAMS)
def test_disperses_three_percent_above_sustain_point(sigma, mu):
    T = 1.03 * cp.sustain_point(sigma, mu).T
    result = negsim.run(scenario(sigma, mu, T, start=0.8), seed=3)
    summary = result.summary
    assert summary["converged"]
    assert summary["regime"] == "dispersed"
    assert summary["core"] is None
    assert summary["final_shares"]["North"] == pytest.approx(0.5, abs=0.005)
    # at the interior rest point real wages are equalised (FKV's long-run equilibrium)
    w = np.array(list(summary["final_real_wages"].values()))
    assert abs(w[0] - w[1]) / w.mean() < 1e-3


@pytest.mark.parametrize("sigma,mu", PARAMS)
def test_between_thresholds_keeps_the_state_it_starts_near(sigma, mu):
    t_b, t_s = cp.break_point(sigma, mu).T, cp.sustain_point(sigma, mu).T
    T = (t_b * t_s) ** 0.5
    divide = unstable_asymmetric_share(sigma, mu, T)
    near_core = min(0.995, divide + 0.06)
    near_even = 0.55
    assert near_even < divide < near_core
    core = negsim.run(scenario(sigma, mu, T, start=near_core), seed=5).summary
    even = negsim.run(scenario(sigma, mu, T, start=near_even), seed=5).summary
    assert (core["regime"], even["regime"]) == ("agglomerated", "dispersed")
    assert core["converged"] and even["converged"]


def test_break_point_reproduced_within_one_percent():
    """Tighter than the ±3% above: the agents' switch from clustering to staying even
    happens within 1% of the analytic break point T_B (σ=4, μ=0.3)."""
    t_b = cp.break_point(4.0, 0.3).T
    below = negsim.run(scenario(4.0, 0.3, 0.99 * t_b, start=0.51), seed=1).summary
    above = negsim.run(scenario(4.0, 0.3, 1.01 * t_b, start=0.51), seed=1).summary
    assert (below["regime"], above["regime"]) == ("agglomerated", "dispersed")


def test_sustain_point_reproduced_within_one_percent():
    t_s = cp.sustain_point(4.0, 0.3).T
    below = negsim.run(scenario(4.0, 0.3, 0.99 * t_s, start=0.99), seed=1).summary
    above = negsim.run(scenario(4.0, 0.3, 1.01 * t_s, start=0.99), seed=1).summary
    assert (below["regime"], above["regime"]) == ("agglomerated", "dispersed")


def test_same_seed_identical_output_and_seed_matters():
    sc = scenario(5.0, 0.4, 1.5, start=0.51, workers=3000, steps=150)
    a = negsim.run(sc, seed=11)
    b = negsim.run(sc, seed=11)
    c = negsim.run(sc, seed=12)
    pd.testing.assert_frame_equal(a.timeseries, b.timeseries)
    assert a.summary == b.summary
    assert not a.timeseries["workers"].equals(c.timeseries["workers"])


def test_noise_rest_point_is_the_logit_equilibrium():
    """With persistent Gumbel tastes of scale ν, workers sorted into their best place give
    the logit shares λ_1 = 1 / (1 + exp(-(ln ω_1 - ln ω_2)/ν)) (Murata 2003 for the CP model).
    Near-indifferent workers move slowly (their gain is small), so the approach has a
    slow tail: after 3000 steps fewer than 1% of workers are still unsorted."""
    nu = 0.02
    sc = scenario(
        5.0,
        0.4,
        1.5,
        start=0.7,
        workers=20_000,
        steps=3000,
        **{"behaviour.noise": nu, "run.stop_when_converged": "false"},
    )
    model = negsim.NEGModel(sc, seed=2)
    model.run_for(3000)
    log_w = np.log(model.equilibrium.real_wage)
    logit = 1.0 / (1.0 + np.exp(-(log_w[0] - log_w[1]) / nu))
    best = np.argmax(log_w[None, :] + model.mobile_taste, axis=1)
    assert np.mean(best != model.worker_region) < 0.01
    assert model.shares[0] == pytest.approx(logit, abs=0.01)
    # heterogeneity keeps some workers in the periphery even below the break point
    assert 0.6 < model.shares.max() < 0.95


def test_model_by_hand_agents_and_datacollector():
    sc = scenario(5.0, 0.4, 1.5, start=0.51, workers=2000, steps=50, **{"population.firms": 300})
    model = negsim.NEGModel(sc)
    assert len(model.agents) == 2000 + 300
    assert len(model.workers) == 2000 and len(model.firms) == 300
    model.step()
    model.run_for(4)
    assert model.steps == 5
    counts = pd.Series([w.region for w in model.workers]).value_counts()
    assert counts["North"] == model.worker_counts[0]
    firm_counts = pd.Series([f.region for f in model.firms]).value_counts()
    # in CP firms track workers: firm shares equal worker shares up to one firm
    assert abs(firm_counts["North"] / 300 - model.shares[0]) <= 1 / 300
    table = model.datacollector.get_table_dataframe("regions")
    assert len(table) == 2 * (model.steps + 1)
    last = table[table["step"] == 5].set_index("region")
    assert last.loc["North", "workers"] == model.worker_counts[0]
    assert last.loc["North", "real_wage"] == pytest.approx(model.equilibrium.real_wage[0])
    assert sum(w.real_wage for w in model.workers if w.region == "North") == pytest.approx(
        model.worker_counts[0] * model.equilibrium.real_wage[0]
    )


def test_recorded_prices_are_the_equilibrium_of_the_recorded_shares():
    result = negsim.run(scenario(5.0, 0.4, 1.5, start=0.51, workers=2000, steps=40), seed=1)
    ts = result.timeseries
    step = ts[ts["step"] == 20]
    eq = cp.short_run_equilibrium(
        step["share"].to_numpy(), np.array([0.5, 0.5]), cp.two_region_costs(1.5), 5.0, 0.4
    )
    np.testing.assert_allclose(step["wage"], eq.wage, rtol=1e-10)
    np.testing.assert_allclose(step["real_wage"], eq.real_wage, rtol=1e-10)


@pytest.mark.parametrize("path", sorted(SCENARIOS.glob("*.toml")), ids=lambda p: p.stem)
def test_shipped_scenarios_show_their_regime(path):
    sc = load_scenario(path)
    summary = negsim.run(sc).summary
    assert sc.expected_regime is not None
    assert summary["regime"] == sc.expected_regime
    theory = summary.get("theory", {})
    if "break_points" in theory and not sc.policies:
        prediction = theory["prediction"]
        assert prediction.startswith(sc.expected_regime) or prediction.startswith("path")
    if "equilibrium_share" in theory and not sc.policies:  # fc: the home-market share
        first = next(iter(summary["final_shares"].values()))
        assert first == pytest.approx(theory["equilibrium_share"], abs=0.02)
