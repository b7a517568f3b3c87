"""Stability of the even spread on the racetrack economy, one Fourier mode at a time.

R equidistant places on a circle (Krugman 1993; FKV 1999, ch. 6), neighbours a transport
cost T apart (T_rs = T^(steps between r and s)). At the even spread λ = 1/R the matrix
J = d ln ω / d λ is circulant, so its eigenvectors are the Fourier modes cos(2π k r / R):
mode k is a pattern of k evenly spaced clusters. Near the even spread the agents' mean
flow is dλ_r/dt ∝ ln ω_r - mean(ln ω) (see ``negsim.rules``), whose growth rate for mode
k ≥ 1 is the eigenvalue ν_k = Σ_j J_0j cos(2π j k / R). As T falls the even spread first
loses stability through the mode whose ν_k crosses zero first — k = R/2 for the CP model,
the "spatial period doubling" of Akamatsu, Takayama & Ikeda (2012) — and the fastest
growing mode predicts how many agglomerations emerge.

Any economy of the registry: J = d ln payoff / dλ (what its agents compare), analytic where
the economy has it (``Economy.payoff_jacobian``: cp's ``log_real_wage_jacobian``, fe, fc),
else by central differences of its short-run equilibrium. With two places the racetrack is
the two-region model, so the critical T is the economy's break point (tested for every
economy).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from negsim import economies
from negsim.economies.base import Economy, brentq, check_sigma, check_trade_freeness
from negsim.geography import racetrack
from negsim.stability import ln_payoff


class NeverBreaks(ValueError):
    """The even spread stays stable at every transport cost down to T = 1 (fc: no circular
    causality), so there is no critical transport cost."""


@dataclass(frozen=True)
class RacetrackStability:
    """Growth rates ν_k of modes k = 1..R/2 at transport cost T, the fastest mode (None
    where all rates tie, as at T = 1), and the critical transport cost below which the
    even spread is unstable and its mode (both None where it never breaks)."""

    regions: int
    transport_cost: float
    growth_rates: dict[int, float]
    fastest_mode: int | None
    critical_transport_cost: float | None
    critical_mode: int | None

    def as_dict(self) -> dict:
        return {
            "regions": self.regions,
            "transport_cost": self.transport_cost,
            "growth_rates": {str(k): v for k, v in self.growth_rates.items()},
            "fastest_mode": self.fastest_mode,
            "critical_transport_cost": self.critical_transport_cost,
            "critical_mode": self.critical_mode,
        }


def growth_rates(
    regions: int,
    T: float,
    sigma: float,
    mu: float,
    housing_share: float = 0.0,
    economy: str | Economy = "cp",
) -> np.ndarray:
    """ν_k for k = 1..R//2: eigenvalues of d ln payoff/dλ at the even spread, mode by mode.

    J is the economy's analytic Jacobian (for cp ``cp.log_real_wage_jacobian``, implicit
    differentiation of FKV's equilibrium) or, where it has none, ``_first_row``; being
    symmetric and circulant, its eigenvalues are the real DFT of a row.
    """
    econ = economies.get(economy)
    J = _analytic_jacobian(econ, regions, T, sigma, mu, housing_share)
    row = J[0] if J is not None else _first_row(econ, regions, T, sigma, mu, housing_share)
    spectrum = np.fft.fft(row).real
    return spectrum[1 : regions // 2 + 1]


def _analytic_jacobian(
    economy: Economy, regions: int, T: float, sigma: float, mu: float, eta: float
) -> np.ndarray | None:
    """The economy's analytic d ln payoff/dλ at the even spread (``Economy.payoff_jacobian``:
    cp's ``log_real_wage_jacobian``, fe's and fc's), or None where it has none."""
    even = np.full(regions, 1.0 / regions)
    return economy.payoff_jacobian(even, even, racetrack(regions, T), sigma, mu, housing_share=eta)


def _first_row(
    economy: Economy, regions: int, T: float, sigma: float, mu: float, eta: float, h: float = 1e-5
) -> np.ndarray:
    """d ln payoff_0 / d λ_j at the even spread by central differences (error O(h²)): one
    row is the whole circulant J."""
    even = np.full(regions, 1.0 / regions)
    solve = economy.solver(even, racetrack(regions, T), sigma, mu, housing_share=eta)
    row = np.empty(regions)
    for j in range(regions):
        up, down = even.copy(), even.copy()
        up[j] += h
        down[j] -= h
        row[j] = (ln_payoff(solve(up))[0] - ln_payoff(solve(down))[0]) / (2.0 * h)
    return row


