"""Ottaviano, Tabuchi & Thisse's (2002) linear economy (``economy.model = "linear"``): the
R-region equilibrium against the consumer's and firms' optimality conditions written out
here, the threshold τ* and the trade threshold against root-finding on the solver, no trade
beyond the prohibitive cost, the agents on both sides of τ*, and validation."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

import negsim
from negsim import economies, racetrack, theory
from negsim.cli import main
from negsim.economies import linear
from negsim.economies.base import BlackHoleError
from negsim.economies.roots import brentq
from negsim.scenario import ScenarioError, load_scenario

TWO = Path(__file__).resolve().parents[1] / "scenarios" / "two_region_clustering.toml"
EVEN = np.array([0.5, 0.5])
# (α, β, γ, L, A): OTT's parameters, each with τ* < τ_trade
DEMANDS = [
    linear.Demand(1.0, 1.0, 0.5, 10.0, 90.0),
    linear.Demand(2.0, 1.5, 0.3, 5.0, 60.0),
    linear.Demand(1.0, 2.0, 1.5, 20.0, 200.0),
    linear.Demand(0.5, 1.0, 0.9, 3.0, 40.0),
]


def pair(tau: float) -> np.ndarray:
    return np.array([[0.0, tau], [tau, 0.0]])


def gap(lam1: float, tau: float, demand: linear.Demand) -> float:
    v = linear.short_run_equilibrium(np.array([lam1, 1 - lam1]), EVEN, pair(tau), demand)
    return float(v.real_wage[0] - v.real_wage[1])


@pytest.mark.parametrize("demand", DEMANDS)
def test_threshold_is_where_the_utility_gap_changes_sign(demand):
    linear.check_no_black_hole(demand)
    tau_trade = linear.trade_threshold(demand)
    lo, hi = 1e-9, tau_trade * (1 - 1e-9)
    for lam in (0.6, 0.9, 1.0):  # one threshold for every λ: break point = sustain point
        root = brentq(lambda t, lam=lam: gap(lam, t, demand), lo, hi, xtol=1e-15, rtol=1e-13)
        assert linear.break_point(demand) == pytest.approx(root, rel=1e-9)
    tau = 0.5 * linear.break_point(demand)
    assert linear.utility_gap(0.8, tau, demand) == pytest.approx(gap(0.8, tau, demand), rel=1e-9)


@pytest.mark.parametrize("demand", DEMANDS)
def test_trade_threshold_is_where_the_empty_region_could_no_longer_export(demand):
    """With every firm in region 1, its firms charge half the choke price there (OTT:
    p_11 = (a + cP_1)/(2(b + cN)), zero cost), the mean price the solver reports; a firm
    starting up in region 2 could sell in region 1 while that choke price exceeds τ. Its
    root in τ is the trade threshold."""

    def margin(tau: float) -> float:
        eq = linear.short_run_equilibrium(np.array([1.0, 0.0]), EVEN, pair(tau), demand)
        return float(2.0 * eq.price_index[0] - tau)

    root = brentq(margin, 1e-9, demand.alpha, xtol=1e-15, rtol=1e-13)
    assert linear.trade_threshold(demand) == pytest.approx(root, rel=1e-9)


def consumer_optimum(prices: np.ndarray, masses: np.ndarray, demand: linear.Demand) -> np.ndarray:
    """Quantities maximising OTT's utility at given prices over groups of varieties of mass
    ``masses``: the first-order conditions α - (β-γ) q_g - γ Σ_h m_h q_h = p_g, a linear
    system, for the groups bought (q > 0; dropped groups re-solved without)."""
    bought = np.ones(prices.size, dtype=bool)
    while True:
        k = np.flatnonzero(bought)
        A = (demand.beta - demand.gamma) * np.eye(k.size) + demand.gamma * masses[None, k]
        q = np.zeros(prices.size)
        q[k] = np.linalg.solve(A, demand.alpha - prices[k])
        if np.all(q[k] > 0):
            return q
        bought[k[q[k] <= 0]] = False


@pytest.mark.parametrize("seed", range(3))
def test_prices_maximise_profit_against_the_consumers_demand(seed):
    """Three regions on a line, the far pair at the choke price α of a lone variety (beyond
    any prohibitive cost): each firm's price in each market beats nearby prices given the
    others', demand is the consumer's optimum, and the reported profits add up market by
    market."""
    rng = np.random.default_rng(seed)
    demand = DEMANDS[seed]
    lam, a = rng.dirichlet(np.ones(3)), rng.dirichlet(np.ones(3))
    tau_trade = linear.trade_threshold(demand)
    step = tau_trade * rng.uniform(0.3, 0.9)
    tau = step * np.abs(np.subtract.outer(np.arange(3), np.arange(3)))
    tau[0, 2] = tau[2, 0] = demand.alpha
    eq = linear.short_run_equilibrium(lam, a, tau, demand)
    n = demand.L * lam
    residents = demand.L * lam + demand.A * a
    big_b = 1.0 / (demand.beta - demand.gamma)
    profit = np.zeros(3)
    for s in range(3):
        sellers = [r for r in range(3) if tau[r, s] < demand.alpha]
        # the candidate prices, p_rs = (choke + τ_rs)/2, from the mean price the solver reports
        m = n[sellers].sum()
        P = eq.price_index[s] * m
        a_s = demand.alpha / (demand.beta - demand.gamma + demand.gamma * m)
        c_s = demand.gamma * big_b / (demand.beta - demand.gamma + demand.gamma * m)
        choke = (a_s + c_s * P) / big_b
        prices = np.array([(choke + tau[r, s]) / 2 for r in sellers])
        assert prices @ n[sellers] == pytest.approx(P, rel=1e-12)
        q = consumer_optimum(prices, n[sellers], demand)
        assert np.all(q > 0) and np.all(prices > tau[sellers, s])
        for j, r in enumerate(sellers):
            # a negligible firm deviating by ±1 % faces the slope -1/(β-γ) of its own demand
            for dev in (0.99, 1.01):
                dq = q[j] - big_b * (dev - 1.0) * prices[j]
                assert (dev * prices[j] - tau[r, s]) * dq < (prices[j] - tau[r, s]) * q[j]
            profit[r] += residents[s] * (prices[j] - tau[r, s]) * q[j]
    np.testing.assert_allclose(eq.wage, profit, rtol=1e-10)


def test_pairs_beyond_the_prohibitive_cost_do_not_trade():
    demand = DEMANDS[0]
    tau_trade = linear.trade_threshold(demand)
    lam, a = np.array([0.5, 0.2, 0.3]), np.array([0.3, 0.4, 0.3])
    near = 0.6 * tau_trade
    tau = near * np.abs(np.subtract.outer(np.arange(3), np.arange(3)))
    tau[0, 2] = tau[2, 0] = demand.alpha  # a lone variety's choke price: nobody buys
    cut = tau.copy()
    cut[0, 2] = cut[2, 0] = np.inf  # no road at all between the ends
    got = linear.short_run_equilibrium(lam, a, tau, demand)
    expected = linear.short_run_equilibrium(lam, a, cut, demand)
    np.testing.assert_allclose(got.wage, expected.wage, rtol=1e-13)
    np.testing.assert_allclose(got.real_wage, expected.real_wage, rtol=1e-13)
    all_trade = linear.short_run_equilibrium(lam, a, np.minimum(tau, near), demand)
    assert not np.allclose(got.wage, all_trade.wage)


def run(mu, tau, start, response, steps=3000):
    overrides = [
        "economy.model=linear",
        f"economy.mu={mu}",
        f"economy.transport_cost={1 + tau}",
        "population.workers=6000",
        f"population.initial_shares=[{start}, {1 - start}]",
        f"run.steps={steps}",
        f"behaviour.response={response}",
    ]
    return negsim.run(load_scenario(TWO, overrides), seed=1).summary


@pytest.mark.parametrize("mu", [0.1, 0.2])
def test_agents_agglomerate_below_the_threshold_and_spread_above(mu):
    tau_star = linear.break_point(economies.get("linear").demand(mu))
    core = run(mu, 0.97 * tau_star, 0.55, response=3000)
    even = run(mu, 1.03 * tau_star, 0.8, response=1000)  # faster overshoots the even spread
    assert core["converged"] and even["converged"]
    assert (core["regime"], even["regime"]) == ("agglomerated", "dispersed")
    assert even["final_shares"]["North"] == pytest.approx(0.5, abs=0.005)
    assert core["theory"]["break_point"]["T"] == pytest.approx(1 + tau_star, rel=1e-12)
    assert core["mobile_factor"] == "skilled workers"


def test_theory_has_one_threshold():
    mu = 0.1
    economy = economies.get("linear")
    T_star = 1 + linear.break_point(economy.demand(mu))
    breaks, sustains = theory.thresholds("linear", 5.0, mu)
    assert breaks == sustains and breaks[0].T == pytest.approx(T_star, rel=1e-15)
    trade = linear.trade_threshold(economy.demand(mu))
    assert breaks[0].phi == pytest.approx(1 - (T_star - 1) / trade, rel=1e-12)
    assert theory.predict("linear", T_star * 0.99, 5.0, mu) == "agglomerated"
    assert theory.predict("linear", T_star * 1.01, 5.0, mu) == "dispersed"
    costs = np.array([0.99 * T_star, 1.01 * T_star])
    points = theory.tomahawk("linear", 5.0, mu, costs)
    assert sorted((T, lam, ok) for T, lam, ok in points if ok) == sorted(
        [(costs[0], 0.0, True), (costs[0], 1.0, True), (costs[1], 0.5, True)]
    )


def test_cli_tomahawk_reports_the_threshold(capsys):
    assert main(["tomahawk", "--model", "linear", "--mu", "0.1", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    tau_star = linear.break_point(economies.get("linear").demand(0.1))
    assert out["break_point"]["T"] == out["sustain_point"]["T"] == pytest.approx(1 + tau_star)


def test_validation_refuses_the_black_hole_and_costs_beyond_trade():
    with pytest.raises(BlackHoleError, match=r"tau\* < tau_trade"):
        economies.get("linear").check(5.0, 0.3)
    limit = 1 + linear.trade_threshold(economies.get("linear").demand(0.1))
    for overrides, message in [
        (["economy.mu=0.3"], r"economy\.mu: no-black-hole condition \(linear\)"),
        (
            ["economy.mu=0.1", f"economy.transport_cost={limit + 0.01}"],
            rf"economy\.transport_cost: linear trade condition .* < {limit:.6g}",
        ),
    ]:
        with pytest.raises(ScenarioError, match=message) as err:
            load_scenario(TWO, ["economy.model=linear", *overrides])
        assert "\n" not in str(err.value)
    with pytest.raises(ValueError, match="beta > gamma > 0"):
        linear.check_no_black_hole(linear.Demand(1.0, 0.5, 0.5, 10.0, 90.0))


@pytest.mark.parametrize("demand", DEMANDS)
def test_numerical_thresholds_for_verify_match_the_closed_forms(demand):
    star, trade = linear.numerical_thresholds(demand)
    assert star == pytest.approx(linear.break_point(demand), rel=1e-9)
    assert trade == pytest.approx(linear.trade_threshold(demand), rel=1e-9)


def test_the_diagram_names_the_linear_cost():
    from negsim.plots import plot_tomahawk

    T_star = 1 + linear.break_point(economies.get("linear").demand(0.1))
    fig = plot_tomahawk(5.0, 0.1, np.linspace(1.001, 1.15, 31), model="linear")
    ax = fig.axes[0]
    assert ax.get_xlabel() == "transport cost T = 1 + τ (τ: numeraire per unit shipped)"
    assert [line.get_xdata()[0] for line in ax.get_lines()] == [T_star, T_star]


def _numbers(pattern: str, text: str) -> list[float]:
    match = re.search(pattern, text)
    assert match, f"{pattern!r} not in {text!r}"
    return [float(x) for x in match.groups()]


def test_cli_tomahawk_works_at_the_linear_defaults_and_reports_tau(capsys):
    """The generic μ = 0.4 is a black hole for OTT (L = 40, A = 60): linear defaults to
    μ = 0.1 and reports τ* and τ_trade, as root-finding on the solver finds them, with
    T = 1 + τ; no σ, no iceberg φ."""
    assert main(["tomahawk", "--model", "linear"]) == 0
    captured = capsys.readouterr()
    assert captured.err == ""
    star, trade = linear.numerical_thresholds(linear.Demand(1.0, 1.0, 0.5, 10.0, 90.0))
    out = captured.out
    assert out.splitlines()[0].startswith("Linear (Ottaviano–Tabuchi–Thisse) model, μ = 0.1,")
    tau, T = _numbers(r"τ\* = ([\d.]+)\s+T\* = ([\d.]+)", out)
    assert tau == pytest.approx(star, abs=1e-6) and T == pytest.approx(1 + star, abs=1e-6)
    tau, T = _numbers(r"τ_trade = ([\d.]+)\s+T = ([\d.]+)", out)
    assert tau == pytest.approx(trade, abs=1e-6) and T == pytest.approx(1 + trade, abs=1e-6)
    assert "σ" not in out and "φ" not in out
    assert main(["tomahawk", "--model", "linear", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["sigma"] is None and data["mu"] == 0.1
    assert data["tau_star"] == pytest.approx(star, rel=1e-9)
    assert data["tau_trade"] == pytest.approx(trade, rel=1e-9)
    assert data["break_point"]["T"] == pytest.approx(1 + star, rel=1e-9)
    assert data["break_points"] == data["sustain_points"] == [data["break_point"]]


def test_cli_racetrack_works_at_the_linear_defaults_and_reports_tau(capsys):
    args = ["racetrack", "--model", "linear", "--regions", "8", "--transport-cost", "1.03"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == (
        "Racetrack of 8 places, T = 1.03 (τ = 0.03) between neighbours (linear, μ = 0.1)"
    )
    assert "σ" not in out
    t_c, k_c = _numbers(r"below T = ([\d.]+) \(τ = ([\d.]+)\), through mode k = (\d+)", out)[::2]
    expected_t, expected_k = racetrack.critical_transport_cost(8, 5.0, 0.1, economy="linear")
    assert t_c == pytest.approx(expected_t, abs=1e-6) and k_c == expected_k
    (limit,) = _numbers(r"neighbours trade only below τ_trade = ([\d.]+)", out)
    _, trade = linear.numerical_thresholds(economies.get("linear").demand(0.1))
    assert limit == pytest.approx(trade, abs=1e-6)
    assert main([*args, "--json"]) == 0
    default = json.loads(capsys.readouterr().out)
    assert main([*args, "--mu", "0.1", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == default


@pytest.mark.parametrize(
    "args",
    [
        ["tomahawk", "--model", "linear", "--sigma", "5"],
        ["racetrack", "--model", "linear", "--sigma", "5", "--regions", "4"]
        + ["--transport-cost", "1.05"],
    ],
)
def test_cli_refuses_sigma_for_the_linear_economy(capsys, args):
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err == "negsim: error: --sigma: the linear economy has no σ (leave --sigma out)\n"
