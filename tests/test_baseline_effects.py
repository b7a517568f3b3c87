"""A policy against its baseline (issue #13, item 3): ``negsim run --baseline`` and
``negsim.runner.run_with_baseline`` run a scenario and the same scenario without its
policies on the same seed, and report the effects per place."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from negsim.cli import main
from negsim.effects import EFFECT_COLUMNS, WELFARE_EFFECT_COLUMNS, effect_rows, policy_effect
from negsim.output import ALL_FILES, EFFECT_FILES
from negsim.plots import plot_effects
from negsim.runner import run, run_with_baseline, without_policies
from negsim.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"
CLUSTERING = SCENARIOS / "two_region_clustering.toml"
SMALL = ["population.workers=800", "run.steps=60"]
SHARE0, SHARE1, PP, PERCENT, WAGE0, WAGE1, DWAGE = EFFECT_COLUMNS[1:]


def _summary(shares: dict[str, float], wages: dict[str, float], regime: str) -> dict:
    return {"final_shares": shares, "final_real_wages": wages, "regime": regime}


def _named(names: list[str], values: np.ndarray) -> dict[str, float]:
    return {n: float(v) for n, v in zip(names, values, strict=True)}


def test_effects_per_place_agree_with_an_independent_computation() -> None:
    rng = np.random.default_rng(3)
    names = ["A", "B", "C", "D", "E"]
    s0 = rng.dirichlet(np.ones(5))
    s0[2] = 0.0
    s0 /= s0.sum()
    s1 = rng.dirichlet(np.ones(5))
    w0, w1 = rng.uniform(0.8, 1.2, 5), rng.uniform(0.8, 1.2, 5)
    base = _summary(_named(names, s0), _named(names, w0), "partial")
    pol = _summary(_named(names, s1), _named(names, w1), "dispersed")
    table = pd.DataFrame(effect_rows(base, pol))
    assert list(table["region"]) == names
    np.testing.assert_allclose(table[PP], (s1 - s0) * 100, rtol=1e-13)
    ratio = np.divide(s1, s0, out=np.full(5, np.nan), where=s0 > 0)
    np.testing.assert_allclose(table[PERCENT].astype(float), (ratio - 1) * 100, rtol=1e-12)
    assert table[PERCENT].isna().tolist() == [False, False, True, False, False]
    np.testing.assert_allclose(table[DWAGE], w1 - w0, rtol=1e-13)
    block = policy_effect(base, pol)
    assert block["largest_gainer"] == names[int(np.argmax(s1 - s0))]
    assert block["largest_loser"] == names[int(np.argmin(s1 - s0))]
    assert block["largest_gain_pp"] == pytest.approx(100 * (s1 - s0).max())
    assert block["total_absolute_change"] == pytest.approx(np.abs(s1 - s0).sum())
    assert (block["regime_baseline"], block["regime_policy"]) == ("partial", "dispersed")


def _zero(policy) -> None:
    table = policy.effects
    assert (table[PP] == 0.0).all() and (table[DWAGE] == 0.0).all()
    assert (table[PERCENT].dropna() == 0.0).all()
    effect = policy.summary["policy_effect"]
    assert effect["total_absolute_change"] == 0.0
    assert effect["largest_gainer"] is None and effect["largest_loser"] is None


@pytest.mark.parametrize(
    "policy",
    [
        'policies=[{kind="transport_cost", start=5, value=1.5}]',  # T is 1.5 already
        'policies=[{kind="registration", start=5, region="South", cost=0.0}]',
    ],
)
def test_a_policy_that_does_nothing_has_zero_effects_exactly(policy: str) -> None:
    scenario = load_scenario(CLUSTERING, [*SMALL, policy])
    assert len(scenario.policies) == 1
    result, baseline = run_with_baseline(scenario)
    _zero(result)
    # the same run step by step; only the columns naming the policy differ
    recorded = [
        c for c in result.timeseries.columns if c not in ("policy_events", "active_policies")
    ]
    pd.testing.assert_frame_equal(result.timeseries[recorded], baseline.timeseries[recorded])


def test_a_scenario_without_policies_has_zero_effects() -> None:
    import negsim

    assert negsim.run_with_baseline is run_with_baseline
    result, _ = negsim.run_with_baseline(load_scenario(CLUSTERING, SMALL))
    _zero(result)
    assert result.summary["policy_effect"]["regime_baseline"] == result.summary["regime"]


def test_the_baseline_is_a_plain_run_without_policies(tmp_path: Path) -> None:
    scenario = load_scenario(SCENARIOS / "core_plant_closures.toml", ["run.steps=80"])
    _, baseline = run_with_baseline(scenario)
    plain = run(
        load_scenario(SCENARIOS / "core_plant_closures.toml", ["run.steps=80", "policies=[]"])
    )
    assert without_policies(scenario).to_toml() == plain.scenario.to_toml()
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    baseline.timeseries.to_csv(a, index=False)
    plain.timeseries.to_csv(b, index=False)
    assert a.read_bytes() == b.read_bytes()
    assert baseline.summary == plain.summary


def test_plant_closures_shrink_the_core_as_the_header_says() -> None:
    # header: the closures break up the core; the economy settles in the even spread
    result, baseline = run_with_baseline(SCENARIOS / "core_plant_closures.toml")
    rows = result.effects.set_index("region")
    assert baseline.summary["final_shares"]["Core"] == pytest.approx(1.0, abs=0.01)
    assert rows.loc["Core", PP] < -40 and rows.loc["Periphery", PP] > 40
    effect = result.summary["policy_effect"]
    assert (effect["largest_loser"], effect["largest_gainer"]) == ("Core", "Periphery")
    assert (effect["regime_baseline"], effect["regime_policy"]) == ("agglomerated", "dispersed")
    # two regions have no coordinates: the change map is one bar per region, centred at 0
    ax = plot_effects(result).axes[0]
    widths = [bar.get_width() for bar in ax.patches]
    assert widths == pytest.approx([rows.loc["Core", PERCENT], 0.0])  # Periphery: empty before
    assert [t.get_text() for t in ax.texts][1] == f"new: {rows.loc['Periphery', PP]:+.1f} pp"


def test_the_qinba_expressway_concentrates_industry_in_xian() -> None:
    # header: with the road industry concentrates in Xi'an; without it Chongqing and
    # Lanzhou keep shares
    result, _ = run_with_baseline(SCENARIOS / "qinba_mountains.toml")
    rows = result.effects.set_index("region")
    assert rows.loc["Xi'an", PP] > 0 and rows.loc["Xi'an", SHARE1] == pytest.approx(1.0)
    assert rows.loc["Chongqing", PP] < 0 and rows.loc["Lanzhou", PP] < 0
    assert result.summary["policy_effect"]["largest_gainer"] == "Xi'an"
    assert rows.loc["Qinba hinterland", PP] == 0.0  # ecologically limited either way


def test_cli_baseline_writes_effects_and_cleans_their_strays(tmp_path: Path, capsys) -> None:
    out = tmp_path / "out"
    args = ["run", str(SCENARIOS / "core_plant_closures.toml"), "--set", "run.steps=80"]
    args += ["--baseline", "--quiet", "--out", str(out)]
    assert set(EFFECT_FILES) <= set(ALL_FILES)
    assert main(args) == 0
    table = pd.read_csv(out / "effects.csv")
    assert list(table.columns) == list(EFFECT_COLUMNS + WELFARE_EFFECT_COLUMNS)
    summary = json.loads((out / "summary.json").read_text())
    assert summary["policy_effect"]["largest_loser"] == "Core"
    core = table.set_index("region").loc["Core"]
    assert core[PP] == pytest.approx(100 * (summary["final_shares"]["Core"] - core[SHARE0]))
    assert (out / "effects.png").read_bytes()[:4] == b"\x89PNG"
    stray = out / ".effects.csv.dead.tmp"
    stray.write_text("half")
    assert main(args) == 0 and not stray.exists()


def test_the_change_map_of_places_is_drawn_at_longitude_and_latitude() -> None:
    reform = SCENARIOS / "places" / "anhui_registration_reform.toml"
    scenario = load_scenario(
        reform, ["population.workers=600", "run.steps=40", "policies.0.start=5"]
    )
    result, _ = run_with_baseline(scenario)
    fig = plot_effects(result)
    ax = fig.axes[0]
    assert ax.get_xlabel().startswith("longitude") and ax.get_ylabel().startswith("latitude")
    points = ax.collections[0].get_offsets()
    lon = [p.lon for p in scenario.geography.table]
    np.testing.assert_allclose(np.asarray(points)[:, 0], lon)
    bar = fig.axes[1]
    low, high = bar.get_ylim()
    assert low == pytest.approx(-high)  # centred at 0
    assert "baseline (%)" in bar.get_ylabel()
