"""How agents decide: the vectorised decision rules of workers and firms, pure functions of
numpy arrays (one entry per agent) and an explicit ``rng``. ``negsim.agents`` holds the Mesa
agents that view those arrays; ``negsim.model`` applies these rules each step.

Workers (mobile manufacturing labour, FKV ch. 5). Each step a fraction
``adjustment_speed`` of workers reconsiders. A reconsidering worker i in region r draws a
candidate region s uniformly among the others and moves with probability

    p = min(1, response · max(0, U_is - U_ir)),   U_is = ln ω_s + ν ε_is,

where ω is the real wage and ε_is a persistent standard Gumbel taste for place s
(logit heterogeneity over the CP model's real wages, as in Murata 2003, J. Urban Econ.
53; Tabuchi & Thisse 2002 show the same smoothing in the linear model; ν =
``behaviour.noise``). With ν = 0 the
expected net flow from s to r is proportional to λ_s·max(0, ln ω_r - ln ω_s) -
λ_r·max(0, ln ω_s - ln ω_r): nobody moves exactly when every occupied region pays the
highest real wage, so the rest points of the dynamics are exactly the long-run CP
equilibria (interior with equal real wages, or a core whose real wage no empty region
beats), and near the even spread it is FKV's law of motion dλ_r/dt ∝ λ_r(ω_r - ω̄)
(ch. 5), so its stability matches theory (break and sustain points). Moves are
proportional to the gain, so the economy settles instead of oscillating around a stable
state. Unlike pure imitation, empty regions can be re-entered.

Interchangeable agents (no tastes, no productivity-scaled gains) are drawn place by place
(``migrate_counts``: the same distribution, only the reconsidering agents drawn); which of
them move is drawn apart (``relocate_movers``), since it changes no count.

Firms (one block of varieties each). In CP, free entry drives profits to zero, and a
firm's operating profit in r is π_r = w_r (L_r/n_r - σF)/(σ-1) (FKV ch. 4: p = w/ρ·c,
break-even output F(σ-1)/c, labour σF per firm): positive where there are fewer firms
than the local workforce employs at the break-even scale, negative where there are more.
Each step firms in loss-making regions relocate to profitable ones until n_r = L_r/(σF),
i.e. firm shares equal worker shares — in CP firms track workers. Firms that adjust at a
speed of their own (relocation, entry, exit) follow ``negsim.firm_dynamics`` instead.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from negsim.economies.base import DENSE_MAX_PLACES


def apportion(shares: np.ndarray, total: int) -> np.ndarray:
    """Integer counts summing to ``total`` closest to ``shares * total`` (largest remainder)."""
    exact = np.asarray(shares, dtype=float) * total
    counts = np.floor(exact).astype(np.int64)
    short = total - int(counts.sum())
    if short > 0:
        order = np.argsort(-(exact - counts), kind="stable")
        counts[order[:short]] += 1
    return counts


def migrate(
    region: np.ndarray,
    log_real_wage: np.ndarray,
    taste: np.ndarray | None,
    adjustment_speed: float,
    response: float,
    rng: np.random.Generator,
    cost: np.ndarray | None = None,
    gain_scale: np.ndarray | None = None,
    counts: np.ndarray | None = None,
) -> tuple[int, np.ndarray]:
    """Apply one step of worker reconsideration in place (rule in the module docstring);
    ``counts`` (agents per region, if given) is updated in place from the moves.

    Returns the number of agents who moved and the expected net inflow per region as a
    share of all of them, estimated from the reconsidering agents' move probabilities (with
    tastes there is no cheaper exact form; without them ``migrate_counts`` draws and
    ``mean_field_drift`` is exact).
    """
    n_regions = log_real_wage.size
    movers = np.flatnonzero(rng.random(region.size) < adjustment_speed)
    here = region[movers]
    if n_regions == 2:  # the other region; integers(1, 2) would draw no random number
        there = 1 - here
    else:
        there = (here + rng.integers(1, n_regions, size=movers.size)) % n_regions
    gain = log_real_wage[there] - log_real_wage[here]
    if taste is not None:
        gain += taste[movers, there] - taste[movers, here]
    if gain_scale is not None:  # heterogeneous firms: profit gains scale with a^(σ-1)
        gain *= gain_scale[movers]
    if cost is not None:  # migration frictions, C[from, to] (negsim.frictions)
        gain -= cost[here, there]
    p = np.minimum(1.0, response * np.maximum(gain, 0.0))
    drift = (
        np.bincount(there, weights=p, minlength=n_regions)
        - np.bincount(here, weights=p, minlength=n_regions)
    ) / region.size
    move = rng.random(movers.size) < p
    region[movers[move]] = there[move]
    if counts is not None:
        counts += np.bincount(there[move], minlength=n_regions)
        counts -= np.bincount(here[move], minlength=n_regions)
    return int(move.sum()), drift


def migrate_counts(
    counts: np.ndarray,
    log_payoff: np.ndarray,
    adjustment_speed: np.ndarray,
    response: np.ndarray,
    rngs: Sequence[np.random.Generator],
    cost: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One step of ``migrate`` for exchangeable agents (no tastes, no productivity-scaled
    gains), drawn place by place: only the reconsidering agents are drawn.

    The number reconsidering in r is Binomial(n_r, α) (α = ``adjustment_speed``); each draws
    a candidate s uniformly among the other places and moves with probability
    p(r→s) = min(1, κ max(0, u_s - u_r - C_rs)). Agents who share a place and a payoff are
    interchangeable, so this is ``migrate``'s distribution exactly (the moves out of r are
    multinomial, n_r trials with probabilities α p(r→s)/(R-1)), at O(R + αN) draws instead
    of N; ``mean_field_drift`` is its exact expectation. Which agents of r move does not
    change the counts: ``relocate_movers`` picks them from a stream of its own.

    Runs are stacked (``negsim.ensemble``; one run is K = 1): ``counts`` and ``log_payoff``
    are (K, R), α and κ have K entries, ``cost`` is (K, R, R) or None, and run k draws from
    ``rngs[k]``, in this order: R binomials, then (R > 2) a candidate per reconsidering
    agent, then a uniform per reconsidering agent, so a run draws the same numbers alone or
    in a stack. Returns each mover's run, origin and destination, ordered by run and origin.
    """
    k, places = counts.shape
    drawn: list = []
    candidates, uniforms = [], []
    speeds = np.ravel(adjustment_speed).tolist()
    for rng, row, speed in zip(rngs, counts.tolist(), speeds, strict=True):
        if places <= 8:  # scalar draws are quicker; an array draws the same numbers
            m = [rng.binomial(c, speed) for c in row]
        else:
            m = rng.binomial(row, speed)
        drawn.append(m)
        total = int(sum(m))
        if places > 2:
            candidates.append(rng.integers(1, places, size=total))
        uniforms.append(rng.random(total))
    reconsidering = np.array(drawn, dtype=np.int64).reshape(k, places)
    run_of = np.repeat(np.arange(k), reconsidering.sum(axis=1))
    here = np.repeat(np.tile(np.arange(places), k), reconsidering.ravel())
    if places == 2:  # the other place; integers(1, 2) would draw no random number
        there = 1 - here
    else:
        there = (here + np.concatenate(candidates)) % places
    gain = log_payoff[run_of, there] - log_payoff[run_of, here]
    if cost is not None:
        gain -= cost[run_of, here, there]
    p = np.minimum(1.0, np.asarray(response)[run_of] * np.maximum(gain, 0.0))
    move = np.concatenate(uniforms) < p
    return run_of[move], here[move], there[move]


