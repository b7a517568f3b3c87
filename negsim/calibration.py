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

Migration costs in force at the start (``[frictions]``, the status quo: policies are the
counterfactual) are part of the rest point. With ν = 0 the observed map is taken to be at
rest *with* them: the amenities make each registration barrier bind, ln ω_r + ln B_r - h_r
equal in every place (h_r the cost of entering r; ``rest_point.amenities_for`` has the
maths: nobody gains from any move, and lifting a barrier gives its place a premium of
exactly h_r; migration costs as a wedge between places' utilities, Tombe & Zhu 2019, AER
109(5)). The amenities are computed at the agents' own start, the integer counts
``rules.apportion(observed, N)`` of the N mobile agents, so the rest point is exact for
them and rounding starts no drift. With ν > 0 and migration costs there is no rest point
to invert (with persistent tastes and costs, where an agent stays depends on where it has
been): ``CalibrationError``. Where every move loses (a cost m of any move), the costs hold
the state whatever the frictionless eigenvalue says (``Calibration.margin``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from negsim import economies
from negsim.economies.base import Solver
from negsim.frictions import cost_matrix, entry_costs
from negsim.geography import transport_costs
from negsim.output import atomic_write
from negsim.rest_point import NUMERICAL_FLOOR, amenities_for, residual, with_amenities
from negsim.rules import apportion
from negsim.scenario import SHARES_FROM_TABLE, Scenario, load_scenario, validate
from negsim.stability import (
    gap_flow_eigenvalue,
    ln_payoff,
    logit_flow_eigenvalue,
    payoff_jacobian,
    stabilising_noise,
)
from negsim.start import bound_solver

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
    at: np.ndarray
    """The shares the amenities make a rest point: ``observed``, or with migration costs the
    agents' integer start (``agent_shares``)."""
    migration_costs: bool = False
    """Migration costs were in force at the start and are part of the rest point."""
    margin: float = 0.0
    """With migration costs: the least any move loses at the calibrated state,
    min over s ≠ r of C_sr - (U_r - U_s). Above 0 every move loses, so a disturbance that
    shifts no gain by that much starts no move: the costs hold the state, whatever the
    eigenvalue; 0 (within ``NUMERICAL_FLOOR``) where some move is at the margin."""

    def ranked(self) -> list[tuple[str, float, float]]:
        """(place, amenity, observed share), highest amenity first."""
        order = np.argsort(-self.amenities, kind="stable")
        return [(self.names[i], float(self.amenities[i]), float(self.observed[i])) for i in order]


def short_run_solver(scenario: Scenario) -> Solver:
    """The scenario's short-run equilibrium as a function of the mobile shares, bound as
    ``NEGModel`` binds it at its initial transport costs (no agents are created)."""
    farmers = np.asarray(scenario.farmer_shares(), dtype=float)
    economy = economies.of(scenario.economy)
    return bound_solver(scenario, economy, farmers, transport_costs(scenario))


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


def mobile_agents(scenario: Scenario) -> int:
    """N, the scenario's mobile agents: firms in fc, workers (entrepreneurs in fe) otherwise."""
    population = scenario.population
    firms_move = economies.of(scenario.economy).firms_are_mobile
    return population.firms if firms_move else population.workers


def agent_shares(scenario: Scenario, shares: np.ndarray) -> np.ndarray:
    """The shares the scenario's mobile agents start from when told ``shares``: the integer
    counts ``rules.apportion`` gives the N of them (``mobile_agents``), over N."""
    n = mobile_agents(scenario)
    return apportion(shares, n) / n


def status_quo_costs(scenario: Scenario) -> tuple[np.ndarray | None, np.ndarray | None]:
    """The migration costs C[from, to] in force at the start and the entry costs h_r among
    them, (None, None) without frictions. CalibrationError (one line) where the costs
    cannot be calibrated: with taste noise, or a place nobody may enter."""
    cost = cost_matrix(scenario)
    if cost is None:
        return None, None
    noise = scenario.behaviour.noise
    if noise > 0:
        raise CalibrationError(
            f"behaviour.noise = {noise:g} with migration costs (frictions): no rest point to "
            "invert (with tastes and costs where an agent stays depends on its past); set "
            "behaviour.noise = 0 or remove the frictions"
        )
    entry = entry_costs(scenario)
    blocked = [name for name, h in zip(scenario.region_names, entry, strict=True) if np.isinf(h)]
    if blocked:
        raise CalibrationError(
            f"frictions.registration: {', '.join(blocked)} blocked: nobody may enter, so "
            "the amenity is not identified; give a finite cost (0 to 10)"
        )
    return cost, entry


def calibrate(scenario: Scenario | str | Path, target: str = "population") -> Calibration:
    """Recover the amenities that make the observed shares (``observed_shares``) a rest
    point of the scenario's agents (``rest_point.amenities_for``, geometric mean 1), and
    check its stability. Policies are not applied (they are the counterfactual); migration
    costs in force at the start are (module docstring: the entry barriers bind, at the
    agents' integer start; ν > 0 with them is a CalibrationError). cp firms at their own
    speed are taken to track the workers, as they do at rest."""
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    observed = observed_shares(scenario, target)
    noise = scenario.behaviour.noise
    cost, entry = status_quo_costs(scenario)
    at = observed if cost is None else agent_shares(scenario, observed)
    solve = short_run_solver(scenario)
    log_b = amenities_for(ln_payoff(solve(at, None)), at, noise, entry)
    u = ln_payoff(with_amenities(solve, log_b)(at, None))
    jacobian = payoff_jacobian(solve, at)
    eigenvalue = (
        logit_flow_eigenvalue(jacobian, at, noise)
        if noise > 0
        else gap_flow_eigenvalue(jacobian, at)
    )
    amenities = np.exp(log_b)
    margin = 0.0 if cost is None else least_loss(u, cost)
    return Calibration(
        scenario=calibrated_scenario(scenario, observed, amenities, target),
        target=target,
        names=scenario.region_names,
        observed=observed,
        amenities=amenities,
        residual=residual(u, at, noise, cost),
        eigenvalue=eigenvalue,
        stable=eigenvalue < 0.0 or margin > NUMERICAL_FLOOR,
        stabilising_noise=stabilising_noise(jacobian, at),
        at=at,
        migration_costs=cost is not None,
        margin=margin,
    )


def least_loss(log_payoff: np.ndarray, cost: np.ndarray) -> float:
    """min over s ≠ r of C_sr - (u_r - u_s): the least any move loses (≤ 0 if one gains)."""
    loss = cost - (log_payoff[None, :] - log_payoff[:, None])
    np.fill_diagonal(loss, np.inf)
    return float(np.min(loss))


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
        *(
            [
                "Migration costs in force at the start (frictions) are part of the rest point: "
                "the amenities make",
                "every registration barrier bind (ln ω_r + ln B_r - h_r equal; Tombe & Zhu 2019, "
                "AER 109(5)),",
                "at the agents' integer start (rules.apportion of the shares over "
                f"{mobile_agents(spec)} agents).",
            ]
            if calibration.migration_costs
            else []
        ),
        "Everything else is the source scenario's, as resolved (the table is embedded).",
        f"Calibrated state: {stability_line(calibration)}",
    ]
    return "".join(f"# {line}\n" for line in lines)


