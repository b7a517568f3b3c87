"""The core–periphery economy with vertical linkages (cpvl; Krugman & Venables 1995, FKV 1999
ch. 14, Baldwin et al. 2003 ch. 8) against an independent computation, and its agents.

The reference here is written from the model's primitives, not from the package's reduced
equations: firms with fixed input F (σF(1-α) = μ) and marginal input ρ = (σ-1)/σ of a
bundle costing c_r = w_r^(1-α) G_r^α, industrial labour μ λ_r hired by the n_r firms
(labour clearing n_r = μ λ_r w_r / ((1-α) c_r σF)), spending on varieties E_s = μ Y_s
(consumers) + α n_s c_s σF (firms' intermediate purchases), Y_s = (a_s - μ λ_s)·1 + μ λ_s
w_s, the price index G_s^(1-σ) = Σ_r n_r (c_r T_rs)^(1-σ) and zero profit: each firm's
sales Σ_s c_r^(-σ) T_rs^(1-σ) E_s G_s^(σ-1) equal σF. Solved with scipy's fsolve (the
package runs its own Newton iteration on log-sum-exp forms). The break point is where the
central-difference slope of ln(w_1/w_2) at λ = 1/2 changes sign, the sustain point where
w_2 = w_1 at λ = (1, 0), both by scipy's brentq on that reference.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest
from scipy.optimize import brentq, fsolve

import negsim
from negsim import economies, theory
from negsim.cli import main
from negsim.economies import cpvl
from negsim.economies.base import (
    LOG10_TRADE_FREENESS_MIN,
    SIGMA_MAX,
    BlackHoleError,
    EquilibriumError,
)
from negsim.geography import racetrack, two_region
from negsim.scenario import ScenarioError, load_scenario

TWO = Path(__file__).resolve().parents[1] / "scenarios" / "two_region_clustering.toml"
PARAMS = [(5.0, 0.4, 0.3), (3.0, 0.2, 0.4), (8.0, 0.3, 0.2), (4.0, 0.45, 0.55)]
"""(σ, μ, α): FKV's σ, μ with a moderate input share; strong linkages at a low σ; weak
linkages at a high σ; an input share close to the black hole (3/4 at σ = 4)."""


def reference(lam, a, T, sigma, mu, alpha):
    """(w, G) of the short-run equilibrium from the primitives (module docstring)."""
    lam, a = np.asarray(lam, float), np.asarray(a, float)
    tt = np.asarray(T, float) ** (1.0 - sigma)
    R = lam.size
    sf = mu / (1.0 - alpha)  # σF

    def residuals(x):
        w, G = np.exp(x[:R]), np.exp(x[R:])
        c = w ** (1.0 - alpha) * G**alpha
        n = mu * lam * w / ((1.0 - alpha) * c * sf)
        Y = (a - mu * lam) + mu * lam * w
        E = mu * Y + alpha * n * c * sf
        out = []
        for s in range(R):
            out.append(np.log(sum(n[r] * c[r] ** (1 - sigma) * tt[r, s] for r in range(R))))
            out[-1] -= (1 - sigma) * np.log(G[s])
        for r in range(R):
            sales = sum(c[r] ** -sigma * tt[r, s] * E[s] * G[s] ** (sigma - 1) for s in range(R))
            out.append(np.log(sales / sf))
        return out

    with warnings.catch_warnings():  # "not making good progress" at the rounding floor
        warnings.simplefilter("ignore", RuntimeWarning)
        x = fsolve(residuals, np.zeros(2 * R), xtol=1e-13)
    assert np.max(np.abs(residuals(x))) < 1e-12  # solved (fsolve may still call it slow)
    return np.exp(x[:R]), np.exp(x[R:])


def log_gap(lam1, T, sigma, mu, alpha):
    w, _ = reference([lam1, 1.0 - lam1], [0.5, 0.5], two_region(T), sigma, mu, alpha)
    return float(np.log(w[0] / w[1]))


def reference_break(sigma, mu, alpha):
    def slope(T):
        h = 1e-4
        return (log_gap(0.5 + h, T, sigma, mu, alpha) - log_gap(0.5 - h, T, sigma, mu, alpha)) / (
            2 * h
        )

    grid = np.linspace(1.001, 8.0, 80)
    ys = [slope(T) for T in grid]
    (i,) = np.flatnonzero(np.sign(ys[:-1]) != np.sign(ys[1:]))
    return brentq(slope, grid[i], grid[i + 1], xtol=1e-12)


def reference_sustain(sigma, mu, alpha):
    def gap(T):
        return -log_gap(1.0, T, sigma, mu, alpha)  # ln(w_1/w_2): positive while sustainable

    grid = np.linspace(1.001, 12.0, 120)
    ys = [gap(T) for T in grid]
    (i,) = np.flatnonzero(np.sign(ys[:-1]) != np.sign(ys[1:]))
    return brentq(gap, grid[i], grid[i + 1], xtol=1e-12)


@pytest.mark.parametrize("sigma,mu,alpha", PARAMS)
def test_break_point_matches_a_root_finder_on_the_definitions(sigma, mu, alpha):
    got = cpvl.break_point(sigma, mu, alpha)
    assert got.T == pytest.approx(reference_break(sigma, mu, alpha), rel=1e-6)
    assert got.phi == pytest.approx(got.T ** (1 - sigma), rel=1e-12)


@pytest.mark.parametrize("sigma,mu,alpha", PARAMS)
def test_sustain_point_matches_a_root_finder_on_the_definitions(sigma, mu, alpha):
    got = cpvl.sustain_point(sigma, mu, alpha)
    assert got.T == pytest.approx(reference_sustain(sigma, mu, alpha), rel=1e-8)
    assert got.T > cpvl.break_point(sigma, mu, alpha).T  # a tomahawk: an overlap of both


@pytest.mark.parametrize("sigma,mu,alpha", PARAMS)
def test_the_packages_numerical_thresholds_agree_with_the_closed_forms(sigma, mu, alpha):
    """``numerical_thresholds`` (root-finding on the package's solver, for ``negsim verify``)
    against the closed forms, and against the reference's roots above."""
    t_b, t_s = cpvl.numerical_thresholds(sigma, mu, alpha)
    assert t_b.T == pytest.approx(cpvl.break_point(sigma, mu, alpha).T, rel=1e-6)
    assert t_s.T == pytest.approx(cpvl.sustain_point(sigma, mu, alpha).T, rel=1e-9)


def test_thresholds_do_not_depend_on_mu():
    """With agriculture pinning the wage at 1, the consumers' share μ drops out (FKV ch. 14)."""
    ts = [reference_sustain(5.0, mu, 0.3) for mu in (0.1, 0.45)]
    bs = [reference_break(5.0, mu, 0.3) for mu in (0.1, 0.45)]
    assert ts[0] == pytest.approx(ts[1], rel=1e-8) and bs[0] == pytest.approx(bs[1], rel=1e-6)


@pytest.mark.parametrize("seed", range(3))
def test_short_run_equilibrium_matches_the_reference_on_a_racetrack(seed):
    rng = np.random.default_rng(seed)
    lam = rng.dirichlet(np.ones(6))
    lam[seed] = 0.0  # an empty region: the wage a first firm could pay
    lam /= lam.sum()
    a = np.full(6, 1 / 6)
    T = racetrack(6, 1.3 + 0.2 * seed)
    eq = cpvl.short_run_equilibrium(lam, a, T, 5.0, 0.12, 0.35)
    w, G = reference(lam, a, T, 5.0, 0.12, 0.35)
    np.testing.assert_allclose(eq.wage, w, rtol=1e-10)
    np.testing.assert_allclose(eq.price_index, G, rtol=1e-10)
    np.testing.assert_allclose(eq.income, a + 0.12 * lam * (w - 1), rtol=1e-10)
    np.testing.assert_array_equal(eq.payoff, eq.wage)
    assert eq.income.sum() == pytest.approx(1 + 0.12 * (lam @ w - 1), rel=1e-12)
    warm = cpvl.short_run_equilibrium(lam, a, T, 5.0, 0.12, 0.35, wage0=eq.wage)
    assert warm.iterations < eq.iterations
    np.testing.assert_allclose(warm.wage, eq.wage, rtol=1e-11)


def test_alpha_zero_is_krugmans_wage_equation():
    """α = 0 leaves FKV's CP wage equations (ch. 5) with this module's income convention."""
    lam, a, T = np.array([0.7, 0.3]), np.array([0.5, 0.5]), two_region(1.6)
    w, G = reference(lam, a, T, 5.0, 0.4, 0.0)
    Y = a + 0.4 * lam * (w - 1)
    np.testing.assert_allclose(G ** (1 - 5.0), T ** (1 - 5.0) @ (lam * w ** (1 - 5.0)))
    np.testing.assert_allclose(w**5.0, T ** (1 - 5.0) @ (Y * G ** (5.0 - 1)))
    eq = cpvl.short_run_equilibrium(lam, a, T, 5.0, 0.4, 1e-9)
    np.testing.assert_allclose(eq.wage, w, rtol=1e-7)


def test_the_vectorised_gap_is_the_scalar_one():
    economy = cpvl.CorePeripheryVerticalLinkages(0.4)
    lam = np.array([0.5, 0.6, 0.9, 1.0, 0.2])
    T = np.array([1.2, 1.5, 2.0, 3.0, 1.8])
    got = economy.payoff_gaps(3.0, 0.2)(lam, T)
    want = [log_gap(x, t, 3.0, 0.2, 0.4) for x, t in zip(lam, T, strict=True)]
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12)


