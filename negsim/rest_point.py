"""Is a distribution of the mobile factor at rest — how far from the equilibrium condition,
against what tolerance — and where is the rest point the agents head for?

The equilibrium condition (u = ln payoff, what the agents compare; C the migration costs):

- no taste noise (ν = 0): nobody gains from moving, u_s - u_r - C_rs ≤ 0 for every occupied
  r and every s — occupied places pay the same (FKV 1999, ch. 5: the long-run equilibrium),
  and no empty place pays more (a core is sustainable). The residual is the largest gain
  max(0, u_s - u_r - C_rs) any agent could make.
- persistent Gumbel tastes of scale ν > 0 (``negsim.rules``): the logit equilibrium
  ln λ_r - ln λ_s = (u_r - u_s)/ν, i.e. λ = L(u/ν) with L the logit (multinomial-logit
  location choice over the CP model's real wages: Murata 2003, J. Urban Econ. 53, whose
  workers are all mobile, while FKV's farmers stay put here; Tabuchi & Thisse 2002 use the
  logit in the linear model, not in CP; the logit-dynamics twin dλ/dt = L(u(λ)/ν) - λ
  is the one ``negsim.stability`` linearises).
  The residual is max_r |λ_r - L_r(u/ν)|, which also covers places nobody holds.

The tolerance is the agents' own granularity (N agents; derivations in
``gap_tolerance`` and ``logit_tolerance``). ``find_rest_point`` reaches the rest point of
the agents' mean-field dynamics directly, for users who want the equilibrium, not the path.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from negsim.economies.base import Equilibrium
from negsim.rules import mean_field_drift
from negsim.stability import is_stable_rest_point, ln_payoff, payoff_jacobian

Solve = Callable[[np.ndarray, np.ndarray | None], Equilibrium]

NUMERICAL_FLOOR = 1e-9  # the short-run solver's wages are exact to ~1e-12 in logs
JACOBIAN_MAX_PLACES = 400
"""ν = 0: the tolerance needs d ln ω/dλ, R + 1 short-run solves of R places (~8 s at R = 400,
O(R⁴)); beyond this many places it is not computed and the shares' quiet window alone
judges settling, as before the condition existed."""
EMPTY = 1e-9  # a mean-field share below this is an empty place (< one agent in 10⁹)
LOGIT_Z = 3.0  # a finite population's own rest point lies beyond 3 sd with odds 0.27 % a place


def logit_shares(log_payoff: np.ndarray, noise: float) -> np.ndarray:
    """L(u/ν): the shares of agents whose best place is r, when tastes are ν·Gumbel."""
    z = log_payoff / noise
    e = np.exp(z - z.max())
    return e / e.sum()


def residual(
    log_payoff: np.ndarray, shares: np.ndarray, noise: float, cost: np.ndarray | None = None
) -> float:
    """Distance from the equilibrium condition (module docstring): with ν = 0 the largest
    gain an agent of an occupied place could make by moving (in ln payoff); with ν > 0
    the largest difference between a share and its logit share (in share)."""
    shares = np.asarray(shares, dtype=float)
    if noise > 0:
        return float(np.max(np.abs(shares - logit_shares(log_payoff, noise))))
    occupied = shares > 0
    gain = log_payoff[None, :] - log_payoff[occupied, None]
    if cost is not None:
        gain = gain - cost[occupied, :]
    return float(max(np.max(gain), 0.0))


def gap_tolerance(jacobian: np.ndarray, n_agents: int) -> float:
    """ν = 0: the largest real-wage gap a state within one agent per place of an
    equilibrium can show, doubled, in ln payoff.

    Agents come in units of 1/N, so the equilibrium λ* itself is in general no state the
    agents can take; the nearest is some λ = λ* + d with |d_k| ≤ 1/N. To first order its
    gaps are u_s - u_r = Σ_k (J_sk - J_rk) d_k (J = d u/d λ, zero at λ*), so
    |u_s - u_r| ≤ (1/N) max_{r,s} Σ_k |J_sk - J_rk|. Moves are random, so near λ* the
    agents jitter by about one more agent: the tolerance is twice that bound (at least
    ``NUMERICAL_FLOOR``). Where the gap is flat in λ (a break point) the tolerance
    shrinks with it, so settling still means "within a few agents of the rest point".
    """
    widest = 0.0
    block = max(1, 2**22 // jacobian.size)  # rows per block: ~32 MB of differences at a time
    for start in range(0, jacobian.shape[0], block):
        rows = jacobian[start : start + block, None, :]
        widest = max(widest, float(np.abs(rows - jacobian[None, :, :]).sum(axis=2).max()))
    return float(max(2.0 * widest / n_agents, NUMERICAL_FLOOR))


def logit_tolerance(logit: np.ndarray, n_agents: int) -> float:
    """ν > 0: how far N agents sorted into their best places stray from the logit shares.

    Each agent's tastes are an independent draw, so at the finite population's own rest
    point the number in place r, given the payoffs, is binomial(N, p_r), p = L(u/ν): the
    residual there is the sampling error, standard deviation √(p_r(1-p_r)/N), and not a
    distance the agents could close. The tolerance is ``LOGIT_Z`` = 3 such deviations of
    the widest place (a population whose own rest point lies further out, odds 0.27 % a
    place, reports the step limit) plus one agent (1/N) still on its way. It is no wider:
    the agents' approach has a slow tail (a taste gain g moves at a rate ∝ g, so the mass
    still to move falls like 1/t), and a wider tolerance would stop them on that tail.
    """
    p = np.asarray(logit, dtype=float)
    return float(LOGIT_Z * np.sqrt(np.max(p * (1.0 - p)) / n_agents) + 1.0 / n_agents)


def tolerance(
    solve: Solve, shares: np.ndarray, log_payoff: np.ndarray, noise: float, n_agents: int
) -> float:
    """The residual a settled population of ``n_agents`` may keep (``gap_tolerance`` or
    ``logit_tolerance``)."""
    if noise > 0:
        return logit_tolerance(logit_shares(log_payoff, noise), n_agents)
    return gap_tolerance(payoff_jacobian(solve, np.asarray(shares, dtype=float)), n_agents)


def amenities_for(
    log_payoff: np.ndarray,
    shares: np.ndarray,
    noise: float,
    entry_cost: np.ndarray | None = None,
) -> np.ndarray:
    """ln B: the amenities that make ``shares`` (all > 0) a rest point, geometric mean 1.

    The inversion of quantitative spatial economics (Allen & Arkolakis 2014, QJE 129(3);
    Redding & Rossi-Hansberg 2017, Annual Review of Economics 9): given the observed
    distribution and the payoffs u = ln payoff it produces, solve the equilibrium condition
    (module docstring) for the unobserved amenities. ν > 0: λ = L((u + ln B)/ν), so
    ln B_r = ν ln λ_r - u_r + const; ν = 0: equal utility in every (occupied) place,
    ln B_r = -u_r + const. The constant makes Σ ln B_r = 0.

    ν = 0 with migration costs C_sr = m + c_sr + h_r (``negsim.frictions``; m, c ≥ 0,
    ``entry_cost`` = h, finite): the rest points form a band, U_r - U_s ≤ C_sr for all r, s
    (U = u + ln B). The one taken is where the entry barriers bind, U_r - h_r equal in every
    place: ln B_r = -u_r + h_r + const. Every gain from a move is then
    U_r - U_s - C_sr = -(h_s + m + c_sr) ≤ 0 (zero only out of a place without a barrier,
    where m = c_sr = 0), so nobody moves; lifting h_r gives r a premium of exactly h_r over
    every other place. This is the reading of migration
    costs as a wedge between the utilities of places that a frictionless economy would
    equalise (Tombe & Zhu 2019, AER 109(5), where China's hukou and other migration costs
    keep real incomes apart across provinces). The symmetric costs m and c_sr only widen
    the band around that point; they are given no wedge of their own.
    """
    if entry_cost is not None and noise > 0:
        raise ValueError("amenities_for: entry costs have no closed form with noise > 0")
    log_b = -np.asarray(log_payoff, dtype=float)
    if noise > 0:
        log_b = log_b + noise * np.log(np.asarray(shares, dtype=float))
    if entry_cost is not None:
        log_b = log_b + entry_cost
    return log_b - log_b.mean()


@dataclass(frozen=True)
class RestPoint:
    """A rest point of the mean-field dynamics: its shares, the residual of the equilibrium
    condition there, whether it is a stable rest point, and the mean-field steps taken."""

    shares: np.ndarray
    residual: float
    stable: bool
    steps: int
    real_wage: np.ndarray


def find_rest_point(
    solve: Solve,
    shares: np.ndarray,
    noise: float,
    adjustment_speed: float,
    response: float,
    cost: np.ndarray | None = None,
    log_amenity: np.ndarray | None = None,
    *,
    tol: float = 1e-10,
    handover: int = 500,
    max_steps: int = 200_000,
) -> RestPoint:
    """The rest point the agents head for from ``shares``, reached without the agents.

    ν = 0: the exact mean-field twin of the agents' rule (``rules.mean_field_drift``, one
    period per step; a share below ``EMPTY`` is emptied). Every ``handover`` steps the
    rest-point condition on the places still occupied (equal ln payoff, Σλ = 1) is solved
    by Newton's method from there; its solution is taken if it lies the way the drift
    points, meets ``tol`` and is a stable rest point. Near a break point the mean-field
    approach itself is slow (the gap is cubic in the distance, so the distance falls like
    t^-1/2); Newton's method is not. ν > 0: the logit dynamics λ ← λ + ½(L(u(λ)/ν) - λ),
    whose rest points are the logit equilibria and whose stable ones are the agents'
    (``negsim.stability``). Both stop once the residual of the equilibrium condition is
    below ``tol``. Policies are not applied: this is the rest point of the scenario's
    economy itself. ``log_amenity`` (ln B_r, ``negsim.amenities``) is added to the ln
    payoff everywhere it is compared.
    """
    solve = with_amenities(solve, log_amenity)
    lam = np.asarray(shares, dtype=float).copy()
    eq = solve(lam, None)
    steps = 0
    while steps < max_steps:
        u = ln_payoff(eq)
        if residual(u, lam, noise, cost) < tol:
            break
        if noise > 0:
            move = 0.5 * (logit_shares(u, noise) - lam)
        else:
            move = mean_field_drift(lam, u, adjustment_speed, response, cost)
        if noise == 0 and steps % handover == handover - 1:
            solved = _polish(solve, lam, move, tol, cost)
            if solved is not None:
                lam, eq = solved
                break
        lam = lam + move
        if noise == 0:  # the leavers' shares decay geometrically; agents leave for good
            lam[lam < EMPTY] = 0.0
        lam /= lam.sum()
        eq = solve(lam, eq.wage)
        steps += 1
    u = ln_payoff(eq)
    return RestPoint(
        shares=lam,
        residual=residual(u, lam, noise, cost),
        stable=is_stable_rest_point(solve, lam, noise, u, cost),
        steps=steps,
        real_wage=np.asarray(eq.real_wage, dtype=float),
    )


def with_amenities(solve: Solve, log_amenity: np.ndarray | None) -> Solve:
    """``solve`` whose equilibria pay payoff·B_r (B = exp ``log_amenity``): what the agents
    compare (``negsim.amenities``), so that every test of the payoff sees it. Wages, real
    wages and d ln payoff/dλ (the stability tests) are unchanged. ``solve`` itself when
    ``log_amenity`` is None."""
    if log_amenity is None:
        return solve
    factor = np.exp(log_amenity)

    def solve_with(shares: np.ndarray, wage0: np.ndarray | None) -> Equilibrium:
        eq = solve(shares, wage0)
        return replace(eq, payoff=eq.payoff * factor)

    return solve_with


def _polish(
    solve: Solve, lam: np.ndarray, drift: np.ndarray, tol: float, cost: np.ndarray | None
) -> tuple[np.ndarray, Equilibrium] | None:
    """Newton's method on u_r = u_s over the occupied places (λ_r > 1e-9), keeping Σλ = 1.
    None unless it converges inside the simplex, in the direction of ``drift``, to a
    stable rest point."""
    support = np.flatnonzero(lam > 1e-9)
    if support.size < 2:
        return None
    x = lam.copy()
    for _ in range(100):
        u = ln_payoff(solve(x, None))[support]
        if np.ptp(u) < tol:
            break
        J = payoff_jacobian(solve, x)[np.ix_(support, support)]
        # unknowns: λ on the support; equations: u_r - u_first = 0, Σλ = 1
        a = np.vstack([J[1:] - J[0], np.ones(support.size)])
        b = np.concatenate([-(u[1:] - u[0]), [1.0 - x[support].sum()]])
        x = x.copy()
        x[support] += np.linalg.lstsq(a, b, rcond=None)[0]
        if np.any(x[support] <= 0):
            return None
    trial = solve(x, None)
    u = ln_payoff(trial)
    if (
        residual(u, x, 0.0, cost) >= tol
        or float(np.dot(x - lam, drift)) < 0.0
        or not is_stable_rest_point(solve, x, 0.0, u, cost)
    ):
        return None
    return x, trial
