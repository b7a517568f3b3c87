"""Invariants of every step of ``NEGModel`` over random valid scenarios, extremes included.

Hypothesis draws scenarios across every economy in the registry (cp with and without
housing and own-speed firms, fe, fc), every geography kind, σ from just above 1 to large,
μ from near 0 to near its no-black-hole limit, T from 1 to very large, 2 to ~40 places (a
few explicit runs at 2,000), from 1 mobile agent up, with and without noise, frictions,
heterogeneous firms and policies. After every step:

- agents are conserved: the workers always, the firms up to the recorded entries and exits;
- the mobile factor's shares lie in [0, 1] and sum to 1, and match the agents' own regions;
- wages, price indices and real wages are finite and positive (0 only for cp workers no
  operating firm employs);
- the markets clear: Walras' law (an identity of each economy's equations, computed here
  from the recorded wages alone) and, in cp, the wage equation recomputed from the
  transport costs (FKV 1999, eqs. 5.1–5.4) hold to the solver's tolerance.

A validated scenario must run to the end: an ``EquilibriumError`` fails the property, except
in the economies listed in ``UNSOLVED`` (whose solvers still fail on some validated corners),
where it must be one line and most drawn scenarios must still run. Never NaN, a numpy
warning or another exception; and every economy must run ``MIN_EXAMPLES`` scenarios.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict

import numpy as np
import pytest
from hypothesis import HealthCheck, given, reject, settings
from hypothesis import strategies as st

from negsim import economies
from negsim.economies import ql
from negsim.economies.base import EquilibriumError
from negsim.economies.fcvl import INPUT_SHARE_MAX
from negsim.model import NEGModel
from negsim.runner import summarise
from negsim.scenario import ScenarioError, validate

QL_SIGMA_FLOOR = 1.0075
"""ql's σ_min(μ) at T_max = 1 meets its no-black-hole bound μ < (σ-1)/(2σ-1) at σ = 1.00701:
below it no μ is admissible (``ql.sigma_min``)."""

KINDS = ("two_region", "racetrack", "line", "grid", "network", "matrix")
WITH_T = ("two_region", "racetrack", "line", "grid")


# --- independent checks --------------------------------------------------------------------
def walras_gap(model: NEGModel) -> float:
    """Relative gap of each economy's adding-up identity at the recorded equilibrium.

    cp (FKV 1999 ch. 5, free entry): manufacturing earnings μ Σ λ w equal spending on
    manufactures μ Σ Y; with the housing share η (rents returned, Y = (μλw + (1-μ)a)/(1-η))
    that gives Σ_r λ_r w_r = (1-μ)/(1-μ-η). fe and fc (Baldwin et al. 2003 ch. 3–4): the
    mobile factor's rewards are 1/σ of all spending on manufactures,
    Σ λ π = (μ/σ) Σ E, with E = (1-μ)a + λπ (fe) or E = (1-μ)a/(1-μ/σ) (fc). cpvl (FKV
    ch. 14): the industrial wage bill μ Σ λ w is the share 1-α of firms' sales, which equal
    spending on varieties μ Σ Y + α·sales; with Y = a + μλ(w-1) that gives Σ_r λ_r w_r = 1.
    ql (Pflüger 2004): μ firms earn 1/σ of spending μ Σ N = μ, so Σ λ π = 1/σ.
    fcvl (Baldwin et al. 2003 ch. 8): sales σ Σ λ π equal spending on manufactures,
    consumers' μ((1-μ) + Σ λ π) plus the firms' inputs α(σ-1) Σ λ π, so
    Σ λ π = μ(1-μ)/(σ(1-c) - μ), c = α(σ-1)/σ.
    The gap is divided by the multiplier of the income loop, 1/(1 - μ/(1-η)) in cp and
    1/(1 - μ/σ) in fe, which amplifies the solver's residual (near μ + η = 1 it is ~10⁴).
    """
    econ = model.spec.economy
    mu, sigma, eta = econ.mu, econ.sigma, econ.housing_share
    lam, eq = model.shares, model.equilibrium
    paid = float(np.sum(lam * eq.wage))
    b = mu / sigma
    if econ.model == "cp":
        expected, multiplier = (1.0 - mu) / (1.0 - mu - eta), (1.0 - eta) / (1.0 - mu - eta)
    elif econ.model == "fe":
        expected, multiplier = b * (1.0 - mu) / (1.0 - b), 1.0 / (1.0 - b)
    elif econ.model == "cpvl":  # firms' sales μΣλw/(1-α) = μΣY + α·(the same sales)
        expected, multiplier = 1.0, 1.0
    elif econ.model == "fcvl":
        c = (mu if econ.input_share is None else econ.input_share) * (sigma - 1.0) / sigma
        expected, multiplier = mu * (1.0 - mu) / (sigma * (1.0 - c) - mu), 1.0
    elif econ.model == "ql":
        expected, multiplier = 1.0 / sigma, 1.0
    elif econ.model == "linear":  # every region's profit, not only the total
        expected = linear_profits(model)
        scale = max(float(np.max(expected)), 1e-300)
        return float(np.max(np.abs(eq.wage - expected))) / scale
    else:
        expected, multiplier = b * (1.0 - mu) / (1.0 - b), 1.0
    return abs(paid - expected) / expected / multiplier


def linear_profits(model: NEGModel) -> np.ndarray:
    """Operating profits of a firm in each region of the linear economy (Ottaviano, Tabuchi &
    Thisse 2002), market by market from the consumer's first-order conditions
    α - (β-γ) q_r - γ Q = p_r: a negligible firm facing q = (α - γQ - p)/(β-γ) charges
    p = (α - γQ + τ)/2, so Q = (m α - Σ n τ)/(2(β-γ) + γ m) over the m firms that sell, the
    nearest sellers first (they sell while the choke price α - γQ exceeds their cost), and
    profit Σ_s M_s (α - γQ_s - τ_rs)²/(4(β-γ))."""
    econ = model.spec.economy
    demand = model.economy.demand(econ.mu)
    alpha, slope = demand.alpha, demand.beta - demand.gamma
    lam, a = model.shares, model.farmers
    tau = np.asarray(model.transport_costs) - 1.0
    n, residents = demand.L * lam, demand.L * lam + demand.A * a
    profit = np.zeros(lam.size)
    for s in range(lam.size):
        order = [r for r in np.argsort(tau[:, s], kind="stable") if n[r] > 0]
        choke, m, cost = alpha, 0.0, 0.0
        for r in order:
            if not tau[r, s] < choke:
                break
            m, cost = m + n[r], cost + n[r] * tau[r, s]
            choke = alpha - demand.gamma * (m * alpha - cost) / (2 * slope + demand.gamma * m)
        margin = np.clip(choke - tau[:, s], 0.0, None)
        profit += residents[s] * margin**2 / (4 * slope)
    return profit


def cp_wage_residual(model: NEGModel) -> float:
    """max |ln W_r - ln w_r| of FKV's (1999) eqs. (5.1)–(5.4), written out from T itself:
    Y_s = (μ λ_s w_s + (1-μ) a_s)/(1-η), G_s^(1-σ) = Σ_k λ_k (w_k T_ks)^(1-σ),
    W_r^σ = Σ_s Y_s G_s^(σ-1) T_rs^(1-σ) — evaluated at the potential wages."""
    econ = model.spec.economy
    mu, sigma, eta = econ.mu, econ.sigma, econ.housing_share
    lam, a, T = model.shares, model.farmers, np.asarray(model.transport_costs)
    w = np.asarray(model.equilibrium.potential_wage)
    income = (mu * lam * w + (1.0 - mu) * a) / (1.0 - eta)
    with np.errstate(over="ignore"):  # w T beyond the float range: (w T)^(1-σ) = 0
        g_pow = (lam[:, None] * (w[:, None] * T) ** (1.0 - sigma)).sum(0)
    wanted = ((income / g_pow)[None, :] * T ** (1.0 - sigma)).sum(1)
    return float(np.max(np.abs(np.log(wanted) / sigma - np.log(w))))


def check_step(model: NEGModel, firms_before: int) -> int:
    """Assert every invariant of the model's current step; return the open firms."""
    spec = model.spec
    n_workers = spec.population.workers
    assert int(model.worker_counts.sum()) == n_workers == model.worker_region.size
    firms_now = int(model.firm_counts.sum())
    if model.own_speed is None:
        assert firms_now == spec.population.firms
    else:
        assert firms_now == firms_before + model.firm_entries - model.firm_exits
        assert firms_now == int(np.count_nonzero(model.firm_region < model.n_regions))
    mobile = model.firm_counts if model.firms_move else model.worker_counts
    n_mobile = model.mobile_region.size
    assert np.array_equal(np.bincount(model.mobile_region, minlength=model.n_regions), mobile)
    shares = model.shares
    assert np.all((shares >= 0) & (shares <= 1))
    assert abs(shares.sum() - 1.0) <= 1e-12
    assert np.allclose(shares, mobile / n_mobile, rtol=0, atol=1e-15)

    eq = model.equilibrium
    for name in ("price_index", "real_wage", "income"):
        values = np.asarray(getattr(eq, name))
        assert np.all(np.isfinite(values)), name
    assert np.all(eq.price_index > 0)
    assert np.all(eq.income >= 0) and eq.income.sum() > 0
    potential = eq.wage if eq.potential_wage is None else eq.potential_wage
    assert np.all(np.isfinite(potential) & (potential >= 0))
    # a reward is positive exactly where some spending can reach the region (Σ_s φ_rs E_s > 0;
    # it is 0 where nobody lives nearby and every other place is beyond the float range)
    sigma = spec.economy.sigma
    if spec.economy.model == "linear":  # a linear cost trades only below a choke price, so
        # only a region's own market is sure to buy (Ottaviano, Tabuchi & Thisse 2002)
        reachable = eq.income > 0
        assert np.all(potential[reachable] > 0)
    else:
        reachable = np.asarray(model.transport_costs) ** (1.0 - sigma) @ eq.income > 0
        assert np.all(potential[reachable] > 0) and np.all(potential[~reachable] == 0)
    stranded = (eq.wage == 0) & reachable  # cp: workers no operating firm employs
    assert np.all((eq.wage > 0) | ~reachable | (stranded & (model.own_speed is not None)))
    # a real wage w G^(-μ) is 0 only where w is, or where it underflows (below e^-700)
    assert np.all(eq.real_wage >= 0)
    with np.errstate(divide="ignore"):
        tiny = np.log(eq.wage) - spec.economy.mu * np.log(eq.price_index) < -700
    assert np.all((eq.real_wage > 0) | (eq.wage == 0) | tiny)

    tol = spec.solver.tol
    assert eq.residual <= max(tol, 1e-9)
    if model.own_speed is None:
        assert walras_gap(model) < 1e-8
        if spec.economy.model == "cp":
            assert cp_wage_residual(model) < 1e-8
    return firms_now


