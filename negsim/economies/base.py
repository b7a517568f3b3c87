"""What every economy's short-run equilibrium returns, its errors, and the generic
two-region bifurcation (tomahawk) scan."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.optimize import brentq


class EquilibriumError(RuntimeError):
    """The short-run equilibrium could not be computed (no convergence or bad input)."""


class BlackHoleError(ValueError):
    """Parameters for which agglomeration is stable at every transport cost."""


@dataclass(frozen=True)
class Equilibrium:
    """A solved short-run equilibrium: one entry per region.

    ``wage`` is the nominal reward of the mobile factor (wage in cp, entrepreneur's or
    capital's operating profit in fe/fc), ``real_wage`` that reward deflated by the local
    cost of living, and ``payoff`` what the mobile factor compares when it decides where to
    go (the real wage in cp and fe; the nominal reward in fc, whose owners stay put).
    """

    wage: np.ndarray
    price_index: np.ndarray
    income: np.ndarray
    real_wage: np.ndarray
    payoff: np.ndarray
    iterations: int = 0
    residual: float = 0.0
    potential_wage: np.ndarray | None = None
    """cp with given firm masses: the wage a first entering firm would pay, equal to
    ``wage`` except where workers have no operating firm (there ``wage`` is 0)."""


@dataclass(frozen=True)
class Threshold:
    """A critical transport cost, as the iceberg factor T and as trade freeness φ = T^(1-σ)."""

    T: float
    phi: float


def as_inputs(
    shares: np.ndarray, immobile: np.ndarray, T: np.ndarray, sigma: float, economy: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(λ, a, φ = T^(1-σ)) as float arrays, checked: λ ≥ 0 with a positive total, T R×R."""
    lam = np.asarray(shares, dtype=float)
    a = np.asarray(immobile, dtype=float)
    phi = np.asarray(T, dtype=float) ** (1.0 - sigma)
    if lam.ndim != 1 or phi.shape != (lam.size, lam.size) or a.shape != lam.shape:
        raise EquilibriumError(
            f"{economy}: shape mismatch: shares {lam.shape}, immobile {a.shape}, "
            f"transport costs {phi.shape}"
        )
    if not (np.all(lam >= 0) and lam.sum() > 0):
        raise EquilibriumError(f"{economy}: shares must be non-negative with a positive total")
    return lam, a, phi


def tomahawk_scan(
    gap: Callable[[float, float], float],
    core_sustainable: Callable[[float], bool],
    symmetric_stable: Callable[[float], bool],
    transport_costs: np.ndarray,
    n_lambda: int = 60,
) -> list[tuple[float, float, bool]]:
    """Long-run equilibria (T, λ_1, stable) of a symmetric two-region economy.

    ``gap(λ_1, T)`` is the payoff difference between region 1 and region 2 (what drives
    migration). The even spread λ = 1/2 is always an equilibrium; full agglomeration
    λ ∈ {0, 1} is one where ``core_sustainable(T)``; interior asymmetric equilibria are the
    sign changes of the gap on a λ grid refined with Brent's method, stable where the gap
    falls in λ, mirrored to λ < 1/2.
    """
    grid = np.linspace(0.5, 1.0, n_lambda + 1)[1:-1]
    points: list[tuple[float, float, bool]] = []
    for T in np.asarray(transport_costs, dtype=float):
        points.append((T, 0.5, bool(symmetric_stable(T))))
        if core_sustainable(T):
            points += [(T, 1.0, True), (T, 0.0, True)]
        gaps = np.array([gap(lam, T) for lam in grid])
        for i in np.flatnonzero(np.sign(gaps[:-1]) * np.sign(gaps[1:]) < 0):
            lam = brentq(lambda x, T=T: gap(x, T), grid[i], grid[i + 1])
            stable = bool(gaps[i + 1] < gaps[i])
            points += [(T, lam, stable), (T, 1.0 - lam, stable)]
    return points


def roots_in(f: Callable[[float], float], lo: float, hi: float, n: int = 400) -> list[float]:
    """All sign changes of f on a log-spaced grid of (lo, hi), refined with Brent's method."""
    xs = np.geomspace(lo, hi, n)
    ys = np.array([f(x) for x in xs])
    return [
        brentq(f, xs[i], xs[i + 1], xtol=1e-13, rtol=1e-13)
        for i in np.flatnonzero(np.sign(ys[:-1]) * np.sign(ys[1:]) < 0)
    ]
