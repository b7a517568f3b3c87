"""NEGModel: the Mesa model. Each step: policies → agents decide → equilibrium → collect.

The mobile agents are workers in cp, entrepreneurs (Worker agents) in fe and firms in fc
(see ``negsim.economies``); ``shares`` are always the mobile factor's regional shares.

The short-run equilibrium is re-solved after every round of moves (warm-started from the
last wages), so the wages, price indices and real wages recorded for a step always belong
to the distribution of agents recorded for that step, and the next decisions use them.
Policies that change the economy at a step (``negsim.policies``) act before the decisions
of that step. Where cp firms adjust at their own speed (``firms.adjustment_speed``,
``negsim.firm_dynamics``) a step is: policies → workers move → equilibrium → firms
relocate, exit and enter → equilibrium → collect.
"""

from __future__ import annotations

import mesa
import numpy as np

from negsim import economies
from negsim.agents import Firm, Worker
from negsim.economies.base import Equilibrium, Solver
from negsim.economies.cp import firm_profit
from negsim.firm_dynamics import (
    best_relocation_gain,
    entrant_profit,
    entry_room,
    entry_slots,
    idle_firms,
    operating_capacity,
    profit_now,
    relocate_on_profit,
)
from negsim.frictions import cost_matrix
from negsim.geography import neighbours, transport_costs
from negsim.metrics import cluster_centres
from negsim.policies import Schedule, displace
from negsim.record import RegionState
from negsim.rules import apportion, draw_productivity, mean_field_drift, migrate, relocate_firms
from negsim.scenario import Scenario
from negsim.stability import is_stable_rest_point

REGION_COLUMNS = [
    "step",
    "region",
    "workers",
    "firms",
    "share",
    "wage",
    "price_index",
    "real_wage",
    "policy_events",
    "active_policies",
]


