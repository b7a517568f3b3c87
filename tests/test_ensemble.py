"""Ensembles (``negsim.ensemble``) against the single-run path, and the place-by-place draw
of interchangeable agents (``rules.migrate_counts``) against its mean-field twin."""

from __future__ import annotations

import copy
import subprocess
import sys

import numpy as np
import pytest
import tomli_w

from negsim.economies import cp
from negsim.economies.base import EquilibriumError, trade_freeness
from negsim.ensemble import Ensemble, run_ensemble, unsupported
from negsim.geography import two_region
from negsim.rules import mean_field_drift, migrate_counts, relocate_movers
from negsim.runner import run
from negsim.scenario import load_scenario, validate
from negsim.shipped import path as shipped_path
from negsim.sweeps.execute import run_sweep

BASE = load_scenario(shipped_path("scenarios", "two_region_clustering")).model_dump(mode="json")


def scenario(**changes):
    """two_region_clustering with dotted-key changes, small and quick."""
    data = copy.deepcopy(BASE)
    data["population"].update(workers=800, firms=80)
    data["run"]["steps"] = 600
    for key, value in changes.items():
        *path, last = key.split(".")
        node = data
        for part in path:
            node = node.setdefault(part, {})
        node[last] = value
    return validate(data, "test")


# --- the draw ------------------------------------------------------------------------------
def test_migrate_counts_expected_change_is_the_mean_field_drift():
    """E[Δλ] of the place-by-place draw is ``mean_field_drift`` (with migration costs):
    the mean over 20,000 draws lies within 4 standard errors of it in every place."""
    counts = np.array([[500, 300, 200]])
    u = np.array([[0.0, 0.03, -0.02]])
    cost = np.array([[[0.0, 0.01, 0.0], [0.0, 0.0, 0.02], [0.005, 0.0, 0.0]]])
    speed, response = np.array([0.3]), np.array([6.0])
    rng = np.random.default_rng(7)
    changes = []
    for _ in range(20_000):
        _, origin, destination = migrate_counts(counts, u, speed, response, [rng], cost)
        changes.append(np.bincount(destination, minlength=3) - np.bincount(origin, minlength=3))
    changes = np.array(changes) / counts.sum()
    expected = mean_field_drift(counts[0] / counts.sum(), u[0], 0.3, 6.0, cost[0])
    error = changes.std(axis=0) / np.sqrt(len(changes))
    assert np.all(np.abs(changes.mean(axis=0) - expected) < 4 * error)
    assert np.all(np.abs(expected) > 10 * error)  # the drift is resolved, not just noise


def test_migrate_counts_moves_from_r_to_s_with_probability_alpha_p_over_r_minus_1():
    """Moves r → s average n_r α p(r→s)/(R-1) (a reconsidering agent's candidate is uniform
    among the other places), and never go where nothing is gained."""
    counts = np.array([[400, 400, 400, 400]])
    u = np.array([[0.0, 0.05, 0.1, 0.02]])
    speed, response = 0.5, 4.0
    rng = np.random.default_rng(11)
    flows = np.zeros((4, 4))
    trials = 5_000
    for _ in range(trials):
        _, origin, destination = migrate_counts(
            counts, u, np.array([speed]), np.array([response]), [rng]
        )
        np.add.at(flows, (origin, destination), 1)
    gain = u[0][None, :] - u[0][:, None]
    p = np.minimum(1.0, response * np.maximum(gain, 0.0))
    expected = 400 * speed * p / 3
    assert np.all(flows[expected == 0] == 0)
    mean = flows / trials
    sd = np.sqrt(400 * (speed * p / 3) * (1 - speed * p / 3) / trials)
    nonzero = expected > 0
    assert np.all(np.abs(mean[nonzero] - expected[nonzero]) < 4 * sd[nonzero])


def test_stacked_runs_draw_what_each_run_draws_alone():
    """Runs stacked draw, run by run, the numbers each draws alone (same seed)."""
    k, places = 5, 3
    gen = np.random.default_rng(0)
    counts = gen.integers(50, 500, size=(k, places))
    u = gen.normal(0, 0.05, size=(k, places))
    speed, response = gen.uniform(0.05, 0.5, k), gen.uniform(1, 20, k)
    cost = gen.uniform(0, 0.02, size=(k, places, places))
    run_of, origin, destination = migrate_counts(
        counts, u, speed, response, [np.random.default_rng(s) for s in range(k)], cost
    )
    for i in range(k):
        _, o, d = migrate_counts(
            counts[i : i + 1],
            u[i : i + 1],
            speed[i : i + 1],
            response[i : i + 1],
            [np.random.default_rng(i)],
            cost[i : i + 1],
        )
        np.testing.assert_array_equal(origin[run_of == i], o)
        np.testing.assert_array_equal(destination[run_of == i], d)


