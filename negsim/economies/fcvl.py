"""The footloose-capital economy with vertical linkages (FCVL) of Robert-Nicoud (2002, "A
simple geography model with vertical linkages and capital mobility", LSE mimeo), as set out
in Baldwin, Forslid, Martin, Ottaviano & Robert-Nicoud, *Economic Geography and Public
Policy* (2003), ch. 8.

It is the footloose-capital economy (``negsim.economies.fc``, Baldwin et al. ch. 3) with an
input–output loop: each firm needs one unit of capital (the mobile factor; shares λ_r of
firms, total 1) and, per unit of output, a Cobb–Douglas bundle of immobile labour (wage 1,
cost share 1-α) and of the manufacturing composite itself (cost share α, the *input share*,
scenario key ``economy.input_share`` in (0, ``INPUT_SHARE_MAX``]; unset, α = μ). Capital
moves to the highest nominal reward because its owners stay at home (shares a_r, like the
workers) and spend there, so consumers' spending never follows capital. What does follow
is the firms' own spending on intermediates (the demand, or backward, linkage) and cheaper
inputs where many varieties are made locally (the cost, or forward, linkage): enough
circular causality for a catastrophic tomahawk, with a break point in closed form
(``break_point``) and a sustain point where a closed-form ratio equals 1
(``sustain_ratio``, ``sustain_point``). Both conditions are cp's (FKV 1999, ch. 5) at
μ_cp = α(σ-1)/σ (``tests/test_fcvl.py`` checks it).
"""

from __future__ import annotations

import math
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

__all__ = [
    "ECONOMY",
    "FootlooseCapitalVerticalLinkages",
    "break_point",
    "break_point_numerical",
    "check_input_share",
    "short_run_equilibrium",
    "sustain_point",
    "sustain_point_numerical",
    "sustain_ratio",
    "two_region_rewards",
]

INPUT_SHARE_MAX = 0.95
"""Largest intermediate cost share α negsim solves for. The sustain point's trade freeness
is about ((1-c)/2)^(1/(1-α)) for α near 1 (``sustain_ratio`` without its φ^(α+1) term),
c = α(σ-1)/σ: 1e-99 at α = 0.98 and 1e-226 at α = 0.99 with σ = 1,000, below the 1e-200
negsim keeps trade freeness above (``LOG10_TRADE_FREENESS_MIN``); at α = 0.95 it is at
least 1e-32 for every σ ≤ ``SIGMA_MAX``."""

INPUT_SHARE_RANGE = f"(0, {INPUT_SHARE_MAX:g}]"


def check_input_share(alpha: float) -> None:
    """ValueError unless the intermediate cost share α is in (0, ``INPUT_SHARE_MAX``]: α = 0
    is plain FC (no thresholds), and as α → 1 the sustain point leaves float64's range."""
    if not 0 < alpha <= INPUT_SHARE_MAX:
        raise ValueError(f"input_share must be in {INPUT_SHARE_RANGE} (got {alpha})")


def _linkage(sigma: float, alpha: float) -> float:
    """c = α(σ-1)/σ: the share of a firm's revenue it spends on intermediates."""
    return alpha * (sigma - 1.0) / sigma


