"""Ensembles: many runs of one shape stepped together in one array program.

Runs with the same number of places step as one: their shares, wages and payoffs are rows
of (K, R) arrays, the short-run equilibria of all of them come from one batched solve
(``Economy.stacked_equilibria``: the same Newton steps, run by run the same BLAS and LAPACK
calls as the single solve), the expected drift from one stacked ``rules.mean_field_drift``.
What stays per run is small: its own random stream, its policies and its settling test.
A grid sweep's thousands of small runs then cost little more than one large run.

Identical, run by run, to ``NEGModel`` with the same scenario and seed
(``tests/test_ensemble.py``): each run has the generator NEGModel seeds
(``default_rng(run.seed)``) and draws the same numbers in the same order (the initial
perturbation, then ``rules.migrate_counts`` each step; who moves is drawn from another
stream, which an ensemble has no need of since it keeps counts, not agents); the settling
test is the same object (``convergence.Settling``) fed the same numbers. An ensemble
records what a sweep keeps of a run (final shares and real wages, steps, whether it
settled), not the time series.

What each path supports (``unsupported`` says why a scenario is not for an ensemble; the
sweep runner then runs it alone, ``negsim.runner.run``):

- economies with a stacked solver (cp, free entry, housing included);
- up to ``DENSE_MAX_PLACES`` places, any geography;
- interchangeable agents: ``behaviour.noise`` = 0, ``firms.productivity`` = "none", no
  ``firms.adjustment_speed``;
- policies that change costs or payoffs (transport_cost, border, registration, subsidy,
  spillover), migration costs, amenities and any initial shares or perturbation; not
  ``shock`` (it displaces agents one by one).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from negsim import economies
from negsim.amenities import log_amenities
from negsim.convergence import Convergence, RememberingSolver, Settling, quiet
from negsim.economies.base import DENSE_MAX_PLACES, Equilibrium, Solver
from negsim.frictions import cost_matrix
from negsim.geography import transport_costs
from negsim.policies import UNCHANGED, Schedule
from negsim.rules import apportion, mean_field_drift, migrate_counts
from negsim.scenario import Scenario
from negsim.stability import floored_log, jacobian_points
from negsim.start import bound_solver, initial_shares

SUPPORTED_POLICIES = frozenset({"transport_cost", "border", "registration", "subsidy", "spillover"})


def unsupported(scenario: Scenario) -> str | None:
    """Why ``scenario`` cannot run in an ensemble (None: it can)."""
    economy = economies.of(scenario.economy)
    if economy.stacked_equilibria is None:
        return f"economy {scenario.economy.model!r} has no stacked solver"
    if len(scenario.region_names) > DENSE_MAX_PLACES:
        return f"more than {DENSE_MAX_PLACES} places"
    if scenario.behaviour.noise > 0:
        return "taste noise (agents with tastes of their own)"
    if scenario.firms.productivity != "none":
        return "heterogeneous firms"
    if scenario.firms.adjustment_speed is not None:
        return "firms at their own speed"
    kinds = {p.kind for p in scenario.policies} - SUPPORTED_POLICIES
    if kinds:
        return f"policies of kind {', '.join(sorted(kinds))}"
    return None


def shape(scenario: Scenario) -> tuple[int, float, int]:
    """Runs with the same shape step together: places, solver tolerance and iterations."""
    return len(scenario.region_names), scenario.solver.tol, scenario.solver.max_iter


@dataclass
class EnsembleRun:
    """What an ensemble keeps of one run: the final state and how the run ended."""

    scenario: Scenario
    shares: np.ndarray
    counts: np.ndarray
    real_wage: np.ndarray
    steps: int
    converged: bool


class _Run:
    """The per-run part of an ensemble: random stream, costs, policies, settling test."""

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self.economy = economies.of(scenario.economy)
        self.rng = np.random.default_rng(scenario.run.seed)
        self.farmers = np.asarray(scenario.farmer_shares(), dtype=float)
        self.T = transport_costs(scenario)
        self.solver: Solver = bound_solver(scenario, self.economy, self.farmers, self.T)
        self.schedule = Schedule(scenario)
        self.cost = cost_matrix(scenario)
        self.n = scenario.population.workers
        self.n_firms = scenario.population.firms
        self.initial = initial_shares(scenario, self.rng)
        self.firm_counts = apportion(self.initial, self.n_firms)
        run, behaviour = scenario.run, scenario.behaviour
        self.convergence = Convergence(
            run.convergence_window,
            run.convergence_tol,
            self.n,
            None,
            self.schedule.last_step,
            self.T.shape[0],
        )
        self.settling = Settling(self.convergence, behaviour.noise, self.n, self.T.shape[0])
        self.speed, self.response = behaviour.adjustment_speed, behaviour.response

    def payoff_factor(self, step: int, shares: np.ndarray, wage: np.ndarray) -> np.ndarray | None:
        """Subsidies and spillovers at ``step`` (``NEGModel.log_payoff``)."""
        firm_shares = self.firm_counts / max(int(self.firm_counts.sum()), 1)
        return self.schedule.payoff_factor(step, shares, wage, firm_shares)

    def apply_policies(self, step: int) -> bool:
        """The policies' effects at ``step``; True where the markets must clear again."""
        effects = self.schedule.effects(step, self.T)
        if effects.migration_costs is not UNCHANGED:
            self.cost = effects.migration_costs
        if effects.transport_costs is None:
            return False
        self.T = effects.transport_costs
        self.solver = bound_solver(self.scenario, self.economy, self.farmers, self.T)
        return True


