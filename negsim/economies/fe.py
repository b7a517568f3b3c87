"""The footloose-entrepreneur (FE) economy of Forslid & Ottaviano (2003), as set out in
Baldwin, Forslid, Martin, Ottaviano & Robert-Nicoud, *Economic Geography and Public
Policy* (2003), ch. 4.

Each firm needs one entrepreneur (the mobile, skilled factor; shares λ_r, total 1) as its
fixed cost and β = (σ-1)/σ units of immobile unskilled labour per unit of output
(total 1-μ, shares a_r, wage 1 — the farm good is freely traded and the numeraire). Every
firm therefore charges the same mill price 1, the number of firms in r is λ_r, and an
entrepreneur earns her firm's operating profit, 1/σ of its sales. A firm and its
entrepreneur move together. Because prices do not depend on the entrepreneur's reward,
the short-run equilibrium is a *linear* system, solved exactly.
"""

from __future__ import annotations

import numpy as np

from negsim.economies.base import (
    DENSE_MAX_PLACES,
    BlackHoleError,
    ClosedFormEconomy,
    Equilibrium,
    EquilibriumError,
    MobileFactor,
    Threshold,
    as_inputs,
    brentq,
    out_of_range,
)
from negsim.economies.krylov import gmres


def check_no_black_hole(sigma: float, mu: float) -> None:
    """Raise BlackHoleError unless μ < σ - 1 (Baldwin et al. 2003, ch. 4: otherwise the
    break point φ_B is negative and agglomeration is stable at every trade cost)."""
    if not sigma > 1:
        raise BlackHoleError(f"sigma must be > 1 (got {sigma})")
    if not 0 < mu < 1:
        raise BlackHoleError(f"mu must be in (0, 1) (got {mu})")
    if not mu < sigma - 1:
        raise BlackHoleError(
            f"no-black-hole condition (fe) needs mu < sigma-1 = {sigma - 1:.6g} "
            f"(got mu={mu}, sigma={sigma})"
        )


def short_run_equilibrium(
    shares: np.ndarray,
    immobile: np.ndarray,
    T: np.ndarray,
    sigma: float,
    mu: float,
    *,
    phi: np.ndarray | None = None,
    method: str = "auto",
    **_: object,
) -> Equilibrium:
    """Solve the FE short-run equilibrium for R regions (Baldwin et al. 2003, ch. 4)::

        Δ_s = Σ_k λ_k φ_ks                          (price index G_s = Δ_s^(1/(1-σ)))
        E_s = (1-μ) a_s + λ_s π_s                   expenditure: unskilled + entrepreneurs
        π_r = (μ/σ) Σ_s φ_rs E_s / Δ_s              operating profit = entrepreneur's reward
        V_r = π_r G_r^(-μ) = π_r Δ_r^(μ/(σ-1))      real reward (what entrepreneurs compare)

    π appears linearly: (I - b φ D⁻¹ diag(λ)) π = b φ D⁻¹ (1-μ) a, b = μ/σ, D = diag(Δ).
    Regions without entrepreneurs get the profit a firm *would* earn there. ``residual`` is
    the largest relative gap of the profit equation at the solution.

    ``method``: "dense" (an LU solve, O(R³)), "krylov" (GMRES, O(R²) an iteration, on the
    entrepreneurs' incomes y = λπ: y = diag(λ) M (y + (1-μ)a), M = bφD⁻¹, whose matrix
    diag(λ)M has every column summing to b < 1, so the system is well conditioned and the
    fixed point a contraction; then π = M(y + (1-μ)a)) or "auto": dense up to
    ``DENSE_MAX_PLACES`` places. ``phi`` is T^(1-σ) where already built.
    """
    lam, a, phi = as_inputs(shares, immobile, T, sigma, "FE", phi)
    b = mu / sigma
    delta = phi.T @ lam
    if not np.all(delta > 0):  # T^(1-σ) underflows to 0: a region reaches no firm
        raise out_of_range("FE", sigma)
    fast = method == "krylov" or (method == "auto" and lam.size > DENSE_MAX_PLACES)
    profit = _krylov_profit(lam, (1.0 - mu) * a, phi, delta, b) if fast else None
    if profit is None:  # dense, or GMRES short of its tolerance (not seen: the dense solve)
        m = b * phi / delta[None, :]
        try:
            profit = np.linalg.solve(np.eye(lam.size) - m * lam[None, :], m @ ((1.0 - mu) * a))
        except np.linalg.LinAlgError as exc:
            raise EquilibriumError(f"FE short-run equilibrium is singular: {exc}") from None
    if not np.all(np.isfinite(profit) & (profit > 0)):
        raise EquilibriumError("FE short-run equilibrium produced non-positive profits")
    income = (1.0 - mu) * a + lam * profit
    price_index = delta ** (1.0 / (1.0 - sigma))
    real = profit * price_index ** (-mu)
    residual = float(np.max(np.abs(b * phi @ (income / delta) - profit) / profit))  # relative
    return Equilibrium(
        wage=profit,
        price_index=price_index,
        income=income,
        real_wage=real,
        payoff=real,
        residual=residual,
        price_level=price_index**mu,
    )