def run_checked(scenario, steps: int | None = None, may_fail: bool = False) -> bool:
    """Build and step the model, checking every step; True once it ran to the end. A
    validated scenario must run: an EquilibriumError fails unless ``may_fail``, and is one
    line even then (False)."""
    try:
        model = NEGModel(scenario)
        firms = int(model.firm_counts.sum())
        firms = check_step(model, firms)
        for _ in range(steps or scenario.run.steps):  # on past convergence too
            model.step()
            firms = check_step(model, firms)
        summary = summarise(model)
    except EquilibriumError as exc:
        assert "\n" not in str(exc) and str(exc)
        if not may_fail:
            raise
        return False
    json.dumps(summary, allow_nan=False)  # summary.json stays valid JSON
    assert len(model.workers) == scenario.population.workers
    return True


OUTCOMES: defaultdict[str, Counter] = defaultdict(Counter)
"""Per economy, how many drawn scenarios ran to the end (True) or raised (False)."""

MIN_EXAMPLES = 10
"""Scenarios each economy must run to the end. Hypothesis's sample is not fixed by
``derandomize`` alone: it draws constants from the source of the modules loaded, so it moves
with the code and with the tests run beside this one (measured under five import sets:
18 to 94 complete runs per economy)."""

UNSOLVED = {"cp": 0.6, "cpvl": 0.6, "fcvl": 0.6}
"""Economies whose solvers still fail on some validated scenarios, with the share of drawn
scenarios that must run (measured: cp 71 % to 91 %, cpvl 87 % to 100 %). cp: Newton's line
search stalls at σ = 120 with a housing share of 0.43, at σ = 10 with μ = 0.9 on a grid, at
T ~ 1e26; own-speed firms can all exit. cpvl: Newton stalls or does not converge near
σ = 1.1 with trade freeness ~1e-15 and at α = 0.98, σ = 90. fcvl: its price index
overflows at σ = 1.016, α = 0.94, T = 1e150 (as ql's did before ``ql.sigma_min``), and
its rewards come out non-positive at σ = 8, α = 0.475. Every other economy must run every
drawn scenario (ql since validation asks σ ≥ ``ql.sigma_min``)."""


