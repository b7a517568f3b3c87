"""Anchors of the footloose-entrepreneur economy (Forslid & Ottaviano 2003; Baldwin et al.
2003, ch. 4): the closed-form break point and the sustain point against roots of the
model's definitions.

The independent route is ``real_rewards``: the profit equation iterated as a fixed point
(it is a contraction: each round passes on a share μ/σ < 1 of profits), not negsim's linear
solve.
"""

from __future__ import annotations

import functools

import numpy as np

from negsim.anchors.base import Anchor, root
from negsim.economies import fe
from negsim.geography import two_region

STEP = 1e-4
SOURCE = "Forslid & Ottaviano (2003); Baldwin et al. (2003) ch. 4"


def real_rewards(lam1: float, T: float, sigma: float, mu: float) -> np.ndarray:
    """V_r = π_r Δ_r^(μ/(σ-1)) of two regions with unskilled labour 1/2 each:
    Δ_s = Σ_k λ_k φ_ks, E_s = (1-μ)/2 + λ_s π_s, π_r = (μ/σ) Σ_s φ_rs E_s/Δ_s, the last
    iterated from π = 0 until it moves less than 1e-16."""
    lam = np.array([lam1, 1.0 - lam1])
    phi = two_region(T) ** (1.0 - sigma)
    delta = phi.T @ lam
    profit = np.zeros(2)
    for _ in range(10_000):
        new = mu / sigma * phi @ (((1.0 - mu) / 2.0 + lam * profit) / delta)
        if np.max(np.abs(new - profit)) < 1e-16:
            return new * delta ** (mu / (sigma - 1.0))
        profit = new
    raise RuntimeError("independent FE fixed point did not converge")


@functools.cache
def break_by_root(sigma: float, mu: float) -> float:
    def slope(T: float) -> float:
        v = real_rewards(0.5 + STEP, T, sigma, mu)
        return float(np.log(v[0] / v[1])) / STEP

    return root(slope, 1.001, 20.0)


@functools.cache
def sustain_by_root(sigma: float, mu: float) -> float:
    def excess(T: float) -> float:
        v = real_rewards(1.0, T, sigma, mu)
        return float(v[1] / v[0] - 1.0)

    return root(excess, 1.001, 20.0)


def _anchors(sigma: float, mu: float) -> tuple[Anchor, ...]:
    label = f"σ={sigma:g}, μ={mu:g}"
    return (
        Anchor(
            f"fe break point T_B ({label}): closed form vs root-find",
            f"{SOURCE}: φ_B = (σ-μ)(σ-1-μ)/((σ+μ)(σ-1+μ))",
            lambda: break_by_root(sigma, mu),
            lambda: fe.break_point(sigma, mu).T,
            1e-7,
            "fe",
        ),
        Anchor(
            f"fe sustain point T_S ({label}): negsim vs root-find",
            f"{SOURCE}: V_2/V_1 = 1 at λ = 1",
            lambda: sustain_by_root(sigma, mu),
            lambda: fe.sustain_point(sigma, mu).T,
            1e-7,
            "fe",
        ),
    )


ANCHORS: tuple[Anchor, ...] = (*_anchors(5.0, 0.4), *_anchors(3.0, 0.3), *_anchors(8.0, 0.2))
