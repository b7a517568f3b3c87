"""The one door to what theory predicts for two symmetric regions, for every economy: break
and sustain points, the stability of the even spread and of full agglomeration, the
expected regime, and the points of the bifurcation ("tomahawk") diagram.

The formulas live with their economies (``negsim.economies.cp``, ``fe``, ``fc``, ``fcvl``,
behind the ``Economy`` interface); the runner, the CLI, the plots and the sweeps ask here.
``model`` is an ``economy.model`` name or an ``Economy`` with its own parameters bound
(``negsim.economies.of``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from negsim import economies
from negsim.economies.base import PATH_DEPENDENT, Economy, Threshold, roots_in
from negsim.geography import two_region

if TYPE_CHECKING:
    from negsim.scenario import Scenario

Model = str | Economy
"""An economy by its ``economy.model`` name, or an ``Economy`` with parameters of its own
bound (``economies.get(name).with_parameters(table)``, e.g. cpvl's input share)."""

__all__ = [
    "PATH_DEPENDENT",
    "break_and_sustain",
    "check",
    "core_sustainable",
    "predict",
    "symmetric_stable",
    "thresholds",
    "tomahawk",
    "two_region_theory",
    "welfare_crossings",
    "welfare_of_patterns",
]


def check(model: Model, sigma: float, mu: float, housing_share: float = 0.0) -> None:
    """Raise BlackHoleError (or ValueError) for parameters the economy does not admit."""
    economies.get(model).check(sigma, mu, housing_share)


def thresholds(
    model: Model, sigma: float, mu: float, housing_share: float = 0.0
) -> tuple[list[Threshold], list[Threshold]]:
    """(break points, sustain points) of two symmetric regions, ascending in T.

    cp: FKV (1999) ch. 5 closed forms, or numerical roots with housing; fe: Baldwin et al.
    (2003) ch. 4; fc: none — the even spread never breaks and a core is never sustained
    between symmetric regions (Baldwin et al. 2003, ch. 3); fcvl: Baldwin et al. (2003)
    ch. 8, at its input share (an economy with it bound, or μ).
    """
    return economies.get(model).thresholds(sigma, mu, housing_share)


def break_and_sustain(
    model: Model, sigma: float, mu: float, housing_share: float = 0.0
) -> tuple[float, float] | None:
    """(T_B, T_S) where the economy has exactly one break and one sustain point (cp without
    housing, fe), else None."""
    try:
        breaks, sustains = thresholds(model, sigma, mu, housing_share)
    except ValueError:  # BlackHoleError too: no thresholds to draw
        return None
    if len(breaks) == 1 and len(sustains) == 1:
        return breaks[0].T, sustains[0].T
    return None


def symmetric_stable(model: Model, T: float, sigma: float, mu: float, eta: float = 0.0) -> bool:
    """Is the even spread stable at T? (A marginal mover lowers her own payoff.)"""
    return economies.get(model).symmetric_stable(T, sigma, mu, eta)


def core_sustainable(model: Model, T: float, sigma: float, mu: float, eta: float = 0.0) -> bool:
    """Is full agglomeration in one region an equilibrium at T?"""
    return economies.get(model).core_sustainable(T, sigma, mu, eta)


def predict(model: Model, T: float, sigma: float, mu: float, eta: float = 0.0) -> str:
    """The regime theory predicts at T for two symmetric regions."""
    return economies.get(model).predict(T, sigma, mu, eta)


def tomahawk(
    model: Model,
    sigma: float,
    mu: float,
    transport_costs: np.ndarray,
    housing_share: float = 0.0,
    n_lambda: int = 60,
) -> list[tuple[float, float, bool]]:
    """Long-run equilibria (T, λ_1, stable) of two symmetric regions on a grid of T."""
    return economies.get(model).tomahawk(sigma, mu, transport_costs, housing_share, n_lambda)


def two_region_theory(scenario: Scenario) -> dict[str, Any] | None:
    """Thresholds and the predicted regime for a two-region scenario, or None where theory
    has no closed answer (asymmetric regions in cp/fe, link overrides)."""
    econ, geo = scenario.economy, scenario.geography
    if scenario.n_regions != 2 or geo.kind != "two_region" or geo.link_overrides:
        return None
    symmetric = scenario.farmer_shares() == [0.5, 0.5] and scenario.housing_shares() == [0.5, 0.5]
    return economies.of(econ).two_region_theory(
        econ.transport_cost,
        econ.sigma,
        econ.mu,
        econ.housing_share,
        symmetric,
        scenario.farmer_shares()[0],
    )


def welfare_of_patterns(
    model: str, sigma: float, mu: float, phi: np.ndarray, housing_share: float = 0.0
) -> tuple[np.ndarray, np.ndarray]:
    """Utilitarian welfare W, the sum of every resident's indirect utility
    (``Economy.group_welfare``; Σ_r Y_r/P_r with Cobb–Douglas preferences), of full
    agglomeration λ = (1, 0) and of the even spread λ = (1/2, 1/2) of two symmetric regions,
    at each trade freeness φ in ``phi`` (T = φ^(1/(1-σ)), ``Economy.transport_cost_at``),
    from the economy's short-run equilibria.

    Charlot, Gaigné, Robert-Nicoud & Thisse (2006) compare exactly these two market outcomes
    of the CP model with the utilitarian (Benthamite) criterion: agglomeration is socially
    preferred once trade is free enough, dispersion when it is costly."""
    economy = economies.get(model)
    if economy.welfare_groups is None:
        raise ValueError(f"welfare of agglomeration vs dispersion: not available for {model}")
    even = np.array([0.5, 0.5])
    out = np.empty((2, np.size(phi)))
    for k, f in enumerate(np.asarray(phi, dtype=float).ravel()):
        T = two_region(economy.transport_cost_at(f, sigma, mu))
        for row, shares in enumerate((np.array([1.0, 0.0]), even)):
            eq = economy.equilibrium(shares, even, T, sigma, mu, housing_share=housing_share)
            out[row, k] = economy.group_welfare(eq, shares, even, mu, housing_share).total
    return out[0], out[1]


def welfare_crossings(
    model: str, sigma: float, mu: float, housing_share: float = 0.0
) -> list[Threshold]:
    """The trade freeness values in (0, 1) at which the utilitarian ranking of agglomeration
    and dispersion (``welfare_of_patterns``) changes sign, ascending in φ (as Thresholds:
    T and φ). For CP without housing one crossing: below it dispersion is the better
    outcome, above it agglomeration (Charlot et al. 2006)."""
    economy = economies.get(model)
    economy.check(sigma, mu, housing_share)

    def gap(phi: float) -> float:
        agg, disp = welfare_of_patterns(model, sigma, mu, np.array([phi]), housing_share)
        return float(agg[0] - disp[0])

    roots = roots_in(gap, 1e-4, 1.0 - 1e-6, n=200)
    return [Threshold(T=economy.transport_cost_at(f, sigma, mu), phi=f) for f in roots]
