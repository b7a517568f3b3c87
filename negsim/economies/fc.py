"""The footloose-capital (FC) economy of Martin & Rogers (1995), as set out in Baldwin,
Forslid, Martin, Ottaviano & Robert-Nicoud, *Economic Geography and Public Policy* (2003),
ch. 3.

Each firm needs one unit of capital (the mobile factor; shares λ_r of firms, total 1) and
β = (σ-1)/σ units of immobile labour per unit of output (wage 1). Capital moves to the
highest *nominal* reward, because its owners stay where they live (shares a_r, like the
workers) and spend their income at home. Expenditure shares therefore do not follow
capital: there is no demand-linked circular causality and no catastrophic agglomeration,
only the home-market effect — the bigger market gets a more than proportional share of
firms.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from negsim.economies.base import (
    BlackHoleError,
    ClosedFormEconomy,
    Equilibrium,
    EquilibriumError,
    MobileFactor,
    Threshold,
    as_inputs,
)


def short_run_equilibrium(
    shares: np.ndarray,
    immobile: np.ndarray,
    T: np.ndarray,
    sigma: float,
    mu: float,
    *,
    phi: np.ndarray | None = None,
    **_: object,
) -> Equilibrium:
    """Solve the FC short-run equilibrium for R regions (Baldwin et al. 2003, ch. 3)::

        E_w = (1-μ) + b E_w  ⇒  E_w = (1-μ)/(1-b),  b = μ/σ    world expenditure
        E_s = a_s E_w                                           (owners spend at home)
        Δ_s = Σ_k λ_k φ_ks                                      G_s = Δ_s^(1/(1-σ))
        π_r = b Σ_s φ_rs E_s / Δ_s                              capital's reward

    Closed form, no iteration. Capital compares π (nominal). ``real_wage`` reports
    π_r G_r^(-μ) for reference. Raises EquilibriumError where a region reaches no firm
    (Δ_s = 0: trade freeness φ = T^(1-σ) underflows to 0), never returns NaN. ``phi`` is
    T^(1-σ) where already built. O(R²): no system to solve at any number of places.
    """
    lam, a, phi = as_inputs(shares, immobile, T, sigma, "FC", phi)
    b = mu / sigma
    income = a * (1.0 - mu) / (1.0 - b)
    delta = phi.T @ lam
    if not np.all(np.isfinite(delta) & (delta > 0)):
        raise EquilibriumError(
            "FC short-run equilibrium: a region reaches no firm (trade freeness T^(1-σ) "
            f"underflows to 0 at σ = {sigma:g}); lower the transport costs or σ"
        )
    reward = b * phi @ (income / delta)
    price_index = delta ** (1.0 / (1.0 - sigma))
    return Equilibrium(
        wage=reward,
        price_index=price_index,
        income=income,
        real_wage=reward * price_index ** (-mu),
        payoff=reward,
        price_level=price_index**mu,
    )


def equilibrium_share(s_e: float, phi: float) -> float:
    """Share of firms in region 1 when it holds a share s_E of expenditure (two regions).

    Baldwin et al. (2003), ch. 3 (the home-market effect): equal rewards give
    s_n = 1/2 + (1+φ)/(1-φ) · (s_E - 1/2), clamped to [0, 1]; the factor (1+φ)/(1-φ) > 1
    magnifies market size into industry share, smoothly in φ.
    """
    if phi >= 1.0:
        return 0.5 if s_e == 0.5 else float(s_e > 0.5)
    return float(np.clip(0.5 + (1.0 + phi) / (1.0 - phi) * (s_e - 0.5), 0.0, 1.0))


def full_agglomeration_point(s_e: float, sigma: float) -> Threshold:
    """Trade freeness φ_CP = (1 - s_E)/s_E above which all firms sit in the bigger market
    (s_E > 1/2) — Baldwin et al. (2003), ch. 3. The even spread never breaks (no break
    point) when s_E = 1/2."""
    if not 0.5 < s_e < 1.0:
        raise ValueError(f"s_E must be in (1/2, 1) for a full-agglomeration point (got {s_e})")
    phi = (1.0 - s_e) / s_e
    return Threshold(T=phi ** (1.0 / (1.0 - sigma)), phi=phi)


class FootlooseCapital(ClosedFormEconomy):
    """Martin & Rogers' (1995) footloose-capital economy (Baldwin et al. 2003, ch. 3):
    capital (firms) moves on its nominal reward, its owners stay; no circular causality,
    only the home-market effect."""

    name = "fc"
    closed_form = staticmethod(short_run_equilibrium)
    title = "Footloose capital"
    mobile = MobileFactor(name="capital", label="capital (firms)", unit="firms")
    firms_are_mobile = True
    home_market = True
    welfare_groups = ("capital owners", "workers")

    def mobile_income(self, eq, shares, immobile, mu, eta):
        """Capital's owners stay where they live (a_r of the one unit of capital in region
        r) and each earns the average reward Σ_k λ_k π_k = (μ/σ)E_w (Baldwin et al. 2003,
        ch. 3: E_s = a_s E_w), wherever her capital is employed."""
        a = np.asarray(immobile, dtype=float)
        average = float(np.dot(np.asarray(shares, dtype=float), eq.wage))
        return a, np.full(a.shape, average)

    def check_no_black_hole(self, sigma: float, mu: float) -> None:
        """No black hole is possible (no demand linkage); σ > 1 and 0 < μ < 1 only."""
        if not (sigma > 1 and 0 < mu < 1):
            raise BlackHoleError(f"need sigma > 1 and 0 < mu < 1 (got {sigma}, {mu})")

    def payoff_jacobian(
        self, shares, immobile, T, sigma, mu, *, housing_share=0.0, housing=None, phi=None
    ):
        """d ln π_r / d λ_k = -b Σ_s φ_rs E_s φ_ks / (Δ_s² π_r) (``short_run_equilibrium``
        differentiated: E does not depend on λ, dΔ_s/dλ_k = φ_ks)."""
        self.check_inputs(None, housing_share)
        eq = short_run_equilibrium(shares, immobile, T, sigma, mu, phi=phi)
        lam, _, phi = as_inputs(shares, immobile, T, sigma, "FC", phi)
        delta = phi.T @ lam
        b = mu / sigma
        return -(b * phi * (eq.income / delta**2)[None, :]) @ phi.T / eq.wage[:, None]

    def thresholds(self, sigma, mu, housing_share=0.0):
        """None: between symmetric regions the even spread never breaks and a core is never
        sustained (Baldwin et al. 2003, ch. 3)."""
        self.check(sigma, mu, housing_share)
        return [], []

    def symmetric_stable(self, T, sigma, mu, eta=0.0):
        return True

    def core_sustainable(self, T, sigma, mu, eta=0.0):
        return False

    def home_market_share(self, expenditure_share, T, sigma):
        return equilibrium_share(expenditure_share, T ** (1.0 - sigma))

    def full_agglomeration_point(self, expenditure_share, sigma):
        return full_agglomeration_point(expenditure_share, sigma)

    def two_region_theory(self, T, sigma, mu, housing_share, symmetric, a1):
        """The home-market effect: region 1's equilibrium share of firms when it holds a
        share ``a1`` of expenditure (``equilibrium_share``)."""
        share = equilibrium_share(a1, T ** (1.0 - sigma))
        out: dict[str, Any] = {
            "transport_cost": T,
            "expenditure_share": a1,
            "equilibrium_share": share,
            "prediction": f"home-market effect: region 1 share {share:.4f} of firms",
        }
        return out


ECONOMY = FootlooseCapital()
