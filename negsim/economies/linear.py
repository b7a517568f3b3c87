"""The linear (OTT) economy of Ottaviano, Tabuchi & Thisse (2002), "Agglomeration and trade
revisited", International Economic Review 43(2), 409–435.

Preferences are quadratic and quasi-linear over a continuum of N varieties and the numeraire
q_0 (OTT eq. 1)::

    U = α ∫q(i)di - (β-γ)/2 ∫q(i)²di - γ/2 (∫q(i)di)² + q_0,   β > γ > 0

Skilled workers (the mobile factor, mass L, shares λ_r) each run one firm (OTT's fixed
requirement φ = 1, so N = L and n_r = L λ_r); unskilled workers (mass A, shares a_r, wage 1)
stay. Marginal cost is 0 and shipping one unit from r to s costs τ_rs units of the numeraire
(a *linear*, not iceberg, cost). Markets are segmented: each firm sets a delivered price for
every market. Utility gaps are linear in λ, so between two regions the even spread and
agglomeration trade places at one threshold τ* (break point = sustain point).

negsim's units and how scenarios give τ:

- L = μ S and A = (1 - μ) S, S = ``POPULATION``: the scenario's μ is the mobile share of the
  population (as the mobile workers' share in ``cp`` and ``ql``); σ plays no part here.
- the demand parameters are α = 1 (the unit of quantity), β = 1 and γ = ``GAMMA`` by default
  (``LinearEconomy(alpha, beta, gamma)`` for others);
- τ_rs = T_rs - 1 from the geography's cost matrix: ``economy.transport_cost`` = 1 + τ for
  ``two_region``; ``network``/``places`` with ``cost = "linear"`` give T_rs = 1 + τ d_rs, so
  τ_rs = τ d_rs exactly (τ = ``cost_per_distance``); racetrack, line and grid compound links,
  τ_rs = (1 + τ)^k - 1 over k links.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from negsim.economies.base import (
    BlackHoleError,
    Economy,
    Equilibrium,
    EquilibriumError,
    GroupWelfare,
    MobileFactor,
    Threshold,
    brentq,
)

ALPHA, BETA, GAMMA = 1.0, 1.0, 0.5
"""Default demand parameters α, β, γ of the registered ``linear`` economy."""

POPULATION = 100.0
"""S = L + A, skilled and unskilled together (one skilled worker per firm, so N = L firms).
With a small population the no-black-hole condition τ* < τ_trade holds for no μ at all."""

MAX_ACTIVE_SET_ROUNDS = 100


@dataclass(frozen=True)
class Demand:
    """OTT's demand parameters α > 0, β > γ > 0, the skilled (L) and unskilled (A) masses."""

    alpha: float
    beta: float
    gamma: float
    L: float
    A: float

    @property
    def coefficients(self) -> tuple[float, float, float]:
        """(a, b, c) of OTT's demand q = a - (b + cN)p + cP with all N = L varieties sold:
        a = α/(β + (N-1)γ), b = 1/(β + (N-1)γ), c = γ/((β-γ)(β + (N-1)γ))."""
        n = self.L
        d = self.beta + (n - 1.0) * self.gamma
        return self.alpha / d, 1.0 / d, self.gamma / ((self.beta - self.gamma) * d)


def check_demand(alpha: float, beta: float, gamma: float) -> None:
    """ValueError unless α > 0 and β > γ > 0 (OTT eq. 1: varieties are imperfect
    substitutes)."""
    if not alpha > 0:
        raise ValueError(f"linear: alpha must be > 0 (got {alpha})")
    if not beta > gamma > 0:
        raise ValueError(f"linear: needs beta > gamma > 0 (got beta={beta}, gamma={gamma})")


def trade_threshold(demand: Demand) -> float:
    """OTT (2002), the trade condition: τ_trade = 2a/(2b + cL). Below it the far firms'
    delivered price exceeds τ at every λ (imports survive full agglomeration of the
    exporters); at and above it some regions stop trading."""
    a, b, c = demand.coefficients
    return 2.0 * a / (2.0 * b + c * demand.L)


def break_point(demand: Demand) -> float:
    """OTT (2002), the threshold τ* = 4a(3b + 2cL) / (6b² + 6bcL + 2bcA + c²L(A + L)) (their
    φ = 1): the utility gap of two regions is V_1 - V_2 = C τ (τ* - τ)(λ - 1/2), C > 0, so
    agglomeration is stable for τ < τ* and the even spread for τ > τ* (break point = sustain
    point)."""
    a, b, c = demand.coefficients
    L, A = demand.L, demand.A
    return (
        4.0
        * a
        * (3.0 * b + 2.0 * c * L)
        / (6.0 * b**2 + 6.0 * b * c * L + 2.0 * b * c * A + c**2 * L * (A + L))
    )


