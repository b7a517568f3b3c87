"""Firms that adjust at their own speed in the cp economy (``negsim.firm_dynamics``): the
short-run equilibrium for given firm masses, scenario validation, and the dual (workers and
firms) dynamics of ``NEGModel``.

The equilibrium is checked against an independent reference written from the raw
definitions (FKV 1999 ch. 4–5 technology with the masses of firms n_r given instead of
free entry), solved with ``scipy.optimize.fsolve`` in (ln w, ln G)::

    F = μ/σ, c = (σ-1)/σ, p_r = σ/(σ-1) · c · w_r
    labour clearing        n_r (F + c q_r) = μ λ_r
    demand                 q_r = Σ_s μ Y_s (p_r T_rs)^(-σ) G_s^(σ-1) T_rs
    price index            G_s^(1-σ) = Σ_r n_r (p_r T_rs)^(1-σ)
    profit per firm        π_r = p_r q_r - w_r (F + c q_r)
    income                 Y_r = μ λ_r w_r + (1-μ) a_r + n_r π_r

(the package instead runs Newton on the reduced log-wage equation w^σ = κ B). The potential
wage of a region without operating firms is the wage at which an entrant selling the demand
q(w) breaks even, found with brentq on its profit. With every worker and firm in one region
the model has the closed form w = (σ-1)/(σ-n) (total income is 1 and all of μ is spent on
that region's n firms), used for the firm-shock test.

The dynamics use a two-region scenario with σ = 5, μ = 0.4 (FKV's tomahawk parameters:
T_B ≈ 1.627, T_S ≈ 1.807), T = 1.5 below the break point, so workers cluster.
"""

from __future__ import annotations

import copy
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import tomli_w
from scipy.optimize import brentq, fsolve

import negsim
import negsim.model
from negsim.agents import Firm
from negsim.cli import main
from negsim.economies import cp
from negsim.model import NEGModel
from negsim.scenario import ScenarioError, load_scenario, validate

SIGMA, MU = 5.0, 0.4
N0 = 1000

# ---------------------------------------------------------------------------------------
# Independent reference: the short-run equilibrium with given firm masses
# ---------------------------------------------------------------------------------------


def cp_firms_ref(lam, a, n, T, sigma, mu):
    """Short-run equilibrium from the raw definitions (module docstring), only the firms
    that can operate (n_r ≤ λ_r, given as such) present. Returns a dict with w (0 where
    workers have no firm), the potential wage (brentq on an entrant's zero profit where
    no firm operates), G, Y, π per firm and the real wage ω = w G^(-μ)."""
    lam, a, n, T = (np.asarray(x, dtype=float) for x in (lam, a, n, T))
    R = lam.size
    F, c = mu / sigma, (sigma - 1.0) / sigma
    prod = [r for r in range(R) if n[r] > 0]
    q = {r: (mu * lam[r] / n[r] - F) / c for r in prod}  # labour clearing

    def price(w_r):
        return sigma / (sigma - 1.0) * c * w_r

    def unpack(x):
        w = np.zeros(R)
        for i, r in enumerate(prod):
            w[r] = np.exp(x[i])
        return w, np.exp(x[len(prod) :])

    def profits(w):
        return np.array(
            [price(w[r]) * q[r] - w[r] * (F + c * q[r]) if r in q else 0.0 for r in range(R)]
        )

    def incomes(w):
        pi = profits(w)
        return np.array([mu * lam[r] * w[r] + (1.0 - mu) * a[r] + n[r] * pi[r] for r in range(R)])

    def demand(p_r, r, Y, G):
        return sum(
            mu * Y[s] * (p_r * T[r, s]) ** (-sigma) * G[s] ** (sigma - 1.0) * T[r, s]
            for s in range(R)
        )

    def resid(x):
        w, G = unpack(x)
        Y = incomes(w)
        out = [np.log(demand(price(w[r]), r, Y, G)) - np.log(q[r]) for r in prod]
        for s in range(R):
            total = sum(n[r] * (price(w[r]) * T[r, s]) ** (1.0 - sigma) for r in prod)
            out.append(np.log(G[s]) - np.log(total) / (1.0 - sigma))
        return np.array(out)

    with warnings.catch_warnings():  # "not making good progress" at machine precision
        warnings.simplefilter("ignore", RuntimeWarning)
        x = fsolve(resid, np.zeros(len(prod) + R), xtol=1e-14)
    assert np.max(np.abs(resid(x))) < 1e-12
    w, G = unpack(x)
    Y = incomes(w)

    def entrant_profit(w_r, r):
        q_r = demand(price(w_r), r, Y, G)
        return price(w_r) * q_r - w_r * (F + c * q_r)

    potential = w.copy()
    for r in range(R):
        if r not in q:
            potential[r] = brentq(lambda v, r=r: entrant_profit(v, r), 1e-3, 1e3, xtol=1e-15)
    w = np.where(lam > 0, w, potential)  # an empty region shows what a firm could pay there
    return {
        "wage": w,
        "potential": potential,
        "G": G,
        "Y": Y,
        "profit": profits(w),
        "real_wage": w * G ** (-mu),
    }