def stability_line(calibration: Calibration) -> str:
    """One line: stable or not, the eigenvalue, and the noise that would make it stable."""
    c = calibration
    if c.migration_costs and c.margin > NUMERICAL_FLOOR:
        return (
            f"held by the migration costs: every move loses at least {c.margin:.4g}, so a "
            "disturbance that shifts no gain by that much starts no move (largest eigenvalue "
            f"of the frictionless linearised mean flow {c.eigenvalue:.4g})"
        )
    if c.stable:
        return f"stable (largest eigenvalue of the linearised mean flow {c.eigenvalue:.4g} < 0)"
    if c.migration_costs:
        return (
            f"UNSTABLE (largest eigenvalue of the linearised mean flow {c.eigenvalue:.4g} ≥ 0): a "
            "disturbance would grow, but undisturbed nobody gains from a move, so the agents "
            "stay at the data (taste noise cannot be calibrated with migration costs)"
        )
    return (
        f"UNSTABLE (largest eigenvalue of the linearised mean flow {c.eigenvalue:.4g} ≥ 0): the "
        f"agents would drift away from the data; behaviour.noise > {c.stabilising_noise:.4g} "
        "would make it stable"
    )


def write(calibration: Calibration, path: str | Path, source: str) -> Path:
    """Write the calibrated scenario to ``path`` atomically, with its ``header``."""
    text = header(calibration, source) + calibration.scenario.to_toml()
    return atomic_write(Path(path), lambda tmp: tmp.write_text(text, encoding="utf-8"))
