"""Anchors of the footloose-capital economy (Martin & Rogers 1995; Baldwin et al. 2003,
ch. 3): the home-market effect and the full-agglomeration point, against roots of the
model's definitions (``rewards``: capital's reward written out for two regions, world
expenditure by iteration)."""

from __future__ import annotations

import numpy as np

from negsim.anchors.base import Anchor, root
from negsim.economies import fc

SOURCE = "Baldwin et al. (2003) ch. 3, home-market effect"


def rewards(lam1: float, phi: float, s_e: float, sigma: float, mu: float) -> np.ndarray:
    """Capital's reward π_r = b Σ_s φ_rs E_s/Δ_s (b = μ/σ), Δ_s = Σ_k λ_k φ_ks, two regions
    holding shares (s_E, 1-s_E) of expenditure; world expenditure E_w = (1-μ) + b E_w found
    by iteration."""
    b = mu / sigma
    world = 0.0
    for _ in range(10_000):
        new = (1.0 - mu) + b * world
        if abs(new - world) < 1e-16:
            break
        world = new
    spend = world * np.array([s_e, 1.0 - s_e])
    lam = np.array([lam1, 1.0 - lam1])
    mix = np.array([[1.0, phi], [phi, 1.0]])
    return b * mix @ (spend / (mix.T @ lam))


def share_by_root(s_e: float, T: float, sigma: float, mu: float) -> float:
    phi = T ** (1.0 - sigma)

    def gap(lam1: float) -> float:
        r = rewards(lam1, phi, s_e, sigma, mu)
        return float(r[0] - r[1])

    return root(gap, 0.5, 1.0 - 1e-9)


def full_point_by_root(s_e: float, sigma: float, mu: float) -> float:
    """φ below 1 at which a first unit of capital in region 2 earns what the core does."""

    def gap(phi: float) -> float:
        r = rewards(1.0, phi, s_e, sigma, mu)
        return float(r[1] / r[0] - 1.0)

    return root(gap, 1e-3, 1.0 - 1e-6)


ANCHORS: tuple[Anchor, ...] = tuple(
    a
    for s_e, T in ((0.6, 1.5), (0.55, 1.2), (0.7, 2.5))
    for a in (
        Anchor(
            f"fc share of firms s_n (s_E={s_e:g}, T={T:g}, σ=5): closed form vs root-find",
            f"{SOURCE}: s_n = 1/2 + (1+φ)/(1-φ)(s_E - 1/2)",
            lambda s_e=s_e, T=T: share_by_root(s_e, T, 5.0, 0.4),
            lambda s_e=s_e, T=T: fc.equilibrium_share(s_e, T ** (1.0 - 5.0)),
            1e-9,
            "fc",
        ),
        Anchor(
            f"fc full-agglomeration point φ_CP (s_E={s_e:g}): closed form vs root-find",
            f"{SOURCE}: φ_CP = (1-s_E)/s_E",
            lambda s_e=s_e: full_point_by_root(s_e, 5.0, 0.4),
            lambda s_e=s_e: fc.full_agglomeration_point(s_e, 5.0).phi,
            1e-9,
            "fc",
        ),
    )
)
