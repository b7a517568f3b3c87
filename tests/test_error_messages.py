"""Error messages a reviewer found wanting: each names the file or flag, the key and the
allowed range in one line, exit code 2 from the CLI (list indices that do not exist, a
policy outside the run, a value from --seed or --set, an unknown region, a bare shipped
name in a sweep file, theory that overflows near σ = 1)."""

from __future__ import annotations

import copy
import json
import tomllib
from pathlib import Path
from typing import Any

import pytest
import tomli_w

import negsim
from negsim import shipped
from negsim.cli import main
from negsim.scenario import ScenarioError, load_scenario, validate
from negsim.sweeps.spec import SweepError, plan_sweep

ROOT = Path(__file__).resolve().parents[1]
BASE = ROOT / "tests" / "data" / "two_region.toml"  # no policies, run.steps = 600
CLOSURES = ROOT / "scenarios" / "core_plant_closures.toml"  # one shock at step 50
SHIPPED_BASE = shipped.path("scenarios", "two_region_clustering")


def _base() -> dict[str, Any]:
    return tomllib.loads(BASE.read_text(encoding="utf-8"))


def _error(data: dict[str, Any]) -> str:
    with pytest.raises(ScenarioError) as err:
        validate(data, "s.toml")
    (line,) = str(err.value).splitlines()
    return line


def _sweep_error(data: dict[str, Any], base_dir: Path = ROOT) -> str:
    with pytest.raises(SweepError) as err:
        plan_sweep(data, source="s.toml", base_dir=base_dir)
    (line,) = str(err.value).splitlines()
    return line


def _cli_error(capsys: pytest.CaptureFixture, *argv: str) -> str:
    assert main(list(argv)) == 2
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err and captured.out == ""
    (line,) = captured.err.splitlines()
    assert line.startswith("negsim: error: ")
    return line.removeprefix("negsim: error: ")


def _shock(start: int, **extra: Any) -> dict[str, Any]:
    return {"kind": "shock", "start": start, "region": "North", "share": 0.2, **extra}


# --- 1. an index into a list of tables --------------------------------------------------


def test_varying_a_policy_of_a_base_without_policies_says_there_are_none():
    data = {"sweep": {"scenario": str(BASE)}, "parameters": {"policies.0.share": [0.1, 0.2]}}
    assert _sweep_error(data) == (
        "s.toml: parameters.policies.0.share: the base scenario has no [[policies]]"
    )
    with pytest.raises(ScenarioError) as err:
        load_scenario(BASE, ["policies.0.share=0.2"])
    assert str(err.value) == "--set policies.0.share=0.2: the scenario has no [[policies]]"


@pytest.mark.parametrize("count", [1, 2, 3])
def test_an_index_past_the_last_entry_gives_the_valid_indices(count, tmp_path):
    base = {**_base(), "policies": [_shock(10 + k) for k in range(count)]}
    (tmp_path / "base.toml").write_text(tomli_w.dumps(base), encoding="utf-8")
    data = {
        "sweep": {"scenario": str(tmp_path / "base.toml")},
        "parameters": {f"policies.{count}.share": [0.1, 0.2]},
    }
    indices = "index 0" if count == 1 else f"indices 0..{count - 1}"
    assert _sweep_error(data) == (
        f"s.toml: parameters.policies.{count}.share: policies has no entry {count} "
        f"(it has {count}: {indices})"
    )
    ok = {**data, "parameters": {f"policies.{count - 1}.share": [0.1, 0.2]}}
    plan = plan_sweep(ok, source="s.toml", base_dir=ROOT)
    assert [plan.scenario(run).policies[count - 1].share for run in plan.runs] == [0.1, 0.2]


def test_indexing_a_table_says_it_is_a_table():
    with pytest.raises(ScenarioError) as err:
        load_scenario(BASE, ["economy.0=1"])
    assert str(err.value) == "--set economy.0=1: economy is a table, not a list: 0 cannot index it"


# --- 2. a policy outside the run ---------------------------------------------------------


def test_a_policy_starting_after_the_last_step_is_refused():
    data = _base()
    data["policies"] = [{"kind": "transport_cost", "start": 5000, "value": 1.2}]
    assert _error(data) == (
        "s.toml: policies.0.start: step 5000 is after the run's last step; "
        "must be in 1..600 (run.steps = 600)"
    )
    data["policies"][0]["start"] = data["run"]["steps"]  # the last step still counts
    assert validate(data, "s.toml").policies[0].start == 600


@pytest.mark.parametrize("kind", ["subsidy", "transport_cost_ramp"])
def test_a_window_ending_after_the_last_step_is_refused(kind):
    data = _base()
    data["run"]["steps"] = 300
    policy = (
        {"kind": "subsidy", "start": 40, "end": 301, "regions": ["North"], "rate": 0.1}
        if kind == "subsidy"
        else {"kind": "transport_cost", "start": 40, "end": 301, "value": 1.2}
    )
    data["policies"] = [_shock(10), policy]
    assert _error(data) == (
        "s.toml: policies.1.end: step 301 is after the run's last step; "
        "must be in 40..300 (start..run.steps)"
    )
    policy["end"] = 300
    assert validate(data, "s.toml").policies[1].end == 300