def two(T: float) -> np.ndarray:
    return np.array([[1.0, T], [T, 1.0]])


T3 = np.array([[1.0, 1.3, 1.8], [1.6, 1.0, 1.2], [1.4, 2.1, 1.0]])  # asymmetric: T_rs ≠ T_sr
PARAMS = [(5.0, 0.4), (4.0, 0.3), (3.0, 0.2), (6.0, 0.5)]
STATES = [  # (λ, a, n, T) with 0 < n_r ≤ λ_r
    ([0.6, 0.4], [0.5, 0.5], [0.45, 0.4], two(1.5)),
    ([0.3, 0.7], [0.4, 0.6], [0.3, 0.2], two(1.9)),
    ([0.5, 0.3, 0.2], [0.2, 0.5, 0.3], [0.25, 0.3, 0.12], T3),
    ([0.2, 0.45, 0.35], [0.3, 0.3, 0.4], [0.2, 0.1, 0.35], T3),
]


def assert_matches(eq, ref, rtol=1e-8):
    np.testing.assert_allclose(eq.wage, ref["wage"], rtol=rtol, atol=1e-14)
    np.testing.assert_allclose(eq.price_index, ref["G"], rtol=rtol)
    np.testing.assert_allclose(eq.income, ref["Y"], rtol=rtol)
    np.testing.assert_allclose(eq.real_wage, ref["real_wage"], rtol=rtol, atol=1e-14)
    np.testing.assert_allclose(eq.potential_wage, ref["potential"], rtol=rtol)


# ---------------------------------------------------------------------------------------
# 1–2. Short-run equilibrium with given firm masses
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("sigma,mu", PARAMS)
@pytest.mark.parametrize("state", range(len(STATES)))
def test_equilibrium_with_given_firms_matches_raw_definitions(sigma, mu, state):
    lam, a, n, T = STATES[state]
    eq = cp.short_run_equilibrium(np.array(lam), np.array(a), T, sigma, mu, firms=np.array(n))
    ref = cp_firms_ref(lam, a, n, T, sigma, mu)
    assert_matches(eq, ref)
    profit = cp.firm_profit(np.array(lam), np.array(n), eq.wage, sigma, mu)
    np.testing.assert_allclose(profit, ref["profit"], rtol=1e-8, atol=1e-14)
    # firms are scarce (n < λ) somewhere in every state: profits are positive there
    scarce = np.array(n) < np.array(lam)
    assert scarce.any() and np.all(profit[scarce] > 1e-4)
    # income includes the profits: Σ Y = 1 (all income is spent, farm good the numéraire)
    assert eq.income.sum() == pytest.approx(1.0, abs=1e-10)


@pytest.mark.parametrize("sigma,mu", PARAMS)
@pytest.mark.parametrize("state", range(len(STATES)))
def test_firms_equal_to_workers_is_free_entry_with_zero_profit(sigma, mu, state):
    lam, a, _, T = STATES[state]
    lam, a = np.array(lam), np.array(a)
    given = cp.short_run_equilibrium(lam, a, T, sigma, mu, firms=lam.copy())
    free = cp.short_run_equilibrium(lam, a, T, sigma, mu)
    for field in ("wage", "price_index", "income", "real_wage"):
        np.testing.assert_allclose(getattr(given, field), getattr(free, field), rtol=1e-10)
    assert_matches(given, cp_firms_ref(lam, a, lam, T, sigma, mu))
    np.testing.assert_allclose(cp.firm_profit(lam, lam, given.wage, sigma, mu), 0.0, atol=1e-15)


