"""The quasi-linear (QL) economy of Pflüger (2004), "A simple, analytically solvable,
Chamberlinian agglomeration model", Regional Science and Urban Economics 34, 565–573.

Preferences are quasi-linear, U = μ ln C_M + C_A: every consumer spends μ on the CES
composite of manufactures (elasticity σ) whatever her income, the rest on the freely traded
numeraire good A. Skilled workers (the mobile factor) run the firms: each firm needs one of
them as its fixed cost and β = (σ-1)/σ units of immobile unskilled labour (wage 1) per unit
of output, so every firm charges the mill price 1. Because spending on manufactures does
not depend on income, the demand linkage runs through population only and the even spread
breaks smoothly: a *supercritical* pitchfork (partial agglomeration grows continuously
from the break point to full agglomeration at the sustain point), not a tomahawk.

negsim's normalisation follows FKV's (as ``cp``): skilled mass H = μ, unskilled mass
L = 1 - μ (shares a_r), so the one ratio Pflüger's results depend on is ℓ = L/H =
(1-μ)/μ. (The utility weight scales every utility gap by μ and moves no threshold.)
"""

from __future__ import annotations

import math

import numpy as np

from negsim.economies.base import (
    BlackHoleError,
    ClosedFormEconomy,
    Equilibrium,
    EquilibriumError,
    GroupWelfare,
    MobileFactor,
    Threshold,
    as_inputs,
    bracketed_roots,
    brentq,
    out_of_range,
)

LOG10_PRICE_INDEX_MAX = 308.0
"""Largest price index G a ql run may reach, as log10 (float64 ends at 1.8e308; the rest is
headroom for the rounding of Δ, ~1e-13 relative, raised to the power 1/(1-σ))."""


def sigma_min(mu: float, log10_max_cost: float) -> float:
    """Smallest σ at which every place's price index G_s = Δ_s^(1/(1-σ)) stays below
    10^``LOG10_PRICE_INDEX_MAX`` whatever the shares, T_max = 10^``log10_max_cost`` the largest
    transport cost between two places; inf where no σ does.

    Pflüger's (2004) price index in FKV's normalisation (skilled mass μ, one firm each):
    Δ_s = μ Σ_k λ_k T_ks^(1-σ) (``short_run_equilibrium``) with Σ λ = 1 is at least
    μ T_max^(1-σ), reached when every firm sits at distance T_max from s, so
    log10 G_s ≤ log10(1/μ)/(σ-1) + log10 T_max, and that is at most the limit exactly when
    σ - 1 ≥ log10(1/μ) / (LOG10_PRICE_INDEX_MAX - log10 T_max). Because the skilled mass is μ
    (FKV's normalisation) and no black hole needs μ < (σ-1)/(2σ-1), G ≥ μ^(-1/(σ-1)) grows
    like (σ-1)^(-1/(σ-1)) as σ → 1: at μ = 0.0009 and T_max = 1 the bound is σ ≥ 1.009889.
    """
    headroom = LOG10_PRICE_INDEX_MAX - log10_max_cost
    if not headroom > 0:
        return float("inf")
    return 1.0 + np.log10(1.0 / mu) / headroom


def check_price_range(sigma: float, mu: float, log10_max_cost: float) -> None:
    """ValueError unless σ ≥ ``sigma_min``(μ, T_max): below it a place's price index can
    overflow float64 (the ``price_index`` column of timeseries.csv must stay a number)."""
    low = sigma_min(mu, log10_max_cost)
    if not sigma >= low:
        shown = math.ceil(low * 1e6) / 1e6  # rounded up: the σ shown passes
        t_max = (
            f"{10.0**log10_max_cost:.4g}" if log10_max_cost < 300 else f"10^{log10_max_cost:.4g}"
        )
        raise ValueError(
            f"ql needs sigma >= {shown:.6f} at mu = {mu:g} and largest transport cost "
            f"T_max = {t_max} (got sigma = {sigma:g}): below it the price "
            f"index G = (mu T_max^(1-sigma))^(1/(1-sigma)) of a place far from every firm "
            f"exceeds 1e{LOG10_PRICE_INDEX_MAX:g}; raise sigma or mu, or lower the transport costs"
        )