def test_a_sweep_shortening_the_run_below_a_policy_names_the_policy_and_the_steps():
    data = {
        "sweep": {"scenario": str(CLOSURES)},
        "set": {"population.workers": 200},
        "parameters": {"run.steps": [40, 60, 80]},
    }
    line = _sweep_error(data)
    assert line.startswith(
        "s.toml: policies.0.start: step 50 is after the run's last step; must be in 1..40 "
        "(run.steps = 40) — in 1 of 3 design points, first at run.steps=40"
    ), line


# --- 3. values given on the command line -------------------------------------------------


def test_a_bad_seed_names_the_flag_not_the_packaged_file(capsys, tmp_path):
    line = _cli_error(
        capsys, "run", "two_region_clustering", "--seed", "-1", "--out", str(tmp_path)
    )
    assert line.startswith("--seed -1: run.seed: Input should be greater than or equal to 0")
    assert str(SHIPPED_BASE) not in line
    assert not any(tmp_path.iterdir())


def test_with_seed_and_set_each_line_names_where_its_value_came_from():
    with pytest.raises(ScenarioError) as err:
        load_scenario(BASE, ["economy.sigma=0.5"], seed=-1)
    assert sorted(str(err.value).splitlines()) == [
        "--seed -1: run.seed: Input should be greater than or equal to 0 (got -1)",
        f"{BASE} (with --set): economy.sigma: Input should be greater than 1 (got 0.5)",
    ]
    assert load_scenario(BASE, ["run.seed=-1"], seed=3).run.seed == 3  # --seed wins


# --- 4. an unknown region ----------------------------------------------------------------


def test_an_unknown_region_lists_the_regions_and_the_closest():
    data = _base()
    data["policies"] = [_shock(10, region="Nroth")]
    assert _error(data) == (
        "s.toml: policies.0.region: unknown region 'Nroth'; did you mean 'North'? "
        "(known: North, South)"
    )
    data["policies"] = [{"kind": "subsidy", "start": 5, "regions": ["South", "Atlantis"]}]
    data["policies"][0]["rate"] = 0.1
    assert _error(data) == (
        "s.toml: policies.0.regions: unknown region 'Atlantis' (known: North, South)"
    )


def test_an_unknown_region_among_many_lists_the_first_few():
    data = _base()
    data["regions"] = {"count": 20}
    data["geography"] = {"kind": "racetrack"}
    data["population"].pop("initial_shares", None)
    data["frictions"] = {"registration": [{"region": "R007", "cost": 0.1}]}
    names = ", ".join(f"R{i:02d}" for i in range(1, 13))
    assert _error(data) == (
        "s.toml: frictions.registration.0.region: unknown region 'R007'; did you mean "
        f"'R07'? (known: {names}, …)"
    )


# --- 5. a shipped scenario named in a sweep file -----------------------------------------


def test_a_sweep_names_its_base_by_a_shipped_name(tmp_path):
    data = {"sweep": {"scenario": "two_region_clustering"}, "parameters": {"economy.mu": [0.3]}}
    plan = plan_sweep(data, source="s.toml", base_dir=tmp_path)
    expected = load_scenario(SHIPPED_BASE).model_dump(exclude_none=True)
    assert plan.base == expected
    misspelt = copy.deepcopy(data)
    misspelt["sweep"]["scenario"] = "two_region_clustring"
    line = _sweep_error(misspelt, tmp_path)
    assert line.startswith(
        "s.toml: sweep.scenario: two_region_clustring: no such file and no shipped scenario "
        "of that name; did you mean 'two_region_clustering'? (shipped: "
    )
    assert "racetrack_12" in line


def test_a_file_beside_the_sweep_wins_over_a_shipped_name(tmp_path):
    text = BASE.read_text(encoding="utf-8").replace("mu = 0.4", "mu = 0.35")
    assert text != BASE.read_text(encoding="utf-8")
    (tmp_path / "two_region_clustering").write_text(text, encoding="utf-8")
    data = {"sweep": {"scenario": "two_region_clustering"}, "parameters": {"economy.sigma": [5.0]}}
    plan = plan_sweep(data, source="s.toml", base_dir=tmp_path)
    assert plan.base["economy"]["mu"] == 0.35


# --- 6. theory that overflows -------------------------------------------------------------


def test_theory_that_overflows_near_sigma_one_says_which_and_why(tmp_path, capsys):
    overrides = ["economy.sigma=1.001", "economy.mu=0.0005", "population.workers=200"]
    result = negsim.run(load_scenario(BASE, [*overrides, "run.steps=3"]))
    reason = result.summary["theory"]["unavailable"]
    assert reason == (
        "the break and sustain points overflow at σ = 1.001, μ = 0.0005: "
        "T = φ^(1/(1-σ)) exceeds the largest float64 number"
    )
    sets = [x for o in [*overrides, "run.steps=3"] for x in ("--set", o)]
    assert main(["run", str(BASE), *sets, "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert f"theory: unavailable ({reason})" in out and "Error" not in out
    assert json.loads((tmp_path / "summary.json").read_text())["theory"] == {"unavailable": reason}
