"""The core–periphery (CP) economy of Krugman (1991), in the notation of Fujita, Krugman
& Venables, *The Spatial Economy* (1999), ch. 4–5 ("FKV").

Mobile manufacturing workers (total μ, shares λ_r) produce differentiated varieties under
increasing returns; immobile farmers (total 1-μ, shares a_r, wage 1) produce a freely
traded good. Shipping a manufacture from r to s costs the iceberg factor T_rs ≥ 1. With
FKV's normalisation (F = μ/σ, c = (σ-1)/σ) firms price at the wage and the number of
firms in r equals λ_r, so the short-run (instantaneous) equilibrium is a fixed point in
the nominal wages alone. Everything here is a pure function of numpy arrays.
"""

from __future__ import annotations

import weakref
from functools import partial

import numpy as np

from negsim.economies.base import (
    DENSE_MAX_PLACES,
    BlackHoleError,
    Economy,
    Equilibrium,
    EquilibriumError,
    MobileFactor,
    Threshold,
    as_inputs,
    brentq,
    finite,
    out_of_range,
    roots_in,
    tomahawk_scan,
)
from negsim.economies.krylov import gmres
from negsim.geography import two_region as two_region_costs

__all__ = [
    "ECONOMY",
    "BlackHoleError",
    "CorePeriphery",
    "Equilibrium",
    "EquilibriumError",
    "Threshold",
    "break_point",
    "break_points",
    "check_no_black_hole",
    "log_real_wage_jacobian",
    "core_ratio",
    "firm_profit",
    "real_wage_gap",
    "real_wage_gaps",
    "symmetric_slope",
    "short_run_equilibrium",
    "short_run_equilibria",
    "sustain_point",
    "sustain_points",
    "sustain_ratio",
    "tomahawk",
    "two_region_costs",
    "two_region_real_wages",
]


def check_no_black_hole(sigma: float, mu: float) -> None:
    """Raise BlackHoleError unless ρ = (σ-1)/σ > μ.

    FKV ch. 5 §5.5: if μ ≥ ρ the forward and backward linkages are so strong that
    agglomeration is stable at every transport cost (the "black hole"), and the break point
    does not exist.
    """
    if not sigma > 1:
        raise BlackHoleError(f"sigma must be > 1 (got {sigma})")
    if not 0 < mu < 1:
        raise BlackHoleError(f"mu must be in (0, 1) (got {mu})")
    rho = (sigma - 1.0) / sigma
    if not mu < rho:
        raise BlackHoleError(
            f"no-black-hole condition needs mu < (sigma-1)/sigma = {rho:.6g} "
            f"(got mu={mu}, sigma={sigma})"
        )


_MIN_STEP = 1e-10
"""Below this step a damped Newton line search has stalled."""


def _accepted(norm, norm0, step):
    """The damped Newton steps' test, in every CP solve here (dense, Krylov, stacked, the
    two-region scan): a step of length ``step`` is taken once the largest log-wage residual
    is finite and below (1 - 10⁻⁴·step) times the one before (Armijo's sufficient decrease
    on the max norm). Scalars or arrays alike."""
    return np.isfinite(norm) & (norm < (1.0 - 1e-4 * step) * norm0)


def _no_convergence(max_iter: int, residual: float, tol: float) -> EquilibriumError:
    return EquilibriumError(
        f"CP short-run equilibrium did not converge in {max_iter} Newton iterations "
        f"(log-wage residual {residual:.3g} > tol {tol:.3g}); raise solver.max_iter"
    )


def _stalled(residual: float) -> EquilibriumError:
    return EquilibriumError(
        f"CP short-run equilibrium: Newton line search stalled at log-wage residual {residual:.3g}"
    )