def relocate_movers(
    region: np.ndarray, origin: np.ndarray, destination: np.ndarray, rng: np.random.Generator
) -> None:
    """Move agents in place: for each entry of ``origin`` (ordered) one agent of that place,
    chosen uniformly at random without replacement among those there now (``rng``), goes to
    the matching ``destination`` (``migrate_counts``'s movers)."""
    if origin.size == 0:
        return
    first = np.flatnonzero(np.diff(origin, prepend=-1))
    places = origin[first]
    movers = np.diff(np.append(first, origin.size))
    if places.size <= 4:  # a pass over the agents per place beats a sort
        members = [np.flatnonzero(region == r) for r in places]
    else:
        order = np.argsort(region, kind="stable")  # by place, ascending index within it
        starts = np.concatenate(([0], np.cumsum(np.bincount(region))))
        members = [order[starts[r] : starts[r + 1]] for r in places]
    chosen = [m[rng.choice(m.size, k, replace=False)] for m, k in zip(members, movers, strict=True)]
    region[np.concatenate(chosen)] = destination


def mean_field_drift(
    shares: np.ndarray,
    log_payoff: np.ndarray,
    adjustment_speed: float | np.ndarray,
    response: float | np.ndarray,
    cost: np.ndarray | None = None,
) -> np.ndarray:
    """Expected change of each region's share in one step of ``migrate`` (and
    ``migrate_counts``) without tastes.

    E[Δλ_r] = α/(R-1) Σ_s [λ_s p(s→r) - λ_r p(r→s)],
    p(s→r) = min(1, κ max(0, u_r - u_s - C_sr)), u = ln payoff, C the migration costs:
    an R×R computation, exact for the noise-free rule. Without migration costs and beyond
    ``DENSE_MAX_PLACES`` places the same sums come from sorted payoffs (``sorted_drift``,
    O(R log R)). Runs stacked on leading axes (``negsim.ensemble``) pass ``shares`` and
    ``log_payoff`` of shape (K, R), α of shape (K, 1) and κ of shape (K, 1, 1); each row is
    what the run alone would give.
    """
    n_regions = shares.shape[-1]
    if cost is None and n_regions > DENSE_MAX_PLACES:
        return sorted_drift(shares, log_payoff, adjustment_speed, response)
    gain = log_payoff[..., None, :] - log_payoff[..., :, None]  # gain[s, r] of moving s → r
    if cost is not None:
        gain = gain - cost
    p = np.minimum(1.0, response * np.maximum(gain, 0.0))
    flow = shares[..., :, None] * p  # flow[s, r] out of s into r
    return adjustment_speed / (n_regions - 1) * (flow.sum(axis=-2) - flow.sum(axis=-1))