def skill_ratio(mu: float) -> float:
    """ℓ = L/H, unskilled per skilled worker, in negsim's normalisation H = μ, L = 1-μ."""
    return (1.0 - mu) / mu


def check_no_black_hole(sigma: float, mu: float) -> None:
    """Raise BlackHoleError unless μ < (σ-1)/(2σ-1).

    Pflüger (2004): the break point φ_B (``break_point``) is positive only when the
    unskilled are numerous enough, ℓ = L/H > σ/(σ-1); with ℓ = (1-μ)/μ that is
    μ < (σ-1)/(2σ-1). Otherwise the even spread is unstable at every trade cost.
    """
    if not sigma > 1:
        raise BlackHoleError(f"sigma must be > 1 (got {sigma})")
    if not 0 < mu < 1:
        raise BlackHoleError(f"mu must be in (0, 1) (got {mu})")
    limit = (sigma - 1.0) / (2.0 * sigma - 1.0)
    if not mu < limit:
        raise BlackHoleError(
            f"no-black-hole condition (ql) needs mu < (sigma-1)/(2 sigma-1) = {limit:.6g} "
            f"(got mu={mu}, sigma={sigma})"
        )


def short_run_equilibrium(
    shares: np.ndarray,
    immobile: np.ndarray,
    T: np.ndarray,
    sigma: float,
    mu: float,
    **_: object,
) -> Equilibrium:
    """Solve the QL short-run equilibrium for R regions (Pflüger 2004)::

        n_r = μ λ_r                                  firms = skilled workers in r
        N_s = μ λ_s + (1-μ) a_s                      residents of s
        Δ_s = Σ_k n_k φ_ks                           G_s = Δ_s^(1/(1-σ)), mill price 1
        E_s = μ N_s                                  spending on manufactures
        w_r = (1/σ) Σ_s φ_rs E_s / Δ_s               operating profit = skilled reward
        V_r = w_r + μ/(σ-1) ln Δ_r + μ ln μ - μ      indirect utility of a skilled worker

    (V = μ ln(μ/G) - μ + income, from U = μ ln C_M + C_A with C_M = μ/G; every consumer is
    assumed rich enough to buy some of the numeraire.) Closed form, no iteration. The
    skilled compare V: ``payoff`` is exp(V_r - max_s V_s), so that the ln payoff the agents
    compare is the utility gap itself and never under- or overflows where it matters.
    ``real_wage`` reports w_r G_r^(-μ) for reference; ``price_level`` is G_r^μ.
    Raises EquilibriumError where a region reaches no firm or where G overflows (σ too close
    to 1 for μ: ``sigma_min``, which validation enforces), never returns NaN or inf.
    """
    lam, a, phi = as_inputs(shares, immobile, T, sigma, "QL")
    firms = mu * lam
    delta = phi.T @ firms
    if not np.all(np.isfinite(delta) & (delta > 0)):
        raise out_of_range("QL", sigma)
    residents = mu * lam + (1.0 - mu) * a
    spending = mu * residents
    reward = phi @ (spending / delta) / sigma
    utility = reward + mu / (sigma - 1.0) * np.log(delta) + mu * np.log(mu) - mu
    price_index = delta ** (1.0 / (1.0 - sigma))
    if not np.all(np.isfinite(price_index)):
        log10_g = float(np.log10(delta.min())) / (1.0 - sigma)
        needs = sigma_min(mu, float(np.log10(phi.min())) / (1.0 - sigma))
        raise EquilibriumError(
            f"QL price index G = Δ^(1/(1-σ)) = 10^{log10_g:.4g} leaves the floating-point "
            f"range at σ = {sigma:g}, μ = {mu:g}: σ is too close to 1 for μ (needs σ ≥ "
            f"{needs:.6g}); raise σ or μ"
        )
    income = mu * lam * reward + (1.0 - mu) * a
    residual = float(abs(np.sum(firms * reward) - np.sum(spending) / sigma))
    return Equilibrium(
        wage=reward,
        price_index=price_index,
        income=income,
        real_wage=reward * price_index ** (-mu),
        payoff=np.exp(utility - np.max(utility)),
        residual=residual,
        price_level=price_index**mu,
    )


