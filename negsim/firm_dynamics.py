"""Firms that adjust at their own speed in the cp economy: relocation, entry and exit on
profits ("dual migration" of workers and firms, out of equilibrium).

Under FKV's free entry the mass of firms in r is λ_r at every instant. Here it is a state
n_r = (firms in r)/N₀ (N₀ = ``population.firms``, so the zero-profit total is 1) that
moves only when firms decide to. Given λ and n the short-run equilibrium
(``negsim.economies.cp``, argument ``firms``) gives each operating firm's profit

    π_r = μ w_r (λ_r - n_r) / ((σ-1) n_r)      (``cp.firm_profit``),

positive where firms are scarce relative to the workforce. The fixed labour is avoidable,
so at most ⌈λ_r N₀⌉ firms operate in r (the last one part-time) and the rest stay *idle*
(they earn nothing): the youngest idle first, or the least productive when firms differ.
The room of a region, k_r = ⌈λ_r N₀ - count_r⌉, is how many firms it can take in before
its profits fall to zero. Each step:

- **relocation** — a share ``firms.adjustment_speed`` of firms reconsiders; each draws a
  candidate region s and moves with probability min(1, κ·max(0, g)), where
  g = a^(σ-1) (π⁺_s - π_own)/F - c_move, π⁺_s = π_s at count_s + 1 (the profit the mover
  would make there, its own arrival included), π_own its current profit (0 when idle),
  F = μ/σ the fixed labour at unit wage, c_move = ``firms.relocation_cost`` (a share of F)
  and κ = ``behaviour.response``. A region takes in at most the k_r - 1 movers that all
  still profit there, first come first served — firms see the local market, so they do
  not all rush into the same gap and overshoot;
- **exit** (``firms.entry_exit``) — a firm idle for ``firms.patience`` consecutive steps
  closes;
- **entry** (``firms.entry_exit``) — where firms have made a profit (π_r > 0; a first
  firm's profit where workers have none) for ``firms.patience`` consecutive steps, each of
  the k_r entrants it has room for enters with probability ``firms.adjustment_speed``.
  Entry stops at zero profit, free entry's margin, so the last entrant may break even
  running part-time — which keeps whole-firm lumpiness from freezing a region just short
  of its free-entry count.

With entry and exit the rest points have count_r = ⌈λ_r N₀⌉ wherever λ_r > 0: no firm
gains from moving, none is idle, no region makes profits — FKV's free-entry state n = λ,
reached at a finite speed. With relocation alone the number of firms is fixed and the
rest points are those where no firm gains from a move: n = λ up to a firm.
"""

from __future__ import annotations

import numpy as np

from negsim.economies.cp import firm_profit


def operating_capacity(shares: np.ndarray, n0: int) -> np.ndarray:
    """How many firms operate in each region: ⌈λ_r N₀⌉, enough to employ its workers at
    the break-even scale (the last one part-time); any more stand idle."""
    return np.ceil(np.asarray(shares) * n0 - 1e-9).astype(np.int64)


def idle_firms(
    firm_region: np.ndarray,
    capacity: np.ndarray,
    order_key: np.ndarray,
) -> np.ndarray:
    """Boolean mask of idle firms: in each region the firms beyond ``capacity``, taking the
    largest ``order_key`` first (birth step, or minus productivity). Slots of closed firms
    carry the region index R and are never idle."""
    n_regions = capacity.size
    counts = np.bincount(firm_region, minlength=n_regions + 1)
    surplus = np.append(np.maximum(counts[:-1] - capacity, 0), 0)  # closed slots: none
    idle = np.zeros(firm_region.size, dtype=bool)
    if not surplus.any():
        return idle
    crowded = np.flatnonzero(surplus[firm_region] > 0)
    regions = firm_region[crowded]
    order = np.lexsort((-order_key[crowded], regions))  # by region, then largest key first
    ranked = regions[order]
    starts = np.concatenate(([0], np.cumsum(np.bincount(regions, minlength=n_regions))))
    rank = np.arange(order.size) - starts[ranked]
    idle[crowded[order[rank < surplus[ranked]]]] = True
    return idle


def entrant_profit(
    shares: np.ndarray, counts: np.ndarray, n0: int, wage: np.ndarray, sigma: float, mu: float
) -> np.ndarray:
    """π⁺_r: the profit a firm arriving in r would make, its own arrival included (``wage``:
    the equilibrium's potential wage, which covers regions where no firm operates yet)."""
    return firm_profit(shares, (counts + 1.0) / n0, wage, sigma, mu)