def short_run_equilibrium(
    shares: np.ndarray,
    farmers: np.ndarray,
    T: np.ndarray,
    sigma: float,
    mu: float,
    *,
    housing_share: float = 0.0,
    housing: np.ndarray | None = None,
    firms: np.ndarray | None = None,
    wage0: np.ndarray | None = None,
    tol: float = 1e-12,
    max_iter: int = 100,
    phi: np.ndarray | None = None,
    method: str = "auto",
) -> Equilibrium:
    """Solve the CP short-run equilibrium for R regions with any transport-cost matrix.

    FKV (1999) ch. 5, eqs. (5.1)–(5.4)::

        Y_r = μ λ_r w_r + (1-μ) a_r                         income
        G_r = [ Σ_s λ_s (w_s T_sr)^(1-σ) ]^(1/(1-σ))        manufacturing price index
        w_r = [ Σ_s Y_s G_s^(σ-1) T_rs^(1-σ) ]^(1/σ)        wage at which firms break even
        ω_r = w_r G_r^(-μ)                                  real wage

    With a housing share η > 0 (Helpman 1998's fixed housing stock added to FKV's CP, which
    keeps its farm good: Cobb–Douglas shares μ, η, 1-μ-η; Pflüger & Südekum 2008 study the
    same congestion force in Pflüger's 2004 quasi-linear model instead): consumers spend η
    on a fixed local housing stock H_r (shares ``housing``), 1-μ-η on the farm good. Rents
    q_r = η Y_r / H_r are paid back to the region's residents in proportion to their labour
    income, so Y_r = (μ λ_r w_r + (1-μ) a_r)/(1-η) and ω_r = w_r/(1-η) · G_r^(-μ) q_r^(-η):
    crowding a region raises its rents. η = 0 is FKV's model exactly.

    Solved for the wages as the fixed point w = W(w) of the first three equations by
    damped Newton steps on log-wages (analytic R×R Jacobian, step halved until the residual
    falls), warm-started from ``wage0``: matrix products only, no loop over regions.
    Converged when the largest residual |ln W(w) - ln w| is below ``tol``; raises
    EquilibriumError after ``max_iter`` iterations, or where the equations leave the
    floating-point range (φ = T^(1-σ) or w^(1-σ) under- or overflowing at a large σ or T):
    never returns NaN or inf.
    Regions without workers get the wage a firm *could* pay there (FKV's "potential" wage),
    which is what a would-be migrant compares.

    ``firms`` (masses n_r, zero-profit total 1) fixes how many firms are present instead of
    free entry (n_r = λ_r); see ``_Markets`` for that out-of-equilibrium variant.

    ``method``: "dense" (the Newton steps above, O(R³) an iteration), "krylov" (the same
    Newton steps, each solved matrix-free by GMRES from Jacobian–vector products, O(R²) an
    iteration: Newton–Krylov, Knoll & Keyes 2004, J. Comput. Phys. 193, 357–397, with
    Eisenstat & Walker's 1996 forcing term min(0.1, ‖F‖)) or "auto": dense up to
    ``DENSE_MAX_PLACES`` places, Krylov beyond. Both stop at the same residual ``tol``.
    ``phi`` is T^(1-σ) where already built (``Economy.solver`` builds it once).
    """
    m = _Markets.build(shares, farmers, T, sigma, mu, housing_share, housing, firms, phi)
    krylov = method == "krylov" or (method == "auto" and m.lam.size > DENSE_MAX_PLACES)
    if krylov:
        m.phi_t = _transpose(m.phi)
    if wage0 is None:
        u = np.zeros_like(m.lam)
    else:  # a region whose workers earned nothing restarts from the unit wage
        wage0 = np.asarray(wage0, dtype=float)
        u = np.log(np.where(wage0 > 0, wage0, 1.0))
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        if krylov:
            return finite(_newton_krylov(m, u, tol, max_iter), "CP", sigma)
        parts = m.parts(u)
        residual = m.residual_at(u, parts)
        if not np.all(np.isfinite(residual)):
            raise out_of_range("CP", sigma)
        iteration = 0
        while not np.max(np.abs(residual)) < tol:
            iteration += 1
            if iteration > max_iter:
                raise _no_convergence(max_iter, np.max(np.abs(residual)), tol)
            try:
                direction = np.linalg.solve(m.jacobian_at(u, parts), -residual)
            except np.linalg.LinAlgError:
                direction = residual  # singular Jacobian: fall back to a fixed-point step
            u, parts, residual = m.line_search_residual(u, direction, residual)
        eq = m.equilibrium(u, iteration, float(np.max(np.abs(residual))), parts)
    return finite(eq, "CP", sigma)


def short_run_equilibria(
    shares: np.ndarray,
    farmers: np.ndarray,
    phi: np.ndarray,
    sigma: np.ndarray,
    mu: np.ndarray,
    housing_share: np.ndarray,
    housing: np.ndarray,
    wage0: np.ndarray | None = None,
    *,
    tol: float = 1e-12,
    max_iter: int = 100,
) -> tuple[Equilibrium, np.ndarray]:
    """``short_run_equilibrium`` of K economies at once (free entry, dense Newton): run k has
    shares[k], farmers[k], φ[k] = T_k^(1-σ_k), σ[k], μ[k], η[k], housing[k] (arrays of K rows).

    Every run takes the same damped Newton steps as ``short_run_equilibrium`` with
    ``phi=φ[k]`` (FKV 1999 eqs. 5.1–5.4; its docstring), with its own iteration count and
    step halvings, and the stacked products and LU solves are run by run the same BLAS and
    LAPACK calls: the result of run k is that of the single solve, bit for bit
    (``tests/test_ensemble.py``). Returns the equilibria (fields of K rows; ``iterations`` and
    ``residual`` per run) and which runs failed (no convergence in ``max_iter`` iterations,
    a stalled line search, numbers out of the floating-point range), whose rows are not to
    be read: the single solve raises its ``EquilibriumError`` for them.
    """
    sigma, mu, eta = (np.asarray(x, dtype=float)[:, None] for x in (sigma, mu, housing_share))
    m = _Markets(shares, farmers, phi, sigma, mu, eta, housing)
    if wage0 is None:
        u = np.zeros_like(m.lam)
    else:
        u = np.log(np.where(wage0 > 0, wage0, 1.0))
    k = u.shape[0]
    iterations = np.zeros(k, dtype=np.int64)
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        parts = m.parts(u)
        residual = m.residual_at(u, parts)
        failed = ~np.all(np.isfinite(residual), axis=1)
        norm = np.max(np.abs(residual), axis=1)
        while True:
            todo = np.flatnonzero(~(norm < tol) & ~failed)
            iterations[todo] += 1
            failed[todo[iterations[todo] > max_iter]] = True
            todo = todo[iterations[todo] <= max_iter]
            if todo.size == 0:
                break
            markets = m if todo.size == k else m.runs(todo)
            jacobian = markets.jacobian_at(u[todo], tuple(x[todo] for x in parts))
            direction = _newton_directions(jacobian, residual[todo])
            new = _line_searches(markets, u[todo], direction, norm[todo])
            u[todo], residual[todo], norm[todo] = new[:3]
            for whole, part in zip(parts, new[3], strict=True):
                whole[todo] = part
            failed[todo[new[4]]] = True
        eq = m.equilibrium(u, iterations, norm, parts)
    values = (eq.wage, eq.price_index, eq.income, eq.real_wage, eq.payoff)
    failed |= ~np.all([np.all(np.isfinite(x), axis=1) for x in values], axis=0)
    failed |= ~np.all(eq.price_index > 0, axis=1)
    return eq, failed