def check_no_black_hole(demand: Demand) -> None:
    """BlackHoleError unless τ* < τ_trade (OTT 2002: otherwise agglomeration is the only
    stable outcome at every transport cost at which the regions trade)."""
    check_demand(demand.alpha, demand.beta, demand.gamma)
    tau_star, tau_trade = break_point(demand), trade_threshold(demand)
    if not tau_star < tau_trade:
        raise BlackHoleError(
            f"no-black-hole condition (linear) needs tau* < tau_trade (got tau* = "
            f"{tau_star:.6g} >= {tau_trade:.6g} at L={demand.L:g}, A={demand.A:g}): "
            "fewer mobile workers (a lower mu)"
        )


def short_run_equilibrium(
    shares: np.ndarray, immobile: np.ndarray, tau: np.ndarray, demand: Demand
) -> Equilibrium:
    """Solve the OTT short-run equilibrium for R regions with per-unit costs τ (R×R).

    OTT (2002), with a region's demand derived on the varieties sold there (mass
    m_s; B = 1/(β-γ))::

        a_s = α/(β - γ + γ m_s),  c_s = γ/((β-γ)(β - γ + γ m_s))    demand intercept, slope
        q_rs = a_s - B p_rs + c_s P_s,  P_s = Σ_r n_r p_rs          (active pairs r → s)
        p_rs = (a_s + c_s P_s + B τ_rs)/(2B)                        profit-maximising price
        P_s  = (m_s a_s + B Σ_r n_r τ_rs)/(2B - c_s m_s)            OTT's price index, R regions
        π_r  = Σ_s M_s (p_rs - τ_rs) q_rs,  M_s = L λ_s + A a_s     operating profit = wage
        CS_s = α Q_s - (β-γ)/2 Σ_r n_r q_rs² - γ/2 Q_s² - Σ_r n_r p_rs q_rs,  Q_s = Σ_r n_r q_rs
        V_r  = CS_r + π_r                                           skilled indirect utility

    A pair r → s trades when its price covers the cost, p_rs > τ_rs (the choke price
    (a_s + c_s P_s)/B above τ_rs); the active pairs are found by re-solving until they stop
    changing (a pair at a zero margin, within 1e-12, keeps its state). With all pairs active
    these are OTT's equilibrium prices and consumer surplus. Closed form
    given the active pairs, no warm start. ``payoff`` is exp(V_r - max_s V_s) (ln payoff is
    the utility gap); ``real_wage`` reports V_r, ``price_index`` the mean price P_s/m_s paid
    in s (the choke price α where nothing is sold).
    """
    lam = np.asarray(shares, dtype=float)
    a_imm = np.asarray(immobile, dtype=float)
    tau = np.asarray(tau, dtype=float)
    R = lam.size
    if tau.shape != (R, R) or a_imm.shape != lam.shape:
        raise EquilibriumError(f"linear: shape mismatch: shares {lam.shape}, costs {tau.shape}")
    if not (np.all(lam >= 0) and lam.sum() > 0 and np.all(tau >= 0)):
        raise EquilibriumError("linear: shares and costs must be non-negative")
    alpha, gamma = demand.alpha, demand.gamma
    big_b = 1.0 / (demand.beta - gamma)
    n = demand.L * lam
    residents = n + demand.A * a_imm
    active = np.isfinite(tau)
    tau0 = np.where(active, tau, 0.0)
    for _ in range(MAX_ACTIVE_SET_ROUNDS):
        m = n @ active
        a_s = alpha / (demand.beta - gamma + gamma * m)
        c_s = gamma * big_b / (demand.beta - gamma + gamma * m)
        P = (m * a_s + big_b * (n @ (active * tau0))) / (2.0 * big_b - c_s * m)
        choke = (a_s + c_s * P) / big_b
        # hysteresis of 1e-12: at a zero margin both states are the same equilibrium
        slack = np.where(active, -1e-12, 1e-12) * (1.0 + tau0)
        now = np.isfinite(tau) & (choke[None, :] > tau + slack)
        if np.array_equal(now, active):
            break
        active = now
    else:
        raise EquilibriumError(
            f"linear: the trading pairs did not settle in {MAX_ACTIVE_SET_ROUNDS} rounds"
        )
    price = np.where(active, (a_s + c_s * P)[None, :] / (2.0 * big_b) + tau0 / 2.0, 0.0)
    margin = np.where(active, price - tau0, 0.0)
    q = big_b * margin
    reward = (margin * q) @ residents
    Q = n @ q
    surplus = (
        alpha * Q - (demand.beta - gamma) / 2.0 * (n @ q**2) - gamma / 2.0 * Q**2 - n @ (price * q)
    )
    utility = surplus + reward
    with np.errstate(divide="ignore", invalid="ignore"):
        mean_price = np.where(m > 0, P / m, alpha)
    eq = Equilibrium(
        wage=reward,
        price_index=mean_price,
        income=n * reward + demand.A * a_imm,
        real_wage=utility,
        payoff=np.exp(utility - np.max(utility)),
        price_level=np.ones(R),
    )
    if not all(np.all(np.isfinite(x)) for x in (eq.wage, eq.price_index, eq.real_wage)):
        raise EquilibriumError("linear short-run equilibrium is not finite")
    return eq


