"""Heterogeneous agents, migration frictions and policy timelines (what an ABM adds)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import negsim
from negsim.economies import cp, fc
from negsim.frictions import cost_matrix
from negsim.policies import Schedule
from negsim.scenario import ScenarioError, load_scenario

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
TWO = SCENARIOS / "two_region_clustering.toml"


def run(*overrides, seed=1, workers=10_000, steps=3000):
    sc = load_scenario(TWO, [f"population.workers={workers}", f"run.steps={steps}", *overrides])
    return negsim.run(sc, seed=seed)


def final_shares_along(Ts, noise):
    return np.array(
        [
            run(f"economy.transport_cost={T}", f"behaviour.noise={noise}").summary["final_shares"][
                "North"
            ]
            for T in Ts
        ]
    )


def test_taste_heterogeneity_turns_the_jump_into_a_smooth_transition():
    """Murata (2003) for the CP model (Tabuchi & Thisse 2002 in the linear model): without
    taste heterogeneity the final share jumps from full agglomeration to the even spread
    at the break point; with enough heterogeneity
    (here ν = 0.035, below the level 0.04 = max slope/4 at which the even spread would
    never break) it falls smoothly and agglomeration is only partial."""
    Ts = np.linspace(1.3, 1.75, 10)
    sharp = final_shares_along(Ts, 0.0)
    smooth = final_shares_along(Ts, 0.035)
    assert np.max(np.abs(np.diff(sharp))) > 0.45  # the catastrophe
    t_b = cp.break_point(5.0, 0.4).T
    jump = int(np.argmax(np.abs(np.diff(sharp))))
    assert Ts[jump] < t_b < Ts[jump + 1]
    assert np.max(np.abs(np.diff(smooth))) < 0.05
    assert 0.55 < smooth[0] < 0.8  # partial agglomeration at the lowest T
    assert np.all(np.diff(smooth) < 0.01)  # falls (weakly) as T rises
    # the threshold itself: heterogeneity ν keeps the even spread stable iff ν > slope/4
    assert max(cp.symmetric_slope(T, 5.0, 0.4) for T in Ts) / 4 == pytest.approx(0.04, abs=0.002)


def test_migration_cost_prevents_agglomeration_from_a_near_even_start():
    free = run().summary
    costly = run("frictions.migration_cost=0.002").summary
    assert free["regime"] == "agglomerated"
    # near the even spread the real-wage gain (~0.0016 in logs) is below the cost
    assert costly["regime"] == "dispersed" and costly["converged"]
    assert costly["final_shares"]["North"] == pytest.approx(0.51)


def test_migration_cost_delays_agglomeration():
    def steps_to_core(summary_ts):
        north = summary_ts[summary_ts["region"] == "North"]
        return int(north[north["share"] >= 0.9]["step"].min())

    free = steps_to_core(run("population.initial_shares=[0.6, 0.4]").timeseries)
    slow = steps_to_core(
        run("population.initial_shares=[0.6, 0.4]", "frictions.migration_cost=0.005").timeseries
    )
    assert slow > free + 10


def test_registration_barrier_blocks_moves_into_a_region():
    """South pays more and would become the core; blocking entry to it freezes the map."""
    open_ = run("population.initial_shares=[0.45, 0.55]").summary
    result = run(
        "population.initial_shares=[0.45, 0.55]",
        'frictions.registration=[{region = "South", blocked = true}]',
    )
    south = result.timeseries.query("region == 'South'")["workers"].to_numpy()
    assert open_["core"] == "South" and open_["largest_share"] > 0.99
    assert np.all(south == south[0])  # nobody moves in, and nobody wants to move out
    assert result.summary["converged"]


def test_registration_reform_lets_the_core_grow():
    """A hukou-style barrier on entering North keeps the economy even; lifting it at step
    200 lets North grow into the core."""
    barrier = 'frictions.registration=[{region = "North", cost = 0.05}]'
    reform = 'policies=[{kind = "registration", start = 200, region = "North", cost = 0.0}]'
    kept = run("population.initial_shares=[0.55, 0.45]", barrier).summary
    reformed = run("population.initial_shares=[0.55, 0.45]", barrier, reform)
    assert kept["largest_share"] < 0.6
    ts = reformed.timeseries
    assert ts.query("step == 199 and region == 'North'")["share"].item() < 0.6
    assert reformed.summary["core"] == "North" and reformed.summary["largest_share"] > 0.99
    assert set(ts.query("step == 200")["policy_events"]) == {"registration@200"}


def test_frictions_cost_matrix():
    sc = load_scenario(
        TWO,
        [
            "frictions.migration_cost=0.01",
            'frictions.pair_costs=[{between = ["North", "South"], cost = 0.02}]',
            'frictions.registration=[{region = "North", cost = 0.1}]',
        ],
    )
    np.testing.assert_allclose(cost_matrix(sc), [[0.0, 0.03], [0.13, 0.0]])
    assert cost_matrix(load_scenario(TWO)) is None


def test_transport_cut_flips_dispersion_to_clustering_and_raising_it_back_does_not_undo_it():
    """Hysteresis: at T = 1.7 (between the break and the sustain point) a near-even economy
    stays even; a cut to 1.5 (below the break point) at step 50 makes it cluster; raising T
    back to 1.7 at step 600 leaves the core in place."""
    policies = (
        'policies=[{kind = "transport_cost", start = 50, value = 1.5}, '
        '{kind = "transport_cost", start = 600, value = 1.7, name = "road tolls back"}]'
    )
    baseline = run("economy.transport_cost=1.7").summary
    result = run("economy.transport_cost=1.7", policies)
    ts = result.timeseries
    assert baseline["regime"] == "dispersed"
    assert ts.query("step == 49")["share"].max() < 0.52
    assert ts.query("step == 599")["share"].max() > 0.99
    assert result.summary["regime"] == "agglomerated" and result.summary["steps"] > 600
    assert set(ts.query("step == 600")["policy_events"]) == {"road tolls back"}
    last = ts[ts["step"] == ts["step"].max()]
    assert last["active_policies"].iloc[0] == "transport_cost@50;road tolls back"


def test_gradual_transport_policy_ramps_linearly():
    sc = load_scenario(
        TWO, ['policies=[{kind = "transport_cost", start = 10, end = 20, value = 1.3}]']
    )
    schedule = Schedule(sc)
    assert schedule.transport_costs(5)[0, 1] == pytest.approx(1.5)
    assert schedule.transport_costs(15)[0, 1] == pytest.approx(1.4)
    assert schedule.transport_costs(20)[0, 1] == pytest.approx(1.3)
    assert schedule.transport_costs(99)[0, 1] == pytest.approx(1.3)


def test_link_policy_improves_one_road_and_every_route_through_it():
    sc = load_scenario(
        SCENARIOS / "racetrack_12.toml",
        ['policies=[{kind = "transport_cost", start = 1, between = ["R01", "R07"], value = 1.2}]'],
    )
    before, after = Schedule(sc).transport_costs(0), Schedule(sc).transport_costs(1)
    assert before[0, 6] == pytest.approx(1.9**6) and after[0, 6] == pytest.approx(1.2)
    assert after[1, 7] == pytest.approx(1.9 * 1.2 * 1.9)  # R02 → R01 → R07 → R08


def test_subsidy_is_budget_balanced_and_tips_an_even_economy():
    sc = load_scenario(
        TWO,
        ['policies=[{kind = "subsidy", start = 10, end = 300, regions = ["South"], rate = 0.05}]'],
    )
    shares, reward = np.array([0.6, 0.4]), np.array([1.1, 0.9])
    factor = Schedule(sc).payoff_factor(10, shares, reward, shares)
    tax = 0.05 * 0.4 * 0.9 / (0.6 * 1.1 + 0.4 * 0.9)
    np.testing.assert_allclose(factor, [1 - tax, 1.05 - tax])
    # who pays: revenue from the tax equals the subsidy bill
    assert np.dot(shares * reward, factor - 1) == pytest.approx(0.0, abs=1e-15)
    result = run(
        "economy.transport_cost=1.7",
        "population.initial_shares=[0.5, 0.5]",
        'policies=[{kind = "subsidy", start = 10, end = 300, regions = ["South"], rate = 0.05}]',
    )
    assert result.summary["core"] == "South"  # and it stays after the subsidy ends


def test_shock_closes_a_share_of_firms():
    result = run(
        "economy.transport_cost=1.5",
        'policies=[{kind = "shock", start = 100, region = "North", share = 0.5}]',
    )
    ts = result.timeseries
    north_before = ts.query("step == 99 and region == 'North'")
    north_after = ts.query("step == 100 and region == 'North'")
    assert north_after["firms"].item() == pytest.approx(north_before["firms"].item() / 2, abs=25)
    assert north_after["workers"].item() < north_before["workers"].item() * 0.55


def test_spillover_bonus_turns_a_lead_into_a_core():
    """At T = 1.7 a 0.6/0.4 lead decays back to the even spread; with knowledge
    spillovers (payoff × (1 + 0.2 × firm share)) the leader becomes the core."""
    plain = run("economy.transport_cost=1.7", "population.initial_shares=[0.6, 0.4]").summary
    spill = run(
        "economy.transport_cost=1.7",
        "population.initial_shares=[0.6, 0.4]",
        'policies=[{kind = "spillover", start = 1, bonus = 0.2}]',
    ).summary
    assert plain["regime"] == "dispersed"
    assert spill["core"] == "North" and spill["largest_share"] > 0.99


def test_sorting_most_productive_firms_move_to_the_bigger_market_first():
    """Baldwin & Okubo (2006), footloose capital with heterogeneous firms (profits scale
    with a^(σ-1)): starting from an even split, firms flow into the bigger market
    (60% of spending) and the most productive go first, so once the home-market
    equilibrium is reached the core's mean productivity exceeds the periphery's; before,
    it does not."""
    result = run(
        "economy.model=fc",
        "economy.transport_cost=1.3",
        "regions.farmer_shares=[0.6, 0.4]",
        "population.initial_shares=[0.5, 0.5]",
        "population.firms=4000",
        'firms.productivity="lognormal"',
        "firms.dispersion=0.5",
        "frictions.migration_cost=0.01",
    )
    ts = result.timeseries.set_index(["step", "region"])
    start = ts.loc[0, "mean_productivity"]
    end = ts.loc[ts.index.get_level_values(0).max(), "mean_productivity"]
    assert abs(start["North"] - start["South"]) < 0.05
    assert end["North"] > end["South"] + 0.2
    target = fc.equilibrium_share(0.6, 1.3 ** (1 - 5.0))
    assert result.summary["final_shares"]["North"] == pytest.approx(target, abs=0.05)
    # the first firms to move were the most productive
    first = ts.loc[20, "mean_productivity"]["North"]
    assert first > start["North"] + 0.1


def test_bad_policies_are_clear_errors():
    cases = {
        'policies=[{kind = "subsidy", start = 5, rate = 0.1}]': "needs regions",
        'policies=[{kind = "shock", start = 5, region = "Nowhere", share = 0.5}]': "unknown",
        'policies=[{kind = "transport_cost", start = 9, end = 3, value = 1.2}]': "before start",
        'policies=[{kind = "teleport", start = 1}]': "kind",
        'frictions.registration=[{region = "Atlantis", cost = 0.1}]': "unknown region",
    }
    for override, fragment in cases.items():
        with pytest.raises(ScenarioError) as err:
            load_scenario(TWO, [override])
        assert fragment in str(err.value) and "\n" not in str(err.value)
