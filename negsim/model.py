"""NEGModel: the Mesa model. Each step: agents decide → short-run equilibrium → collect.

The short-run equilibrium is re-solved after every round of moves (warm-started from the
last wages), so the wages, price indices and real wages recorded for a step always belong
to the distribution of agents recorded for that step, and the next decisions use them.
"""

from __future__ import annotations

import mesa
import numpy as np

from negsim.agents import Firm, Worker, apportion, migrate, relocate_firms
from negsim.economies import cp
from negsim.geography import transport_costs
from negsim.scenario import Scenario

REGION_COLUMNS = ["step", "region", "workers", "firms", "share", "wage", "price_index", "real_wage"]


class NEGModel(mesa.Model):
    """Agent-based New Economic Geography model of a scenario (economy "cp").

    ``model.step()`` advances one period; ``model.shares``, ``model.equilibrium`` and
    ``model.datacollector`` (table "regions", one row per region per step) show the state.
    """

    def __init__(self, scenario: Scenario, *, seed: int | None = None) -> None:
        self.seed = scenario.run.seed if seed is None else int(seed)
        super().__init__(rng=self.seed)
        self.spec = scenario
        self.region_names = list(scenario.regions.names)
        self.n_regions = len(self.region_names)
        self.transport_costs = transport_costs(scenario)
        self.farmers = np.asarray(scenario.farmer_shares(), dtype=float)

        initial = np.asarray(scenario.initial_shares(), dtype=float)
        n_workers = scenario.population.workers
        self.worker_region = np.repeat(
            np.arange(self.n_regions), apportion(initial, n_workers)
        ).astype(np.int64)
        noise = scenario.behaviour.noise
        self.worker_taste = (
            noise * self.rng.gumbel(size=(n_workers, self.n_regions)) if noise > 0 else None
        )
        self.firm_region = np.repeat(
            np.arange(self.n_regions), apportion(initial, scenario.population.firms)
        ).astype(np.int64)
        self.workers = Worker.create_agents(self, n_workers, np.arange(n_workers))
        self.firms = Firm.create_agents(
            self, scenario.population.firms, np.arange(self.firm_region.size)
        )

        self._count_workers()
        self.firm_counts = np.bincount(self.firm_region, minlength=self.n_regions)
        self.equilibrium = self._solve(wage0=None)
        self.moves = 0
        self.firm_moves = 0
        self.drift = np.zeros(self.n_regions)
        self._share_history = [self.shares]
        self.converged = False
        self.datacollector = mesa.DataCollector(
            model_reporters={
                "largest_share": lambda m: float(m.shares.max()),
                "moves": "moves",
                "firm_moves": "firm_moves",
                "solver_iterations": lambda m: m.equilibrium.iterations,
            },
            tables={"regions": REGION_COLUMNS},
        )
        self._collect()

    # --- state -------------------------------------------------------------------------
    def _count_workers(self) -> None:
        """Tally workers per region once per step (``worker_counts`` and shares λ_r)."""
        self.worker_counts = np.bincount(self.worker_region, minlength=self.n_regions)
        self.shares = self.worker_counts / self.worker_region.size

    # --- dynamics ----------------------------------------------------------------------
    def step(self) -> None:
        """One period: workers reconsider, firms follow profits, markets clear, record."""
        behaviour = self.spec.behaviour
        self.moves, self.drift = migrate(
            self.worker_region,
            np.log(self.equilibrium.real_wage),
            self.worker_taste,
            behaviour.adjustment_speed,
            behaviour.response,
            self.rng,
        )
        self._count_workers()
        target = apportion(self.shares, self.firm_region.size)
        self.firm_moves = relocate_firms(self.firm_region, target, self.rng)
        self.firm_counts = target  # relocation leaves exactly the target in each region
        self.equilibrium = self._solve(wage0=self.equilibrium.wage)
        self._collect()
        self._update_convergence(self.shares)

    def _solve(self, wage0: np.ndarray | None) -> cp.Equilibrium:
        economy, solver = self.spec.economy, self.spec.solver
        return cp.short_run_equilibrium(
            self.shares,
            self.farmers,
            self.transport_costs,
            economy.sigma,
            economy.mu,
            wage0=wage0,
            tol=solver.tol,
            max_iter=solver.max_iter,
        )

    def _update_convergence(self, shares: np.ndarray) -> None:
        """Settled: shares moved less than the tolerance over the window, and the expected
        drift over a window is below it too (so a slow escape is not mistaken for rest)."""
        run = self.spec.run
        self._share_history.append(shares)
        window = run.convergence_window
        if len(self._share_history) > window + 1:
            self._share_history.pop(0)
        self.converged = (
            len(self._share_history) == window + 1
            and float(np.max(np.abs(shares - self._share_history[0]))) < run.convergence_tol
            and float(np.max(np.abs(self.drift))) * window < run.convergence_tol
        )
        if self.converged and run.stop_when_converged:
            self.running = False

    def _collect(self) -> None:
        self.datacollector.collect(self)
        eq = self.equilibrium
        workers, firms, shares = self.worker_counts, self.firm_counts, self.shares
        for r, name in enumerate(self.region_names):
            self.datacollector.add_table_row(
                "regions",
                {
                    "step": self.steps,
                    "region": name,
                    "workers": int(workers[r]),
                    "firms": int(firms[r]),
                    "share": float(shares[r]),
                    "wage": float(eq.wage[r]),
                    "price_index": float(eq.price_index[r]),
                    "real_wage": float(eq.real_wage[r]),
                },
            )
