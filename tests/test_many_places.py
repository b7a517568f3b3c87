"""Thousands of places (issue #15, item 2): the matrix-free equilibria against the dense
solvers, the analytic payoff Jacobians against finite differences, the iterative leading
eigenvalue against all eigenvalues, the 1/R settling tolerance, and a 1,000-place run.

The dense paths (``method="dense"``, finite differences, ``np.linalg.eigvals``) are the
reference: they are what every shipped scenario runs with (``DENSE_MAX_PLACES``)."""

from __future__ import annotations

import gc
import weakref

import numpy as np
import pytest

import negsim
from negsim import economies
from negsim.convergence import Convergence, share_tolerance
from negsim.economies import base, cp, fe
from negsim.economies.base import DENSE_MAX_PLACES
from negsim.economies.krylov import gmres
from negsim.geography import racetrack
from negsim.rules import mean_field_drift, sorted_drift
from negsim.scenario import load_scenario
from negsim.stability import (
    _tangent_basis,
    is_stable_rest_point,
    leading_real_part,
    payoff_jacobian,
)

SIZES = [5, 17, 60]


def random_geography(n: int, seed: int, spread: float = 1.5):
    """Places at random in the unit square, T = e^(spread·distance), random shares."""
    rng = np.random.default_rng(seed)
    xy = rng.uniform(size=(n, 2))
    T = np.exp(spread * np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1)))
    return rng.dirichlet(np.ones(n)), rng.dirichlet(np.ones(n)), T, rng


def assert_same_equilibrium(a, b, rtol=1e-10):
    for field in ("wage", "price_index", "income", "real_wage", "payoff"):
        np.testing.assert_allclose(getattr(a, field), getattr(b, field), rtol=rtol, atol=0)


