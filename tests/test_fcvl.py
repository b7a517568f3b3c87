"""The footloose-capital economy with vertical linkages (fcvl): its short-run equilibrium
against a plain fixed-point solve of the model's definitions, its break and sustain points
against root-finding on that solve, the agents' regimes on both sides of each threshold,
and the refusal of inputs outside its domain."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from scipy.optimize import brentq

import negsim
from negsim import economies, theory
from negsim.cli import main
from negsim.economies import cp, fcvl
from negsim.economies.base import EquilibriumError
from negsim.geography import racetrack, two_region
from negsim.scenario import ScenarioError, load_scenario

TWO = Path(__file__).resolve().parents[1] / "scenarios" / "two_region_clustering.toml"

# (σ, μ, α): α = 0.5 at σ = 5 is cp's FKV point in disguise (μ_cp = α(σ-1)/σ = 0.4)
PARAMS = [(5.0, 0.4, 0.5), (4.0, 0.3, 0.6), (8.0, 0.5, 0.3), (3.0, 0.2, 0.8)]


def reference_rewards(lam, a, T, sigma, mu, alpha):
    """Capital's rewards π from the model's definitions (Baldwin et al. 2003, ch. 8), by
    plain fixed-point iteration, loops and all — no Newton step, no linear solve:
    Δ_s = Σ_k λ_k φ_ks Δ_k^α;  E_s = μ a_s Y + α(σ-1) λ_s π_s;
    π_r = Δ_r^α Σ_s φ_rs E_s/Δ_s / σ;  Y = labour 1-μ plus all capital income Σ λ π."""
    phi = np.asarray(T, dtype=float) ** (1.0 - sigma)
    r = len(lam)
    delta = np.ones(r)
    for _ in range(20000):
        new = np.array(
            [sum(lam[k] * phi[k, s] * delta[k] ** alpha for k in range(r)) for s in range(r)]
        )
        done = np.max(np.abs(np.log(new / delta))) < 1e-15
        delta = new
        if done:
            break
    reward = np.ones(r)
    for _ in range(20000):
        world = (1.0 - mu) + float(np.dot(lam, reward))
        spend = [mu * a[s] * world + alpha * (sigma - 1.0) * lam[s] * reward[s] for s in range(r)]
        new = np.array(
            [
                delta[i] ** alpha * sum(phi[i, s] * spend[s] / delta[s] for s in range(r)) / sigma
                for i in range(r)
            ]
        )
        done = np.max(np.abs(new / reward - 1.0)) < 1e-15
        reward = new
        if done:
            break
    return reward, delta


def ref_gap(lam1, T, sigma, mu, alpha):
    """ln(π_1/π_2) of two symmetric regions from ``reference_rewards``."""
    reward, _ = reference_rewards(
        np.array([lam1, 1.0 - lam1]), np.array([0.5, 0.5]), two_region(T), sigma, mu, alpha
    )
    return float(np.log(reward[0] / reward[1]))


@pytest.mark.parametrize("seed", range(3))
def test_short_run_equilibrium_matches_the_definitions_on_a_racetrack(seed):
    rng = np.random.default_rng(seed)
    lam, a = rng.dirichlet(np.ones(5)), rng.dirichlet(np.ones(5))
    lam[2] = 0.0  # an empty place reports what a first firm would earn there
    lam /= lam.sum()
    T = racetrack(5, 1.3)
    eq = fcvl.short_run_equilibrium(lam, a, T, 5.0, 0.4, input_share=0.6)
    reward, delta = reference_rewards(lam, a, T, 5.0, 0.4, 0.6)
    np.testing.assert_allclose(eq.payoff, reward, rtol=1e-10)
    np.testing.assert_allclose(eq.price_index, delta ** (1.0 / (1.0 - 5.0)), rtol=1e-10)
    # capital income is the operating-profit share b/(1-c) of world income
    b, c = 0.4 / 5.0, 0.6 * 4.0 / 5.0
    world = eq.income.sum()
    assert world == pytest.approx(0.6 + float(lam @ eq.payoff), rel=1e-12)
    assert float(lam @ eq.payoff) == pytest.approx(b / (1.0 - c) * world, rel=1e-12)
    np.testing.assert_allclose(eq.income / world, a, rtol=1e-12)  # owners spend at home
    assert eq.residual < 1e-12


def test_warm_start_and_default_input_share():
    lam, a, T = np.array([0.7, 0.2, 0.1]), np.array([0.3, 0.3, 0.4]), racetrack(3, 1.5)
    cold = fcvl.short_run_equilibrium(lam, a, T, 5.0, 0.4, input_share=0.4)
    warm = fcvl.short_run_equilibrium(
        lam, a, T, 5.0, 0.4, input_share=0.4, price_index0=cold.price_index * 1.01
    )
    np.testing.assert_allclose(warm.payoff, cold.payoff, rtol=1e-12)
    assert warm.iterations >= 1
    again = fcvl.short_run_equilibrium(
        lam, a, T, 5.0, 0.4, input_share=0.4, price_index0=cold.price_index
    )
    assert again.iterations == 0
    default = economies.get("fcvl").equilibrium(lam, a, T, 5.0, 0.4)  # α defaults to μ
    np.testing.assert_array_equal(default.payoff, cold.payoff)
    solve = economies.get("fcvl").solver(a, T, 5.0, 0.4)
    first, second = solve(lam), solve(np.array([0.7 - 2.5e-4, 0.2 + 2.5e-4, 0.1]))  # one firm
    assert first.iterations > 0 and second.iterations < first.iterations


def test_errors_instead_of_nan():
    lam, a = np.array([0.5, 0.5]), np.array([0.5, 0.5])
    far = fcvl.short_run_equilibrium(lam, a, two_region(1e10), 1000.0, 0.4)  # φ = 1e-9990
    np.testing.assert_allclose(far.payoff, far.payoff[0])  # in logs: autarky, no underflow
    with pytest.raises(EquilibriumError, match="FCVL short-run equilibrium leaves the floating"):
        fcvl.short_run_equilibrium(np.array([1.0, 0.0]), a, two_region(np.inf), 5.0, 0.4)
    with pytest.raises(EquilibriumError, match="did not converge in 1 Newton iterations"):
        fcvl.short_run_equilibrium(
            np.array([0.9, 0.1]), a, two_region(2.0), 5.0, 0.4, input_share=0.9, max_iter=1
        )
    with pytest.raises(EquilibriumError, match="shares must be non-negative"):
        fcvl.short_run_equilibrium(np.array([-0.1, 1.1]), a, two_region(2.0), 5.0, 0.4)


@pytest.mark.parametrize("sigma,mu,alpha", PARAMS)
def test_break_point_is_where_the_even_spread_turns_unstable(sigma, mu, alpha):
    """The sign change of d ln(π_1/π_2)/dλ at λ = 1/2 (central differences of the plain
    fixed-point solve), found by brentq, against the closed form."""
    closed = fcvl.break_point(sigma, alpha)

    def slope(T, h=1e-5):
        return (ref_gap(0.5 + h, T, sigma, mu, alpha) - ref_gap(0.5 - h, T, sigma, mu, alpha)) / (
            2 * h
        )

    lo, hi = 1.0 + 0.5 * (closed.T - 1.0), 1.0 + 2.0 * (closed.T - 1.0)
    assert slope(lo) > 0 > slope(hi)  # unstable below, stable above
    t_b = brentq(slope, lo, hi, xtol=1e-12)
    assert t_b == pytest.approx(closed.T, rel=1e-6)
    assert closed.phi == pytest.approx(closed.T ** (1 - sigma), rel=1e-12)


@pytest.mark.parametrize("sigma,mu,alpha", PARAMS)
def test_sustain_point_is_where_the_core_pays_as_much_as_the_periphery(sigma, mu, alpha):
    """π_2/π_1 = 1 with all capital in region 1 (plain solve), found by brentq."""
    closed = fcvl.sustain_point(sigma, alpha)

    def log_ratio(T):
        return -ref_gap(1.0, T, sigma, mu, alpha)

    lo, hi = 1.0 + 0.5 * (closed.T - 1.0), 1.0 + 2.0 * (closed.T - 1.0)
    assert log_ratio(lo) < 0 < log_ratio(hi)  # sustainable below T_S only
    t_s = brentq(log_ratio, lo, hi, xtol=1e-12)
    assert t_s == pytest.approx(closed.T, rel=1e-8)
    assert closed.T > fcvl.break_point(sigma, alpha).T  # catastrophic: an overlap


@pytest.mark.parametrize("sigma,mu,alpha", PARAMS)
def test_thresholds_are_cp_at_mu_equal_to_the_linkage(sigma, mu, alpha):
    """A second, independent route: the FCVL conditions coincide with FKV's cp conditions
    (ch. 5) at μ_cp = α(σ-1)/σ, and cp's no-black-hole condition μ_cp < (σ-1)/σ is α < 1."""
    mu_cp = alpha * (sigma - 1.0) / sigma
    assert fcvl.break_point(sigma, alpha).T == pytest.approx(cp.break_point(sigma, mu_cp).T)
    assert fcvl.sustain_point(sigma, alpha).T == pytest.approx(
        cp.sustain_point(sigma, mu_cp).T, rel=1e-9
    )


