"""Anchors of the core–periphery economy with vertical linkages (Krugman & Venables 1995;
Fujita, Krugman & Venables 1999, ch. 14): the break point and the sustain point.

negsim's closed forms were derived here from FKV ch. 14's equations (its wage pinned by a
constant-returns agriculture), not quoted from the book, and the sources say so. The
independent route is ``wages``: the model's primitives written out afresh — firms with a
fixed input F (σF(1-α) = μ) and marginal input (σ-1)/σ of a bundle costing
c_r = w_r^(1-α) G_r^α, labour clearing, consumers' and firms' spending on varieties, the
price index and zero profit — solved by scipy's MINPACK hybrid method (no analytic
Jacobian, none of ``negsim.economies.cpvl``), thresholds as sign changes found by brentq.
"""

from __future__ import annotations

import functools

import numpy as np

from negsim.anchors.base import Anchor, root
from negsim.economies import cpvl

STEP = 1e-4  # λ step of the central difference
SOURCE = "derived here from FKV (1999) ch. 14's equations (KV 1995)"


def wages(lam: np.ndarray, a: np.ndarray, T: np.ndarray, sigma: float, mu: float, alpha: float):
    """The industrial wages of ``equilibrium``."""
    return equilibrium(lam, a, T, sigma, mu, alpha)[0]


def equilibrium(
    lam: np.ndarray, a: np.ndarray, T: np.ndarray, sigma: float, mu: float, alpha: float
) -> tuple[np.ndarray, np.ndarray]:
    """(w, G): industrial wages and price indices of KV (1995) / FKV ch. 14 for R regions
    (labour a_r, share λ_r of the world's industrial labour μ; an empty region's wage is what
    a first firm could pay):

        c_r = w_r^(1-α) G_r^α,  n_r = μλ_r w_r / ((1-α) c_r σF),  σF = μ/(1-α)
        Y_s = (a_s - μλ_s)·1 + μλ_s w_s,  E_s = μY_s + α n_s c_s σF
        G_s^(1-σ) = Σ_r n_r (c_r T_rs)^(1-σ),  Σ_s c_r^(-σ) T_rs^(1-σ) E_s G_s^(σ-1) = σF.
    """
    from scipy.optimize import root as solve

    lam, a = np.asarray(lam, dtype=float), np.asarray(a, dtype=float)
    phi = np.asarray(T, dtype=float) ** (1.0 - sigma)
    R, sf = lam.size, mu / (1.0 - alpha)

    def residuals(x: np.ndarray) -> np.ndarray:
        w, G = np.exp(x[:R]), np.exp(x[R:])
        c = w ** (1.0 - alpha) * G**alpha
        n = mu * lam * w / ((1.0 - alpha) * c * sf)
        E = mu * ((a - mu * lam) + mu * lam * w) + alpha * n * c * sf
        index = np.log(phi.T @ (n * c ** (1.0 - sigma))) / (1.0 - sigma) - x[R:]
        sales = np.log(c ** (-sigma) * (phi @ (E * G ** (sigma - 1.0))) / sf)
        return np.concatenate([index, sales])

    sol = solve(residuals, np.zeros(2 * R), method="hybr", tol=1e-15)
    if np.max(np.abs(residuals(sol.x))) > 1e-12:
        raise RuntimeError("independent CPVL solve did not converge")
    return np.exp(sol.x[:R]), np.exp(sol.x[R:])


def _gap(lam1: float, T: float, sigma: float, mu: float, alpha: float) -> float:
    """ln(w_1/w_2) of two regions of labour 1/2 each."""
    w = wages(np.array([lam1, 1.0 - lam1]), np.array([0.5, 0.5]), np.array([[1.0, T], [T, 1.0]]),
              sigma, mu, alpha)  # fmt: skip
    return float(np.log(w[0] / w[1]))


@functools.cache
def break_by_root(sigma: float, mu: float, alpha: float) -> float:
    """T where the central-difference slope of ln(w_1/w_2) in λ_1 at the even spread changes
    sign (the gap is odd about 1/2, so the slope is gap(1/2 + h)/h)."""
    return root(lambda t: _gap(0.5 + STEP, t, sigma, mu, alpha) / STEP, 1.001, 30.0)


@functools.cache
def sustain_by_root(sigma: float, mu: float, alpha: float) -> float:
    """T where a first firm in the empty region could pay the core's wage (λ = (1, 0))."""
    return root(lambda t: -_gap(1.0, t, sigma, mu, alpha), 1.001, 30.0)


def _anchors(sigma: float, mu: float, alpha: float) -> tuple[Anchor, ...]:
    label = f"σ={sigma:g}, μ={mu:g}, α={alpha:g}"
    return (
        Anchor(
            f"cpvl break point T_B ({label}): closed form vs root-find",
            f"{SOURCE}: φ_B = (1-α)(σ(1-α)-1)/((1+α)(σ(1+α)-1))",
            lambda: break_by_root(sigma, mu, alpha),
            lambda: cpvl.break_point(sigma, mu, alpha).T,
            1e-6,
            "cpvl",
        ),
        Anchor(
            f"cpvl sustain point T_S ({label}): negsim vs root-find",
            f"{SOURCE}: φ^(ασ/(σ-1))[(1+α)φ + (1-α)/φ]/2 = 1",
            lambda: sustain_by_root(sigma, mu, alpha),
            lambda: cpvl.sustain_point(sigma, mu, alpha).T,
            1e-8,
            "cpvl",
        ),
    )


ANCHORS: tuple[Anchor, ...] = (
    *_anchors(5.0, 0.4, 0.3),
    *_anchors(3.0, 0.2, 0.4),
    *_anchors(8.0, 0.3, 0.2),
)