def costs_from_matrix(T: np.ndarray) -> np.ndarray:
    """τ_rs = T_rs - 1: the per-unit cost negsim reads off a geography's cost matrix."""
    return np.asarray(T, dtype=float) - 1.0


def utility_gap(lam1: np.ndarray, tau: np.ndarray, demand: Demand) -> np.ndarray:
    """V_1 - V_2 of two symmetric regions at pairs (λ_1[k], τ[k]) where both trade (τ below
    ``trade_threshold``): OTT (2002), V_1 - V_2 = C τ (τ* - τ)(λ - 1/2) with
    C = L(b + cL)(6b² + 6bcL + 2bcA + c²L(A+L)) / (2(2b + cL)²)."""
    a, b, c = demand.coefficients
    L, A = demand.L, demand.A
    k = L * (b + c * L) * (6 * b**2 + 6 * b * c * L + 2 * b * c * A + c**2 * L * (A + L))
    k /= 2.0 * (2.0 * b + c * L) ** 2
    tau = np.asarray(tau, dtype=float)
    return k * tau * (break_point(demand) - tau) * (np.asarray(lam1, dtype=float) - 0.5)


def numerical_thresholds(demand: Demand) -> tuple[float, float]:
    """(τ*, τ_trade) by an independent route, for checks such as ``negsim verify``:
    root-finding in τ on the R-region ``short_run_equilibrium`` (no closed form used) — τ*
    where V_1 - V_2 at λ = 0.9 changes sign, τ_trade where, with every firm in region 1, a
    firm starting up in region 2 could no longer sell there (choke price 2 p_11 = τ)."""
    even = np.array([0.5, 0.5])

    def solve(lam1: float, tau: float) -> Equilibrium:
        costs = np.array([[0.0, tau], [tau, 0.0]])
        return short_run_equilibrium(np.array([lam1, 1.0 - lam1]), even, costs, demand)

    trade = brentq(
        lambda t: 2.0 * solve(1.0, t).price_index[0] - t,
        1e-12,
        demand.alpha,
        xtol=1e-15,
        rtol=1e-13,
    )

    def gap(tau: float) -> float:
        v = solve(0.9, tau).real_wage
        return float(v[0] - v[1])

    star = brentq(gap, 1e-12 * trade, trade * (1 - 1e-12), xtol=1e-15, rtol=1e-13)
    return star, trade