def _krylov_profit(
    lam: np.ndarray, unskilled: np.ndarray, phi: np.ndarray, delta: np.ndarray, b: float
) -> np.ndarray | None:
    """π of ``short_run_equilibrium`` matrix-free: GMRES on (I - diag(λ)M) y = diag(λ)M c
    (c the unskilled spending, M = bφD⁻¹), then π = M(y + c). Every product is O(R²).
    None if GMRES stops short of its tolerance."""

    def spend(x: np.ndarray) -> np.ndarray:
        return b * (phi @ (x / delta))

    rhs = lam * spend(unskilled)
    y, relative = gmres(lambda v: v - lam * spend(v), rhs, rtol=1e-13, restart=40)
    return spend(y + unskilled) if relative <= 1e-12 else None


def log_real_reward_jacobian(
    shares: np.ndarray,
    immobile: np.ndarray,
    T: np.ndarray,
    sigma: float,
    mu: float,
    *,
    phi: np.ndarray | None = None,
) -> np.ndarray:
    """d ln V_r / d λ_k across short-run equilibria, analytically (Baldwin et al. 2003,
    ch. 4, the equations of ``short_run_equilibrium`` differentiated).

    With Δ = φᵀλ, M = bφD⁻¹ and E = (1-μ)a + λπ: dΔ_s/dλ_k = φ_ks, dE = λ dπ + e_k π_k,
    and π = ME gives (I - M diag λ) dπ/dλ = M diag(π) - bφ diag(E/Δ²) φᵀ. Then
    ln V = ln π + μ/(σ-1) ln Δ: d ln V_r/dλ_k = (dπ_r/dλ_k)/π_r + μ/(σ-1) φ_kr/Δ_r.
    """
    eq = short_run_equilibrium(shares, immobile, T, sigma, mu, phi=phi)
    lam, _, phi = as_inputs(shares, immobile, T, sigma, "FE", phi)
    b = mu / sigma
    delta = phi.T @ lam
    profit, income = eq.wage, eq.income
    m = b * phi / delta[None, :]
    rhs = m * profit[None, :] - (b * phi * (income / delta**2)[None, :]) @ phi.T
    d_profit = np.linalg.solve(np.eye(lam.size) - m * lam[None, :], rhs)
    return d_profit / profit[:, None] + mu / (sigma - 1.0) * phi.T / delta[:, None]


def two_region_real_rewards(lam1: np.ndarray, T: np.ndarray, sigma: float, mu: float) -> np.ndarray:
    """Real rewards (V_1, V_2), shape (N, 2), of two symmetric regions (unskilled labour
    1/2 each) at N pairs (λ_1[k], T[k]), all at once.

    ``short_run_equilibrium``'s linear system (Baldwin et al. 2003, ch. 4) for R = 2:
    (I - b φ D⁻¹ diag(λ)) π = b φ D⁻¹ (1-μ) a, its 2×2 matrices inverted by Cramer's rule;
    V_r = π_r Δ_r^(μ/(σ-1)). EquilibriumError where a profit is not positive, as there.
    """
    lam1 = np.asarray(lam1, dtype=float)
    lam = np.stack([lam1, 1.0 - lam1], axis=-1)
    phi = np.broadcast_to(np.asarray(T, dtype=float) ** (1.0 - sigma), lam1.shape)[:, None]
    b = mu / sigma
    delta = lam + phi * lam[:, ::-1]  # Δ_s = Σ_k λ_k φ_ks
    own, cross = b * lam / delta, b * phi * lam[:, ::-1] / delta[:, ::-1]
    # A = I - b φ D⁻¹ diag(λ): A_rr = 1 - b λ_r/Δ_r, A_rs = -b φ λ_s/Δ_s
    a11, a22 = 1.0 - own[:, 0], 1.0 - own[:, 1]
    a12, a21 = -cross[:, 0], -cross[:, 1]
    rhs = b * (1.0 - mu) * 0.5 * (1.0 / delta + phi / delta[:, ::-1])
    with np.errstate(divide="ignore", invalid="ignore"):
        det = a11 * a22 - a12 * a21
        profit = np.stack(
            [(rhs[:, 0] * a22 - a12 * rhs[:, 1]) / det, (a11 * rhs[:, 1] - a21 * rhs[:, 0]) / det],
            axis=-1,
        )
    if not np.all(np.isfinite(profit) & (profit > 0)):
        raise EquilibriumError("FE short-run equilibrium produced non-positive profits")
    return profit * delta ** (mu / (sigma - 1.0))