def test_tomahawk_branches_meet_the_thresholds():
    economy = cpvl.CorePeripheryVerticalLinkages(0.3)
    t_b, t_s = cpvl.break_point(5, 0.4, 0.3).T, cpvl.sustain_point(5, 0.4, 0.3).T
    T = (t_b * t_s) ** 0.5
    points = economy.tomahawk(5.0, 0.4, np.array([0.97 * t_b, T, 1.03 * t_s]))
    at = {t: sorted((lam, stable) for tt, lam, stable in points if tt == t) for t in (T,)}
    inner = [lam for lam, stable in at[T] if 0.5 < lam < 1]
    assert len(inner) == 1 and brentq(lambda x: log_gap(x, T, 5, 0.4, 0.3), 0.51, 0.999) == (
        pytest.approx(inner[0], abs=1e-8)
    )
    assert economy.predict(0.97 * t_b, 5, 0.4) == "agglomerated"
    assert economy.predict(T, 5, 0.4) == theory.PATH_DEPENDENT
    assert economy.predict(1.03 * t_s, 5, 0.4) == "dispersed"


def run(sigma, mu, alpha, T, start, seed=1):
    overrides = [
        "economy.model=cpvl",
        f"economy.sigma={sigma}",
        f"economy.mu={mu}",
        f"economy.input_share={alpha}",
        f"economy.transport_cost={T}",
        f"population.initial_shares=[{start}, {1 - start}]",
        "run.steps=6000",
    ]
    return negsim.run(load_scenario(TWO, overrides), seed=seed).summary


