"""Scheduled interventions (``[[policies]]``): what each does to the economy at step t.

Each policy acts from step ``start`` (and, where it has a window, until ``end``):

- ``transport_cost`` — infrastructure. Without ``between``, the iceberg cost between
  neighbouring places becomes ``value``; with ``between = [A, B]`` only the direct link A–B
  does (a new or improved road; routes through it are re-chained, ``negsim.geography``).
  With an ``end`` the cost moves linearly from its value before the policy,
  T(t) = T_0 + (value - T_0)(t - start)/(end - start), and stays at ``value`` after.
- ``registration`` — reform of a household-registration barrier on entering ``region``:
  its ``cost`` and/or ``blocked`` replace the scenario's until ``end`` (``negsim.frictions``).
- ``subsidy`` — the mobile factor's reward in ``regions`` is raised by the rate s, financed
  by a uniform tax τ on the reward of the whole mobile factor (so everyone, subsidised or
  not, pays): payoff_r × (1 + s·1[r ∈ regions] - τ), with the balanced budget
  τ Σ_r λ_r w_r = s Σ_{r ∈ regions} λ_r w_r (w the nominal reward). The transfer's own
  effect on regional demand is not modelled: it moves decisions, not market clearing.
- ``shock`` — at ``start`` a share of the firms in ``region`` closes. Their capital (fc) or
  their workers/entrepreneurs (cp, fe; firms follow them) relocate to the other regions in
  proportion to those regions' current shares — a one-off displacement. Where cp firms
  adjust at their own speed (``firms.adjustment_speed``) the firms just close: the
  region's remaining firms earn profits, its wage falls (labour is now abundant,
  ``negsim.economies.cp``), and workers and entrants respond at their own pace.
- ``border`` — a border between two groups of places (the ``group`` column of a places
  table): from ``start`` to ``end`` (default: for good) the iceberg cost of every pair of
  places on opposite sides is multiplied by ``factor``, or trade between them stops
  (``closed = true``: T = ∞, trade freeness T^(1-σ) = 0), and after ``end`` the border
  opens again. The cost applies to the pair, as in Redding & Sturm (2008, AER 98(5),
  "The costs of remoteness: evidence from German division and reunification", section II:
  after division, trade costs between West and East German cities are prohibitive); routes
  between places on the same side are not re-chained around the other side.
- ``spillover`` — knowledge spillovers in the cluster (the "innovation" force): in
  ``regions`` (default all) the payoff is multiplied by 1 + b·n_r, n_r the region's share of
  all firms, during the window: the more of the industry a place hosts, the more productive
  it is.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import numpy as np

from negsim.frictions import cost_matrix
from negsim.geography import costs, transport_costs
from negsim.scenario import Policy, RegistrationBarrier, Scenario

UNCHANGED = object()
"""``PolicyEffects.migration_costs`` when no policy touches the migration costs."""


@dataclass
class PolicyEffects:
    """What the policies do to the economy at one step, for the model to apply.

    ``events``: labels of the policies taking effect; ``transport_costs``: the new iceberg
    matrix, or None where it does not change; ``migration_costs``: the migration-cost
    matrix in force (None: frictionless), or ``UNCHANGED``; ``shocks``: (region index,
    share of its firms closing). Payoff changes (subsidies, spillovers) act through
    ``Schedule.payoff_factor`` when agents decide.
    """

    events: list[str] = field(default_factory=list)
    transport_costs: np.ndarray | None = None
    migration_costs: object = UNCHANGED
    shocks: list[tuple[int, float]] = field(default_factory=list)


def is_active(policy: Policy, step: int) -> bool:
    """Does a windowed policy act at ``step``? (transport changes persist after ``end``.)"""
    if step < policy.start:
        return False
    return policy.kind == "transport_cost" or policy.end is None or step <= policy.end


class Schedule:
    """The policies of a scenario, evaluated step by step."""

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self.policies = sorted(scenario.policies, key=lambda p: p.start)
        self.names = scenario.region_names
        self.index = {name: i for i, name in enumerate(self.names)}
        self._transport = [p for p in self.policies if p.kind == "transport_cost"]
        self._borders = [p for p in self.policies if p.kind == "border"]
        self._registration = any(p.kind == "registration" for p in self.policies)

    def __bool__(self) -> bool:
        return bool(self.policies)

    @property
    def last_step(self) -> int:
        """The last step at which a policy takes effect or still ramps (0 without any)."""
        return max([max(p.start, _last(p)) for p in self.policies], default=0)

    def effects(self, step: int, current_costs: np.ndarray) -> PolicyEffects:
        """What the policies do at ``step``, given the iceberg matrix in force before it."""
        out = PolicyEffects(events=[p.label for p in self.firing(step)], shocks=self.shocks(step))
        ramping = any(p.start <= step <= max(p.start, _last(p)) for p in self._transport)
        moving = any(step in (p.start, _last(p)) for p in self._borders)
        if ramping or moving:
            new = self.transport_costs(step)  # a transport policy fires or ramps, a border moves
            if not np.array_equal(new, current_costs):
                out.transport_costs = new
        if self._registration:
            out.migration_costs = cost_matrix(self.scenario, self.registration(step))
        return out

    def firing(self, step: int) -> list[Policy]:
        return [p for p in self.policies if p.start == step]

    def active(self, step: int) -> list[Policy]:
        return [p for p in self.policies if is_active(p, step)]

    # --- transport ---------------------------------------------------------------------
    def transport_costs(self, step: int) -> np.ndarray:
        """The iceberg matrix at ``step`` with every transport policy applied so far."""
        sc = self.scenario
        global_T = sc.economy.transport_cost
        links = {tuple(sorted(o.between)): o.transport_cost for o in sc.geography.link_overrides}
        for p in self._transport:
            if step < p.start:
                continue
            if p.between is None:
                global_T = _ramp(global_T, p, step)
            else:
                key = tuple(sorted(p.between))
                before = links.get(key, self._base_costs[self.index[key[0]], self.index[key[1]]])
                links[key] = _ramp(before, p, step)
        overrides = [(a, b, cost) for (a, b), cost in links.items()]
        T = costs(sc.geography, self.names, global_T, overrides)
        for p in self._borders:
            if p.start <= step and (p.end is None or step <= p.end):
                T = across_border(T, self._sides(p), np.inf if p.closed else p.factor)
        return T

    def _sides(self, policy: Policy) -> np.ndarray:
        """+1 for places in the policy's first group, -1 in its second, 0 elsewhere."""
        group = [place.group for place in self.scenario.geography.table]
        first, second = policy.groups
        return np.array([(g == first) - (g == second) for g in group], dtype=int)

    @functools.cached_property
    def _base_costs(self) -> np.ndarray:
        """The scenario's own iceberg matrix (what a link policy ramps from)."""
        return transport_costs(self.scenario)

    # --- registration ------------------------------------------------------------------
    def registration(self, step: int) -> list[RegistrationBarrier]:
        """The registration barriers in force at ``step``."""
        barriers = {b.region: b for b in self.scenario.frictions.registration}
        for p in self.active(step):
            if p.kind == "registration":
                old = barriers.get(p.region, RegistrationBarrier(region=p.region))
                barriers[p.region] = RegistrationBarrier(
                    region=p.region,
                    cost=old.cost if p.cost is None else p.cost,
                    blocked=old.blocked if p.blocked is None else p.blocked,
                )
        return list(barriers.values())

    # --- payoffs -----------------------------------------------------------------------
    def payoff_factor(
        self, step: int, shares: np.ndarray, reward: np.ndarray, firm_shares: np.ndarray
    ) -> np.ndarray | None:
        """Multiplier on each region's payoff from subsidies (net of the tax) and spillovers."""
        factor = np.ones(len(self.names))
        touched = False
        for p in self.active(step):
            if p.kind == "subsidy":
                s = np.zeros(len(self.names))
                s[[self.index[r] for r in p.regions]] = p.rate
                bill = shares * reward
                tax = float((bill * s).sum() / bill.sum())
                factor *= 1.0 + s - tax
                touched = True
            elif p.kind == "spillover":
                where = np.ones(len(self.names), dtype=bool)
                if p.regions:
                    where[:] = False
                    where[[self.index[r] for r in p.regions]] = True
                factor *= np.where(where, 1.0 + p.bonus * firm_shares, 1.0)
                touched = True
        return factor if touched else None

    # --- shocks ------------------------------------------------------------------------
    def shocks(self, step: int) -> list[tuple[int, float]]:
        """(region index, share of its firms closing) for shocks that fire at ``step``."""
        return [(self.index[p.region], p.share) for p in self.firing(step) if p.kind == "shock"]