def _newton_directions(jacobian: np.ndarray, residual: np.ndarray) -> np.ndarray:
    """Newton steps J⁻¹(-F) run by run; a singular J falls back to F, as in the single solve."""
    try:
        return np.linalg.solve(jacobian, -residual[..., None])[..., 0]
    except np.linalg.LinAlgError:
        out = np.empty_like(residual)
        for i in range(residual.shape[0]):
            try:
                out[i] = np.linalg.solve(jacobian[i], -residual[i])
            except np.linalg.LinAlgError:
                out[i] = residual[i]
        return out


def _line_searches(m: _Markets, u: np.ndarray, direction: np.ndarray, norm0: np.ndarray):
    """``_Markets.line_search_residual`` run by run: each halves its own step until its largest
    residual falls. Returns (u, residual, largest residual, ``parts(u)``, stalled) per run."""
    u = u.copy()
    residual = np.empty_like(u)
    parts = tuple(np.empty_like(u) for _ in range(4))
    norm = np.empty_like(norm0)
    step = np.ones_like(norm0)
    stalled = np.zeros(norm0.size, dtype=bool)
    searching = np.arange(norm0.size)
    while searching.size:
        trial = u[searching] + step[searching, None] * direction[searching]
        markets = m if searching.size == norm0.size else m.runs(searching)
        at = markets.parts(trial)
        res = markets.residual_at(trial, at)
        n = np.max(np.abs(res), axis=1)
        ok = _accepted(n, norm0[searching], step[searching])
        done = searching[ok]
        u[done], residual[done], norm[done] = trial[ok], res[ok], n[ok]
        for whole, part in zip(parts, at, strict=True):
            whole[done] = part[ok]
        step[searching[~ok]] *= 0.5
        searching = searching[~ok]
        stalled[searching[~(step[searching] > _MIN_STEP)]] = True
        searching = searching[step[searching] > _MIN_STEP]
    return u, residual, norm, parts, stalled


def _product(matrix: np.ndarray, vector: np.ndarray) -> np.ndarray:
    """``matrix @ vector`` over any leading axes (runs stacked by ``short_run_equilibria``):
    one BLAS product per run, the same one whether the runs are stacked or not."""
    return np.matmul(matrix, vector[..., None])[..., 0]


_TRANSPOSES: dict[int, tuple[weakref.ref, np.ndarray | None]] = {}


def _transpose(phi: np.ndarray) -> np.ndarray:
    """φᵀ laid out row by row (φ itself where symmetric): a product with a transposed view
    reads memory across rows, measured 10× slower at R = 1,000. Built once for a read-only
    φ that owns its memory (``BoundSolver``'s, which nothing can change); otherwise the view."""
    if phi.flags.writeable or phi.base is not None:
        return phi.T
    key = id(phi)
    hit = _TRANSPOSES.get(key)
    if hit is None or hit[0]() is not phi:
        t = None if np.array_equal(phi, phi.T) else np.ascontiguousarray(phi.T)  # None: φ
        forget = partial(_TRANSPOSES.pop, key, None)  # bound now: no global at shutdown
        hit = _TRANSPOSES[key] = (weakref.ref(phi, lambda _: forget()), t)
    return phi if hit[1] is None else hit[1]


def _newton_krylov(m: _Markets, u: np.ndarray, tol: float, max_iter: int) -> Equilibrium:
    """``short_run_equilibrium``'s damped Newton steps with each step solved by GMRES from
    Jacobian–vector products (``_Markets.jacobian_vector``): O(R²) an inner iteration."""
    sigma = m.sigma
    parts = m.parts(u)
    residual = m.residual_at(u, parts)
    if not np.all(np.isfinite(residual)):
        raise out_of_range("CP", sigma)
    iteration = 0
    while not np.max(np.abs(residual)) < tol:
        iteration += 1
        if iteration > max_iter:
            raise _no_convergence(max_iter, np.max(np.abs(residual)), tol)
        forcing = min(0.1, float(np.linalg.norm(residual)))
        direction, _ = gmres(partial(m.jacobian_vector, u, parts), -residual, rtol=forcing)
        if not np.all(np.isfinite(direction)):
            direction = residual
        u, parts, residual = m.line_search_residual(u, direction, residual)
    return m.equilibrium(u, iteration, float(np.max(np.abs(residual))))


