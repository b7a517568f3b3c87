"""Is a distribution of the mobile factor a *stable* rest point of the agents' dynamics?

Used to tell a settled economy from one creeping away from an unstable equilibrium (for
example the even spread below the break point, which the agents leave only slowly at
first). Both tests linearise the payoff response J = d ln(payoff)/dλ, by finite
differences of the economy's short-run equilibrium, and look at the directions that keep
Σλ = 1 (an orthonormal basis Q of them):

- no taste noise: the agents move towards higher payoff at a rate proportional to the
  gain, so a rest point is stable when no reallocation among the occupied regions raises
  the payoff where agents go: all eigenvalues of Qᵀ J_OO Q have negative real part. This is
  exact for two regions (FKV's sign of dω/dλ) and at the even spread of symmetric
  geographies such as the racetrack; elsewhere it is the standard local test.
- taste noise ν > 0: the rest point is the logit equilibrium λ = L(ln payoff/ν) (Tabuchi &
  Thisse 2002); under logit-type adjustment dλ/dt = L(u(λ)) - λ it is stable when the
  eigenvalues of Qᵀ[(diag λ - λλᵀ) J / ν - I]Q have negative real part.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from negsim.economies.base import Equilibrium


def payoff_jacobian(
    solve: Callable[[np.ndarray, np.ndarray | None], Equilibrium],
    shares: np.ndarray,
    step: float = 1e-6,
) -> np.ndarray:
    """J_rk = d ln payoff_r / d λ_k by forward differences (one solve per region)."""
    base = solve(shares, None)
    u0 = np.log(base.payoff)
    J = np.empty((shares.size, shares.size))
    for k in range(shares.size):
        bumped = shares.copy()
        bumped[k] += step
        J[:, k] = (np.log(solve(bumped, base.wage).payoff) - u0) / step
    return J


def _tangent_basis(n: int) -> np.ndarray:
    """Orthonormal basis (n × n-1) of the vectors summing to zero."""
    q, _ = np.linalg.qr(np.eye(n) - 1.0 / n)
    return q[:, : n - 1]


def is_stable_rest_point(
    solve: Callable[[np.ndarray, np.ndarray | None], Equilibrium],
    shares: np.ndarray,
    noise: float = 0.0,
) -> bool:
    """True when no small reallocation of the mobile factor is self-reinforcing."""
    shares = np.asarray(shares, dtype=float)
    J = payoff_jacobian(solve, shares)
    if noise > 0:
        n = shares.size
        q = _tangent_basis(n)
        m = (np.diag(shares) - np.outer(shares, shares)) @ J / noise - np.eye(n)
        return bool(np.max(np.linalg.eigvals(q.T @ m @ q).real) < 0.0)
    occupied = np.flatnonzero(shares > 0)
    if occupied.size < 2:
        return True
    q = _tangent_basis(occupied.size)
    m = J[np.ix_(occupied, occupied)]
    return bool(np.max(np.linalg.eigvals(q.T @ m @ q).real) < 0.0)