def test_thresholds_follow_the_input_share_not_consumers_mu():
    e = economies.get("fcvl")
    assert e.thresholds(5.0, 0.4) == e.with_parameters(_Section(0.4)).thresholds(5.0, 0.7)
    assert e.thresholds(5.0, 0.4) != e.thresholds(5.0, 0.5)


class _Section:
    def __init__(self, input_share):
        self.input_share = input_share


def test_tomahawk_branches_match_the_definitions():
    sigma, mu, alpha = 4.0, 0.3, 0.6
    t_b, t_s = fcvl.break_point(sigma, alpha).T, fcvl.sustain_point(sigma, alpha).T
    T = (t_b * t_s) ** 0.5
    e = economies.get("fcvl").with_parameters(_Section(alpha))
    points = theory.tomahawk(e, sigma, mu, [0.97 * t_b, T, 1.03 * t_s])
    at = {t: [(lam, s) for tt, lam, s in points if tt == t] for t in (0.97 * t_b, T, 1.03 * t_s)}
    assert sorted(at[0.97 * t_b]) == [(0.0, True), (0.5, False), (1.0, True)]
    assert sorted(at[1.03 * t_s]) == [(0.5, True)]
    (divide,) = [lam for lam, stable in at[T] if 0.5 < lam < 1]
    assert not dict(at[T])[divide] and dict(at[T])[0.5] and dict(at[T])[1.0]
    assert ref_gap(divide, T, sigma, mu, alpha) == pytest.approx(0.0, abs=1e-9)