@pytest.mark.parametrize("places", [2, 7])
def test_relocate_movers_moves_exactly_the_drawn_numbers_uniformly(places):
    """The counts change by the movers exactly; movers come from their origins; each agent
    of a place is equally likely to be the one who moves."""
    gen = np.random.default_rng(places)
    region0 = gen.integers(0, places, 3000).astype(np.int8)
    origin = np.sort(gen.integers(0, places, 40))
    destination = (origin + 1) % places
    chosen = np.zeros(region0.size)
    trials = 2_000
    rng = np.random.default_rng(1)
    for _ in range(trials):
        region = region0.copy()
        relocate_movers(region, origin, destination, rng)
        moved = region != region0
        np.testing.assert_array_equal(
            np.bincount(region, minlength=places),
            np.bincount(region0, minlength=places)
            + np.bincount(destination, minlength=places)
            - np.bincount(origin, minlength=places),
        )
        assert moved.sum() == origin.size
        chosen += moved
    n_r = np.bincount(region0, minlength=places)
    k_r = np.bincount(origin, minlength=places)
    expected = (k_r / n_r)[region0]
    sd = np.sqrt(expected * (1 - expected) / trials)
    assert np.all(np.abs(chosen / trials - expected) < 5 * sd + 1e-12)


# --- the stacked equilibrium -----------------------------------------------------------------
@pytest.mark.parametrize("places", [2, 4])
def test_short_run_equilibria_are_the_single_solves_bit_for_bit(places):
    gen = np.random.default_rng(places)
    k = 60
    sigma = gen.uniform(3, 8, k)
    mu = gen.uniform(0.1, 0.6, k) * (sigma - 1) / sigma
    eta = np.where(gen.random(k) < 0.3, gen.uniform(0.05, 0.2, k), 0.0)
    lam = gen.dirichlet(np.ones(places), k)
    lam[::5, 0] = 0.0  # empty places: FKV's potential wage
    lam /= lam.sum(axis=1, keepdims=True)
    farmers, housing = gen.dirichlet(np.ones(places), k), gen.dirichlet(np.ones(places), k)
    steps = np.abs(np.subtract.outer(np.arange(places), np.arange(places)))
    T = np.array([t**steps for t in gen.uniform(1.05, 2.5, k)])
    phi = np.array([trade_freeness(T[i], sigma[i]) for i in range(k)])
    wage0 = gen.uniform(0.8, 1.2, (k, places))
    for start in (None, wage0):
        eq, failed = cp.short_run_equilibria(lam, farmers, phi, sigma, mu, eta, housing, start)
        assert not failed.any()
        for i in range(k):
            one = cp.short_run_equilibrium(
                lam[i],
                farmers[i],
                T[i],
                sigma[i],
                mu[i],
                housing_share=eta[i],
                housing=housing[i],
                wage0=None if start is None else start[i],
                phi=phi[i],
            )
            for field in ("wage", "price_index", "income", "real_wage", "price_level"):
                np.testing.assert_array_equal(getattr(eq, field)[i], getattr(one, field))
            assert eq.iterations[i] == one.iterations and eq.residual[i] == one.residual


def test_short_run_equilibria_flag_the_runs_the_single_solve_refuses():
    """A run out of the floating-point range or short of iterations is flagged, the others
    solve; the single solve raises for exactly those."""
    sigma = np.array([5.0, 400.0, 5.0])
    T = [two_region(1.5), two_region(3.0), two_region(1.5)]
    phi = np.array([trade_freeness(t, s) for t, s in zip(T, sigma, strict=True)])
    lam = np.array([[0.5, 0.5], [0.9, 0.1], [0.9, 0.1]])
    half = np.full((3, 2), 0.5)
    args = (lam, half, phi, sigma, np.full(3, 0.4), np.zeros(3), half)
    _, failed = cp.short_run_equilibria(*args)
    np.testing.assert_array_equal(failed, [False, True, False])
    _, failed = cp.short_run_equilibria(*args, max_iter=1)
    assert failed[2]
    with pytest.raises(EquilibriumError):
        cp.short_run_equilibrium(lam[1], half[1], T[1], 400.0, 0.4, phi=phi[1])
    with pytest.raises(EquilibriumError):
        cp.short_run_equilibrium(lam[2], half[2], T[2], 5.0, 0.4, phi=phi[2], max_iter=1)


