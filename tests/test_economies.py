"""Theory checks for the footloose-entrepreneur (fe) and footloose-capital (fc) economies and
the core–periphery economy with housing (cp with ``housing_share``).

Every number asserted here comes from a computation that is independent of the package:

* FE: the short-run equilibrium by plain fixed-point iteration on the profit equation
  (the package solves a linear system); break point = the T where the central-difference
  slope of ln(V_1/V_2) at s = 1/2 changes sign, sustain point = the T > 1 where
  V_2/V_1 = 1 at s = 1, both found with brentq on that solver.
* FC: rewards written out from the definitions; the equilibrium share of firms as the
  brentq root of π_1 - π_2 in the share, the full-agglomeration point as the brentq root in
  φ of π_1 - π_2 with every firm in region 1.
* CP with housing: scipy.optimize.fsolve on the residuals of the income, price-index and
  wage equations in (ln w, ln G), written as explicit sums over regions (the package runs
  a damped Newton iteration on log-wages with an analytic Jacobian); slopes by Richardson-
  extrapolated central differences of the reference real wages; thresholds as brentq roots
  of those.

Models (R regions, mobile shares λ_r summing to 1, immobile shares a_r summing to 1,
φ_rs = T_rs^(1-σ)):

FE (Forslid & Ottaviano 2003; Baldwin et al. 2003, ch. 4)::

    Δ_s = Σ_k λ_k φ_ks,  E_s = (1-μ) a_s + λ_s π_s,  π_r = (μ/σ) Σ_s φ_rs E_s/Δ_s,
    V_r = π_r Δ_r^(μ/(σ-1))

FC (Martin & Rogers 1995; Baldwin et al. 2003, ch. 3)::

    E_w = (1-μ)/(1-μ/σ),  E_s = a_s E_w,  π_r = (μ/σ) Σ_s φ_rs E_s/Δ_s

CP with housing (FKV 1999, ch. 5, plus Helpman 1998's housing; housing stock shares H_r)::

    Y_r = (μ λ_r w_r + (1-μ) a_r)/(1-η)
    G_r = [Σ_s λ_s (w_s T_sr)^(1-σ)]^(1/(1-σ))
    w_r = [Σ_s Y_s G_s^(σ-1) T_rs^(1-σ)]^(1/σ)
    q_r = η Y_r/H_r,   ω_r = w_r/(1-η) · G_r^(-μ) q_r^(-η)
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from scipy.optimize import brentq, fsolve

from negsim import theory
from negsim.economies import cp, fc, fe
from negsim.economies.base import BlackHoleError

# ---------------------------------------------------------------------------------------
# Independent reference implementations
# ---------------------------------------------------------------------------------------


def two(T: float) -> np.ndarray:
    return np.array([[1.0, T], [T, 1.0]])


def central_slope(f, x: float, h: float = 1e-3) -> float:
    """df/dx by central differences, Richardson-extrapolated (error O(h^4))."""

    def d(step: float) -> float:
        return (f(x + step) - f(x - step)) / (2.0 * step)

    return (4.0 * d(h / 2.0) - d(h)) / 3.0


def sign_change_roots(f, xs: np.ndarray) -> list[float]:
    ys = np.array([f(x) for x in xs])
    idx = np.flatnonzero(np.sign(ys[:-1]) != np.sign(ys[1:]))
    return [brentq(f, xs[i], xs[i + 1], xtol=1e-13, rtol=1e-13) for i in idx]


def fe_ref(lam, a, T, sigma, mu):
    """FE short-run equilibrium by fixed-point iteration on π (a contraction: the feedback
    from profits to expenditure is scaled by μ/σ < 1). Returns (π, Δ, E, V)."""
    lam = np.asarray(lam, float)
    a = np.asarray(a, float)
    phi = np.asarray(T, float) ** (1.0 - sigma)
    R = lam.size
    delta = np.array([sum(lam[k] * phi[k, s] for k in range(R)) for s in range(R)])
    pi = np.ones(R)
    for _ in range(2000):
        spend = (1.0 - mu) * a + lam * pi
        new = np.array(
            [mu / sigma * sum(phi[r, s] * spend[s] / delta[s] for s in range(R)) for r in range(R)]
        )
        if np.max(np.abs(new - pi)) <= 1e-16 * np.max(np.abs(new)):
            pi = new
            break
        pi = new
    else:  # pragma: no cover - the contraction always converges
        raise AssertionError("FE reference iteration did not converge")
    spend = (1.0 - mu) * a + lam * pi
    return pi, delta, spend, pi * delta ** (mu / (sigma - 1.0))


def fe_log_gap(s: float, T: float, sigma: float, mu: float) -> float:
    V = fe_ref([s, 1.0 - s], [0.5, 0.5], two(T), sigma, mu)[3]
    return float(np.log(V[0] / V[1]))


def fe_slope(T: float, sigma: float, mu: float) -> float:
    return central_slope(lambda s: fe_log_gap(s, T, sigma, mu), 0.5)


def fe_core_ratio(T: float, sigma: float, mu: float) -> float:
    V = fe_ref([1.0, 0.0], [0.5, 0.5], two(T), sigma, mu)[3]
    return float(V[1] / V[0])


def fc_gap(s: float, s_e: float, phi: float, sigma: float = 5.0, mu: float = 0.4) -> float:
    """π_1 - π_2 for two regions, firm share s in region 1, expenditure share s_E."""
    b = mu / sigma
    e_w = (1.0 - mu) / (1.0 - b)
    E = (s_e * e_w, (1.0 - s_e) * e_w)
    d1 = s + phi * (1.0 - s)
    d2 = phi * s + (1.0 - s)
    pi1 = b * (E[0] / d1 + phi * E[1] / d2)
    pi2 = b * (phi * E[0] / d1 + E[1] / d2)
    return pi1 - pi2


def fc_share(s_e: float, phi: float) -> float:
    """Equilibrium share of firms in region 1: equal rewards, or a corner."""
    lo, hi = fc_gap(0.0, s_e, phi), fc_gap(1.0, s_e, phi)
    if hi >= 0.0:
        return 1.0
    if lo <= 0.0:
        return 0.0
    return brentq(lambda s: fc_gap(s, s_e, phi), 0.0, 1.0, xtol=1e-15, rtol=1e-15)


def cp_ref(lam, a, T, sigma, mu, eta=0.0, H=None):
    """CP (with housing) short-run equilibrium: fsolve on the 2R residuals in (ln w, ln G),
    incomes substituted. Returns (w, G, Y, ω)."""
    lam = np.asarray(lam, float)
    a = np.asarray(a, float)
    T = np.asarray(T, float)
    R = lam.size
    H = np.full(R, 1.0 / R) if H is None else np.asarray(H, float)

    def income(w):
        return np.array([(mu * lam[r] * w[r] + (1.0 - mu) * a[r]) / (1.0 - eta) for r in range(R)])

    def resid(x):
        w, G = np.exp(x[:R]), np.exp(x[R:])
        Y = income(w)
        G_rhs = [
            sum(lam[s] * (w[s] * T[s, r]) ** (1.0 - sigma) for s in range(R)) ** (1 / (1 - sigma))
            for r in range(R)
        ]
        w_rhs = [
            sum(Y[s] * G[s] ** (sigma - 1.0) * T[r, s] ** (1.0 - sigma) for s in range(R))
            ** (1.0 / sigma)
            for r in range(R)
        ]
        return np.concatenate([x[:R] - np.log(w_rhs), x[R:] - np.log(G_rhs)])

    with warnings.catch_warnings():  # "not making good progress" at machine precision
        warnings.simplefilter("ignore", RuntimeWarning)
        x = fsolve(resid, np.zeros(2 * R), xtol=1e-13)
    assert np.max(np.abs(resid(x))) < 1e-12
    w, G = np.exp(x[:R]), np.exp(x[R:])
    Y = income(w)
    omega = w / (1.0 - eta) * G ** (-mu)
    if eta > 0:
        omega = omega * (eta * Y / H) ** (-eta)
    return w, G, Y, omega


def cp_log_gap(l1: float, T: float, eta: float, sigma: float = 5.0, mu: float = 0.4) -> float:
    om = cp_ref([l1, 1.0 - l1], [0.5, 0.5], two(T), sigma, mu, eta)[3]
    return float(np.log(om[0] / om[1]))


def cp_slope(T: float, eta: float, sigma: float = 5.0, mu: float = 0.4) -> float:
    return central_slope(lambda x: cp_log_gap(x, T, eta, sigma, mu), 0.5)


def cp_core_ratio(T: float, eta: float, sigma: float = 5.0, mu: float = 0.4) -> float:
    om = cp_ref([1.0, 0.0], [0.5, 0.5], two(T), sigma, mu, eta)[3]
    return float(om[1] / om[0])


def random_state(rng: np.random.Generator, R: int):
    lam = rng.dirichlet(np.ones(R))
    a = rng.dirichlet(np.ones(R))
    T = 1.0 + rng.uniform(0.05, 1.5, (R, R))
    T = (T + T.T) / 2.0
    np.fill_diagonal(T, 1.0)
    return lam, a, T


# ---------------------------------------------------------------------------------------
# FE: footloose entrepreneur
# ---------------------------------------------------------------------------------------

FE_PARAMS = [(3.0, 0.5), (5.0, 0.4), (4.0, 0.3), (2.5, 0.6)]


@pytest.mark.parametrize(("sigma", "mu"), FE_PARAMS)
def test_fe_break_point_is_root_of_reference_slope(sigma, mu):
    T_b = brentq(lambda t: fe_slope(t, sigma, mu), 1.0001, 20.0, xtol=1e-12)
    # the even spread is unstable (positive slope) below and stable above
    assert fe_slope(T_b * 0.99, sigma, mu) > 0 > fe_slope(T_b * 1.01, sigma, mu)
    got = fe.break_point(sigma, mu)
    assert got.T == pytest.approx(T_b, rel=1e-7)
    assert got.phi == pytest.approx(T_b ** (1.0 - sigma), rel=1e-6)


@pytest.mark.parametrize(("sigma", "mu"), FE_PARAMS)
def test_fe_sustain_point_is_root_of_reference_core_ratio(sigma, mu):
    T_s = brentq(lambda t: fe_core_ratio(t, sigma, mu) - 1.0, 1.0001, 50.0, xtol=1e-13)
    assert fe_core_ratio(T_s * 0.99, sigma, mu) < 1.0 < fe_core_ratio(T_s * 1.01, sigma, mu)
    got = fe.sustain_point(sigma, mu)
    assert got.T == pytest.approx(T_s, rel=1e-9)
    assert got.phi == pytest.approx(T_s ** (1.0 - sigma), rel=1e-8)
    # agglomeration survives to higher trade costs than the even spread breaks at
    assert got.T > fe.break_point(sigma, mu).T


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_fe_random_four_region_equilibrium_satisfies_reference(seed):
    rng = np.random.default_rng(seed)
    lam, a, T = random_state(rng, 4)
    if seed == 3:  # an empty region gets the profit a firm would earn there
        lam[2] = 0.0
        lam /= lam.sum()
    sigma, mu = 4.0 + seed, 0.3 + 0.1 * seed
    pi, delta, spend, V = fe_ref(lam, a, T, sigma, mu)
    eq = fe.short_run_equilibrium(lam, a, T, sigma, mu)
    np.testing.assert_allclose(eq.wage, pi, rtol=1e-10, atol=0)
    np.testing.assert_allclose(eq.income, spend, rtol=1e-10, atol=0)
    np.testing.assert_allclose(eq.price_index, delta ** (1.0 / (1.0 - sigma)), rtol=1e-10)
    np.testing.assert_allclose(eq.real_wage, V, rtol=1e-10, atol=0)
    np.testing.assert_allclose(eq.payoff, V, rtol=1e-10, atol=0)
    # profits are 1/σ of world sales: Σ λ π = (μ/σ) Σ E
    assert float(lam @ pi) == pytest.approx(mu / sigma * spend.sum(), rel=1e-12)


@pytest.mark.parametrize(("sigma", "mu"), [(1.5, 0.5), (1.5, 0.7), (1.8, 0.9), (1.2, 0.2)])
def test_fe_black_hole_raises(sigma, mu):
    with pytest.raises(BlackHoleError, match="sigma-1"):
        fe.check_no_black_hole(sigma, mu)
    with pytest.raises(BlackHoleError):
        fe.break_point(sigma, mu)
    with pytest.raises(BlackHoleError):
        fe.sustain_point(sigma, mu)


@pytest.mark.parametrize(("sigma", "mu"), FE_PARAMS)
def test_fe_no_black_hole_passes(sigma, mu):
    assert fe.check_no_black_hole(sigma, mu) is None


def test_fe_tomahawk_unstable_pair_only_between_break_and_sustain():
    sigma, mu = 5.0, 0.4
    T_b = brentq(lambda t: fe_slope(t, sigma, mu), 1.0001, 20.0, xtol=1e-12)
    T_s = brentq(lambda t: fe_core_ratio(t, sigma, mu) - 1.0, 1.0001, 50.0, xtol=1e-13)
    assert T_b < T_s
    inside = list(np.linspace(T_b, T_s, 6)[1:-1])
    below = [1.02, 1.05, T_b * 0.98]
    above = [T_s * 1.02, 1.3, 2.0]
    grid = np.array(sorted(below + inside + above))
    points = theory.tomahawk("fe", sigma, mu, grid, n_lambda=200)
    for T in grid:
        here = [(lam, st) for t, lam, st in points if t == T]
        interior = [(lam, st) for lam, st in here if abs(lam - 0.5) > 1e-9 and 0 < lam < 1]
        sym = [st for lam, st in here if lam == 0.5]
        core = [st for lam, st in here if lam in (0.0, 1.0)]
        assert sym == [T > T_b]
        assert core == ([True, True] if T < T_s else [])
        if T_b < T < T_s:
            assert len(interior) == 2 and not any(st for _, st in interior)
            lams = sorted(lam for lam, _ in interior)
            assert lams[0] == pytest.approx(1.0 - lams[1], abs=1e-12)
            # the asymmetric equilibrium is a zero of the reference payoff gap
            ref = brentq(lambda s, T=T: fe_log_gap(s, T, sigma, mu), 0.5 + 1e-4, 1.0 - 1e-9)
            assert lams[1] == pytest.approx(ref, abs=1e-8)
        else:
            assert interior == []


def test_fe_predict_regimes_follow_reference_thresholds():
    sigma, mu = 5.0, 0.4
    T_b = fe.break_point(sigma, mu).T
    T_s = fe.sustain_point(sigma, mu).T
    assert theory.predict("fe", T_b * 0.95, sigma, mu) == "agglomerated"
    assert theory.predict("fe", (T_b + T_s) / 2, sigma, mu) == theory.PATH_DEPENDENT
    assert theory.predict("fe", T_s * 1.05, sigma, mu) == "dispersed"


# ---------------------------------------------------------------------------------------
# FC: footloose capital
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("s_e", [0.55, 0.6, 0.7])
@pytest.mark.parametrize("phi", [0.05, 0.2, 0.35, 0.5, 0.65, 0.8, 0.9])
def test_fc_equilibrium_share_matches_reference_root(s_e, phi):
    ref = fc_share(s_e, phi)
    got = fc.equilibrium_share(s_e, phi)
    assert got == pytest.approx(ref, abs=1e-12)
    # the home-market effect: the bigger market gets a more than proportional share
    assert got > s_e
    # and the mirror image for the smaller market
    assert fc.equilibrium_share(1.0 - s_e, phi) == pytest.approx(1.0 - ref, abs=1e-12)


def test_fc_even_market_gives_even_share():
    for phi in (0.1, 0.5, 0.9):
        assert fc_share(0.5, phi) == pytest.approx(0.5, abs=1e-12)
        assert fc.equilibrium_share(0.5, phi) == pytest.approx(0.5, abs=1e-12)


@pytest.mark.parametrize("s_e", [0.55, 0.6, 0.7])
def test_fc_share_rises_continuously_and_monotonically_in_phi(s_e):
    phis = np.linspace(0.0, 0.99, 400)
    shares = np.array([fc.equilibrium_share(s_e, p) for p in phis])
    ref = np.array([fc_share(s_e, p) for p in phis[1::20]])
    np.testing.assert_allclose(shares[1::20], ref, atol=1e-12)
    steps = np.diff(shares)
    assert np.all(steps >= 0)
    assert np.any(steps > 0)
    # continuity: the derivative 2(s_E - 1/2)/(1-φ)² bounds each step below the corner
    bound = 2.0 * (s_e - 0.5) / (1.0 - phis[1:]) ** 2 * (phis[1] - phis[0]) * 1.01
    assert np.all(steps <= bound)
    assert shares[0] == pytest.approx(s_e, abs=1e-12)  # φ = 0: no trade, share = market
    assert shares[-1] == 1.0


@pytest.mark.parametrize("s_e", [0.55, 0.6, 0.7, 0.9])
@pytest.mark.parametrize("sigma", [3.0, 5.0])
def test_fc_full_agglomeration_point_where_reference_share_reaches_one(s_e, sigma):
    phi_cp = brentq(lambda p: fc_gap(1.0, s_e, p, sigma), 1e-3, 0.999, xtol=1e-15, rtol=1e-15)
    got = fc.full_agglomeration_point(s_e, sigma)
    assert got.phi == pytest.approx(phi_cp, rel=1e-12)
    assert got.T == pytest.approx(phi_cp ** (1.0 / (1.0 - sigma)), rel=1e-12)
    assert fc_share(s_e, phi_cp * 0.999) < 1.0
    assert fc_share(s_e, min(phi_cp * 1.001, 0.9999)) == 1.0
    assert fc.equilibrium_share(s_e, phi_cp * 0.999) < 1.0
    assert fc.equilibrium_share(s_e, phi_cp * 1.001) == 1.0


def test_fc_full_agglomeration_point_rejects_even_market():
    with pytest.raises(ValueError, match="s_E"):
        fc.full_agglomeration_point(0.5, 5.0)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_fc_random_regions_match_reward_definition(seed):
    rng = np.random.default_rng(10 + seed)
    sigma, mu = 5.0, 0.4
    lam, a, T = random_state(rng, 4)
    phi = T ** (1.0 - sigma)
    b = mu / sigma
    E = a * (1.0 - mu) / (1.0 - b)
    delta = [sum(lam[k] * phi[k, s] for k in range(4)) for s in range(4)]
    pi = [b * sum(phi[r, s] * E[s] / delta[s] for s in range(4)) for r in range(4)]
    eq = fc.short_run_equilibrium(lam, a, T, sigma, mu)
    np.testing.assert_allclose(eq.wage, pi, rtol=1e-12)
    np.testing.assert_allclose(eq.payoff, pi, rtol=1e-12)
    np.testing.assert_allclose(eq.income, E, rtol=1e-12)
    # world expenditure: immobile income 1-μ plus profits b E_w
    assert E.sum() == pytest.approx((1.0 - mu) + float(lam @ np.array(pi)), rel=1e-12)


# ---------------------------------------------------------------------------------------
# CP with housing (congestion)
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("R", "seed", "eta"), [(3, 0, 0.05), (3, 1, 0.1), (4, 2, 0.07), (4, 3, 0.2)]
)
def test_cp_housing_random_states_match_reference(R, seed, eta):
    rng = np.random.default_rng(100 + seed)
    lam, a, T = random_state(rng, R)
    H = rng.dirichlet(np.ones(R))
    sigma, mu = 5.0, 0.4
    w, G, Y, omega = cp_ref(lam, a, T, sigma, mu, eta, H)
    eq = cp.short_run_equilibrium(lam, a, T, sigma, mu, housing_share=eta, housing=H)
    np.testing.assert_allclose(eq.wage, w, rtol=1e-9)
    np.testing.assert_allclose(eq.price_index, G, rtol=1e-9)
    np.testing.assert_allclose(eq.income, Y, rtol=1e-9)
    np.testing.assert_allclose(eq.real_wage, omega, rtol=1e-9)
    # rents ηY are part of income: Σ Y = (μ Σ λ w + 1 - μ)/(1-η)
    assert Y.sum() == pytest.approx((mu * lam @ w + 1.0 - mu) / (1.0 - eta), rel=1e-12)


def test_cp_housing_raises_rent_where_workers_crowd():
    # Same economy, more workers in region 1: its housing cost rises relative to region 2,
    # so real wages with housing favour region 1 less than without.
    lam, a, T = np.array([0.7, 0.3]), np.array([0.5, 0.5]), two(1.5)
    no = cp.short_run_equilibrium(lam, a, T, 5.0, 0.4)
    yes = cp.short_run_equilibrium(lam, a, T, 5.0, 0.4, housing_share=0.1, housing=[0.5, 0.5])
    assert yes.real_wage[0] / yes.real_wage[1] < no.real_wage[0] / no.real_wage[1]
    _, _, _, om = cp_ref(lam, a, T, 5.0, 0.4, 0.1)
    np.testing.assert_allclose(yes.real_wage, om, rtol=1e-9)


@pytest.mark.parametrize("seed", [0, 1])
def test_cp_housing_zero_reduces_to_fkv(seed):
    rng = np.random.default_rng(200 + seed)
    lam, a, T = random_state(rng, 4)
    H = rng.dirichlet(np.ones(4))
    plain = cp.short_run_equilibrium(lam, a, T, 5.0, 0.4)
    zero = cp.short_run_equilibrium(lam, a, T, 5.0, 0.4, housing_share=0.0, housing=H)
    w, _, _, omega = cp_ref(lam, a, T, 5.0, 0.4, 0.0, H)
    np.testing.assert_allclose(zero.real_wage, plain.real_wage, rtol=1e-12)
    np.testing.assert_allclose(zero.wage, w, rtol=1e-9)
    np.testing.assert_allclose(zero.real_wage, omega, rtol=1e-9)


@pytest.mark.parametrize("eta", [0.0, 0.05, 0.1])
@pytest.mark.parametrize("T", [1.05, 1.2, 1.5, 2.0])
def test_cp_symmetric_slope_matches_finite_difference(T, eta):
    assert cp.symmetric_slope(T, 5.0, 0.4, eta) == pytest.approx(cp_slope(T, eta), rel=1e-5)


def test_cp_housing_break_points_bell_shape():
    eta = 0.05
    grid = np.geomspace(1.005, 3.0, 40)
    ref = sign_change_roots(lambda t: cp_slope(t, eta), grid)
    assert len(ref) == 2
    got = cp.break_points(5.0, 0.4, eta)
    assert [b.T for b in got] == pytest.approx(ref, abs=1e-6)
    assert [b.phi for b in got] == pytest.approx([t**-4.0 for t in ref], abs=1e-5)
    # bell: stable even spread at both ends, unstable in between
    assert cp_slope(ref[0] * 0.98, eta) < 0 < cp_slope((ref[0] + ref[1]) / 2, eta)
    assert cp_slope(ref[1] * 1.02, eta) < 0


def test_cp_housing_sustain_points_bell_shape():
    eta = 0.05
    grid = np.geomspace(1.005, 3.0, 40)
    ref = sign_change_roots(lambda t: cp_core_ratio(t, eta) - 1.0, grid)
    assert len(ref) == 2
    got = cp.sustain_points(5.0, 0.4, eta)
    assert [s.T for s in got] == pytest.approx(ref, abs=1e-6)
    assert cp_core_ratio((ref[0] + ref[1]) / 2, eta) < 1.0
    assert cp_core_ratio(ref[0] * 0.99, eta) > 1.0 < cp_core_ratio(ref[1] * 1.01, eta)
    for T in (1.03, 1.3, 1.9):
        assert cp.core_ratio(T, 5.0, 0.4, eta) == pytest.approx(cp_core_ratio(T, eta), rel=1e-9)


@pytest.mark.parametrize(("sigma", "mu"), [(5.0, 0.4), (4.0, 0.3), (6.0, 0.5)])
def test_cp_numeric_break_point_equals_closed_form_without_housing(sigma, mu):
    numeric = brentq(lambda t: cp.symmetric_slope(t, sigma, mu, 0.0), 1.0001, 20.0, xtol=1e-13)
    assert numeric == pytest.approx(cp.break_point(sigma, mu).T, rel=1e-9)
    assert cp.break_points(sigma, mu, 0.0)[0].T == pytest.approx(numeric, rel=1e-9)
    ref = brentq(lambda t: cp_slope(t, 0.0, sigma, mu), 1.0001, 20.0, xtol=1e-12)
    assert numeric == pytest.approx(ref, rel=1e-7)


def test_theory_predicts_the_bell():
    eta = 0.05
    expected = {1.03: "dispersed", 1.3: "agglomerated", 1.9: "dispersed"}
    for T, regime in expected.items():
        # independently: stable even spread iff the reference slope is negative,
        # sustainable core iff the reference core ratio is below one
        sym, core = cp_slope(T, eta) < 0, cp_core_ratio(T, eta) < 1.0
        assert {(True, False): "dispersed", (False, True): "agglomerated"}[(sym, core)] == regime
        assert theory.predict("cp", T, 5.0, 0.4, eta) == regime