def _last(policy: Policy) -> int:
    """The last step at which ``policy`` changes something (a border's reopening is the
    step after its ``end``)."""
    if policy.kind == "border":
        return policy.start if policy.end is None else policy.end + 1
    return policy.end or policy.start


def across_border(T: np.ndarray, sides: np.ndarray, factor: float) -> np.ndarray:
    """The iceberg matrix ``T`` with the cost of every pair on opposite sides (``sides``
    +1 and -1) multiplied by ``factor`` (∞: no trade between them)."""
    crossing = np.multiply.outer(sides, sides) < 0
    return np.where(crossing, T * factor, T)


def _ramp(before: float, policy: Policy, step: int) -> float:
    """Linear path from ``before`` at ``start`` to ``value`` at ``end`` (a jump without end)."""
    if policy.end is None or policy.end == policy.start or step >= policy.end:
        return float(policy.value)
    frac = (step - policy.start) / (policy.end - policy.start)
    return float(before + (policy.value - before) * frac)


def displace(
    region: np.ndarray, source: int, share: float, shares: np.ndarray, rng: np.random.Generator
) -> int:
    """Move a ``share`` of the agents in ``source`` to other regions, in proportion to those
    regions' ``shares`` (uniformly if they are all empty). Returns how many moved."""
    members = np.flatnonzero(region == source)
    count = int(round(share * members.size))
    if count == 0:
        return 0
    leaving = rng.choice(members, size=count, replace=False)
    weights = shares.astype(float).copy()
    weights[source] = 0.0
    if weights.sum() <= 0:
        weights = np.ones_like(weights)
        weights[source] = 0.0
    region[leaving] = rng.choice(shares.size, size=count, p=weights / weights.sum())
    return count