class NEGModel(mesa.Model):
    """Agent-based New Economic Geography model of a scenario (economies cp, fe, fc).

    ``model.step()`` advances one period; ``model.shares``, ``model.equilibrium`` and
    ``model.datacollector`` (table "regions", one row per region per step) show the state.
    """

    EMERGENCE_LEVEL = 1.0

    def __init__(self, scenario: Scenario, *, seed: int | None = None) -> None:
        self.seed = scenario.run.seed if seed is None else int(seed)
        super().__init__(rng=self.seed)
        self.spec = scenario
        self.region_names = scenario.region_names
        self.n_regions = len(self.region_names)
        self.transport_costs = transport_costs(scenario)
        self.neighbours = neighbours(scenario)
        self.farmers = np.asarray(scenario.farmer_shares(), dtype=float)
        self.economy = economies.get(scenario.economy.model)
        self.firms_move = self.economy.firms_are_mobile
        self._solver = self._bind_solver(self.transport_costs)
        self.schedule = Schedule(scenario)
        self.migration_cost = cost_matrix(scenario)

        initial = self._initial_shares()
        n_workers, n_firms = scenario.population.workers, scenario.population.firms
        worker_start = self.farmers if self.firms_move else initial
        self.worker_region = np.repeat(
            np.arange(self.n_regions), apportion(worker_start, n_workers)
        ).astype(np.int64)
        self.firm_region = np.repeat(np.arange(self.n_regions), apportion(initial, n_firms)).astype(
            np.int64
        )
        self.mobile_region = self.firm_region if self.firms_move else self.worker_region
        noise = scenario.behaviour.noise
        self.mobile_taste = (
            noise * self.rng.gumbel(size=(self.mobile_region.size, self.n_regions))
            if noise > 0
            else None
        )
        self.firm_productivity = draw_productivity(scenario.firms, n_firms, self.rng)
        # heterogeneous firms that choose their place (fc) react in proportion to a^(σ-1)
        self._gain_scale = (
            self.firm_productivity ** (scenario.economy.sigma - 1.0)
            if self.firms_move and self.firm_productivity is not None
            else None
        )
        self.workers = Worker.create_agents(self, n_workers, np.arange(n_workers))
        self.firms = Firm.create_agents(self, n_firms, np.arange(n_firms))
        # cp with firms.adjustment_speed: firm numbers are a state of their own
        self.dual = scenario.firms.adjustment_speed is not None
        self.n0 = n_firms  # firms of the zero-profit total (mass 1)
        self.firm_born = np.zeros(n_firms, dtype=np.int64)
        self.idle_steps = np.zeros(n_firms, dtype=np.int64)
        self.entry_streak = np.zeros(self.n_regions, dtype=np.int64)
        self._firm_agents: list[Firm | None] = [None] * n_firms if self.dual else []
        for agent in self.firms if self.dual else ():
            self._firm_agents[agent.index] = agent

        self.firm_counts = np.bincount(self.firm_region, minlength=self.n_regions)
        self._count()
        self.equilibrium = self._solve(None)
        self.moves = 0
        self.firm_moves = 0
        self.firm_entries = 0
        self.firm_exits = 0
        self.policy_events: list[str] = []
        self.drift = np.zeros(self.n_regions)
        self._share_history = [(self._settling_state(self.shares), np.inf)]
        self.converged = False
        self._stability_checked: tuple[int, bool] | None = None
        self._last_policy_step = max(
            [max(p.start, p.end or p.start) for p in scenario.policies], default=0
        )
        self.emerging_step: int | None = None
        self.emerging_clusters: list[int] = []
        self._watch_emergence()
        self.datacollector = mesa.DataCollector(
            model_reporters={
                "largest_share": lambda m: float(m.shares.max()),
                "moves": "moves",
                "firm_moves": "firm_moves",
                "firm_entries": "firm_entries",
                "firm_exits": "firm_exits",
                "solver_iterations": lambda m: m.equilibrium.iterations,
            },
            tables={"regions": self.region_columns},
        )
        self._collect()

    @property
    def region_columns(self) -> list[str]:
        extra = ["mean_productivity"] if self.firm_productivity is not None else []
        return REGION_COLUMNS + extra + (["firm_profit"] if self.dual else [])

    def _bind_solver(self, transport_costs: np.ndarray) -> Solver:
        """The economy's short-run equilibrium with the scenario's parameters bound."""
        econ, settings = self.spec.economy, self.spec.solver
        return self.economy.solver(
            self.farmers,
            transport_costs,
            econ.sigma,
            econ.mu,
            housing_share=econ.housing_share,
            housing=np.asarray(self.spec.housing_shares(), dtype=float),
            tol=settings.tol,
            max_iter=settings.max_iter,
        )

    def _initial_shares(self) -> np.ndarray:
        """Scenario's initial shares, scaled by 1 + ε·U(-1, 1) and renormalised if ε > 0."""
        shares = np.asarray(self.spec.initial_shares(), dtype=float)
        eps = self.spec.population.initial_perturbation
        if eps > 0:
            shares = shares * (1.0 + eps * self.rng.uniform(-1.0, 1.0, size=shares.size))
            shares /= shares.sum()
        return shares

    # --- state -------------------------------------------------------------------------
    def _count(self) -> None:
        """Tally agents per region once per step; ``shares`` are the mobile factor's."""
        self.worker_counts = np.bincount(self.worker_region, minlength=self.n_regions)
        if self.dual:
            self._count_firms()
        elif self.firms_move:  # otherwise firms move only in _firms_follow, which counts them
            self.firm_counts = np.bincount(self.firm_region, minlength=self.n_regions)
        mobile = self.firm_counts if self.firms_move else self.worker_counts
        self.shares = mobile / self.mobile_region.size

    def _count_firms(self) -> None:
        """Firms per region where they adjust on their own (closed slots hold index R)."""
        self.firm_counts = np.bincount(self.firm_region, minlength=self.n_regions + 1)[:-1]

    def _solve(self, wage0: np.ndarray | None) -> Equilibrium:
        """Short-run equilibrium of the current state (given firm masses when firms adjust
        at their own speed)."""
        firms = self.firm_counts / self.n0 if self.dual else None
        return self._solver(self.shares, wage0, firms=firms)

    def firm_profit(self) -> np.ndarray:
        """Profit of an operating firm in each region (0 under free entry)."""
        if not self.dual:
            return np.zeros(self.n_regions)
        econ = self.spec.economy
        return firm_profit(
            self.shares,
            self.firm_counts / self.n0,
            self.equilibrium.potential_wage,
            econ.sigma,
            econ.mu,
        )

    def log_payoff(self) -> np.ndarray:
        """What the mobile agents compare this step: ln payoff, with subsidies (net of the
        tax) and spillovers from active policies. A payoff of 0 (workers no firm employs)
        counts as e^-700, so everybody gains from leaving and nobody from going there."""
        u = np.log(np.maximum(self.equilibrium.payoff, np.exp(-700.0)))
        if self.schedule:
            factor = self.schedule.payoff_factor(
                self.steps,
                self.shares,
                self.equilibrium.wage,
                self.firm_counts / max(int(self.firm_counts.sum()), 1),
            )
            if factor is not None:
                u = u + np.log(factor)
        return u

    # --- dynamics ----------------------------------------------------------------------
    def step(self) -> None:
        """One period: policies act, the mobile agents reconsider, firms follow profits
        where they track workers, markets clear, record."""
        behaviour = self.spec.behaviour
        self.firm_entries = self.firm_exits = 0
        if self.schedule:
            self._apply_policies()
        self.moves, self.drift = migrate(
            self.mobile_region,
            self.log_payoff(),
            self.mobile_taste,
            behaviour.adjustment_speed,
            behaviour.response,
            self.rng,
            self.migration_cost,
            self._gain_scale,
        )
        self._count()
        if self.dual:  # firms see where the workers now are, at the wages that clear then
            self.equilibrium = self._solve(self.equilibrium.wage)
            self._firms_adjust()
            self._count_firms()
        self._firms_follow()
        self.equilibrium = self._solve(self.equilibrium.wage)
        if self.mobile_taste is None and self._gain_scale is None:
            # exact expected drift from the state just reached
            self.drift = mean_field_drift(
                self.shares,
                self.log_payoff(),
                behaviour.adjustment_speed,
                behaviour.response,
                self.migration_cost,
            )
        self._collect()
        self._watch_emergence()
        self._update_convergence(self.shares)

    def _firms_adjust(self) -> None:
        """cp with ``firms.adjustment_speed``: firms relocate, exit and enter on the profits of
        the current equilibrium (rules in ``negsim.firm_dynamics``)."""
        spec, econ, counts = self.spec.firms, self.spec.economy, self.firm_counts
        idle = self._idle()
        own, arrival = self._firm_profits(idle)
        before = self.firm_region.copy()
        self.firm_moves = relocate_on_profit(
            self.firm_region,
            own,
            arrival,
            spec.adjustment_speed,
            self.spec.behaviour.response,
            spec.relocation_cost,
            econ.mu / econ.sigma,
            self.rng,
            self._firm_gain_scale(),
            np.maximum(entry_room(self.shares, counts, self.n0) - 1, 0),
        )
        if not spec.entry_exit:
            return
        self.idle_steps = np.where(idle & (before == self.firm_region), self.idle_steps + 1, 0)
        profit = profit_now(
            self.shares, counts, self.n0, self.equilibrium.potential_wage, econ.sigma, econ.mu
        )
        self.entry_streak = np.where(profit > 0, self.entry_streak + 1, 0)
        self._count_firms()  # after the moves
        slots = entry_slots(
            self.shares, self.firm_counts, self.n0, self.entry_streak, spec.patience
        )
        entrants = self.rng.binomial(slots, spec.adjustment_speed)
        self._close_firms(np.flatnonzero(self.idle_steps >= spec.patience))
        self._open_firms(np.repeat(np.arange(self.n_regions), entrants))

    def _idle(self) -> np.ndarray:
        """Which firms stand idle (``negsim.firm_dynamics.idle_firms``)."""
        return idle_firms(
            self.firm_region,
            operating_capacity(self.shares, self.n0),
            self.firm_born if self.firm_productivity is None else -self.firm_productivity,
        )

    def _firm_profits(self, idle: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Each firm's profit (0 when idle) and each region's profit for an arriving firm."""
        econ = self.spec.economy
        own = np.where(idle, 0.0, np.append(self.firm_profit(), 0.0)[self.firm_region])
        arrival = entrant_profit(
            self.shares,
            self.firm_counts,
            self.n0,
            self.equilibrium.potential_wage,
            econ.sigma,
            econ.mu,
        )
        return own, arrival

    def _firm_gain_scale(self) -> np.ndarray | None:
        """a^(σ-1): a firm's profits scale with its productivity (Melitz 2003)."""
        if self.firm_productivity is None:
            return None
        return self.firm_productivity ** (self.spec.economy.sigma - 1.0)

    def _firms_settled(self) -> bool:
        """No firm gains from moving and, with entry and exit, none is idle and no entrant
        would profit: the firms' own rest point."""
        spec, econ = self.spec.firms, self.spec.economy
        idle = self._idle()
        own, arrival = self._firm_profits(idle)
        gain = best_relocation_gain(
            self.firm_region,
            own,
            arrival,
            spec.relocation_cost,
            econ.mu / econ.sigma,
            self._firm_gain_scale(),
        )
        if gain > 0:
            return False
        if not spec.entry_exit:
            return True
        room = entry_room(self.shares, self.firm_counts, self.n0)
        return not (idle.any() or room.any())

    def _close_firms(self, slots: np.ndarray) -> None:
        """Firms in ``slots`` close: their slot is marked closed (region index R) and their
        Mesa agents leave the model."""
        for slot in slots:
            self._firm_agents[slot].remove()
            self._firm_agents[slot] = None
        self.firm_region[slots] = self.n_regions
        self.idle_steps[slots] = 0
        self.firm_exits += int(slots.size)

    def _open_firms(self, regions: np.ndarray) -> None:
        """New firms enter ``regions`` (one entry each), in closed slots first, drawing their
        productivity from the scenario's distribution."""
        if regions.size == 0:
            return
        free = np.flatnonzero(self.firm_region == self.n_regions)[: regions.size]
        extra = regions.size - free.size
        if extra:
            self.firm_region = np.concatenate([self.firm_region, np.zeros(extra, np.int64)])
            self.firm_born = np.concatenate([self.firm_born, np.zeros(extra, np.int64)])
            self.idle_steps = np.concatenate([self.idle_steps, np.zeros(extra, np.int64)])
            if self.firm_productivity is not None:
                self.firm_productivity = np.concatenate([self.firm_productivity, np.ones(extra)])
            self._firm_agents += [None] * extra
        size = self.firm_region.size
        slots = np.concatenate([free, np.arange(size - extra, size)])
        self.firm_region[slots] = regions
        self.firm_born[slots] = self.steps
        self.idle_steps[slots] = 0
        drawn = draw_productivity(self.spec.firms, slots.size, self.rng)
        if drawn is not None:
            self.firm_productivity[slots] = drawn
        for agent in Firm.create_agents(self, slots.size, slots):
            self._firm_agents[agent.index] = agent
            self.firms.add(agent)
        self.firm_entries += int(slots.size)

    def _firms_follow(self) -> None:
        """In cp and fe firms track the mobile workers (free entry / firm moves with its
        entrepreneur); heterogeneous firms relocate most-productive-first towards the
        higher-reward region (Baldwin & Okubo 2006). Firms that adjust at their own speed
        move in ``_firms_adjust`` instead."""
        if self.firms_move or self.dual:
            return
        target = apportion(self.shares, self.firm_region.size)
        self.firm_moves = relocate_firms(
            self.firm_region,
            target,
            self.rng,
            productivity=self.firm_productivity,
            attraction=self.equilibrium.wage,
        )
        self.firm_counts = target  # relocation leaves exactly the target in each region

    def _apply_policies(self) -> None:
        """Policies acting at this step: transport costs, registration, shocks."""
        t = self.steps
        self.policy_events = [p.label for p in self.schedule.firing(t)]
        resolve = False
        if any(
            p.kind == "transport_cost" and p.start <= t <= max(p.start, p.end or p.start)
            for p in self.schedule.policies
        ):  # a transport policy fires or is ramping: rebuild the costs
            costs = self.schedule.transport_costs(t)
            if not np.array_equal(costs, self.transport_costs):
                self.transport_costs = costs
                self._solver = self._bind_solver(costs)
                resolve = True
        if any(p.kind == "registration" for p in self.schedule.policies):
            self.migration_cost = cost_matrix(self.spec, self.schedule.registration(t))
        for region, share in self.schedule.shocks(t):
            if self.dual:  # the firms close; workers stay until they choose to move
                members = np.flatnonzero(self.firm_region == region)
                count = int(round(share * members.size))
                self._close_firms(self.rng.choice(members, size=count, replace=False))
            else:
                displace(self.mobile_region, region, share, self.shares, self.rng)
            self._count()
            self._firms_follow()
            resolve = True
        if resolve:
            self.equilibrium = self._solve(self.equilibrium.wage)

    def _stable_here(self, shares: np.ndarray) -> bool:
        """Linear stability of the current state, re-checked at most once per window.

        With migration frictions a state nobody gains from leaving is a rest point that
        small disturbances do not undo (the gains stay below the costs)."""
        if self.migration_cost is not None and not np.any(self.drift):
            return True
        window = self.spec.run.convergence_window
        if self._stability_checked is None or self.steps - self._stability_checked[0] >= window:
            stable = is_stable_rest_point(self._solver, shares, self.spec.behaviour.noise)
            self._stability_checked = (self.steps, stable)
        return self._stability_checked[1]

    def _watch_emergence(self) -> None:
        """Record the clusters present when a pattern first emerges: at the first step at
        which some place holds (1 + EMERGENCE_LEVEL) times the even share 1/R, the peaks
        at least half as far above the even share. Clusters may merge later; the summary
        reports both the emerging and the final ones."""
        if self.emerging_step is None and (
            self.shares.max() * self.n_regions - 1.0 >= self.EMERGENCE_LEVEL
        ):
            self.emerging_step = self.steps
            self.emerging_clusters = cluster_centres(
                self.shares, self.neighbours, 0.5 * self.EMERGENCE_LEVEL
            )

    def _share_tolerance(self) -> float:
        """``convergence_tol``, but at least two agents' worth of share (a population of 16
        firms cannot settle to 0.001) and, where firms adjust on their own, two firms' worth:
        one firm out of place moves wages, and with them workers, by about that much."""
        tol = max(self.spec.run.convergence_tol, 2.0 / self.mobile_region.size)
        return max(tol, 2.0 / self.n0) if self.dual else tol

    def _settling_state(self, shares: np.ndarray) -> np.ndarray:
        """What must stop moving: the shares, and the firm masses where firms adjust on their
        own (scaled so that two firms' worth, or ``convergence_tol``, counts as the shares'
        tolerance)."""
        if not self.dual:
            return shares
        firm_tol = max(self.spec.run.convergence_tol, 2.0 / self.n0)
        tol = self._share_tolerance()
        return np.concatenate([shares, self.firm_counts / self.n0 * (tol / firm_tol)])

    def _update_convergence(self, shares: np.ndarray) -> None:
        """Settled: over the last ``convergence_window`` steps the shares moved less than
        ``convergence_tol``, the expected drift over a window is below it too and not
        growing, and the state is a stable rest point (``negsim.stability``) — so a slow
        escape from an unstable equilibrium is not mistaken for rest. A run never stops
        before its last policy has acted. Where firms adjust on their own they must have
        settled too (``_firms_settled``). The tolerance is ``_share_tolerance``."""
        run = self.spec.run
        window = run.convergence_window
        tol = self._share_tolerance()
        drift = float(np.max(np.abs(self.drift)))
        state = self._settling_state(shares)
        self._share_history.append((state, drift))
        if len(self._share_history) > window + 1:
            self._share_history.pop(0)
        then_state, then_drift = self._share_history[0]
        self.converged = (
            len(self._share_history) == window + 1
            and self.steps > self._last_policy_step
            and float(np.max(np.abs(state - then_state))) < tol
            and drift * window < tol
            and drift <= then_drift
            and (not self.dual or self._firms_settled())
            and self._stable_here(shares)
        )
        if self.converged and run.stop_when_converged:
            self.running = False

    def region_state(self, step: int | None = None) -> RegionState:
        """Where the mobile agents are now (a live model has only its current step)."""
        if step is not None and step != self.steps:
            raise ValueError("a live model only has its current step; pass a Result")
        counts = self.firm_counts if self.firms_move else self.worker_counts
        return RegionState(
            kind=self.spec.geography.kind,
            economy=self.spec.economy.model,
            names=list(self.region_names),
            counts=np.asarray(counts, dtype=float),
            shares=np.asarray(self.shares, dtype=float),
            real_wage=np.asarray(self.equilibrium.real_wage, dtype=float),
            transport_costs=np.asarray(self.transport_costs, dtype=float),
            step=int(self.steps),
            geography=self.spec.geography,
        )

    def mean_productivity(self) -> np.ndarray:
        """Mean productivity of the firms in each region (NaN where there are none)."""
        totals = np.bincount(
            self.firm_region, weights=self.firm_productivity, minlength=self.n_regions + 1
        )[: self.n_regions]
        with np.errstate(invalid="ignore", divide="ignore"):
            return totals / self.firm_counts

    def _collect(self) -> None:
        self.datacollector.collect(self)
        eq = self.equilibrium
        workers, firms, shares = self.worker_counts, self.firm_counts, self.shares
        events = ";".join(self.policy_events)
        active = (
            ";".join(p.label for p in self.schedule.active(self.steps)) if self.schedule else ""
        )
        productivity = self.mean_productivity() if self.firm_productivity is not None else None
        profit = self.firm_profit() if self.dual else None
        for r, name in enumerate(self.region_names):
            row = {
                "step": self.steps,
                "region": name,
                "workers": int(workers[r]),
                "firms": int(firms[r]),
                "share": float(shares[r]),
                "wage": float(eq.wage[r]),
                "price_index": float(eq.price_index[r]),
                "real_wage": float(eq.real_wage[r]),
                "policy_events": events,
                "active_policies": active,
            }
            if productivity is not None:
                row["mean_productivity"] = float(productivity[r])
            if profit is not None:
                row["firm_profit"] = float(profit[r])
            self.datacollector.add_table_row("regions", row)
        self.policy_events = []
