"""The core–periphery model with vertical linkages (CPVL) of Krugman & Venables (1995,
"Globalization and the inequality of nations", QJE 110, 857–880), as in Fujita, Krugman &
Venables, *The Spatial Economy* (1999), ch. 14 ("FKV"), and Baldwin, Forslid, Martin,
Ottaviano & Robert-Nicoud, *Economic Geography and Public Policy* (2003), ch. 8.

Nobody migrates between regions. Region r has a labour force a_r (total 1) that moves
between two sectors: agriculture (constant returns, one unit of labour per unit, freely
traded, the numeraire, so its wage is 1 wherever it is active) and manufacturing
(Dixit–Stiglitz varieties, FKV's technology). Firms buy an input bundle that is
Cobb–Douglas in labour and in the composite of *all* varieties, with cost share α (the
scenario's ``economy.input_share``): its price is w_r^(1-α) G_r^α. Consumers spend μ on
manufactures. Firms in a region with many firms buy their inputs cheaply (the cost
linkage) and sell to many firms (the demand linkage): agglomeration without migration.

How the agent engine represents it (a decision of negsim's, not of the sources):

- The mobile agents are units of industry (firms with their industrial jobs); their
  shares λ_r are the distribution of a fixed world industrial labour force μ — its amount
  at the symmetric long-run equilibrium, where the industrial wage equals the
  agricultural wage 1. When a unit of industry leaves r a worker of r goes back to
  farming and one in the destination leaves the farm: industrial labour in r is μ λ_r,
  agricultural labour a_r - μ λ_r (which must stay positive: μ λ_r < a_r), and
  Y_r = a_r + μ λ_r (w_r - 1).
- In KV (1995) and FKV ch. 14 labour moves between sectors within each region, towards
  the higher wage; the sectors of one region face the same prices, so what a region's
  worker compares is the industrial wage w_r against 1. The engine keeps the world's
  industry fixed and lets it relocate towards the region with the higher industrial wage
  premium w_r/1: the payoff is the nominal industrial wage w_r (``real_wage`` reports
  w_r G_r^(-μ) for reference). The two-region long-run equilibria (w_1 = w_2 inside,
  w_periphery ≤ w_core at full agglomeration) are then those of the sectoral dynamics
  with industry's total held at μ; the transition paths are not KV's.

With this representation the two-region thresholds do not depend on μ and have the form
of the FE model's with b = μ/σ replaced by α (the isomorphism Robert-Nicoud 2005, "The
structure of simple 'New Economic Geography' models", JEG 5, 201–227, points out):
``break_point`` and ``sustain_ratio``, both checked against finite differences and a
root-finder on the short-run equilibrium in ``tests/test_cpvl.py``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from negsim.economies.base import (
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
)

DEFAULT_INPUT_SHARE = 0.3
"""α where a scenario or ``negsim tomahawk`` does not give one (illustrative)."""


def check_parameters(sigma: float, mu: float, alpha: float) -> None:
    """Raise BlackHoleError unless σ > 1, 0 < μ < 1 and 0 < α < (σ-1)/σ.

    α ≥ (σ-1)/σ is CPVL's black hole: the break point φ_B ≤ 0 and the periphery's wage at
    full agglomeration stays below the core's as φ → 0 (FKV ch. 14; the same condition
    as FE's μ < σ-1 with μ/σ replaced by α). α = 0 has no vertical linkage and, with the
    world's industry fixed, no agglomeration force at all.
    """
    if not sigma > 1:
        raise BlackHoleError(f"sigma must be > 1 (got {sigma})")
    if not 0 < mu < 1:
        raise BlackHoleError(f"mu must be in (0, 1) (got {mu})")
    rho = (sigma - 1.0) / sigma
    if not 0 < alpha < rho:
        raise BlackHoleError(
            f"economy.input_share (cpvl) must be in (0, (sigma-1)/sigma) = (0, {rho:.6g}) "
            f"(got {alpha}, sigma={sigma}): at or above it agglomeration is stable at every "
            "transport cost (black hole)"
        )


def short_run_equilibrium(
    shares: np.ndarray,
    labour: np.ndarray,
    T: np.ndarray,
    sigma: float,
    mu: float,
    alpha: float = DEFAULT_INPUT_SHARE,
    *,
    wage0: np.ndarray | None = None,
    tol: float = 1e-12,
    max_iter: int = 100,
) -> Equilibrium:
    """Solve the CPVL short-run equilibrium for R regions with any transport-cost matrix.

    The model of KV (1995) and FKV (1999) ch. 14 with a constant-returns agriculture, in
    FKV's normalisation (marginal input ρ = (σ-1)/σ; fixed input F with σF(1-α) = μ, so
    that α = 0 gives FKV ch. 5's CP wage equations)::

        c_r = w_r^(1-α) G_r^α                              price of the input bundle = mill price
        n_r = λ_r w_r / c_r                                firms (industrial labour μλ_r)
        G_s^(1-σ) = Σ_r n_r c_r^(1-σ) φ_rs                 manufacturing price index
        E_s = μ Y_s + α/(1-α) μ λ_s w_s                    spending on varieties: consumers
                                                           and firms' intermediate purchases
        c_r^σ = ((1-α)/μ) Σ_s φ_rs E_s G_s^(σ-1)           zero profit (output σF per firm)
        Y_r = a_r + μ λ_r (w_r - 1)                        income: farm wage 1, industrial w_r

    φ_rs = T_rs^(1-σ), a_r the region's labour force, λ_r its share of the world's
    industrial labour μ. Solved for (ln w, ln G) by damped Newton steps (analytic 2R×2R
    Jacobian, step halved until the residual falls), warm-started from ``wage0``; sums are
    taken as log-sum-exp so that tiny φ neither underflows nor overflows. Regions without
    industry get the wage a first firm could pay there. Raises EquilibriumError when it
    does not converge in ``max_iter`` steps, when a region's industry needs more labour
    than it has (μ λ_r ≥ a_r: agriculture would vanish) or when numbers leave the
    floating-point range: never NaN.
    """
    lam, a, phi = as_inputs(shares, labour, T, sigma, "CPVL")
    if np.any(mu * lam >= a) and np.any(lam > 0):
        r = int(np.argmax(mu * lam - a))
        raise EquilibriumError(
            f"CPVL: region {r} has labour {a[r]:.4g} but its industry needs μλ = "
            f"{mu * lam[r]:.4g}; agriculture must stay active (mu < every region's labour share)"
        )
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        log_phi = (1.0 - sigma) * np.log(np.asarray(T, dtype=float))
    u0 = None if wage0 is None else np.log(np.where(np.asarray(wage0) > 0, wage0, 1.0))
    w, G, iterations, residual = solve_batch(
        lam[None, :], a[None, :], log_phi[None, :, :], sigma, mu, alpha, u0, tol, max_iter
    )
    w, G = w[0], G[0]
    income = a + mu * lam * (w - 1.0)
    eq = Equilibrium(
        wage=w,
        price_index=G,
        income=income,
        real_wage=w * G ** (-mu),
        payoff=w,
        iterations=iterations,
        residual=residual,
        price_level=G**mu,
    )
    return finite(eq, "CPVL", sigma)


def _logsumexp(x: np.ndarray, axis: int) -> np.ndarray:
    top = np.max(x, axis=axis, keepdims=True)
    top = np.where(np.isfinite(top), top, 0.0)
    return np.squeeze(top, axis) + np.log(np.sum(np.exp(x - top), axis=axis))


def _residual_and_jacobian(x, lam, a, log_phi, sigma, mu, alpha, with_jacobian=True):
    """Scaled residuals of ``short_run_equilibrium``'s equations at x = (ln w, ln G), shape
    (N, 2R), and their Jacobian (N, 2R, 2R)::

        F1_s = ln G_s + ln Σ_r λ_r w_r c_r^(-σ) φ_rs / (σ-1)     (n_r c_r^(1-σ) = λ_r w_r c_r^(-σ))
        F2_r = ln c_r - ln Σ_s φ_rs B_s G_s^(σ-1) / σ,  B_s = (1-α) Y_s + α λ_s w_s
    """
    R = lam.shape[1]
    u, v = x[:, :R], x[:, R:]
    w = np.exp(u)
    lc = (1.0 - alpha) * u + alpha * v
    supply = np.log(lam) + u - sigma * lc  # ln(λ_r w_r c_r^(-σ))
    terms_p = supply[:, :, None] + log_phi  # (N, r, s)
    log_p = _logsumexp(terms_p, axis=1)
    b = (1.0 - alpha) * (a + mu * lam * (w - 1.0)) + alpha * lam * w
    demand = np.log(b) + (sigma - 1.0) * v
    terms_q = log_phi + demand[:, None, :]  # (N, r, s)
    log_q = _logsumexp(terms_q, axis=2)
    f = np.concatenate([v + log_p / (sigma - 1.0), lc - log_q / sigma], axis=1)
    if not with_jacobian:
        return f, None
    m = np.exp(terms_p - log_p[:, None, :])  # share of r in s's price index
    c = np.exp(terms_q - log_q[:, :, None])  # share of s in r's sales
    db = np.where(b > 0, ((1.0 - alpha) * mu + alpha) * lam * w / np.where(b > 0, b, 1.0), 0.0)
    eye = np.eye(R)[None]
    mt = np.swapaxes(m, 1, 2)
    jac = np.empty((lam.shape[0], 2 * R, 2 * R))
    jac[:, :R, :R] = (1.0 - sigma * (1.0 - alpha)) / (sigma - 1.0) * mt
    jac[:, :R, R:] = eye - sigma * alpha / (sigma - 1.0) * mt
    jac[:, R:, :R] = (1.0 - alpha) * eye - c * db[:, None, :] / sigma
    jac[:, R:, R:] = alpha * eye - (sigma - 1.0) / sigma * c
    return f, jac


def _price_indices(x, lam, a, log_phi, sigma, mu, alpha, sweeps=8):
    """ln G near the solution of the price-index equations (F1) at the wages of x: a few
    fixed-point sweeps v ← -ln P(u, v)/(σ-1), a contraction of factor ≤ σα/(σ-1) < 1 (the
    no-black-hole condition), so that a warm start from the wages alone starts close (more
    sweeps cost more than the Newton steps they save)."""
    R = lam.shape[1]
    y = x.copy()
    for _ in range(sweeps):
        f, _unused = _residual_and_jacobian(y, lam, a, log_phi, sigma, mu, alpha, False)
        step = f[:, :R]
        y[:, R:] -= step
        if not np.all(np.abs(step) < 1e-15):
            continue
        break
    return y[:, R:] if np.all(np.isfinite(y)) else x[:, R:]


def solve_batch(
    lam: np.ndarray,
    a: np.ndarray,
    log_phi: np.ndarray,
    sigma: float,
    mu: float,
    alpha: float,
    u0: np.ndarray | None = None,
    tol: float = 1e-12,
    max_iter: int = 100,
) -> tuple[np.ndarray, np.ndarray, int, float]:
    """(w, G, iterations, residual) of N short-run equilibria at once: ``lam``, ``a`` of
    shape (N, R), ``log_phi`` = (1-σ) ln T of shape (N, R, R). Newton's method on every
    system together, each with its own step length (halved until its residual falls)."""
    n, R = lam.shape
    x = np.zeros((n, 2 * R))
    if u0 is not None:
        x[:, :R] = u0
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        x[:, R:] = _price_indices(x, lam, a, log_phi, sigma, mu, alpha)
        f, jac = _residual_and_jacobian(x, lam, a, log_phi, sigma, mu, alpha)
        size = np.max(np.abs(f), axis=1)
        if not np.all(np.isfinite(size)):
            raise out_of_range("CPVL", sigma)
        iteration = 0
        while not np.all(size < tol):
            iteration += 1
            if iteration > max_iter:
                raise EquilibriumError(
                    f"CPVL short-run equilibrium did not converge in {max_iter} Newton "
                    f"iterations (log residual {np.max(size):.3g} > tol {tol:.3g}); raise "
                    "solver.max_iter"
                )
            todo = ~(size < tol)
            try:
                step = np.linalg.solve(jac[todo], -f[todo][:, :, None])[:, :, 0]
            except np.linalg.LinAlgError:
                step = -f[todo]  # a singular Jacobian: a fixed-point step instead
            xt, st = x[todo], size[todo]
            t = np.ones(len(xt))
            done = np.zeros(len(xt), dtype=bool)
            for _ in range(40):
                trial = xt + t[:, None] * step
                ft, _unused = _residual_and_jacobian(
                    trial, lam[todo], a[todo], log_phi[todo], sigma, mu, alpha, False
                )
                better = np.max(np.abs(ft), axis=1) < st
                accept = better & ~done
                xt[accept] = trial[accept]
                done |= better
                if done.all():
                    break
                t = np.where(done, t, t / 2.0)
            if not done.all():
                raise EquilibriumError(
                    "CPVL short-run equilibrium: Newton steps stall (log residual "
                    f"{np.max(st[~done]):.3g}); the transport costs or σ leave the "
                    "floating-point range"
                )
            x[todo] = xt
            f, jac = _residual_and_jacobian(x, lam, a, log_phi, sigma, mu, alpha)
            size = np.max(np.abs(f), axis=1)
            if not np.all(np.isfinite(size)):
                raise out_of_range("CPVL", sigma)
        return np.exp(x[:, :R]), np.exp(x[:, R:]), iteration, float(np.max(size))


def break_point(sigma: float, mu: float, alpha: float) -> Threshold:
    """CPVL break point: φ_B = (1-α)(σ(1-α) - 1) / ((1+α)(σ(1+α) - 1)).

    Derived here (FKV's ch. 14 model, its wage pinned by a constant-returns agriculture, so
    μ drops out); it is FE's φ_B (Baldwin et al. 2003, ch. 4) with μ/σ replaced by α, the
    common structure Robert-Nicoud (2005) shows. Obtained by linearising
    ``short_run_equilibrium`` at the even spread: d ln(w_1/w_2)/dλ_1 ∝ Z[Z(σ-1+σα²) -
    α(2σ-1)], Z = (1-φ)/(1+φ), which changes sign at Z_B = α(2σ-1)/(σ-1+σα²). The even
    spread is unstable for φ > φ_B.
    """
    check_parameters(sigma, mu, alpha)
    phi = (1.0 - alpha) * (sigma * (1.0 - alpha) - 1.0)
    phi /= (1.0 + alpha) * (sigma * (1.0 + alpha) - 1.0)
    return Threshold(T=phi ** (1.0 / (1.0 - sigma)), phi=phi)


def sustain_ratio(phi: float, sigma: float, alpha: float) -> float:
    """w_2/w_1 raised to (1-α)σ with all industry in region 1 (two symmetric regions).

    Derived here from ``short_run_equilibrium`` (FKV ch. 14's model; the book's own form is
    not reproduced — the tests check this one against a root-finder on the primitives): at
    λ = (1, 0) the core pays w_1 = 1 (so Y_1 = Y_2 = 1/2 and G_1 = 1), G_2 = φ^(1/(1-σ)),
    and the periphery's potential wage solves
    w_2^((1-α)σ) = φ^(ασ/(σ-1)) [(1+α)φ + (1-α)/φ] / 2 — FE's ``sustain_ratio`` with μ/σ
    replaced by α. Full agglomeration is sustainable where this is < 1.
    """
    return float(
        phi ** (alpha * sigma / (sigma - 1.0)) * ((1.0 + alpha) * phi + (1.0 - alpha) / phi) / 2.0
    )


def sustain_point(sigma: float, mu: float, alpha: float) -> Threshold:
    """CPVL sustain point: the φ_S in (0, 1) where ``sustain_ratio`` = 1. The ratio is 1 at
    φ = 1, below 1 just under it (its slope there is ασ/(σ-1) + α > 0) and
    → ∞ as φ → 0 when α < (σ-1)/σ, so the interior root is bracketed (Brent's method)."""
    check_parameters(sigma, mu, alpha)
    lo = 0.5
    while sustain_ratio(lo, sigma, alpha) <= 1.0:
        lo /= 2.0
        if lo < 1e-300:
            raise EquilibriumError(f"CPVL sustain point not bracketed (sigma={sigma}, α={alpha})")
    phi = brentq(
        lambda p: sustain_ratio(p, sigma, alpha) - 1.0, lo, 1.0 - 1e-9, xtol=1e-15, rtol=1e-14
    )
    return Threshold(T=phi ** (1.0 / (1.0 - sigma)), phi=phi)


def numerical_thresholds(
    sigma: float, mu: float, alpha: float, t_max: float = 50.0
) -> tuple[Threshold, Threshold]:
    """(break point, sustain point) found without the closed forms: Brent's method on the
    short-run equilibrium itself (``solve_batch``, two regions of labour 1/2). The break
    point is the T where the central-difference slope of ln(w_1/w_2) in λ_1 at the even
    spread changes sign, the sustain point the T where the periphery's potential wage equals
    the core's at λ = (1, 0); each is bracketed on a grid of T in (1, ``t_max``] solved at
    once. An independent check of ``break_point`` and ``sustain_point`` (what ``negsim
    verify`` can compare them with)."""
    check_parameters(sigma, mu, alpha)
    gaps = CorePeripheryVerticalLinkages(alpha).payoff_gaps(sigma, mu)
    h = 1e-4

    def slope(T: np.ndarray) -> np.ndarray:
        lam = np.full_like(T, 0.5)
        return (gaps(lam + h, T) - gaps(lam - h, T)) / (2.0 * h)

    def core_gap(T: np.ndarray) -> np.ndarray:
        return gaps(np.ones_like(T), T)

    out = []
    grid = np.geomspace(1.0 + 1e-6, t_max, 120)
    for f in (slope, core_gap):
        ys = f(grid)
        change = np.flatnonzero(np.sign(ys[:-1]) != np.sign(ys[1:]))
        if change.size != 1:
            raise EquilibriumError(
                f"CPVL: {change.size} sign changes on T in (1, {t_max:g}] (sigma={sigma}, "
                f"alpha={alpha}); expected one"
            )
        i = int(change[0])
        T = brentq(
            lambda t, f=f: float(f(np.array([t]))[0]),
            grid[i],
            grid[i + 1],
            xtol=1e-13,
            rtol=1e-13,
        )
        out.append(Threshold(T=T, phi=T ** (1.0 - sigma)))
    return out[0], out[1]


class CorePeripheryVerticalLinkages(Economy):
    """Krugman & Venables' (1995) core–periphery model with vertical linkages (FKV 1999,
    ch. 14; Baldwin et al. 2003, ch. 8): no migration; units of industry relocate towards
    the higher industrial wage; firms buy each other's varieties as inputs (share α)."""

    name = "cpvl"
    title = "Core–periphery with vertical linkages"
    mobile = MobileFactor(name="industry", label="industry (firms)", unit="firms")
    firms_are_mobile = True
    empty_region_potential = True
    has_input_share = True
    symbols = {"input_share": "α"}

    welfare_groups = ("industrial workers", "farm workers")

    def __init__(self, input_share: float = DEFAULT_INPUT_SHARE) -> None:
        self.input_share = float(input_share)

    def mobile_income(self, eq, shares, immobile, mu, eta):
        """The μλ_r industrial workers of r, each earning the industrial wage w_r (an empty
        region's: what a first firm could pay). Consumers are Cobb–Douglas over the
        manufactures' composite (share μ) and the farm good (price 1) (FKV 1999 ch. 14, as
        ch. 5), so V = y/G_r^μ (``Equilibrium.price_level``) up to a constant."""
        return mu * np.asarray(shares, dtype=float), eq.wage

    def immobile_mass(self, shares, immobile, mu):
        """Farm workers a_r - μλ_r: the labour industry leaves in region r (wage 1)."""
        return np.asarray(immobile, dtype=float) - mu * np.asarray(shares, dtype=float)

    def with_parameters(self, table: Any) -> CorePeripheryVerticalLinkages:
        """This economy with the scenario's ``economy.input_share`` (default if unset)."""
        alpha = getattr(table, "input_share", None)
        return self if alpha is None else CorePeripheryVerticalLinkages(alpha)

    def check_no_black_hole(self, sigma: float, mu: float) -> None:
        """σ > 1 and 0 < μ < 1; the black hole is α's (``check_input_share``, ``check``)."""
        check_parameters(sigma, mu, 0.5 * (sigma - 1.0) / sigma if sigma > 1 else 0.0)

    def parameters(self, mu: float) -> dict[str, float]:
        return {"input_share": self.input_share}

    def check_input_share(self, sigma: float, mu: float = 0.5) -> None:
        """BlackHoleError unless 0 < α < (σ-1)/σ (``check_parameters``; μ plays no part)."""
        check_parameters(sigma, 0.5, self.input_share)

    def check_immobile(self, mu: float, immobile: list[float]) -> None:
        """ValueError unless μ < every region's labour share: a region holding all industry
        (μ λ_r = μ) keeps its agriculture, which pins the wage at 1 (see the module)."""
        smallest = min(immobile)
        if not mu < smallest:
            raise ValueError(
                f"economy.mu: cpvl needs mu < every region's labour share "
                f"(regions.farmer_shares; smallest {smallest:.4g}, mu = {mu}) so that a region "
                "holding all industry keeps its agriculture"
            )

    def check(self, sigma: float, mu: float, housing_share: float = 0.0) -> None:
        """``Economy.check`` with α's black hole, and μ < 1/2: two symmetric regions (labour
        1/2 each) keep their agriculture when all industry (μ) sits in one."""
        super().check(sigma, mu, housing_share)
        self.check_input_share(sigma)
        if not mu < 0.5:
            raise ValueError(
                f"cpvl with two regions of labour 1/2 each needs mu < 1/2 (got {mu}): the "
                "core's agriculture must stay active"
            )

    def equilibrium(
        self,
        shares,
        immobile,
        T,
        sigma,
        mu,
        *,
        housing_share=0.0,
        housing=None,
        firms=None,
        wage0=None,
        tol=1e-12,
        max_iter=100,
        phi=None,  # T^(1-σ) as BoundSolver builds it: unused, this economy reads T
    ) -> Equilibrium:
        self.check_inputs(firms, housing_share)
        return short_run_equilibrium(
            shares,
            immobile,
            T,
            sigma,
            mu,
            self.input_share,
            wage0=wage0,
            tol=tol,
            max_iter=max_iter,
        )

    def thresholds(self, sigma, mu, housing_share=0.0):
        """One break point (closed form) and one sustain point (a root of a closed form)."""
        self.check(sigma, mu, housing_share)
        alpha = self.input_share
        return [break_point(sigma, mu, alpha)], [sustain_point(sigma, mu, alpha)]

    def symmetric_stable(self, T, sigma, mu, eta=0.0):
        return T > break_point(sigma, mu, self.input_share).T

    def core_sustainable(self, T, sigma, mu, eta=0.0):
        return sustain_ratio(T ** (1.0 - sigma), sigma, self.input_share) < 1.0

    def payoff_gaps(self, sigma, mu, housing_share=0.0):
        """ln(w_1/w_2) at many (λ_1, T) at once (``solve_batch``, two regions of labour 1/2)."""
        self.check_inputs(None, housing_share)
        alpha = self.input_share

        def gaps(lam1: np.ndarray, T: np.ndarray) -> np.ndarray:
            lam1 = np.asarray(lam1, dtype=float)
            lam = np.stack([lam1, 1.0 - lam1], axis=-1)
            log_t = (1.0 - sigma) * np.log(np.broadcast_to(np.asarray(T, float), lam1.shape))
            log_phi = np.zeros((lam1.size, 2, 2))
            log_phi[:, 0, 1] = log_phi[:, 1, 0] = log_t
            a = np.full_like(lam, 0.5)
            w, _g, _i, _r = solve_batch(lam, a, log_phi, sigma, mu, alpha)
            return np.log(w[:, 0] / w[:, 1])

        return gaps

    def two_region_theory(self, T, sigma, mu, housing_share, symmetric, a1):
        out = super().two_region_theory(T, sigma, mu, housing_share, symmetric, a1)
        if out is not None:
            out["input_share"] = self.input_share
        return out


ECONOMY = CorePeripheryVerticalLinkages()
