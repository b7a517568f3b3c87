"""Anchors of the core–periphery economy: FKV's tomahawk, the racetrack's first break
(Akamatsu, Takayama & Ikeda 2012), the bell shape with housing and the logit smoothing
threshold (Murata 2003).

The independent route is ``real_wages``: FKV (1999) ch. 5 eqs. (5.1)–(5.4) written out
afresh and solved by scipy's MINPACK hybrid method, polished by fixed-point steps — no
analytic Jacobian, none of ``negsim.economies.cp`` — and thresholds found as sign changes
of finite differences or ratios of it with scipy's brentq.
"""

from __future__ import annotations

import functools

import numpy as np

from negsim import racetrack
from negsim.anchors.base import Anchor, per_run, published_rtol, root
from negsim.economies import cp
from negsim.geography import racetrack as racetrack_costs
from negsim.geography import two_region
from negsim.stability import is_stable_rest_point, payoff_jacobian, stabilising_noise

SIGMA, MU = 5.0, 0.4  # FKV's tomahawk figure (ch. 5, fig. 5.4)
RACETRACK = 12  # places on the circle: a multiple of 4, as racetrack_12.toml
STEP = 1e-4  # λ step of the central differences


def real_wages(
    shares: np.ndarray,
    farmers: np.ndarray,
    T: np.ndarray,
    sigma: float,
    mu: float,
    eta: float = 0.0,
) -> np.ndarray:
    """ω_r = w_r G_r^(-μ) of FKV (1999) ch. 5 eqs. (5.1)–(5.4) for R regions: the wages
    solve w = W(w), W(w)_r = [Σ_s Y_s G_s^(σ-1) T_rs^(1-σ)]^(1/σ), by MINPACK's hybrid
    method (scipy's ``root``, finite-difference Jacobian) from w = 1, then plain fixed-point
    steps w ← W(w) until the wages move less than 4e-15. With Helpman's (1998) housing
    (share η, an even stock H_r = 1/R, rents q_r = ηY_r/H_r rebated with labour income):
    Y_r = (μλ_r w_r + (1-μ)a_r)/(1-η) and ω_r = w_r/(1-η) G_r^(-μ) q_r^(-η)."""
    from scipy.optimize import root as solve

    lam = np.asarray(shares, dtype=float)
    phi = np.asarray(T, dtype=float) ** (1.0 - sigma)

    def parts(w: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        income = (mu * lam * w + (1.0 - mu) * farmers) / (1.0 - eta)
        g1s = phi.T @ (lam * w ** (1.0 - sigma))  # G_s^(1-σ) = Σ_r λ_r (w_r T_rs)^(1-σ)
        return (phi @ (income / g1s)) ** (1.0 / sigma), income, g1s

    w = solve(lambda x: parts(x)[0] - x, np.ones_like(lam), method="hybr", tol=1e-15).x
    for _ in range(10_000):
        new, income, g1s = parts(w)
        if np.max(np.abs(new - w)) < 4e-15:
            omega = new * g1s ** (mu / (sigma - 1.0))
            if eta:
                income = parts(new)[1]
                omega = omega / (1.0 - eta) * (eta * income * lam.size) ** -eta
            return omega
        w = 0.5 * (w + new)
    raise RuntimeError("independent CP fixed point did not converge")


def _gap(lam1: float, T: float, sigma: float, mu: float, eta: float = 0.0) -> float:
    even = np.array([0.5, 0.5])
    omega = real_wages(np.array([lam1, 1.0 - lam1]), even, two_region(T), sigma, mu, eta)
    return float(np.log(omega[0] / omega[1]))


def slope(T: float, sigma: float, mu: float, eta: float = 0.0) -> float:
    """d ln(ω_1/ω_2)/dλ_1 at the even spread, by a central difference (the gap is odd)."""
    return _gap(0.5 + STEP, T, sigma, mu, eta) / STEP


def core_excess(T: float, sigma: float, mu: float, eta: float = 0.0) -> float:
    """ω_2/ω_1 - 1 with every worker in region 1: negative where the core is sustainable."""
    even = np.array([0.5, 0.5])
    omega = real_wages(np.array([1.0, 0.0]), even, two_region(T), sigma, mu, eta)
    return float(omega[1] / omega[0] - 1.0)


def all_roots(f, lo: float, hi: float, n: int = 120) -> list[float]:
    """Every sign change of f on a geometric grid of (lo, hi), refined by scipy's brentq."""
    from scipy.optimize import brentq

    xs = np.geomspace(lo, hi, n)
    ys = [f(float(x)) for x in xs]
    return [
        float(brentq(f, xs[i], xs[i + 1], xtol=1e-14, rtol=1e-13))
        for i in range(n - 1)
        if ys[i] * ys[i + 1] < 0
    ]


@functools.cache
def housing_thresholds(sigma: float, mu: float, eta: float) -> tuple[tuple[float, ...], ...]:
    """(break points, sustain points) with housing, as T: every sign change of ``slope``
    and of ``core_excess`` on T ∈ (1.0001, 50)."""
    return (
        tuple(all_roots(lambda t: slope(t, sigma, mu, eta), 1.0001, 50.0)),
        tuple(all_roots(lambda t: core_excess(t, sigma, mu, eta), 1.0001, 50.0)),
    )


@per_run
def negsim_housing_thresholds(sigma: float, mu: float, eta: float) -> tuple[tuple[float, ...], ...]:
    breaks, sustains = cp.ECONOMY.thresholds(sigma, mu, eta)
    return tuple(t.T for t in breaks), tuple(t.T for t in sustains)


@functools.cache
def break_by_root(sigma: float, mu: float) -> float:
    """T at which ``slope`` changes sign: the even spread's break point from the definitions."""
    return root(lambda t: slope(t, sigma, mu), 1.01, 20.0)


@functools.cache
def sustain_by_root(sigma: float, mu: float) -> float:
    """T > 1 at which a first worker in the empty region earns the core's real wage."""

    return root(lambda t: core_excess(t, sigma, mu), 1.01, 20.0)


def mode_half_eigenvalue(T: float, regions: int, sigma: float) -> float:
    """The normalised eigenvalue of mode R/2 of the racetrack's discount matrix
    D_rs = φ^(steps r→s): Σ_j (-1)^j D_0j / Σ_j D_0j (Akamatsu, Takayama & Ikeda 2012),
    which plays the role of FKV's Z = (1-φ)/(1+φ) of two regions."""
    row = racetrack_costs(regions, T)[0] ** (1.0 - sigma)
    signs = (-1.0) ** np.arange(regions)
    return float(signs @ row / row.sum())


@functools.cache
def racetrack_break_by_z(regions: int, sigma: float, mu: float) -> float:
    """T* where mode R/2's eigenvalue reaches z* = μ(1+ρ)/(ρ+μ²), ρ = (σ-1)/σ (Akamatsu,
    Takayama & Ikeda 2012: FKV's break condition Z = z* mode by mode)."""
    rho = (sigma - 1.0) / sigma
    z_star = mu * (1.0 + rho) / (rho + mu**2)
    return root(lambda t: mode_half_eigenvalue(t, regions, sigma) - z_star, 1.01, 20.0)


def leading_growth_rate(T: float, regions: int, sigma: float, mu: float) -> float:
    """The largest eigenvalue of d ln ω/dλ on directions that keep Σλ = 1, at the even spread
    of the racetrack, the Jacobian by central differences of ``real_wages``."""
    even = np.full(regions, 1.0 / regions)
    costs = racetrack_costs(regions, T)
    jac = np.empty((regions, regions))
    for k in range(regions):
        up, down = even.copy(), even.copy()
        up[k] += STEP
        down[k] -= STEP
        jac[:, k] = (
            np.log(real_wages(up, even, costs, sigma, mu))
            - np.log(real_wages(down, even, costs, sigma, mu))
        ) / (2.0 * STEP)
    basis = np.linalg.qr(np.eye(regions) - 1.0 / regions)[0][:, : regions - 1]
    return float(np.max(np.linalg.eigvals(basis.T @ jac @ basis).real))


@functools.cache
def racetrack_break_by_jacobian(regions: int, sigma: float, mu: float) -> float:
    """T* at which ``leading_growth_rate`` changes sign (from unstable below to stable above)."""
    from scipy.optimize import brentq

    return float(brentq(lambda t: leading_growth_rate(t, regions, sigma, mu), 1.7, 2.2, xtol=1e-12))


def smoothing_threshold(T: float, sigma: float, mu: float) -> float:
    """The taste noise ν* above which the even spread of two symmetric regions is a stable
    logit rest point (Murata 2003 for the CP model; Tabuchi & Thisse 2002 for the linear
    model): ν* = s/4, s = d ln(ω_1/ω_2)/dλ_1 at λ = 1/2 — the logit dynamics
    dλ/dt = L(ln ω/ν) - λ linearised there grow at s/(4ν) - 1.

    s in closed form, linearising FKV (1999) ch. 5 eqs. (5.1)–(5.4) at the even spread
    (Z = (1-φ)/(1+φ), FKV's index of trade costs):
    s/4 = Z(μ-Z)(1-μZ)/(σ - μZ - (σ-1)Z²) + μZ/(σ-1),
    which vanishes at Z = μ(1+ρ)/(ρ+μ²): the break point. Negative (no noise needed)
    above the break point.
    """
    phi = T ** (1.0 - sigma)
    z = (1.0 - phi) / (1.0 + phi)
    return z * (mu - z) * (1.0 - mu * z) / (sigma - mu * z - (sigma - 1.0) * z**2) + mu * z / (
        sigma - 1.0
    )


def negsim_noise_threshold(T: float, sigma: float, mu: float) -> float:
    """negsim's value: ``stability.stabilising_noise`` (what ``negsim calibrate`` reports) of
    the payoff Jacobian the run-time stability test uses, at the even spread."""
    solve = cp.ECONOMY.solver(np.array([0.5, 0.5]), two_region(T), sigma, mu)
    even = np.array([0.5, 0.5])
    return stabilising_noise(payoff_jacobian(lambda s, w0: solve(s, w0), even), even)


def logit_stability_flips(T: float, sigma: float, mu: float) -> float:
    """1 when negsim's run-time stability test (``is_stable_rest_point``) calls the even
    spread unstable at 0.99 ν* and stable at 1.01 ν* (ν* the closed form), else 0."""
    nu = smoothing_threshold(T, sigma, mu)
    solve = cp.ECONOMY.solver(np.array([0.5, 0.5]), two_region(T), sigma, mu)
    even = np.array([0.5, 0.5])
    below = is_stable_rest_point(lambda s, w0: solve(s, w0), even, 0.99 * nu)
    above = is_stable_rest_point(lambda s, w0: solve(s, w0), even, 1.01 * nu)
    return float(above and not below)


def welfare_crossing_by_root(sigma: float, mu: float) -> float:
    """φ in (0, 1) where utilitarian welfare of full agglomeration,
    (1+μ)/2 + (1-μ)/2 · φ^(μ/(σ-1)) (core wage 1, G_1 = 1, G_2 = T), equals that of the even
    spread, [(1+φ)/2]^(μ/(σ-1)) (wage 1, G^(1-σ) = (1+φ)/2): worked out from FKV's
    equations at the two states, where the equilibrium is known exactly."""
    e = mu / (sigma - 1.0)
    return root(
        lambda f: (1.0 + mu) / 2.0 + (1.0 - mu) / 2.0 * f**e - ((1.0 + f) / 2.0) ** e, 1e-4, 0.999
    )


def negsim_welfare_crossing(sigma: float, mu: float) -> float:
    from negsim import theory

    (crossing,) = theory.welfare_crossings("cp", sigma, mu)
    return crossing.phi


FKV = "Fujita, Krugman & Venables (1999) ch. 5, fig. 5.4"
AKI = "Akamatsu, Takayama & Ikeda (2012), mode R/2"
MURATA = "Murata (2003); Tabuchi & Thisse (2002)"


def _tomahawk(sigma: float, mu: float) -> tuple[Anchor, ...]:
    label = f"σ={sigma:g}, μ={mu:g}"
    return (
        Anchor(
            f"cp break point T_B ({label}): closed form vs root-find",
            f"{FKV}: φ_B = (ρ-μ)(1-μ)/((ρ+μ)(1+μ))",
            lambda: break_by_root(sigma, mu),
            lambda: cp.break_point(sigma, mu).T,
            1e-7,
            "cp",
        ),
        Anchor(
            f"cp sustain point T_S ({label}): negsim vs root-find",
            f"{FKV}: ω_2/ω_1 = 1 at λ = 1",
            lambda: sustain_by_root(sigma, mu),
            lambda: cp.sustain_point(sigma, mu).T,
            1e-7,
            "cp",
        ),
    )


@per_run
def critical_transport_cost(regions: int, sigma: float, mu: float) -> tuple[float, int]:
    """negsim's ``racetrack.critical_transport_cost`` (T*, mode), once per verify run."""
    return racetrack.critical_transport_cost(regions, sigma, mu)


HOUSING = 0.1  # as bell_shape_housing.toml


def _housing(kind: int, k: int, which: str) -> Anchor:
    what = ("break", "sustain")[kind]
    return Anchor(
        f"cp+housing {which} {what} point (η={HOUSING:g}, σ=5, μ=0.4): negsim vs root-find",
        "Helpman (1998) housing in FKV's CP: the bell shape",
        lambda: housing_thresholds(SIGMA, MU, HOUSING)[kind][k],
        lambda: negsim_housing_thresholds(SIGMA, MU, HOUSING)[kind][k],
        1e-7,
        "cp",
    )


ANCHORS: tuple[Anchor, ...] = (
    Anchor(
        "cp break point T_B (σ=5, μ=0.4): published",
        FKV,
        lambda: 1.627,
        lambda: cp.break_point(SIGMA, MU).T,
        published_rtol(1.627, 3),
        "cp",
    ),
    Anchor(
        "cp sustain point T_S (σ=5, μ=0.4): published",
        FKV,
        lambda: 1.807,
        lambda: cp.sustain_point(SIGMA, MU).T,
        published_rtol(1.807, 3),
        "cp",
    ),
    *_tomahawk(SIGMA, MU),
    *_tomahawk(3.0, 0.3),
    *_tomahawk(8.0, 0.2),
    *(_housing(kind, k, which) for kind in (0, 1) for k, which in enumerate(("lower", "upper"))),
    Anchor(
        f"cp+housing number of thresholds (η={HOUSING:g}): negsim vs root-find",
        "Helpman (1998) housing in FKV's CP: the bell shape",
        lambda: sum(map(len, housing_thresholds(SIGMA, MU, HOUSING))),
        lambda: sum(map(len, negsim_housing_thresholds(SIGMA, MU, HOUSING))),
        0.0,
        "cp",
    ),
    Anchor(
        f"racetrack first break T* (R={RACETRACK}, σ=5, μ=0.4): published",
        AKI,
        lambda: 1.9319,
        lambda: critical_transport_cost(RACETRACK, SIGMA, MU)[0],
        published_rtol(1.9319, 4),
        "cp",
    ),
    Anchor(
        f"racetrack first break T* (R={RACETRACK}): z* = μ(1+ρ)/(ρ+μ²) through mode R/2",
        AKI,
        lambda: racetrack_break_by_z(RACETRACK, SIGMA, MU),
        lambda: critical_transport_cost(RACETRACK, SIGMA, MU)[0],
        1e-8,
        "cp",
    ),
    Anchor(
        f"racetrack first break T* (R={RACETRACK}): finite-difference Jacobian eigenvalue",
        AKI,
        lambda: racetrack_break_by_jacobian(RACETRACK, SIGMA, MU),
        lambda: critical_transport_cost(RACETRACK, SIGMA, MU)[0],
        1e-6,
        "cp",
    ),
    Anchor(
        f"racetrack critical mode (R={RACETRACK}) = R/2",
        AKI,
        lambda: RACETRACK / 2,
        lambda: critical_transport_cost(RACETRACK, SIGMA, MU)[1],
        0.0,
        "cp",
    ),
    *(
        Anchor(
            f"logit smoothing threshold ν* (T={T:g}, σ=5, μ=0.4): closed form vs negsim",
            MURATA,
            functools.partial(smoothing_threshold, T, SIGMA, MU),
            functools.partial(negsim_noise_threshold, T, SIGMA, MU),
            1e-4,
            "cp",
        )
        for T in (1.2, 1.5)
    ),
    Anchor(
        "cp welfare: utilitarian ranking of agglomeration vs dispersion flips at φ_W (σ=5, μ=0.4)",
        "Charlot, Gaigné, Robert-Nicoud & Thisse (2006)",
        lambda: welfare_crossing_by_root(SIGMA, MU),
        lambda: negsim_welfare_crossing(SIGMA, MU),
        1e-9,
        "cp",
    ),
    Anchor(
        "logit: negsim's stability test flips at ν* (T=1.5): 1 = yes",
        MURATA,
        lambda: 1.0,
        functools.partial(logit_stability_flips, 1.5, SIGMA, MU),
        0.0,
        "cp",
    ),
)
