"""Welfare by group of cpvl, fcvl, ql and linear (``Economy.group_welfare``) against
independent computations: each model's equilibrium solved afresh from its definitions (the
``negsim.anchors`` routes or a plain fixed point here) and each resident's utility as the
maximum of her direct utility under her budget, found numerically (scipy) — not the
indirect-utility formulas the economies use. Then a short run of every economy writes
welfare.csv rows, and ``tomahawk --welfare`` draws each of them.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import minimize, minimize_scalar

from negsim import economies, theory
from negsim.anchors import cpvl as cpvl_anchors
from negsim.anchors import linear as linear_anchors
from negsim.cli import main
from negsim.economies import cpvl, fcvl, linear, ql
from negsim.geography import two_region

TWO = Path(__file__).resolve().parents[1] / "scenarios" / "two_region_clustering.toml"
EVEN = np.array([0.5, 0.5])


def random_state(seed: int, R: int = 3) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    lam, a = rng.dirichlet(np.ones(R)), rng.dirichlet(np.ones(R) * 4)
    T = 1.0 + rng.uniform(0.1, 0.6, (R, R))
    return lam, a, np.triu(T, 1) + np.triu(T, 1).T + np.eye(R)


def cobb_douglas_utility(y: float, G: float, mu: float) -> float:
    """max C_M^μ C_A^(1-μ) s.t. G C_M + C_A = y (farm good or numeraire at price 1), by a
    bounded scalar search over the share s spent on manufactures."""
    best = minimize_scalar(
        lambda s: -(mu * np.log(s * y / G) + (1.0 - mu) * np.log((1.0 - s) * y)),
        bounds=(1e-9, 1.0 - 1e-9),
        method="bounded",
        options={"xatol": 1e-12},
    )
    return float(np.exp(-best.fun))


CD = [(5.0, 0.4, 0.3), (3.0, 0.2, 0.4)]


@pytest.mark.parametrize(("sigma", "mu", "alpha"), CD)
@pytest.mark.parametrize("seed", range(2))
def test_cpvl_industrial_and_farm_workers(seed, sigma, mu, alpha):
    """Industrial workers (μλ_r, wage w_r) and farm workers (a_r - μλ_r, wage 1) of KV (1995)
    / FKV ch. 14, utility y/G^μ: the maximised Cobb–Douglas utility over μ^μ(1-μ)^(1-μ)."""
    lam, a, T = random_state(seed)
    a = 0.2 + 0.4 * a  # every region keeps its agriculture: μλ_r < a_r
    lam = lam * 0.5
    lam /= lam.sum()
    economy = cpvl.CorePeripheryVerticalLinkages(alpha)
    eq = economy.equilibrium(lam, a, T, sigma, mu)
    g = economy.group_welfare(eq, lam, a, mu)
    w, G = cpvl_anchors.equilibrium(lam, a, T, sigma, mu, alpha)
    scale = mu**mu * (1.0 - mu) ** (1.0 - mu)
    direct_m = [cobb_douglas_utility(w[r], G[r], mu) / scale for r in range(3)]
    direct_i = [cobb_douglas_utility(1.0, G[r], mu) / scale for r in range(3)]
    np.testing.assert_allclose(g.mobile_mass, mu * lam, rtol=1e-15)
    np.testing.assert_allclose(g.immobile_mass, a - mu * lam, rtol=1e-15)
    np.testing.assert_allclose(g.mobile_utility, direct_m, rtol=1e-8)
    np.testing.assert_allclose(g.immobile_utility, direct_i, rtol=1e-8)
    assert g.total == pytest.approx(economy.welfare(eq), rel=1e-12)
    assert sum(g.mobile_mass + g.immobile_mass) == pytest.approx(1.0, rel=1e-14)


def fcvl_fixed_point(lam, a, T, sigma, mu, alpha):
    """(Δ, π, Y_w) of FCVL (Robert-Nicoud 2002; Baldwin et al. 2003 ch. 8) by plain
    iteration: Δ_s = Σ_k λ_k φ_ks Δ_k^α, E_s = μ a_s Y_w + α(σ-1)λ_s π_s,
    π_r = Δ_r^α Σ_s φ_rs E_s/Δ_s / σ, and world income Y_w = (1-μ) + Σ_k λ_k π_k (workers'
    unit wage and capital's rewards; owners and workers hold shares a_s of it)."""
    phi = T ** (1.0 - sigma)
    delta = np.ones_like(lam)
    for _ in range(20_000):
        delta, old = phi.T @ (lam * delta**alpha), delta
        if np.max(np.abs(delta / old - 1.0)) < 1e-16:
            break
    profit, world = np.zeros_like(lam), 1.0
    for _ in range(20_000):
        spend = mu * a * world + alpha * (sigma - 1.0) * lam * profit
        profit, old = delta**alpha * (phi @ (spend / delta)) / sigma, profit
        world = (1.0 - mu) + lam @ profit
        if np.max(np.abs(profit - old)) < 1e-17:
            break
    return delta, profit, world


@pytest.mark.parametrize(("sigma", "mu", "alpha"), [(5.0, 0.4, 0.4), (4.0, 0.3, 0.6)])
@pytest.mark.parametrize("seed", range(2))
def test_fcvl_capital_owners_and_workers(seed, sigma, mu, alpha):
    lam, a, T = random_state(seed)
    economy = fcvl.FootlooseCapitalVerticalLinkages(alpha)
    eq = economy.equilibrium(lam, a, T, sigma, mu)
    g = economy.group_welfare(eq, lam, a, mu)
    delta, profit, world = fcvl_fixed_point(lam, a, T, sigma, mu, alpha)
    G = delta ** (1.0 / (1.0 - sigma))
    scale = mu**mu * (1.0 - mu) ** (1.0 - mu)
    owner = lam @ profit
    np.testing.assert_allclose(g.mobile_mass, a, rtol=1e-15)
    np.testing.assert_allclose(g.immobile_mass, (1.0 - mu) * a, rtol=1e-15)
    expected_m = [cobb_douglas_utility(owner, G[r], mu) / scale for r in range(3)]
    expected_i = [cobb_douglas_utility(1.0, G[r], mu) / scale for r in range(3)]
    np.testing.assert_allclose(g.mobile_utility, expected_m, rtol=1e-8)
    np.testing.assert_allclose(g.immobile_utility, expected_i, rtol=1e-8)
    assert g.total == pytest.approx(world * np.sum(a / G**mu), rel=1e-10)


def quasi_linear_utility(y: float, G: float, mu: float) -> float:
    """max μ ln C_M + C_A s.t. G C_M + C_A = y (Pflüger 2004), by a bounded scalar search."""
    best = minimize_scalar(
        lambda c: -(mu * np.log(c) + y - G * c),
        bounds=(1e-9, y / G),
        method="bounded",
        options={"xatol": 1e-13},
    )
    return float(-best.fun)


@pytest.mark.parametrize(("sigma", "mu"), [(5.0, 0.3), (4.0, 0.2)])
@pytest.mark.parametrize("seed", range(2))
def test_ql_skilled_and_unskilled(seed, sigma, mu):
    """Skilled (μλ_r, the operating profit of their firm: revenue/σ summed over markets of
    the CES demand at mill price 1) and unskilled ((1-μ)a_r, wage 1); U = μ ln C_M + C_A
    maximised under the budget. The skilled incomes are below μ at these states, so each
    budget is raised by the same numeraire endowment (5) for C_A ≥ 0, then taken off."""
    lam, a, T = random_state(seed)
    economy = economies.get("ql")
    eq = economy.equilibrium(lam, a, T, sigma, mu)
    g = economy.group_welfare(eq, lam, a, mu)
    phi = T ** (1.0 - sigma)
    G = (phi.T @ (mu * lam)) ** (1.0 / (1.0 - sigma))
    spend = mu * (mu * lam + (1.0 - mu) * a)
    sales = T ** (-sigma) * (spend * G ** (sigma - 1.0))[None, :]
    profit = np.sum(T * sales, axis=1) / sigma
    endowment = 5.0
    skilled = [quasi_linear_utility(profit[r] + endowment, G[r], mu) - endowment for r in range(3)]
    unskilled = [quasi_linear_utility(1.0 + endowment, G[r], mu) - endowment for r in range(3)]
    np.testing.assert_allclose(g.mobile_mass, mu * lam, rtol=1e-15)
    np.testing.assert_allclose(g.immobile_mass, (1.0 - mu) * a, rtol=1e-15)
    np.testing.assert_allclose(g.mobile_utility, skilled, rtol=1e-9, atol=1e-10)
    np.testing.assert_allclose(g.immobile_utility, unskilled, rtol=1e-9, atol=1e-10)
    assert g.total == pytest.approx(ql.welfare(lam, a, eq, mu), rel=1e-12)


def ott_consumer(prices: np.ndarray, masses: np.ndarray, d: linear.Demand):
    """(surplus, q): max over q ≥ 0 of OTT's (2002) eq. (1), α Σ n q - (β-γ)/2 Σ n q² -
    γ/2 (Σ n q)², less spending Σ n p q, by scipy's L-BFGS-B (varieties of one origin
    share one price)."""

    def minus(q: np.ndarray) -> float:
        Q = masses @ q
        u = d.alpha * Q - (d.beta - d.gamma) / 2 * (masses @ q**2) - d.gamma / 2 * Q**2
        return -(u - masses @ (prices * q))

    res = minimize(
        minus,
        np.full(prices.size, 0.01),
        method="L-BFGS-B",
        bounds=[(0.0, None)] * prices.size,
        options={"ftol": 1e-16, "gtol": 1e-14},
    )
    return float(-res.fun), res.x


@pytest.mark.parametrize("mu", [0.1, 0.2])
@pytest.mark.parametrize(("lam1", "share_of_trade"), [(0.7, 0.5), (0.35, 0.9)])
def test_linear_skilled_and_unskilled(mu, lam1, share_of_trade):
    """OTT (2002): V = consumer surplus + income. Prices from the anchor's route
    (``negsim.anchors.linear.markets``: each firm's first-order condition against the
    consumers' inverse demand), then each market's consumer problem solved numerically at
    those prices: her surplus, and the quantities that make profits
    π_r = Σ_s M_s (p_rs - τ_rs) q_rs; skilled (Lλ_r) earn π_r, unskilled (A a_r) 1."""
    economy = economies.get("linear")
    d = economy.demand(mu)
    tau = share_of_trade * linear.trade_threshold(d)
    lam = np.array([lam1, 1.0 - lam1])
    eq = economy.equilibrium(lam, EVEN, two_region(1.0 + tau), 5.0, mu)
    g = economy.group_welfare(eq, lam, EVEN, mu)
    utility, margin = linear_anchors.markets(lam1, tau, d)
    cost = np.array([[0.0, tau], [tau, 0.0]])
    prices = margin + cost
    consumers = [ott_consumer(prices[:, s], d.L * lam, d) for s in range(2)]
    surplus = np.array([cs for cs, _ in consumers])
    q = np.stack([qs for _, qs in consumers], axis=1)  # q[r, s]
    profit = (margin * q) @ (d.L * lam + d.A * EVEN)
    np.testing.assert_allclose(g.mobile_mass, d.L * lam, rtol=1e-15)
    np.testing.assert_allclose(g.immobile_mass, d.A * EVEN, rtol=1e-15)
    np.testing.assert_allclose(g.mobile_utility, surplus + profit, rtol=1e-7)
    np.testing.assert_allclose(g.mobile_utility, utility, rtol=1e-12)
    np.testing.assert_allclose(g.immobile_utility, surplus + 1.0, rtol=1e-8)


RUNS = [
    ("cpvl", ["economy.mu=0.3", "economy.input_share=0.3", "economy.transport_cost=1.3"]),
    ("fcvl", ["economy.input_share=0.4", "economy.transport_cost=1.4"]),
    ("ql", ["economy.mu=0.3", "economy.transport_cost=1.45"]),
    ("linear", ["economy.mu=0.1", "economy.transport_cost=1.05"]),
]


@pytest.mark.parametrize(("model", "overrides"), RUNS)
def test_a_short_run_of_every_new_economy_writes_welfare_rows(tmp_path, model, overrides):
    """welfare.csv has a row per step and region; the last step's rows are the groups of the
    economy's equilibrium at the recorded shares."""
    from negsim.record import WELFARE_COLUMNS
    from negsim.runner import run
    from negsim.scenario import load_scenario

    sets = [f"economy.model={model}", *overrides, "population.workers=400"]
    sets += ["population.firms=400", "run.steps=6"]
    scenario = load_scenario(TWO, sets)
    result = run(scenario)
    table, ts = result.welfare, result.timeseries
    assert list(table.columns) == list(WELFARE_COLUMNS)
    assert len(table) == len(ts) > 2 and (table["step"].to_numpy() == ts["step"].to_numpy()).all()
    last = int(ts["step"].max())
    shares = ts[ts["step"] == last]["share"].to_numpy()
    rows = table[table["step"] == last]
    spec = scenario.economy
    economy = economies.of(spec)
    eq = economy.equilibrium(shares, EVEN, two_region(spec.transport_cost), spec.sigma, spec.mu)
    g = economy.group_welfare(eq, shares, EVEN, spec.mu)
    np.testing.assert_allclose(rows["mobile_utility"], g.mobile_utility, rtol=1e-9)
    np.testing.assert_allclose(rows["immobile_utility"], g.immobile_utility, rtol=1e-9)
    np.testing.assert_allclose(rows["region_welfare"], g.by_region, rtol=1e-9)
    assert rows["total_welfare"].iloc[0] == pytest.approx(rows["region_welfare"].sum(), rel=1e-12)
    out = tmp_path / model
    args = ["run", str(TWO), "--out", str(out), "--quiet"]
    assert main([*args, *[x for s in sets for x in ("--set", s)]]) == 0
    written = pd.read_csv(out / "welfare.csv")
    np.testing.assert_allclose(written["total_welfare"], table["total_welfare"], rtol=1e-15)


# --- agglomeration vs dispersion: tomahawk --welfare for every new economy ------------------


def independent_welfare(model: str, lam1: float, phi: float, sigma: float, mu: float) -> float:
    """Utilitarian welfare of two symmetric regions at λ = (λ_1, 1-λ_1) from this file's
    and the anchors' independent routes: Σ over groups of mass × utility."""
    lam = np.array([lam1, 1.0 - lam1])
    if model == "linear":
        d = economies.get("linear").demand(mu)
        tau = (1.0 - phi) * linear_anchors.trade_by_root(d)
        utility, margin = linear_anchors.markets(lam1, tau, d)
        profit = (margin * margin / (d.beta - d.gamma)) @ (d.L * lam + d.A * EVEN)
        return float(np.sum(d.L * lam * utility + d.A * EVEN * (utility - profit + 1.0)))
    T = two_region(phi ** (1.0 / (1.0 - sigma)))
    if model == "cpvl":
        w, G = cpvl_anchors.equilibrium(lam, EVEN, T, sigma, mu, 0.3)
        return float(np.sum((EVEN - mu * lam + mu * lam * w) / G**mu))
    if model == "fcvl":
        delta, _, world = fcvl_fixed_point(lam, EVEN, T, sigma, mu, mu)
        return float(np.sum(world * EVEN * delta ** (mu / (sigma - 1.0))))
    firms = mu * lam  # ql: V = y + μ ln(μ/G) - μ, skilled earn revenue/σ, unskilled 1
    G = (T ** (1.0 - sigma) @ firms) ** (1.0 / (1.0 - sigma))
    residents = firms + (1.0 - mu) * EVEN
    sales = T ** (-sigma) * (mu * residents * G ** (sigma - 1.0))[None, :]
    income = firms * np.sum(T * sales, axis=1) / sigma + (1.0 - mu) * EVEN
    return float(np.sum(income + residents * (mu * np.log(mu / G) - mu)))


WELFARE = [("cpvl", 5.0, 0.4), ("fcvl", 5.0, 0.4), ("ql", 5.0, 0.3), ("linear", 5.0, 0.1)]


@pytest.mark.parametrize(("model", "sigma", "mu"), WELFARE)
def test_welfare_ranking_flips_where_the_independent_welfare_crosses(model, sigma, mu):
    """theory.welfare_of_patterns against the independent welfare at a few φ, and the one
    φ_W where agglomeration starts to beat dispersion against brentq on the independent
    difference."""
    from scipy.optimize import brentq

    phis = np.array([0.05, 0.3, 0.6, 0.95])
    agg, disp = theory.welfare_of_patterns(model, sigma, mu, phis)
    for k, phi in enumerate(phis):
        assert agg[k] == pytest.approx(independent_welfare(model, 1.0, phi, sigma, mu), rel=1e-9)
        assert disp[k] == pytest.approx(independent_welfare(model, 0.5, phi, sigma, mu), rel=1e-9)
    assert agg[0] < disp[0] and agg[-1] > disp[-1]

    def gap(phi: float) -> float:
        return independent_welfare(model, 1.0, phi, sigma, mu) - independent_welfare(
            model, 0.5, phi, sigma, mu
        )

    (crossing,) = theory.welfare_crossings(model, sigma, mu)
    assert crossing.phi == pytest.approx(brentq(gap, 0.05, 0.95, xtol=1e-14), rel=1e-8)


@pytest.mark.parametrize(("model", "mu"), [("ql", 0.3), ("ql", 0.2), ("linear", 0.1)])
def test_the_quasi_linear_markets_over_agglomerate_at_intermediate_trade_costs(model, mu):
    """Where the core is sustainable (φ > φ_S) but dispersion is the better of the two
    (φ < φ_W), the market can agglomerate too much: φ_S < φ_W in both quasi-linear models
    at these parameters."""
    (crossing,) = theory.welfare_crossings(model, 5.0, mu)
    _, (sustain,) = theory.thresholds(model, 5.0, mu)
    assert sustain.phi < crossing.phi < 1.0


@pytest.mark.parametrize(("model", "extra"), [(m, []) for m, _, _ in WELFARE[:3]] + [
    ("linear", ["--mu", "0.1"]), ("cpvl", ["--input-share", "0.4"])])  # fmt: skip
def test_tomahawk_welfare_draws_each_new_economy(tmp_path, capsys, model, extra):
    mu = {"ql": ["--mu", "0.3"]}.get(model, [])
    png = tmp_path / "w.png"
    args = ["tomahawk", "--model", model, *mu, *extra, "--welfare", str(png), "--json"]
    assert main(args) == 0
    out = json.loads(capsys.readouterr().out)
    assert png.read_bytes()[:4] == b"\x89PNG"
    economy = economies.get(model)
    if "--input-share" in extra:
        economy = cpvl.CorePeripheryVerticalLinkages(0.4)
    sigma, mu_value = out["sigma"], out["mu"]
    (crossing,) = theory.welfare_crossings(economy, sigma, mu_value)
    assert out["welfare_crossings"][0]["phi"] == pytest.approx(crossing.phi, rel=1e-12)
    assert out["welfare_crossings"][0]["T"] == pytest.approx(
        economy.transport_cost_at(crossing.phi, sigma, mu_value), rel=1e-12
    )
