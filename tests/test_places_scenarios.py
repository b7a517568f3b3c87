"""The source-region scenarios on the shipped tables of real places (issue #12, item 5): each
answers its header's policy question against the same scenario without its policies."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import negsim
from negsim.runner import run
from negsim.scenario import load_scenario

PLACES = Path(__file__).resolve().parents[1] / "scenarios" / "places"


def _with_and_without(name: str, sets: list[str] | None = None):
    path = PLACES / name
    sets = sets or []
    return run(load_scenario(path, sets)), run(load_scenario(path, [*sets, "policies=[]"]))


def test_baoji_spillovers_keep_the_titanium_firms_in_baoji_against_xian():
    """Header: with the programme the firms stay in Baoji (0.93); without it they leave for
    Xi'an's bigger market (Xi'an 0.83, Baoji under 0.01)."""
    scenario = load_scenario(PLACES / "baoji_titanium_cluster.toml")
    assert scenario.geography.places.endswith("guanzhong_tianshui.csv")
    assert len(scenario.region_names) == 13
    assert scenario.initial_shares()[scenario.region_names.index("Baoji")] == 1.0
    programme, none = _with_and_without("baoji_titanium_cluster.toml")
    kept, left = programme.summary["final_shares"], none.summary["final_shares"]
    assert programme.summary["core"] == "Baoji" and kept["Baoji"] > 0.9
    assert kept["Xi’an"] < 0.1
    assert none.summary["core"] == "Xi’an" and left["Xi’an"] > 0.75
    assert left["Baoji"] < 0.05
    assert kept["Baoji"] - left["Baoji"] > 0.85
    assert programme.summary["regime"] == scenario.expected_regime


def test_a_temporary_town_subsidy_near_xianyang_leaves_no_lasting_cluster():
    """Header: while paid, 8 of the 16 firms move to Tongchuan (the stand-in for Taicun);
    after the subsidy they leave, and Tongchuan ends with no more firms than without it."""
    scenario = load_scenario(PLACES / "xianyang_tcm_cluster_map.toml")
    assert scenario.geography.places.endswith("guanzhong_tianshui.csv")
    assert scenario.initial_shares()[scenario.region_names.index("Xianyang")] == 1.0
    subsidy, none = _with_and_without("xianyang_tcm_cluster_map.toml")
    ts, base = subsidy.timeseries, none.timeseries
    paid = ts[ts["step"] == 299].set_index("region")["share"]
    unpaid = base[base["step"] == 299].set_index("region")["share"]
    assert paid["Tongchuan"] > 0.4 and paid["Tongchuan"] > unpaid["Tongchuan"] + 0.3
    after = subsidy.summary["final_shares"]["Tongchuan"]
    assert after <= none.summary["final_shares"]["Tongchuan"]  # no lasting gain
    assert after < paid["Tongchuan"] - 0.3  # the firms left once the subsidy ended
    assert subsidy.summary["core"] == none.summary["core"] == "Xi’an"
    assert subsidy.summary["regime"] == scenario.expected_regime


def test_the_qinba_expressway_concentrates_industry_in_xian():
    """Header: a three-centred ring (Chengdu, Xi'an, Wuhan) becomes a Xi'an core after the
    expressway Xi'an–Ankang–Chongqing; without it the ring stays three-centred."""
    scenario = load_scenario(PLACES / "qinba_road.toml")
    assert scenario.geography.places.endswith("qinba.csv")
    assert scenario.geography.routes == "delaunay" and len(scenario.region_names) == 17
    road, none = _with_and_without("qinba_road.toml")
    ts = road.timeseries
    before = ts[ts["step"] == 399].set_index("region")["share"]
    assert (before > 0.1).sum() == 3 and before.max() < 0.5  # several centres before the road
    assert before["Chengdu"] > 0.35 and before["Xi’an"] > 0.35
    shares, kept = road.summary["final_shares"], none.summary["final_shares"]
    assert road.summary["core"] == "Xi’an" and shares["Xi’an"] > 0.85
    assert shares["Chengdu"] < 0.02  # the second centre emptied
    assert max(kept.values()) < 0.5 and sum(v > 0.1 for v in kept.values()) == 3
    assert road.summary["herfindahl"] > none.summary["herfindahl"] + 0.4
    assert road.summary["regime"] == scenario.expected_regime


CALIBRATED = ["qinba_road_calibrated", "baoji_titanium_cluster_calibrated"]


@pytest.mark.parametrize("name", CALIBRATED)
def test_a_calibrated_variant_carries_a_fresh_calibration_of_itself(name):
    """The shipped amenities are what `negsim calibrate` recovers from the file now: the
    population shares are the agents' logit rest point, and a stable one."""
    scenario = load_scenario(PLACES / f"{name}.toml")
    fresh = negsim.calibrate(scenario)
    np.testing.assert_allclose(scenario.amenities(), fresh.amenities, rtol=1e-10)
    assert fresh.stable and scenario.behaviour.noise > 0
    shares = np.asarray(scenario.initial_shares(), dtype=float)
    np.testing.assert_allclose(shares / shares.sum(), fresh.observed, rtol=1e-12)


def _effects(name: str, seed: int) -> dict[str, float]:
    policy, _ = negsim.run_with_baseline(load_scenario(PLACES / f"{name}.toml"), seed=seed)
    table = policy.effects
    return dict(zip(table["region"], table["change [percentage points]"], strict=True))


@pytest.mark.parametrize("seed", [8, 9])
def test_from_the_observed_map_the_qinba_expressway_moves_industry_to_its_corridor(seed):
    change = _effects("qinba_road_calibrated", seed)
    assert change["Chongqing"] > 5 and change["Xi’an"] > 2 and change["Ankang"] > 1
    assert change["Chengdu"] < -3 and change["Wuhan"] < 0
    assert max(change, key=change.get) == "Chongqing"


@pytest.mark.parametrize("seed", [22, 23])
def test_from_the_observed_map_the_baoji_programme_builds_a_titanium_centre(seed):
    change = _effects("baoji_titanium_cluster_calibrated", seed)
    assert change["Baoji"] > 50 and change["Xi’an"] < -20
    assert max(change, key=change.get) == "Baoji"
