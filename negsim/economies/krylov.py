"""Restarted GMRES for the many-places solvers: a linear system A x = b given only the
product v ↦ A v (O(R²) with a dense R×R trade-freeness matrix), never A itself.

Saad & Schultz (1986), "GMRES: a generalized minimal residual algorithm for solving
nonsymmetric linear systems", SIAM J. Sci. Stat. Comput. 7, 856–869: Arnoldi with
classical Gram–Schmidt applied twice (Giraud et al. 2005, Numer. Math. 101, 87–100), the
small least-squares problem kept triangular by Givens rotations (Saad, *Iterative Methods
for Sparse Linear Systems*, 2nd ed. 2003, Algorithm 6.11), so the residual norm is known
at every inner step. Pure numpy: scipy stays out of the
economies (ARCHITECTURE.md).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


def gmres(
    matvec: Callable[[np.ndarray], np.ndarray],
    b: np.ndarray,
    x0: np.ndarray | None = None,
    *,
    rtol: float = 1e-10,
    restart: int = 60,
    max_restarts: int = 20,
) -> tuple[np.ndarray, float]:
    """x with ‖b - A x‖₂ ≤ ``rtol`` ‖b‖₂, and the relative residual reached.

    Restarted GMRES(``restart``) from ``x0`` (default 0). Returns the best iterate after
    ``max_restarts`` cycles even if ``rtol`` is not met (the caller's outer iteration
    judges a direction by its own residual).
    """
    n = b.size
    x = np.zeros(n) if x0 is None else np.array(x0, dtype=float)
    b_norm = float(np.linalg.norm(b))
    if b_norm == 0.0:
        return np.zeros(n), 0.0
    m = max(1, min(restart, n))
    relative = np.inf
    for _ in range(max_restarts):
        r = b - matvec(x) if x.any() else b.copy()
        beta = float(np.linalg.norm(r))
        relative = beta / b_norm
        if relative <= rtol:
            break
        basis = np.empty((m + 1, n))
        hess = np.zeros((m + 1, m))
        cs, sn = np.zeros(m), np.zeros(m)
        g = np.zeros(m + 1)
        g[0] = beta
        basis[0] = r / beta
        k = 0
        for k in range(m):
            w = matvec(basis[k])
            for _ in range(2):  # classical Gram–Schmidt, twice (as stable as modified)
                h = basis[: k + 1] @ w
                w = w - h @ basis[: k + 1]
                hess[: k + 1, k] += h
            h_next = float(np.linalg.norm(w))
            hess[k + 1, k] = h_next
            for i in range(k):  # previous rotations on the new column
                hess[i, k], hess[i + 1, k] = (
                    cs[i] * hess[i, k] + sn[i] * hess[i + 1, k],
                    -sn[i] * hess[i, k] + cs[i] * hess[i + 1, k],
                )
            denom = float(np.hypot(hess[k, k], h_next))
            cs[k], sn[k] = (1.0, 0.0) if denom == 0.0 else (hess[k, k] / denom, h_next / denom)
            hess[k, k], hess[k + 1, k] = denom, 0.0
            g[k], g[k + 1] = cs[k] * g[k], -sn[k] * g[k]
            relative = abs(g[k + 1]) / b_norm
            if relative <= rtol or h_next == 0.0 or not np.isfinite(relative):
                break
            basis[k + 1] = w / h_next
        y = _back_substitute(hess[: k + 1, : k + 1], g[: k + 1])
        x = x + y @ basis[: k + 1]
        if relative <= rtol:
            break
    return x, float(relative)


def _back_substitute(upper: np.ndarray, rhs: np.ndarray) -> np.ndarray:
    """Solve the upper-triangular system ``upper`` y = ``rhs`` (a zero pivot gives 0)."""
    y = np.zeros(rhs.size)
    for i in range(rhs.size - 1, -1, -1):
        pivot = upper[i, i]
        y[i] = 0.0 if pivot == 0.0 else (rhs[i] - upper[i, i + 1 :] @ y[i + 1 :]) / pivot
    return y