class LinearEconomy(Economy):
    """Ottaviano, Tabuchi & Thisse's (2002) linear economy: skilled workers and their firms
    move on indirect utility, linear transport costs τ = T - 1; one threshold τ*."""

    name = "linear"
    title = "Linear (Ottaviano–Tabuchi–Thisse)"
    mobile = MobileFactor(name="skilled workers", label="skilled workers", unit="skilled workers")
    cost_label = "transport cost T = 1 + τ (τ: numeraire per unit shipped)"
    uses_sigma = False
    default_mu = 0.1
    """L = 10, A = 90: the no-black-hole condition τ* < τ_trade needs μ < 0.2448 here."""

    def __init__(
        self,
        alpha: float = ALPHA,
        beta: float = BETA,
        gamma: float = GAMMA,
        population: float = POPULATION,
    ) -> None:
        self.alpha, self.beta, self.gamma, self.population = alpha, beta, gamma, population

    def demand(self, mu: float) -> Demand:
        """OTT's parameters at the scenario's μ: L = μ S, A = (1 - μ) S."""
        if not 0 < mu < 1:
            raise BlackHoleError(f"mu must be in (0, 1) (got {mu})")
        s = self.population
        return Demand(self.alpha, self.beta, self.gamma, mu * s, (1.0 - mu) * s)

    def check(self, sigma: float, mu: float, housing_share: float = 0.0) -> None:
        """σ plays no part (any value the scenario admits); τ* < τ_trade; no housing."""
        self.check_no_black_hole(sigma, mu)
        self.check_housing(mu, housing_share)

    def check_no_black_hole(self, sigma: float, mu: float) -> None:
        check_no_black_hole(self.demand(mu))

    def trade_limit(self, mu: float) -> float:
        """τ_trade (OTT 2002, ``trade_threshold``) at the scenario's μ."""
        return trade_threshold(self.demand(mu))

    def check_transport_cost(self, T: float, mu: float) -> None:
        """ValueError unless the link cost τ = T - 1 is below τ_trade (OTT's trade
        condition), so that two neighbouring regions trade at every λ."""
        tau_trade = trade_threshold(self.demand(mu))
        if not T - 1.0 < tau_trade:
            raise ValueError(
                f"linear trade condition needs transport_cost - 1 = tau < tau_trade = "
                f"{tau_trade:.6g}, i.e. transport_cost < {1 + tau_trade:.6g} (got {T})"
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
        return short_run_equilibrium(shares, immobile, costs_from_matrix(T), self.demand(mu))

    def _threshold(self, mu: float) -> Threshold:
        demand = self.demand(mu)
        tau = break_point(demand)
        return Threshold(T=1.0 + tau, phi=1.0 - tau / trade_threshold(demand))

    def thresholds(self, sigma, mu, housing_share=0.0):
        """OTT (2002): one threshold τ* (T* = 1 + τ*), break point = sustain point. With no
        iceberg cost, ``phi`` reports the freeness 1 - τ*/τ_trade (1: free trade, 0: none)."""
        self.check(sigma, mu, housing_share)
        t = self._threshold(mu)
        return [t], [t]

    def symmetric_stable(self, T, sigma, mu, eta=0.0):
        return T - 1.0 > break_point(self.demand(mu))

    def core_sustainable(self, T, sigma, mu, eta=0.0):
        return T - 1.0 < break_point(self.demand(mu))

    def payoff_gaps(self, sigma, mu, housing_share=0.0):
        """V_1 - V_2 at many (λ_1, T) at once from the R-region solver."""
        self.check_inputs(None, housing_share)
        even = np.array([0.5, 0.5])
        demand = self.demand(mu)

        def gaps(lam1: np.ndarray, T: np.ndarray) -> np.ndarray:
            out = np.empty(len(lam1))
            for k, (x, t) in enumerate(zip(lam1, T, strict=True)):
                tau = np.array([[0.0, t - 1.0], [t - 1.0, 0.0]])
                v = short_run_equilibrium(np.array([x, 1.0 - x]), even, tau, demand).real_wage
                out[k] = v[0] - v[1]
            return out

        return gaps

    def welfare(self, eq: Equilibrium) -> float:
        """Not from the equilibrium alone: it needs each region's residents
        (``group_welfare(...).total``)."""
        raise ValueError("linear: welfare needs the shares; use group_welfare(...).total")

    welfare_groups = ("skilled workers", "unskilled workers")

    def group_welfare(self, eq, shares, immobile, mu, housing_share=0.0):
        """OTT (2002): with quasi-linear utility a resident's indirect utility is her
        consumer surplus CS_r (``short_run_equilibrium``) plus her income (plus the
        numeraire endowment, a constant left out). Skilled (Lλ_r, income the operating
        profit π_r: V = ``real_wage``), unskilled (A a_r, wage 1: V = CS_r + 1). Money-
        metric: differences, not ratios, compare states."""
        self.check_inputs(None, housing_share)
        d = self.demand(mu)
        lam, a = np.asarray(shares, dtype=float), np.asarray(immobile, dtype=float)
        surplus = eq.real_wage - eq.wage
        return GroupWelfare(d.L * lam, eq.real_wage, d.A * a, surplus + 1.0)

    freeness_label = "trade freeness φ = 1 - τ/τ_trade (0: no trade, 1: free trade)"

    def transport_cost_at(self, phi: float, sigma: float, mu: float) -> float:
        """T = 1 + τ with τ = (1 - φ)τ_trade: the freeness ``thresholds`` report."""
        return 1.0 + (1.0 - phi) * trade_threshold(self.demand(mu))


ECONOMY = LinearEconomy()