class _Markets:
    """The CP equations for fixed shares λ (and firm masses n), as functions of log-wages u.

    Free entry (FKV) sets the mass of firms in r to λ_r. With a given mass n_r instead (firms
    adjusting more slowly than workers), the FKV technology (fixed labour F = μ/σ, marginal
    c = ρ, price = wage) and labour clearing n_r(F + c q_r) = μ λ_r give each firm's output
    q_r = (μ/ρ)(λ_r/n_r - 1/σ), and demand q_r = w_r^(-σ) μ Σ_s Y_s φ_rs G_s^(σ-1) gives

        w_r^σ = κ_r Σ_s Y_s φ_rs G_s^(σ-1),   κ_r = (σ-1) n_r / (σ λ_r - n_r),
        π_r = (w_r/σ)(q_r - μ) = (μ w_r/σ) · σ(λ_r - n_r) / ((σ-1) n_r)   per firm,
        Y_r = μ λ_r w_r + (1-μ) a_r + n_r π_r = μ w_r (σ λ_r - n_r)/(σ-1) + (1-μ) a_r,
        G_s^(1-σ) = Σ_r n_r (w_r T_rs)^(1-σ),

    which is FKV's system when n = λ (κ = 1, π = 0). The fixed labour is avoidable, so a
    firm that would lose money stays idle: only n_r = min(n_r present, λ_r) operate, the
    surplus produces nothing. Workers where no firm operates earn nothing (w_r = 0); an
    empty region keeps FKV's potential wage (κ_r = 1). Profits are spent where they are
    earned (owned by the region's immobile residents), so migrants compare wages.
    """

    def __init__(self, lam, a, phi, sigma, mu, eta, housing, firms=None):
        self.lam, self.a, self.phi = lam, a, phi
        self.phi_t = np.swapaxes(phi, -1, -2)
        self.sigma, self.mu, self.eta, self.housing = sigma, mu, eta, housing
        self.scale = 1.0 / (1.0 - eta)  # income per unit of labour income, rents included
        if firms is None:  # free entry: n = λ
            self.firms, self.earning = lam, mu * lam
            self.log_kappa = np.zeros_like(lam)
            self.stranded = np.zeros(lam.shape, dtype=bool)
            return
        n = np.minimum(np.asarray(firms, dtype=float), lam)  # surplus firms stay idle
        if not np.any(n > 0):
            raise EquilibriumError("CP: no region has both workers and firms")
        self.firms = n
        self.stranded = (lam > 0) & (n == 0)  # workers without any operating firm
        working = n > 0
        self.earning = np.where(self.stranded, 0.0, mu * (sigma * lam - n) / (sigma - 1.0))
        self.log_kappa = np.zeros_like(lam)
        self.log_kappa[working] = np.log(
            (sigma - 1.0) * n[working] / (sigma * lam[working] - n[working])
        )

    @classmethod
    def build(
        cls, shares, farmers, T, sigma, mu, eta=0.0, housing=None, firms=None, phi=None
    ) -> _Markets:
        lam, a, phi = as_inputs(shares, farmers, T, sigma, "CP", phi)
        h = np.full(lam.size, 1.0 / lam.size) if housing is None else np.asarray(housing, float)
        if firms is not None and (np.shape(firms) != lam.shape or np.any(np.less(firms, 0))):
            raise EquilibriumError(f"CP: firms must be {lam.size} non-negative masses")
        return cls(lam, a, phi, sigma, mu, eta, h, firms)

    def runs(self, index: np.ndarray) -> _Markets:
        """The markets of some of the runs stacked by ``short_run_equilibria`` (free entry)."""
        return _Markets(
            self.lam[index],
            self.a[index],
            self.phi[index],
            self.sigma[index],
            self.mu[index],
            self.eta[index],
            self.housing[index],
        )

    def parts(self, u):
        """Wages w, incomes Y, P = G^(1-σ) and B = Σ_s φ_rs Y_s/P_s at log-wages u."""
        w = np.exp(u)
        income = self.scale * (self.earning * w + (1.0 - self.mu) * self.a)
        p = _product(self.phi_t, self.firms * w ** (1.0 - self.sigma))
        b = _product(self.phi, income / p)
        return w, income, p, b

    def residual_and_jacobian(self, u):
        """F(u) = ln W(e^u) - u and its analytic Jacobian dF/du.

        Differentiating Y = c(e w + (1-μ)a) with e = μλ under free entry,
        P = φᵀ(n w^(1-σ)), B = φ(Y/P), W = (κB)^(1/σ):
        dB_r/dw_k = φ_rk c e_k / P_k - Σ_s φ_rs (Y_s/P_s²) φ_ks (1-σ) n_k w_k^(-σ),
        d ln W_r / d u_k = w_k (dB_r/dw_k) / (σ B_r).
        """
        parts = self.parts(u)
        return self.residual_at(u, parts), self.jacobian_at(u, parts)

    def jacobian_at(self, u, parts):
        """dF/du (``residual_and_jacobian``) from ``parts(u)``."""
        sigma, phi = self.sigma, self.phi
        w, income, p, b = parts
        columns = (self.scale * self.earning / p)[..., None, :]
        db_dw = (
            phi * columns
            - (phi * (income / p**2)[..., None, :])
            @ self.phi_t
            * ((1.0 - sigma) * self.firms * w**-sigma)[..., None, :]
        )
        jac = db_dw * w[..., None, :] / (sigma * b)[..., :, None]
        diagonal = np.arange(u.shape[-1])
        jac[..., diagonal, diagonal] -= 1.0
        return jac

    def residual_at(self, u, parts):
        """F(u) = ln W(e^u) - u from ``parts(u)``."""
        return (self.log_kappa + np.log(parts[3])) / self.sigma - u

    def jacobian_vector(self, u, parts, v):
        """(dF/du) v without forming dF/du, O(R²): with dY = c e w v, dP = φᵀ((1-σ) n w^(1-σ)
        v) and dB = φ(dY/P - Y dP/P²), (dF/du) v = dB/(σB) - v (``residual_and_jacobian``'s
        Jacobian applied to v)."""
        w, income, p, b = parts
        d_income = self.scale * self.earning * w * v
        d_p = self.phi_t @ ((1.0 - self.sigma) * self.firms * w ** (1.0 - self.sigma) * v)
        d_b = self.phi @ (d_income / p - income * d_p / p**2)
        return d_b / (self.sigma * b) - v

    def line_search_residual(self, u, direction, residual):
        """Damped Newton: halve the step until the largest residual falls (``_accepted``);
        (u, parts, residual) of the accepted step."""
        norm0 = float(np.max(np.abs(residual)))
        step = 1.0
        while step > _MIN_STEP:
            trial = u + step * direction
            parts = self.parts(trial)
            res = self.residual_at(trial, parts)
            norm = float(np.max(np.abs(res)))
            if _accepted(norm, norm0, step):
                return trial, parts, res
            step *= 0.5
        raise _stalled(norm0)

    def equilibrium(self, u, iterations=0, residual=0.0, parts=None) -> Equilibrium:
        """The equilibrium at log-wages u (``parts``: ``parts(u)`` where already computed)."""
        potential, income, p, _ = self.parts(u) if parts is None else parts
        w = np.where(self.stranded, 0.0, potential)
        price_index = p ** (1.0 / (1.0 - self.sigma))
        real = self.scale * w * price_index ** (-self.mu)
        price_level = price_index**self.mu
        if np.any(self.eta > 0):  # runs stacked (``short_run_equilibria``) may mix η = 0 and η > 0
            rent = self.eta * income / self.housing
            housed = np.broadcast_to(self.eta > 0, real.shape)
            real = np.where(housed, real * rent ** (-self.eta), real)
            price_level = np.where(housed, price_level * rent**self.eta, price_level)
        return Equilibrium(
            wage=w,
            price_index=price_index,
            income=income,
            real_wage=real,
            payoff=real,
            iterations=iterations,
            residual=residual,
            potential_wage=potential,
            price_level=price_level,
        )