FD_NOISE = 1e-8
"""Growth rates from central differences below this are indistinguishable from 0 (the
rounding error of a difference of ln payoffs over 2h = 2e-5 is about 1e-11)."""

EXACT_NOISE = 1e-12
"""Growth rates from an analytic Jacobian closer than this tie (rounding: ~1e-16 at T = 1)."""


def _exact(economy: Economy, regions: int, sigma: float, mu: float, eta: float) -> bool:
    """Does the economy have an analytic Jacobian (else: central differences)?"""
    return _analytic_jacobian(economy, regions, 2.0, sigma, mu, eta) is not None


def fastest_mode(rates: np.ndarray, noise: float) -> int | None:
    """The mode k (1-based) with the largest growth rate, or None where no mode stands out:
    all rates within ``noise`` of each other (as at T = 1, where every rate is 0)."""
    rates = np.asarray(rates, dtype=float)
    if np.ptp(rates) <= noise and (rates.size > 1 or abs(rates[0]) <= noise):
        return None
    return int(np.argmax(rates)) + 1


def critical_transport_cost(
    regions: int,
    sigma: float,
    mu: float,
    housing_share: float = 0.0,
    economy: str | Economy = "cp",
) -> tuple[float, int]:
    """The largest T at which some mode's growth rate reaches zero, and that mode.

    Scans T downwards on a geometric grid from a T at which the even spread is stable,
    then refines the first crossing of max_k ν_k with Brent's method. Growth rates from
    central differences count as positive only above ``FD_NOISE`` (near T = 1 every rate
    tends to 0 and rounding would otherwise read as a crossing).
    """
    econ = economies.get(economy)
    noise = 0.0 if _exact(econ, regions, sigma, mu, housing_share) else FD_NOISE

    def top(t: float) -> float:
        return float(growth_rates(regions, t, sigma, mu, housing_share, economy).max())

    hi = 2.0
    while top(hi) >= 0.0:
        hi = 1.0 + 2.0 * (hi - 1.0)
        if hi > 1e6:
            raise ValueError("the even spread is unstable at every transport cost tried")
    grid = 1.0 + (hi - 1.0) * np.geomspace(1.0, 1e-4, 400)
    values = [top(t) for t in grid]
    for i in range(1, grid.size):
        if values[i] >= noise:
            t_c = brentq(top, grid[i], grid[i - 1], xtol=1e-12, rtol=1e-12)
            below = growth_rates(regions, t_c * (1.0 - 1e-6), sigma, mu, housing_share, economy)
            return float(t_c), int(np.argmax(below)) + 1
    raise NeverBreaks("the even spread stays stable down to T = 1")


def analyse(
    regions: int,
    T: float,
    sigma: float,
    mu: float,
    housing_share: float = 0.0,
    economy: str | Economy = "cp",
) -> RacetrackStability:
    """Growth rates at T, the fastest mode, and the critical transport cost and mode (None
    where the even spread never breaks); ValueError, one line, for parameters the economy
    does not admit."""
    if regions < 2:
        raise ValueError(f"a racetrack needs at least 2 regions (got {regions})")
    if T < 1:
        raise ValueError(f"transport cost must be ≥ 1 (got {T})")
    econ = economies.get(economy)
    check_sigma(sigma)
    econ.check_no_black_hole(sigma, mu)
    econ.check_housing(mu, housing_share)
    econ.check_immobile(mu, [1.0 / regions] * regions)
    check_trade_freeness(sigma, (regions // 2) * math.log10(T), f"T^{regions // 2}")
    rates = growth_rates(regions, T, sigma, mu, housing_share, econ)
    exact = _exact(econ, regions, sigma, mu, housing_share)
    try:
        t_c, k_c = critical_transport_cost(regions, sigma, mu, housing_share, econ)
    except NeverBreaks:
        t_c, k_c = None, None
    return RacetrackStability(
        regions=regions,
        transport_cost=T,
        growth_rates={k + 1: float(v) for k, v in enumerate(rates)},
        fastest_mode=fastest_mode(rates, EXACT_NOISE if exact else FD_NOISE),
        critical_transport_cost=t_c,
        critical_mode=k_c,
    )