@pytest.mark.parametrize("sigma,mu", PARAMS)
def test_surplus_firms_stay_idle(sigma, mu):
    """With more firms than λ_r in a region only λ_r operate: the equilibrium is the one
    with n = min(n, λ), and the operating firms there make no profit."""
    lam, a = np.array([0.5, 0.3, 0.2]), np.array([0.2, 0.5, 0.3])
    n = np.array([0.7, 0.1, 0.6])  # surplus in regions 1 and 3, scarce in region 2
    eq = cp.short_run_equilibrium(lam, a, T3, sigma, mu, firms=n)
    capped = cp.short_run_equilibrium(lam, a, T3, sigma, mu, firms=np.minimum(n, lam))
    for field in ("wage", "price_index", "income", "real_wage"):
        np.testing.assert_allclose(getattr(eq, field), getattr(capped, field), rtol=1e-12)
    assert_matches(eq, cp_firms_ref(lam, a, np.minimum(n, lam), T3, sigma, mu))
    profit = cp.firm_profit(lam, n, eq.wage, sigma, mu)
    assert profit[0] == 0.0 and profit[2] == 0.0 and profit[1] > 0.0


def assert_all_finite(eq):
    for field in ("wage", "price_index", "income", "real_wage", "payoff", "potential_wage"):
        assert np.all(np.isfinite(getattr(eq, field))), field


@pytest.mark.parametrize("sigma,mu", PARAMS)
def test_workers_without_firms_earn_nothing(sigma, mu):
    """Region 2 has workers but no firm; region 3 has firms but no workers (all idle)."""
    lam, a = np.array([0.6, 0.4, 0.0]), np.array([0.3, 0.3, 0.4])
    n = np.array([0.5, 0.0, 0.3])
    eq = cp.short_run_equilibrium(lam, a, T3, sigma, mu, firms=n)
    assert_all_finite(eq)
    assert eq.wage[1] == 0.0 and eq.real_wage[1] == 0.0 and eq.payoff[1] == 0.0
    assert eq.potential_wage[1] > 0.0 and eq.wage[0] > 0.0
    ref = cp_firms_ref(lam, a, np.minimum(n, lam), T3, sigma, mu)
    assert_matches(eq, ref)
    # the stranded workers' region spends only its farmers' income
    assert eq.income[1] == pytest.approx((1.0 - mu) * a[1], rel=1e-12)
    profit = cp.firm_profit(lam, n, eq.potential_wage, sigma, mu)
    assert np.all(np.isfinite(profit)) and profit[1] == 0.0 and profit[2] == 0.0

    # no region has both workers and firms: there is no economy to solve
    with pytest.raises(cp.EquilibriumError, match="both workers and firms"):
        cp.short_run_equilibrium(
            np.array([1.0, 0.0]),
            np.array([0.5, 0.5]),
            two(1.5),
            sigma,
            mu,
            firms=np.array([0, 1.0]),
        )