def firm_profit(
    shares: np.ndarray, firms: np.ndarray, wage: np.ndarray, sigma: float, mu: float
) -> np.ndarray:
    """Profit of one operating firm in each region when the masses of firms n_r are given.

    From the FKV technology with labour clearing (see ``_Markets``): output
    q_r = (μ/ρ)(λ_r/n_r - 1/σ), price w_r, costs w_r(F + c q_r), so
    π_r = (w_r/σ)(q_r - μ) = μ w_r (λ_r - n_r) / ((σ-1) n_r)  (FKV ch. 4 with n ≠ λ).
    Positive where firms are scarce relative to the workforce, zero under free entry
    (n = λ); only min(n_r, λ_r) firms operate, so idle firms and regions without workers
    earn 0. Pass ``Equilibrium.potential_wage`` where workers may have no firm at all.
    """
    lam = np.asarray(shares, dtype=float)
    n = np.minimum(np.asarray(firms, dtype=float), lam)
    with np.errstate(divide="ignore", invalid="ignore"):
        profit = mu * wage * (lam - n) / ((sigma - 1.0) * n)
    return np.where(n > 0, profit, 0.0)


def log_real_wage_jacobian(
    shares: np.ndarray,
    farmers: np.ndarray,
    T: np.ndarray,
    sigma: float,
    mu: float,
    *,
    housing_share: float = 0.0,
    housing: np.ndarray | None = None,
    phi: np.ndarray | None = None,
) -> np.ndarray:
    """d ln ω_r / d λ_k across short-run equilibria (wages re-clearing), analytically.

    By the implicit-function theorem on F(u, λ) = ln W(u, λ) - u = 0 (u = ln w):
    du/dλ = -(∂F/∂u)⁻¹ ∂F/∂λ, with ∂B_r/∂λ_k = φ_rk c μ w_k/P_k - Σ_s φ_rs (Y_s/P_s²) φ_ks
    w_k^(1-σ). Then ln ω = u - μ/(1-σ) ln P - η ln Y + const gives the total derivative.
    This is the matrix whose spectrum decides the stability of a distribution of workers
    (FKV ch. 5–6; Akamatsu, Takayama & Ikeda 2012 for the racetrack).
    """
    eq = short_run_equilibrium(
        shares, farmers, T, sigma, mu, housing_share=housing_share, housing=housing, phi=phi
    )
    m = _Markets.build(shares, farmers, T, sigma, mu, housing_share, housing, phi=phi)
    u = np.log(eq.wage)
    w, income, p, b = m.parts(u)
    _, jac_u = m.residual_and_jacobian(u)
    phi, lam = m.phi, m.lam
    w_1s = w ** (1.0 - sigma)
    db_dlam = phi * (m.scale * mu * w / p) - (phi * (income / p**2)) @ phi.T * w_1s
    du = -np.linalg.solve(jac_u, db_dlam / (sigma * b)[:, None])
    dlnp = (phi.T * w_1s) / p[:, None] + ((phi.T * (lam * (1.0 - sigma) * w_1s)) / p[:, None]) @ du
    dlny = (m.scale * mu / income)[:, None] * (np.diag(w) + (lam * w)[:, None] * du)
    return du - mu / (1.0 - sigma) * dlnp - housing_share * dlny