def indirect_utility(eq: Equilibrium, mu: float) -> np.ndarray:
    """V_r = w_r - μ ln G_r + μ ln μ - μ of a skilled worker in each region (Pflüger 2004)."""
    return eq.wage - mu * np.log(eq.price_index) + mu * np.log(mu) - mu


def utility_gaps(lam1: np.ndarray, phi: np.ndarray, sigma: float, mu: float) -> np.ndarray:
    """V_1 - V_2 of two symmetric regions (unskilled split evenly) at pairs (λ_1[k], φ[k]).

    ``short_run_equilibrium`` for R = 2 written out, with ℓ = (1-μ)/μ::

        Δ_1 = λ + φ(1-λ),  Δ_2 = φλ + 1-λ
        w_1 - w_2 = (μ/σ)(1-φ)[(ℓ/2 + λ)/Δ_1 - (ℓ/2 + 1-λ)/Δ_2]
        V_1 - V_2 = w_1 - w_2 + μ/(σ-1) ln(Δ_1/Δ_2)
    """
    lam = np.asarray(lam1, dtype=float)
    phi = np.asarray(phi, dtype=float)
    ell = skill_ratio(mu)
    d1, d2 = lam + phi * (1.0 - lam), phi * lam + 1.0 - lam
    with np.errstate(divide="ignore"):
        nominal = mu / sigma * (1.0 - phi) * ((ell / 2 + lam) / d1 - (ell / 2 + 1.0 - lam) / d2)
        return nominal + mu / (sigma - 1.0) * (np.log(d1) - np.log(d2))


def break_point(sigma: float, mu: float) -> Threshold:
    """QL break point φ_B = ((σ-1)ℓ - σ) / ((σ-1)ℓ + 3σ - 2), ℓ = L/H = (1-μ)/μ.

    Pflüger (2004), the break point of the symmetric equilibrium; in negsim's normalisation
    φ_B = (σ-1 - μ(2σ-1)) / (σ-1 + μ(2σ-1)). Derived here from d(V_1-V_2)/dλ at λ = 1/2,
    which is proportional to (1-φ)[φ((σ-1)ℓ + 3σ - 2) - ((σ-1)ℓ - σ)]: the even spread is
    stable for φ < φ_B (T > T_B) and unstable above.
    """
    check_no_black_hole(sigma, mu)
    k = mu * (2.0 * sigma - 1.0)
    phi_b = (sigma - 1.0 - k) / (sigma - 1.0 + k)
    return Threshold(T=phi_b ** (1.0 / (1.0 - sigma)), phi=phi_b)


def sustain_function(phi: float, sigma: float, mu: float) -> float:
    """-(V_1 - V_2) · 2σ(σ-1)φ/μ² with every skilled worker in region 1 (λ = 1)::

        S(φ) = (σ-1)[(1+μ)φ² - 2φ + 1-μ] + 2σμ φ ln φ

    Pflüger (2004): full agglomeration is sustainable where S(φ) < 0. S(1) = 0,
    S'(1) = -2(2σ-1)μ < 0 and S(0+) = (σ-1)(1-μ) > 0.
    """
    return (sigma - 1.0) * ((1.0 + mu) * phi**2 - 2.0 * phi + 1.0 - mu) + 2.0 * sigma * mu * (
        phi * np.log(phi)
    )


