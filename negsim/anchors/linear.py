"""Anchors of the linear economy (Ottaviano, Tabuchi & Thisse 2002, IER 43(2), 409–435): the
threshold τ* (break point = sustain point) and the trade threshold τ_trade.

The independent route is ``markets``: two regions' markets worked out from OTT's eq. (1)
afresh — the consumer's inverse demand p = α - (β-γ)q - γQ from the utility's first-order
condition, each firm's delivered price maximising (p - τ)q against it, the price index by
fixed-point iteration — and the skilled workers' utility as consumer surplus plus operating
profit; τ* and τ_trade by scipy's brentq, none of ``negsim.economies.linear``'s coefficients
(a, b, c) or closed forms.
"""

from __future__ import annotations

import functools

import numpy as np

from negsim.anchors.base import Anchor, root
from negsim.economies import linear

SOURCE = "Ottaviano, Tabuchi & Thisse (2002) IER 43(2)"
LAMBDA = 0.75  # where the utility gap is read (any λ ≠ 1/2)


def markets(lam1: float, tau: float, d: linear.Demand) -> tuple[np.ndarray, np.ndarray]:
    """(V, margins) of two regions (unskilled A/2 each, skilled L λ_r, one firm each) with
    every pair trading: V_r = CS_r + π_r the skilled utility in r, margins[r, s] = p_rs - τ_rs.

        q_rs = (α - p_rs - γQ_s)/(β-γ),  Q_s = Σ_r n_r q_rs = (αN - P_s)/(β-γ+γN)
        p_rs = (α - γQ_s + τ_rs)/2,      P_s = Σ_r n_r p_rs
        π_r = Σ_s M_s (p_rs - τ_rs) q_rs,  M_s = Lλ_s + A/2
        CS_s = αQ_s - (β-γ)/2 Σ_r n_r q_rs² - γ/2 Q_s² - Σ_r n_r p_rs q_rs.
    """
    lam = np.array([lam1, 1.0 - lam1])
    n, N = d.L * lam, d.L
    tau_m = np.array([[0.0, tau], [tau, 0.0]])
    spread = d.beta - d.gamma
    P = np.zeros(2)
    for _ in range(10_000):
        Q = (d.alpha * N - P) / (spread + d.gamma * N)
        price = (d.alpha - d.gamma * Q[None, :] + tau_m) / 2.0
        new = n @ price
        if np.max(np.abs(new - P)) < 1e-15 * max(1.0, np.max(np.abs(new))):
            break
        P = new
    q = (d.alpha - price - d.gamma * Q[None, :]) / spread
    margin = price - tau_m
    profit = (margin * q) @ (d.L * lam + d.A / 2.0)
    Qs = n @ q
    surplus = d.alpha * Qs - spread / 2.0 * (n @ q**2) - d.gamma / 2.0 * Qs**2 - n @ (price * q)
    return surplus + profit, margin


@functools.cache
def trade_by_root(d: linear.Demand) -> float:
    """τ where, with every firm in region 1, a firm starting up in region 2 could no longer
    sell in region 1 (the most competitive market): its margin p_21 - τ vanishes."""
    return root(lambda t: float(markets(1.0, t, d)[1][1, 0]), 1e-6 * d.alpha, d.alpha)


@functools.cache
def threshold_by_root(d: linear.Demand) -> float:
    """τ in (0, τ_trade) where V_1 - V_2 at λ_1 = 0.75 changes sign."""

    def gap(t: float) -> float:
        v = markets(LAMBDA, t, d)[0]
        return float(v[0] - v[1])

    trade = trade_by_root(d)
    return root(gap, 1e-6 * trade, trade * (1.0 - 1e-9))


def _anchors(economy: linear.LinearEconomy, mu: float) -> tuple[Anchor, ...]:
    d = economy.demand(mu)
    label = f"α={d.alpha:g}, β={d.beta:g}, γ={d.gamma:g}, L={d.L:g}, A={d.A:g}"
    return (
        Anchor(
            f"linear threshold τ* ({label}): closed form vs root-find",
            f"{SOURCE}: τ* = 4a(3b+2cL)/(6b²+6bcL+2bcA+c²L(A+L))",
            lambda: threshold_by_root(d),
            lambda: linear.break_point(d),
            1e-9,
            "linear",
        ),
        Anchor(
            f"linear trade threshold τ_trade ({label}): closed form vs root-find",
            f"{SOURCE}: τ_trade = 2a/(2b+cL)",
            lambda: trade_by_root(d),
            lambda: linear.trade_threshold(d),
            1e-9,
            "linear",
        ),
    )


ANCHORS: tuple[Anchor, ...] = (
    *_anchors(linear.ECONOMY, 0.1),
    *_anchors(linear.ECONOMY, 0.2),
    *_anchors(linear.LinearEconomy(alpha=2.0, beta=1.5, gamma=0.3, population=50.0), 0.15),
)