# --- random valid scenarios ------------------------------------------------------------------
def _fraction(draw, lo=1e-4, hi=0.9999):
    return draw(
        st.one_of(
            st.floats(lo, 0.01),
            st.floats(0.01, 0.99),
            st.floats(0.99, hi),
        )
    )


def _shares(draw, n: int) -> list[float] | None:
    kind = draw(st.sampled_from(["even", "random", "corner"]))
    if kind == "even":
        return None
    if kind == "corner":
        out = [0.0] * n
        out[draw(st.integers(0, n - 1))] = 1.0
        return out
    raw = np.array(draw(st.lists(st.floats(0.0, 1.0), min_size=n, max_size=n))) + 1e-3
    return list(raw / raw.sum())


@st.composite
def scenarios(draw):
    model = draw(st.sampled_from(economies.NAMES))
    economy = economies.get(model)
    sigma = draw(
        st.one_of(
            st.floats(QL_SIGMA_FLOOR if model == "ql" else 1.001, 1.1),
            st.floats(1.1, 10.0),
            st.floats(10.0, 200.0),
            st.sampled_from([1_000.0] if model == "ql" else [1.0001, 1_000.0]),
        )
    )
    limit = {
        "linear": 0.25,  # its no-black-hole bound is near 0.245 (validation redraws above it)
        "cp": (sigma - 1.0) / sigma,
        "fe": min(1.0, sigma - 1.0),
        "ql": (sigma - 1.0) / (2.0 * sigma - 1.0),
    }.get(model, 1.0)
    own_alpha = model == "fcvl" and draw(st.booleans())
    if model == "fcvl" and not own_alpha:  # the input share is μ
        limit = INPUT_SHARE_MAX
    mu = limit * _fraction(draw)
    # costs up to trade freeness T_max^(1-σ) = 1e-200, the lowest validation admits (#16)
    budget = min(300.0, 200.0 / (sigma - 1.0))  # log10 of T_max
    if model == "ql":  # σ ≥ ql.sigma_min(μ, T_max): μ ≥ 10^(-308(σ-1)) at T_max = 1, and the
        # largest cost leaves log10(1/μ)/(σ-1) + log10 T_max ≤ 308 (the price index)
        lowest = 10.0 ** (-ql.LOG10_PRICE_INDEX_MAX * (sigma - 1.0))
        mu = lowest + (limit - lowest) * _fraction(draw)
        budget = min(budget, ql.LOG10_PRICE_INDEX_MAX - np.log10(1.0 / mu) / (sigma - 1.0))
    econ = {"model": model, "sigma": sigma, "mu": mu}
    if model == "cpvl":  # below the black hole α < (σ-1)/σ
        econ["input_share"] = (sigma - 1.0) / sigma * _fraction(draw, 1e-4, 0.999)
    elif own_alpha:
        econ["input_share"] = INPUT_SHARE_MAX * _fraction(draw)
    if economy.has_housing and draw(st.booleans()):
        econ["housing_share"] = (1.0 - mu) * _fraction(draw, 1e-4, 0.999)

    kind = draw(st.sampled_from(KINDS))
    geography: dict = {"kind": kind}
    if kind == "two_region":
        n = 2
    elif kind == "grid":
        rows, cols = draw(st.integers(1, 6)), draw(st.integers(2, 6))
        geography.update(rows=rows, cols=cols)
        n = rows * cols
    else:
        n = draw(st.integers(2, 40 if kind in ("racetrack", "line") else 8))
    names = [f"P{i}" for i in range(n)]
    at = st.sampled_from([0.0, 0.001, 0.5, 0.999])  # where in [1, T_max], log scale
    if kind in WITH_T:
        steps = {"two_region": 1, "racetrack": n // 2, "line": n - 1}.get(kind)
        steps = steps or geography["rows"] + geography["cols"] - 2
        econ["transport_cost"] = draw(
            st.one_of(
                st.just(1.0),
                st.floats(1.0, 1.1),
                st.floats(1.1, 10.0),
                at.map(lambda x: 10.0 ** (x * budget / steps)),
            )
        )
    elif kind == "network":
        links = [{"between": [names[i - 1], names[i]], "distance": 1.0} for i in range(1, n)]
        for _ in range(draw(st.integers(0, 3))):
            i, j = draw(st.integers(0, n - 1)), draw(st.integers(0, n - 1))
            if i != j:
                links.append(
                    {"between": [names[i], names[j]], "distance": draw(st.floats(0.01, 50.0))}
                )
        geography.update(
            links=links,
            cost=draw(st.sampled_from(["exponential", "linear"])),
            cost_per_distance=draw(st.floats(1e-3, 20.0)),
        )
    else:
        big = 10.0 ** (budget * draw(st.sampled_from([0.005, 0.5, 0.999])))
        upper = [[draw(st.floats(1.0, big)) for _ in range(n)] for _ in range(n)]
        geography["matrix"] = [
            [1.0 if r == s else upper[min(r, s)][max(r, s)] for s in range(n)] for r in range(n)
        ]

    if kind != "matrix" and n > 2 and draw(st.booleans()):  # a new road, re-chained
        i, j = draw(st.integers(0, n - 1)), draw(st.integers(0, n - 1))
        if i != j:
            geography["link_overrides"] = [
                {
                    "between": [names[i], names[j]],
                    "transport_cost": draw(st.floats(1.0, 10.0 ** min(6.0, budget))),
                }
            ]
    regions: dict = {"names": names}
    if draw(st.booleans()):
        regions["farmer_shares"] = _shares(draw, n) or [1.0 / n] * n
        if min(regions["farmer_shares"]) == 0 and draw(st.booleans()):
            regions["farmer_shares"] = [1.0 / n] * n
    if model in economies.with_input_share():  # μ below every region's labour share
        econ["mu"] = min(regions.get("farmer_shares") or [1.0 / n]) * _fraction(draw)
    if econ.get("housing_share") and draw(st.booleans()):
        regions["housing"] = _shares(draw, n) or [1.0 / n] * n
        if min(regions["housing"]) <= 0:
            del regions["housing"]

    population = {
        "workers": draw(st.one_of(st.just(2), st.integers(2, 3000))),
        "firms": draw(st.one_of(st.just(1), st.integers(1, 400))),
    }
    start = _shares(draw, n)
    if start is not None:
        population["initial_shares"] = start
    if draw(st.booleans()):
        population["initial_perturbation"] = draw(st.floats(0.0, 0.99))

    behaviour = {
        "adjustment_speed": draw(st.floats(0.01, 1.0)),
        "noise": draw(st.one_of(st.just(0.0), st.floats(1e-3, 10.0))),
        "response": draw(st.one_of(st.floats(0.1, 100.0), st.just(1e6))),
    }
    frictions: dict = {}
    if draw(st.booleans()):
        frictions["migration_cost"] = draw(st.floats(0.0, 10.0))
    if draw(st.booleans()):
        frictions["registration"] = [
            {"region": draw(st.sampled_from(names)), "cost": 1.0, "blocked": draw(st.booleans())}
        ]

    firms: dict = {}
    productivity = draw(st.sampled_from(["none", "lognormal", "pareto"]))
    if productivity != "none":
        firms["productivity"] = productivity
        firms["dispersion"] = draw(st.floats(0.01, 0.95 if productivity == "pareto" else 5.0))
    if economy.has_firm_dynamics and draw(st.booleans()):
        firms["adjustment_speed"] = draw(st.floats(0.01, 1.0))
        firms["entry_exit"] = draw(st.booleans())
        firms["relocation_cost"] = draw(st.floats(0.0, 100.0))
        firms["patience"] = draw(st.integers(1, 5))

    steps = draw(st.integers(1, 25))
    policies = []
    for _ in range(draw(st.integers(0, 2))):
        policy_kind = draw(
            st.sampled_from(["transport_cost", "registration", "subsidy", "shock", "spillover"])
        )
        policy: dict = {"kind": policy_kind, "start": draw(st.integers(1, steps))}
        if policy_kind == "transport_cost":
            policy["value"] = draw(st.floats(1.0, 20.0))
            if kind not in WITH_T:
                policy["between"] = names[:2]
            if draw(st.booleans()):
                policy["end"] = policy["start"] + draw(st.integers(0, 10))
        elif policy_kind == "registration":
            policy.update(region=draw(st.sampled_from(names)), blocked=draw(st.booleans()))
        elif policy_kind == "subsidy":
            policy.update(regions=[draw(st.sampled_from(names))], rate=draw(st.floats(0.01, 1)))
        elif policy_kind == "shock":
            policy.update(region=draw(st.sampled_from(names)), share=draw(st.floats(0.01, 1)))
        else:
            policy["bonus"] = draw(st.floats(0.01, 10.0))
        policies.append(policy)

    data = {
        "name": "invariants",
        "economy": econ,
        "geography": geography,
        "regions": regions,
        "population": population,
        "behaviour": behaviour,
        "frictions": frictions,
        "firms": firms,
        "policies": policies,
        "run": {"steps": steps, "seed": draw(st.integers(0, 2**32)), "convergence_window": 5},
    }
    try:  # the few draws beyond validation's ranges (e.g. a network's exp(τ d)) are redrawn
        return validate(data, "<hypothesis>")
    except ScenarioError:
        reject()


@settings(
    max_examples=400,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
    ],
)
@given(scenarios())
def _every_step_keeps_the_invariants(scenario):
    model = scenario.economy.model
    ran = run_checked(scenario, may_fail=model in UNSOLVED)
    OUTCOMES[model][ran] += 1