def two_region_real_wages(
    lam1: np.ndarray,
    T: np.ndarray,
    sigma: float,
    mu: float,
    housing_share: float = 0.0,
    *,
    tol: float = 1e-12,
    max_iter: int = 100,
) -> np.ndarray:
    """Real wages (ω_1, ω_2), shape (N, 2), of two symmetric regions (farmers and housing
    1/2 each, free entry) at N pairs (λ_1[k], T[k]), all solved at once.

    The equations of ``short_run_equilibrium`` (FKV 1999, ch. 5, eqs. (5.1)–(5.4), with
    Helpman's housing) for R = 2, by the same damped Newton steps on log-wages from the
    unit wage, as arrays over the N pairs: the 2×2 Jacobians are inverted in closed form
    and each pair halves its own step until its residual falls. The same tolerance; it
    raises EquilibriumError where the scalar solver would. This is what makes a tomahawk
    scan (tens of thousands of equilibria) take a fraction of a second.
    """
    lam1 = np.asarray(lam1, dtype=float)
    lam = np.stack([lam1, 1.0 - lam1], axis=-1)
    phi = np.broadcast_to(np.asarray(T, dtype=float) ** (1.0 - sigma), lam1.shape)
    scale = 1.0 / (1.0 - housing_share)
    farm = scale * (1.0 - mu) * 0.5

    def parts(u, k):
        w = np.exp(u)
        income = scale * mu * lam[k] * w + farm
        p = _mix(lam[k] * w ** (1.0 - sigma), phi[k])
        return w, income, p, _mix(income / p, phi[k])

    def residual_and_jacobian(u, k):
        w, income, p, b = parts(u, k)
        f, q = phi[k][:, None, None], income / p**2
        eye = np.eye(2)
        mix = eye + f * (1.0 - eye)  # Φ = [[1, φ], [φ, 1]] per pair
        m = (mix * q[:, None, :]) @ mix  # Σ_s φ_rs q_s φ_sk
        db_dw = (
            mix * (scale * mu * lam[k] / p)[:, None, :]
            - m * ((1.0 - sigma) * lam[k] * w**-sigma)[:, None, :]
        )
        jac = db_dw * w[:, None, :] / (sigma * b)[:, :, None] - eye
        return np.log(b) / sigma - u, jac

    n = lam1.size
    u = np.zeros((n, 2))
    everyone = np.arange(n)
    res, jac = residual_and_jacobian(u, everyone)
    norm = np.max(np.abs(res), axis=1)
    active = np.flatnonzero(~(norm < tol))
    for _ in range(max_iter):
        if active.size == 0:
            break
        r, j = res[active], jac[active]
        det = j[:, 0, 0] * j[:, 1, 1] - j[:, 0, 1] * j[:, 1, 0]
        with np.errstate(divide="ignore", invalid="ignore"):
            d0 = (-r[:, 0] * j[:, 1, 1] + r[:, 1] * j[:, 0, 1]) / det
            d1 = (-r[:, 1] * j[:, 0, 0] + r[:, 0] * j[:, 1, 0]) / det
        direction = np.stack([d0, d1], axis=1)
        singular = ~np.isfinite(direction).all(axis=1)
        direction[singular] = r[singular]  # singular Jacobian: a fixed-point step
        step = np.ones(active.size)
        pending = np.arange(active.size)
        while pending.size:
            if step[pending[0]] <= _MIN_STEP:
                raise _stalled(np.max(norm[active[pending]]))
            k = active[pending]
            trial = u[k] + step[pending, None] * direction[pending]
            t_res, t_jac = residual_and_jacobian(trial, k)
            t_norm = np.max(np.abs(t_res), axis=1)
            ok = _accepted(t_norm, norm[k], step[pending])
            done = k[ok]
            u[done], res[done], jac[done], norm[done] = trial[ok], t_res[ok], t_jac[ok], t_norm[ok]
            pending = pending[~ok]
            step[pending] *= 0.5
        active = active[~(norm[active] < tol)]
    else:
        if active.size:
            raise _no_convergence(max_iter, np.max(norm[active]), tol)
    w, income, p, _ = parts(u, everyone)
    real = scale * w * p ** (-mu / (1.0 - sigma))
    if housing_share > 0:
        real = real * (housing_share * income / 0.5) ** (-housing_share)
    return real


def _mix(x: np.ndarray, phi: np.ndarray) -> np.ndarray:
    """Σ_s φ_rs x_s for two regions with Φ = [[1, φ], [φ, 1]]: x_r + φ x_other, per row."""
    return x + phi[:, None] * x[:, ::-1]


def real_wage_gaps(
    lam1: np.ndarray, T: np.ndarray, sigma: float, mu: float, housing_share: float = 0.0
) -> np.ndarray:
    """``real_wage_gap`` (ω_1 - ω_2) at many pairs (λ_1[k], T[k]) at once
    (``two_region_real_wages``)."""
    real = two_region_real_wages(lam1, T, sigma, mu, housing_share)
    return real[:, 0] - real[:, 1]


