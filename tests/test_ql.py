"""Pflüger's (2004) quasi-linear economy (``economy.model = "ql"``): the short-run equilibrium
against a loop over firms and markets, the break point, sustain point and the interior
(supercritical) branch against root-finding on the R-region equilibrium itself, the agents'
regimes on both sides of each threshold, and validation."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import negsim
from negsim import economies, theory
from negsim.cli import main
from negsim.economies import ql
from negsim.economies.base import BlackHoleError
from negsim.economies.roots import brentq
from negsim.geography import racetrack, two_region
from negsim.scenario import ScenarioError, load_scenario

TWO = Path(__file__).resolve().parents[1] / "scenarios" / "two_region_clustering.toml"
EVEN = np.array([0.5, 0.5])
PARAMS = [(5.0, 0.3), (3.0, 0.2), (8.0, 0.1), (4.0, 0.4)]


def gap(lam1: float, T: float, sigma: float, mu: float) -> float:
    """V_1 - V_2 from the R-region solver."""
    eq = ql.short_run_equilibrium(np.array([lam1, 1.0 - lam1]), EVEN, two_region(T), sigma, mu)
    v = ql.indirect_utility(eq, mu)
    return float(v[0] - v[1])


def slope_at_even(T: float, sigma: float, mu: float, h: float = 1e-5) -> float:
    return (gap(0.5 + h, T, sigma, mu) - gap(0.5 - h, T, sigma, mu)) / (2 * h)


def loop_equilibrium(lam, a, T, sigma, mu):
    """Skilled rewards and utilities summed firm by firm and market by market."""
    R = lam.size
    firms = mu * lam
    G = np.array([sum(firms[k] * T[k, s] ** (1 - sigma) for k in range(R)) for s in range(R)])
    G = G ** (1 / (1 - sigma))
    E = [mu * (mu * lam[s] + (1 - mu) * a[s]) for s in range(R)]
    c = (sigma - 1) / sigma  # unskilled input per unit, wage 1: mill price c σ/(σ-1) = 1
    profit = np.zeros(R)
    for r in range(R):
        for s in range(R):
            price = T[r, s]  # delivered price of the mill price 1
            quantity = price ** (-sigma) * G[s] ** (sigma - 1) * E[s]  # CES demand
            profit[r] += (price - c * T[r, s]) * quantity
    utility = profit + mu * np.log(mu / G) - mu
    return profit, G, utility


@pytest.mark.parametrize("seed", range(3))
def test_short_run_equilibrium_matches_a_loop_over_firms_and_markets(seed):
    rng = np.random.default_rng(seed)
    lam, a = rng.dirichlet(np.ones(5)), rng.dirichlet(np.ones(5))
    T = racetrack(5, 1.0 + rng.uniform(0.1, 0.9))
    sigma, mu = 2.0 + 6 * rng.uniform(), 0.05 + 0.2 * rng.uniform()
    eq = ql.short_run_equilibrium(lam, a, T, sigma, mu)
    profit, G, utility = loop_equilibrium(lam, a, T, sigma, mu)
    np.testing.assert_allclose(eq.wage, profit, rtol=1e-12)
    np.testing.assert_allclose(eq.price_index, G, rtol=1e-12)
    np.testing.assert_allclose(ql.indirect_utility(eq, mu), utility, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(np.log(eq.payoff), utility - utility.max(), atol=1e-12)
    assert np.sum(lam * eq.wage) == pytest.approx(1.0 / sigma, rel=1e-12)  # profits = spending/σ


@pytest.mark.parametrize(("sigma", "mu"), PARAMS)
def test_break_point_is_where_the_even_spread_loses_stability(sigma, mu):
    got = ql.break_point(sigma, mu)
    lo, hi = 1.0 + 1e-6, 50.0
    assert slope_at_even(lo, sigma, mu) > 0 > slope_at_even(hi, sigma, mu)
    T_b = brentq(lambda T: slope_at_even(T, sigma, mu), lo, hi, xtol=1e-12)
    assert got.T == pytest.approx(T_b, rel=1e-6)
    assert got.phi == pytest.approx(got.T ** (1 - sigma), rel=1e-12)


@pytest.mark.parametrize(("sigma", "mu"), PARAMS)
def test_sustain_point_is_where_the_core_stops_paying(sigma, mu):
    got = ql.sustain_point(sigma, mu)
    T_s = brentq(lambda T: gap(1.0, T, sigma, mu), 1.0 + 1e-9, 50.0, xtol=1e-14, rtol=1e-13)
    assert got.T == pytest.approx(T_s, rel=1e-9)
    assert got.T < ql.break_point(sigma, mu).T  # supercritical: the core comes later


@pytest.mark.parametrize(("sigma", "mu"), PARAMS)
def test_interior_branch_is_the_root_of_the_utility_gap(sigma, mu):
    T_b, T_s = ql.break_point(sigma, mu).T, ql.sustain_point(sigma, mu).T
    costs = T_s + (T_b - T_s) * np.array([0.1, 0.5, 0.9])
    got = ql.interior_share(costs ** (1 - sigma), sigma, mu)
    for T, lam in zip(costs, got, strict=True):
        expected = brentq(lambda x, T=T: gap(x, T, sigma, mu), 0.5 + 1e-9, 1.0, xtol=1e-14)
        assert lam == pytest.approx(expected, abs=1e-10)
    assert 0.5 < got[2] < got[1] < got[0] < 1.0  # grows smoothly as transport gets cheaper
    stable = [(lam, ok) for _, lam, ok in theory.tomahawk("ql", sigma, mu, costs[1:2]) if lam > 0.5]
    assert stable == [(pytest.approx(got[1], abs=1e-9), True)]
    assert ql.interior_share([T_b ** (1 - sigma) * 0.99], sigma, mu)[0] == 0.5


def run(sigma, mu, T, start, steps=6000):
    overrides = [
        "economy.model=ql",
        f"economy.sigma={sigma}",
        f"economy.mu={mu}",
        f"economy.transport_cost={T}",
        "population.workers=6000",
        f"population.initial_shares=[{start}, {1 - start}]",
        f"run.steps={steps}",
        "behaviour.response=300",
    ]
    return negsim.run(load_scenario(TWO, overrides), seed=1).summary


@pytest.mark.parametrize(("sigma", "mu"), PARAMS[:2])
def test_agents_agglomerate_below_the_sustain_point_and_spread_above_the_break_point(sigma, mu):
    T_b, T_s = ql.break_point(sigma, mu).T, ql.sustain_point(sigma, mu).T
    core = run(sigma, mu, 0.97 * T_s, 0.51)
    even = run(sigma, mu, 1.03 * T_b, 0.8)
    assert core["converged"] and even["converged"]
    assert core["regime"] == "agglomerated" and even["regime"] == "dispersed"
    assert core["mobile_factor"] == "skilled workers"
    assert even["final_shares"]["North"] == pytest.approx(0.5, abs=0.005)


@pytest.mark.parametrize(("sigma", "mu"), PARAMS[:2])
def test_agents_settle_on_the_interior_branch_inside_both_thresholds(sigma, mu):
    T_b, T_s = ql.break_point(sigma, mu).T, ql.sustain_point(sigma, mu).T
    for T in (1.03 * T_s, 0.97 * T_b):  # partial agglomeration, on the interior branch
        # 6,000 agents hop across the root between two grid points: no quiet settling
        summary = run(sigma, mu, T, 0.51, steps=2000)
        expected = ql.interior_share([T ** (1 - sigma)], sigma, mu)[0]
        assert summary["regime"] == "partial"
        assert max(summary["final_shares"].values()) == pytest.approx(expected, abs=2e-3)
        assert 0.5 < expected < 1.0


def test_theory_predicts_the_pitchfork():
    sigma, mu = 5.0, 0.3
    T_b, T_s = ql.break_point(sigma, mu).T, ql.sustain_point(sigma, mu).T
    assert theory.predict("ql", 0.97 * T_s, sigma, mu) == "agglomerated"
    assert theory.predict("ql", (T_s + T_b) / 2, sigma, mu) == "partial"
    assert theory.predict("ql", 1.03 * T_b, sigma, mu) == "dispersed"
    assert theory.thresholds("ql", sigma, mu) == (
        [ql.break_point(sigma, mu)],
        [ql.sustain_point(sigma, mu)],
    )


def test_cli_tomahawk_reports_both_thresholds(capsys, tmp_path):
    plot = tmp_path / "ql.png"
    assert main(["tomahawk", "--model", "ql", "--sigma", "5", "--mu", "0.3", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["break_point"]["T"] == pytest.approx(ql.break_point(5, 0.3).T)
    assert out["sustain_point"]["T"] == pytest.approx(ql.sustain_point(5, 0.3).T)
    assert (
        main(["tomahawk", "--model", "ql", "--sigma", "5", "--mu", "0.3", "--plot", str(plot)]) == 0
    )
    assert plot.stat().st_size > 0


def test_validation_refuses_the_black_hole():
    assert economies.get("ql").check_no_black_hole(5.0, 0.44) is None
    with pytest.raises(BlackHoleError, match=r"mu < \(sigma-1\)/\(2 sigma-1\) = 0\.444444"):
        ql.check_no_black_hole(5.0, 0.45)
    with pytest.raises(ScenarioError, match=r"economy\.mu: no-black-hole condition \(ql\)") as err:
        load_scenario(TWO, ["economy.model=ql", "economy.sigma=3", "economy.mu=0.41"])
    assert "\n" not in str(err.value)
    with pytest.raises(ValueError, match="ql.welfare"):
        economies.get("ql").welfare(ql.short_run_equilibrium(EVEN, EVEN, two_region(1.5), 5.0, 0.3))


def test_welfare_sums_indirect_utilities():
    sigma, mu, T = 5.0, 0.3, 1.4
    lam, a = np.array([0.7, 0.3]), EVEN
    eq = ql.short_run_equilibrium(lam, a, two_region(T), sigma, mu)
    _, G, skilled = loop_equilibrium(lam, a, two_region(T), sigma, mu)
    unskilled = 1.0 + mu * np.log(mu / G) - mu  # wage 1
    expected = np.sum(mu * lam * skilled + (1 - mu) * a * unskilled)
    assert ql.welfare(lam, a, eq, mu) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize(("sigma", "mu"), PARAMS)
def test_numerical_thresholds_for_verify_match_the_closed_forms(sigma, mu):
    t_b, t_s = ql.numerical_thresholds(sigma, mu)
    assert t_b == pytest.approx(ql.break_point(sigma, mu).T, rel=1e-6)
    assert t_s == pytest.approx(ql.sustain_point(sigma, mu).T, rel=1e-9)


@pytest.mark.parametrize(("sigma", "mu"), [*PARAMS, (1.5, 0.1), (50.0, 0.45)])
def test_interior_branch_rises_from_one_half_to_one_over_the_whole_interval(sigma, mu):
    phi_b, phi_s = ql.break_point(sigma, mu).phi, ql.sustain_point(sigma, mu).phi
    phi = np.linspace(phi_b, phi_s, 400)
    lam = ql.interior_share(phi, sigma, mu)
    assert lam[0] == 0.5 and lam[-1] == 1.0
    assert np.all(np.diff(lam) > 0)
    inner = slice(1, -1)
    gaps = ql.utility_gaps(lam[inner], phi[inner], sigma, mu)
    assert np.max(np.abs(gaps)) < 1e-12


@pytest.mark.parametrize("mu,T", [(0.0009, 1.01), (0.0009, 2.0), (0.004, 1.3), (1e-30, 1.0)])
def test_sigma_min_is_where_the_far_price_index_reaches_its_limit(mu, T):
    """At σ_min the price index of a place whose firms are all at distance T (the solver's,
    all skilled in the other region) is 10^308 and finite, the even spread's lower still;
    where G passes float64's 1.8e308 the solver refuses in one line, naming σ, not T."""
    low = ql.sigma_min(mu, np.log10(T))
    assert ql.check_no_black_hole(low, mu) is None  # a validated (σ, μ)
    eq = ql.short_run_equilibrium(np.array([1.0, 0.0]), EVEN, two_region(T), low, mu)
    assert np.isfinite(eq.price_index).all()
    assert np.log10(eq.price_index[1]) == pytest.approx(ql.LOG10_PRICE_INDEX_MAX, abs=1e-9)
    assert np.all(eq.price_index <= eq.price_index[1])
    even = ql.short_run_equilibrium(EVEN, EVEN, two_region(T), low, mu)
    assert np.all(even.price_index <= eq.price_index[1] * (1 + 1e-12))
    below = 1.0 + np.log10(1.0 / mu) / (308.3 - np.log10(T))  # G = 10^308.3 > float64's max
    with pytest.raises(ql.EquilibriumError, match="too close to 1") as err:
        economies.get("ql").equilibrium(np.array([1.0, 0.0]), EVEN, two_region(T), below, mu)
    assert "\n" not in str(err.value)