def sustain_point(sigma: float, mu: float) -> Threshold:
    """QL sustain point: the root φ_S in (φ_B, 1) of ``sustain_function`` (Pflüger 2004).

    The log of the price-index term (φ ln φ) leaves no closed form for φ_S; it is found by
    Brent's method between φ_B, where S > 0, and 1 - 1e-9, where S < 0. Full agglomeration
    is sustainable for φ > φ_S (T < T_S); φ_S > φ_B (the pitchfork is supercritical).
    """
    phi_b = break_point(sigma, mu).phi
    lo, hi = max(phi_b, 1e-300), 1.0 - 1e-9
    if not sustain_function(lo, sigma, mu) > 0 > sustain_function(hi, sigma, mu):
        raise EquilibriumError(f"QL sustain point not bracketed (sigma={sigma}, mu={mu})")
    phi_s = brentq(lambda p: sustain_function(p, sigma, mu), lo, hi, xtol=1e-15, rtol=1e-14)
    return Threshold(T=phi_s ** (1.0 / (1.0 - sigma)), phi=phi_s)


def interior_share(phi: np.ndarray, sigma: float, mu: float) -> np.ndarray:
    """The stable partial agglomeration λ*(φ) in (1/2, 1) for φ_B < φ < φ_S: the root of
    ``utility_gaps`` in λ (Pflüger 2004's supercritical branch), refined by Brent's method
    for every φ at once; 1/2 for φ ≤ φ_B and 1 for φ ≥ φ_S.

    The gap falls through 0 once on (1/2, 1]; the bracket is the first sign change on a grid
    refined geometrically towards λ = 1/2, where the root lies just above φ_B. Where rounding
    hides the sign of the gap (φ within ~1e-12 of φ_B or φ_S, the gap ~1e-16 everywhere)
    the branch is reported as 1/2 or 1."""
    phi = np.atleast_1d(np.asarray(phi, dtype=float))
    phi_b, phi_s = break_point(sigma, mu).phi, sustain_point(sigma, mu).phi
    out = np.where(phi <= phi_b, 0.5, 1.0)
    inside = np.flatnonzero((phi > phi_b) & (phi < phi_s))
    if inside.size:
        grid = np.concatenate([0.5 + np.geomspace(1e-12, 0.25, 48), np.linspace(0.75, 1.0, 26)[1:]])
        p = phi[inside]
        g = utility_gaps(grid[None, :], p[:, None], sigma, mu)
        falls = (g[:, :-1] > 0) & (g[:, 1:] <= 0)
        found = falls.any(axis=1)
        col = np.argmax(falls, axis=1)
        out[inside[~found & (g[:, 0] <= 0)]] = 0.5
        rows = np.flatnonzero(found)
        if rows.size:
            k = col[rows]
            out[inside[rows]] = bracketed_roots(
                lambda x, q: utility_gaps(x, q, sigma, mu),
                grid[k],
                grid[k + 1],
                p[rows],
                g[rows, k],
                g[rows, k + 1],
            )
    return out


def numerical_thresholds(sigma: float, mu: float) -> tuple[float, float]:
    """(T_B, T_S) by an independent route, for checks such as ``negsim verify``: root-finding
    in T on the R-region ``short_run_equilibrium`` (no closed form used) — T_B where the
    central-difference slope of V_1 - V_2 in λ at λ = 1/2 changes sign, T_S where V_1 - V_2
    at λ = 1 does."""
    even = np.array([0.5, 0.5])

    def gap(lam1: float, T: float) -> float:
        eq = short_run_equilibrium(
            np.array([lam1, 1.0 - lam1]), even, np.array([[1.0, T], [T, 1.0]]), sigma, mu
        )
        v = indirect_utility(eq, mu)
        return float(v[0] - v[1])

    def slope(T: float) -> float:
        return (gap(0.5 + 1e-5, T) - gap(0.5 - 1e-5, T)) / 2e-5

    hi = 2.0
    while slope(hi) > 0 or gap(1.0, hi) > 0:
        hi *= 2.0
        if hi > 1e12:
            raise EquilibriumError(f"QL thresholds not bracketed (sigma={sigma}, mu={mu})")
    lo = 1.0 + 1e-9
    t_b = brentq(slope, lo, hi, xtol=1e-13, rtol=1e-12)
    t_s = brentq(lambda T: gap(1.0, T), lo, hi, xtol=1e-14, rtol=1e-13)
    return t_b, t_s