def run(sigma, mu, alpha, T, start, steps=3000):
    overrides = [
        'economy.model="fcvl"',
        f"economy.sigma={sigma}",
        f"economy.mu={mu}",
        f"economy.input_share={alpha}",
        f"economy.transport_cost={T}",
        "population.firms=4000",
        f"population.initial_shares=[{start}, {1 - start}]",
        f"run.steps={steps}",
    ]
    return negsim.run(load_scenario(TWO, overrides), seed=1).summary


@pytest.mark.parametrize("sigma,mu,alpha", PARAMS[:3])
def test_agents_break_away_below_the_break_point_only(sigma, mu, alpha):
    t_b = fcvl.break_point(sigma, alpha).T
    below, above = run(sigma, mu, alpha, 0.97 * t_b, 0.51), run(sigma, mu, alpha, 1.03 * t_b, 0.51)
    assert (below["regime"], above["regime"]) == ("agglomerated", "dispersed")
    assert below["converged"] and above["converged"]
    assert above["final_shares"]["North"] == pytest.approx(0.5, abs=0.005)
    assert below["mobile_factor"] == "capital"
    assert below["theory"]["break_point"]["T"] == pytest.approx(t_b)


@pytest.mark.parametrize("sigma,mu,alpha", PARAMS[:3])
def test_agents_hold_the_core_below_the_sustain_point_only(sigma, mu, alpha):
    t_s = fcvl.sustain_point(sigma, alpha).T
    e = economies.get("fcvl").with_parameters(_Section(alpha))
    divides = [x for _, x, _ in theory.tomahawk(e, sigma, mu, [0.97 * t_s]) if 0.5 < x < 1]
    assert all(x < 0.99 for x in divides)  # the start lies in the core's basin below T_S
    below, above = run(sigma, mu, alpha, 0.97 * t_s, 0.99), run(sigma, mu, alpha, 1.03 * t_s, 0.99)
    assert (below["regime"], above["regime"]) == ("agglomerated", "dispersed")
    assert below["final_shares"]["North"] == 1.0
    assert above["final_shares"]["North"] == pytest.approx(0.5, abs=0.005)
    assert above["theory"]["sustain_point"]["T"] == pytest.approx(t_s)


def test_workers_and_owners_stay_put():
    summary = run(5.0, 0.4, 0.5, 1.5, 0.51, steps=200)
    assert summary["mobile_factor"] == "capital"
    result = negsim.run(
        load_scenario(TWO, ['economy.model="fcvl"', "economy.transport_cost=1.5", "run.steps=50"])
    )
    workers = result.timeseries.groupby("region")["workers"].agg(["min", "max"])
    assert (workers["min"] == workers["max"]).all()