def sorted_drift(
    shares: np.ndarray, log_payoff: np.ndarray, adjustment_speed: float, response: float
) -> np.ndarray:
    """``mean_field_drift`` without migration costs in O(R log R), from prefix sums over the
    places sorted by payoff.

    With g(x) = min(1, κ max(0, x)) and h = 1/κ, the inflow into r is
    Σ_{u_s ≤ u_r - h} λ_s + κ Σ_{u_r - h < u_s < u_r} λ_s (u_r - u_s) and the outflow
    λ_r [#{u_s ≥ u_r + h} + κ Σ_{u_r < u_s < u_r + h} (u_s - u_r)]: each sum is a
    difference of two prefix sums found by binary search. Payoffs are centred first (g
    reads differences only) so the prefix sums of λu cancel as little as possible.
    """
    n = shares.size
    u = log_payoff - np.median(log_payoff)
    h = 1.0 / response
    order = np.argsort(u, kind="stable")
    v, lam = u[order], shares[order]
    zero = np.zeros(1)
    cum_lam = np.concatenate([zero, np.cumsum(lam)])
    cum_lam_u = np.concatenate([zero, np.cumsum(lam * v)])
    cum_u = np.concatenate([zero, np.cumsum(v)])
    far_below = np.searchsorted(v, u - h, side="right")  # u_s ≤ u_r - h
    below = np.searchsorted(v, u, side="left")  # u_s < u_r
    above = np.searchsorted(v, u, side="right")  # u_s ≤ u_r
    near_above = np.searchsorted(v, u + h, side="left")  # u_s < u_r + h
    inflow = cum_lam[far_below] + response * (
        u * (cum_lam[below] - cum_lam[far_below]) - (cum_lam_u[below] - cum_lam_u[far_below])
    )
    outflow = shares * (
        (n - near_above)
        + response * ((cum_u[near_above] - cum_u[above]) - u * (near_above - above))
    )
    return adjustment_speed / (n - 1) * (inflow - outflow)