class QuasiLinear(ClosedFormEconomy):
    """Pflüger's (2004) quasi-linear economy: skilled workers (and their firms) move on
    indirect utility, the unskilled stay; a supercritical pitchfork between two regions."""

    name = "ql"
    closed_form = staticmethod(short_run_equilibrium)
    title = "Quasi-linear (Pflüger)"
    mobile = MobileFactor(name="skilled workers", label="skilled workers", unit="skilled workers")

    def check_no_black_hole(self, sigma: float, mu: float) -> None:
        check_no_black_hole(sigma, mu)

    def check_price_range(self, sigma: float, mu: float, log10_max_cost: float) -> None:
        check_price_range(sigma, mu, log10_max_cost)

    def thresholds(self, sigma, mu, housing_share=0.0):
        """Pflüger (2004): one break point (closed form) and one sustain point, T_S < T_B."""
        self.check(sigma, mu, housing_share)
        return [break_point(sigma, mu)], [sustain_point(sigma, mu)]

    def symmetric_stable(self, T, sigma, mu, eta=0.0):
        return T > break_point(sigma, mu).T

    def core_sustainable(self, T, sigma, mu, eta=0.0):
        return sustain_function(T ** (1.0 - sigma), sigma, mu) < 0.0

    def payoff_gaps(self, sigma, mu, housing_share=0.0):
        """V_1 - V_2 (= ln of the payoff ratio) at many (λ_1, T) at once."""
        self.check_inputs(None, housing_share)

        def gaps(lam1: np.ndarray, T: np.ndarray) -> np.ndarray:
            return utility_gaps(lam1, np.asarray(T, dtype=float) ** (1.0 - sigma), sigma, mu)

        return gaps

    def welfare(self, eq: Equilibrium) -> float:
        """Not from the equilibrium alone: quasi-linear welfare needs each region's residents
        (``welfare`` in this module takes them)."""
        raise ValueError("ql: welfare needs the shares; use negsim.economies.ql.welfare")

    welfare_groups = ("skilled workers", "unskilled workers")

    def group_welfare(self, eq, shares, immobile, mu, housing_share=0.0):
        """Pflüger (2004): U = μ ln C_M + C_A, so a resident of r with income y buys
        C_M = μ/G_r of the manufactures' composite and spends the rest, y - μ, on the
        numeraire (assumed positive, as the paper does), for V = y + μ ln μ - μ - μ ln G_r.
        Skilled (μλ_r, income the operating profit w_r of their firm: ``indirect_utility``),
        unskilled ((1-μ)a_r, wage 1). Utility is money-metric: the total is ``welfare``
        (this module's) and differences, not ratios, compare states."""
        self.check_inputs(None, housing_share)
        lam, a = np.asarray(shares, dtype=float), np.asarray(immobile, dtype=float)
        common = mu * np.log(mu) - mu - mu * np.log(eq.price_index)
        return GroupWelfare(mu * lam, eq.wage + common, (1.0 - mu) * a, 1.0 + common)


def welfare(shares: np.ndarray, immobile: np.ndarray, eq: Equilibrium, mu: float) -> float:
    """Utilitarian welfare with quasi-linear utility: the sum of every resident's indirect
    utility V = μ ln(μ/G_r) - μ + income (Pflüger 2004; Pflüger & Südekum 2008,
    "Integration, agglomeration and welfare", J. Urban Econ. 63, 544–566)::

        W = Σ_r Y_r + Σ_r N_r (μ ln μ - μ - μ ln G_r),  N_r = μ λ_r + (1-μ) a_r
    """
    residents = mu * np.asarray(shares, dtype=float) + (1.0 - mu) * np.asarray(immobile)
    return float(
        np.sum(eq.income) + np.sum(residents * (mu * np.log(mu) - mu - mu * np.log(eq.price_index)))
    )


ECONOMY = QuasiLinear()
