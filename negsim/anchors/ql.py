"""Anchors of the quasi-linear economy (Pflüger 2004, RSUE 34, 565–573): the break point, the
sustain point and a point of the supercritical pitchfork's interior branch.

The independent route is ``utilities``: a skilled worker's utility in each of two regions
computed from the paper's definitions — firms' sales to each market under CES demand,
operating profit as revenue/σ, and the consumer's optimal bundle under U = μ ln C_M + C_A
evaluated in U itself — with thresholds and the branch found by scipy's brentq; none of
``negsim.economies.ql``'s reduced forms.
"""

from __future__ import annotations

import functools
import math

import numpy as np

from negsim.anchors.base import Anchor, root
from negsim.economies import ql

STEP = 1e-4  # λ step of the central difference
SOURCE = "Pflüger (2004) RSUE 34"


def utilities(lam1: float, T: float, sigma: float, mu: float) -> np.ndarray:
    """(U_1, U_2) of a skilled worker in each of two regions (unskilled 1-μ split evenly,
    skilled μ, one skilled worker per firm)::

        n_k = μλ_k, mill price 1 (wage 1, marginal input (σ-1)/σ), delivered price T_ks
        G_s^(1-σ) = Σ_k n_k T_ks^(1-σ),  E_s = μ N_s (C_M = μ/G whatever the income)
        x_rs = T_rs^(-σ) E_s G_s^(σ-1) (shipped T_rs x_rs),  w_r = Σ_s T_rs x_rs / σ
        U_r = μ ln C_M + C_A at C_M = μ/G_r, C_A = w_r - μ (spending G C_M = μ).
    """
    lam = np.array([lam1, 1.0 - lam1])
    cost = np.array([[1.0, T], [T, 1.0]])
    firms = mu * lam
    g = (cost ** (1.0 - sigma)).T @ firms
    G = g ** (1.0 / (1.0 - sigma))
    spend = mu * (firms + (1.0 - mu) / 2.0)
    shipped = cost ** (-sigma) * (spend * G ** (sigma - 1.0))[None, :]
    wage = np.sum(cost * shipped, axis=1) / sigma
    c_m = mu / G
    return mu * np.log(c_m) + (wage - G * c_m)


def _gap(lam1: float, T: float, sigma: float, mu: float) -> float:
    u = utilities(lam1, T, sigma, mu)
    return float(u[0] - u[1])


@functools.cache
def break_by_root(sigma: float, mu: float) -> float:
    """T where d(U_1-U_2)/dλ_1 at the even spread changes sign (central difference)."""
    return root(lambda t: _gap(0.5 + STEP, t, sigma, mu) / STEP, 1.0001, 30.0)


@functools.cache
def sustain_by_root(sigma: float, mu: float) -> float:
    """T where a skilled worker moving to the empty region gets the core's utility."""
    return root(lambda t: _gap(1.0, t, sigma, mu), 1.0001, 30.0)


@functools.cache
def inside(sigma: float, mu: float) -> float:
    """A transport cost between the two thresholds (their geometric mean, by root-find)."""
    return math.sqrt(break_by_root(sigma, mu) * sustain_by_root(sigma, mu))


@functools.cache
def branch_by_root(sigma: float, mu: float) -> float:
    """The partial agglomeration λ* in (1/2, 1) where U_1 = U_2 at ``inside``'s T."""
    from scipy.optimize import brentq

    T = inside(sigma, mu)
    return float(brentq(lambda x: _gap(x, T, sigma, mu), 0.5 + 1e-6, 1.0, xtol=1e-15))


def negsim_branch(sigma: float, mu: float) -> float:
    return float(ql.interior_share(inside(sigma, mu) ** (1.0 - sigma), sigma, mu)[0])


def _anchors(sigma: float, mu: float) -> tuple[Anchor, ...]:
    label = f"σ={sigma:g}, μ={mu:g}"
    return (
        Anchor(
            f"ql break point T_B ({label}): closed form vs root-find",
            f"{SOURCE}: φ_B = ((σ-1)ℓ-σ)/((σ-1)ℓ+3σ-2), ℓ = (1-μ)/μ",
            lambda: break_by_root(sigma, mu),
            lambda: ql.break_point(sigma, mu).T,
            1e-6,
            "ql",
        ),
        Anchor(
            f"ql sustain point T_S ({label}): negsim vs root-find",
            f"{SOURCE}: (σ-1)[(1+μ)φ²-2φ+1-μ] + 2σμφ ln φ = 0",
            lambda: sustain_by_root(sigma, mu),
            lambda: ql.sustain_point(sigma, mu).T,
            1e-8,
            "ql",
        ),
        Anchor(
            f"ql pitchfork branch λ* at T=√(T_B·T_S) ({label}): negsim vs root-find",
            f"{SOURCE}: supercritical pitchfork, V_1 = V_2 inside (T_S, T_B)",
            lambda: branch_by_root(sigma, mu),
            lambda: negsim_branch(sigma, mu),
            1e-8,
            "ql",
        ),
    )


ANCHORS: tuple[Anchor, ...] = (*_anchors(5.0, 0.3), *_anchors(4.0, 0.2), *_anchors(8.0, 0.4))
