"""Welfare of every economy (``Economy.welfare``: W = Σ_r Y_r / P_r) against closed forms
worked out by hand from each model's definitions at states where the equilibrium is known
exactly — the even spread and full agglomeration of two regions — and against a direct
sum over residents at random states.

Closed forms (φ = T^(1-σ), b = μ/σ, two regions with even immobile population):

- cp (FKV 1999 ch. 5): at λ = (1/2, 1/2) the wage is 1 and G^(1-σ) = (1+φ)/2, Y = 1/2 each,
  so W = [(1+φ)/2]^(μ/(σ-1)). At λ = (1, 0) the core wage is 1, G_1 = 1, G_2 = T,
  Y_1 = (1+μ)/2, Y_2 = (1-μ)/2, so W = (1+μ)/2 + (1-μ)/2 · T^(-μ).
- fe (Baldwin et al. 2003 ch. 4): at λ = (1, 0), Δ_1 = 1, Δ_2 = φ, π_1 = b(E_1 + E_2) with
  E_1 = (1-μ)/2 + π_1, E_2 = (1-μ)/2, so π_1 = b(1-μ)/(1-b) and
  W = (1-μ)/2 + π_1 + (1-μ)/2 · T^(-μ).
- fc (Baldwin et al. 2003 ch. 3): E_w = (1-μ)/(1-b) spent where owners live; at the even
  spread Δ = (1+φ)/2 in both regions, so W = E_w [(1+φ)/2]^(μ/(σ-1)).
"""

from __future__ import annotations

import numpy as np
import pytest

from negsim import economies
from negsim.geography import two_region

EVEN = np.array([0.5, 0.5])
CORE = np.array([1.0, 0.0])
PARAMS = [(5.0, 0.4, 1.3), (5.0, 0.4, 1.9), (3.0, 0.3, 1.5), (8.0, 0.2, 1.1)]


def welfare(model: str, shares: np.ndarray, T: float, sigma: float, mu: float) -> float:
    economy = economies.get(model)
    return economy.welfare(economy.equilibrium(shares, EVEN, two_region(T), sigma, mu))


@pytest.mark.parametrize(("sigma", "mu", "T"), PARAMS)
def test_cp_welfare_closed_forms(sigma, mu, T):
    phi = T ** (1.0 - sigma)
    assert welfare("cp", EVEN, T, sigma, mu) == pytest.approx(
        ((1.0 + phi) / 2.0) ** (mu / (sigma - 1.0)), rel=1e-11
    )
    assert welfare("cp", CORE, T, sigma, mu) == pytest.approx(
        (1.0 + mu) / 2.0 + (1.0 - mu) / 2.0 * T ** (-mu), rel=1e-11
    )


@pytest.mark.parametrize(("sigma", "mu", "T"), PARAMS)
def test_fe_welfare_closed_form_of_the_core(sigma, mu, T):
    b = mu / sigma
    profit = b * (1.0 - mu) / (1.0 - b)
    expected = (1.0 - mu) / 2.0 + profit + (1.0 - mu) / 2.0 * T ** (-mu)
    assert welfare("fe", CORE, T, sigma, mu) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize(("sigma", "mu", "T"), PARAMS)
def test_fc_welfare_closed_form_of_the_even_spread(sigma, mu, T):
    phi, b = T ** (1.0 - sigma), mu / sigma
    expected = (1.0 - mu) / (1.0 - b) * ((1.0 + phi) / 2.0) ** (mu / (sigma - 1.0))
    assert welfare("fc", EVEN, T, sigma, mu) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("seed", range(4))
def test_cp_welfare_with_housing_sums_residents_real_incomes(seed):
    """With housing, each region's income is deflated by G^μ q^η, q = ηY/H the rent
    (Helpman 1998): the sum over regions of that, from the equilibrium's own income, price
    index and the housing stock."""
    rng = np.random.default_rng(seed)
    R, sigma, mu, eta = 4, 5.0, 0.4, 0.1
    lam, a, H = (rng.dirichlet(np.ones(R)) for _ in range(3))
    T = 1.0 + rng.uniform(0.1, 0.8, (R, R))
    T = np.triu(T, 1) + np.triu(T, 1).T + np.eye(R)
    cp = economies.get("cp")
    eq = cp.equilibrium(lam, a, T, sigma, mu, housing_share=eta, housing=H)
    rent = eta * eq.income / H
    expected = float(np.sum(eq.income * eq.price_index ** (-mu) * rent ** (-eta)))
    assert cp.welfare(eq) == pytest.approx(expected, rel=1e-12)


def test_cp_core_beats_even_spread_at_low_trade_costs_only():
    """FKV ch. 5 / Charlot et al. (2006): with σ = 5, μ = 0.4 agglomeration raises total
    real income when trade is free enough, the even spread when it is costly."""
    assert welfare("cp", CORE, 1.2, 5.0, 0.4) > welfare("cp", EVEN, 1.2, 5.0, 0.4)
    assert welfare("cp", CORE, 3.0, 5.0, 0.4) < welfare("cp", EVEN, 3.0, 5.0, 0.4)
