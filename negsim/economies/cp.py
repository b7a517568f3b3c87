"""The core–periphery (CP) economy of Krugman (1991), in the notation of Fujita, Krugman
& Venables, *The Spatial Economy* (1999), ch. 4–5 ("FKV").

Mobile manufacturing workers (total μ, shares λ_r) produce differentiated varieties under
increasing returns; immobile farmers (total 1-μ, shares a_r, wage 1) produce a freely
traded good. Shipping a manufacture from r to s costs the iceberg factor T_rs ≥ 1. With
FKV's normalisation (F = μ/σ, c = (σ-1)/σ) firms price at the wage and the number of
firms in r equals λ_r, so the short-run (instantaneous) equilibrium is a fixed point in
the nominal wages alone. Everything here is a pure function of numpy arrays.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import brentq

from negsim.geography import two_region as two_region_costs


class EquilibriumError(RuntimeError):
    """The short-run equilibrium could not be computed (no convergence or bad input)."""


class BlackHoleError(ValueError):
    """Parameters violate the no-black-hole condition ρ = (σ-1)/σ > μ."""


@dataclass(frozen=True)
class Equilibrium:
    """A solved short-run equilibrium: one entry per region."""

    wage: np.ndarray
    price_index: np.ndarray
    income: np.ndarray
    real_wage: np.ndarray
    iterations: int
    residual: float


@dataclass(frozen=True)
class Threshold:
    """A critical transport cost, as the iceberg factor T and as trade freeness φ = T^(1-σ)."""

    T: float
    phi: float


def check_no_black_hole(sigma: float, mu: float) -> None:
    """Raise BlackHoleError unless ρ = (σ-1)/σ > μ.

    FKV ch. 5 §5.5: if μ ≥ ρ the forward and backward linkages are so strong that
    agglomeration is stable at every transport cost (the "black hole"), and the break point
    does not exist.
    """
    if not sigma > 1:
        raise BlackHoleError(f"sigma must be > 1 (got {sigma})")
    if not 0 < mu < 1:
        raise BlackHoleError(f"mu must be in (0, 1) (got {mu})")
    rho = (sigma - 1.0) / sigma
    if not mu < rho:
        raise BlackHoleError(
            f"no-black-hole condition violated: need mu < (sigma-1)/sigma = {rho:.6g} "
            f"(got sigma={sigma}, mu={mu})"
        )


def short_run_equilibrium(
    shares: np.ndarray,
    farmers: np.ndarray,
    T: np.ndarray,
    sigma: float,
    mu: float,
    *,
    wage0: np.ndarray | None = None,
    tol: float = 1e-12,
    max_iter: int = 100,
) -> Equilibrium:
    """Solve the CP short-run equilibrium for R regions with any transport-cost matrix.

    FKV (1999) ch. 5, eqs. (5.1)–(5.4)::

        Y_r = μ λ_r w_r + (1-μ) a_r                         income
        G_r = [ Σ_s λ_s (w_s T_sr)^(1-σ) ]^(1/(1-σ))        manufacturing price index
        w_r = [ Σ_s Y_s G_s^(σ-1) T_rs^(1-σ) ]^(1/σ)        wage at which firms break even
        ω_r = w_r G_r^(-μ)                                  real wage

    Solved for the wages as the fixed point w = W(w) of the first three equations by
    damped Newton steps on log-wages (analytic R×R Jacobian, step halved until the residual
    falls), warm-started from ``wage0``: matrix products only, no loop over regions.
    Converged when the largest residual |ln W(w) - ln w| is below ``tol``; raises
    EquilibriumError after ``max_iter`` iterations (never returns NaN).
    Regions without workers get the wage a firm *could* pay there (FKV's "potential" wage),
    which is what a would-be migrant compares.
    """
    lam = np.asarray(shares, dtype=float)
    a = np.asarray(farmers, dtype=float)
    phi = np.asarray(T, dtype=float) ** (1.0 - sigma)
    if lam.ndim != 1 or phi.shape != (lam.size, lam.size) or a.shape != lam.shape:
        raise EquilibriumError(
            f"shape mismatch: shares {lam.shape}, farmers {a.shape}, transport costs {phi.shape}"
        )
    if not (np.all(lam >= 0) and lam.sum() > 0):
        raise EquilibriumError("worker shares must be non-negative with a positive total")
    u = np.zeros_like(lam) if wage0 is None else np.log(np.asarray(wage0, dtype=float))
    residual, jacobian = _residual_and_jacobian(u, lam, a, phi, sigma, mu)
    iteration = 0
    while not np.max(np.abs(residual)) < tol:
        iteration += 1
        if iteration > max_iter:
            raise EquilibriumError(
                f"CP short-run equilibrium did not converge in {max_iter} Newton iterations "
                f"(log-wage residual {np.max(np.abs(residual)):.3g} > tol {tol:.3g}); "
                "raise solver.max_iter"
            )
        try:
            direction = np.linalg.solve(jacobian, -residual)
        except np.linalg.LinAlgError:
            direction = residual  # singular Jacobian: fall back to a fixed-point step
        u, residual, jacobian = _line_search(u, direction, residual, lam, a, phi, sigma, mu)
    w = np.exp(u)
    income = mu * lam * w + (1.0 - mu) * a
    price_index = (phi.T @ (lam * w ** (1.0 - sigma))) ** (1.0 / (1.0 - sigma))
    return Equilibrium(
        wage=w,
        price_index=price_index,
        income=income,
        real_wage=w * price_index ** (-mu),
        iterations=iteration,
        residual=float(np.max(np.abs(residual))),
    )


def _residual_and_jacobian(u, lam, a, phi, sigma, mu):
    """F(u) = ln W(e^u) - u for log-wages u, and its analytic Jacobian dF/du.

    W is FKV eqs. (5.1)–(5.3) composed: Y = μλw + (1-μ)a, P = G^(1-σ) = φᵀ(λ w^(1-σ)),
    B = φ (Y/P), W = B^(1/σ). Differentiating,
    dB_r/dw_k = φ_rk μ λ_k / P_k - Σ_s φ_rs (Y_s/P_s²) φ_ks (1-σ) λ_k w_k^(-σ),
    and d ln W_r / d u_k = w_k (dB_r/dw_k) / (σ B_r).
    """
    w = np.exp(u)
    income = mu * lam * w + (1.0 - mu) * a
    p = phi.T @ (lam * w ** (1.0 - sigma))
    b = phi @ (income / p)
    db_dw = phi * (mu * lam / p) - (phi * (income / p**2)) @ phi.T * (
        (1.0 - sigma) * lam * w**-sigma
    )
    jac = db_dw * w / (sigma * b)[:, None]
    jac[np.diag_indices_from(jac)] -= 1.0
    return np.log(b) / sigma - u, jac


def _line_search(u, direction, residual, lam, a, phi, sigma, mu):
    """Damped Newton: halve the step until the largest residual falls."""
    norm0 = float(np.max(np.abs(residual)))
    step = 1.0
    while step > 1e-10:
        trial = u + step * direction
        res, jac = _residual_and_jacobian(trial, lam, a, phi, sigma, mu)
        norm = float(np.max(np.abs(res)))
        if np.isfinite(norm) and norm < (1.0 - 1e-4 * step) * norm0:
            return trial, res, jac
        step *= 0.5
    raise EquilibriumError(
        f"CP short-run equilibrium: Newton line search stalled at log-wage residual {norm0:.3g}"
    )


def break_point(sigma: float, mu: float) -> Threshold:
    """Break point of the symmetric two-region CP equilibrium.

    FKV (1999) ch. 5 §5.5: the symmetric state λ = 1/2 is unstable for all trade freeness
    above φ_B = (ρ-μ)(1-μ) / ((ρ+μ)(1+μ)), ρ = (σ-1)/σ; equivalently
    T_B = φ_B^(1/(1-σ)). Exists only under the no-black-hole condition ρ > μ.
    """
    check_no_black_hole(sigma, mu)
    rho = (sigma - 1.0) / sigma
    phi_b = (rho - mu) * (1.0 - mu) / ((rho + mu) * (1.0 + mu))
    return Threshold(T=phi_b ** (1.0 / (1.0 - sigma)), phi=phi_b)


def sustain_ratio(T: float | np.ndarray, sigma: float, mu: float) -> float | np.ndarray:
    """Real wage of a would-be periphery worker relative to the core, when λ = 1.

    FKV (1999) ch. 5 §5.4: with all manufacturing in region 1,
    ω_2/ω_1 = T^(-μ) [ (1+μ)/2 · T^(1-σ) + (1-μ)/2 · T^(σ-1) ]^(1/σ).
    The core–periphery pattern is sustainable where this is below 1.
    """
    T = np.asarray(T, dtype=float)
    out = T ** (-mu) * ((1 + mu) / 2 * T ** (1 - sigma) + (1 - mu) / 2 * T ** (sigma - 1)) ** (
        1 / sigma
    )
    return float(out) if out.ndim == 0 else out


def sustain_point(sigma: float, mu: float) -> Threshold:
    """Sustain point: the transport cost T_S > 1 at which ``sustain_ratio`` reaches 1.

    FKV (1999) ch. 5 §5.4. ``sustain_ratio`` equals 1 at T = 1, falls below 1 just above
    it (its log-derivative there is -μ(1+ρ) < 0) and grows like T^(ρ-μ) → ∞ under the
    no-black-hole condition, so the root T_S > 1 is bracketed and found with Brent's method.
    """
    check_no_black_hole(sigma, mu)
    lo, hi = 1.0 + 1e-9, 2.0
    while sustain_ratio(hi, sigma, mu) <= 1.0:
        lo, hi = hi, hi * 2.0
        if hi > 1e12:
            raise EquilibriumError(f"sustain point not bracketed for sigma={sigma}, mu={mu}")
    t_s = brentq(lambda t: sustain_ratio(t, sigma, mu) - 1.0, lo, hi, xtol=1e-14, rtol=1e-14)
    return Threshold(T=t_s, phi=t_s ** (1.0 - sigma))


def real_wage_gap(lam1: float, T: float, sigma: float, mu: float, **solver) -> float:
    """ω_1 - ω_2 in the symmetric two-region economy with a share λ_1 of workers in region 1.

    Its sign drives migration in FKV's law of motion (ch. 5, dλ/dt = γ(ω_1 - ω̄)λ):
    interior long-run equilibria are its zeros, stable where it decreases in λ_1.
    """
    eq = short_run_equilibrium(
        np.array([lam1, 1.0 - lam1]),
        np.array([0.5, 0.5]),
        two_region_costs(T),
        sigma,
        mu,
        **solver,
    )
    return float(eq.real_wage[0] - eq.real_wage[1])


def tomahawk(
    sigma: float, mu: float, transport_costs: np.ndarray, n_lambda: int = 60
) -> list[tuple[float, float, bool]]:
    """Long-run equilibria (T, λ_1, stable) of the symmetric two-region CP model.

    The "tomahawk" bifurcation diagram (FKV 1999, ch. 5, fig. 5.4): the even spread λ = 1/2
    (stable above the break point), full agglomeration λ ∈ {0, 1} where it is sustainable
    (below the sustain point), and the interior asymmetric equilibria, found as sign changes
    of ``real_wage_gap`` on a λ grid refined with Brent's method (stable where the gap
    falls in λ). Asymmetric equilibria are mirrored to λ < 1/2.
    """
    check_no_black_hole(sigma, mu)
    t_break = break_point(sigma, mu).T
    grid = np.linspace(0.5, 1.0, n_lambda + 1)[1:-1]
    points: list[tuple[float, float, bool]] = []
    for T in np.asarray(transport_costs, dtype=float):
        points.append((T, 0.5, bool(T > t_break)))
        if sustain_ratio(T, sigma, mu) < 1.0:
            points += [(T, 1.0, True), (T, 0.0, True)]
        gaps = np.array([real_wage_gap(lam, T, sigma, mu) for lam in grid])
        for i in np.flatnonzero(np.sign(gaps[:-1]) * np.sign(gaps[1:]) < 0):
            lam = brentq(lambda x, T=T: real_wage_gap(x, T, sigma, mu), grid[i], grid[i + 1])
            stable = bool(gaps[i + 1] < gaps[i])
            points += [(T, lam, stable), (T, 1.0 - lam, stable)]
    return points
