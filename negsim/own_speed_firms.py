"""cp firms that adjust at their own speed, as a model steps them: which firms stand idle,
what they earn, their moves, exits and entries each step, and whether they are at rest.

The rules are ``negsim.firm_dynamics``'s (each with its equation there); this object holds
the state they need across steps (the firm slots, the regions' profit streaks) so that
``NEGModel`` only asks it to act.
"""

from __future__ import annotations

import numpy as np

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
from negsim.firm_slots import FirmSlots
from negsim.rules import productivity_scale


class OwnSpeedFirms:
    """Firms of the zero-profit total ``n0`` (mass 1) that relocate, exit and enter on the
    profits of the short-run equilibrium for given firm masses (``firms`` is the scenario's
    ``[firms]`` table, ``response`` the agents' ``behaviour.response``)."""

    def __init__(
        self, slots: FirmSlots, firms, sigma: float, mu: float, response: float, n0: int
    ) -> None:
        self.slots, self.spec = slots, firms
        self.sigma, self.mu, self.response, self.n0 = sigma, mu, response, n0
        self.entry_streak = np.zeros(slots.n_regions, dtype=np.int64)

    def masses(self, counts: np.ndarray) -> np.ndarray:
        """Firm masses n_r = count_r / N₀ (what the equilibrium takes as given)."""
        return counts / self.n0

    def profit(self, shares: np.ndarray, counts: np.ndarray, wage: np.ndarray) -> np.ndarray:
        """Profit of an operating firm in each region (``cp.firm_profit``; ``wage`` the
        equilibrium's potential wage)."""
        return firm_profit(shares, counts / self.n0, wage, self.sigma, self.mu)

    def idle(self, shares: np.ndarray) -> np.ndarray:
        """Which firms stand idle (``negsim.firm_dynamics.idle_firms``): the youngest, or the
        least productive where firms differ."""
        slots = self.slots
        key = slots.born if slots.productivity is None else -slots.productivity
        return idle_firms(slots.region, operating_capacity(shares, self.n0), key)

    def _profits(
        self, idle: np.ndarray, shares: np.ndarray, counts: np.ndarray, wage: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Each firm's profit (0 when idle) and each region's profit for an arriving firm."""
        per_region = np.append(self.profit(shares, counts, wage), 0.0)
        own = np.where(idle, 0.0, per_region[self.slots.region])
        arrival = entrant_profit(shares, counts, self.n0, wage, self.sigma, self.mu)
        return own, arrival

    def _gain_scale(self) -> np.ndarray | None:
        """a^(σ-1): a firm's profits scale with its productivity (Melitz 2003)."""
        productivity = self.slots.productivity
        return None if productivity is None else productivity_scale(productivity, self.sigma)

    def adjust(
        self,
        shares: np.ndarray,
        counts: np.ndarray,
        wage: np.ndarray,
        step: int,
        rng: np.random.Generator,
    ) -> tuple[int, int, int]:
        """One step of relocation, exit and entry on the current equilibrium's profits
        (``wage`` its potential wage). Returns (moves, exits, entries)."""
        spec, slots = self.spec, self.slots
        idle = self.idle(shares)
        own, arrival = self._profits(idle, shares, counts, wage)
        before = slots.region.copy()
        moves = relocate_on_profit(
            slots.region,
            own,
            arrival,
            spec.adjustment_speed,
            self.response,
            spec.relocation_cost,
            self.mu / self.sigma,
            rng,
            self._gain_scale(),
            np.maximum(entry_room(shares, counts, self.n0) - 1, 0),
        )
        if not spec.entry_exit:
            return moves, 0, 0
        slots.idle_steps = np.where(idle & (before == slots.region), slots.idle_steps + 1, 0)
        profit = profit_now(shares, counts, self.n0, wage, self.sigma, self.mu)
        self.entry_streak = np.where(profit > 0, self.entry_streak + 1, 0)
        room = entry_slots(shares, slots.counts(), self.n0, self.entry_streak, spec.patience)
        entrants = rng.binomial(room, spec.adjustment_speed)
        exits = slots.close(np.flatnonzero(slots.idle_steps >= spec.patience))
        entries = slots.open(np.repeat(np.arange(slots.n_regions), entrants), step)
        return moves, exits, entries

    def settled(self, shares: np.ndarray, counts: np.ndarray, wage: np.ndarray) -> bool:
        """No firm gains from moving and, with entry and exit, none is idle and no entrant
        would profit: the firms' own rest point."""
        spec = self.spec
        idle = self.idle(shares)
        own, arrival = self._profits(idle, shares, counts, wage)
        gain = best_relocation_gain(
            self.slots.region,
            own,
            arrival,
            spec.relocation_cost,
            self.mu / self.sigma,
            self._gain_scale(),
        )
        if gain > 0:
            return False
        if not spec.entry_exit:
            return True
        return not (idle.any() or entry_room(shares, counts, self.n0).any())
