"""Is a distribution of the mobile factor a *stable* rest point of the agents' dynamics?

Used to tell a settled economy from one creeping away from an unstable equilibrium (for
example the even spread below the break point, which the agents leave only slowly at
first). Both tests linearise the payoff response J = d ln(payoff)/dλ, by finite
differences of the economy's short-run equilibrium, and look at the directions that keep
Σλ = 1 (an orthonormal basis Q of them):

- no taste noise: the agents move towards higher payoff at a rate proportional to the
  gain, so a rest point needs every empty region to pay no more than the occupied ones (a
  first mover would gain at once), and it is stable when no reallocation among the
  occupied regions raises the payoff where agents go: all eigenvalues of Qᵀ J_OO Q have
  negative real part. This is exact for two regions (FKV's sign of dω/dλ) and at the even
  spread of symmetric geographies such as the racetrack; elsewhere it is the standard
  local test.
- taste noise ν > 0: the rest point is the logit equilibrium λ = L(ln payoff/ν) (Murata
  2003 for the CP model; Tabuchi & Thisse 2002 in the linear model); under logit-type
  adjustment dλ/dt = L(u(λ)) - λ it is stable when the eigenvalues of
  Qᵀ[(diag λ - λλᵀ) J / ν - I]Q have negative real part.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from negsim.economies.base import DENSE_MAX_PLACES, Equilibrium


def floored_log(values: np.ndarray) -> np.ndarray:
    """ln of payoffs (or payoff factors), 0 counted as e^-700, as the agents count it
    (``NEGModel.log_payoff``): a place no spending reaches pays less than any other."""
    return np.log(np.maximum(values, np.exp(-700.0)))


def ln_payoff(eq: Equilibrium) -> np.ndarray:
    """ln payoff of an equilibrium (``floored_log``)."""
    return floored_log(eq.payoff)


def payoff_jacobian(
    solve: Callable[[np.ndarray, np.ndarray | None], Equilibrium],
    shares: np.ndarray,
    step: float = 1e-6,
) -> np.ndarray:
    """J_rk = d ln payoff_r / d λ_k: by forward differences (one solve per region) up to
    ``DENSE_MAX_PLACES`` places; beyond, the economy's analytic Jacobian where the solver
    offers one (``BoundSolver.jacobian``: one solve and a few R×R products, not R + 1
    solves)."""
    analytic = getattr(solve, "jacobian", None)
    if analytic is not None and shares.size > DENSE_MAX_PLACES:
        J = analytic(shares)
        if J is not None:
            return J
    base = solve(shares, None)
    u0 = ln_payoff(base)
    J = np.empty((shares.size, shares.size))
    for k, bumped in enumerate(jacobian_points(shares, step)):
        J[:, k] = (ln_payoff(solve(bumped, base.wage)) - u0) / step
    return J


def jacobian_points(shares: np.ndarray, step: float = 1e-6) -> np.ndarray:
    """The shares ``payoff_jacobian`` solves at besides ``shares`` itself (each warm-started
    from its wages): row k is λ + step·e_k."""
    points = np.repeat(np.asarray(shares, dtype=float)[None, :], shares.size, axis=0)
    points[np.diag_indices(shares.size)] += step
    return points


def empty_place_pays_more(
    log_payoff: np.ndarray,
    shares: np.ndarray,
    cost: np.ndarray | None = None,
    margin: float = 1e-12,
) -> bool:
    """Would an agent gain from moving to an empty place: u_s - u_r - C_rs > ``margin`` for
    an occupied r and an empty s (u = ln payoff, C the migration costs)? Then the state is
    no rest point (FKV ch. 5: a core is sustainable only while no periphery pays more; an
    empty place pays what a first mover would earn there)."""
    occupied = np.asarray(shares) > 0
    gain = log_payoff[None, ~occupied] - log_payoff[occupied, None]
    if cost is not None:
        gain = gain - cost[np.ix_(occupied, ~occupied)]
    return bool(np.max(gain) > margin)


def leading_real_part(m: np.ndarray, dense_max: int = DENSE_MAX_PLACES) -> float:
    """The largest real part of the eigenvalues of Qᵀ m Q, Q an orthonormal basis of the
    vectors summing to zero (the directions that keep Σλ = 1).

    Up to ``dense_max`` rows: Q by a QR factorisation and every eigenvalue (dense).
    Beyond, without Q: with P = I - 11ᵀ/n and E = 11ᵀ/n, B = P m P - sE is block diagonal
    in the basis (Q, 1/√n), B = diag(Qᵀ m Q, -s); with s = ‖m‖_F + 1, above Qᵀ m Q's
    spectral radius, B's rightmost eigenvalue is Qᵀ m Q's. It is found by implicitly
    restarted Arnoldi (ARPACK, ``scipy.sparse.linalg.eigs``, which = "LR") from O(n²)
    products; dense eigenvalues where ARPACK does not converge."""
    n = m.shape[0]
    if n <= max(dense_max, 3):
        q = _tangent_basis(n)
        return float(np.max(np.linalg.eigvals(q.T @ m @ q).real))
    from scipy.sparse.linalg import ArpackNoConvergence, LinearOperator, eigs

    shift = float(np.linalg.norm(m)) + 1.0

    def project(v: np.ndarray) -> np.ndarray:
        return v - v.mean()

    def product(v: np.ndarray) -> np.ndarray:
        v = np.ravel(v)
        return project(m @ project(v)) - shift * v.mean()

    op = LinearOperator((n, n), matvec=product, dtype=float)
    start = np.random.default_rng(0).standard_normal(n)  # ARPACK's start, fixed: reproducible
    try:
        values = eigs(
            op,
            k=1,
            which="LR",
            v0=start,
            ncv=min(n - 1, 40),
            tol=1e-8,
            maxiter=300,
            return_eigenvectors=False,
        )
        return float(np.max(values.real))
    except ArpackNoConvergence:
        b = m - m.mean(axis=0)[None, :]
        b = b - b.mean(axis=1)[:, None] - shift / n
        return float(np.max(np.linalg.eigvals(b).real))


def _tangent_basis(n: int) -> np.ndarray:
    """Orthonormal basis (n × n-1) of the vectors summing to zero."""
    q, _ = np.linalg.qr(np.eye(n) - 1.0 / n)
    return q[:, : n - 1]


def logit_flow_eigenvalue(jacobian: np.ndarray, shares: np.ndarray, noise: float) -> float:
    """Largest real part of the eigenvalues of the logit flow dλ/dt = L((u(λ) + ln B)/ν) - λ
    linearised at a rest point λ (module docstring): Qᵀ[(diag λ - λλᵀ) J / ν - I]Q, J = d ln
    payoff/dλ. The amenities B (``negsim.amenities``) are constants and drop out."""
    n = shares.size
    m = (np.diag(shares) - np.outer(shares, shares)) @ jacobian / noise - np.eye(n)
    return leading_real_part(m)


def gap_flow_eigenvalue(jacobian: np.ndarray, shares: np.ndarray) -> float:
    """ν = 0: largest real part of the eigenvalues of Qᵀ J_OO Q over the occupied places O
    (module docstring); negative for a stable interior rest point (-inf with one place)."""
    occupied = np.flatnonzero(np.asarray(shares) > 0)
    if occupied.size < 2:
        return -np.inf
    return leading_real_part(jacobian[np.ix_(occupied, occupied)])


def stabilising_noise(jacobian: np.ndarray, shares: np.ndarray) -> float:
    """The taste noise ν* above which the logit flow is stable at ``shares`` when the
    amenities are re-calibrated to keep ``shares`` its rest point: J depends on λ alone, so
    the eigenvalues are μ_i/ν - 1 with μ_i those of A = Qᵀ(diag λ - λλᵀ)J Q, and every one
    is negative for ν > ν* = max Re μ_i (0 when A has none with a positive real part)."""
    q = _tangent_basis(shares.size)
    a = q.T @ (np.diag(shares) - np.outer(shares, shares)) @ jacobian @ q
    return float(max(np.max(np.linalg.eigvals(a).real), 0.0))


def is_stable_rest_point(
    solve: Callable[[np.ndarray, np.ndarray | None], Equilibrium],
    shares: np.ndarray,
    noise: float = 0.0,
    log_payoff: np.ndarray | None = None,
    cost: np.ndarray | None = None,
) -> bool:
    """True when no small reallocation of the mobile factor is self-reinforcing and, without
    taste noise, no agent gains from moving to an empty place (``empty_place_pays_more``).
    ``log_payoff`` is what the agents compare (policies included; default: ln of the
    equilibrium's payoff), ``cost`` the migration costs C[from, to]."""
    shares = np.asarray(shares, dtype=float)
    J = payoff_jacobian(solve, shares)
    if noise > 0:
        return bool(logit_flow_eigenvalue(J, shares, noise) < 0.0)
    occupied = np.flatnonzero(shares > 0)
    if occupied.size < shares.size:
        u = ln_payoff(solve(shares, None)) if log_payoff is None else log_payoff
        if empty_place_pays_more(u, shares, cost):
            return False
    return bool(gap_flow_eigenvalue(J, shares) < 0.0)