# --- whole runs --------------------------------------------------------------------------
MIX = [
    {},
    {"economy.transport_cost": 1.9, "population.initial_shares": [1.0, 0.0]},
    {"economy.transport_cost": 1.7, "economy.mu": 0.3, "run.seed": 3},
    {"economy.housing_share": 0.1, "population.initial_perturbation": 0.05},
    {"regions.amenities": [1.02, 1.0], "economy.transport_cost": 1.8},
    {"frictions.registration": [{"region": "North", "cost": 0.01}]},
    {
        "frictions.registration": [{"region": "South", "cost": 0.05}],
        "policies": [{"kind": "registration", "start": 40, "region": "South", "cost": 0.0}],
    },
    {"policies": [{"kind": "transport_cost", "start": 30, "value": 2.2}]},
    {"policies": [{"kind": "subsidy", "start": 5, "end": 90, "regions": ["South"], "rate": 0.1}]},
    {"policies": [{"kind": "spillover", "start": 1, "end": 50, "bonus": 0.2}]},
    {"run.stop_when_converged": False, "run.steps": 150},
]


def test_an_ensemble_is_run_by_run_the_single_path():
    """Final shares, real wages, steps and settling of every run equal NEGModel's (the
    runner's) exactly, on a mix of parameters, initial shares and policies."""
    scenarios = [scenario(**changes) for changes in MIX]
    assert all(unsupported(s) is None for s in scenarios)
    for result, sc in zip(run_ensemble(scenarios), scenarios, strict=True):
        alone = run(sc).summary
        np.testing.assert_array_equal(result.shares, list(alone["final_shares"].values()))
        np.testing.assert_array_equal(result.real_wage, list(alone["final_real_wages"].values()))
        assert (result.steps, result.converged) == (alone["steps"], alone["converged"])
    assert {r.converged for r in run_ensemble(scenarios)} == {True, False}
    narrow = Ensemble(scenarios, width=3).run()  # rows taken over by waiting runs
    for wide, row in zip(run_ensemble(scenarios), narrow, strict=True):
        np.testing.assert_array_equal(wide.shares, row.shares)
        assert (wide.steps, wide.converged) == (row.steps, row.converged)


def test_an_ensemble_of_racetrack_places_is_the_single_path():
    """More than two places (candidates drawn): 6 places on a racetrack."""
    racetrack = load_scenario(shipped_path("scenarios", "racetrack_12")).model_dump(mode="json")
    racetrack["regions"] = {"names": [f"P{i}" for i in range(6)]}
    racetrack["population"].update(workers=1200, firms=120)
    racetrack["run"]["steps"] = 300
    scenarios = [
        validate({**racetrack, "run": {**racetrack["run"], "seed": seed}}, "ring")
        for seed in (1, 2)
    ]
    for result, sc in zip(run_ensemble(scenarios), scenarios, strict=True):
        alone = run(sc).summary
        np.testing.assert_array_equal(result.shares, list(alone["final_shares"].values()))
        assert result.steps == alone["steps"]


def test_an_ensemble_across_a_border_is_the_single_path(tmp_path):
    """A border policy (two groups of a places table) closes and reopens trade mid-run."""
    (tmp_path / "towns.csv").write_text(
        "name,lat,lon,population,group\n"
        "A1,50.0,8.0,300000,West\nA2,50.5,9.0,200000,West\n"
        "B1,50.2,10.5,250000,East\nB2,51.0,11.5,150000,East\n"
    )
    data = load_scenario(shipped_path("scenarios", "two_region_clustering")).model_dump(
        mode="json", exclude_none=True
    )
    data.pop("regions")
    data["economy"].pop("transport_cost")
    data["geography"] = {
        "kind": "places",
        "places": str(tmp_path / "towns.csv"),
        "routes": "direct",
        "cost": "exponential",
        "cost_per_distance": 0.002,
    }
    data["regions"] = {"farmer_shares": "population"}
    data["population"].update(workers=900, firms=90, initial_shares="population")
    data["run"]["steps"] = 400
    scenarios = []
    for seed, extra in ((1, {"closed": True}), (2, {"factor": 1.5})):
        border = {"kind": "border", "start": 20, "end": 120, "groups": ["West", "East"]}
        data["run"]["seed"], data["policies"] = seed, [border | extra]
        path = tmp_path / f"border_{seed}.toml"
        path.write_text(tomli_w.dumps(data))
        scenarios.append(load_scenario(path))
    for result, sc in zip(run_ensemble(scenarios), scenarios, strict=True):
        alone = run(sc).summary
        np.testing.assert_array_equal(result.shares, list(alone["final_shares"].values()))
        assert (result.steps, result.converged) == (alone["steps"], alone["converged"])
        (without,) = run_ensemble([sc.model_copy(update={"policies": []})])
        assert result.steps != without.steps or not np.array_equal(result.shares, without.shares)