def test_gmres_solves_nonsymmetric_systems():
    rng = np.random.default_rng(0)
    for n in (1, 7, 90, 200):
        A = np.eye(n) + 0.5 * rng.standard_normal((n, n)) / np.sqrt(n)
        b = rng.standard_normal(n)
        x, rel = gmres(lambda v, A=A: A @ v, b, rtol=1e-13, restart=30, max_restarts=50)
        assert rel <= 1e-13
        np.testing.assert_allclose(x, np.linalg.solve(A, b), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("eta", [0.0, 0.15])
def test_cp_newton_krylov_matches_dense_newton(n, eta):
    lam, a, T, rng = random_geography(n, seed=n)
    lam[rng.choice(n, size=n // 5, replace=False)] = 0.0  # empty places: potential wages
    lam /= lam.sum()
    housing = rng.dirichlet(np.ones(n))
    kw = dict(housing_share=eta, housing=housing)
    dense = cp.short_run_equilibrium(lam, a, T, 5.0, 0.4, method="dense", **kw)
    fast = cp.short_run_equilibrium(lam, a, T, 5.0, 0.4, method="krylov", **kw)
    assert_same_equilibrium(dense, fast)
    assert fast.residual < 1e-12 and fast.iterations >= 1
    warm = cp.short_run_equilibrium(lam, a, T, 5.0, 0.4, method="krylov", wage0=dense.wage, **kw)
    assert_same_equilibrium(dense, warm)
    assert warm.iterations <= 1


@pytest.mark.parametrize("n", SIZES)
def test_cp_newton_krylov_with_firm_masses(n):
    """Firms at their own speed: κ ≠ 1, stranded workers, idle firms."""
    lam, a, T, rng = random_geography(n, seed=100 + n)
    firms = lam * rng.uniform(0.5, 1.5, size=n)
    firms[0] = 0.0
    dense = cp.short_run_equilibrium(lam, a, T, 4.0, 0.3, firms=firms, method="dense")
    fast = cp.short_run_equilibrium(lam, a, T, 4.0, 0.3, firms=firms, method="krylov")
    assert_same_equilibrium(dense, fast)
    np.testing.assert_allclose(dense.potential_wage, fast.potential_wage, rtol=1e-10)
    assert fast.wage[0] == 0.0


@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize(("sigma", "mu"), [(5.0, 0.4), (1.6, 0.55)])
def test_fe_gmres_matches_dense_solve(n, sigma, mu):
    lam, a, T, _ = random_geography(n, seed=200 + n)
    lam[1] = 0.0
    dense = fe.short_run_equilibrium(lam, a, T, sigma, mu, method="dense")
    fast = fe.short_run_equilibrium(lam, a, T, sigma, mu, method="krylov")
    assert_same_equilibrium(dense, fast)
    assert fast.residual < 1e-12


def test_auto_switches_to_the_fast_path_beyond_dense_max_places():
    n = DENSE_MAX_PLACES + 1
    lam, a, T, _ = random_geography(n, seed=3, spread=3.0)
    auto = cp.short_run_equilibrium(lam, a, T, 5.0, 0.4)
    dense = cp.short_run_equilibrium(lam, a, T, 5.0, 0.4, method="dense")
    krylov = cp.short_run_equilibrium(lam, a, T, 5.0, 0.4, method="krylov")
    assert_same_equilibrium(dense, auto)
    np.testing.assert_array_equal(auto.wage, krylov.wage)  # the same path, bit for bit


@pytest.mark.parametrize("name", ["cp", "fe", "fc"])
def test_bound_solver_builds_trade_freeness_once_and_changes_no_bit(name, monkeypatch):
    lam, a, T, _ = random_geography(12, seed=4)
    econ = economies.get(name)
    reference = econ.equilibrium(lam, a, T, 5.0, 0.4)  # φ built inside, as before
    calls = []
    built = base.trade_freeness
    monkeypatch.setattr(base, "trade_freeness", lambda *x: calls.append(1) or built(*x))
    solve = econ.solver(a, T, 5.0, 0.4)
    for _ in range(3):
        eq = solve(lam, reference.wage)
    assert len(calls) == 1
    for field in ("wage", "price_index", "real_wage", "payoff"):
        np.testing.assert_array_equal(getattr(eq, field), getattr(reference, field))


def central_jacobian(solve, shares, step=1e-5):
    """d ln payoff/dλ by central differences: an independent reference."""
    J = np.empty((shares.size, shares.size))
    for k in range(shares.size):
        up, down = shares.copy(), shares.copy()
        up[k] += step
        down[k] -= step
        J[:, k] = (np.log(solve(up).payoff) - np.log(solve(down).payoff)) / (2 * step)
    return J


@pytest.mark.parametrize("name", ["cp", "fe", "fc"])
@pytest.mark.parametrize("n", [5, 23])
def test_analytic_payoff_jacobian_matches_finite_differences(name, n):
    lam, a, T, rng = random_geography(n, seed=300 + n)
    eta = 0.1 if name == "cp" else 0.0
    housing = rng.dirichlet(np.ones(n)) if name == "cp" else None
    solve = economies.get(name).solver(a, T, 5.0, 0.4, housing_share=eta, housing=housing)
    J = solve.jacobian(lam)
    reference = central_jacobian(solve, lam)
    np.testing.assert_allclose(J, reference, rtol=1e-6, atol=1e-6 * np.abs(reference).max())


def test_stability_uses_the_analytic_jacobian_beyond_dense_max_places(monkeypatch):
    n = DENSE_MAX_PLACES + 1
    lam, a, T, _ = random_geography(n, seed=5, spread=3.0)
    solve = economies.get("cp").solver(a, T, 5.0, 0.4)
    calls = []
    counted = lambda shares, wage0=None, firms=None: calls.append(1) or solve(shares, wage0)  # noqa: E731
    counted.jacobian = solve.jacobian
    J = payoff_jacobian(counted, lam)
    assert not calls  # no solve through the solver: not R + 1 of them
    u0 = np.log(solve(lam).payoff)
    for k in (0, 200, 400):  # three columns by forward differences
        bumped = lam.copy()
        bumped[k] += 1e-7
        column = (np.log(solve(bumped).payoff) - u0) / 1e-7
        np.testing.assert_allclose(J[:, k], column, rtol=2e-4, atol=1e-4 * np.abs(column).max())


@pytest.mark.parametrize("n", [4, 30, 120])
def test_iterative_leading_eigenvalue_matches_all_eigenvalues(n):
    rng = np.random.default_rng(n)
    for shift in (-1.2, -0.8, -0.3):
        m = rng.standard_normal((n, n)) / np.sqrt(n) + shift * np.eye(n)
        q = _tangent_basis(n)
        reference = float(np.max(np.linalg.eigvals(q.T @ m @ q).real))
        assert leading_real_part(m, dense_max=0) == pytest.approx(reference, abs=1e-7)


def test_stability_verdict_the_same_on_both_paths():
    """A racetrack's even spread is unstable below its critical T and stable above
    (Akamatsu, Takayama & Ikeda 2012): the iterative verdict agrees with the dense one."""
    n = 24
    a = np.full(n, 1.0 / n)
    for T, expected in ((1.05, False), (3.0, True)):
        costs = racetrack(n, T)
        solve = economies.get("cp").solver(a, costs, 5.0, 0.4)
        J = solve.jacobian(a)
        assert is_stable_rest_point(solve, a) is expected
        q = _tangent_basis(n)
        dense = float(np.max(np.linalg.eigvals(q.T @ J @ q).real))
        assert (leading_real_part(J, dense_max=0) < 0) is (dense < 0) is expected


def test_settling_tolerance_scales_with_one_over_r_beyond_dense_max_places():
    assert share_tolerance(1e-3, 2) == 1e-3
    assert share_tolerance(1e-3, DENSE_MAX_PLACES) == 1e-3  # shipped scenarios: unchanged
    assert share_tolerance(1e-3, 800) == pytest.approx(1e-3 * 2 / 800)
    assert share_tolerance(1e-3, 3000) * 3000 == pytest.approx(2e-3)  # the same share of 1/R
    many = Convergence(20, 1e-3, 10**9, None, 0, n_places=1000)
    assert many.tol == pytest.approx(2e-6)
    floored = Convergence(20, 1e-3, 100_000, None, 0, n_places=1000)
    assert floored.tol == pytest.approx(2.0 / 100_000)  # two agents' worth


def test_a_thousand_place_run_completes():
    scenario = load_scenario(
        "scenarios/racetrack_12.toml",
        [
            "regions.count=1000",
            "economy.transport_cost=1.005",
            "population.workers=20000",
            "population.firms=2000",
            "population.initial_perturbation=0.5",
            "run.steps=3",
        ],
    )
    model = negsim.NEGModel(scenario)
    while model.steps < 3:
        model.step()
    assert model.steps == 3
    assert model.shares.sum() == pytest.approx(1.0)
    assert model.equilibrium.residual < scenario.solver.tol
    frame = model.datacollector.get_model_vars_dataframe()
    assert frame["moves"].iloc[1:].min() > 0
    assert (frame["solver_iterations"].iloc[1:] >= 1).all()
    dense = cp.short_run_equilibrium(
        model.shares, model.farmers, model.transport_costs, 5.0, 0.4, method="dense"
    )
    np.testing.assert_allclose(model.equilibrium.wage, dense.wage, rtol=1e-10)
    assert model.convergence.tol == pytest.approx(2.0 / 20000)


@pytest.mark.parametrize("n", [5, 60, DENSE_MAX_PLACES + 1])
@pytest.mark.parametrize("response", [0.5, 10.0, 1e4])
def test_sorted_drift_matches_the_pairwise_sums(n, response):
    """The O(R log R) drift against E[Δλ_r] = α/(R-1) Σ_s [λ_s p(s→r) - λ_r p(r→s)] summed
    pair by pair; ties, empty places and floored payoffs (e^-700) included."""
    rng = np.random.default_rng(n)
    lam = rng.dirichlet(np.ones(n))
    lam[: n // 5] = 0.0
    u = rng.normal(0.2, 0.05, n)
    u[3] = u[4]
    u[1] = -700.0
    p = np.minimum(1.0, response * np.maximum(0.0, u[None, :] - u[:, None]))  # p[s, r]
    flow = lam[:, None] * p
    reference = 0.1 / (n - 1) * (flow.sum(axis=0) - flow.sum(axis=1))
    fast = sorted_drift(lam, u, 0.1, response)
    np.testing.assert_allclose(fast, reference, rtol=1e-9, atol=1e-15)
    assert fast.sum() == pytest.approx(0.0, abs=1e-12)  # no mass created or lost
    if n > DENSE_MAX_PLACES:
        np.testing.assert_array_equal(mean_field_drift(lam, u, 0.1, response), fast)


def test_krylov_on_an_asymmetric_geography_with_a_frozen_phi():
    """BoundSolver's read-only φ gets a row-major transpose built once (φ itself where
    symmetric); the answer is the dense one either way."""
    lam, a, T, rng = random_geography(30, seed=6)
    T = T * rng.uniform(1.0, 1.3, size=T.shape)  # T_rs ≠ T_sr
    np.fill_diagonal(T, 1.0)
    solve = economies.get("cp").solver(a, T, 5.0, 0.4)
    phi = solve.phi
    assert not phi.flags.writeable
    transposed = cp._transpose(phi)
    assert transposed.flags.c_contiguous and cp._transpose(phi) is transposed
    np.testing.assert_array_equal(transposed, phi.T)
    symmetric = economies.get("cp").solver(a, racetrack(30, 1.1), 5.0, 0.4).phi
    assert cp._transpose(symmetric) is symmetric
    writeable = phi.copy()
    assert cp._transpose(writeable).base is writeable  # a view: nothing kept
    dense = cp.short_run_equilibrium(lam, a, T, 5.0, 0.4, method="dense")
    fast = cp.short_run_equilibrium(lam, a, T, 5.0, 0.4, phi=phi, method="krylov")
    assert_same_equilibrium(dense, fast)


def test_the_transpose_memo_lets_phi_go():
    """The memo holds φ weakly (also where φ is symmetric): a geography's φ is freed with
    its solver, and its entry with it."""
    solve = economies.get("cp").solver(np.full(8, 0.125), racetrack(8, 1.3), 5.0, 0.4)
    phi = weakref.ref(solve.phi)
    cp._transpose(solve.phi)
    assert id(solve.phi) in cp._TRANSPOSES
    key = id(solve.phi)
    del solve
    gc.collect()
    assert phi() is None and key not in cp._TRANSPOSES