def test_every_step_keeps_the_invariants(monkeypatch):
    """The property over every economy, then proof that it was exercised: each economy ran
    enough scenarios to the end, and (where failures are tolerated, ``UNSOLVED``) most of
    those it drew. Hypothesis also draws constants it finds in the source of the modules
    loaded (``providers._get_local_constants``), which would make the sample depend on what
    else the session imported: without them, ``derandomize`` fixes it."""
    from hypothesis.internal.conjecture import providers

    monkeypatch.setattr(providers, "_get_local_constants", providers.Constants, raising=False)
    OUTCOMES.clear()
    _every_step_keeps_the_invariants()
    for model in economies.NAMES:
        ran, failed = OUTCOMES[model][True], OUTCOMES[model][False]
        assert ran >= MIN_EXAMPLES, (model, ran, failed)
        assert ran >= UNSOLVED.get(model, 1.0) * (ran + failed), (model, ran, failed)


def _large(model: str, kind: str, n: int, T: float, steps: int):
    geography = {"kind": kind}
    if kind == "grid":
        geography.update(rows=n // 50, cols=50)
    return validate(
        {
            "name": "large",
            "economy": {"model": model, "sigma": 5.0, "mu": 0.4, "transport_cost": T},
            "geography": geography,
            "regions": {"count": n},
            "population": {"workers": 2 * n, "firms": 2 * n, "initial_perturbation": 0.5},
            "run": {"steps": steps, "seed": 1},
        }
    )


@pytest.mark.parametrize(
    "model,kind,n,T,steps",
    [
        ("fc", "racetrack", 2000, 1.01, 2),
        ("fe", "line", 2000, 1.05, 1),  # 1.05^1999 ≈ 1e42: trade freeness 1e-170, near the limit
        ("cp", "grid", 2000, 1.02, 1),
    ],
)
def test_two_thousand_places_keep_the_invariants(model, kind, n, T, steps):
    run_checked(_large(model, kind, n, T, steps))


# --- what the invariants found, pinned down ------------------------------------------------
def test_a_cost_beyond_the_float_range_is_infinite_and_means_no_trade():
    from negsim.geography import line

    T = line(200, 100.0)  # 100^199 overflows: no warning, an infinite cost
    assert np.isinf(T[0, -1]) and T[0, 1] == 100.0
    assert T[0, -1] ** (1.0 - 5.0) == 0.0


def test_cp_whose_empty_region_reaches_no_firm_raises_one_line_not_nan():
    from negsim.economies import cp
    from negsim.geography import line

    shares = np.r_[1.0, np.zeros(199)]
    with pytest.raises(EquilibriumError, match="floating-point range") as err:
        cp.short_run_equilibrium(shares, np.full(200, 1 / 200), line(200, 100.0), 5.0, 0.4)
    assert "\n" not in str(err.value)


def test_sustain_ratio_where_t_to_the_sigma_overflows_matches_high_precision():
    from decimal import Decimal, getcontext

    from negsim.economies import cp

    getcontext().prec = 50
    for sigma, mu, T in [(400.0, 0.3, 10.0), (1000.0, 0.9, 3.0), (5.0, 0.4, 1e100)]:
        t, s, m = Decimal(T), Decimal(sigma), Decimal(mu)
        exact = t ** (-m) * ((1 + m) / 2 * t ** (1 - s) + (1 - m) / 2 * t ** (s - 1)) ** (1 / s)
        assert cp.sustain_ratio(T, sigma, mu) == pytest.approx(float(exact), rel=1e-12)


def test_fe_residual_is_relative_where_an_empty_place_would_earn_a_fortune():
    from negsim.economies import fe
    from negsim.geography import racetrack

    shares = np.r_[1.0, np.zeros(25)]
    eq = fe.short_run_equilibrium(shares, np.full(26, 1 / 26), racetrack(26, 4.67), 2.64, 0.006)
    assert eq.wage.max() > 1e9  # an entrepreneur alone far away would sell to everybody
    assert eq.residual < 1e-12
