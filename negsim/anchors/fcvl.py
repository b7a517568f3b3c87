"""Anchors of the footloose-capital economy with vertical linkages (Robert-Nicoud 2002;
Baldwin et al. 2003, ch. 8): the break point and the sustain point.

The independent route is ``rewards``: capital's reward written out for two regions from
the model's definitions and solved by plain fixed-point iteration (the price indices first,
a contraction of modulus α; then the rewards, which pass on a share c = α(σ-1)/σ < 1 of
themselves as input spending), not negsim's Newton steps and linear solve; thresholds as
sign changes found by scipy's brentq.
"""

from __future__ import annotations

import functools

import numpy as np

from negsim.anchors.base import Anchor, root
from negsim.economies import fcvl

STEP = 1e-4  # λ step of the central difference
SOURCE = "Robert-Nicoud (2002); Baldwin et al. (2003) ch. 8"


def rewards(lam1: float, phi: float, sigma: float, alpha: float) -> np.ndarray:
    """(π_1, π_2) of two regions holding half the capital owners and workers each.

    Firms price at marginal cost p_r = G_r^α (labour's wage 1, Cobb–Douglas bundle of labour
    and the varieties' composite, share α), so with Δ_s = G_s^(1-σ)::

        Δ_s = Σ_k λ_k φ_ks Δ_k^(α)                 (p_k^(1-σ) = Δ_k^α)
        E_s = 1/2 + α(σ-1) λ_s π_s                  consumers (scale irrelevant) + inputs
        π_r = (1/σ) Δ_r^α Σ_s φ_rs E_s / Δ_s        operating profit = revenue/σ

    (a firm's input bill is α times its variable cost, (σ-1)π). An empty region's π is what
    a first firm would earn there."""
    lam = np.array([lam1, 1.0 - lam1])
    mix = np.array([[1.0, phi], [phi, 1.0]])
    delta = np.ones(2)
    for _ in range(100_000):
        new = mix.T @ (lam * delta**alpha)
        if np.max(np.abs(new / delta - 1.0)) < 1e-16:
            break
        delta = new
    profit = np.zeros(2)
    for _ in range(100_000):
        spend = 0.5 + alpha * (sigma - 1.0) * lam * profit
        new = delta**alpha * (mix @ (spend / delta)) / sigma
        if np.max(np.abs(new - profit)) < 1e-16:
            return new
        profit = new
    raise RuntimeError("independent FCVL fixed point did not converge")


def _gap(lam1: float, T: float, sigma: float, alpha: float) -> float:
    r = rewards(lam1, T ** (1.0 - sigma), sigma, alpha)
    return float(np.log(r[0] / r[1]))


@functools.cache
def break_by_root(sigma: float, alpha: float) -> float:
    """T where d ln(π_1/π_2)/dλ_1 at the even spread changes sign (central difference; the
    gap is odd about 1/2)."""
    return root(lambda t: _gap(0.5 + STEP, t, sigma, alpha) / STEP, 1.0001, 30.0)


@functools.cache
def sustain_by_root(sigma: float, alpha: float) -> float:
    """T where a first firm in the empty region earns what the core's firms do."""
    return root(lambda t: -_gap(1.0, t, sigma, alpha), 1.0001, 30.0)


def _anchors(sigma: float, alpha: float) -> tuple[Anchor, ...]:
    label = f"σ={sigma:g}, α={alpha:g}"
    return (
        Anchor(
            f"fcvl break point T_B ({label}): closed form vs root-find",
            f"{SOURCE} (α = μ; any α derived here): φ_B = (1-α)(1-c)/((1+α)(1+c)), c = α(σ-1)/σ",
            lambda: break_by_root(sigma, alpha),
            lambda: fcvl.break_point(sigma, alpha).T,
            1e-6,
            "fcvl",
        ),
        Anchor(
            f"fcvl sustain point T_S ({label}): negsim vs root-find",
            f"{SOURCE}: φ^α[(1+c)φ + (1-c)/φ]/2 = 1",
            lambda: sustain_by_root(sigma, alpha),
            lambda: fcvl.sustain_point(sigma, alpha).T,
            1e-8,
            "fcvl",
        ),
    )


ANCHORS: tuple[Anchor, ...] = (*_anchors(5.0, 0.4), *_anchors(3.0, 0.3), *_anchors(8.0, 0.6))