def test_random_states_solve_without_nan_and_clear_the_labour_market():
    """300 random states: 2–6 regions, asymmetric T, firm masses above, below or at the
    workforce, some regions without workers or firms. Every solve converges to finite
    values; the wage equation w^σ = κ Σ_s Y_s φ_rs G_s^(σ-1) and the price index hold at
    the returned Y and G; and the economy-wide budget closes: the wage bills and profits
    of all firms equal total spending on manufactures, μ Σ Y."""
    rng = np.random.default_rng(2024)
    for _ in range(300):
        R = int(rng.integers(2, 7))
        sigma = float(rng.uniform(2.5, 8.0))
        mu = float(rng.uniform(0.05, 0.9 * (sigma - 1) / sigma))
        lam = rng.dirichlet(np.ones(R)) * (rng.random(R) > 0.2)
        if lam.sum() == 0:
            lam[0] = 1.0
        lam /= lam.sum()
        n = lam * rng.uniform(0.0, 2.0, R) * (rng.random(R) > 0.15)
        if not np.any(np.minimum(n, lam) > 0):
            n[np.argmax(lam)] = lam.max()
        a = rng.dirichlet(np.ones(R))
        T = 1.0 + rng.uniform(0.0, 1.5, (R, R))
        np.fill_diagonal(T, 1.0)
        eq = cp.short_run_equilibrium(lam, a, T, sigma, mu, firms=n)
        assert_all_finite(eq)
        operating = np.minimum(n, lam)
        stranded = (lam > 0) & (operating == 0)
        assert np.all(eq.wage[stranded] == 0) and np.all(eq.wage[~stranded] > 0)
        w, G, Y = eq.potential_wage, eq.price_index, eq.income
        phi = T ** (1.0 - sigma)
        b = phi @ (Y * G ** (sigma - 1.0))
        working = operating > 0
        kappa = (sigma - 1.0) * operating[working] / (sigma * lam[working] - operating[working])
        np.testing.assert_allclose(w[working] ** sigma, kappa * b[working], rtol=1e-9)
        empty = lam == 0  # FKV's potential wage, κ = 1
        np.testing.assert_allclose(w[empty] ** sigma, b[empty], rtol=1e-9)
        # G from its definition over the operating firms
        g = (phi.T @ (operating * w ** (1.0 - sigma))) ** (1.0 / (1.0 - sigma))
        np.testing.assert_allclose(G, g, rtol=1e-9)
        # Walras: labour income and profits add up to all spending on manufactures
        earned = mu * w * (sigma * lam - operating) / (sigma - 1.0)
        assert earned[~stranded].sum() == pytest.approx(mu * Y.sum(), rel=1e-9)


# ---------------------------------------------------------------------------------------
# 3. Scenario validation
# ---------------------------------------------------------------------------------------

BASE = {
    "economy": {"model": "cp", "sigma": SIGMA, "mu": MU, "transport_cost": 1.5},
    "regions": {"names": ["North", "South"]},
    "population": {"workers": 10_000, "firms": N0, "initial_shares": [0.55, 0.45]},
    "firms": {"adjustment_speed": 0.02, "entry_exit": True},
    "run": {"steps": 3000, "seed": 1},
}


def scenario_dict(firms="keep", **tables):
    """BASE with tables updated; ``firms=None`` drops the firms table, a dict replaces it."""
    data = copy.deepcopy(BASE)
    if firms is None:
        data.pop("firms")
    elif firms != "keep":
        data["firms"] = firms
    for table, values in tables.items():
        if isinstance(values, dict):
            data.setdefault(table, {}).update(values)
        else:
            data[table] = values
    return data


def scenario(firms="keep", **tables):
    return validate(scenario_dict(firms, **tables))


def test_valid_dual_scenario():
    sc = scenario(firms={"adjustment_speed": 0.3, "relocation_cost": 2.0, "patience": 3})
    assert sc.firms.adjustment_speed == 0.3 and sc.firms.entry_exit is False
    assert scenario(firms=None).firms.adjustment_speed is None


@pytest.mark.parametrize("model", ["fe", "fc"])
def test_adjustment_speed_only_for_cp(model):
    data = scenario_dict(firms={"adjustment_speed": 0.02}, economy={"model": model})
    with pytest.raises(ScenarioError, match=r"firms\.adjustment_speed") as err:
        validate(data, "x.toml")
    assert str(err.value).startswith("x.toml: firms.adjustment_speed:")
    assert "cp" in str(err.value)
    validate(scenario_dict(firms=None, economy={"model": model}))  # fine without it


@pytest.mark.parametrize("firms", [{"entry_exit": True}, {"relocation_cost": 1.0}])
def test_entry_exit_and_relocation_cost_need_adjustment_speed(firms):
    with pytest.raises(ScenarioError, match=r"firms\.adjustment_speed") as err:
        validate(scenario_dict(firms=firms))
    assert len(str(err.value).splitlines()) == 1


@pytest.mark.parametrize("speed", [0, 0.0, 1.5, -0.1])
def test_adjustment_speed_out_of_range(speed):
    with pytest.raises(ScenarioError, match=r"firms\.adjustment_speed"):
        validate(scenario_dict(firms={"adjustment_speed": speed}))


