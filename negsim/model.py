"""NEGModel: the Mesa model. Each step: policies → decisions → markets → record.

The mobile agents are workers in cp, entrepreneurs (Worker agents) in fe and firms in fc
(see ``negsim.economies``); ``shares`` are always the mobile factor's regional shares.

The short-run equilibrium is re-solved after every round of moves (warm-started from the
last wages), so the wages, price indices and real wages recorded for a step always belong
to the distribution of agents recorded for that step, and the next decisions use them.
Policies that change the economy at a step (``negsim.policies``) act before the decisions
of that step. Where cp firms adjust at their own speed (``firms.adjustment_speed``,
``negsim.own_speed_firms``) the firms decide after the workers, on the wages that clear
once the workers have moved: policies → workers move → equilibrium → firms relocate, exit
and enter → equilibrium → record.
"""

from __future__ import annotations

from typing import Any

import mesa
import numpy as np
import pandas as pd

from negsim import economies
from negsim.agents import Worker, region_dtype
from negsim.amenities import log_amenities
from negsim.convergence import Convergence, Settling
from negsim.economies.base import Equilibrium, EquilibriumError, GroupWelfare, Solver
from negsim.firm_slots import FirmSlots
from negsim.frictions import cost_matrix
from negsim.geography import neighbours, transport_costs
from negsim.metrics import cluster_centres
from negsim.own_speed_firms import OwnSpeedFirms
from negsim.policies import UNCHANGED, Schedule, displace
from negsim.record import RegionState, welfare_frame
from negsim.rules import (
    apportion,
    draw_productivity,
    mean_field_drift,
    migrate,
    migrate_counts,
    productivity_scale,
    relocate_firms,
    relocate_movers,
)
from negsim.scenario import Scenario
from negsim.stability import floored_log, ln_payoff
from negsim.start import bound_solver, initial_shares

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
    ``seed`` replaces the scenario's ``run.seed``; the model's ``spec`` always holds the
    seed it runs with. The state lives in numpy arrays (``worker_region``, ``firm_region``);
    the Mesa agents (``model.agents``, ``agents_by_type``, ``workers``, ``firms``) are live
    views on them, created the first time a user asks for them (``negsim.agents``).
    """

    EMERGENCE_LEVEL = 1.0

    def __init__(self, scenario: Scenario, *, seed: int | None = None) -> None:
        scenario = scenario.with_seed(seed)
        self._workers: mesa.agent.AgentSet | None = None
        super().__init__(rng=scenario.run.seed)
        self._who = self.rng.spawn(1)[0]  # which agents move: a stream of its own
        self.spec = scenario
        self.region_names = scenario.region_names
        self.n_regions = len(self.region_names)
        self.transport_costs = transport_costs(scenario)
        self.neighbours = neighbours(scenario)
        self.farmers = np.asarray(scenario.farmer_shares(), dtype=float)
        self.economy = economies.of(scenario.economy)
        self.firms_move = self.economy.firms_are_mobile
        self._solver = self._bind_solver(self.transport_costs)
        self.schedule = Schedule(scenario)
        self.migration_cost = cost_matrix(scenario)
        self.log_amenity = log_amenities(scenario)

        initial = initial_shares(scenario, self.rng)
        n_workers, n_firms = scenario.population.workers, scenario.population.firms
        worker_start = self.farmers if self.firms_move else initial
        regions = np.arange(self.n_regions, dtype=region_dtype(self.n_regions))
        self.worker_region = np.repeat(regions, apportion(worker_start, n_workers))
        firm_region = np.repeat(regions, apportion(initial, n_firms))
        self.mobile_region = firm_region if self.firms_move else self.worker_region
        noise = scenario.behaviour.noise
        self.mobile_taste = (
            noise * self.rng.gumbel(size=(self.mobile_region.size, self.n_regions))
            if noise > 0
            else None
        )
        productivity = draw_productivity(scenario.firms, n_firms, self.rng)
        # heterogeneous firms that choose their place (fc) react in proportion to a^(σ-1)
        self._gain_scale = (
            productivity_scale(productivity, scenario.economy.sigma)
            if self.firms_move and productivity is not None
            else None
        )
        own_speed = scenario.firms.adjustment_speed is not None
        self.firm_slots = FirmSlots(
            self,
            firm_region,
            productivity,
            self.n_regions,
            lambda n: draw_productivity(scenario.firms, n, self.rng),
        )
        # cp with firms.adjustment_speed: firm numbers are a state of their own
        self.own_speed = (
            OwnSpeedFirms(
                self.firm_slots,
                scenario.firms,
                scenario.economy.sigma,
                scenario.economy.mu,
                scenario.behaviour.response,
                n_firms,
            )
            if own_speed
            else None
        )
        self.firm_counts = self.firm_slots.counts()
        self._count()
        self.equilibrium = self._solve(None)
        self.moves = 0
        self.firm_moves = 0
        self.firm_entries = 0
        self.firm_exits = 0
        self.policy_events: list[str] = []
        self.drift = np.zeros(self.n_regions)
        run = scenario.run
        self.convergence = Convergence(
            run.convergence_window,
            run.convergence_tol,
            self.mobile_region.size,
            n_firms if own_speed else None,
            self.schedule.last_step,
            self.n_regions,
        )
        self.convergence.start(self._settling_state())
        self._settling = Settling(
            self.convergence, scenario.behaviour.noise, self.mobile_region.size, self.n_regions
        )
        self.emerging_step: int | None = None
        self.emerging_clusters: list[int] = []
        self._watch_emergence()
        self.welfare_record: list[tuple[int, GroupWelfare]] = []
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

    # --- the Mesa agents: live views on the arrays, created on first use ------------------
    def _create_views(self) -> None:
        if self._workers is None:
            n = self.worker_region.size
            self._workers = Worker.create_agents(self, n, np.arange(n))
            self.firm_slots.views()

    @property
    def agents(self) -> mesa.agent.AgentSet:
        """All Mesa agents (workers, then firms); creates the views on first use."""
        self._create_views()
        return super().agents

    @property
    def agents_by_type(self) -> dict[type, mesa.agent.AgentSet]:
        self._create_views()
        return super().agents_by_type

    @property
    def agent_types(self) -> list[type]:
        self._create_views()
        return super().agent_types

    @property
    def workers(self) -> mesa.agent.AgentSet:
        """The ``Worker`` agents, one per entry of ``worker_region``."""
        self._create_views()
        return self._workers

    @property
    def firms(self) -> mesa.agent.AgentSet:
        """The ``Firm`` agents of the open firm slots."""
        self._create_views()
        return self.firm_slots.agents

    # --- views of the state --------------------------------------------------------------
    @property
    def seed(self) -> int:
        """The seed this model runs with (``spec.run.seed``)."""
        return self.spec.run.seed

    @property
    def dual(self) -> bool:
        """Firms adjust at their own speed (cp with ``firms.adjustment_speed``)."""
        return self.own_speed is not None

    @property
    def converged(self) -> bool:
        """The run has settled (``negsim.convergence``)."""
        return self.convergence.converged

    @property
    def solver(self) -> Solver:
        """The short-run equilibrium at the current transport costs, as a function of the
        shares (and a warm-start wage)."""
        return self._solver

    @property
    def equilibrium_criterion(self) -> str | None:
        """What settling demands of the mobile agents (``negsim.rest_point``): "equal
        payoffs" (ν = 0: no agent gains from moving) or "logit equilibrium" (ν > 0); None
        with tastes and migration costs, whose rest point has no closed form (then the
        shares' quiet window alone judges), and with ν = 0 beyond
        ``rest_point.JACOBIAN_MAX_PLACES`` places, whose tolerance costs R + 1 solves."""
        return self._settling.criterion(self.migration_cost)

    def equilibrium_check(self, fresh: bool = False) -> tuple[float, float] | None:
        """(residual, tolerance) of the equilibrium condition now; None without a
        criterion. The tolerance costs R + 1 solves, so it is reused for a window of steps
        unless ``fresh`` (``negsim.convergence.Settling``)."""
        return self._settling.check(
            self.steps, self._solver, self.shares, self.log_payoff, self.migration_cost, fresh
        )

    @property
    def firm_region(self) -> np.ndarray:
        """Each firm slot's region (R marks a closed slot)."""
        return self.firm_slots.region

    @property
    def firm_productivity(self) -> np.ndarray | None:
        """Each firm slot's productivity (None when firms are identical)."""
        return self.firm_slots.productivity

    @property
    def entry_streak(self) -> np.ndarray:
        """Consecutive steps each region has made profits (firms at their own speed)."""
        if self.own_speed is None:
            return np.zeros(self.n_regions, dtype=np.int64)
        return self.own_speed.entry_streak

    @property
    def region_columns(self) -> list[str]:
        extra = ["mean_productivity"] if self.firm_productivity is not None else []
        return REGION_COLUMNS + extra + (["firm_profit"] if self.dual else [])

    def _bind_solver(self, transport_costs: np.ndarray) -> Solver:
        """The economy's short-run equilibrium with the scenario's parameters bound."""
        return bound_solver(self.spec, self.economy, self.farmers, transport_costs)

    def _count(self) -> None:
        """Tally agents per region once per step; ``shares`` are the mobile factor's. Firms
        that track workers are counted where they move (``_firms_follow``)."""
        self.worker_counts = np.bincount(self.worker_region, minlength=self.n_regions)
        if self.firms_move or self.dual:
            self.firm_counts = self.firm_slots.counts()
        mobile = self.firm_counts if self.firms_move else self.worker_counts
        self.shares = mobile / self.mobile_region.size

    def _solve(self, wage0: np.ndarray | None) -> Equilibrium:
        """Short-run equilibrium of the current state (given firm masses when firms adjust
        at their own speed)."""
        firms = None if self.own_speed is None else self.own_speed.masses(self.firm_counts)
        eq = self._solver(self.shares, wage0, firms=firms)
        recorded = (eq.wage, eq.price_index, eq.real_wage)
        if not all(np.isfinite(values).all() for values in recorded):
            raise EquilibriumError(
                f"{self.economy.title} short-run equilibrium at step {self.steps}: wages or "
                "price indices are not finite numbers (float64 overflow or underflow)"
            )
        return eq

    def firm_profit(self) -> np.ndarray:
        """Profit of an operating firm in each region (0 under free entry)."""
        if self.own_speed is None:
            return np.zeros(self.n_regions)
        return self.own_speed.profit(self.shares, self.firm_counts, self.equilibrium.potential_wage)

    def _idle(self) -> np.ndarray:
        """Which firms stand idle (firms at their own speed; none otherwise)."""
        if self.own_speed is None:
            return np.zeros(self.firm_region.size, dtype=bool)
        return self.own_speed.idle(self.shares)

    def log_payoff(self) -> np.ndarray:
        """What the mobile agents compare this step: ln payoff plus ln amenity
        (``negsim.amenities``), with subsidies (net of the tax) and spillovers from active
        policies. A payoff of 0 (workers no firm employs) counts as e^-700, so everybody
        gains from leaving and nobody from going there; so does a payoff factor of 0 (a
        subsidy at rate 1 taxes away every other reward)."""
        u = ln_payoff(self.equilibrium)
        if self.log_amenity is not None:
            u = u + self.log_amenity
        if self.schedule:
            factor = self.schedule.payoff_factor(
                self.steps,
                self.shares,
                self.equilibrium.wage,
                self.firm_counts / max(int(self.firm_counts.sum()), 1),
            )
            if factor is not None:
                u = u + floored_log(factor)
        return u

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

    def firm_dynamics_summary(self) -> dict[str, Any] | None:
        """Where firms adjust at their own speed: final firms and profits by region, and
        the entries and exits of the whole run (None otherwise)."""
        if self.own_speed is None:
            return None
        names = self.region_names
        flows = self.datacollector.get_model_vars_dataframe()
        return {
            "final_firms": {n: int(c) for n, c in zip(names, self.firm_counts, strict=True)},
            "final_firm_profit": {
                n: float(p) for n, p in zip(names, self.firm_profit(), strict=True)
            },
            "entries": int(flows["firm_entries"].sum()),
            "exits": int(flows["firm_exits"].sum()),
        }

    def mean_productivity(self) -> np.ndarray:
        """Mean productivity of the firms in each region (NaN where there are none)."""
        totals = np.bincount(
            self.firm_region, weights=self.firm_productivity, minlength=self.n_regions + 1
        )[: self.n_regions]
        with np.errstate(invalid="ignore", divide="ignore"):
            return totals / self.firm_counts

    # --- one period ------------------------------------------------------------------------
    def step(self) -> None:
        """One period: policies act → the mobile agents decide → firms decide (follow the
        workers, or adjust at their own speed) → markets clear → record."""
        self.firm_entries = self.firm_exits = 0
        if self.schedule:
            self._apply_policies()
        self._mobile_agents_decide()
        self._firms_decide()
        self.equilibrium = self._solve(self.equilibrium.wage)
        self._record()

    def _apply_policies(self) -> None:
        """What the policies do at this step (``negsim.policies``): new transport costs,
        registration barriers, shocks; markets re-clear if the economy changed."""
        effects = self.schedule.effects(self.steps, self.transport_costs)
        self.policy_events = effects.events
        resolve = False
        if effects.transport_costs is not None:
            self.transport_costs = effects.transport_costs
            self._solver = self._bind_solver(effects.transport_costs)
            resolve = True
        if effects.migration_costs is not UNCHANGED:
            self.migration_cost = effects.migration_costs
        for region, share in effects.shocks:
            if self.own_speed is not None:  # the firms close; workers stay until they choose
                self.firm_exits += self.firm_slots.close_share(region, share, self.rng)
            else:
                displace(self.mobile_region, region, share, self.shares, self.rng)
            self._count()
            self._firms_follow()
            resolve = True
        if resolve:
            self.equilibrium = self._solve(self.equilibrium.wage)

    def _mobile_agents_decide(self) -> None:
        """A share of the mobile agents reconsiders where to be: interchangeable agents place
        by place (``negsim.rules.migrate_counts``, who moves from ``_who``), agents with
        tastes or productivities of their own one by one (``migrate``); the counts follow
        from the moves, without a tally of every agent."""
        behaviour = self.spec.behaviour
        counts = (self.firm_counts if self.firms_move else self.worker_counts).copy()
        if self._exact_drift:
            cost = self.migration_cost
            _, origin, destination = migrate_counts(
                counts[None],
                self.log_payoff()[None],
                np.array([behaviour.adjustment_speed]),
                np.array([behaviour.response]),
                [self.rng],
                None if cost is None else cost[None],
            )
            relocate_movers(self.mobile_region, origin, destination, self._who)
            counts += np.bincount(destination, minlength=self.n_regions)
            counts -= np.bincount(origin, minlength=self.n_regions)
            self.moves = int(origin.size)
        else:
            self.moves, self.drift = migrate(
                self.mobile_region,
                self.log_payoff(),
                self.mobile_taste,
                behaviour.adjustment_speed,
                behaviour.response,
                self.rng,
                self.migration_cost,
                self._gain_scale,
                counts,
            )
        if self.firms_move:
            self.firm_counts = counts
        else:
            self.worker_counts = counts
        self.shares = counts / self.mobile_region.size

    def _firms_decide(self) -> None:
        """Firms that adjust at their own speed see where the workers now are, at the wages
        that clear then, and relocate, exit and enter; others follow the workers."""
        if self.own_speed is None:
            self._firms_follow()
            return
        self.equilibrium = self._solve(self.equilibrium.wage)
        self.firm_moves, exits, entries = self.own_speed.adjust(
            self.shares, self.firm_counts, self.equilibrium.potential_wage, self.steps, self.rng
        )
        self.firm_exits += exits  # a shock at this step may have closed firms already
        self.firm_entries += entries
        self.firm_counts = self.firm_slots.counts()

    def _firms_follow(self) -> None:
        """In cp and fe firms track the mobile workers (free entry / firm moves with its
        entrepreneur); heterogeneous firms relocate most-productive-first towards the
        higher-reward region (Baldwin & Okubo 2006). Firms that adjust at their own speed
        move in ``_firms_decide`` instead."""
        if self.firms_move or self.dual:
            return
        target = apportion(self.shares, self.firm_region.size)
        self.firm_moves = relocate_firms(
            self.firm_region,
            target,
            self._who,
            productivity=self.firm_productivity,
            attraction=self.equilibrium.wage,
        )
        self.firm_counts = target  # relocation leaves exactly the target in each region

    @property
    def _exact_drift(self) -> bool:
        """The expected drift has an exact form (``mean_field_drift``): no tastes, no
        productivity-scaled gains."""
        return self.mobile_taste is None and self._gain_scale is None

    def _record(self) -> None:
        """The expected drift, the data row, emerging clusters and whether the run settled."""
        if self._exact_drift:  # from the state just reached
            behaviour = self.spec.behaviour
            self.drift = mean_field_drift(
                self.shares,
                self.log_payoff(),
                behaviour.adjustment_speed,
                behaviour.response,
                self.migration_cost,
            )
        self._collect()
        self._watch_emergence()
        self._update_convergence()

    def _settling_state(self) -> np.ndarray:
        masses = None if self.own_speed is None else self.own_speed.masses(self.firm_counts)
        return self.convergence.state(self.shares, masses)

    def _update_convergence(self) -> None:
        """Settled (``negsim.convergence``): the shares (and firm masses) at rest over a
        window, the equilibrium condition met to the agents' granularity
        (``equilibrium_check``) and a stable rest point — with frictions, a state nobody
        gains from leaving is one small disturbances do not undo; where firms adjust on
        their own they must be at rest too. A run never stops before its last policy has acted."""
        own = self.own_speed
        settled = self._settling.update(
            self.steps,
            self._settling_state(),
            self.drift,
            self._solver,
            self.shares,
            self.log_payoff,
            self.migration_cost,
            settled=lambda: (
                own is None
                or own.settled(self.shares, self.firm_counts, self.equilibrium.potential_wage)
            ),
        )
        if settled and self.spec.run.stop_when_converged:
            self.running = False

    def _watch_emergence(self) -> None:
        """Record the pattern that emerges. It has emerged at the first step at which some
        place holds (1 + EMERGENCE_LEVEL) times the even share 1/R; its clusters are the
        most that the pattern shows from then on (``metrics.cluster_centres`` at the
        summary's ``dispersed_tolerance``, as the final count): the peaks of a mode grow
        at different speeds, so when the first place doubles others are still rising
        (on a racetrack of 16 places at T = 1.9, 4–5 of the 8 the mode forms); clusters
        that merge later only lower the final count. The summary reports both."""
        if self.emerging_step is None:
            if self.shares.max() * self.n_regions - 1.0 < self.EMERGENCE_LEVEL:
                return
            self.emerging_step = self.steps
        centres = cluster_centres(
            self.shares, self.neighbours, self.spec.analysis.dispersed_tolerance
        )
        if len(centres) > len(self.emerging_clusters):
            self.emerging_clusters = centres

    def group_welfare(self) -> GroupWelfare:
        """Indirect utility of each group in each region now (``Economy.group_welfare``)."""
        econ = self.spec.economy
        return self.economy.group_welfare(
            self.equilibrium, self.shares, self.farmers, econ.mu, econ.housing_share
        )

    def welfare_table(self) -> pd.DataFrame:
        """welfare.csv: one row per recorded step per region (``record.welfare_frame``)."""
        return welfare_frame(self.region_names, self.welfare_record)

    def _collect(self) -> None:
        self.datacollector.collect(self)
        if self.economy.welfare_groups is not None:
            self.welfare_record.append((self.steps, self.group_welfare()))
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