def break_point(sigma: float, mu: float) -> Threshold:
    """Break point of the symmetric two-region CP equilibrium.

    FKV (1999) ch. 5 §5.5: the symmetric state λ = 1/2 is unstable for all trade freeness
    above φ_B = (ρ-μ)(1-μ) / ((ρ+μ)(1+μ)), ρ = (σ-1)/σ; equivalently
    T_B = φ_B^(1/(1-σ)). Exists only under the no-black-hole condition ρ > μ.
    """
    check_no_black_hole(sigma, mu)
    rho = (sigma - 1.0) / sigma
    phi_b = (rho - mu) * (1.0 - mu) / ((rho + mu) * (1.0 + mu))
    return Threshold(T=phi_b ** (1.0 / (1.0 - sigma)), phi=phi_b)


def sustain_ratio(T: float | np.ndarray, sigma: float, mu: float) -> float | np.ndarray:
    """Real wage of a would-be periphery worker relative to the core, when λ = 1.

    FKV (1999) ch. 5 §5.4: with all manufacturing in region 1,
    ω_2/ω_1 = T^(-μ) [ (1+μ)/2 · T^(1-σ) + (1-μ)/2 · T^(σ-1) ]^(1/σ).
    The core–periphery pattern is sustainable where this is below 1.
    """
    T = np.asarray(T, dtype=float)
    with np.errstate(over="ignore"):
        out = T ** (-mu) * ((1 + mu) / 2 * T ** (1 - sigma) + (1 - mu) / 2 * T ** (sigma - 1)) ** (
            1 / sigma
        )
    if not np.all(np.isfinite(out)):  # T^(σ-1) overflowed: the same in logarithms
        log_t = np.log(T)
        log_sum = np.logaddexp(
            np.log((1 + mu) / 2) + (1 - sigma) * log_t, np.log((1 - mu) / 2) + (sigma - 1) * log_t
        )
        out = np.where(np.isfinite(out), out, np.exp(-mu * log_t + log_sum / sigma))
    return float(out) if out.ndim == 0 else out


def sustain_point(sigma: float, mu: float) -> Threshold:
    """Sustain point: the transport cost T_S > 1 at which ``sustain_ratio`` reaches 1.

    FKV (1999) ch. 5 §5.4. ``sustain_ratio`` equals 1 at T = 1, falls below 1 just above
    it (its log-derivative there is -μ(1+ρ) < 0) and grows like T^(ρ-μ) → ∞ under the
    no-black-hole condition, so the root T_S > 1 is bracketed and found with Brent's method.
    """
    check_no_black_hole(sigma, mu)
    lo, hi = 1.0 + 1e-9, 2.0
    while sustain_ratio(hi, sigma, mu) <= 1.0:
        lo, hi = hi, hi * 2.0
        if hi > 1e12:
            raise EquilibriumError(f"sustain point not bracketed for sigma={sigma}, mu={mu}")
    t_s = brentq(lambda t: sustain_ratio(t, sigma, mu) - 1.0, lo, hi, xtol=1e-14, rtol=1e-14)
    return Threshold(T=t_s, phi=t_s ** (1.0 - sigma))


def real_wage_gap(
    lam1: float, T: float, sigma: float, mu: float, housing_share: float = 0.0, **solver
) -> float:
    """ω_1 - ω_2 in the symmetric two-region economy with a share λ_1 of workers in region 1.

    Its sign drives migration in FKV's law of motion (ch. 5, dλ/dt = γ(ω_1 - ω̄)λ):
    interior long-run equilibria are its zeros, stable where it decreases in λ_1.
    """
    eq = short_run_equilibrium(
        np.array([lam1, 1.0 - lam1]),
        np.array([0.5, 0.5]),
        two_region_costs(T),
        sigma,
        mu,
        housing_share=housing_share,
        **solver,
    )
    return float(eq.real_wage[0] - eq.real_wage[1])


def symmetric_slope(T: float, sigma: float, mu: float, housing_share: float = 0.0) -> float:
    """d(ln ω_1 - ln ω_2)/dλ_1 at the even spread of two symmetric regions (λ_2 = 1 - λ_1).

    Positive: a worker who moves raises the real wage where she goes, so the even spread is
    unstable (FKV ch. 5 §5.5). From ``log_real_wage_jacobian``.
    """
    J = log_real_wage_jacobian(
        np.array([0.5, 0.5]),
        np.array([0.5, 0.5]),
        two_region_costs(T),
        sigma,
        mu,
        housing_share=housing_share,
    )
    return float(J[0, 0] - J[0, 1] - J[1, 0] + J[1, 1])


def core_ratio(T: float, sigma: float, mu: float, housing_share: float = 0.0) -> float:
    """ω_2/ω_1 with every worker in region 1: the core is sustainable where it is below 1.

    Equals ``sustain_ratio`` when there is no housing (tested); with housing it is solved.
    """
    eq = short_run_equilibrium(
        np.array([1.0, 0.0]),
        np.array([0.5, 0.5]),
        two_region_costs(T),
        sigma,
        mu,
        housing_share=housing_share,
    )
    return float(eq.real_wage[1] / eq.real_wage[0])


T_SCAN = (1.0 + 1e-4, 50.0)


