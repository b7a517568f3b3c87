"""The firms of a model, one slot each: the numpy arrays every step touches (region, birth
step, steps idle, productivity) and, once a user asks for them (``FirmSlots.views``), the
Mesa ``Firm`` agents that view them.

Where cp firms adjust at their own speed (``negsim.firm_dynamics``) firms close and enter:
a closing firm's slot keeps its place in the arrays with the region index R (so slots and
agent indices never shift) and its agent, if created, leaves the model; an entrant takes a
closed slot first, or a new one at the end, and gets a productivity drawn from the
scenario's distribution (and a new agent once the views exist).
"""

from __future__ import annotations

from collections.abc import Callable

import mesa
import numpy as np

from negsim.agents import Firm


class FirmSlots:
    """Firm slots of ``model``: ``region`` (R marks a closed slot), ``born`` (step of
    entry), ``idle_steps`` (consecutive steps idle), ``productivity`` (None when firms are
    identical). ``agents`` is None until ``views`` creates one Mesa agent per open slot."""

    def __init__(
        self,
        model: mesa.Model,
        region: np.ndarray,
        productivity: np.ndarray | None,
        n_regions: int,
        draw_productivity: Callable[[int], np.ndarray | None],
    ) -> None:
        self.model = model
        self.region = region
        self.productivity = productivity
        self.n_regions = n_regions
        self.born = np.zeros(region.size, dtype=np.int64)
        self.idle_steps = np.zeros(region.size, dtype=np.int64)
        self._draw = draw_productivity
        self.agents: mesa.agent.AgentSet | None = None
        self._by_slot: list[Firm | None] = []

    def views(self) -> mesa.agent.AgentSet:
        """The Mesa agents of the open firms, created on the first call (live views)."""
        if self.agents is None:
            self.agents = mesa.agent.AgentSet([], random=self.model.random)
            self._by_slot = [None] * self.region.size
            self._create_agents(np.flatnonzero(self.region < self.n_regions))
        return self.agents

    def _create_agents(self, slots: np.ndarray) -> None:
        for agent in Firm.create_agents(self.model, slots.size, slots):
            self._by_slot[agent.index] = agent
            self.agents.add(agent)

    def counts(self) -> np.ndarray:
        """Open firms per region (closed slots, region index R, are not counted)."""
        return np.bincount(self.region, minlength=self.n_regions + 1)[:-1]

    def close(self, slots: np.ndarray) -> int:
        """Close the firms in ``slots``: mark them closed and remove their agents."""
        for slot in slots if self.agents is not None else ():
            self._by_slot[slot].remove()
            self._by_slot[slot] = None
        self.region[slots] = self.n_regions
        self.idle_steps[slots] = 0
        return int(slots.size)

    def close_share(self, region: int, share: float, rng: np.random.Generator) -> int:
        """Close a ``share`` of the firms in ``region``, drawn at random (a shock)."""
        members = np.flatnonzero(self.region == region)
        count = int(round(share * members.size))
        return self.close(rng.choice(members, size=count, replace=False))

    def open(self, regions: np.ndarray, step: int) -> int:
        """New firms enter ``regions`` (one entry each), in closed slots first, drawing their
        productivity from the scenario's distribution."""
        if regions.size == 0:
            return 0
        free = np.flatnonzero(self.region == self.n_regions)[: regions.size]
        extra = regions.size - free.size
        if extra:
            self.region = np.concatenate([self.region, np.zeros(extra, self.region.dtype)])
            self.born = np.concatenate([self.born, np.zeros(extra, np.int64)])
            self.idle_steps = np.concatenate([self.idle_steps, np.zeros(extra, np.int64)])
            if self.productivity is not None:
                self.productivity = np.concatenate([self.productivity, np.ones(extra)])
            if self.agents is not None:
                self._by_slot += [None] * extra
        size = self.region.size
        slots = np.concatenate([free, np.arange(size - extra, size)])
        self.region[slots] = regions
        self.born[slots] = step
        self.idle_steps[slots] = 0
        drawn = self._draw(slots.size)
        if drawn is not None:
            self.productivity[slots] = drawn
        if self.agents is not None:
            self._create_agents(slots)
        return int(slots.size)