def test_cli_validate_rejects_firm_dynamics_outside_cp(tmp_path: Path, capsys) -> None:
    good = tmp_path / "good.toml"
    good.write_text(tomli_w.dumps(BASE))
    bad = tmp_path / "bad.toml"
    bad.write_text(tomli_w.dumps(scenario_dict(economy={"model": "fc"})))
    assert main(["validate", str(good)]) == 0
    assert capsys.readouterr().out.startswith(f"{good}: ok")
    assert main(["validate", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert len(err.splitlines()) == 1 and "firms.adjustment_speed" in err and str(bad) in err
    # and through --set on a valid file
    assert main(["validate", str(good), "--set", "firms.adjustment_speed=1.5"]) == 2
    assert "firms.adjustment_speed" in capsys.readouterr().err
    assert load_scenario(good, ["firms.adjustment_speed=0.5"]).firms.adjustment_speed == 0.5


# ---------------------------------------------------------------------------------------
# 4–5. Out-of-equilibrium dynamics
# ---------------------------------------------------------------------------------------


def run_model(sc, until=None, on_step=None):
    """Step a model to the end of its run (or ``until`` returns True); ``on_step(model)``
    is called after every step."""
    model = NEGModel(sc)
    while model.running and model.steps < sc.run.steps:
        model.step()
        if on_step is not None:
            on_step(model)
        if until is not None and until(model):
            break
    return model


def steps_to_core_and_final(speed):
    firms = None if speed is None else {"adjustment_speed": speed, "entry_exit": True}
    first = []

    def watch(m):
        if not first and m.shares.max() > 0.9:
            first.append(m.steps)

    model = run_model(scenario(firms=firms), on_step=watch)
    return first[0], model


def test_slower_firms_slow_agglomeration_to_the_same_core():
    speeds = [0.005, 0.02, 0.1, None]  # None: firms follow at once (free entry)
    results = [steps_to_core_and_final(s) for s in speeds]
    firsts = [f for f, _ in results]
    assert all(a > b for a, b in zip(firsts, firsts[1:], strict=False)), firsts
    assert firsts[0] > 2 * firsts[-1]  # a clear delay, not noise
    for speed, (_, model) in zip(speeds, results, strict=True):
        assert model.converged, speed
        np.testing.assert_array_equal(model.worker_counts, [10_000, 0])
        assert np.all(np.abs(model.firm_counts - N0 * model.shares) <= 2), model.firm_counts
        profit = model.firm_profit()
        assert np.all(profit >= 0.0) and np.all(profit < 1e-3)
        assert model.dual == (speed is not None)


def test_whole_firms_do_not_freeze_a_weak_instability():
    """Just below the break point (T = 1.6 < T_B ≈ 1.627) the even spread is only weakly
    unstable. With 1000 lumpy firms, entry up to break-even (the last entrant part-time)
    lets the economy escape as it does under free entry: North becomes the core, with the
    free-entry firm count."""
    common = {
        "economy": {"transport_cost": 1.6},
        "population": {"initial_shares": [0.505, 0.495]},
    }
    free = run_model(scenario(firms=None, **common))
    dual = run_model(scenario(firms={"adjustment_speed": 0.2, "entry_exit": True}, **common))
    for model in (free, dual):
        assert model.converged
        assert model.shares[0] == 1.0
    assert dual.firm_counts.tolist() == [N0, 0]
    assert dual.steps > free.steps  # slower, not different


@pytest.mark.parametrize("start", [0.5, 0.6])
def test_dispersion_above_sustain_point_is_unchanged(start):
    T = 1.9
    assert T > cp.sustain_point(SIGMA, MU).T
    gaps = []

    def track(m):
        gaps.append(np.max(np.abs(m.firm_counts / N0 - m.shares)))

    model = run_model(
        scenario(
            economy={"transport_cost": T},
            population={"initial_shares": [start, 1 - start]},
            run={"steps": 3000, "seed": 2},
        ),
        on_step=track,
    )
    assert model.converged
    assert np.all(np.abs(model.shares - 0.5) < 0.01), model.shares
    assert np.all(np.abs(model.firm_counts / N0 - model.shares) <= 2.0 / N0)
    assert np.all(model.firm_profit() < 1e-3)
    if start == 0.5:
        assert max(gaps) <= 0.01  # never leaves the even spread
    else:
        assert max(gaps) < 0.03  # firm masses track workers on the way


# ---------------------------------------------------------------------------------------
# 6. A firm shock in the dual model
# ---------------------------------------------------------------------------------------


def capture_policy_phase(monkeypatch, at_step):
    """Record the state between the policy phase and the migration of step ``at_step``."""
    seen = {}
    real_migrate = negsim.model.migrate_counts  # interchangeable workers: drawn by place

    def spy(*args, **kwargs):
        model = spy.model
        if model is not None and model.steps == at_step:
            region = model.mobile_region
            seen.update(
                mobile=region.copy(),
                firm_counts=model.firm_counts.copy(),
                worker_counts=np.bincount(region, minlength=model.n_regions),
                eq=model.equilibrium,
                profit=model.firm_profit(),
                exits=model.firm_exits,
            )
        return real_migrate(*args, **kwargs)

    spy.model = None
    monkeypatch.setattr(negsim.model, "migrate_counts", spy)
    return spy, seen


SHOCK = [{"kind": "shock", "start": 400, "region": "North", "share": 0.5}]


def test_firm_shock_closes_firms_not_workers(monkeypatch):
    sc = scenario(policies=SHOCK)
    spy, seen = capture_policy_phase(monkeypatch, 400)
    model = NEGModel(sc)
    spy.model = model
    while model.steps < 399:
        model.step()
    assert model.shares[0] == 1.0 and abs(model.firm_counts[0] - N0) <= 2
    before_workers = model.worker_region.copy()
    before_firms = model.firm_counts.copy()
    before_wage = model.equilibrium.wage.copy()
    model.step()
    assert model.steps == 400

    # policy phase: half of North's firms closed, no worker moved
    closed = int(round(0.5 * before_firms[0]))
    assert seen["exits"] == closed
    np.testing.assert_array_equal(seen["firm_counts"], [before_firms[0] - closed, 0])
    np.testing.assert_array_equal(seen["mobile"], before_workers)

    # the shocked equilibrium: every worker in North with n firms, w = (σ-1)/(σ-n)
    n_before, n_after = before_firms[0] / N0, seen["firm_counts"][0] / N0
    eq = seen["eq"]
    assert eq.wage[0] == pytest.approx((SIGMA - 1) / (SIGMA - n_after), rel=1e-10)
    assert before_wage[0] == pytest.approx((SIGMA - 1) / (SIGMA - n_before), rel=1e-10)
    assert eq.wage[0] / before_wage[0] == pytest.approx(
        (SIGMA - n_before) / (SIGMA - n_after), rel=1e-10
    )
    assert eq.wage[0] < 0.95 * before_wage[0]
    ref = cp_firms_ref([1.0, 0.0], [0.5, 0.5], [n_after, 0.0], two(1.5), SIGMA, MU)
    assert_matches(eq, ref)
    # North's firms now profit: π = μ w (1-n) / ((σ-1) n)
    assert seen["profit"][0] == pytest.approx(ref["profit"][0], rel=1e-8)
    assert seen["profit"][0] == pytest.approx(
        MU * eq.wage[0] * (1 - n_after) / ((SIGMA - 1) * n_after), rel=1e-10
    )
    assert seen["profit"][0] > 0.05
    # the whole step's exits are the shock's (no firm was idle)
    assert model.firm_exits == closed

    while model.running and model.steps < sc.run.steps:
        model.step()
    assert model.converged
    assert model.shares[0] > 0.99
    assert abs(model.firm_counts[0] - N0 * model.shares[0]) <= 2


def test_shock_without_firm_dynamics_displaces_workers(monkeypatch):
    """The contrast: under free entry the same shock moves half of North's workers."""
    sc = scenario(firms=None, policies=SHOCK)
    spy, seen = capture_policy_phase(monkeypatch, 400)
    model = NEGModel(sc)
    spy.model = model
    while model.steps < 399:
        model.step()
    assert model.worker_counts[0] == 10_000
    model.step()
    np.testing.assert_array_equal(seen["worker_counts"], [5000, 5000])
    assert seen["exits"] == 0


# ---------------------------------------------------------------------------------------
# 7. Entry and exit bookkeeping
# ---------------------------------------------------------------------------------------


def firm_agents(model):
    return {a.unique_id: a for a in model.agents_by_type[Firm]}


def test_entry_exit_bookkeeping():
    sc = scenario(firms={"adjustment_speed": 0.05, "entry_exit": True, "patience": 3})
    model = NEGModel(sc)
    R, names = model.n_regions, model.region_names
    ids = set(firm_agents(model))
    entries = exits = 0
    entrants_by_region = np.zeros(R, dtype=int)
    while model.running and model.steps < sc.run.steps:
        total_before = int(model.firm_counts.sum())
        model.step()
        alive = np.flatnonzero(model.firm_region < R)
        now = firm_agents(model)
        assert len(now) == alive.size == model.firm_counts.sum() == len(model.firms)
        assert sorted(a.index for a in now.values()) == alive.tolist()
        np.testing.assert_array_equal(
            np.bincount(model.firm_region, minlength=R + 1)[:R], model.firm_counts
        )
        np.testing.assert_array_equal(
            [sum(a.region == name for a in now.values()) for name in names], model.firm_counts
        )
        assert np.all(model.firm_region <= R)  # R marks a closed slot, nothing else
        assert not model._idle()[model.firm_region == R].any()
        new = [now[i] for i in now.keys() - ids]
        gone = ids - now.keys()
        assert len(new) == model.firm_entries and len(gone) == model.firm_exits
        assert model.firm_counts.sum() == total_before + model.firm_entries - model.firm_exits
        for agent in new:  # entrants sit where they were put, and only where profits beckon
            assert agent.region == names[model.firm_region[agent.index]]
            assert model.entry_streak[agent.region_index] >= sc.firms.patience
            entrants_by_region[agent.region_index] += 1
        ids = set(now)
        del now, new
        entries += model.firm_entries
        exits += model.firm_exits
    vars_ = model.datacollector.get_model_vars_dataframe()
    assert int(vars_["firm_entries"].sum()) == entries
    assert int(vars_["firm_exits"].sum()) == exits
    assert entries > 0 and exits > 0  # both happened: South emptied, North filled up
    assert entrants_by_region[0] > 0  # entrants went to the growing core
    assert model.converged and model.shares[0] == 1.0
    assert (model.firm_region == R).sum() > 0  # closed slots remain, uncounted
    assert model.firm_counts.sum() == N0 - exits + entries


# ---------------------------------------------------------------------------------------
# 8. Spatial sorting (Baldwin & Okubo 2006)
# ---------------------------------------------------------------------------------------


def test_productive_firms_sort_into_the_core():
    early, at_core = [], []
    for seed in (1, 2, 3):
        sc = scenario(
            firms={"productivity": "lognormal", "dispersion": 0.5, "adjustment_speed": 0.05},
            population={"initial_shares": [0.51, 0.49]},
            run={"steps": 3000, "seed": seed},
        )
        model = NEGModel(sc)
        mp = model.mean_productivity()
        early.append(mp[0] - mp[1])
        model = run_model(sc, until=lambda m: m.shares.max() > 0.75)
        assert model.shares.max() > 0.75
        core = int(model.shares.argmax())
        assert core == 0
        mp = model.mean_productivity()
        at_core.append(mp[core] - mp[1 - core])
    early, at_core = np.array(early), np.array(at_core)
    assert np.all(np.abs(early) < 0.1), early
    assert early.min() < 0 < early.max(), early  # no systematic sign before sorting
    assert np.all(at_core > 0.15), at_core


# ---------------------------------------------------------------------------------------
# 9. Reproducibility and outputs
# ---------------------------------------------------------------------------------------

HETERO_DUAL = {
    "productivity": "lognormal",
    "dispersion": 0.5,
    "adjustment_speed": 0.05,
    "entry_exit": True,
}


def test_same_seed_same_run_in_dual_mode():
    sc = scenario(firms=HETERO_DUAL, run={"steps": 400, "seed": 7})
    a, b = negsim.run(sc), negsim.run(sc)
    pd.testing.assert_frame_equal(a.timeseries, b.timeseries)
    assert a.summary == b.summary
    assert "firm_profit" in a.timeseries.columns
    assert "mean_productivity" in a.timeseries.columns
    other = negsim.run(sc, seed=8)
    assert not a.timeseries.equals(other.timeseries)

    m1, m2 = run_model(sc), run_model(sc)
    np.testing.assert_array_equal(m1.firm_region, m2.firm_region)
    np.testing.assert_array_equal(m1.firm_productivity, m2.firm_productivity)
    assert m1.steps == m2.steps
    # firms closed and entered; closed slots count neither as firms nor for productivity
    closed = m1.firm_region == m1.n_regions
    flows = m1.datacollector.get_model_vars_dataframe()
    assert flows["firm_exits"].sum() > 0 and flows["firm_entries"].sum() > 0
    assert int(a.timeseries["firms"].iloc[-2:].sum()) == (~closed).sum()
    for r in range(m1.n_regions):
        mine = m1.firm_productivity[m1.firm_region == r]
        assert m1.firm_counts[r] == mine.size
        if mine.size:
            assert m1.mean_productivity()[r] == pytest.approx(mine.mean(), rel=1e-12)


def test_firm_profit_column_only_in_dual_mode():
    dual = negsim.run(scenario(run={"steps": 60, "seed": 1}))
    default = negsim.run(scenario(firms=None, run={"steps": 60, "seed": 1}))
    assert "firm_profit" in dual.timeseries.columns
    assert "firm_profit" not in default.timeseries.columns
    # the recorded profit is the formula's at the recorded state
    ts = dual.timeseries
    for _, rows in ts.groupby("step"):
        lam = rows["share"].to_numpy()
        n = rows["firms"].to_numpy() / N0
        expected = cp.firm_profit(lam, n, rows["wage"].to_numpy(), SIGMA, MU)
        stranded = (lam > 0) & (n == 0)
        np.testing.assert_allclose(
            rows["firm_profit"].to_numpy()[~stranded], expected[~stranded], rtol=1e-12
        )
    assert (ts["firm_profit"] > 0).any()


# ---------------------------------------------------------------------------------------
# 10. Relocation cost
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("cost", [50.0, 0.0])
def test_relocation_cost_freezes_firms(cost):
    sc = scenario(
        firms={"adjustment_speed": 0.02, "relocation_cost": cost}, run={"steps": 300, "seed": 1}
    )
    counts, moves, firm_moves = [], [], []

    def track(m):
        counts.append(m.firm_counts.copy())
        moves.append(m.moves)
        firm_moves.append(m.firm_moves)

    model = run_model(sc, on_step=track)
    counts = np.array(counts)
    assert sum(moves) > 50  # workers move either way
    assert model.firm_entries == 0 and model.firm_exits == 0
    assert np.all(counts.sum(axis=1) == N0)  # no entry or exit
    if cost > 0:
        assert np.all(counts == [550, 450]) and sum(firm_moves) == 0
    else:
        assert sum(firm_moves) > 100 and counts[-1, 0] > 900


def test_shipped_plant_closures_scenario_reports_its_firm_flows():
    """core_plant_closures: 30% of the core's 1000 firms close at step 50; the summary
    accounts for every firm that closed or entered, and the core is lost (even spread)."""
    path = Path(__file__).resolve().parents[1] / "scenarios" / "core_plant_closures.toml"
    result = negsim.run(path)
    flows = result.summary["firm_dynamics"]
    assert flows["exits"] >= 300  # the shock's closures, and idle firms that gave up
    assert sum(flows["final_firms"].values()) == N0 + flows["entries"] - flows["exits"]
    assert result.summary["regime"] == "dispersed" and result.summary["converged"]
    assert max(abs(p) for p in flows["final_firm_profit"].values()) < 1e-3
    ts = result.timeseries.set_index(["step", "region"])["firms"]
    assert ts[(49, "Core")] == N0 and ts[(50, "Core")] < 0.75 * N0
    free_entry = negsim.run(path.with_name("two_region_clustering.toml"))
    assert "firm_dynamics" not in free_entry.summary


def test_shares_plot_draws_the_firms_lag_dashed():
    from negsim.plots import plot_shares

    dual = negsim.run(scenario(run={"steps": 300, "seed": 1}))
    ax = plot_shares(dual).axes[0]
    dashed = [line for line in ax.lines if line.get_linestyle() == "--" and len(line.get_xdata())]
    assert len(dashed) == 2  # one firms' share per region
    ts = dual.timeseries
    north = ts[ts["region"] == "North"]
    firm_share = north["firms"].to_numpy() / ts.groupby("step")["firms"].sum().to_numpy()
    np.testing.assert_allclose(dashed[0].get_ydata(), firm_share)
    assert "dashed" in ax.get_ylabel()
    free = negsim.run(scenario(firms=None, run={"steps": 300, "seed": 1}))
    ax = plot_shares(free).axes[0]
    assert not [line for line in ax.lines if line.get_linestyle() == "--"]
