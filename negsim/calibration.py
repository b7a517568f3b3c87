"""Calibrate a scenario to an observed distribution: recover the amenities B_r
(``negsim.amenities``) that make the observed shares of the mobile factor a rest point of the
agents' dynamics, and say whether the agents would stay there.

This is the inversion of quantitative spatial economics (Allen & Arkolakis 2014, QJE
129(3); Redding & Rossi-Hansberg 2017, Annual Review of Economics 9): the model's payoffs at
the observed distribution are computed, and the amenities are whatever is left to explain
(``rest_point.amenities_for``). The observed shares are a column of the table of places
(``--target``, default ``population``) or, without a table, ``population.initial_shares``.
They are the mobile factor's: workers in cp, entrepreneurs in fe, firms (capital) in fc.

A calibrated state is a rest point by construction, but not necessarily a stable one:
where agglomeration forces win, the agents would drift away from the data. The report
gives the largest eigenvalue of the mean flow linearised there (``negsim.stability``) and
the taste noise above which it would be stable.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from negsim import economies
from negsim.economies.base import Solver
from negsim.geography import transport_costs
from negsim.output import atomic_write
from negsim.rest_point import amenities_for, residual, with_amenities
from negsim.scenario import SHARES_FROM_TABLE, Scenario, load_scenario, validate
from negsim.stability import (
    gap_flow_eigenvalue,
    ln_payoff,
    logit_flow_eigenvalue,
    payoff_jacobian,
    stabilising_noise,
)

TARGETS = tuple(dict.fromkeys(c for cols in SHARES_FROM_TABLE.values() for c in cols))
"""The columns of a table of places that may hold the observed distribution."""


class CalibrationError(ValueError):
    """The scenario cannot be calibrated as asked; ``str(err)`` is one line."""


@dataclass(frozen=True)
class Calibration:
    """A calibrated scenario and what calibration found."""

    scenario: Scenario
    """The calibrated scenario: initial shares = observed, amenities = recovered."""
    target: str
    names: list[str]
    observed: np.ndarray
    amenities: np.ndarray
    """B_r, geometric mean 1."""
    residual: float
    """Residual of the equilibrium condition at the observed shares with the amenities."""
    eigenvalue: float
    """Largest real part of the eigenvalues of the mean flow linearised at the observed
    shares: ν > 0 the logit flow, ν = 0 the payoff gradient over the places
    (``negsim.stability``); negative = stable."""
    stable: bool
    stabilising_noise: float
    """The taste noise ν above which the calibrated state is stable."""

    def ranked(self) -> list[tuple[str, float, float]]:
        """(place, amenity, observed share), highest amenity first."""
        order = np.argsort(-self.amenities, kind="stable")
        return [(self.names[i], float(self.amenities[i]), float(self.observed[i])) for i in order]


def short_run_solver(scenario: Scenario) -> Solver:
    """The scenario's short-run equilibrium as a function of the mobile shares, bound as
    ``NEGModel`` binds it at its initial transport costs (no agents are created)."""
    econ, settings = scenario.economy, scenario.solver
    return economies.get(econ.model).solver(
        np.asarray(scenario.farmer_shares(), dtype=float),
        transport_costs(scenario),
        econ.sigma,
        econ.mu,
        housing_share=econ.housing_share,
        housing=np.asarray(scenario.housing_shares(), dtype=float),
        tol=settings.tol,
        max_iter=settings.max_iter,
    )


def observed_shares(scenario: Scenario, target: str = "population") -> np.ndarray:
    """The observed distribution of the mobile factor: the ``target`` column of the table of
    places as shares, or (no table) ``population.initial_shares`` for target population.
    CalibrationError (one line) for an unknown column or a place without a positive value."""
    geo = scenario.geography
    if geo.kind == "places" and geo.table is not None:
        if target not in TARGETS:
            raise CalibrationError(
                f"--target {target!r}: a column of the table of places: {', '.join(TARGETS)}"
            )
        values = [getattr(place, target) for place in geo.table]
        table = geo.places or "geography.table"
        if all(value is None for value in values):
            raise CalibrationError(
                f"--target {target!r}: the table of places {table} has no column {target!r}"
            )
        where = f"{table}: column {target}"
    else:
        if target != "population":
            raise CalibrationError(
                f"--target {target!r}: without a table of places (geography.kind = 'places') "
                "the observed shares are population.initial_shares: use --target population"
            )
        values = scenario.initial_shares()
        where = "population.initial_shares"
    names = scenario.region_names
    for name, value in zip(names, values, strict=True):
        if value is None or not value > 0:
            raise CalibrationError(
                f"{where}: place {name!r} has {value!r}; calibration needs a number > 0 for "
                "every place (the amenities of empty places are not identified)"
            )
    shares = np.asarray(values, dtype=float)
    return shares / shares.sum()


def calibrate(scenario: Scenario | str | Path, target: str = "population") -> Calibration:
    """Recover the amenities that make the observed shares (``observed_shares``) a rest
    point of the scenario's agents (``rest_point.amenities_for``, geometric mean 1), and
    check its stability. Policies are not applied (they are the counterfactual), nor
    migration costs (they only lower the gains from moving, so a state at rest without them
    is at rest with them); cp firms at their own speed are taken to track the workers, as
    they do at rest."""
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    observed = observed_shares(scenario, target)
    noise = scenario.behaviour.noise
    solve = short_run_solver(scenario)
    log_b = amenities_for(ln_payoff(solve(observed, None)), observed, noise)
    u = ln_payoff(with_amenities(solve, log_b)(observed, None))
    jacobian = payoff_jacobian(solve, observed)
    eigenvalue = (
        logit_flow_eigenvalue(jacobian, observed, noise)
        if noise > 0
        else gap_flow_eigenvalue(jacobian, observed)
    )
    amenities = np.exp(log_b)
    return Calibration(
        scenario=calibrated_scenario(scenario, observed, amenities, target),
        target=target,
        names=scenario.region_names,
        observed=observed,
        amenities=amenities,
        residual=residual(u, observed, noise, None),
        eigenvalue=eigenvalue,
        stable=eigenvalue < 0.0,
        stabilising_noise=stabilising_noise(jacobian, observed),
    )


def calibrated_scenario(
    scenario: Scenario, observed: np.ndarray, amenities: np.ndarray, target: str
) -> Scenario:
    """``scenario`` starting at the observed shares (no perturbation), with the amenities."""
    data: dict[str, Any] = scenario.model_dump(exclude_none=True)
    data["name"] = f"{scenario.name}_calibrated"
    data["description"] = (
        f"{scenario.name} calibrated to the observed {target} shares (negsim calibrate): "
        "amenities recovered so that they are a rest point"
    )
    data["regions"]["amenities"] = [float(b) for b in amenities]
    data["population"]["initial_shares"] = [float(s) for s in observed]
    data["population"]["initial_perturbation"] = 0.0
    data.pop("expected_regime", None)
    return validate(data, f"{scenario.name} (calibrated)")


def header(calibration: Calibration, source: str) -> str:
    """The comment block of a calibrated scenario file: what is data, what is recovered."""
    spec = calibration.scenario
    lines = [
        f"Calibrated by `negsim calibrate` from {source} (target: {calibration.target}).",
        f"Data: the observed {calibration.target} shares, now population.initial_shares.",
        "Recovered: regions.amenities (geometric mean 1), the amenities that make those shares",
        f"a rest point of the agents at noise {spec.behaviour.noise:g} (Allen & Arkolakis 2014).",
        "Everything else is the source scenario's, as resolved (the table is embedded).",
        f"Calibrated state: {stability_line(calibration)}",
    ]
    return "".join(f"# {line}\n" for line in lines)


def stability_line(calibration: Calibration) -> str:
    """One line: stable or not, the eigenvalue, and the noise that would make it stable."""
    c = calibration
    if c.stable:
        return f"stable (largest eigenvalue of the linearised mean flow {c.eigenvalue:.4g} < 0)"
    return (
        f"UNSTABLE (largest eigenvalue of the linearised mean flow {c.eigenvalue:.4g} ≥ 0): the "
        f"agents would drift away from the data; behaviour.noise > {c.stabilising_noise:.4g} "
        "would make it stable"
    )


def write(calibration: Calibration, path: str | Path, source: str) -> Path:
    """Write the calibrated scenario to ``path`` atomically, with its ``header``."""
    text = header(calibration, source) + calibration.scenario.to_toml()
    return atomic_write(Path(path), lambda tmp: tmp.write_text(text, encoding="utf-8"))