@pytest.mark.parametrize("sigma,mu,alpha", PARAMS[:3])
@pytest.mark.parametrize(
    "threshold,factor,start,regime",
    [
        ("break", 0.97, 0.51, "agglomerated"),  # even spread unstable: a small lead grows
        ("break", 1.03, 0.51, "dispersed"),  # even spread stable: the lead fades
        ("sustain", 0.97, 0.99, "agglomerated"),  # a core holds
        ("sustain", 1.03, 0.99, "dispersed"),  # a core breaks up
    ],
)
def test_agents_regimes_on_both_sides_of_each_threshold(
    sigma, mu, alpha, threshold, factor, start, regime
):
    point = cpvl.break_point if threshold == "break" else cpvl.sustain_point
    T = factor * point(sigma, mu, alpha).T
    summary = run(sigma, mu, alpha, T, start)
    assert summary["converged"] and summary["regime"] == regime
    assert summary["mobile_factor"] == "industry"
    final = summary["final_shares"]["North"]
    assert final == (
        pytest.approx(1.0) if regime == "agglomerated" else pytest.approx(0.5, abs=0.01)
    )
    assert summary["theory"]["input_share"] == alpha
    assert summary["theory"]["break_point"]["T"] == pytest.approx(
        cpvl.break_point(sigma, mu, alpha).T
    )


def test_nobody_migrates():
    sc = load_scenario(
        TWO,
        ["economy.model=cpvl", "economy.transport_cost=1.3", "population.workers=2000"]
        + ["run.steps=100"],
    )
    model = negsim.NEGModel(sc, seed=1)
    before = model.worker_counts.copy()
    model.run_for(100)
    np.testing.assert_array_equal(model.worker_counts, before)
    assert model.shares.max() > 0.8  # from 0.51: industry clusters below T_B ≈ 1.42


