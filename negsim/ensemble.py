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

Chains, runs that each start where the one before it ended (a continuation sweep's
replications), step side by side: ``Ensemble``'s ``follow``.

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

from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from negsim import economies
from negsim.amenities import log_amenities
from negsim.convergence import Convergence, RememberingSolver, Settling, quiet
from negsim.economies.base import DENSE_MAX_PLACES, Equilibrium, EquilibriumError, Solver
from negsim.frictions import cost_matrix
from negsim.geography import neighbours, transport_costs
from negsim.metrics import outcome
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
    real_wage: np.ndarray
    steps: int
    converged: bool

    def summary(self) -> dict:
        """The run's summary.json keys that a sweep's row reads (``metrics.outcome``, steps,
        converged): what ``runner.summarise`` gives for the same run."""
        analysis = self.scenario.analysis
        state = outcome(
            self.shares,
            self.scenario.region_names,
            neighbours(self.scenario),
            analysis.agglomerated_share,
            analysis.dispersed_tolerance,
        )
        return {**state, "steps": self.steps, "converged": self.converged}


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


Follow = Callable[[int, "EnsembleRun | None"], "Scenario | None"]
"""``follow(i, result)``: the run that starts where run ``i`` ended (``result`` None: it
failed in the ensemble), or None where nothing follows it."""