def break_point(sigma: float, mu: float) -> Threshold:
    """FE break point: φ_B = (σ-μ)(σ-1-μ) / ((σ+μ)(σ-1+μ)).

    Forslid & Ottaviano (2003); Baldwin et al. (2003), ch. 4. The even spread of
    entrepreneurs is unstable for trade freeness above φ_B.
    """
    check_no_black_hole(sigma, mu)
    phi_b = (sigma - mu) * (sigma - 1.0 - mu) / ((sigma + mu) * (sigma - 1.0 + mu))
    return Threshold(T=phi_b ** (1.0 / (1.0 - sigma)), phi=phi_b)


def sustain_ratio(phi: float, sigma: float, mu: float) -> float:
    """V_2/V_1 with every entrepreneur in region 1, as a function of trade freeness φ.

    Baldwin et al. (2003), ch. 4: with b = μ/σ, π_2/π_1 = [(1+b)φ + (1-b)/φ]/2 and the
    periphery's price index is φ^(1/(1-σ)) times the core's, so
    V_2/V_1 = φ^(μ/(σ-1)) [(1+b)φ + (1-b)/φ]/2. Agglomeration is sustainable where < 1.
    """
    b = mu / sigma
    return float(phi ** (mu / (sigma - 1.0)) * ((1.0 + b) * phi + (1.0 - b) / phi) / 2.0)


def sustain_point(sigma: float, mu: float) -> Threshold:
    """FE sustain point: the φ_S in (0, 1) where ``sustain_ratio`` = 1 (Baldwin et al. 2003,
    ch. 4). The ratio is 1 at φ = 1, below 1 just under it, and → ∞ as φ → 0 when μ < σ-1,
    so the interior root is bracketed."""
    check_no_black_hole(sigma, mu)
    hi = 1.0 - 1e-9
    lo = 0.5
    while sustain_ratio(lo, sigma, mu) <= 1.0:
        lo /= 2.0
        if lo < 1e-300:
            raise EquilibriumError(f"FE sustain point not bracketed (sigma={sigma}, mu={mu})")
    phi_s = brentq(lambda p: sustain_ratio(p, sigma, mu) - 1.0, lo, hi, xtol=1e-15, rtol=1e-14)
    return Threshold(T=phi_s ** (1.0 / (1.0 - sigma)), phi=phi_s)


class FootlooseEntrepreneur(ClosedFormEconomy):
    """Forslid & Ottaviano's (2003) footloose-entrepreneur economy (Baldwin et al. 2003,
    ch. 4): entrepreneurs move on real rewards, each firm moves with its entrepreneur."""

    name = "fe"
    closed_form = staticmethod(short_run_equilibrium)
    title = "Footloose entrepreneur"
    mobile = MobileFactor(name="entrepreneurs", label="entrepreneurs", unit="entrepreneurs")
    welfare_groups = ("entrepreneurs", "unskilled workers")

    def check_no_black_hole(self, sigma: float, mu: float) -> None:
        check_no_black_hole(sigma, mu)

    def payoff_jacobian(
        self, shares, immobile, T, sigma, mu, *, housing_share=0.0, housing=None, phi=None
    ):
        """``log_real_reward_jacobian``: entrepreneurs compare real rewards."""
        self.check_inputs(None, housing_share)
        return log_real_reward_jacobian(shares, immobile, T, sigma, mu, phi=phi)

    def thresholds(self, sigma, mu, housing_share=0.0):
        """Baldwin et al. (2003) ch. 4: one break point (closed form), one sustain point."""
        self.check(sigma, mu, housing_share)
        return [break_point(sigma, mu)], [sustain_point(sigma, mu)]

    def symmetric_stable(self, T, sigma, mu, eta=0.0):
        return T > break_point(sigma, mu).T

    def core_sustainable(self, T, sigma, mu, eta=0.0):
        return sustain_ratio(T ** (1.0 - sigma), sigma, mu) < 1.0

    def payoff_gaps(self, sigma, mu, housing_share=0.0):
        """ln(V_1/V_2) at many (λ_1, T) at once (``two_region_real_rewards``)."""
        self.check_inputs(None, housing_share)

        def gaps(lam1: np.ndarray, T: np.ndarray) -> np.ndarray:
            real = two_region_real_rewards(lam1, T, sigma, mu)
            return np.log(real[:, 0] / real[:, 1])

        return gaps


ECONOMY = FootlooseEntrepreneur()
