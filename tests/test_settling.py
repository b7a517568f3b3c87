"""A run settles only at rest (issue #16): the equilibrium condition holds to the agents'
granularity, or the run says it stopped at the step limit; ``negsim rest-point`` reaches
the same rest point without the agents.

The two reproducers of the issue: near the CP break point (σ = 4, μ = 0.3) the real-wage
gap is cubic in the distance from the even spread, so the agents crawl and the old test
(shares quiet over 50 steps) stopped at 0.5196; with logit tastes (ν = 0.01) near-
indifferent workers move slowly (a 1/t tail) and it stopped at 0.974 against 0.9824.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from scipy.optimize import brentq

import negsim
from negsim import rest_point
from negsim.cli import main
from negsim.economies import cp
from negsim.runner import rest_point as find_scenario_rest_point
from negsim.scenario import load_scenario

BASE = Path(__file__).resolve().parents[1] / "scenarios" / "two_region_clustering.toml"
NEAR_BREAK = [
    "economy.sigma=4.0",
    "economy.mu=0.3",
    "economy.transport_cost=1.632092095",
    "population.initial_shares=[0.52,0.48]",
    "run.steps=6000",
]
LOGIT = [
    "economy.sigma=4.0",
    "economy.mu=0.3",
    "economy.transport_cost=1.5",
    "behaviour.noise=0.01",
    "population.workers=100000",
    "population.initial_shares=[0.52,0.48]",
    "run.steps=6000",
]


def two_region_log_real_wages(lam: float, T: float, sigma: float = 4.0, mu: float = 0.3):
    shares = np.array([lam, 1.0 - lam])
    costs = np.array([[1.0, T], [T, 1.0]])
    eq = cp.short_run_equilibrium(shares, np.array([0.5, 0.5]), costs, sigma, mu)
    return np.log(eq.real_wage)


def logit_equilibrium(T: float, nu: float, lo: float, hi: float) -> float:
    """The root of the logit condition ln λ - ln(1-λ) = (ln ω_1 - ln ω_2)/ν in [lo, hi]."""

    def condition(lam: float) -> float:
        u = two_region_log_real_wages(lam, T)
        return np.log(lam / (1.0 - lam)) - (u[0] - u[1]) / nu

    return brentq(condition, lo, hi, xtol=1e-14)


def independent_gap_tolerance(lam: float, T: float, n: int, h: float = 1e-6) -> float:
    """2/N max_{r,s} Σ_k |J_sk - J_rk|, J = d ln ω/dλ by central differences of λ_k alone."""
    J = np.empty((2, 2))
    for k in range(2):
        bump = np.zeros(2)
        bump[k] = h
        shares = np.array([lam, 1.0 - lam])
        costs = np.array([[1.0, T], [T, 1.0]])
        up = cp.short_run_equilibrium(shares + bump, np.array([0.5, 0.5]), costs, 4.0, 0.3)
        down = cp.short_run_equilibrium(shares - bump, np.array([0.5, 0.5]), costs, 4.0, 0.3)
        J[:, k] = (np.log(up.real_wage) - np.log(down.real_wage)) / (2 * h)
    return 2.0 / n * np.abs(J[0] - J[1]).sum()


# --- the residual and its tolerance ----------------------------------------------------


def test_residual_is_the_largest_gain_an_agent_could_make():
    u = np.log(np.array([1.00, 1.02, 0.97]))
    # everybody in places 0 and 2: moving 2 → 1 gains ln(1.02/0.97)
    assert rest_point.residual(u, np.array([0.6, 0.0, 0.4]), 0.0) == pytest.approx(
        np.log(1.02 / 0.97)
    )
    # a core whose empty places pay less is at rest; one that an empty place beats is not
    assert rest_point.residual(u, np.array([0.0, 1.0, 0.0]), 0.0) == 0.0
    assert rest_point.residual(u, np.array([1.0, 0.0, 0.0]), 0.0) == pytest.approx(np.log(1.02))
    # a migration cost larger than every gain holds the agents where they are
    cost = np.full((3, 3), 0.1) - 0.1 * np.eye(3)
    assert rest_point.residual(u, np.array([0.6, 0.0, 0.4]), 0.0, cost) == 0.0


def test_logit_residual_is_the_distance_to_the_logit_shares():
    u, nu = np.log(np.array([1.0, 0.95])), 0.02
    p1 = 1.0 / (1.0 + np.exp(-(u[0] - u[1]) / nu))  # two-place logit, by hand
    assert rest_point.logit_shares(u, nu)[0] == pytest.approx(p1, rel=1e-12)
    assert rest_point.residual(u, np.array([0.9, 0.1]), nu) == pytest.approx(abs(0.9 - p1))


def test_logit_tolerance_covers_the_sampling_spread_of_a_finite_population():
    """N agents sorted into their best places, tastes ν·Gumbel: the share in place 1 strays
    from the logit share by sampling error alone; 3 standard deviations + 1/N hold it in
    all but ~0.3 % of populations (here 4,000 of them, drawn independently)."""
    rng = np.random.default_rng(5)
    u, nu, n = np.log(np.array([1.0, 0.97])), 0.01, 2_000
    p = rest_point.logit_shares(u, nu)
    tol = rest_point.logit_tolerance(p, n)
    assert tol == pytest.approx(3.0 * np.sqrt(p[0] * p[1] / n) + 1.0 / n)
    misses = 0
    for _ in range(4_000):
        best = np.argmax(u + nu * rng.gumbel(size=(n, 2)), axis=1)
        misses += abs(np.mean(best == 0) - p[0]) > tol
    assert misses / 4_000 < 0.01
    assert misses > 0  # and no wider than needed: about 0.3 % do stray further


def test_gap_tolerance_is_the_bound_of_one_agent_per_place():
    J = np.array([[-1.0, 3.0], [2.0, -0.5]])
    # rows differ by (-3, 3.5): a state one agent per place off moves the gap by ≤ 6.5/N
    assert rest_point.gap_tolerance(J, 1_000) == pytest.approx(2 * 6.5 / 1_000)
    assert rest_point.gap_tolerance(np.zeros((2, 2)), 10) == rest_point.NUMERICAL_FLOOR


# --- the reproducers ----------------------------------------------------------------------


@pytest.mark.parametrize("model,T,steps", [("cp", 1.632092095, 6000), ("fe", 1.12415, 3000)])
def test_near_the_break_point_the_slow_approach_is_not_rest(model, T, steps):
    """Just above the break point (cp's T_B = 1.63032, fe's 1.12410 at σ = 4, μ = 0.3) the
    even spread is stable but flat: the old test stopped after 50 steps at 0.5196 (cp) and
    0.52 (fe). Now the run either settles with the gap within its tolerance or says it
    stopped at the step limit — and where it stopped, the gap is still above it."""
    overrides = [*NEAR_BREAK, f'economy.model="{model}"', f"economy.transport_cost={T}"]
    overrides.append(f"run.steps={steps}")
    summary = negsim.run(load_scenario(BASE, overrides), seed=1).summary
    settling = summary["settling"]
    assert settling["criterion"] == "equal payoffs"
    u = np.log(list(summary["final_real_wages"].values()))
    assert settling["residual"] == pytest.approx(abs(u[0] - u[1]), rel=1e-9, abs=1e-15)
    if settling["stopped"] == "settled":
        assert settling["residual"] <= settling["tolerance"]
    else:
        assert summary["steps"] == steps and not summary["converged"]
        assert settling["residual"] > settling["tolerance"]
    if model == "cp":
        north = summary["final_shares"]["North"]
        assert abs(north - 0.5) < 0.005  # it kept going past 0.5196
        tol = independent_gap_tolerance(north, T, 10_000)
        assert settling["tolerance"] == pytest.approx(tol, rel=0.02)
    # the fast route finds the stable even spread the agents crawl towards
    found = find_scenario_rest_point(load_scenario(BASE, overrides), seed=1)
    assert found["stable"]
    assert found["shares"]["North"] == pytest.approx(0.5, abs=1e-6)
    assert found["residual"] <= found["agent_tolerance"]


def test_logit_run_settles_only_near_the_logit_equilibrium_and_the_fast_route_reaches_it():
    scenario = load_scenario(BASE, LOGIT)
    exact = logit_equilibrium(1.5, 0.01, 0.9, 0.9999)
    assert exact == pytest.approx(0.9824, abs=5e-5)
    summary = negsim.run(scenario, seed=1).summary
    settling = summary["settling"]
    north = summary["final_shares"]["North"]
    assert settling["criterion"] == "logit equilibrium"
    u = np.log(list(summary["final_real_wages"].values()))
    logit_north = 1.0 / (1.0 + np.exp(-(u[0] - u[1]) / 0.01))
    assert settling["residual"] == pytest.approx(abs(north - logit_north), rel=1e-6)
    sd = np.sqrt(logit_north * (1 - logit_north) / 100_000)
    assert settling["tolerance"] == pytest.approx(3 * sd + 1e-5, rel=1e-6)
    if settling["stopped"] == "settled":
        assert settling["residual"] <= settling["tolerance"]
    else:
        assert summary["steps"] == 6000 and settling["residual"] > settling["tolerance"]
    # no longer at 0.974: within the tolerance, stretched by the payoffs' feedback
    # (≤ 2x here), of the logit equilibrium
    assert abs(north - exact) < 2 * settling["tolerance"]
    found = find_scenario_rest_point(scenario, seed=1)
    assert found["shares"]["North"] == pytest.approx(exact, abs=1e-8)
    assert found["stable"] and found["residual"] < 1e-9


def test_run_at_the_step_limit_says_so():
    summary = negsim.run(load_scenario(BASE, ["run.steps=5"]), seed=1).summary
    assert not summary["converged"]
    assert summary["settling"]["stopped"] == "step limit"
    assert summary["settling"]["residual"] > summary["settling"]["tolerance"]


# --- the fast route on the command line --------------------------------------------------


def test_rest_point_cli_json_and_bad_input(capsys):
    assert main(["rest-point", str(BASE), "--json"]) == 0
    found = json.loads(capsys.readouterr().out)
    # T = 1.5 < T_B: the core is the rest point, and it is sustainable (T < T_S)
    assert found["shares"] == {"North": 1.0, "South": 0.0}
    assert found["stable"] and found["residual"] == 0.0
    u = np.log(list(found["real_wages"].values()))
    assert u[1] < u[0]
    assert main(["rest-point", str(BASE), "--set", "economy.sigma=0.5"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "economy.sigma" in err[0]


def test_gap_tolerance_in_blocks_is_the_pairwise_maximum() -> None:
    """The blocked computation (bounded memory at many places) equals the all-pairs
    maximum of Σ_k |J_sk − J_rk| computed pair by pair."""
    rng = np.random.default_rng(4)
    J = rng.normal(size=(300, 300))  # 46-row blocks: the maximum must cross blocks
    widest = max(np.abs(J[r] - J[s]).sum() for r in range(300) for s in range(r + 1, 300))
    assert rest_point.gap_tolerance(J, 1000) == pytest.approx(2.0 * widest / 1000, rel=1e-12)


def test_beyond_the_jacobian_limit_the_quiet_window_judges(tmp_path) -> None:
    """ν = 0 on more places than ``rest_point.JACOBIAN_MAX_PLACES``: no criterion (its
    tolerance would cost R + 1 solves), so the summary reports null residual and
    tolerance instead of spending O(R⁴) at the end of the run."""
    scenario = negsim.load_scenario(
        BASE.with_name("racetrack_12.toml"),
        [
            f"regions.count={rest_point.JACOBIAN_MAX_PLACES + 1}",
            "population.workers=2000",
            "population.firms=100",
            "run.steps=2",
            "economy.transport_cost=1.01",
        ],
    )
    result = negsim.run(scenario, progress=False)
    assert result.summary["settling"] == {
        "stopped": "step limit",
        "criterion": None,
        "residual": None,
        "tolerance": None,
    }