class Ensemble:
    """Runs of one ``shape`` stepped together (the module docstring). At most ``width`` runs
    are under way at once, in the rows of the state arrays; a row whose run ends takes the
    next run waiting, so a slow run does not hold up the others (each run counts its own
    steps). ``run()`` returns one ``EnsembleRun`` per scenario, in order, or None for a run
    whose equilibrium failed (run it alone to see its ``EquilibriumError``).

    Chains of runs, each starting where the one before it ended (a continuation sweep's
    replications), step side by side: when run ``i`` ends, ``follow(i, result)`` may give
    the scenario of the run after it, which takes the next free row ahead of every run still
    waiting and whose result is appended to ``run()``'s list (it must fit the ensemble:
    ``fits``). A run's result does not depend on what steps beside it."""

    WIDTH = 2000

    def __init__(
        self,
        scenarios: Sequence[Scenario],
        width: int | None = None,
        follow: Follow | None = None,
    ) -> None:
        shapes = {shape(s) for s in scenarios}
        if len(shapes) != 1:
            raise ValueError(f"an ensemble needs runs of one shape, got {sorted(shapes)}")
        for scenario in scenarios:
            reason = unsupported(scenario)
            if reason is not None:
                raise ValueError(f"{scenario.name}: not for an ensemble: {reason}")
        windows = {s.run.convergence_window for s in scenarios}
        if len(windows) != 1:
            raise ValueError("an ensemble needs one run.convergence_window")
        self.scenarios = list(scenarios)
        self.follow = follow
        self._queue = deque(range(len(self.scenarios)))
        self.places, self._tol, self._max_iter = shape(scenarios[0])
        self.window = windows.pop()
        self.solve = economies.of(scenarios[0].economy).stacked_equilibria
        w, r = min(len(scenarios), width or self.WIDTH), self.places
        self.runs: list[_Run | None] = [None] * w
        self.position = np.full(w, -1)  # which scenario a row runs (-1: free)
        self.farmers, self.housing = np.zeros((w, r)), np.zeros((w, r))
        self.phi, self.cost = np.zeros((w, r, r)), np.zeros((w, r, r))  # cost 0: x - 0 is x
        self.sigma, self.mu, self.eta = np.zeros(w), np.zeros(w), np.zeros(w)
        self.speed, self.response, self.tol = np.zeros(w), np.zeros(w), np.zeros(w)
        self.n, self.last_step = np.zeros(w, dtype=np.int64), np.zeros(w, dtype=np.int64)
        self.quiet_after, self.steps = np.zeros(w, dtype=np.int64), np.zeros(w, dtype=np.int64)
        self.counts = np.zeros((w, r), dtype=np.int64)
        self.shares, self.amenity = np.zeros((w, r)), np.zeros((w, r))
        self.wage, self.payoff, self.real_wage = np.ones((w, r)), np.ones((w, r)), np.ones((w, r))
        self.stops, self.scheduled = np.zeros(w, dtype=bool), np.zeros(w, dtype=bool)
        self.costly, self.failed = np.zeros(w, dtype=bool), np.zeros(w, dtype=bool)
        self.converged, self.active = np.zeros(w, dtype=bool), np.zeros(w, dtype=bool)
        self.history = np.zeros((self.window + 1, w, r))
        self.drift_history = np.zeros((self.window + 1, w))
        self.results: list[EnsembleRun | None] = [None] * len(scenarios)

    def fits(self, scenario: Scenario) -> bool:
        """Whether ``scenario`` can join this ensemble (a run that follows another)."""
        return (
            unsupported(scenario) is None
            and shape(scenario) == shape(self.scenarios[0])
            and scenario.run.convergence_window == self.window
        )

    def _join(self) -> None:
        """Start waiting runs in the free rows: their step 0 (``NEGModel.__init__``); again
        while runs that end at step 0 are followed by others and rows are free."""
        while self._queue:
            free = np.flatnonzero(self.position < 0)[: len(self._queue)]
            if free.size == 0:
                return
            self._start(free)

    def _start(self, free: np.ndarray) -> None:
        """Step 0 of the next waiting runs, in the rows ``free``."""
        for row in free:
            index = self._queue.popleft()
            scenario = self.scenarios[index]
            self.position[row] = index
            run = self.runs[row] = _Run(scenario)
            solver = run.solver
            self.farmers[row], self.housing[row], self.phi[row] = (
                run.farmers,
                solver.housing,
                solver.phi,
            )
            self.sigma[row], self.mu[row] = solver.sigma, solver.mu
            self.eta[row] = solver.housing_share
            self.speed[row], self.response[row] = run.speed, run.response
            self.n[row], self.last_step[row] = run.n, scenario.run.steps
            self.stops[row] = scenario.run.stop_when_converged
            self.scheduled[row] = bool(run.schedule)
            ln_b = log_amenities(scenario)
            self.amenity[row] = 0.0 if ln_b is None else ln_b
            self._sync_cost(row)
            self.counts[row] = apportion(run.initial, run.n)
            self.shares[row] = self.counts[row] / run.n
            self.tol[row] = run.convergence.tol
            self.quiet_after[row] = run.convergence.quiet_after
        self.steps[free], self.failed[free], self.converged[free] = 0, False, False
        self._store(free, self._equilibria(free, None))
        self.history[0, free] = self.shares[free]
        self.drift_history[0, free] = np.inf
        self.active[free] = True
        self._finish(free[(self.last_step[free] <= 0) | self.failed[free]])

    def _finish(self, rows: np.ndarray) -> None:
        """Record the runs of ``rows``, free the rows and queue the runs that follow them."""
        for row in rows:
            run, index = self.runs[row], int(self.position[row])
            result = self.results[index] = (
                None
                if self.failed[row]
                else EnsembleRun(
                    run.scenario,
                    self.shares[row].copy(),
                    self.real_wage[row].copy(),
                    int(self.steps[row]),
                    bool(self.converged[row]),
                )
            )
            self.runs[row], self.position[row], self.active[row] = None, -1, False
            after = None if self.follow is None else self.follow(index, result)
            if after is not None:
                if not self.fits(after):
                    raise ValueError(f"{after.name}: does not fit the ensemble it follows in")
                self.scenarios.append(after)
                self.results.append(None)
                self._queue.appendleft(len(self.scenarios) - 1)

    def _sync_cost(self, row: int) -> None:
        cost = self.runs[row].cost
        self.cost[row] = 0.0 if cost is None else cost
        self.costly[row] = cost is not None

    def _stacked(
        self, shares: np.ndarray, rows: np.ndarray, wage0: np.ndarray | None
    ) -> tuple[Equilibrium, np.ndarray]:
        """Equilibria at ``shares[j]`` in the economy of row ``rows[j]``, and which failed: a
        stacked solve, or for a single one the run's own solver (the same bits, less
        overhead)."""
        if rows.size == 1:
            return self._alone(shares[0], rows[0], None if wage0 is None else wage0[0])
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

    def _alone(
        self, shares: np.ndarray, row: int, wage0: np.ndarray | None
    ) -> tuple[Equilibrium, np.ndarray]:
        try:
            eq = self.runs[row].solver(shares, wage0)
        except EquilibriumError:
            nan = np.full((1, shares.size), np.nan)
            return Equilibrium(nan, nan, nan, nan, nan, np.zeros(1), np.zeros(1)), np.ones(1, bool)
        return Equilibrium(
            *(x[None] for x in (eq.wage, eq.price_index, eq.income, eq.real_wage, eq.payoff)),
            iterations=np.array([eq.iterations]),
            residual=np.array([eq.residual]),
            potential_wage=eq.potential_wage[None],
            price_level=eq.price_level[None],
        ), np.zeros(1, bool)

    def _equilibria(self, rows: np.ndarray, wage0: np.ndarray | None) -> Equilibrium:
        eq, failed = self._stacked(self.shares[rows], rows, wage0)
        self.failed[rows] |= failed
        return eq

    def _solvers(self, rows: np.ndarray) -> dict[int, RememberingSolver]:
        """Each run's solver, handed the solves its settling test asks for (the finite
        differences of ``stability.payoff_jacobian``), made stacked for all the runs."""
        places = self.places
        base, failed = self._stacked(self.shares[rows], rows, None)
        points = np.concatenate([jacobian_points(self.shares[row]) for row in rows])
        bumped, bumped_failed = self._stacked(
            points, np.repeat(rows, places), np.repeat(base.wage, places, axis=0)
        )
        solvers = {}
        for j, row in enumerate(rows):
            solver = solvers[row] = RememberingSolver(self.runs[row].solver)
            if failed[j]:
                continue
            solver.remember(self.shares[row], None, base.run(j))
            for k in range(j * places, (j + 1) * places):
                if not bumped_failed[k]:
                    solver.remember(points[k], base.wage[j], bumped.run(k))
        return solvers

    def _log_payoff(self, rows: np.ndarray) -> np.ndarray:
        """``NEGModel.log_payoff`` of the runs in ``rows``, one row each."""
        u = floored_log(self.payoff[rows]) + self.amenity[rows]
        for j in np.flatnonzero(self.scheduled[rows]):
            row = rows[j]
            factor = self.runs[row].payoff_factor(
                int(self.steps[row]), self.shares[row], self.wage[row]
            )
            if factor is not None:
                u[j] = u[j] + floored_log(factor)
        return u

    def _store(self, rows: np.ndarray, eq: Equilibrium) -> None:
        self.wage[rows], self.payoff[rows] = eq.wage, eq.payoff
        self.real_wage[rows] = eq.real_wage

    def run(self) -> list[EnsembleRun | None]:
        """Step every run to its end (settled, or its ``run.steps``)."""
        window = self.window
        self._join()
        while self.active.any():
            rows = np.flatnonzero(self.active)
            self.steps[rows] += 1
            steps = self.steps[rows]
            resolve = [row for row in rows[self.scheduled[rows]] if self._policies(row)]
            if resolve:
                index = np.array(resolve)
                self._store(index, self._equilibria(index, self.wage[index]))
            self._migrate(rows, self._log_payoff(rows))
            self._store(rows, self._equilibria(rows, self.wage[rows]))
            u = self._log_payoff(rows)
            drift = mean_field_drift(
                self.shares[rows],
                u,
                self.speed[rows, None],
                self.response[rows, None, None],
                self.cost[rows],
            )
            largest = np.max(np.abs(drift), axis=1)
            slot = steps % (window + 1)
            self.history[slot, rows] = self.shares[rows]
            self.drift_history[slot, rows] = largest
            then = (steps + 1) % (window + 1)
            moved = np.max(np.abs(self.shares[rows] - self.history[then, rows]), axis=1)
            candidates = (
                (steps >= window)
                & (steps > self.quiet_after[rows])
                & quiet(moved, largest, self.drift_history[then, rows], self.tol[rows], window)
            )
            due = [
                row
                for row in rows[candidates]
                if self.runs[row].settling.solves_at(int(self.steps[row]), self.runs[row].cost)
            ]
            solvers = self._solvers(np.array(due, dtype=np.int64)) if due else {}
            for j in np.flatnonzero(candidates):
                row = rows[j]
                run = self.runs[row]
                self.converged[row] = run.settling.conclude(
                    int(steps[j]),
                    drift[j],
                    solvers.get(row, run.solver),
                    self.shares[row],
                    lambda payoff=u[j]: payoff,
                    run.cost,
                )
            self.converged[rows[~candidates]] = False
            done = (
                (self.converged[rows] & self.stops[rows])
                | (steps >= self.last_step[rows])
                | self.failed[rows]
            )
            self._finish(rows[done])
            self._join()
        return self.results

    def _policies(self, row: int) -> bool:
        """Row ``row``'s policies at its step; True where its markets must clear again."""
        run = self.runs[row]
        resolve = run.apply_policies(int(self.steps[row]))
        self._sync_cost(row)
        if resolve:
            self.phi[row] = run.solver.phi
        return resolve

    def _migrate(self, rows: np.ndarray, u: np.ndarray) -> None:
        """``rules.migrate_counts`` for the runs in ``rows``, each with its own stream; firms
        follow the workers where a policy reads them (``NEGModel._firms_follow``)."""
        places = self.places
        run_of, origin, destination = migrate_counts(
            self.counts[rows],
            u,
            self.speed[rows],
            self.response[rows],
            [self.runs[row].rng for row in rows],
            self.cost[rows] if self.costly[rows].any() else None,
        )
        size = rows.size * places
        flat = run_of * places
        change = np.bincount(flat + destination, minlength=size) - np.bincount(
            flat + origin, minlength=size
        )
        self.counts[rows] += change.reshape(rows.size, places)
        self.shares[rows] = self.counts[rows] / self.n[rows, None]
        for row in rows[self.scheduled[rows]]:
            run = self.runs[row]
            run.firm_counts = apportion(self.shares[row], run.n_firms)


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