def test_chains_step_beside_other_runs_as_they_would_one_after_another():
    """``follow``: each run of a chain starts from the final shares of the one before it;
    two chains and a lone run share two rows and give what each run gives alone; a follower
    that does not fit the ensemble is refused."""
    path = [1.9, 1.7, 1.5, 1.7, 1.9]
    firsts = [scenario(**{"economy.transport_cost": path[0], "run.seed": s}) for s in (1, 2)]
    lone = scenario(**{"economy.transport_cost": 1.6, "run.seed": 9})
    step_of = {0: 0, 1: 0}  # a chain run's place on the path
    previous = {}  # a chain run's index -> the index of the run before it

    def follow(index, result):
        k = step_of.get(index)
        if k is None or k + 1 == len(path):
            return None
        shares = [float(x) for x in result.shares]
        changes = {"economy.transport_cost": path[k + 1], "run.seed": 100 + index}
        after = scenario(**changes, **{"population.initial_shares": shares})
        step_of[len(ensemble.scenarios)] = k + 1
        previous[len(ensemble.scenarios)] = index
        return after

    ensemble = Ensemble([*firsts, lone], width=2, follow=follow)
    results = ensemble.run()
    assert len(results) == 3 + 2 * (len(path) - 1)
    for index, result in enumerate(results):
        alone = run(ensemble.scenarios[index]).summary
        np.testing.assert_array_equal(result.shares, list(alone["final_shares"].values()))
        assert (result.steps, result.converged) == (alone["steps"], alone["converged"])
    for index, before in previous.items():
        start = ensemble.scenarios[index].population.initial_shares
        np.testing.assert_array_equal(start, results[before].shares)

    def misfit(index, result):
        return scenario(**{"solver.max_iter": 7}) if index == 0 else None

    with pytest.raises(ValueError, match="does not fit"):
        Ensemble([firsts[0]], follow=misfit).run()


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"behaviour.noise": 0.05}, "taste noise"),
        ({"policies": [{"kind": "shock", "start": 5, "region": "North", "share": 0.3}]}, "shock"),
        ({"firms.productivity": "lognormal", "firms.dispersion": 0.3}, "heterogeneous firms"),
        ({"firms.adjustment_speed": 0.1}, "own speed"),
        ({"economy.model": "fe"}, "no stacked solver"),
    ],
)
def test_what_an_ensemble_does_not_take_is_named(changes, reason):
    sc = scenario(**changes)
    assert reason in unsupported(sc)
    with pytest.raises(ValueError, match="not for an ensemble"):
        Ensemble([sc])


def test_a_sweep_gives_the_same_rows_with_and_without_ensembles():
    """Ensembles where they apply, single runs where they do not (taste noise), the same
    rows either way: parameters, initial shares and policies varied."""
    base = copy.deepcopy(BASE)
    base["population"].update(workers=600, firms=60)
    base["run"]["steps"] = 400
    base["policies"] = [
        {"kind": "subsidy", "start": 5, "end": 80, "regions": ["South"], "rate": 0.05}
    ]
    sweep = {
        "sweep": {"seed": 5},
        "base": base,
        "parameters": {
            "economy.transport_cost": [1.5, 1.9],
            "population.initial_shares": [[0.51, 0.49], [0.8, 0.2]],
            "policies.0.rate": [0.02, 0.1],
            "behaviour.noise": [0.0, 0.02],
        },
    }
    together = run_sweep(sweep, workers=1).runs
    alone = run_sweep(sweep, workers=1, ensemble=False).runs
    columns = [c for c in together.columns if c != "wall_time"]
    assert len(together) == 16 and together["error"].isna().all()
    assert together[columns].astype(str).equals(alone[columns].astype(str))


def test_the_ensemble_does_not_import_mesa():
    """A batch of runs needs no Mesa (nor pandas): the engine is numpy."""
    code = "import sys, negsim.ensemble; print('mesa' in sys.modules, 'pandas' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]
