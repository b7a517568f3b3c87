"""The two-region CP equilibrium solved for many (λ_1, T) at once (``cp.two_region_real_wages``,
what the tomahawk scan uses) against the scalar solver ``cp.short_run_equilibrium``, FE's
(``fe.two_region_real_rewards``) against its scalar closed form, and
the vectorised bracket refinement (``roots.bracketed_roots``) against Brent's method."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.optimize import brentq as scipy_brentq

from negsim import economies
from negsim.economies import cp, fe
from negsim.economies.base import EquilibriumError, tomahawk_scan, vectorised
from negsim.economies.roots import bracketed_roots
from negsim.geography import two_region

EVEN = np.array([0.5, 0.5])


@pytest.mark.parametrize(
    ("sigma", "mu", "eta"), [(5.0, 0.4, 0.0), (3.0, 0.3, 0.0), (5.0, 0.6, 0.0), (5.0, 0.4, 0.1)]
)
def test_same_real_wages_as_the_scalar_solver(sigma, mu, eta):
    rng = np.random.default_rng(7)
    lam = np.concatenate([[0.0, 1.0, 0.5, 1e-9], rng.uniform(0.0, 1.0, 150)])
    T = np.concatenate([[1.3, 2.5, 1.0001, 6.0], rng.uniform(1.0001, 5.0, 150)])
    ours = cp.two_region_real_wages(lam, T, sigma, mu, eta)
    for k in range(lam.size):
        eq = cp.short_run_equilibrium(
            np.array([lam[k], 1.0 - lam[k]]),
            EVEN,
            cp.two_region_costs(T[k]),
            sigma,
            mu,
            housing_share=eta,
        )
        assert ours[k] == pytest.approx(eq.real_wage, rel=1e-10, abs=0)
    gaps = cp.real_wage_gaps(lam[:20], T[:20], sigma, mu, eta)
    expected = [
        cp.real_wage_gap(x, t, sigma, mu, eta) for x, t in zip(lam[:20], T[:20], strict=True)
    ]
    assert gaps == pytest.approx(expected, rel=1e-10, abs=1e-13)


def test_no_convergence_is_an_error_not_nan():
    with pytest.raises(EquilibriumError, match="did not converge in 1 Newton"):
        cp.two_region_real_wages(np.array([0.3, 0.9]), np.array([1.5, 2.0]), 5.0, 0.4, max_iter=1)


def test_bracketed_roots_agree_with_brent():
    def f(x, c):
        return np.cos(x) - c * x

    cs = np.array([0.5, 1.0, 2.0, 4.0])
    lo, hi = np.zeros(4), np.full(4, 2.0)
    roots = bracketed_roots(f, lo, hi, cs, f(lo, cs), f(hi, cs))
    for c, root in zip(cs, roots, strict=True):
        expected = scipy_brentq(lambda x, c=c: math.cos(x) - c * x, 0.0, 2.0, xtol=1e-15)
        assert root == pytest.approx(expected, abs=1e-12)
    with pytest.raises(ValueError, match="differ in sign"):
        bracketed_roots(f, hi, hi + 1.0, cs, f(hi, cs), f(hi + 1.0, cs))


def test_the_scan_with_a_scalar_gap_finds_what_the_vectorised_one_finds():
    sigma, mu = 5.0, 0.4
    costs = np.array([1.2, 1.65, 1.7, 1.78, 1.9])
    t_b = cp.break_point(sigma, mu).T

    def scan(gaps):
        return tomahawk_scan(
            gaps,
            lambda T: cp.sustain_ratio(T, sigma, mu) < 1.0,
            lambda T: T > t_b,
            costs,
        )

    scalar = scan(vectorised(lambda lam, T: cp.real_wage_gap(lam, T, sigma, mu)))
    fast = scan(lambda lam, T: cp.real_wage_gaps(lam, T, sigma, mu))
    assert [(T, stable) for T, _, stable in fast] == [(T, stable) for T, _, stable in scalar]
    assert [lam for _, lam, _ in fast] == pytest.approx([lam for _, lam, _ in scalar], abs=1e-11)
    interior = [lam for _, lam, _ in fast if lam not in (0.0, 0.5, 1.0)]
    assert len(interior) == 6  # the unstable branch at T = 1.65, 1.7 and 1.78 (T_B < T < T_S)


@pytest.mark.parametrize(("sigma", "mu"), [(5.0, 0.4), (3.0, 0.3), (2.0, 0.9)])
def test_fe_real_rewards_as_the_scalar_closed_form(sigma, mu):
    rng = np.random.default_rng(5)
    lam = np.concatenate([[0.0, 1.0, 0.5], rng.uniform(0.0, 1.0, 100)])
    T = np.concatenate([[1.2, 3.0, 1.0001], rng.uniform(1.0001, 4.0, 100)])
    ours = fe.two_region_real_rewards(lam, T, sigma, mu)
    for k in range(lam.size):
        eq = fe.short_run_equilibrium(
            np.array([lam[k], 1.0 - lam[k]]), EVEN, two_region(T[k]), sigma, mu
        )
        assert ours[k] == pytest.approx(eq.real_wage, rel=1e-10, abs=0)


def test_fe_scan_as_with_the_scalar_gap():
    sigma, mu = 5.0, 0.4  # T_B ≈ 1.09445 < T_S ≈ 1.09505
    costs = np.concatenate([np.linspace(1.0945, 1.0950, 6), [1.05, 1.2, 2.0]])
    economy = economies.get("fe")
    scan = economy.tomahawk(sigma, mu, costs)
    scalar = tomahawk_scan(
        vectorised(economy.payoff_gap(sigma, mu)),
        lambda T: economy.core_sustainable(T, sigma, mu),
        lambda T: economy.symmetric_stable(T, sigma, mu),
        costs,
    )
    assert [(T, stable) for T, _, stable in scan] == [(T, stable) for T, _, stable in scalar]
    assert [lam for _, lam, _ in scan] == pytest.approx([lam for _, lam, _ in scalar], abs=1e-11)
    assert any(lam not in (0.0, 0.5, 1.0) for _, lam, _ in scan)  # an unstable branch too
