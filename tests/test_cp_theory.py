"""Theory checks for the core–periphery economy (negsim.economies.cp).

Every number asserted here comes from a computation that is independent of cp.py:

* a published figure (FKV 1999, the σ=5, μ=0.4 tomahawk: T_B ≈ 1.627, T_S ≈ 1.807);
* an independent short-run-equilibrium solver written below (scipy.optimize.fsolve on the
  residuals of FKV's equations in the unknowns (Y, ln G, ln w), not a wage fixed point);
* the break point as the transport cost where the finite-difference slope of ω1-ω2 at
  λ1 = 1/2 changes sign, and the sustain point as the T > 1 where ω2/ω1 = 1 at λ = (1, 0),
  both found with brentq on that independent solver;
* closed forms derived in comments here (the real-wage ratio at full agglomeration and the
  identity Σ λ_r w_r = Σ a_r).

FKV (1999), ch. 5, R regions, farmers a_r (Σ a = 1), workers λ_r (Σ λ = 1)::

    Y_r = μ λ_r w_r + (1-μ) a_r
    G_r = [ Σ_s λ_s (w_s T_sr)^(1-σ) ]^(1/(1-σ))
    w_r = [ Σ_s Y_s G_s^(σ-1) T_rs^(1-σ) ]^(1/σ)
    ω_r = w_r G_r^(-μ)
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.optimize import brentq, fsolve

from negsim.economies.cp import (
    BlackHoleError,
    EquilibriumError,
    Threshold,
    break_point,
    check_no_black_hole,
    real_wage_gap,
    short_run_equilibrium,
    sustain_point,
    sustain_ratio,
    two_region_costs,
)

# (σ, μ) sets satisfying the no-black-hole condition μ < ρ = (σ-1)/σ.
OTHER_PARAMS = [(4.0, 0.3), (6.0, 0.5), (3.0, 0.2)]
ALL_PARAMS = [(5.0, 0.4), *OTHER_PARAMS]


# ---------------------------------------------------------------------------------------
# Independent reference implementation
# ---------------------------------------------------------------------------------------


def fkv_equations(Y, G, w, lam, a, T, sigma, mu):
    """Right-hand sides of FKV's income, price-index and wage equations, written directly
    as the sums over regions (explicit loops, no matrix tricks)."""
    R = len(lam)
    Y_rhs = np.array([mu * lam[r] * w[r] + (1 - mu) * a[r] for r in range(R)])
    G_rhs = np.array(
        [
            sum(lam[s] * (w[s] * T[s][r]) ** (1 - sigma) for s in range(R)) ** (1 / (1 - sigma))
            for r in range(R)
        ]
    )
    w_rhs = np.array(
        [
            sum(Y[s] * G[s] ** (sigma - 1) * T[r][s] ** (1 - sigma) for s in range(R))
            ** (1 / sigma)
            for r in range(R)
        ]
    )
    return Y_rhs, G_rhs, w_rhs


def ref_equilibrium(lam, a, T, sigma, mu):
    """Independent short-run equilibrium: fsolve on the 3R equations in (ln Y, ln G, ln w)
    (logs keep every iterate positive). Returns (w, G, Y, ω)."""
    lam = np.asarray(lam, float)
    a = np.asarray(a, float)
    T = np.asarray(T, float)
    R = lam.size

    def unpack(x):
        return np.exp(x[:R]), np.exp(x[R : 2 * R]), np.exp(x[2 * R :])

    def resid(x):
        Y, G, w = unpack(x)
        Y_rhs, G_rhs, w_rhs = fkv_equations(Y, G, w, lam, a, T, sigma, mu)
        return np.log(np.concatenate([Y / Y_rhs, G / G_rhs, w / w_rhs]))

    # Start from unit wages, with the income and price index they imply.
    w0 = np.ones(R)
    G0 = fkv_equations(a, w0, w0, lam, a, T, sigma, mu)[1]
    Y0 = mu * lam + (1 - mu) * a
    x = np.log(np.concatenate([Y0, G0, w0]))
    for _ in range(3):  # restart from the last iterate if MINPACK stops early
        x, info, ier, msg = fsolve(resid, x, xtol=1e-13, full_output=True)
        if np.max(np.abs(resid(x))) < 1e-13:
            break
    # fsolve's status (ier) may read "not making good progress" once the residual is at
    # rounding level, so the residual itself is the convergence check.
    assert np.max(np.abs(resid(x))) < 1e-13, msg
    Y, G, w = unpack(x)
    return w, G, Y, w * G ** (-mu)


def ref_two_region(lam1, T, sigma, mu):
    return ref_equilibrium([lam1, 1 - lam1], [0.5, 0.5], [[1.0, T], [T, 1.0]], sigma, mu)


def ref_gap_slope(T, sigma, mu, h=1e-4):
    """d(ω1-ω2)/dλ1 at λ1 = 1/2 by central differences on the reference solver."""

    def gap(l1):
        omega = ref_two_region(l1, T, sigma, mu)[3]
        return omega[0] - omega[1]

    return (gap(0.5 + h) - gap(0.5 - h)) / (2 * h)


def ref_break_T(sigma, mu):
    # Symmetric state unstable (slope > 0) at T slightly above 1, stable (slope < 0) at
    # large T; locate the sign change.
    lo, hi = 1.01, 1.01
    while ref_gap_slope(hi, sigma, mu) > 0:
        hi *= 1.5
    return brentq(lambda t: ref_gap_slope(t, sigma, mu), lo, hi, xtol=1e-12, rtol=1e-12)


def ref_core_ratio(T, sigma, mu):
    """ω2/ω1 at λ = (1, 0) from the reference solver (region 2: potential wage)."""
    omega = ref_two_region(1.0, T, sigma, mu)[3]
    return omega[1] / omega[0]


def ref_sustain_T(sigma, mu):
    lo, hi = 1.01, 1.01
    while ref_core_ratio(hi, sigma, mu) < 1:
        hi *= 1.5
    return brentq(lambda t: ref_core_ratio(t, sigma, mu) - 1, lo, hi, xtol=1e-12, rtol=1e-12)


def closed_form_core_ratio(T, sigma, mu):
    """ω2/ω1 with all workers in region 1, derived from the equations directly.

    λ = (1, 0): G1 = w1, G2 = w1 T. Wage eq. for region 1: w1^σ = (Y1 + Y2) w1^(σ-1), so
    w1 = Y1 + Y2 = μ w1 + (1-μ) → w1 = 1, G1 = 1, ω1 = 1, Y1 = (1+μ)/2, Y2 = (1-μ)/2.
    Region 2's (potential) wage: w2^σ = Y1 G1^(σ-1) T^(1-σ) + Y2 G2^(σ-1)
                                      = (1+μ)/2 T^(1-σ) + (1-μ)/2 T^(σ-1),
    and ω2 = w2 G2^(-μ) = w2 T^(-μ).
    """
    w2 = ((1 + mu) / 2 * T ** (1 - sigma) + (1 - mu) / 2 * T ** (sigma - 1)) ** (1 / sigma)
    return w2 * T ** (-mu)


def random_state(rng, R):
    lam = rng.dirichlet(np.ones(R))
    a = rng.dirichlet(np.ones(R))
    upper = np.triu(1.0 + 1.5 * rng.random((R, R)), 1)
    T = upper + upper.T + np.eye(R)  # symmetric, T_rr = 1, T_rs ≥ 1
    return lam, a, T


# ---------------------------------------------------------------------------------------
# 1. Published check values
# ---------------------------------------------------------------------------------------


def test_published_tomahawk_values():
    """FKV (1999) ch. 5 tomahawk for σ = 5, μ = 0.4: T_B ≈ 1.627, T_S ≈ 1.807."""
    tb, ts = break_point(5.0, 0.4), sustain_point(5.0, 0.4)
    assert isinstance(tb, Threshold) and isinstance(ts, Threshold)
    assert round(tb.T, 3) == 1.627
    assert round(ts.T, 3) == 1.807
    assert tb.T < ts.T  # the overlap region of the tomahawk
    assert tb.phi == pytest.approx(tb.T ** (1 - 5.0), rel=1e-12)
    assert ts.phi == pytest.approx(ts.T ** (1 - 5.0), rel=1e-12)


# ---------------------------------------------------------------------------------------
# 2. Break and sustain points against the independent solver
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("sigma, mu", ALL_PARAMS)
def test_break_point_matches_finite_difference_root(sigma, mu):
    assert mu < (sigma - 1) / sigma
    assert break_point(sigma, mu).T == pytest.approx(ref_break_T(sigma, mu), rel=1e-5)


@pytest.mark.parametrize("sigma, mu", ALL_PARAMS)
def test_sustain_point_matches_root_of_reference_solver(sigma, mu):
    assert mu < (sigma - 1) / sigma
    ts = sustain_point(sigma, mu)
    assert ts.T > 1
    assert ts.T == pytest.approx(ref_sustain_T(sigma, mu), rel=1e-5)
    assert ts.T > break_point(sigma, mu).T


# ---------------------------------------------------------------------------------------
# 3. Short-run equilibrium solver
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("sigma, mu", ALL_PARAMS)
@pytest.mark.parametrize("T", [1.0, 1.2, 1.627, 2.0, 5.0])
def test_symmetric_state_equal_wages(T, sigma, mu):
    eq = short_run_equilibrium(
        np.array([0.5, 0.5]), np.array([0.5, 0.5]), two_region_costs(T), sigma, mu
    )
    assert abs(eq.wage[0] - eq.wage[1]) <= 1e-12
    assert abs(eq.real_wage[0] - eq.real_wage[1]) <= 1e-12
    # Symmetric closed form: w = 1, G = [(1 + T^(1-σ))/2]^(1/(1-σ)).
    np.testing.assert_allclose(eq.wage, 1.0, rtol=1e-12)
    G = ((1 + T ** (1 - sigma)) / 2) ** (1 / (1 - sigma))
    np.testing.assert_allclose(eq.price_index, G, rtol=1e-12)


@pytest.mark.parametrize("sigma, mu", ALL_PARAMS)
@pytest.mark.parametrize("T", [1.1, 1.5, 1.8, 2.5, 4.0])
def test_core_periphery_real_wage_ratio_closed_form(T, sigma, mu):
    eq = short_run_equilibrium(
        np.array([1.0, 0.0]), np.array([0.5, 0.5]), two_region_costs(T), sigma, mu
    )
    ratio = eq.real_wage[1] / eq.real_wage[0]
    assert ratio == pytest.approx(closed_form_core_ratio(T, sigma, mu), rel=1e-11)
    assert ratio == pytest.approx(ref_core_ratio(T, sigma, mu), rel=1e-10)
    assert eq.wage[0] == pytest.approx(1.0, rel=1e-12)
    # cp.sustain_ratio must be the same function of T.
    assert sustain_ratio(T, sigma, mu) == pytest.approx(
        closed_form_core_ratio(T, sigma, mu), rel=1e-12
    )
    # ... and real_wage_gap at λ1 = 1 is ω1 - ω2 = 1 - ratio (ω1 = 1).
    assert real_wage_gap(1.0, T, sigma, mu) == pytest.approx(
        1 - closed_form_core_ratio(T, sigma, mu), abs=1e-11
    )


@pytest.mark.parametrize("sigma, mu", ALL_PARAMS)
@pytest.mark.parametrize("R, seed", [(4, 0), (4, 1), (5, 2), (5, 3), (3, 4)])
def test_random_asymmetric_equilibrium(R, seed, sigma, mu):
    rng = np.random.default_rng(seed)
    lam, a, T = random_state(rng, R)
    tol = 1e-12
    eq = short_run_equilibrium(lam, a, T, sigma, mu, tol=tol)
    assert np.all(np.isfinite(eq.wage)) and np.all(np.isfinite(eq.real_wage))
    assert eq.residual < tol

    # Plug the returned values back into FKV's equations.
    Y_rhs, G_rhs, w_rhs = fkv_equations(eq.income, eq.price_index, eq.wage, lam, a, T, sigma, mu)
    assert np.max(np.abs(eq.income - Y_rhs)) < 1e-10
    assert np.max(np.abs(eq.price_index / G_rhs - 1)) < 1e-10
    assert np.max(np.abs(eq.wage / w_rhs - 1)) < 1e-10
    assert np.max(np.abs(eq.real_wage - eq.wage * eq.price_index ** (-mu))) < 1e-10

    # Agreement with the independent fsolve solver.
    w, G, Y, omega = ref_equilibrium(lam, a, T, sigma, mu)
    np.testing.assert_allclose(eq.wage, w, rtol=1e-10)
    np.testing.assert_allclose(eq.price_index, G, rtol=1e-10)
    np.testing.assert_allclose(eq.income, Y, rtol=1e-10)
    np.testing.assert_allclose(eq.real_wage, omega, rtol=1e-10)

    # Walras' law / FKV normalisation: Σ_r λ_r w_r = 1.
    # Multiply the wage equation by λ_r w_r^(1-σ):
    #     λ_r w_r = Σ_s Y_s G_s^(σ-1) λ_r (w_r T_rs)^(1-σ)
    # (region r's wage bill = its firms' sales). Summing over r and using the price-index
    # definition Σ_r λ_r (w_r T_rs)^(1-σ) = G_s^(1-σ):
    #     Σ_r λ_r w_r = Σ_s Y_s = μ Σ_r λ_r w_r + (1-μ) Σ_r a_r,
    # so (1-μ) Σ λ w = (1-μ) Σ a, i.e. Σ λ w = Σ a = 1 (and Σ Y = 1).
    # With tol = 1e-12 on the log-wage residual the wages themselves are only accurate to
    # a few 1e-12 (the residual times the inverse Jacobian), so check loosely here and
    # tightly on a solve to tol = 1e-14.
    assert float(lam @ eq.wage) == pytest.approx(1.0, abs=1e-10)
    assert float(eq.income.sum()) == pytest.approx(1.0, abs=1e-10)
    tight = short_run_equilibrium(lam, a, T, sigma, mu, tol=1e-14)
    assert float(lam @ tight.wage) == pytest.approx(1.0, abs=1e-13)
    assert float(tight.income.sum()) == pytest.approx(1.0, abs=1e-13)

    # Warm start from the solution converges immediately to the same point.
    eq2 = short_run_equilibrium(lam, a, T, sigma, mu, wage0=eq.wage, tol=1e-10)
    assert eq2.iterations == 0
    np.testing.assert_allclose(eq2.wage, eq.wage, rtol=1e-12)


@pytest.mark.parametrize("tol", [1e-6, 1e-9, 1e-12])
def test_residual_below_requested_tol(tol):
    lam, a, T = random_state(np.random.default_rng(7), 4)
    eq = short_run_equilibrium(lam, a, T, 5.0, 0.4, tol=tol)
    assert eq.residual < tol
    assert eq.iterations >= 1


def test_empty_region_gets_potential_wage():
    """A region with no workers gets the wage its wage equation implies (FKV's potential
    wage), as computed by the reference solver."""
    lam, a, T = random_state(np.random.default_rng(11), 4)
    lam = np.array([0.5, 0.3, 0.2, 0.0])
    eq = short_run_equilibrium(lam, a, T, 5.0, 0.4)
    w, G, Y, omega = ref_equilibrium(lam, a, T, 5.0, 0.4)
    np.testing.assert_allclose(eq.wage, w, rtol=1e-10)
    np.testing.assert_allclose(eq.real_wage, omega, rtol=1e-10)


# ---------------------------------------------------------------------------------------
# 4. Stability structure of the two-region model (σ = 5, μ = 0.4)
# ---------------------------------------------------------------------------------------

SIGMA, MU = 5.0, 0.4
T_B_PUB, T_S_PUB = 1.627, 1.807  # published values, not taken from cp.py


def _slope_at_half(T, h=1e-4):
    return (real_wage_gap(0.5 + h, T, SIGMA, MU) - real_wage_gap(0.5 - h, T, SIGMA, MU)) / (2 * h)


@pytest.mark.parametrize("T", [1.05, 1.2, 1.4, 1.6])
def test_symmetric_unstable_below_break_point(T):
    assert T < T_B_PUB
    assert abs(real_wage_gap(0.5, T, SIGMA, MU)) < 1e-12  # λ = 1/2 is an equilibrium
    assert _slope_at_half(T) > 0
    assert _slope_at_half(T) == pytest.approx(ref_gap_slope(T, SIGMA, MU), rel=1e-5)


@pytest.mark.parametrize("T", [1.65, 1.8, 2.2, 3.0, 6.0])
def test_symmetric_stable_above_break_point(T):
    assert T > T_B_PUB
    assert abs(real_wage_gap(0.5, T, SIGMA, MU)) < 1e-12
    assert _slope_at_half(T) < 0
    assert _slope_at_half(T) == pytest.approx(ref_gap_slope(T, SIGMA, MU), rel=1e-5)


@pytest.mark.parametrize("T", [1.05, 1.3, 1.6, 1.75, 1.8])
def test_core_sustainable_below_sustain_point(T):
    assert T < T_S_PUB
    assert real_wage_gap(1.0, T, SIGMA, MU) > 0
    assert real_wage_gap(0.0, T, SIGMA, MU) < 0  # mirror image: core in region 2


@pytest.mark.parametrize("T", [1.815, 1.9, 2.5, 4.0])
def test_core_unsustainable_above_sustain_point(T):
    assert T > T_S_PUB
    assert real_wage_gap(1.0, T, SIGMA, MU) < 0
    assert real_wage_gap(0.0, T, SIGMA, MU) > 0


def test_slope_sign_change_brackets_break_point():
    tb = break_point(SIGMA, MU).T
    assert _slope_at_half(tb * (1 - 1e-3)) > 0 > _slope_at_half(tb * (1 + 1e-3))
    ts = sustain_point(SIGMA, MU).T
    assert real_wage_gap(1.0, ts * (1 - 1e-3), SIGMA, MU) > 0
    assert real_wage_gap(1.0, ts * (1 + 1e-3), SIGMA, MU) < 0


# ---------------------------------------------------------------------------------------
# 5. Error handling
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "sigma, mu",
    [(2.0, 0.6), (2.0, 0.5), (5.0, 0.8), (5.0, 0.9), (1.5, 0.4), (3.0, 2 / 3)],
)
def test_black_hole_raises(sigma, mu):
    assert mu >= (sigma - 1) / sigma - 1e-15
    with pytest.raises(BlackHoleError):
        check_no_black_hole(sigma, mu)
    with pytest.raises(BlackHoleError):
        break_point(sigma, mu)
    with pytest.raises(BlackHoleError):
        sustain_point(sigma, mu)


@pytest.mark.parametrize("sigma, mu", ALL_PARAMS)
def test_no_black_hole_passes(sigma, mu):
    check_no_black_hole(sigma, mu)  # must not raise


@pytest.mark.parametrize("sigma, mu", [(1.0, 0.2), (0.5, 0.2), (5.0, 0.0), (5.0, 1.0)])
def test_invalid_parameters_raise(sigma, mu):
    with pytest.raises(BlackHoleError):
        check_no_black_hole(sigma, mu)


@pytest.mark.parametrize("lam1", [0.3, 0.7, 1.0])
def test_max_iter_zero_raises_instead_of_nan(lam1):
    with pytest.raises(EquilibriumError):
        short_run_equilibrium(
            np.array([lam1, 1 - lam1]),
            np.array([0.5, 0.5]),
            two_region_costs(1.8),
            5.0,
            0.4,
            max_iter=0,
        )


def test_max_iter_zero_random_state_raises():
    lam, a, T = random_state(np.random.default_rng(5), 5)
    with pytest.raises(EquilibriumError):
        short_run_equilibrium(lam, a, T, 5.0, 0.4, max_iter=0)


def test_bad_shapes_raise():
    with pytest.raises(EquilibriumError):
        short_run_equilibrium(np.array([0.5, 0.5]), np.array([0.5, 0.5]), np.ones((3, 3)), 5.0, 0.4)
    with pytest.raises(EquilibriumError):
        short_run_equilibrium(np.zeros(2), np.array([0.5, 0.5]), two_region_costs(2.0), 5.0, 0.4)


def test_reference_break_point_is_seventh_root_figure():
    """Hand check of the published figure: for σ = 5, μ = 0.4 (ρ = 0.8) FKV's break-point
    condition gives trade freeness φ_B = T_B^(-4) = (0.4·0.6)/(1.2·1.4) = 1/7, so
    T_B = 7^(1/4) ≈ 1.6266. The finite-difference root of the reference solver lands there."""
    assert ref_break_T(5.0, 0.4) == pytest.approx(7**0.25, rel=1e-6)
    assert math.isclose(round(7**0.25, 3), 1.627)


# --- the tomahawk diagram ------------------------------------------------------------


@pytest.mark.parametrize("sigma, mu", ALL_PARAMS)
def test_tomahawk_branches_match_reference_solver(sigma, mu):
    """Below T_B: corners stable, even spread unstable, no asymmetric equilibria. Between
    T_B and T_S: both stable, plus one unstable pair λ*, 1-λ* at which the reference
    solver's real wages are equal. Above T_S: only the stable even spread."""
    from negsim.economies.cp import tomahawk

    t_b, t_s = break_point(sigma, mu).T, sustain_point(sigma, mu).T
    below, mid, above = 0.95 * t_b, (t_b * t_s) ** 0.5, 1.05 * t_s
    by_T = {}
    for T, lam, stable in tomahawk(sigma, mu, [below, mid, above]):
        by_T.setdefault(T, []).append((round(lam, 12), stable))
    assert sorted(by_T[below]) == [(0.0, True), (0.5, False), (1.0, True)]
    assert sorted(by_T[above]) == [(0.5, True)]
    mid_points = sorted(by_T[mid])
    assert [p for p in mid_points if p[0] in (0.0, 0.5, 1.0)] == [
        (0.0, True),
        (0.5, True),
        (1.0, True),
    ]
    asym = [lam for lam, stable in mid_points if lam not in (0.0, 0.5, 1.0)]
    assert len(asym) == 2 and asym[0] == pytest.approx(1 - asym[1], abs=1e-10)
    assert all(not stable for lam, stable in mid_points if lam in asym)
    omega = ref_two_region(asym[1], mid, sigma, mu)[3]
    assert omega[0] / omega[1] == pytest.approx(1.0, abs=1e-8)