@pytest.mark.parametrize("sigma", [1.001, 1.005, 1.009])
def test_sigma_too_close_to_one_for_mu_is_refused_at_validation(sigma, tmp_path, capsys):
    """The reviewer's case: μ = 0.0009 passes the no-black-hole test for σ > 1.0009, but the
    price index overflows for σ < 1.00989 at T = 1.01; validation says so, not the run."""
    keys = ["economy.model=ql", f"economy.sigma={sigma}", "economy.mu=0.0009"]
    keys.append("economy.transport_cost=1.01")
    with pytest.raises(ScenarioError, match=r"economy\.sigma: ql needs sigma >= 1\.0098") as err:
        load_scenario(TWO, keys)
    assert "\n" not in str(err.value)
    args = ["run", str(TWO), "--out", str(tmp_path / "out"), "--quiet"]
    assert main([*args, *(x for k in keys for x in ("--set", k))]) == 2
    assert "economy.sigma" in capsys.readouterr().err


def test_sigma_just_above_its_minimum_runs():
    import tomllib

    from negsim.model import NEGModel
    from negsim.scenario import validate

    mu, T = 0.0009, 1.01
    sigma = ql.sigma_min(mu, np.log10(1.5)) * (1 + 1e-9)  # the scenario's costs: 1.5, then T
    data = tomllib.loads(TWO.read_text())
    data["economy"].update(model="ql", sigma=sigma, mu=mu, transport_cost=1.5)
    data["run"]["steps"] = 3
    data["policies"] = [{"kind": "transport_cost", "start": 2, "value": T}]
    model = NEGModel(validate(data, "<test>"))
    for _ in range(3):
        model.step()
    assert np.isfinite(model.equilibrium.price_index).all()
    assert np.log10(model.equilibrium.price_index).max() > 307