@pytest.mark.parametrize(
    "overrides,key,fragment",
    [
        (["economy.model=cp", "economy.input_share=0.3"], "economy.input_share", "only available"),
        (["economy.model=cpvl", "economy.input_share=0.85"], "economy.input_share", "(0, 0.8)"),
        (["economy.model=cpvl", "economy.sigma=1.3"], "economy.input_share", "black hole"),
        (["economy.model=cpvl", "economy.input_share=0"], "economy.input_share", "greater than 0"),
        (["economy.model=cpvl", "economy.mu=0.5"], "economy.mu", "labour share"),
        (
            ["economy.model=cpvl", "economy.mu=0.3", "regions.farmer_shares=[0.75, 0.25]"],
            "economy.mu",
            "smallest 0.25",
        ),
    ],
)
def test_validation_names_the_key_and_range(capsys, overrides, key, fragment):
    with pytest.raises(ScenarioError, match=key.replace(".", r"\.")) as err:
        load_scenario(TWO, overrides)
    assert fragment in str(err.value) and "\n" not in str(err.value)
    sets = [x for o in overrides for x in ("--set", o)]
    assert main(["validate", str(TWO), *sets]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and key in lines[0] and fragment in lines[0]


def test_tomahawk_cli(capsys, tmp_path):
    plot = tmp_path / "cpvl.png"
    args = ["tomahawk", "--model", "cpvl", "--sigma", "3", "--mu", "0.2", "--input-share", "0.4"]
    assert main([*args, "--json", "--plot", str(plot)]) == 0
    out = capsys.readouterr().out
    import json

    got = json.loads(out)
    assert got["input_share"] == 0.4
    assert got["break_point"]["T"] == pytest.approx(reference_break(3.0, 0.2, 0.4), rel=1e-6)
    assert got["sustain_point"]["T"] == pytest.approx(reference_sustain(3.0, 0.2, 0.4), rel=1e-8)
    assert plot.stat().st_size > 10_000
    for bad in (["--input-share", "0.7"], ["--mu", "0.5"]):  # black hole at σ = 3; μ ≥ 1/2
        assert main(["tomahawk", "--model", "cpvl", "--sigma", "3", *bad]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and err[0].startswith("negsim: error:")
    assert main(["tomahawk", "--model", "fe", "--input-share", "0.3"]) == 2
    assert "only with --model cpvl" in capsys.readouterr().err


def test_errors_instead_of_nan():
    with pytest.raises(EquilibriumError, match="agriculture must stay active"):
        cpvl.short_run_equilibrium([1.0, 0.0], [0.3, 0.7], two_region(1.5), 5.0, 0.4, 0.3)
    with pytest.raises(BlackHoleError, match="black hole"):
        cpvl.break_point(5.0, 0.4, 0.8)
    with pytest.raises(EquilibriumError, match="did not converge in 1 Newton"):
        cpvl.short_run_equilibrium(
            [0.9, 0.1], [0.5, 0.5], two_region(1.5), 5.0, 0.4, 0.3, max_iter=1
        )
    # φ = 1e-480 is below float64, yet log-sum-exp keeps the two autarkies finite
    eq = cpvl.short_run_equilibrium([0.5, 0.5], [0.5, 0.5], two_region(1e120), 5.0, 0.4, 0.3)
    assert np.all(np.isfinite(eq.wage)) and eq.wage == pytest.approx([1.0, 1.0])


def test_the_registry_binds_the_scenarios_input_share():
    sc = load_scenario(TWO, ["economy.model=cpvl", "economy.input_share=0.45"])
    model = negsim.NEGModel(sc)
    assert model.economy.input_share == 0.45
    assert economies.get("cpvl").input_share == cpvl.DEFAULT_INPUT_SHARE
    assert economies.get(model.economy) is model.economy


@pytest.mark.parametrize(
    "sigma,mu,log10_T,alpha",
    [
        (SIGMA_MAX, 0.4, -LOG10_TRADE_FREENESS_MIN / (SIGMA_MAX - 1), 0.3),  # both limits
        (SIGMA_MAX, 0.4, 0.0, 0.99),  # T = 1, α next to its black hole 0.999
        (1.05, 0.02, 308.0, 0.04),  # T = 1e308
        (5.0, 0.4, -LOG10_TRADE_FREENESS_MIN / 4, 0.79),  # φ = 1e-200 exactly
    ],
)
def test_the_limits_run_with_finite_outputs(sigma, mu, log10_T, alpha):
    overrides = [
        "economy.model=cpvl",
        f"economy.sigma={sigma!r}",
        f"economy.mu={mu!r}",
        f"economy.input_share={alpha!r}",
        f"economy.transport_cost={10**log10_T!r}",
        "run.steps=15",
        "population.firms=50",
    ]
    ts = negsim.run(load_scenario(TWO, overrides)).timeseries
    assert np.isfinite(ts.select_dtypes("number").to_numpy()).all()
    assert ts["wage"].gt(0).all() and ts["price_index"].gt(0).all()
    assert np.allclose(ts.groupby("step")["share"].sum(), 1.0)
