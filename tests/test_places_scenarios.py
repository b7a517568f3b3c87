"""The source-region scenarios on the shipped tables of real places (issue #12, item 5): each
answers its header's policy question against the same scenario without its policies."""

from __future__ import annotations

from pathlib import Path

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
    """Header: while paid, 7 of the 16 firms move to Tongchuan (the stand-in for Taicun);
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
