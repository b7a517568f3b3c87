"""Welfare of every economy (``Economy.welfare``: W = Σ_r Y_r / P_r) against closed forms
worked out by hand from each model's definitions at states where the equilibrium is known
exactly — the even spread and full agglomeration of two regions — and against a direct
sum over residents at random states.

Closed forms (φ = T^(1-σ), b = μ/σ, two regions with even immobile population):

- cp (FKV 1999 ch. 5): at λ = (1/2, 1/2) the wage is 1 and G^(1-σ) = (1+φ)/2, Y = 1/2 each,
  so W = [(1+φ)/2]^(μ/(σ-1)). At λ = (1, 0) the core wage is 1, G_1 = 1, G_2 = T,
  Y_1 = (1+μ)/2, Y_2 = (1-μ)/2, so W = (1+μ)/2 + (1-μ)/2 · T^(-μ).
- fe (Baldwin et al. 2003 ch. 4): at λ = (1, 0), Δ_1 = 1, Δ_2 = φ, π_1 = b(E_1 + E_2) with
  E_1 = (1-μ)/2 + π_1, E_2 = (1-μ)/2, so π_1 = b(1-μ)/(1-b) and
  W = (1-μ)/2 + π_1 + (1-μ)/2 · T^(-μ).
- fc (Baldwin et al. 2003 ch. 3): E_w = (1-μ)/(1-b) spent where owners live; at the even
  spread Δ = (1+φ)/2 in both regions, so W = E_w [(1+φ)/2]^(μ/(σ-1)).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from negsim import economies
from negsim.geography import two_region

SCENARIO = Path(__file__).resolve().parents[1] / "scenarios" / "two_region_clustering.toml"
EVEN = np.array([0.5, 0.5])
CORE = np.array([1.0, 0.0])
PARAMS = [(5.0, 0.4, 1.3), (5.0, 0.4, 1.9), (3.0, 0.3, 1.5), (8.0, 0.2, 1.1)]


def welfare(model: str, shares: np.ndarray, T: float, sigma: float, mu: float) -> float:
    economy = economies.get(model)
    return economy.welfare(economy.equilibrium(shares, EVEN, two_region(T), sigma, mu))


@pytest.mark.parametrize(("sigma", "mu", "T"), PARAMS)
def test_cp_welfare_closed_forms(sigma, mu, T):
    phi = T ** (1.0 - sigma)
    assert welfare("cp", EVEN, T, sigma, mu) == pytest.approx(
        ((1.0 + phi) / 2.0) ** (mu / (sigma - 1.0)), rel=1e-11
    )
    assert welfare("cp", CORE, T, sigma, mu) == pytest.approx(
        (1.0 + mu) / 2.0 + (1.0 - mu) / 2.0 * T ** (-mu), rel=1e-11
    )


@pytest.mark.parametrize(("sigma", "mu", "T"), PARAMS)
def test_fe_welfare_closed_form_of_the_core(sigma, mu, T):
    b = mu / sigma
    profit = b * (1.0 - mu) / (1.0 - b)
    expected = (1.0 - mu) / 2.0 + profit + (1.0 - mu) / 2.0 * T ** (-mu)
    assert welfare("fe", CORE, T, sigma, mu) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize(("sigma", "mu", "T"), PARAMS)
def test_fc_welfare_closed_form_of_the_even_spread(sigma, mu, T):
    phi, b = T ** (1.0 - sigma), mu / sigma
    expected = (1.0 - mu) / (1.0 - b) * ((1.0 + phi) / 2.0) ** (mu / (sigma - 1.0))
    assert welfare("fc", EVEN, T, sigma, mu) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("seed", range(4))
def test_cp_welfare_with_housing_sums_residents_real_incomes(seed):
    """With housing, each region's income is deflated by G^μ q^η, q = ηY/H the rent
    (Helpman 1998): the sum over regions of that, from the equilibrium's own income, price
    index and the housing stock."""
    rng = np.random.default_rng(seed)
    R, sigma, mu, eta = 4, 5.0, 0.4, 0.1
    lam, a, H = (rng.dirichlet(np.ones(R)) for _ in range(3))
    T = 1.0 + rng.uniform(0.1, 0.8, (R, R))
    T = np.triu(T, 1) + np.triu(T, 1).T + np.eye(R)
    cp = economies.get("cp")
    eq = cp.equilibrium(lam, a, T, sigma, mu, housing_share=eta, housing=H)
    rent = eta * eq.income / H
    expected = float(np.sum(eq.income * eq.price_index ** (-mu) * rent ** (-eta)))
    assert cp.welfare(eq) == pytest.approx(expected, rel=1e-12)


def test_cp_core_beats_even_spread_at_low_trade_costs_only():
    """FKV ch. 5 / Charlot et al. (2006): with σ = 5, μ = 0.4 agglomeration raises total
    real income when trade is free enough, the even spread when it is costly."""
    assert welfare("cp", CORE, 1.2, 5.0, 0.4) > welfare("cp", EVEN, 1.2, 5.0, 0.4)
    assert welfare("cp", CORE, 3.0, 5.0, 0.4) < welfare("cp", EVEN, 3.0, 5.0, 0.4)


# --- welfare by group (Economy.group_welfare), a run's welfare.csv, policy effects ----------


def independent_cp(lam, a, T, sigma, mu, eta=0.0, H=None):
    """(w, G, Y, P) of FKV ch. 5 eqs. (5.1)–(5.4) with Helpman's housing, by a damped plain
    fixed point in the wages (not negsim's Newton solver)."""
    phi = T ** (1.0 - sigma)
    H = np.full(lam.size, 1.0 / lam.size) if H is None else H
    w = np.ones_like(lam)
    for _ in range(100_000):
        income = (mu * lam * w + (1.0 - mu) * a) / (1.0 - eta)
        g1s = phi.T @ (lam * w ** (1.0 - sigma))
        new = (phi @ (income / g1s)) ** (1.0 / sigma)
        if np.max(np.abs(new - w)) < 4e-15:
            break
        w = 0.5 * (w + new)
    G = g1s ** (1.0 / (1.0 - sigma))
    P = G**mu * (eta * income / H) ** eta if eta else G**mu
    return new, G, income, P


def random_state(seed, R=3):
    rng = np.random.default_rng(seed)
    lam, a, H = (rng.dirichlet(np.ones(R)) for _ in range(3))
    T = 1.0 + rng.uniform(0.1, 0.8, (R, R))
    return lam, a, H, np.triu(T, 1) + np.triu(T, 1).T + np.eye(R)


@pytest.mark.parametrize("eta", [0.0, 0.1])
@pytest.mark.parametrize("seed", range(3))
def test_cp_group_welfare_against_an_independent_solve(seed, eta):
    """Workers (μλ_r of them) get V = w_r/(1-η)/P_r, farmers ((1-μ)a_r) V = 1/(1-η)/P_r,
    P_r = G_r^μ q_r^η (FKV ch. 5; Helpman's rents rebated with labour income)."""
    lam, a, H, T = random_state(seed)
    sigma, mu = 5.0, 0.4
    cp = economies.get("cp")
    eq = cp.equilibrium(lam, a, T, sigma, mu, housing_share=eta, housing=H)
    g = cp.group_welfare(eq, lam, a, mu, eta)
    w, _, income, P = independent_cp(lam, a, T, sigma, mu, eta, H)
    np.testing.assert_allclose(g.mobile_mass, mu * lam, rtol=1e-15)
    np.testing.assert_allclose(g.immobile_mass, (1.0 - mu) * a, rtol=1e-15)
    np.testing.assert_allclose(g.mobile_utility, w / (1.0 - eta) / P, rtol=1e-11)
    np.testing.assert_allclose(g.immobile_utility, 1.0 / (1.0 - eta) / P, rtol=1e-11)
    assert g.total == pytest.approx(float(np.sum(income / P)), rel=1e-11)
    assert g.total == pytest.approx(cp.welfare(eq), rel=1e-13)


@pytest.mark.parametrize("seed", range(3))
def test_fe_and_fc_group_welfare_against_their_definitions(seed):
    """fe: λ_r entrepreneurs earn π_r (π = (μ/σ)φ(E/Δ), E = (1-μ)a + λπ, iterated here),
    (1-μ)a_r unskilled the unit wage; fc: owners of a_r of the capital each earn the
    average reward (μ/σ)E_w, E_w = (1-μ)/(1-μ/σ), workers the unit wage; both deflated by
    P = Δ^(-μ/(σ-1)) (Baldwin et al. 2003, ch. 3–4)."""
    lam, a, _, T = random_state(seed)
    sigma, mu = 5.0, 0.4
    phi, b = T ** (1.0 - sigma), mu / sigma
    delta = phi.T @ lam
    P = delta ** (mu / (1.0 - sigma))
    profit = np.zeros(3)
    for _ in range(2000):
        profit = b * phi @ (((1.0 - mu) * a + lam * profit) / delta)
    fe = economies.get("fe")
    g = fe.group_welfare(fe.equilibrium(lam, a, T, sigma, mu), lam, a, mu)
    np.testing.assert_allclose(g.mobile_mass, lam, rtol=1e-15)
    np.testing.assert_allclose(g.mobile_utility, profit / P, rtol=1e-11)
    np.testing.assert_allclose(g.immobile_utility, 1.0 / P, rtol=1e-11)
    fc = economies.get("fc")
    g = fc.group_welfare(fc.equilibrium(lam, a, T, sigma, mu), lam, a, mu)
    np.testing.assert_allclose(g.mobile_mass, a, rtol=1e-15)
    np.testing.assert_allclose(g.mobile_utility, b * (1.0 - mu) / (1.0 - b) / P, rtol=1e-12)
    np.testing.assert_allclose(g.immobile_utility, 1.0 / P, rtol=1e-12)


def test_with_firms_at_their_own_speed_profits_go_to_the_immobile():
    """Given firm masses n ≠ λ, workers earn the wage and the region's profits go to its
    immobile residents: the groups still add up to Σ Y/P."""
    cp = economies.get("cp")
    lam, a, T = np.array([0.6, 0.4]), EVEN, two_region(1.5)
    eq = cp.equilibrium(lam, a, T, 5.0, 0.4, firms=np.array([0.5, 0.5]))
    g = cp.group_welfare(eq, lam, a, 0.4)
    assert g.total == pytest.approx(cp.welfare(eq), rel=1e-13)
    farm = 1.0 / eq.price_level
    assert g.immobile_utility[0] > farm[0] and g.immobile_utility[1] == pytest.approx(farm[1])


def test_a_run_records_welfare_at_every_step(tmp_path):
    from negsim.cli import main
    from negsim.record import WELFARE_COLUMNS
    from negsim.runner import run
    from negsim.scenario import load_scenario

    scenario = load_scenario(SCENARIO, ["population.workers=2000", "run.steps=30"])
    result = run(scenario)
    table, ts = result.welfare, result.timeseries
    assert list(table.columns) == list(WELFARE_COLUMNS)
    assert len(table) == len(ts) and (table["step"].to_numpy() == ts["step"].to_numpy()).all()
    for step in (0, int(ts["step"].max())):
        rows = table[table["step"] == step]
        shares = ts[ts["step"] == step]["share"].to_numpy()
        w, _, income, P = independent_cp(shares, EVEN, two_region(1.5), 5.0, 0.4)
        np.testing.assert_allclose(rows["mobile_utility"], w / P, rtol=1e-9)
        np.testing.assert_allclose(rows["region_welfare"], income / P, rtol=1e-9)
        assert rows["total_welfare"].iloc[0] == pytest.approx(np.sum(income / P), rel=1e-9)
    out = tmp_path / "out"
    args = ["run", str(SCENARIO), "--out", str(out), "--quiet"]
    assert main([*args, "--set", "population.workers=2000", "--set", "run.steps=30"]) == 0
    written = pd.read_csv(out / "welfare.csv")
    np.testing.assert_allclose(written["total_welfare"], table["total_welfare"], rtol=1e-15)


def test_welfare_effects_per_place_and_group():
    from negsim.effects import WELFARE_EFFECT_COLUMNS, welfare_effect_rows

    def table(step_values):
        rows = []
        for step, values in step_values.items():
            for region, (mu_, iu, rw) in values.items():
                rows.append(
                    dict(
                        step=step,
                        region=region,
                        mobile_utility=mu_,
                        immobile_utility=iu,
                        region_welfare=rw,
                    )
                )
        return pd.DataFrame(rows)

    base = table(
        {0: {"A": (9, 9, 9), "B": (9, 9, 9)}, 5: {"A": (1.0, 2.0, 0.5), "B": (0.5, 1.0, 0.2)}}
    )
    pol = table(
        {0: {"A": (7, 7, 7), "B": (7, 7, 7)}, 5: {"A": (1.1, 1.0, 0.6), "B": (0.5, 1.5, 0.1)}}
    )
    rows = welfare_effect_rows(base, pol)
    mobile, immobile, region = WELFARE_EFFECT_COLUMNS
    assert [r[mobile] for r in rows] == pytest.approx([10.0, 0.0])
    assert [r[immobile] for r in rows] == pytest.approx([-50.0, 50.0])
    assert [r[region] for r in rows] == pytest.approx([0.1, -0.1])


# --- the CP welfare ranking of agglomeration vs dispersion (Charlot et al. 2006) -------------


def closed_forms(phi, sigma, mu):
    """W of full agglomeration and of the even spread (this file's docstring), in φ:
    T^(-μ) = φ^(μ/(σ-1))."""
    e = mu / (sigma - 1.0)
    return (1.0 + mu) / 2.0 + (1.0 - mu) / 2.0 * phi**e, ((1.0 + phi) / 2.0) ** e


@pytest.mark.parametrize(("sigma", "mu"), [(5.0, 0.4), (3.0, 0.3), (8.0, 0.2)])
def test_cp_welfare_ranking_changes_sign_once_where_the_closed_forms_cross(sigma, mu):
    """Charlot, Gaigné, Robert-Nicoud & Thisse (2006), utilitarian criterion: dispersion is
    the better of the two market outcomes when trade is costly, agglomeration when it is
    free enough, with one switch in between — here the root of the closed forms' difference
    (scipy's brentq), against negsim's equilibria (theory.welfare_crossings)."""
    from scipy.optimize import brentq

    from negsim import theory

    phis = np.array([0.02, 0.1, 0.3, 0.6, 0.9])
    agg, disp = theory.welfare_of_patterns("cp", sigma, mu, phis)
    ref_agg, ref_disp = closed_forms(phis, sigma, mu)
    np.testing.assert_allclose(agg, ref_agg, rtol=1e-11)
    np.testing.assert_allclose(disp, ref_disp, rtol=1e-11)
    assert agg[0] < disp[0] and agg[-1] > disp[-1]
    (crossing,) = theory.welfare_crossings("cp", sigma, mu)
    root = brentq(lambda p: np.subtract(*closed_forms(p, sigma, mu)), 1e-3, 0.99, xtol=1e-15)
    assert crossing.phi == pytest.approx(root, rel=1e-9)
    assert crossing.T == pytest.approx(root ** (1.0 / (1.0 - sigma)), rel=1e-9)


def test_with_housing_the_even_spread_is_better_at_every_trade_freeness():
    """Rents make a crowded core costly: with η = 0.1 no crossing (README "Welfare")."""
    from negsim import theory

    agg, disp = theory.welfare_of_patterns("cp", 5.0, 0.4, np.array([0.05, 0.13, 0.5, 0.95]), 0.1)
    assert np.all(agg < disp)
    assert theory.welfare_crossings("cp", 5.0, 0.4, 0.1) == []


def test_tomahawk_welfare_draws_the_figure_and_reports_the_crossing(tmp_path, capsys):
    import json

    from negsim import theory
    from negsim.cli import main
    from negsim.plots import plot_welfare

    fig = plot_welfare(5.0, 0.4, n=20)
    ax = fig.axes[0]
    assert "trade freeness" in ax.get_xlabel() and "welfare" in ax.get_ylabel()
    (agg_line, disp_line) = ax.get_lines()[:2]
    agg, disp = theory.welfare_of_patterns("cp", 5.0, 0.4, agg_line.get_xdata())
    np.testing.assert_allclose(agg_line.get_ydata(), agg)
    np.testing.assert_allclose(disp_line.get_ydata(), disp)
    png = tmp_path / "w.png"
    assert main(["tomahawk", "--welfare", str(png), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert png.read_bytes()[:4] == b"\x89PNG"
    assert out["welfare_crossings"][0]["phi"] == pytest.approx(
        theory.welfare_crossings("cp", 5.0, 0.4)[0].phi, rel=1e-12
    )
    assert main(["tomahawk", "--welfare", str(tmp_path / "no" / "w.png")]) == 2


def test_every_economy_writes_its_groups_down():
    assert all(e.welfare_groups for e in economies.REGISTRY.values())


def test_economies_without_welfare_groups_are_refused_in_one_line(monkeypatch, tmp_path, capsys):
    """An economy that has not written its groups down (its utility need not be income over
    ``price_level``) has no group welfare, and ``tomahawk --welfare`` refuses it (exit 2)."""
    from negsim.cli import main

    monkeypatch.setattr(type(economies.get("fe")), "welfare_groups", None)
    with pytest.raises(ValueError, match="fe"):
        economies.get("fe").group_welfare(None, EVEN, EVEN, 0.4)
    assert main(["tomahawk", "--model", "fe", "--welfare", str(tmp_path / "w.png")]) == 2
    err = capsys.readouterr().err.strip()
    assert "--welfare: not available for the fe economy" in err and "\n" not in err


def test_a_run_of_such_an_economy_writes_the_header_only(monkeypatch, tmp_path):
    from negsim.cli import main
    from negsim.record import WELFARE_COLUMNS

    monkeypatch.setattr(type(economies.get("cp")), "welfare_groups", None)
    out = tmp_path / "out"
    args = ["run", str(SCENARIO), "--out", str(out), "--quiet"]
    assert main([*args, "--set", "population.workers=300", "--set", "run.steps=3"]) == 0
    written = pd.read_csv(out / "welfare.csv")
    assert len(written) == 0 and list(written.columns) == list(WELFARE_COLUMNS)
    assert len(pd.read_csv(out / "timeseries.csv")) == 8