def profit_now(
    shares: np.ndarray, counts: np.ndarray, n0: int, wage: np.ndarray, sigma: float, mu: float
) -> np.ndarray:
    """π_r: the profit firms make in r now; where workers have no firm, a first firm's."""
    return firm_profit(shares, np.maximum(counts, 1) / n0, wage, sigma, mu)


def net_gain(
    arrival: np.ndarray,
    firms: np.ndarray,
    own_profit: np.ndarray,
    fixed_cost: float,
    relocation_cost: float,
    gain_scale: np.ndarray | None,
) -> np.ndarray:
    """g = a^(σ-1)(π⁺ - π_own)/F - c_move for the firms ``firms`` moving where an arriving
    firm makes ``arrival`` (one entry per firm)."""
    gain = (arrival - own_profit[firms]) / fixed_cost
    if gain_scale is not None:
        gain = gain * gain_scale[firms]
    return gain - relocation_cost


def relocate_on_profit(
    firm_region: np.ndarray,
    own_profit: np.ndarray,
    arrival_profit: np.ndarray,
    speed: float,
    response: float,
    relocation_cost: float,
    fixed_cost: float,
    rng: np.random.Generator,
    gain_scale: np.ndarray | None = None,
    room: np.ndarray | None = None,
) -> int:
    """Relocation step (module docstring), in place on ``firm_region``. ``own_profit`` is
    per firm, ``arrival_profit`` per region, ``room`` how many movers each region takes in
    (``entry_room`` - 1; None: no limit). Returns the number of firms that moved."""
    n_regions = arrival_profit.size
    alive = np.flatnonzero(firm_region < n_regions)
    movers = alive[rng.random(alive.size) < speed]
    here = firm_region[movers]
    there = (here + rng.integers(1, n_regions, size=movers.size)) % n_regions
    gain = net_gain(
        arrival_profit[there], movers, own_profit, fixed_cost, relocation_cost, gain_scale
    )
    p = np.minimum(1.0, response * np.maximum(gain, 0.0))
    move = np.flatnonzero(rng.random(movers.size) < p)
    if room is not None:  # a region takes in at most its room, first come first served
        move = rng.permutation(move)
        order = np.argsort(there[move], kind="stable")
        dest = there[move[order]]
        starts = np.searchsorted(dest, np.arange(n_regions))
        rank = np.arange(order.size) - starts[dest]
        move = move[order[rank < room[dest]]]
    firm_region[movers[move]] = there[move]
    return int(move.size)


def best_relocation_gain(
    firm_region: np.ndarray,
    own_profit: np.ndarray,
    arrival_profit: np.ndarray,
    relocation_cost: float,
    fixed_cost: float,
    gain_scale: np.ndarray | None = None,
) -> float:
    """The largest net gain g any firm could make by moving (≤ 0: no firm wants to move)."""
    n_regions = arrival_profit.size
    alive = np.flatnonzero(firm_region < n_regions)
    if alive.size == 0 or n_regions < 2:
        return 0.0
    top, second = np.argsort(-arrival_profit, kind="stable")[:2]
    best = np.full(n_regions, arrival_profit[top])  # best arrival profit outside each region
    best[top] = arrival_profit[second]
    gain = net_gain(
        best[firm_region[alive]], alive, own_profit, fixed_cost, relocation_cost, gain_scale
    )
    return float(np.max(gain))


def entry_room(shares: np.ndarray, counts: np.ndarray, n0: int) -> np.ndarray:
    """k_r = ⌈λ_r N₀ - count_r⌉ (at least 0): how many more firms r can take in before its
    profits fall to zero (the last one operating part-time)."""
    room = np.ceil(np.asarray(shares) * n0 - counts - 1e-9).astype(np.int64)
    return np.maximum(room, 0)


def entry_slots(
    shares: np.ndarray, counts: np.ndarray, n0: int, profitable_for: np.ndarray, patience: int
) -> np.ndarray:
    """``entry_room`` where firms have made a profit for ``patience`` consecutive steps, 0
    elsewhere."""
    return np.where(profitable_for >= patience, entry_room(shares, counts, n0), 0)