class Ensemble:
    """Runs of one ``shape`` stepped together (the module docstring); ``run()`` steps them
    all to their end and returns one ``EnsembleRun`` per scenario, or None for a run whose
    equilibrium failed (run it alone to see its ``EquilibriumError``)."""

    def __init__(self, scenarios: Sequence[Scenario]) -> None:
        shapes = {shape(s) for s in scenarios}
        if len(shapes) != 1:
            raise ValueError(f"an ensemble needs runs of one shape, got {sorted(shapes)}")
        for scenario in scenarios:
            reason = unsupported(scenario)
            if reason is not None:
                raise ValueError(f"{scenario.name}: not for an ensemble: {reason}")
        self.runs = runs = [_Run(s) for s in scenarios]
        self.places, self._tol, self._max_iter = shape(scenarios[0])
        self.solve = runs[0].economy.stacked_equilibria
        solvers = [r.solver for r in runs]
        self.farmers = np.array([r.farmers for r in runs])
        self.phi = np.array([s.phi for s in solvers])
        self.sigma = np.array([s.sigma for s in solvers], dtype=float)
        self.mu = np.array([s.mu for s in solvers], dtype=float)
        self.eta = np.array([s.housing_share for s in solvers], dtype=float)
        self.housing = np.array([s.housing for s in solvers])
        self.n = np.array([r.n for r in runs])
        self.counts = np.array([apportion(r.initial, r.n) for r in runs])
        self.shares = self.counts / self.n[:, None]
        self.speed = np.array([r.speed for r in runs], dtype=float)
        self.response = np.array([r.response for r in runs], dtype=float)
        self.last_step = np.array([s.run.steps for s in scenarios])
        self.stops = np.array([s.run.stop_when_converged for s in scenarios])
        self.scheduled = np.array([bool(r.schedule) for r in runs])
        self.amenity = np.zeros_like(self.shares)
        for i, scenario in enumerate(scenarios):
            ln_b = log_amenities(scenario)
            if ln_b is not None:
                self.amenity[i] = ln_b
        self.cost = np.zeros_like(self.phi)  # zero where frictionless: x - 0 is x
        self.costly = np.zeros(len(runs), dtype=bool)
        self._sync_costs(np.flatnonzero([r.cost is not None for r in runs]))
        self.failed = np.zeros(len(runs), dtype=bool)
        self.converged = np.zeros(len(runs), dtype=bool)
        self.steps = np.zeros(len(runs), dtype=np.int64)

    def _sync_costs(self, index: np.ndarray) -> None:
        for i in index:
            cost = self.runs[i].cost
            self.cost[i] = 0.0 if cost is None else cost
            self.costly[i] = cost is not None

    def _stacked(
        self, shares: np.ndarray, rows: np.ndarray, wage0: np.ndarray | None
    ) -> tuple[Equilibrium, np.ndarray]:
        """Equilibria at ``shares[j]`` in the economy of run ``rows[j]``, and which failed."""
        return self.solve(
            shares,
            self.farmers[rows],
            self.phi[rows],
            self.sigma[rows],
            self.mu[rows],
            self.eta[rows],
            self.housing[rows],
            wage0,
            tol=self._tol,
            max_iter=self._max_iter,
        )

    def _equilibria(self, index: np.ndarray, wage0: np.ndarray | None) -> Equilibrium:
        eq, failed = self._stacked(self.shares[index], index, wage0)
        self.failed[index] |= failed
        return eq

    def _solvers(self, index: np.ndarray) -> dict[int, RememberingSolver]:
        """Each run's solver, handed the solves its settling test asks for (the finite
        differences of ``stability.payoff_jacobian``), made stacked for all the runs."""
        places = self.places
        base, failed = self._stacked(self.shares[index], index, None)
        points = np.concatenate([jacobian_points(self.shares[i]) for i in index])
        bumped, bumped_failed = self._stacked(
            points, np.repeat(index, places), np.repeat(base.wage, places, axis=0)
        )
        solvers = {}
        for j, i in enumerate(index):
            solver = solvers[i] = RememberingSolver(self.runs[i].solver)
            if failed[j]:
                continue
            solver.remember(self.shares[i], None, base.run(j))
            for k in range(j * places, (j + 1) * places):
                if not bumped_failed[k]:
                    solver.remember(points[k], base.wage[j], bumped.run(k))
        return solvers

    def _log_payoff(self, step: int, active: np.ndarray) -> np.ndarray:
        """``NEGModel.log_payoff`` of the active runs, one row each."""
        u = floored_log(self.payoff[active]) + self.amenity[active]
        for row in np.flatnonzero(self.scheduled[active]):
            i = active[row]
            factor = self.runs[i].payoff_factor(step, self.shares[i], self.wage[i])
            if factor is not None:
                u[row] = u[row] + floored_log(factor)
        return u

    def _store(self, index: np.ndarray, eq: Equilibrium) -> None:
        self.wage[index], self.payoff[index] = eq.wage, eq.payoff
        self.real_wage[index] = eq.real_wage

    def run(self) -> list[EnsembleRun | None]:
        """Step every run to its end (settled, or its ``run.steps``)."""
        k, places = len(self.runs), self.places
        everyone = np.arange(k)
        eq = self._equilibria(everyone, None)
        self.wage, self.payoff = eq.wage.copy(), eq.payoff.copy()
        self.real_wage = eq.real_wage.copy()
        window = self.runs[0].convergence.window
        if any(r.convergence.window != window for r in self.runs):
            raise ValueError("an ensemble needs one run.convergence_window")
        history = np.zeros((window + 1, k, places))
        history[0] = self.shares
        drift_history = np.full((window + 1, k), np.inf)
        tol = np.array([r.convergence.tol for r in self.runs])
        quiet_after = np.array([r.convergence.quiet_after for r in self.runs])
        done = (self.last_step <= 0) | self.failed
        step = 0
        while not done.all():
            step += 1
            active = np.flatnonzero(~done)
            self.steps[active] = step
            resolve = [i for i in active[self.scheduled[active]] if self._policies(i, step)]
            if resolve:
                index = np.array(resolve)
                self._store(index, self._equilibria(index, self.wage[index]))
            self._migrate(active, self._log_payoff(step, active))
            self._store(active, self._equilibria(active, self.wage[active]))
            u = self._log_payoff(step, active)
            drift = mean_field_drift(
                self.shares[active],
                u,
                self.speed[active, None],
                self.response[active, None, None],
                self.cost[active],
            )
            slot = step % (window + 1)
            history[slot, active] = self.shares[active]
            largest = np.max(np.abs(drift), axis=1)
            drift_history[slot, active] = largest
            if step >= window:
                then = (step + 1) % (window + 1)
                moved = np.max(np.abs(self.shares[active] - history[then, active]), axis=1)
                candidates = (step > quiet_after[active]) & quiet(
                    moved, largest, drift_history[then, active], tol[active], window
                )
                due = [
                    i
                    for i in active[candidates]
                    if self.runs[i].settling.solves_at(step, self.runs[i].cost)
                ]
                solvers = self._solvers(np.array(due, dtype=np.int64)) if due else {}
                for row in np.flatnonzero(candidates):
                    i = active[row]
                    run = self.runs[i]
                    self.converged[i] = run.settling.conclude(
                        step,
                        drift[row],
                        solvers.get(i, run.solver),
                        self.shares[i],
                        lambda payoff=u[row]: payoff,
                        run.cost,
                    )
                self.converged[active[~candidates]] = False
            done[active] = (
                (self.converged[active] & self.stops[active])
                | (step >= self.last_step[active])
                | self.failed[active]
            )
        return [
            None
            if self.failed[i]
            else EnsembleRun(
                r.scenario,
                self.shares[i].copy(),
                self.counts[i].copy(),
                self.real_wage[i].copy(),
                int(self.steps[i]),
                bool(self.converged[i]),
            )
            for i, r in enumerate(self.runs)
        ]

    def _policies(self, i: int, step: int) -> bool:
        """Run ``i``'s policies at ``step``; True where its markets must clear again."""
        run = self.runs[i]
        resolve = run.apply_policies(step)
        self._sync_costs([i])
        if resolve:
            self.phi[i] = run.solver.phi
        return resolve

    def _migrate(self, active: np.ndarray, u: np.ndarray) -> None:
        """``rules.migrate_counts`` for every active run, each with its own stream; firms
        follow the workers where a policy reads them (``NEGModel._firms_follow``)."""
        places = self.places
        cost = self.cost[active] if self.costly[active].any() else None
        run_of, origin, destination = migrate_counts(
            self.counts[active],
            u,
            self.speed[active],
            self.response[active],
            [self.runs[i].rng for i in active],
            cost,
        )
        size = active.size * places
        flat = run_of * places
        change = np.bincount(flat + destination, minlength=size) - np.bincount(
            flat + origin, minlength=size
        )
        self.counts[active] += change.reshape(active.size, places)
        self.shares[active] = self.counts[active] / self.n[active, None]
        for i in active[self.scheduled[active]]:
            self.runs[i].firm_counts = apportion(self.shares[i], self.runs[i].n_firms)


def run_ensemble(scenarios: Sequence[Scenario]) -> list[EnsembleRun | None]:
    """Run ``scenarios`` (all ``unsupported(s) is None``) in ensembles of one shape each;
    results in the order given (None: the run's equilibrium failed; run it alone)."""
    out: list[EnsembleRun | None] = [None] * len(scenarios)
    groups: dict[tuple[int, float, int], list[int]] = {}
    for i, scenario in enumerate(scenarios):
        groups.setdefault(shape(scenario), []).append(i)
    for members in groups.values():
        results = Ensemble([scenarios[i] for i in members]).run()
        for i, result in zip(members, results, strict=True):
            out[i] = result
    return out
