"""The economy registry and the narrow interfaces around the model: every economy is
reached through ``negsim.economies.get``, the model's seed has one source of truth, and
policies act through ``Schedule.effects``."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import negsim
from negsim import economies
from negsim.economies import cp, fc, fe, linear, ql
from negsim.economies.base import EquilibriumError
from negsim.geography import racetrack
from negsim.policies import UNCHANGED, Schedule
from negsim.scenario import ScenarioError, load_scenario

BASE = Path(__file__).resolve().parents[1] / "scenarios" / "two_region_clustering.toml"


def test_registry_lists_every_economy_and_refuses_unknown_names():
    assert economies.NAMES == ("cp", "fe", "fc", "cpvl", "ql", "linear")
    assert {name: e.mobile.name for name, e in economies.REGISTRY.items()} == {
        "cp": "workers",
        "fe": "entrepreneurs",
        "fc": "capital",
        "cpvl": "industry",
        "ql": "skilled workers",
        "linear": "skilled workers",
    }
    assert economies.with_housing() == ["cp"] and economies.with_firm_dynamics() == ["cp"]
    assert economies.with_input_share() == ["cpvl"]
    with pytest.raises(ValueError, match=r"unknown economy 'xx' \(cp, fe, fc, cpvl, ql, linear\)"):
        economies.get("xx")


@pytest.mark.parametrize("seed", range(3))
def test_the_interface_passes_every_argument_to_the_economy(seed):
    rng = np.random.default_rng(seed)
    lam, a, h = (rng.dirichlet(np.ones(6)) for _ in range(3))
    T = racetrack(6, 1.4)
    direct = {
        "cp": cp.short_run_equilibrium(lam, a, T, 5.0, 0.4, housing_share=0.1, housing=h),
        "fe": fe.short_run_equilibrium(lam, a, T, 5.0, 0.4),
        "fc": fc.short_run_equilibrium(lam, a, T, 5.0, 0.4),
        "ql": ql.short_run_equilibrium(lam, a, T, 5.0, 0.4),
        "linear": linear.short_run_equilibrium(
            lam, a, T - 1.0, economies.get("linear").demand(0.4)
        ),
    }
    for name, expected in direct.items():
        economy = economies.get(name)
        eta = 0.1 if economy.has_housing else 0.0
        solve = economy.solver(a, T, 5.0, 0.4, housing_share=eta, housing=h)
        got = solve(lam)
        np.testing.assert_array_equal(got.real_wage, expected.real_wage)
        np.testing.assert_array_equal(got.payoff, expected.payoff)


def test_closed_form_economies_refuse_what_they_do_not_model():
    lam, a, T = np.array([0.6, 0.4]), np.array([0.5, 0.5]), np.array([[1.0, 1.5], [1.5, 1.0]])
    for name in ("fe", "fc", "ql", "linear"):
        economy = economies.get(name)
        with pytest.raises(EquilibriumError, match="firm masses"):
            economy.equilibrium(lam, a, T, 5.0, 0.4, firms=np.array([0.5, 0.5]))
        with pytest.raises(EquilibriumError, match="housing"):
            economy.equilibrium(lam, a, T, 5.0, 0.4, housing_share=0.1)
        mu = 0.1 if name == "linear" else 0.4  # linear's no-black-hole bound is mu ≈ 0.245
        with pytest.raises(ValueError, match="housing share"):
            economy.check(5.0, mu, housing_share=0.1)


def test_scenario_checks_ask_the_economy():
    with pytest.raises(ScenarioError, match=r"economy\.mu: no-black-hole condition \(fe\)"):
        load_scenario(BASE, ['economy.model="fe"', "economy.sigma=1.5", "economy.mu=0.6"])
    with pytest.raises(ScenarioError, match="housing_share is only available with model 'cp'"):
        load_scenario(BASE, ['economy.model="fc"', "economy.housing_share=0.1"])
    with pytest.raises(ScenarioError, match="firms.adjustment_speed: only for economy.model"):
        load_scenario(BASE, ['economy.model="fe"', "firms.adjustment_speed=0.1"])


def test_the_seed_has_one_source_of_truth():
    scenario = load_scenario(BASE, ["run.steps=5", "population.workers=200"])
    model = negsim.NEGModel(scenario, seed=5)
    assert model.seed == model.spec.run.seed == 5
    assert negsim.NEGModel(scenario).seed == scenario.run.seed == 42
    a = negsim.run(scenario, seed=5)
    b = negsim.run(scenario.with_seed(5))
    assert a.summary == b.summary and a.scenario.run.seed == 5
    assert a.timeseries.equals(b.timeseries)


def test_policies_act_through_their_effects():
    scenario = load_scenario(
        BASE,
        [
            "run.steps=5",
            'policies=[{kind="transport_cost", start=3, value=1.2}, '
            '{kind="registration", region="North", start=2, blocked=true}, '
            '{kind="shock", region="South", start=3, share=0.5}]',
        ],
    )
    schedule = Schedule(scenario)
    costs = schedule.transport_costs(0)
    quiet = schedule.effects(1, costs)
    assert quiet.events == [] and quiet.transport_costs is None and quiet.shocks == []
    assert quiet.migration_costs is None  # registration policies set it: frictionless now
    blocked = schedule.effects(2, costs).migration_costs
    assert blocked is not UNCHANGED and blocked[1, 0] == np.inf and blocked[0, 1] == 0.0
    fired = schedule.effects(3, costs)
    assert fired.events == ["transport_cost@3", "shock@3"]
    assert fired.transport_costs[0, 1] == 1.2 and fired.shocks == [(1, 0.5)]
    assert schedule.effects(4, fired.transport_costs).transport_costs is None  # no change
    assert Schedule(load_scenario(BASE)).effects(1, costs).migration_costs is UNCHANGED
