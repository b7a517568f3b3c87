"""What every economy is: the ``Economy`` interface, what its short-run equilibrium returns,
its errors, and the generic two-region theory (regime prediction, tomahawk scan) that every
economy shares.

An economy module (``cp``, ``fe``, ``fc``) implements ``Economy`` once; the registry
(``negsim.economies``) maps a scenario's ``economy.model`` to it. Nothing else in negsim
asks which economy it is: it asks the economy.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol

import numpy as np

from negsim.economies.roots import bracketed_roots, brentq
from negsim.geography import two_region

SIGMA_MAX = 1000.0
"""Largest elasticity of substitution σ negsim solves for. Above it float64 no longer
resolves what σ decides: fe's break and sustain points differ by 1.7e-13 in T at σ = 1,000
and coincide at σ = 10⁴ (T_S ≈ T_B ≈ 1 + 1.6e-8), cp's sustain point can no longer be
bracketed from σ ≈ 2e9 on, and a 1 % wage gap already scales (w_r/w_s)^(1-σ) by e^-10 at
σ = 1,000."""

LOG10_TRADE_FREENESS_MIN = -200.0
"""Smallest trade freeness φ = T^(1-σ) between two places, as log10: (σ-1)·log10(T_max) ≤
200, T_max the largest iceberg cost between two places after compounding along chains of
links. float64 holds numbers down to ~1e-308 (subnormals to 5e-324); below that φ is 0
and the price index of a place without firms nearby is infinite (NaN wages in cp and fe, a
ZeroDivisionError in fe's sustain ratio at σ = 50, T = 1e7). The 10^108 of headroom is for
the wage and price ratios (w_r/w_s)^(1-σ) the solvers multiply φ by: measured, cp on a
six-place racetrack at σ = 1,000 stalls at φ = 1e-300 and solves at 1e-250."""


def check_sigma(sigma: float) -> None:
    """ValueError unless 1 < σ ≤ ``SIGMA_MAX``."""
    if not 1 < sigma <= SIGMA_MAX:
        raise ValueError(f"sigma must be in (1, {SIGMA_MAX:g}] (got {sigma})")


def check_trade_freeness(sigma: float, log10_max_cost: float, what: str = "T_max") -> None:
    """ValueError unless the smallest trade freeness T_max^(1-σ) is at least
    10^``LOG10_TRADE_FREENESS_MIN`` (``log10_max_cost`` = log10 T_max; ``what`` names T_max
    in the message)."""
    exponent = (sigma - 1.0) * log10_max_cost
    if not exponent <= -LOG10_TRADE_FREENESS_MIN:
        raise ValueError(
            f"trade freeness {what}^(1-sigma) = 10^-{exponent:.4g} is below "
            f"1e{LOG10_TRADE_FREENESS_MIN:g} (float64 underflows near 1e-308); needs "
            f"(sigma-1)·log10({what}) ≤ {-LOG10_TRADE_FREENESS_MIN:g} (here sigma = {sigma:g}, "
            f"log10({what}) = {log10_max_cost:.4g}): lower the transport cost or sigma"
        )


class EquilibriumError(RuntimeError):
    """The short-run equilibrium could not be computed (no convergence or bad input)."""


class BlackHoleError(ValueError):
    """Parameters for which agglomeration is stable at every transport cost."""


@dataclass(frozen=True)
class Equilibrium:
    """A solved short-run equilibrium: one entry per region.

    ``wage`` is the nominal reward of the mobile factor (wage in cp, entrepreneur's or
    capital's operating profit in fe/fc), ``real_wage`` that reward deflated by the local
    cost of living, and ``payoff`` what the mobile factor compares when it decides where to
    go (the real wage in cp and fe; the nominal reward in fc, whose owners stay put).
    """

    wage: np.ndarray
    price_index: np.ndarray
    income: np.ndarray
    real_wage: np.ndarray
    payoff: np.ndarray
    iterations: int = 0
    residual: float = 0.0
    potential_wage: np.ndarray | None = None
    """cp with given firm masses: the wage a first entering firm would pay, equal to
    ``wage`` except where workers have no operating firm (there ``wage`` is 0)."""

    price_level: np.ndarray | None = None
    """What one unit of income buys the inverse of in each region: the consumer price index
    P_r = G_r^μ (times q_r^η with housing), so that Y_r/P_r is the region's real income."""

    def run(self, k: int) -> Equilibrium:
        """Run ``k`` of equilibria stacked on a leading axis (``Economy.stacked_equilibria``)."""

        def pick(x: np.ndarray | None) -> np.ndarray | None:
            return None if x is None else x[k]

        return Equilibrium(
            wage=self.wage[k],
            price_index=self.price_index[k],
            income=self.income[k],
            real_wage=self.real_wage[k],
            payoff=self.payoff[k],
            iterations=int(self.iterations[k]),
            residual=float(self.residual[k]),
            potential_wage=pick(self.potential_wage),
            price_level=pick(self.price_level),
        )


@dataclass(frozen=True)
class Threshold:
    """A critical transport cost, as the iceberg factor T and as trade freeness φ = T^(1-σ)."""

    T: float
    phi: float


DENSE_MAX_PLACES = 400
"""The most places the dense paths serve: beyond it the short-run equilibria are solved
matrix-free (O(R²) per iteration; cp by Newton–Krylov, fe by GMRES on its linear system),
the payoff Jacobian of the stability test is analytic (never R + 1 solves), its leading
eigenvalue iterative, and the settling tolerance scales with 1/R. At and below it
everything is as before, so every shipped scenario (at most 296 places, china_500k) keeps
its outputs bit for bit; the dense paths stay the reference the tests hold the fast ones
to. 400 is also where ``rest_point.JACOBIAN_MAX_PLACES`` stops the finite-difference
tolerance."""


def trade_freeness(T: np.ndarray, sigma: float) -> np.ndarray:
    """φ = T^(1-σ), the share of a shipment that arrives, to the power σ-1 (FKV 1999, ch. 4:
    the trade freeness). Built once per geography (``Economy.solver``)."""
    return np.asarray(T, dtype=float) ** (1.0 - sigma)


def as_inputs(
    shares: np.ndarray,
    immobile: np.ndarray,
    T: np.ndarray,
    sigma: float,
    economy: str,
    phi: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(λ, a, φ = T^(1-σ)) as float arrays, checked: λ ≥ 0 with a positive total, T R×R.
    ``phi``, where given, is T^(1-σ) already built (``trade_freeness``) and T is not read."""
    lam = np.asarray(shares, dtype=float)
    a = np.asarray(immobile, dtype=float)
    phi = trade_freeness(T, sigma) if phi is None else phi
    if lam.ndim != 1 or phi.shape != (lam.size, lam.size) or a.shape != lam.shape:
        raise EquilibriumError(
            f"{economy}: shape mismatch: shares {lam.shape}, immobile {a.shape}, "
            f"transport costs {phi.shape}"
        )
    if not (np.all(lam >= 0) and lam.sum() > 0):
        raise EquilibriumError(f"{economy}: shares must be non-negative with a positive total")
    return lam, a, phi


def out_of_range(economy: str, sigma: float) -> EquilibriumError:
    """The error of a short-run equilibrium whose numbers leave the floating-point range."""
    return EquilibriumError(
        f"{economy} short-run equilibrium leaves the floating-point range at σ = {sigma:g} "
        "(T^(1-σ) or a price index under- or overflows: some region reaches no firm); lower "
        "the transport costs or σ"
    )


def finite(eq: Equilibrium, economy: str, sigma: float) -> Equilibrium:
    """``eq`` once its wages, price indices, incomes and real wages are finite and its price
    indices positive; ``out_of_range`` otherwise (never NaN or inf in a record)."""
    values = (eq.wage, eq.price_index, eq.income, eq.real_wage, eq.payoff)
    if not (all(np.isfinite(x).all() for x in values) and (eq.price_index > 0).all()):
        raise out_of_range(economy, sigma)
    return eq


def tomahawk_scan(
    gaps: Callable[[np.ndarray, np.ndarray], np.ndarray],
    core_sustainable: Callable[[float], bool],
    symmetric_stable: Callable[[float], bool],
    transport_costs: np.ndarray,
    n_lambda: int = 60,
) -> list[tuple[float, float, bool]]:
    """Long-run equilibria (T, λ_1, stable) of a symmetric two-region economy.

    ``gaps(λ_1, T)`` is the payoff difference between region 1 and region 2 (what drives
    migration) at arrays of pairs (λ_1[k], T[k]) (``vectorised`` turns a scalar gap into
    one). The even spread λ = 1/2 is always an equilibrium; full agglomeration
    λ ∈ {0, 1} is one where ``core_sustainable(T)``; interior asymmetric equilibria are the
    sign changes of the gap on a λ grid, refined together (``bracketed_roots``), stable
    where the gap falls in λ, mirrored to λ < 1/2. The grid of ``n_lambda`` steps is refined
    geometrically towards both ends (down to 10⁻⁶ from λ = 1/2 and from λ = 1, and λ = 1
    itself): the unstable branch leaves λ = 1/2 at the break point and meets λ = 1 at the
    sustain point, so near either threshold its root lies closer to an end than one grid
    step. The whole grid of every T is one call of ``gaps``.
    """
    ends = np.geomspace(1e-6, 0.5 / n_lambda, 7)[:-1]
    grid = np.concatenate(
        [0.5 + ends, np.linspace(0.5, 1.0, n_lambda + 1)[1:-1], 1.0 - ends[::-1], [1.0]]
    )
    costs = np.asarray(transport_costs, dtype=float).ravel()
    lam = np.broadcast_to(grid, (costs.size, grid.size))
    at = np.broadcast_to(costs[:, None], lam.shape)
    g = np.asarray(gaps(lam.ravel(), at.ravel()), dtype=float).reshape(lam.shape)
    row, col = np.nonzero(np.sign(g[:, :-1]) * np.sign(g[:, 1:]) < 0)
    roots = bracketed_roots(
        gaps, grid[col], grid[col + 1], costs[row], g[row, col], g[row, col + 1]
    )
    stable = g[row, col + 1] < g[row, col]
    points: list[tuple[float, float, bool]] = []
    for k, T in enumerate(costs):
        points.append((T, 0.5, bool(symmetric_stable(T))))
        if core_sustainable(T):
            points += [(T, 1.0, True), (T, 0.0, True)]
        for j in np.flatnonzero(row == k):
            lam_j, stable_j = float(roots[j]), bool(stable[j])
            points += [(T, lam_j, stable_j), (T, 1.0 - lam_j, stable_j)]
    return points


def vectorised(
    gap: Callable[[float, float], float],
) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
    """A scalar gap(λ_1, T) as the array function ``tomahawk_scan`` calls (one call each)."""

    def gaps(lam: np.ndarray, T: np.ndarray) -> np.ndarray:
        return np.array([gap(float(x), float(t)) for x, t in zip(lam, T, strict=True)])

    return gaps


def roots_in(f: Callable[[float], float], lo: float, hi: float, n: int = 400) -> list[float]:
    """All sign changes of f on a log-spaced grid of (lo, hi), refined with Brent's method."""
    xs = np.geomspace(lo, hi, n)
    ys = np.array([f(x) for x in xs])
    return [
        brentq(f, xs[i], xs[i + 1], xtol=1e-13, rtol=1e-13)
        for i in np.flatnonzero(np.sign(ys[:-1]) * np.sign(ys[1:]) < 0)
    ]


PATH_DEPENDENT = "path dependent (agglomerated or dispersed, by history)"


@dataclass(frozen=True)
class MobileFactor:
    """Who moves in an economy, in the words outputs use.

    ``name`` is what summary.json's ``mobile_factor`` says ("workers"), ``label`` the axis
    and legend name ("mobile workers"), ``unit`` what one counted agent is ("workers").
    """

    name: str
    label: str
    unit: str


@dataclass(frozen=True)
class GroupWelfare:
    """Welfare by region and group at one short-run equilibrium (``Economy.group_welfare``).

    ``mobile_mass``/``immobile_mass`` are the residents of each group in each region (model
    units: FKV's μλ_r workers and (1-μ)a_r farmers in cp), ``mobile_utility`` and
    ``immobile_utility`` the indirect utility of one resident (income over the consumer
    price index; where a group is absent, what one member would get there)."""

    mobile_mass: np.ndarray
    mobile_utility: np.ndarray
    immobile_mass: np.ndarray
    immobile_utility: np.ndarray

    @property
    def by_region(self) -> np.ndarray:
        """Σ over a region's residents of their utility: its real income Y_r/P_r."""
        return self.mobile_mass * self.mobile_utility + self.immobile_mass * self.immobile_utility

    @property
    def total(self) -> float:
        """The utilitarian total Σ_r (Y_r/P_r), ``Economy.welfare``."""
        return float(np.sum(self.by_region))


class Solver(Protocol):
    """An economy's short-run equilibrium with its parameters, immobile population and
    transport costs bound: ``solve(shares, wage0=None, firms=None)``. ``wage0`` warm-starts
    an iterative solver; ``firms`` gives firm masses instead of free entry (only where the
    economy ``has_firm_dynamics``)."""

    def __call__(
        self,
        shares: np.ndarray,
        wage0: np.ndarray | None = None,
        firms: np.ndarray | None = None,
    ) -> Equilibrium: ...


class Economy(ABC):
    """One NEG economy: its parameters, short-run equilibrium for R regions, mobile factor,
    the payoff its mobile agents compare (``Equilibrium.payoff``), two-region theory and
    welfare. Implemented once per economy module; looked up by ``negsim.economies.get``.

    Parameters are plain numbers: σ (``sigma``), μ (``mu``) and, where the economy has a
    housing stock, the housing share η (``housing_share``).
    """

    name: ClassVar[str]
    """The key of ``economy.model`` in scenario files."""
    title: ClassVar[str]
    """Full name, e.g. "Core–periphery"."""
    mobile: ClassVar[MobileFactor]
    firms_are_mobile: ClassVar[bool] = False
    """True where the mobile agents are the firms themselves (their owners stay put)."""
    has_housing: ClassVar[bool] = False
    """Accepts a housing share η > 0 (a congestion force)."""
    has_firm_dynamics: ClassVar[bool] = False
    """Firms can adjust at a speed of their own (equilibrium for given firm masses)."""
    empty_region_potential: ClassVar[bool] = False
    """An empty region reports the reward a first mover *would* earn there."""
    cost_label: ClassVar[str] = "transport cost T (iceberg factor, ≥ 1)"
    """How figures name the two-region transport cost T."""
    has_input_share: ClassVar[bool] = False
    """Firms buy a composite of all varieties as an intermediate input whose cost share is a
    parameter of its own (``economy.input_share``; ``with_parameters`` reads it)."""
    stacked_equilibria: ClassVar[Callable[..., tuple[Equilibrium, np.ndarray]] | None] = None
    """The short-run equilibria of many runs stacked on a leading axis, run by run the
    single solve bit for bit (``negsim.ensemble``; cp's ``short_run_equilibria``), or None."""
    home_market: ClassVar[bool] = False
    """Symmetric regions never break apart: what two regions show is the home-market effect
    of an asymmetric market (``home_market_share``), not a tomahawk."""
    uses_sigma: ClassVar[bool] = True
    """σ is a parameter of the economy (False for linear: quadratic utility, no CES)."""
    default_mu: ClassVar[float] = 0.4
    """μ of ``negsim tomahawk`` and ``racetrack`` when not given (FKV's tomahawk figure)."""

    # --- parameters --------------------------------------------------------------------
    @abstractmethod
    def check_no_black_hole(self, sigma: float, mu: float) -> None:
        """Raise BlackHoleError for (σ, μ) the economy does not admit."""

    def check(self, sigma: float, mu: float, housing_share: float = 0.0) -> None:
        """Raise BlackHoleError or ValueError unless (σ, μ, η) are admissible."""
        check_sigma(sigma)
        self.check_no_black_hole(sigma, mu)
        self.check_housing(mu, housing_share)

    def check_housing(self, mu: float, housing_share: float) -> None:
        """Raise ValueError unless the housing share η is admissible: 0 ≤ η < 1 - μ, and 0
        where the economy has no housing stock."""
        if housing_share and not self.has_housing:
            raise ValueError(f"a housing share is not available with the {self.name} economy")
        if not 0 <= housing_share < 1 - mu:
            raise ValueError(f"housing share must be in [0, 1-mu) (got {housing_share})")

    def check_transport_cost(self, T: float, mu: float) -> None:
        """Raise ValueError for a link cost T the economy does not admit (any T ≥ 1 here)."""
        return None

    def check_price_range(self, sigma: float, mu: float, log10_max_cost: float) -> None:
        """Raise ValueError where some place's price index could leave float64 at (σ, μ) with
        the largest transport cost T_max = 10^``log10_max_cost`` (nothing to check here)."""
        return None

    def check_inputs(self, firms: np.ndarray | None, housing_share: float) -> None:
        """Raise EquilibriumError where a closed-form economy is given what it does not model
        (firm masses other than free entry's, a housing share)."""
        if firms is not None and not self.has_firm_dynamics:
            raise EquilibriumError(f"{self.name}: firm masses follow the mobile factor")
        if housing_share and not self.has_housing:
            raise EquilibriumError(f"{self.name}: no housing stock in this economy")

    def with_parameters(self, table: Any) -> Economy:
        """This economy with the parameters of its own that a scenario's ``[economy]`` table
        (``table``) sets; itself where it has none beyond σ, μ and η."""
        return self

    def check_immobile(self, mu: float, immobile: list[float]) -> None:
        """Raise ValueError where the immobile population's shares do not fit the economy
        (nothing to check unless an economy says so)."""
        return None

    def check_input_share(self, sigma: float, mu: float) -> None:
        """Raise ValueError (or BlackHoleError) unless the input share bound by
        ``with_parameters`` fits σ and μ (only where ``has_input_share``)."""
        return None

    symbols: ClassVar[dict[str, str]] = {}
    """Short names of ``parameters`` for figure titles (e.g. input_share → α)."""

    def trade_limit(self, mu: float) -> float | None:
        """The per-unit transport cost τ = T - 1 at and above which two regions stop
        trading, where costs are per unit shipped (linear's τ_trade); None for iceberg
        costs, under which regions always trade."""
        return None

    def parameters(self, mu: float) -> dict[str, float]:
        """The economy's own parameters beyond σ, μ and η, by scenario key, as outputs
        report them (cpvl's and fcvl's ``input_share``); empty where it has none."""
        return {}

    # --- short-run equilibrium ---------------------------------------------------------
    @abstractmethod
    def equilibrium(
        self,
        shares: np.ndarray,
        immobile: np.ndarray,
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
    ) -> Equilibrium:
        """The short-run equilibrium at mobile shares ``shares`` (R regions, any T;
        ``phi`` = T^(1-σ) where already built)."""

    def solver(
        self,
        immobile: np.ndarray,
        T: np.ndarray,
        sigma: float,
        mu: float,
        *,
        housing_share: float = 0.0,
        housing: np.ndarray | None = None,
        tol: float = 1e-12,
        max_iter: int = 100,
    ) -> Solver:
        """``equilibrium`` with everything but the state bound (what a model steps with);
        φ = T^(1-σ) is built here once, not at every solve."""
        return BoundSolver(
            self, immobile, T, sigma, mu, housing_share, housing, tol=tol, max_iter=max_iter
        )

    def payoff_jacobian(
        self,
        shares: np.ndarray,
        immobile: np.ndarray,
        T: np.ndarray,
        sigma: float,
        mu: float,
        *,
        housing_share: float = 0.0,
        housing: np.ndarray | None = None,
        phi: np.ndarray | None = None,
    ) -> np.ndarray | None:
        """d ln payoff_r / d λ_k across short-run equilibria under free entry, analytically
        (what ``negsim.stability`` linearises); None where the economy has no closed form
        for it (then the stability test differentiates numerically)."""
        return None

    def welfare(self, eq: Equilibrium) -> float:
        """Utilitarian welfare: the sum over regions of real income, W = Σ_r Y_r / P_r.

        With Cobb–Douglas preferences a resident's indirect utility is her income over the
        consumer price index P_r (``Equilibrium.price_level``) up to a constant, so W adds
        up every resident's utility, mobile and immobile: the utilitarian (Benthamite)
        criterion that Charlot, Gaigné, Robert-Nicoud & Thisse (2006, "Agglomeration and
        welfare: the core–periphery model in the light of Bentham, Kaldor, and Rawls",
        J. Public Econ. 90, 325–347) apply to agglomeration and dispersion. Closed forms for
        two regions are in ``tests/test_welfare.py``.
        """
        return float(np.sum(eq.income / eq.price_level))

    welfare_groups: ClassVar[tuple[str, str] | None] = None
    """Who the groups of ``group_welfare`` are, mobile first (e.g. workers, farmers); None
    where the economy does not report welfare by group (its indirect utility is not income
    over ``price_level``, or its groups are not yet written down): then welfare.csv holds
    its header only."""

    def mobile_income(
        self, eq: Equilibrium, shares: np.ndarray, immobile: np.ndarray, mu: float, eta: float
    ) -> tuple[np.ndarray, np.ndarray]:
        """(mass, income per head) of the mobile factor's owners resident in each region:
        here λ_r owners each earning the reward ``eq.wage`` (fe's entrepreneurs and their
        operating profit π_r). cp (μλ_r workers) and fc (owners who stay put) override it."""
        return np.asarray(shares, dtype=float), eq.wage / (1.0 - eta)

    def immobile_mass(self, shares: np.ndarray, immobile: np.ndarray, mu: float) -> np.ndarray:
        """Residents of the immobile group in each region: (1-μ)a_r (farmers, unskilled
        workers); cpvl's farm workers are what industry leaves of a region's labour."""
        return (1.0 - mu) * np.asarray(immobile, dtype=float)

    def transport_cost_at(self, phi: float, sigma: float, mu: float) -> float:
        """The two-region transport cost T at trade freeness φ, as ``Threshold.phi`` reports
        it: T = φ^(1/(1-σ)) for iceberg costs (linear: its own freeness)."""
        return phi ** (1.0 / (1.0 - sigma))

    freeness_label: ClassVar[str] = "trade freeness φ = $T^{1-σ}$ (0: no trade, 1: free trade)"
    """How figures name trade freeness φ (``transport_cost_at``)."""

    def group_welfare(
        self,
        eq: Equilibrium,
        shares: np.ndarray,
        immobile: np.ndarray,
        mu: float,
        housing_share: float = 0.0,
    ) -> GroupWelfare:
        """Indirect utility of each group in each region, and their masses.

        With Cobb–Douglas preferences over the manufactures' CES composite (share μ), the
        farm good (and housing, share η) a resident with income y in region r has indirect
        utility V = y / P_r, P_r = G_r^μ (q_r^η) the consumer price index, up to the constant
        μ^-μ(1-μ)^-(1-μ) (FKV 1999 ch. 5: the real wage ω_r = w_r G_r^-μ is a worker's
        indirect utility). Mobile: ``mobile_income``. Immobile ((1-μ)a_r residents: farmers,
        unskilled workers): the rest of the region's income Y_r, a farmer's unit wage plus
        the profits and rents that accrue to them; where none live, the unit wage
        (/(1-η)). Summed with the masses this is ``welfare``, the utilitarian
        (Benthamite) total of Charlot, Gaigné, Robert-Nicoud & Thisse (2006).
        """
        if self.welfare_groups is None:
            raise ValueError(f"welfare by group is not available for the {self.name} economy")
        a = np.asarray(immobile, dtype=float)
        m_mass, m_income = self.mobile_income(eq, shares, a, mu, housing_share)
        i_mass = self.immobile_mass(shares, a, mu)
        rest = eq.income - m_mass * m_income
        with np.errstate(divide="ignore", invalid="ignore"):
            i_income = np.where(i_mass > 0, rest / i_mass, 1.0 / (1.0 - housing_share))
        return GroupWelfare(m_mass, m_income / eq.price_level, i_mass, i_income / eq.price_level)

    # --- two symmetric regions ---------------------------------------------------------
    @abstractmethod
    def thresholds(
        self, sigma: float, mu: float, housing_share: float = 0.0
    ) -> tuple[list[Threshold], list[Threshold]]:
        """(break points, sustain points) of two symmetric regions, ascending in T."""

    @abstractmethod
    def symmetric_stable(self, T: float, sigma: float, mu: float, eta: float = 0.0) -> bool:
        """Is the even spread of two symmetric regions stable at T?"""

    @abstractmethod
    def core_sustainable(self, T: float, sigma: float, mu: float, eta: float = 0.0) -> bool:
        """Is full agglomeration in one of two symmetric regions an equilibrium at T?"""

    def predict(self, T: float, sigma: float, mu: float, eta: float = 0.0) -> str:
        """The regime theory predicts at T for two symmetric regions."""
        sym = self.symmetric_stable(T, sigma, mu, eta)
        core = self.core_sustainable(T, sigma, mu, eta)
        if sym and core:
            return PATH_DEPENDENT
        if core:
            return "agglomerated"
        if sym:
            return "dispersed"
        return "partial"

    def payoff_gap(
        self, sigma: float, mu: float, housing_share: float = 0.0
    ) -> Callable[[float, float], float]:
        """gap(λ_1, T) = ln(payoff_1/payoff_2) for two symmetric regions."""
        even = np.array([0.5, 0.5])

        def gap(lam1: float, T: float) -> float:
            eq = self.equilibrium(
                np.array([lam1, 1.0 - lam1]),
                even,
                two_region(T),
                sigma,
                mu,
                housing_share=housing_share,
            )
            return float(np.log(eq.payoff[0] / eq.payoff[1]))

        return gap

    def payoff_gaps(
        self, sigma: float, mu: float, housing_share: float = 0.0
    ) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
        """``payoff_gap`` at arrays of pairs (λ_1[k], T[k]), what ``tomahawk_scan`` calls:
        one equilibrium after another here; an economy that can solve many at once says so
        by overriding this."""
        return vectorised(self.payoff_gap(sigma, mu, housing_share))

    def tomahawk(
        self,
        sigma: float,
        mu: float,
        transport_costs: np.ndarray,
        housing_share: float = 0.0,
        n_lambda: int = 60,
    ) -> list[tuple[float, float, bool]]:
        """Long-run equilibria (T, λ_1, stable) of two symmetric regions on a grid of T
        (BlackHoleError or ValueError for parameters the economy does not admit)."""
        self.check(sigma, mu, housing_share)
        return tomahawk_scan(
            self.payoff_gaps(sigma, mu, housing_share),
            lambda T: self.core_sustainable(T, sigma, mu, housing_share),
            lambda T: self.symmetric_stable(T, sigma, mu, housing_share),
            transport_costs,
            n_lambda,
        )

    def home_market_share(self, expenditure_share: float, T: float, sigma: float) -> float:
        """Region 1's long-run share of the mobile factor when it holds
        ``expenditure_share`` of spending (only where ``home_market``)."""
        raise ValueError(f"the {self.name} economy has no closed-form home-market share")

    def full_agglomeration_point(self, expenditure_share: float, sigma: float) -> Threshold | None:
        """The transport cost below which all of the mobile factor sits in the bigger
        market, where the economy has one (else None)."""
        return None

    def two_region_theory(
        self, T: float, sigma: float, mu: float, housing_share: float, symmetric: bool, a1: float
    ) -> dict[str, Any] | None:
        """What summary.json reports as ``theory`` for two regions a cost T apart, region 1
        holding a share ``a1`` of the immobile population (``symmetric``: even immobile
        population and housing). None where theory has no closed answer."""
        if not symmetric:
            return None
        breaks, sustains = self.thresholds(sigma, mu, housing_share)
        out: dict[str, Any] = {
            "transport_cost": T,
            "break_points": [_as_dict(t) for t in breaks],
            "sustain_points": [_as_dict(t) for t in sustains],
            "prediction": self.predict(T, sigma, mu, housing_share),
        }
        if len(breaks) == 1 and len(sustains) == 1:
            out["break_point"] = _as_dict(breaks[0])
            out["sustain_point"] = _as_dict(sustains[0])
        return out


class ClosedFormEconomy(Economy):
    """An economy whose short-run equilibrium is a closed form (or an exact linear solve) in
    the shares alone: ``closed_form(shares, immobile, T, sigma, mu, phi=None)``. It has no housing
    stock and no firm masses of its own, and a warm start, tolerance or iteration cap has
    nothing to do."""

    closed_form: Callable[..., Equilibrium]
    """The module's ``short_run_equilibrium`` (a ``staticmethod``)."""

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
        phi=None,
    ) -> Equilibrium:
        self.check_inputs(firms, housing_share)
        with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
            eq = self.closed_form(shares, immobile, T, sigma, mu, phi=phi)
        return finite(eq, self.name.upper(), sigma)


class BoundSolver:
    """An economy's short-run equilibrium with its parameters, immobile population and
    transport costs bound (a ``Solver``), φ = T^(1-σ) built once; ``jacobian(shares)`` is
    the economy's analytic ``payoff_jacobian`` there (None where it has none)."""

    def __init__(
        self,
        economy: Economy,
        immobile: np.ndarray,
        T: np.ndarray,
        sigma: float,
        mu: float,
        housing_share: float = 0.0,
        housing: np.ndarray | None = None,
        *,
        tol: float = 1e-12,
        max_iter: int = 100,
    ) -> None:
        self.economy, self.immobile, self.T = economy, immobile, T
        self.sigma, self.mu, self.housing_share, self.housing = sigma, mu, housing_share, housing
        self.tol, self.max_iter = tol, max_iter
        self.phi = trade_freeness(T, sigma)
        self.phi.flags.writeable = False  # built once per geography, shared by every solve

    def __call__(
        self,
        shares: np.ndarray,
        wage0: np.ndarray | None = None,
        firms: np.ndarray | None = None,
    ) -> Equilibrium:
        return self.economy.equilibrium(
            shares,
            self.immobile,
            self.T,
            self.sigma,
            self.mu,
            housing_share=self.housing_share,
            housing=self.housing,
            firms=firms,
            wage0=wage0,
            tol=self.tol,
            max_iter=self.max_iter,
            phi=self.phi,
        )

    def jacobian(self, shares: np.ndarray) -> np.ndarray | None:
        """d ln payoff / d λ at ``shares`` (free entry), analytic; None where not known."""
        return self.economy.payoff_jacobian(
            shares,
            self.immobile,
            self.T,
            self.sigma,
            self.mu,
            housing_share=self.housing_share,
            housing=self.housing,
            phi=self.phi,
        )


def _as_dict(t: Threshold) -> dict[str, float]:
    return {"T": t.T, "phi": t.phi}