@pytest.mark.parametrize(
    "overrides,message",
    [
        (
            ['economy.model="cp"', "economy.input_share=0.3"],
            "economy.input_share: input_share is only available with model 'cpvl' or 'fcvl' "
            "(got 'cp')",
        ),
        (['economy.model="fcvl"', "economy.input_share=0.99"], "economy.input_share"),
        (['economy.model="fcvl"', "economy.input_share=0"], "economy.input_share"),
        (
            ['economy.model="fcvl"', "economy.mu=0.97"],
            "(got 0.97) (unset, it defaults to mu)",
        ),
    ],
)
def test_scenario_refuses_input_shares_outside_the_domain(overrides, message):
    with pytest.raises(ScenarioError, match=re.escape(message)) as err:
        load_scenario(TWO, overrides)
    assert "\n" not in str(err.value).strip()


def test_scenario_accepts_a_high_mu_with_its_own_input_share():
    sc = load_scenario(TWO, ['economy.model="fcvl"', "economy.mu=0.97", "economy.input_share=0.5"])
    assert economies.of(sc.economy).parameters(sc.economy.mu) == {"input_share": 0.5}


@pytest.mark.parametrize(
    "args,message",
    [
        (["--model", "fcvl", "--input-share", "1.2"], "input_share must be in (0, 0.95]"),
        (["--model", "fe", "--input-share", "0.5"], "--input-share: only for --model cpvl or fcvl"),
        (["--model", "fcvl", "--mu", "0.97"], "(unset, it defaults to mu)"),
    ],
)
def test_cli_refuses_bad_input_shares_with_exit_2(capsys, args, message):
    assert main(["tomahawk", *args]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and message in err[0], err


def test_cli_tomahawk_reports_and_draws_fcvl(capsys, tmp_path):
    plot = tmp_path / "fcvl.png"
    args = ["tomahawk", "--model", "fcvl", "--sigma", "4", "--input-share", "0.6"]
    assert main([*args, "--json", "--plot", str(plot)]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["input_share"] == 0.6
    assert out["break_point"]["phi"] == pytest.approx(0.4 * 0.55 / (1.6 * 1.45))
    assert out["sustain_point"]["T"] == pytest.approx(fcvl.sustain_point(4.0, 0.6).T)
    assert plot.stat().st_size > 10_000


@pytest.mark.parametrize("sigma", [1.5, 5.0, 1000.0])
@pytest.mark.parametrize("alpha", [0.05, 0.6, 0.95])
def test_the_independent_routes_agree_with_the_closed_forms(sigma, alpha):
    """``break_point_numerical``/``sustain_point_numerical`` (what ``negsim verify`` can
    call) root-find on the short-run equilibrium itself; at α = 0.95 φ_S is ~1e-19 to
    1e-32, where a tolerance on φ instead of ln φ would be off by 80 %."""
    assert fcvl.break_point_numerical(sigma, alpha).phi == pytest.approx(
        fcvl.break_point(sigma, alpha).phi, rel=1e-6
    )
    numerical, closed = fcvl.sustain_point_numerical(sigma, alpha), fcvl.sustain_point(sigma, alpha)
    assert numerical.phi == pytest.approx(closed.phi, rel=1e-10)
    assert fcvl.log_sustain_ratio(np.log(closed.phi), sigma, alpha) == pytest.approx(0, abs=1e-12)


def test_thresholds_beyond_float64_are_a_one_line_error(capsys):
    with pytest.raises(ValueError, match="break point T = 10\\^2689 lies beyond float64"):
        fcvl.break_point(1.0001, 0.3)
    args = ["tomahawk", "--model", "fcvl", "--sigma", "1.0001", "--input-share", "0.3"]
    assert main(args) == 2
    assert len(capsys.readouterr().err.splitlines()) == 1


@pytest.mark.parametrize("lam1", [0.5, 0.8, 1.0])
def test_welfare_is_real_income_from_the_definitions(lam1):
    """Utilitarian welfare Σ_r Y_r/G_r^μ (``Economy.welfare``), each resident's income over
    her consumer price index, against the plain solve: Y_r = a_r((1-μ) + Σ λ π)."""
    sigma, mu, alpha, T = 5.0, 0.4, 0.5, 1.6
    lam, a = np.array([lam1, 1.0 - lam1]), np.array([0.5, 0.5])
    e = economies.get("fcvl").with_parameters(_Section(alpha))
    eq = e.equilibrium(lam, a, two_region(T), sigma, mu)
    reward, delta = reference_rewards(lam, a, two_region(T), sigma, mu, alpha)
    income = a * ((1.0 - mu) + float(lam @ reward))
    expected = float(np.sum(income / delta ** (mu / (1.0 - sigma))))
    assert e.welfare(eq) == pytest.approx(expected, rel=1e-10)