def relocate_firms(
    firm_region: np.ndarray,
    target: np.ndarray,
    rng: np.random.Generator,
    productivity: np.ndarray | None = None,
    attraction: np.ndarray | None = None,
) -> int:
    """Move firms out of regions with more firms than ``target`` (losses) into regions with
    fewer (profits), in place. Returns the number of firms moved.

    Identical firms: random ones move. Heterogeneous firms (``productivity`` a_i, regions'
    ``attraction`` = the reward a firm earns there): a firm's profit scales with
    a_i^(σ-1), so the gain from moving to a region that pays more is largest for the most
    productive, who move first; towards a region that pays less the least productive go
    first (Baldwin & Okubo 2006's sorting).
    """
    n_regions = target.size
    excess = np.bincount(firm_region, minlength=n_regions) - target
    if not np.any(excess):
        return 0
    if productivity is None:
        key = rng.random(firm_region.size)
    else:
        # rank firms within a region: most productive first where the destinations pay
        # more on average than the region itself, least productive first otherwise
        deficit = np.maximum(-excess, 0)
        pull = float(np.dot(deficit, attraction) / deficit.sum())
        sign = np.where(attraction[firm_region] <= pull, -1.0, 1.0)
        key = sign * productivity + 1e-12 * rng.random(firm_region.size)
    order = np.lexsort((key, firm_region))  # by region, then by key ascending
    starts = np.concatenate(([0], np.cumsum(np.bincount(firm_region, minlength=n_regions))))
    ranked_region = firm_region[order]
    rank = np.arange(order.size) - starts[ranked_region]
    leaving = order[rank < np.maximum(excess, 0)[ranked_region]]
    destinations = np.repeat(np.arange(n_regions), np.maximum(-excess, 0))
    if productivity is None:
        firm_region[leaving] = rng.permutation(destinations)
    else:  # the most productive movers go to the regions that pay most
        by_pay = destinations[np.argsort(-attraction[destinations], kind="stable")]
        firm_region[leaving[np.argsort(-productivity[leaving], kind="stable")]] = by_pay
    return int(leaving.size)


def productivity_scale(productivity: np.ndarray, sigma: float) -> np.ndarray:
    """a^(σ-1): how a firm's profits, and so its gains from a move, scale with its
    productivity a (Melitz 2003; Baldwin & Okubo 2006). Capped at 1e290, where any gain
    already makes a move certain, so that a large σ gives no inf (nor inf × 0 = NaN)."""
    with np.errstate(over="ignore"):
        return np.minimum(productivity ** (sigma - 1.0), 1e290)


def draw_productivity(spec, n: int, rng: np.random.Generator) -> np.ndarray | None:
    """Firm productivities a_i with mean 1 (None for identical firms).

    lognormal: ln a ~ N(-s²/2, s²), s = ``dispersion``; pareto: a = a_min U^(-1/k),
    shape k = 1/``dispersion`` > 1, a_min = (k-1)/k (Melitz 2003's Pareto).
    """
    if spec.productivity == "none":
        return None
    if spec.productivity == "lognormal":
        s = spec.dispersion
        return np.exp(rng.normal(-0.5 * s * s, s, size=n))
    k = 1.0 / spec.dispersion
    return (k - 1.0) / k * (1.0 - rng.random(n)) ** (-1.0 / k)