def break_points(sigma: float, mu: float, housing_share: float = 0.0) -> list[Threshold]:
    """Every transport cost at which the even spread changes stability, ascending.

    Without housing this is FKV's single break point (closed form). With housing the
    congestion force re-stabilises the even spread at low T too (the bell shape), and the
    roots of ``symmetric_slope`` in T are found numerically on T ∈ (1, 50].
    """
    if housing_share == 0.0:
        return [break_point(sigma, mu)]
    roots = roots_in(lambda t: symmetric_slope(t, sigma, mu, housing_share), *T_SCAN)
    return [Threshold(T=t, phi=t ** (1.0 - sigma)) for t in roots]


def sustain_points(sigma: float, mu: float, housing_share: float = 0.0) -> list[Threshold]:
    """Every transport cost at which full agglomeration starts or stops being sustainable."""
    if housing_share == 0.0:
        return [sustain_point(sigma, mu)]
    roots = roots_in(lambda t: core_ratio(t, sigma, mu, housing_share) - 1.0, *T_SCAN)
    return [Threshold(T=t, phi=t ** (1.0 - sigma)) for t in roots]


def tomahawk(
    sigma: float,
    mu: float,
    transport_costs: np.ndarray,
    n_lambda: int = 60,
    housing_share: float = 0.0,
) -> list[tuple[float, float, bool]]:
    """Long-run equilibria (T, λ_1, stable) of the symmetric two-region CP model.

    The "tomahawk" bifurcation diagram (FKV 1999, ch. 5, fig. 5.4): the even spread λ = 1/2
    (stable above the break point), full agglomeration λ ∈ {0, 1} where it is sustainable
    (below the sustain point), and the interior asymmetric equilibria (zeros of
    ``real_wage_gap``, stable where it falls in λ_1), every λ of every T solved at once
    (``real_wage_gaps``). With housing the same scan gives the bell-shaped diagram.
    """
    check_no_black_hole(sigma, mu)
    if housing_share == 0.0:
        t_break = break_point(sigma, mu).T

        def symmetric_stable(T):
            return T > t_break

        def sustainable(T):
            return sustain_ratio(T, sigma, mu) < 1.0
    else:

        def symmetric_stable(T):
            return symmetric_slope(T, sigma, mu, housing_share) < 0.0

        def sustainable(T):
            return core_ratio(T, sigma, mu, housing_share) < 1.0

    return tomahawk_scan(
        lambda lam, T: real_wage_gaps(lam, T, sigma, mu, housing_share),
        sustainable,
        symmetric_stable,
        transport_costs,
        n_lambda,
    )


class CorePeriphery(Economy):
    """Krugman's core–periphery economy (FKV 1999, ch. 4–5), with Helpman's (1998) housing
    as an optional congestion force: workers move on real wages; firms track them under
    free entry, or adjust at their own speed (``negsim.firm_dynamics``)."""

    name = "cp"
    title = "Core–periphery"
    mobile = MobileFactor(name="workers", label="mobile workers", unit="workers")
    has_housing = True
    has_firm_dynamics = True
    empty_region_potential = True

    welfare_groups = ("workers", "farmers")
    stacked_equilibria = staticmethod(short_run_equilibria)

    def check_no_black_hole(self, sigma: float, mu: float) -> None:
        check_no_black_hole(sigma, mu)

    def mobile_income(self, eq, shares, immobile, mu, eta):
        """FKV's μλ_r workers (ch. 5, eq. (5.1)), each earning the wage w_r plus her share of
        the rents, rebated in proportion to labour income: w_r/(1-η) (0 where no firm
        employs her; an empty region's potential wage)."""
        return mu * np.asarray(shares, dtype=float), eq.wage / (1.0 - eta)

    def payoff_jacobian(
        self, shares, immobile, T, sigma, mu, *, housing_share=0.0, housing=None, phi=None
    ):
        """``log_real_wage_jacobian``: workers compare real wages."""
        return log_real_wage_jacobian(
            shares, immobile, T, sigma, mu, housing_share=housing_share, housing=housing, phi=phi
        )

    equilibrium = staticmethod(short_run_equilibrium)
    """``short_run_equilibrium`` (FKV ch. 5, eqs. (5.1)–(5.4), with housing): its signature
    is the interface's."""

    def thresholds(self, sigma, mu, housing_share=0.0):
        """FKV (1999) ch. 5 closed forms; numerical roots with housing (the bell shape)."""
        self.check(sigma, mu, housing_share)
        return break_points(sigma, mu, housing_share), sustain_points(sigma, mu, housing_share)

    def symmetric_stable(self, T, sigma, mu, eta=0.0):
        if eta == 0.0:
            return T > break_point(sigma, mu).T
        return symmetric_slope(T, sigma, mu, eta) < 0.0

    def core_sustainable(self, T, sigma, mu, eta=0.0):
        if eta == 0.0:
            return sustain_ratio(T, sigma, mu) < 1.0
        return core_ratio(T, sigma, mu, eta) < 1.0

    def tomahawk(self, sigma, mu, transport_costs, housing_share=0.0, n_lambda=60):
        self.check_housing(mu, housing_share)  # cp.tomahawk checks σ and μ itself
        return tomahawk(sigma, mu, transport_costs, n_lambda, housing_share)


ECONOMY = CorePeriphery()
