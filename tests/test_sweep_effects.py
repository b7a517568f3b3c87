"""Sweeps that record each run's policy effect against its baseline (issue #13, item 3:
"sweeps can record the same"): ``[record] effects = true``."""

from __future__ import annotations

from pathlib import Path

import pytest

import negsim
from negsim.sweeps import load_sweep, run_sweep
from negsim.sweeps.execute import EFFECT_COLUMNS

ROOT = Path(__file__).resolve().parents[1]
BASE = ROOT / "tests" / "data" / "two_region.toml"  # σ=5, μ=0.4, T=1.5, 0.51/0.49

SUBSIDY = """
[[policies]]
kind = "subsidy"
start = 5
regions = ["South"]
rate = 0.3
"""
IDLE = """
[[policies]]
kind = "transport_cost"
start = 5
value = 1.9
"""  # T is 1.9 already: it changes nothing

SWEEP = """
[sweep]
scenario = "base.toml"
seed = 11

[set]
"population.workers" = 600
"run.steps" = 150
"run.stop_when_converged" = false
"economy.transport_cost" = 1.9

[parameters]
"policies.0.rate" = [0.05, 0.4]
"population.initial_shares" = [[0.5, 0.5], [0.6, 0.4]]

[record]
effects = true
"""


def _spec(tmp_path: Path, text: str, policies: str = SUBSIDY) -> Path:
    """The sweep file ``text`` on the fixture scenario with ``policies`` appended."""
    (tmp_path / "base.toml").write_text(BASE.read_text(encoding="utf-8") + policies)
    path = tmp_path / "effects.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_each_run_records_what_run_with_baseline_reports(tmp_path):
    path = _spec(tmp_path, SWEEP)
    runs = run_sweep(path, workers=1, out=tmp_path / "out").runs
    assert len(runs) == 4 and runs["error"].isna().all()
    assert {n for n, _ in EFFECT_COLUMNS} <= set(runs.columns)
    plan = load_sweep(path)
    for run in plan.runs:
        policy, baseline = negsim.run_with_baseline(plan.scenario(run))
        row = runs[runs["run_id"] == run.run_id].iloc[0]
        effect = policy.summary["policy_effect"]
        assert row["baseline_regime"] == baseline.summary["regime"]
        assert row["baseline_largest_share"] == baseline.summary["largest_share"]
        assert list(row["baseline_final_shares"]) == list(baseline.summary["final_shares"].values())
        assert list(row["final_shares"]) == list(policy.summary["final_shares"].values())
        for name in ("largest_gain_pp", "largest_loss_pp", "total_absolute_change"):
            assert row[name] == effect[name]
        assert row["largest_gainer"] == effect["largest_gainer"]
    strong = runs[runs["policies.0.rate"] == 0.4]
    assert (strong["total_absolute_change"] > 0).all()  # a 40 % subsidy moves workers


def test_a_policy_that_does_nothing_records_zero_effects_and_without_effects_no_columns(
    tmp_path,
):
    idle = SWEEP.replace('"policies.0.rate" = [0.05, 0.4]', '"policies.0.start" = [5, 50]')
    runs = run_sweep(_spec(tmp_path, idle, IDLE), workers=1).runs
    assert (runs["total_absolute_change"] == 0.0).all()
    assert runs["largest_gainer"].isna().all() and (runs["largest_gain_pp"] == 0.0).all()
    for a, b in zip(runs["final_shares"], runs["baseline_final_shares"], strict=True):
        assert list(a) == list(b)

    plain = run_sweep(_spec(tmp_path, SWEEP.replace("effects = true", "")), workers=1).runs
    assert not {n for n, _ in EFFECT_COLUMNS} & set(plain.columns)


@pytest.mark.parametrize("value", ["1", '"yes"'])
def test_effects_must_be_a_boolean(tmp_path, value):
    from negsim.sweeps import SweepError

    with pytest.raises(SweepError, match="record.effects"):
        load_sweep(_spec(tmp_path, SWEEP.replace("effects = true", f"effects = {value}")))
