"""Rest points and hysteresis loops of the two-region agent model (negsim.experiments)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import negsim
from negsim.experiments import hysteresis_loop, rest_points, variant
from negsim.scenario import ScenarioError

BASE = Path(__file__).resolve().parents[1] / "scenarios" / "two_region_clustering.toml"


def small(*overrides):
    return negsim.load_scenario(BASE, ["population.workers=2000", "run.steps=3000", *overrides])


def test_rest_points_follow_the_thresholds_and_are_reproducible():
    table = rest_points(small(), [1.5, 2.0], starts=[0.55, 0.97], seed=11)
    assert list(table.columns) == [
        "transport_cost",
        "start",
        "share",
        "regime",
        "steps",
        "converged",
    ]
    assert table[["transport_cost", "start"]].values.tolist() == [
        [1.5, 0.55],
        [1.5, 0.97],
        [2.0, 0.55],
        [2.0, 0.97],
    ]
    assert table["converged"].all()
    # T = 1.5 < T_B: both starts end in a North core; T = 2.0 > T_S: both disperse
    assert table["regime"].tolist() == ["agglomerated"] * 2 + ["dispersed"] * 2
    np.testing.assert_allclose(table["share"], [1.0, 1.0, 0.5, 0.5], atol=0.01)
    again = rest_points(small(), [1.5, 2.0], starts=[0.55, 0.97], seed=11)
    assert again.equals(table)


def test_hysteresis_loop_chains_runs_down_and_back_up():
    loop = hysteresis_loop(small("population.initial_shares=[0.5, 0.5]"), [1.5, 1.9, 1.7], seed=5)
    assert loop["leg"].tolist() == ["falling T"] * 3 + ["rising T"] * 2
    assert loop["transport_cost"].tolist() == [1.9, 1.7, 1.5, 1.7, 1.9]
    # each run starts where the previous settled, plus the 1% shock to North (capped at 1)
    assert loop["start"].iloc[0] == pytest.approx(0.51)
    expected = np.minimum(1.0, loop["share"].to_numpy()[:-1] + 0.01)
    np.testing.assert_allclose(loop["start"].to_numpy()[1:], expected)
    # the path matters: at T = 1.7 the falling leg is dispersed, the rising leg keeps the core
    at = loop.set_index(["leg", "transport_cost"])["regime"]
    assert at[("falling T", 1.7)] == "dispersed"
    assert at[("rising T", 1.7)] == "agglomerated"
    assert at[("rising T", 1.9)] == "dispersed"  # above T_S the core dissolves
    assert set(loop["region"]) == {"North"} and set(loop["sigma"]) == {5.0}


def test_experiment_arguments_are_checked():
    with pytest.raises(ValueError, match="at least two distinct"):
        hysteresis_loop(small(), [1.7, 1.7])
    with pytest.raises(ValueError, match="shock must be in"):
        hysteresis_loop(small(), [1.5, 1.7], shock=-0.1)
    with pytest.raises(ScenarioError, match="economy.transport_cost"):
        variant(small(), 0.5, 0.5)  # T < 1 is not an iceberg cost