def _solve(
    lam: np.ndarray,
    a: np.ndarray,
    log_phi: np.ndarray,
    sigma: float,
    mu: float,
    alpha: float,
    u0: np.ndarray | None,
    tol: float,
    max_iter: int,
) -> tuple[np.ndarray, np.ndarray, int, float]:
    """(u = ln Δ, π, Newton iterations, residual) for N markets at once: λ and a of shape
    (N, R), ln φ of shape (N, R, R) (``log_phi[n, k, s]`` = ln φ_ks). See
    ``short_run_equilibrium`` for the equations."""
    n, r = lam.shape
    with np.errstate(divide="ignore"):
        log_lam = np.log(lam)
    eye = np.eye(r)

    def residual(u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        terms = log_phi + (log_lam + alpha * u)[:, :, None]  # [n, k, s]
        top = np.max(terms, axis=1, keepdims=True)
        g = (top + np.log(np.sum(np.exp(terms - top), axis=1, keepdims=True)))[:, 0, :]
        return u - g, np.exp(terms - g[:, None, :]).transpose(0, 2, 1)  # W[n, s, k]

    reach = np.max(log_phi + log_lam[:, :, None], axis=1)
    if not np.all(np.isfinite(reach)):
        raise out_of_range("FCVL", sigma)
    u = u0 if u0 is not None else _symmetric_guess(lam, log_phi, alpha)
    f, w = residual(u)
    if not np.all(np.isfinite(f)):
        raise out_of_range("FCVL", sigma)
    iteration = 0
    while not np.all(np.abs(f) < tol * np.maximum(1.0, np.abs(u))):
        iteration += 1
        if iteration > max_iter or not np.all(np.isfinite(f)):
            raise EquilibriumError(
                f"FCVL short-run equilibrium: the input price indices did not converge in "
                f"{max_iter} Newton iterations (log residual {np.max(np.abs(f)):.3g} > tol "
                f"{tol:g}; input_share = {alpha:g}, σ = {sigma:g}); raise solver.max_iter or "
                "lower input_share"
            )
        step = np.linalg.solve(eye - alpha * w, -f[:, :, None])[:, :, 0]
        for _ in range(30):  # halve the step until the residual falls
            f_new, w_new = residual(u + step)
            if np.max(np.abs(f_new)) < np.max(np.abs(f)):
                break
            step = step / 2.0
        u, f, w = u + step, f_new, w_new
    c = _linkage(sigma, alpha)
    world = (1.0 - mu) / (1.0 - mu / (sigma * (1.0 - c)))
    m = np.exp(alpha * u[:, :, None] + log_phi.transpose(0, 2, 1) - u[:, None, :]) / sigma
    a_mat = eye - alpha * (sigma - 1.0) * m * lam[:, None, :]
    rhs = mu * world * np.einsum("nrs,ns->nr", m, a)
    try:
        reward = np.linalg.solve(a_mat, rhs[:, :, None])[:, :, 0]
    except np.linalg.LinAlgError as exc:
        raise EquilibriumError(f"FCVL short-run equilibrium is singular: {exc}") from None
    if not np.all(np.isfinite(reward) & (reward > 0)):
        raise EquilibriumError(
            "FCVL short-run equilibrium produced non-positive or non-finite capital rewards "
            f"(σ = {sigma:g}, input_share = {alpha:g}); lower the transport costs or σ"
        )
    spending = mu * world * a + alpha * (sigma - 1.0) * lam * reward
    gap = np.einsum("nrs,ns->nr", m, spending) - reward
    res = max(float(np.max(np.abs(f))), float(np.max(np.abs(gap) / reward)))
    return u, reward, iteration, res


def _symmetric_guess(lam: np.ndarray, log_phi: np.ndarray, alpha: float) -> np.ndarray:
    """ln Δ_s = ln(Σ_k φ_ks λ_k)/(1-α): exact wherever every Δ_k is equal (the even spread
    of symmetric places, full agglomeration's core), a close start elsewhere."""
    with np.errstate(divide="ignore"):
        terms = log_phi + np.log(lam)[:, :, None]
    top = np.max(terms, axis=1, keepdims=True)
    return (top + np.log(np.sum(np.exp(terms - top), axis=1, keepdims=True)))[:, 0, :] / (
        1.0 - alpha
    )


def short_run_equilibrium(
    shares: np.ndarray,
    immobile: np.ndarray,
    T: np.ndarray,
    sigma: float,
    mu: float,
    *,
    input_share: float | None = None,
    price_index0: np.ndarray | None = None,
    tol: float = 1e-12,
    max_iter: int = 100,
    **_: object,
) -> Equilibrium:
    """Solve the FCVL short-run equilibrium for R regions with any transport-cost matrix.

    Robert-Nicoud (2002); Baldwin et al. (2003), ch. 8 (FCVL), in the notation of
    ``negsim.economies.fc`` (ch. 3). Firms in r price at marginal cost, normalised to
    p_r = G_r^α (labour's wage is 1; α the input share), and the number of firms in r is
    λ_r. With Δ_s = G_s^(1-σ) and φ = T^(1-σ)::

        Δ_s = Σ_k λ_k φ_ks Δ_k^α                       price index, its own inputs in it
        E_s = μ a_s Y_w + α(σ-1) λ_s π_s               consumers' + firms' input spending
        π_r = (1/σ) Δ_r^α Σ_s φ_rs E_s / Δ_s           capital's reward (operating profit)
        Y_w = (1-μ) / (1 - b/(1-c)),  b = μ/σ, c = α(σ-1)/σ      world income

    Capital's owners (shares a_s of it) and the workers (1-μ in all) stay put, so income
    Y_s = a_s Y_w does not follow capital; capital income Σ λ_r π_r = b Y_w/(1-c) is the
    share of spending on manufactures that is operating profit. Capital compares π
    (nominal); ``real_wage`` reports π_r G_r^(-μ) for reference.

    Solved in two exact steps: the price indices by Newton's method on ln Δ (the map
    ln Δ ↦ ln Σ_k λ_k φ_ks Δ_k^α contracts with modulus α; Jacobian I - αW with W the
    expenditure weights, step halved until the residual falls), warm-started from
    ``price_index0`` or else from the exact value for equal Δ, ln Δ = ln(Σ_k λ_k φ_ks)/(1-α);
    then π from the linear system (I - α(σ-1) M diag(λ)) π = μ Y_w M a,
    M_rs = Δ_r^α φ_rs/(σ Δ_s). Regions without capital get the reward a first firm would
    earn there. ``residual`` is the larger of the price-index log residual and the relative
    gap of the reward equation. Raises EquilibriumError after ``max_iter`` Newton
    iterations, where a region reaches no firm, or where a reward is not a positive
    number: never returns NaN.
    """
    lam, a, phi = as_inputs(shares, immobile, T, sigma, "FCVL")
    alpha = mu if input_share is None else input_share
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        log_phi = (1.0 - sigma) * np.log(np.asarray(T, dtype=float))
        u0 = None
        if price_index0 is not None:
            u0 = ((1.0 - sigma) * np.log(np.asarray(price_index0, dtype=float)))[None, :]
            if not np.all(np.isfinite(u0)) or u0.shape != (1, lam.size):
                u0 = None
        u, reward, iterations, residual = _solve(
            lam[None, :], a[None, :], log_phi[None], sigma, mu, alpha, u0, tol, max_iter
        )
        u, reward = u[0], reward[0]
        price_index = np.exp(u / (1.0 - sigma))
        c = _linkage(sigma, alpha)
        income = a * (1.0 - mu) / (1.0 - mu / (sigma * (1.0 - c)))
        eq = Equilibrium(
            wage=reward,
            price_index=price_index,
            income=income,
            real_wage=reward * price_index ** (-mu),
            payoff=reward,
            iterations=iterations,
            residual=residual,
            price_level=price_index**mu,
        )
    return finite(eq, "FCVL", sigma)


def two_region_rewards(
    lam1: np.ndarray, T: np.ndarray, sigma: float, mu: float, input_share: float
) -> np.ndarray:
    """Capital's rewards (π_1, π_2), shape (N, 2), of two symmetric regions (workers and
    owners 1/2 each) at N pairs (λ_1[k], T[k]), all at once: ``short_run_equilibrium``'s
    equations, one batched Newton solve."""
    lam1 = np.asarray(lam1, dtype=float).ravel()
    lam = np.stack([lam1, 1.0 - lam1], axis=-1)
    log_phi = (1.0 - sigma) * np.log(np.broadcast_to(np.asarray(T, dtype=float), lam1.shape))
    pair = np.zeros((lam1.size, 2, 2))
    pair[:, 0, 1] = pair[:, 1, 0] = log_phi
    half = np.full_like(lam, 0.5)
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        _, reward, _, _ = _solve(lam, half, pair, sigma, mu, input_share, None, 1e-13, 100)
    return reward


def break_point(sigma: float, input_share: float) -> Threshold:
    """FCVL break point: φ_B = (1-α)(1-c) / ((1+α)(1+c)), c = α(σ-1)/σ.

    Baldwin et al. (2003), ch. 8 (Robert-Nicoud 2002); with α = μ (the default), c = μ - b,
    b = μ/σ, it reads φ_B = (1-μ)(1-μ+b)/((1+μ)(1+μ-b)). Derived here by perturbing the
    even spread (Z = (1-φ)/(1+φ)): d ln Δ_1 = 2Z dλ/(1-αZ) from the price index,
    d ln E_1 = c(2 dλ + d ln π_1) from input spending, so
    d ln π_1 ∝ 2Z dλ [(α - Z)/(1 - αZ) + c], which changes sign at Z_B = (α + c)/(1 + αc).
    The even spread is stable for φ < φ_B. Consumers' μ does not enter: their spending
    stays where the owners live. ``break_point_numerical`` (and ``tests/test_fcvl.py``, on
    a plain fixed-point solve) find the same φ_B by root-finding on finite differences of
    the short-run equilibrium.
    """
    return _threshold(math.log(break_point_phi(sigma, input_share)), sigma, "break point")


def break_point_phi(sigma: float, input_share: float) -> float:
    """φ_B of ``break_point``, without T (which may leave float64's range)."""
    check_sigma_alpha(sigma, input_share)
    c = _linkage(sigma, input_share)
    return (1.0 - input_share) * (1.0 - c) / ((1.0 + input_share) * (1.0 + c))


def _phi(T: float, sigma: float) -> float:
    """Trade freeness T^(1-σ), 0.0 where it underflows."""
    return math.exp((1.0 - sigma) * math.log(T))


def sustain_ratio(phi: float, sigma: float, input_share: float) -> float:
    """π_2/π_1 with all capital in region 1, as a function of trade freeness φ.

    Baldwin et al. (2003), ch. 8 (FCVL): in the core Δ_1 = 1 and the periphery's Δ_2 = φ,
    so a firm there prices at φ^(-α/(1-σ)) times the core's; the core spends
    E_1 = (1+c)/(1-c) · E_2 (its firms buy their inputs at home), hence
    π_2/π_1 = φ^α [(1+c) φ + (1-c)/φ] / 2, c = α(σ-1)/σ. The core is sustainable where
    the ratio is below 1.
    """
    c = _linkage(sigma, input_share)
    return float(phi**input_share * ((1.0 + c) * phi + (1.0 - c) / phi) / 2.0)


def sustain_point(sigma: float, input_share: float) -> Threshold:
    """FCVL sustain point: the φ_S in (0, 1) where ``sustain_ratio`` = 1 (Baldwin et al.
    2003, ch. 8). No closed form in φ: the ratio is 1 at φ = 1, below 1 just under it (its
    slope there is α + c > 0) and → ∞ as φ → 0 (α < 1), so the interior root is bracketed
    and found by Brent's method, as FE's is (``negsim.economies.fe.sustain_point``) but on
    ln φ: φ_S falls to ~1e-32 as α → ``INPUT_SHARE_MAX``, far below an absolute tolerance
    on φ itself."""
    check_sigma_alpha(sigma, input_share)
    lo, hi = math.log(0.5), math.log1p(-1e-9)
    while log_sustain_ratio(lo, sigma, input_share) <= 0.0:
        lo *= 2.0
        if lo < math.log(1e-300):
            raise EquilibriumError(
                f"FCVL sustain point not bracketed (sigma={sigma}, input_share={input_share})"
            )
    log_phi = brentq(
        lambda x: log_sustain_ratio(x, sigma, input_share), lo, hi, xtol=1e-13, rtol=1e-14
    )
    return _threshold(log_phi, sigma, "sustain point")


def log_sustain_ratio(log_phi: float, sigma: float, input_share: float) -> float:
    """ln ``sustain_ratio`` at φ = e^log_phi, in range for φ down to 1e-300."""
    c = _linkage(sigma, input_share)
    phi = math.exp(log_phi)
    return input_share * log_phi + math.log(((1.0 + c) * phi + (1.0 - c) / phi) / 2.0)


def _threshold(log_phi: float, sigma: float, what: str) -> Threshold:
    """The threshold at trade freeness φ = e^log_phi as (T = φ^(1/(1-σ)), φ); ValueError
    where T leaves float64's range (σ near 1 with a large input share)."""
    log_t = log_phi / (1.0 - sigma)
    if not log_t < math.log(np.finfo(float).max):
        raise ValueError(
            f"the fcvl {what} T = 10^{log_t / math.log(10):.4g} lies beyond float64 (φ = "
            f"{math.exp(log_phi):.4g} at sigma = {sigma:g}); raise sigma or lower input_share"
        )
    return Threshold(T=math.exp(log_t), phi=math.exp(log_phi))


def _gaps_at(lam1: np.ndarray, log_phi: np.ndarray, sigma: float, alpha: float) -> np.ndarray:
    """ln(π_1/π_2) of two symmetric regions at pairs (λ_1[k], ln φ[k]) by the R-region
    solve (``_solve``, R = 2), trade freeness given in logs so that φ down to 1e-300 and σ
    near 1 stay in range. μ does not matter for the ratio (spending ∝ μ)."""
    lam = np.stack([lam1, 1.0 - lam1], axis=-1)
    pair = np.zeros((lam1.size, 2, 2))
    pair[:, 0, 1] = pair[:, 1, 0] = log_phi
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        _, reward, _, _ = _solve(
            lam, np.full_like(lam, 0.5), pair, sigma, 0.4, alpha, None, 1e-14, 100
        )
    return np.log(reward[:, 0] / reward[:, 1])


def _root_in_log_phi(f, what: str, sigma: float, alpha: float) -> Threshold:
    """The sign change of f(ln φ) on ln φ ∈ [ln 1e-300, ln(1 - 1e-9)], bracketed on a
    grid (the first change from the free-trade end) and refined by Brent's method."""
    grid = np.log(
        np.concatenate([np.geomspace(1e-300, 0.5, 300), 1.0 - np.geomspace(0.5, 1e-9, 100)[1:]])
    )
    values = f(grid)
    (changes,) = np.nonzero(np.sign(values[:-1]) * np.sign(values[1:]) < 0)
    if changes.size == 0:
        raise EquilibriumError(f"FCVL {what} not bracketed (sigma={sigma}, input_share={alpha})")
    i = changes[-1]
    log_phi = brentq(
        lambda x: float(f(np.array([x]))[0]), grid[i], grid[i + 1], xtol=1e-14, rtol=1e-14
    )
    return _threshold(log_phi, sigma, what)


def break_point_numerical(sigma: float, input_share: float, h: float = 1e-5) -> Threshold:
    """The break point by a route independent of ``break_point``'s algebra: the φ where
    d ln(π_1/π_2)/dλ_1 at the even spread changes sign, the slope taken by central
    differences (step ``h``) of the short-run equilibrium solve, the root by Brent's
    method. For ``negsim verify`` and the tests."""
    check_sigma_alpha(sigma, input_share)

    def slope(log_phi: np.ndarray) -> np.ndarray:
        up = _gaps_at(np.full(log_phi.size, 0.5 + h), log_phi, sigma, input_share)
        down = _gaps_at(np.full(log_phi.size, 0.5 - h), log_phi, sigma, input_share)
        return (up - down) / (2.0 * h)

    return _root_in_log_phi(slope, "break point", sigma, input_share)


def sustain_point_numerical(sigma: float, input_share: float) -> Threshold:
    """The sustain point by a route independent of ``sustain_ratio``'s algebra: the φ where
    capital's reward in the empty region equals the core's (ln(π_1/π_2) = 0 at λ_1 = 1) in
    the short-run equilibrium solve, by Brent's method. For ``negsim verify`` and the
    tests."""
    check_sigma_alpha(sigma, input_share)
    return _root_in_log_phi(
        lambda log_phi: _gaps_at(np.ones(log_phi.size), log_phi, sigma, input_share),
        "sustain point",
        sigma,
        input_share,
    )


def check_sigma_alpha(sigma: float, input_share: float) -> None:
    """BlackHoleError unless σ > 1 and 0 < α ≤ ``INPUT_SHARE_MAX``."""
    if not sigma > 1:
        raise BlackHoleError(f"sigma must be > 1 (got {sigma})")
    try:
        check_input_share(input_share)
    except ValueError as exc:
        raise BlackHoleError(str(exc)) from None


class FootlooseCapitalVerticalLinkages(Economy):
    """Robert-Nicoud's (2002) footloose capital with vertical linkages (Baldwin et al. 2003,
    ch. 8): capital (firms) moves on its nominal reward, its owners and the workers stay;
    firms buy each other's varieties as inputs (share ``input_share``, default μ)."""

    name = "fcvl"
    title = "Footloose capital with vertical linkages"
    mobile = MobileFactor(name="capital", label="capital (firms)", unit="firms")
    firms_are_mobile = True
    has_input_share = True
    symbols = {"input_share": "α"}
    welfare_groups = ("capital owners", "workers")

    def __init__(self, input_share: float | None = None) -> None:
        if input_share is not None:
            check_input_share(input_share)
        self.input_share = input_share

    def mobile_income(self, eq, shares, immobile, mu, eta):
        """As in fc (Baldwin et al. 2003, ch. 3; ch. 8 for FCVL): capital's owners stay
        where they live (a_r of the one unit of capital in region r) and each earns the
        average reward Σ_k λ_k π_k wherever her capital is employed. Consumers are
        Cobb–Douglas over the manufactures' composite (share μ, price index G_r) and the
        numeraire, so V = y/G_r^μ; workers earn the unit wage."""
        a = np.asarray(immobile, dtype=float)
        average = float(np.dot(np.asarray(shares, dtype=float), eq.wage))
        return a, np.full(a.shape, average)

    def alpha(self, mu: float) -> float:
        """The input share α: ``input_share``, or μ where it is not set."""
        return mu if self.input_share is None else self.input_share

    def with_parameters(self, section: Any) -> Economy:
        """This economy with the scenario's ``economy.input_share`` (itself where unset)."""
        share = getattr(section, "input_share", None)
        return self if share is None else FootlooseCapitalVerticalLinkages(share)

    def parameters(self, mu: float) -> dict[str, float]:
        return {"input_share": self.alpha(mu)}

    def check_input_share(self, sigma: float, mu: float) -> None:
        """ValueError unless α (``input_share``, default μ) is in (0, ``INPUT_SHARE_MAX``]."""
        try:
            check_input_share(self.alpha(mu))
        except ValueError as exc:
            default = " (unset, it defaults to mu)" if self.input_share is None else ""
            raise ValueError(f"{exc}{default}") from None

    def check_no_black_hole(self, sigma: float, mu: float) -> None:
        """No black hole: φ_B > 0 for every α < 1 (``break_point``); σ > 1 and 0 < μ < 1
        only (the input share is checked by ``check``, and by the scenario once it is
        known whether it defaults to μ)."""
        if not (sigma > 1 and 0 < mu < 1):
            raise BlackHoleError(f"need sigma > 1 and 0 < mu < 1 (got {sigma}, {mu})")

    def check(self, sigma: float, mu: float, housing_share: float = 0.0) -> None:
        """``Economy.check`` and the input share α (``input_share``, default μ) in
        (0, ``INPUT_SHARE_MAX``]."""
        super().check(sigma, mu, housing_share)
        try:
            self.check_input_share(sigma, mu)
        except ValueError as exc:
            raise BlackHoleError(str(exc)) from None

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
        price_index0=None,
    ) -> Equilibrium:
        self.check_inputs(firms, housing_share)
        return short_run_equilibrium(
            shares,
            immobile,
            T,
            sigma,
            mu,
            input_share=self.alpha(mu),
            price_index0=price_index0,
            tol=tol,
            max_iter=max_iter,
        )

    def solver(
        self,
        immobile,
        T,
        sigma,
        mu,
        *,
        housing_share=0.0,
        housing=None,
        tol=1e-12,
        max_iter=100,
    ):
        """``equilibrium`` with everything but the state bound, warm-started from the price
        indices of the previous solve (``wage0``, capital's reward, cannot start Δ)."""
        last: list[np.ndarray] = []

        def solve(shares, wage0=None, firms=None):
            eq = self.equilibrium(
                shares,
                immobile,
                T,
                sigma,
                mu,
                housing_share=housing_share,
                firms=firms,
                tol=tol,
                max_iter=max_iter,
                price_index0=last[0] if last else None,
            )
            last[:] = [eq.price_index]
            return eq

        return solve

    def thresholds(self, sigma, mu, housing_share=0.0):
        """Baldwin et al. (2003) ch. 8: one break point (closed form), one sustain point."""
        self.check(sigma, mu, housing_share)
        alpha = self.alpha(mu)
        return [break_point(sigma, alpha)], [sustain_point(sigma, alpha)]

    def symmetric_stable(self, T, sigma, mu, eta=0.0):
        """T > T_B, compared as φ = T^(1-σ) < φ_B (``break_point``)."""
        return _phi(T, sigma) < break_point_phi(sigma, self.alpha(mu))

    def core_sustainable(self, T, sigma, mu, eta=0.0):
        """``sustain_ratio`` < 1 at φ = T^(1-σ)."""
        log_phi = (1.0 - sigma) * math.log(T)
        return T > 1.0 and log_sustain_ratio(log_phi, sigma, self.alpha(mu)) < 0.0

    def payoff_gaps(self, sigma, mu, housing_share=0.0):
        """ln(π_1/π_2) at many (λ_1, T) at once (``two_region_rewards``)."""
        self.check_inputs(None, housing_share)
        alpha = self.alpha(mu)

        def gaps(lam1: np.ndarray, T: np.ndarray) -> np.ndarray:
            reward = two_region_rewards(lam1, T, sigma, mu, alpha)
            return np.log(reward[:, 0] / reward[:, 1])

        return gaps


ECONOMY = FootlooseCapitalVerticalLinkages()
