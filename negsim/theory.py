"""What theory predicts for two symmetric regions, for every economy: break and sustain
points, the stability of the even spread and of full agglomeration, the expected regime,
and the points of the bifurcation ("tomahawk") diagram.

The formulas live with their economies (``negsim.economies.cp``, ``fe``, ``fc``); this
module puts them behind one interface for the runner, the CLI and the plots.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from negsim.economies import cp, fc, fe
from negsim.economies.base import Threshold, tomahawk_scan
from negsim.geography import two_region

if TYPE_CHECKING:
    from negsim.scenario import Scenario

PATH_DEPENDENT = "path dependent (agglomerated or dispersed, by history)"


def check(model: str, sigma: float, mu: float, housing_share: float = 0.0) -> None:
    """Raise BlackHoleError (or ValueError) for parameters the economy does not admit."""
    if model == "cp":
        cp.check_no_black_hole(sigma, mu)
        if not 0 <= housing_share < 1 - mu:
            raise ValueError(f"housing share must be in [0, 1-mu) (got {housing_share})")
    elif model == "fe":
        fe.check_no_black_hole(sigma, mu)
    elif model == "fc":
        if not (sigma > 1 and 0 < mu < 1):
            raise ValueError(f"need sigma > 1 and 0 < mu < 1 (got {sigma}, {mu})")
    else:
        raise ValueError(f"unknown economy {model!r} (cp, fe, fc)")
    if housing_share and model != "cp":
        raise ValueError("a housing share is only available with the cp economy")


def thresholds(
    model: str, sigma: float, mu: float, housing_share: float = 0.0
) -> tuple[list[Threshold], list[Threshold]]:
    """(break points, sustain points) of two symmetric regions, ascending in T.

    cp: FKV (1999) ch. 5 closed forms, or numerical roots with housing; fe: Baldwin et al.
    (2003) ch. 4; fc: none — the even spread never breaks and a core is never sustained
    between symmetric regions (Baldwin et al. 2003, ch. 3).
    """
    check(model, sigma, mu, housing_share)
    if model == "cp":
        return (
            cp.break_points(sigma, mu, housing_share),
            cp.sustain_points(sigma, mu, housing_share),
        )
    if model == "fe":
        return [fe.break_point(sigma, mu)], [fe.sustain_point(sigma, mu)]
    return [], []


def _gap(model: str, sigma: float, mu: float, housing_share: float):
    """ln(payoff_1/payoff_2) at (λ_1, T) for two symmetric regions."""
    solve = {
        "cp": lambda lam, T: cp.short_run_equilibrium(
            lam, np.array([0.5, 0.5]), two_region(T), sigma, mu, housing_share=housing_share
        ),
        "fe": lambda lam, T: fe.short_run_equilibrium(
            lam, np.array([0.5, 0.5]), two_region(T), sigma, mu
        ),
        "fc": lambda lam, T: fc.short_run_equilibrium(
            lam, np.array([0.5, 0.5]), two_region(T), sigma, mu
        ),
    }[model]

    def gap(lam1: float, T: float) -> float:
        payoff = solve(np.array([lam1, 1.0 - lam1]), T).payoff
        return float(np.log(payoff[0] / payoff[1]))

    return gap


def symmetric_stable(model: str, T: float, sigma: float, mu: float, eta: float = 0.0) -> bool:
    """Is the even spread stable at T? (A marginal mover lowers her own payoff.)"""
    if model == "cp":
        if eta == 0.0:
            return T > cp.break_point(sigma, mu).T
        return cp.symmetric_slope(T, sigma, mu, eta) < 0.0
    if model == "fe":
        return T > fe.break_point(sigma, mu).T
    return True


def core_sustainable(model: str, T: float, sigma: float, mu: float, eta: float = 0.0) -> bool:
    """Is full agglomeration in one region an equilibrium at T?"""
    if model == "cp":
        if eta == 0.0:
            return cp.sustain_ratio(T, sigma, mu) < 1.0
        return cp.core_ratio(T, sigma, mu, eta) < 1.0
    if model == "fe":
        return fe.sustain_ratio(T ** (1.0 - sigma), sigma, mu) < 1.0
    return False


def predict(model: str, T: float, sigma: float, mu: float, eta: float = 0.0) -> str:
    """The regime theory predicts at T for two symmetric regions."""
    sym = symmetric_stable(model, T, sigma, mu, eta)
    core = core_sustainable(model, T, sigma, mu, eta)
    if sym and core:
        return PATH_DEPENDENT
    if core:
        return "agglomerated"
    if sym:
        return "dispersed"
    return "partial"


def tomahawk(
    model: str,
    sigma: float,
    mu: float,
    transport_costs: np.ndarray,
    housing_share: float = 0.0,
    n_lambda: int = 60,
) -> list[tuple[float, float, bool]]:
    """Long-run equilibria (T, λ_1, stable) of two symmetric regions on a grid of T."""
    check(model, sigma, mu, housing_share)
    if model == "cp" and housing_share == 0.0:
        return cp.tomahawk(sigma, mu, transport_costs, n_lambda)
    return tomahawk_scan(
        _gap(model, sigma, mu, housing_share),
        lambda T: core_sustainable(model, T, sigma, mu, housing_share),
        lambda T: symmetric_stable(model, T, sigma, mu, housing_share),
        transport_costs,
        n_lambda,
    )


def _as_dict(t: Threshold) -> dict[str, float]:
    return {"T": t.T, "phi": t.phi}


def two_region_theory(scenario: Scenario) -> dict[str, Any] | None:
    """Thresholds and the predicted regime for a two-region scenario, or None where theory
    has no closed answer (asymmetric regions in cp/fe, link overrides)."""
    econ, geo = scenario.economy, scenario.geography
    if scenario.n_regions != 2 or geo.kind != "two_region" or geo.link_overrides:
        return None
    T, a1 = econ.transport_cost, scenario.farmer_shares()[0]
    if econ.model == "fc":
        phi = T ** (1.0 - econ.sigma)
        return {
            "transport_cost": T,
            "expenditure_share": a1,
            "equilibrium_share": fc.equilibrium_share(a1, phi),
            "prediction": "home-market effect: region 1 share "
            f"{fc.equilibrium_share(a1, phi):.4f} of firms",
        }
    symmetric_housing = scenario.housing_shares() == [0.5, 0.5]
    if scenario.farmer_shares() != [0.5, 0.5] or not symmetric_housing:
        return None
    breaks, sustains = thresholds(econ.model, econ.sigma, econ.mu, econ.housing_share)
    out: dict[str, Any] = {
        "transport_cost": T,
        "break_points": [_as_dict(t) for t in breaks],
        "sustain_points": [_as_dict(t) for t in sustains],
        "prediction": predict(econ.model, T, econ.sigma, econ.mu, econ.housing_share),
    }
    if len(breaks) == 1 and len(sustains) == 1:
        out["break_point"] = _as_dict(breaks[0])
        out["sustain_point"] = _as_dict(sustains[0])
    return out
