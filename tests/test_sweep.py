"""Batch sweeps (negsim.sweeps, `negsim sweep`, `negsim plot sweep`), issue 5.

What must hold: identical results (bit for bit, all but the wall time) with 1 process,
2 processes and a Dask LocalCluster; a sweep SIGKILLed mid-way and resumed has every run
exactly once and equals an uninterrupted one; the simulated tomahawk switches regime within
one grid step of the analytic break point T_B and sustain point T_S (FKV 1999, ch. 5:
σ = 5, μ = 0.4 → T_B ≈ 1.627, T_S ≈ 1.807); bad sweep files fail with one line per problem
before anything runs.

Runs are kept small (1000 workers, ≤ 400 steps) so the file runs in well under a minute on
two cores; the shipped sweeps/tomahawk.toml (62 runs) is run as shipped.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import negsim
from negsim.cli import main
from negsim.economies import cp
from negsim.results import OutputError
from negsim.sweeps import (
    SweepError,
    dask_executor,
    load_results,
    load_sweep,
    plan_sweep,
    regime_map,
    run_seed,
    run_sweep,
    switch_points,
)
from negsim.sweeps.store import Dataset, SweepStore, read_runs

ROOT = Path(__file__).resolve().parents[1]
BASE = ROOT / "tests" / "data" / "two_region.toml"  # σ=5, μ=0.4, 0.51/0.49
SWEEPS = ROOT / "sweeps"
T_B = cp.break_point(5.0, 0.4).T
T_S = cp.sustain_point(5.0, 0.4).T
PNG = b"\x89PNG\r\n\x1a\n"

SMALL = f"""
[sweep]
scenario = "{BASE}"
replications = 2
seed = 7

[set]
"population.workers" = 1000
"run.steps" = 400

[parameters]
"economy.transport_cost" = [1.5, 1.6, 1.7, 1.9]
"population.initial_shares" = [[0.51, 0.49], [1.0, 0.0]]

[record]
timeseries_every = 25
"""


def write(tmp_path: Path, text: str, name: str = "sweep.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def comparable(frame: pd.DataFrame) -> pa.Table:
    """Everything but the wall-clock time, as an Arrow table (exact comparison)."""
    return pa.Table.from_pandas(frame.drop(columns="wall_time"), preserve_index=False)


# --- determinism across executors -------------------------------------------------------------


def test_same_results_with_one_process_two_processes_and_dask(tmp_path):
    path = write(tmp_path, SMALL)
    results = [run_sweep(path, workers=1), run_sweep(path, workers=2)]
    with dask_executor("local", workers=2) as executor:
        results.append(run_sweep(path, executor))
    one, two, dask = (r.runs for r in results)
    assert len(one) == 16 and list(one["run_id"]) == list(range(16))
    assert comparable(one).equals(comparable(two))
    assert comparable(one).equals(comparable(dask))
    for other in results[1:]:
        pd.testing.assert_frame_equal(results[0].timeseries, other.timeseries)
    # the science: T=1.5 < T_B clusters from 0.51, T=1.9 > T_S disperses from the core,
    # T=1.7 between them keeps whatever it starts near (path dependence)
    regime = {
        (t, tuple(s), r): g
        for t, s, r, g in zip(
            one["economy.transport_cost"],
            one["population.initial_shares"],
            one["replication"],
            one["regime"],
            strict=True,
        )
    }
    for rep in (0, 1):
        assert regime[(1.5, (0.51, 0.49), rep)] == "agglomerated"
        assert regime[(1.7, (0.51, 0.49), rep)] == "dispersed"
        assert regime[(1.7, (1.0, 0.0), rep)] == "agglomerated"
        assert regime[(1.9, (1.0, 0.0), rep)] == "dispersed"
    # each run its own seed; replications differ, and their random paths show it
    assert one["seed"].is_unique
    assert (one["n_clusters"] == (one["regime"] == "agglomerated").astype(int)).all()
    series = results[0].timeseries
    last = series.groupby("run_id")["step"].transform("max")
    assert ((series["step"] % 25 == 0) | (series["step"] == last)).all()
    assert set(series["run_id"]) == set(one["run_id"])
    final = series[series["step"] == last].groupby("run_id")["share"].first()
    assert np.allclose(final.to_numpy(), [s[0] for s in one["final_shares"]])


def test_seeds_depend_on_sweep_seed_parameters_and_replication_only():
    a = run_seed(7, {"economy.transport_cost": 1.5}, 0)
    assert a == run_seed(7, {"economy.transport_cost": 1.5}, 0)
    assert 0 <= a < 2**63
    assert (
        len(
            {
                a,
                run_seed(7, {"economy.transport_cost": 1.5}, 1),
                run_seed(8, {"economy.transport_cost": 1.5}, 0),
                run_seed(7, {"economy.transport_cost": 1.6}, 0),
                run_seed(7, {"economy.transport_cost": 1.5}, 0, path_index=3),
            }
        )
        == 5
    )
    # adding grid points does not change the seeds of the points already there
    base = {"sweep": {"scenario": str(BASE), "seed": 3}, "parameters": {}}
    small = plan_sweep({**base, "parameters": {"economy.transport_cost": [1.5, 1.7]}})
    large = plan_sweep({**base, "parameters": {"economy.transport_cost": [1.4, 1.5, 1.6, 1.7]}})
    seeds = {r.params["economy.transport_cost"]: r.seed for r in large.runs}
    assert {r.params["economy.transport_cost"]: r.seed for r in small.runs} == {
        1.5: seeds[1.5],
        1.7: seeds[1.7],
    }


# --- kill and resume ------------------------------------------------------------------------

KILL = f"""
[sweep]
scenario = "{BASE}"
seed = 11

[set]
"population.workers" = 1000
"run.steps" = 150
"run.stop_when_converged" = false

[parameters]
"economy.transport_cost" = {{ min = 1.5, max = 1.88, step = 0.02 }}
"population.initial_shares" = [[0.51, 0.49], [1.0, 0.0]]

[record]
timeseries_every = 50
"""


def _sweep_process(path: Path, out: Path, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "negsim.cli", "sweep", str(path), "--out", str(out)]
        + ["--workers", "2", "--flush-seconds", "0.2", "--quiet", *extra],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_sigkill_mid_sweep_then_resume_gives_every_run_exactly_once(tmp_path):
    path = write(tmp_path, KILL)
    out = tmp_path / "out"
    total = len(load_sweep(path).runs)
    assert total == 40
    proc = _sweep_process(path, out)
    deadline = time.monotonic() + 60
    while not list((out / "runs.parquet").glob("part-*.parquet")):
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "no results were committed within 60 s"
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=30)
    before = read_runs(out).to_pandas()
    assert 0 < len(before) < total, "the kill should land mid-way"

    resumed = _sweep_process(path, out, "--resume")
    _, stderr = resumed.communicate(timeout=120)
    assert resumed.returncode == 0, stderr

    after = pd.read_parquet(out / "runs.parquet")
    assert sorted(after["run_id"]) == list(range(total))  # each run exactly once
    # finished runs were not recomputed: their rows (wall time included) are unchanged
    kept = after.set_index("run_id").loc[before["run_id"]]
    assert (kept["wall_time"].to_numpy() == before["wall_time"].to_numpy()).all()
    # and the whole equals an uninterrupted sweep
    reference = run_sweep(path, workers=2)
    assert comparable(after.sort_values("run_id").reset_index(drop=True)).equals(
        comparable(reference.runs)
    )
    series = pd.read_parquet(out / "timeseries.parquet")
    assert not series.duplicated(["run_id", "step", "region"]).any()
    pd.testing.assert_frame_equal(
        series.sort_values(["run_id", "step", "region"]).reset_index(drop=True),
        reference.timeseries.sort_values(["run_id", "step", "region"]).reset_index(drop=True),
        check_dtype=False,
    )


def test_continuation_resumes_from_the_stored_final_shares(tmp_path):
    """A hysteresis chain cut after 7 runs continues from run 6's stored final shares and
    ends exactly as the uninterrupted chain."""
    data = tomllib.loads((SWEEPS / "hysteresis.toml").read_text(encoding="utf-8"))
    data["sweep"]["scenario"] = str(SWEEPS / data["sweep"]["scenario"])
    data["sweep"]["replications"] = 1
    data["set"]["population.workers"] = 1000
    data["parameters"]["economy.transport_cost"] = {"min": 1.56, "max": 1.88, "step": 0.04}
    data["record"] = {"timeseries_every": 100_000}  # the first and the last step
    full = negsim.sweep(data, out=tmp_path / "full", workers=2)
    assert len(full) == 17 and list(full["path_index"]) == list(range(17))

    cut = tmp_path / "cut"
    shutil.copytree(tmp_path / "full", cut)
    table = pq.read_table(cut / "runs.parquet")
    shutil.rmtree(cut / "runs.parquet")
    Dataset(cut / "runs.parquet").write(table.slice(0, 7), 0)
    resumed = negsim.sweep(data, out=cut, resume=True, workers=2)
    assert comparable(resumed.iloc[:7]).equals(comparable(full.iloc[:7]))
    assert (resumed["wall_time"].iloc[:7] == full["wall_time"].iloc[:7]).all()
    assert comparable(resumed).equals(comparable(full))

    # hysteresis: up, the core holds to T_S; down, the even spread holds to T_B
    t = full["economy.transport_cost"].to_numpy()
    up, down = full[full["leg"] == 0], full[full["leg"] == 1]
    assert list(up["regime"]) == ["agglomerated" if x < T_S else "dispersed" for x in t[:9]]
    assert list(down["regime"]) == ["dispersed" if x > T_B else "agglomerated" for x in t[9:]]
    # each run starts where the one before it ended (up to the 2% perturbation of a
    # spread start; a full core is not perturbed)
    series = load_results(tmp_path / "full")[2]
    start = series[(series["step"] == 0) & (series["region"] == "North")].set_index("run_id")
    for k in range(1, 17):
        before, after = full["final_shares"].iloc[k - 1][0], start.loc[k, "share"]
        if before == 1.0:
            assert after == 1.0
        else:
            assert abs(after / before - 1) <= 0.02 + 1e-3


def hysteresis_chains(replications: int) -> dict:
    """sweeps/hysteresis.toml made small: ``replications`` chains of 9 runs, no time series."""
    data = tomllib.loads((SWEEPS / "hysteresis.toml").read_text(encoding="utf-8"))
    data["sweep"]["scenario"] = str(SWEEPS / data["sweep"]["scenario"])
    data["sweep"]["replications"] = replications
    data["set"]["population.workers"] = 600
    data["parameters"]["economy.transport_cost"] = {"min": 1.56, "max": 1.88, "step": 0.08}
    return data


def test_continuation_chains_step_side_by_side_with_the_rows_of_single_runs(tmp_path):
    """Whole chains go to ensembles (``execute_chains``), each run starting from the final
    shares of the one before it: the rows of one run after another, alone; a sweep cut in
    the middle of a chain resumes from the stored shares to the same rows."""
    data = hysteresis_chains(3)
    chained = run_sweep(data, workers=2).runs
    alone = run_sweep(data, workers=1, ensemble=False).runs
    assert len(chained) == 27 and chained["error"].isna().all()
    assert comparable(chained).equals(comparable(alone))
    assert set(chained["regime"]) == {"agglomerated", "dispersed"}

    full = run_sweep(data, out=tmp_path / "full", workers=1).runs
    cut = tmp_path / "cut"
    shutil.copytree(tmp_path / "full", cut)
    table = pq.read_table(cut / "runs.parquet").sort_by("run_id")
    shutil.rmtree(cut / "runs.parquet")
    Dataset(cut / "runs.parquet").write(table.slice(0, 12), 0)  # chain 2 cut after 3 runs
    resumed = run_sweep(data, out=cut, resume=True, workers=1).runs
    assert (resumed["wall_time"].iloc[:12] == full["wall_time"].iloc[:12]).all()
    assert comparable(resumed).equals(comparable(full))


def test_a_run_that_fails_ends_its_chain_in_an_ensemble_as_alone(tmp_path):
    """A run whose equilibrium fails in the ensemble runs alone, which records the error,
    and the runs after it fail with it, as on the single-run path; a run the ensemble cannot
    take runs alone, and its chain goes on."""
    path = write(
        tmp_path,
        f"[sweep]\nscenario = '{BASE}'\ndesign = 'continuation'\n[set]\n"
        "'population.workers' = 500\n'run.steps' = 400\n"
        "[parameters]\n'solver.max_iter' = [1, 100, 50]\n",
    )
    chained = run_sweep(path, workers=1).runs
    alone = run_sweep(path, workers=1, ensemble=False).runs
    assert comparable(chained).equals(comparable(alone))
    errors = chained["error"]
    assert errors.iloc[0].startswith("EquilibriumError")
    assert errors.tolist()[1:] == ["run 0 failed", "run 1 failed"]
    # a run of another solver shape (max_iter 1, enough from a settled start) runs alone
    # in the middle of its chain, which goes on in the ensemble
    path.write_text(path.read_text().replace("[1, 100, 50]", "[100, 1, 50]"))
    chained = run_sweep(path, workers=1).runs
    assert chained["error"].isna().all()
    assert comparable(chained).equals(comparable(run_sweep(path, workers=1, ensemble=False).runs))


# --- the shipped sweeps -------------------------------------------------------------------


@pytest.fixture(scope="module")
def tomahawk(tmp_path_factory):
    out = tmp_path_factory.mktemp("tomahawk")
    assert main(["sweep", str(SWEEPS / "tomahawk.toml"), "--out", str(out), "--quiet"]) == 0
    return out


def test_simulated_tomahawk_brackets_break_and_sustain_points(tomahawk):
    plan, runs, _ = load_results(tomahawk)
    step = plan.parameters[0].source["step"]
    assert plan.keys[0] == "economy.transport_cost" and step == pytest.approx(0.02)
    switches = {tuple(r["population.initial_shares"]): r for _, r in switch_points(runs).iterrows()}
    for start, threshold in (((0.51, 0.49), T_B), ((1.0, 0.0), T_S)):
        row = switches[start]
        assert row["monotone"], f"start {start}: regimes do not switch once"
        below, above = row["last_agglomerated"], row["first_dispersed"]
        assert above == pytest.approx(below + step)
        assert abs(below - threshold) <= step + 1e-9 and abs(above - threshold) <= step + 1e-9
    # the grid brackets them exactly: T_B in (1.62, 1.64), T_S in (1.80, 1.82)
    assert (
        switches[(0.51, 0.49)]["last_agglomerated"]
        < T_B
        < switches[(0.51, 0.49)]["first_dispersed"]
    )
    assert switches[(1.0, 0.0)]["last_agglomerated"] < T_S < switches[(1.0, 0.0)]["first_dispersed"]


def test_plot_sweep_draws_the_simulated_tomahawk(tomahawk, capsys):
    assert main(["plot", "sweep", str(tomahawk)]) == 0
    assert "(tomahawk)" in capsys.readouterr().out
    assert (tomahawk / "sweep.png").read_bytes().startswith(PNG)


SHIPPED = ["tomahawk", "hysteresis", "regime_map", "sobol_sensitivity", "plant_closures"]


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_sweeps_are_valid(name):
    plan = load_sweep(SWEEPS / f"{name}.toml")  # the base path is relative to the sweep file
    expected = {
        "tomahawk": 62,
        "hysteresis": 122,
        "regime_map": 1054,
        "sobol_sensitivity": 896,
        "plant_closures": 104,
    }
    assert len(plan.runs) == expected[name]
    header = (SWEEPS / f"{name}.toml").read_text(encoding="utf-8").splitlines()[0]
    assert header.startswith("# ")


def test_regime_map_and_sobol_figures_and_indices(tmp_path, capsys):
    regime = write(
        tmp_path,
        f"""
[sweep]
scenario = "{BASE}"
[set]
"population.workers" = 1000
"run.steps" = 400
[parameters]
"economy.mu" = [0.3, 0.4]
"economy.transport_cost" = [1.3, 1.7, 2.1]
"population.initial_shares" = [[0.51, 0.49], [1.0, 0.0]]
""",
        "regime.toml",
    )
    assert main(["sweep", str(regime), "--out", str(tmp_path / "map"), "--quiet"]) == 0
    assert main(["plot", "sweep", str(tmp_path / "map")]) == 0
    assert "(regime map)" in capsys.readouterr().out
    outcome = regime_map(load_results(tmp_path / "map")[1]).set_index(
        ["economy.transport_cost", "economy.mu"]
    )["outcome"]
    # μ=0.4: T_B≈1.627 < 1.7 < T_S≈1.807 → history decides; μ=0.3: T_S≈1.474 < 1.7
    assert outcome[(1.3, 0.4)] == "agglomeration"
    assert outcome[(1.7, 0.4)] == "history decides"
    assert outcome[(1.7, 0.3)] == "dispersion"

    sobol = write(
        tmp_path,
        f"""
[sweep]
scenario = "{BASE}"
design = "sobol"
samples = 16
seed = 5
[set]
"population.workers" = 500
"run.steps" = 300
[parameters]
"economy.transport_cost" = {{ min = 1.4, max = 2.0 }}
"analysis.agglomerated_share" = {{ min = 0.9, max = 0.99 }}
""",
        "sobol.toml",
    )
    runs = negsim.sweep(sobol, out=tmp_path / "sobol", workers=2)
    assert len(runs) == 16 * (2 + 2)
    indices = pd.read_csv(tmp_path / "sobol" / "sensitivity.csv").set_index("parameter")
    assert list(indices.columns) == ["output", "S1", "S1_conf", "ST", "ST_conf"]
    # T decides clustering; the classification threshold cannot move the final shares
    assert indices.loc["economy.transport_cost", "ST"] > 0.5
    assert indices.loc["analysis.agglomerated_share", "ST"] < 0.01
    assert main(["plot", "sweep", str(tmp_path / "sobol")]) == 0
    assert "(sensitivity)" in capsys.readouterr().out


def test_latin_hypercube_is_stratified_and_rounds_integer_keys():
    plan = plan_sweep(
        {
            "sweep": {"scenario": str(BASE), "design": "lhs", "samples": 10, "seed": 1},
            "parameters": {
                "economy.transport_cost": {"min": 1.2, "max": 2.2},
                "population.workers": {"min": 500, "max": 1500},
            },
        }
    )
    t = np.array([r.params["economy.transport_cost"] for r in plan.runs])
    workers = [r.params["population.workers"] for r in plan.runs]
    assert len(plan.runs) == 10
    assert sorted(np.floor((t - 1.2) / 0.1).astype(int)) == list(range(10))  # one per stratum
    assert all(isinstance(w, int) and 500 <= w <= 1500 for w in workers)


def test_policy_parameters_are_swept_by_list_index_and_drawn_as_a_heat_map(tmp_path, capsys):
    """A shock's size varied through ``policies.0.share``: each run's scenario carries its
    value; a two-number grid is drawn as a heat map. Below the break point (T = 1.55) the
    core absorbs even a large wave of closures; between T_B and T_S (T = 1.75) a small one
    is absorbed and a large one breaks the core up (path dependence)."""
    closures = ROOT / "scenarios" / "core_plant_closures.toml"
    path = write(
        tmp_path,
        f"""
[sweep]
scenario = "{closures}"
[set]
"population.workers" = 2000
"population.firms" = 400
[parameters]
"economy.transport_cost" = [1.55, 1.75]
"policies.0.share" = [0.05, 0.5]
""",
    )
    plan = load_sweep(path)
    shares = sorted({plan.scenario(run).policies[0].share for run in plan.runs})
    assert shares == [0.05, 0.5]
    assert main(["sweep", str(path), "--out", str(tmp_path / "out"), "--quiet"]) == 0
    assert main(["plot", "sweep", str(tmp_path / "out")]) == 0
    assert "(heat map)" in capsys.readouterr().out
    assert (tmp_path / "out" / "sweep.png").read_bytes().startswith(PNG)
    runs = load_results(tmp_path / "out")[1]
    largest = runs.set_index(["economy.transport_cost", "policies.0.share"])["largest_share"]
    assert largest[(1.55, 0.05)] == largest[(1.55, 0.5)] == 1.0
    assert largest[(1.75, 0.05)] == 1.0
    assert abs(largest[(1.75, 0.5)] - 0.5) < 0.05


def test_heat_map_axes_name_the_varied_keys(tmp_path):
    from negsim.sweeps.plots import plot_heat_map

    closures = ROOT / "scenarios" / "core_plant_closures.toml"
    plan = plan_sweep(
        {
            "sweep": {"scenario": str(closures)},
            "set": {"population.workers": 200, "population.firms": 40},
            "parameters": {"economy.transport_cost": [1.55, 1.6], "policies.0.share": [0.1, 0.2]},
        },
        source="inline",
        base_dir=tmp_path,
    )
    runs = pd.DataFrame(
        {
            "economy.transport_cost": [1.55, 1.55, 1.6, 1.6],
            "policies.0.share": [0.1, 0.2, 0.1, 0.2],
            "largest_share": [1.0, 0.5, 0.75, 1.0],
            "final_shares": [[1.0, 0.0]] * 4,
            "error": [None] * 4,
        }
    )
    fig = plot_heat_map(plan, runs)
    ax = fig.axes[0]
    assert ax.get_xlabel().startswith("transport cost T")
    assert ax.get_ylabel() == "share of the region's firms that close (policies.0.share)"
    mesh = ax.collections[0].get_array().reshape(2, 2)  # rows: share, columns: T
    np.testing.assert_array_equal(mesh, [[1.0, 0.75], [0.5, 1.0]])
    assert fig.axes[1].get_ylabel() == "largest final share (mean over replications)"


# --- errors before any run ------------------------------------------------------------------

BAD = [
    (
        "[sweep]\nscenario = 'nope.toml'\n[parameters]\n'economy.mu' = [0.3]\n",
        ["sweep.scenario", "nope.toml", "no such file"],
    ),
    (
        "[sweep]\nscenario = '{base}'\ndesgin = 'grid'\n[parameters]\n'economy.mu' = [0.3]\n",
        ["sweep.desgin", "unknown key"],
    ),
    (
        "[sweep]\nscenario = '{base}'\n[parameters]\n'economy.tranport_cost' = [1.5]\n",
        ["parameters.economy.tranport_cost", "unknown scenario key", "transport_cost"],
    ),
    (
        "[sweep]\nscenario = '{base}'\n[parameters]\n"
        "'economy.transport_cost' = {{ min = 2.0, max = 1.5, step = 0.1 }}\n",
        ["parameters.economy.transport_cost", "min = 2.0, max = 1.5", "min ≤ max"],
    ),
    (
        "[sweep]\nscenario = '{base}'\n[parameters]\n"
        "'economy.transport_cost' = {{ min = 1.5, max = 2.0, step = 0 }}\n",
        ["parameters.economy.transport_cost", "step must be > 0"],
    ),
    (
        "[sweep]\nscenario = '{base}'\n[parameters]\n'economy.mu' = {{ min = 0.3, max = 0.9, "
        "step = 0.1 }}\n",
        ["economy.mu", "no-black-hole", "in 2 of 7 design points", "min = 0.3, max = 0.9"],
    ),
    (
        "[sweep]\nscenario = '{base}'\ndesign = 'lhs'\nsamples = 4\n[parameters]\n"
        "'economy.mu' = [0.3, 0.4]\n",
        ["parameters.economy.mu", "design 'lhs' samples ranges"],
    ),
    (
        "[sweep]\nscenario = '{base}'\ndesign = 'sobol'\nsamples = 100\n[parameters]\n"
        "'economy.mu' = {{ min = 0.2, max = 0.4 }}\n'economy.sigma' = {{ min = 4, max = 6 }}\n",
        ["sweep.samples", "power of 2", "got 100"],
    ),
    (
        "[sweep]\nscenario = '{base}'\n[parameters]\n'run.seed' = [1, 2]\n",
        ["run.seed", "derived from sweep.seed"],
    ),
    (
        "[sweep]\nscenario = '{base}'\n[parameters]\n'population.initial_shares' = [0.5, 0.5]\n",
        ["parameters.population.initial_shares", "list of lists"],
    ),
    (
        "[sweep]\nscenario = '{base}'\nreplications = 0\n[parameters]\n'economy.mu' = [0.3]\n",
        ["sweep.replications", "greater than or equal to 1"],
    ),
    (
        "[sweep]\nscenario = '{base}'\ndesign = 'continuation'\n[parameters]\n"
        "'economy.mu' = [0.3]\n'economy.sigma' = [5.0]\n",
        ["parameters", "exactly one parameter"],
    ),
    (
        "[sweep]\nscenario = '{base}'\n[parameters]\n'economy.mu' = [0.3, 0.3]\n",
        ["parameters.economy.mu", "listed twice"],
    ),
    (
        "[sweep]\nscenario = '{base}'\n[parameters]\n'policies.0.share' = [0.1, 0.2]\n",
        ["parameters.policies.0.share", "the base scenario has no [[policies]]"],
    ),
    (
        "[sweep]\nscenario = '{base}'\n[parameters]\n'policies.share' = [0.1, 0.2]\n",
        ["parameters.policies.share", "list of tables", "policies.0.share"],
    ),
    (
        "[sweep]\nscenario = '{base}'\n[set]\n'population.workers' = 1.5\n"
        "[parameters]\n'economy.mu' = [0.3]\n",
        ["population.workers", "valid integer"],
    ),
]


@pytest.mark.parametrize("text,fragments", BAD)
def test_bad_sweep_files_fail_before_any_run_with_one_line_each(tmp_path, capsys, text, fragments):
    path = write(tmp_path, text.format(base=BASE), "bad.toml")
    out = tmp_path / "out"
    assert main(["sweep", str(path), "--out", str(out)]) == 2
    captured = capsys.readouterr()
    lines = captured.err.splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith(f"negsim: error: {path}") or "sweep.scenario" in lines[0]
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])
    assert not out.exists()  # nothing ran, nothing written
    assert captured.out == ""


def test_several_problems_are_reported_together(tmp_path, capsys):
    path = write(
        tmp_path,
        f"[sweep]\nscenario = '{BASE}'\n[parameters]\n'economy.sigm' = [4]\n"
        "'economy.mu' = {min = 0.1}\n",
    )
    with pytest.raises(SweepError) as err:
        load_sweep(path)
    lines = str(err.value).splitlines()
    assert len(lines) == 2
    assert "parameters.economy.sigm" in lines[0] and "parameters.economy.mu" in lines[1]


# --- the output directory -----------------------------------------------------------------


def test_output_directory_is_protected_and_resume_skips_finished_runs(tmp_path, capsys):
    path = write(tmp_path, SMALL.replace("replications = 2", "replications = 1"))
    out = tmp_path / "out"
    first = negsim.sweep(path, out=out, workers=1)
    # the same sweep again without --resume: refused, with the way forward
    assert main(["sweep", str(path), "--out", str(out), "--quiet"]) == 2
    assert "complete results of this sweep (8 of 8 runs); pass --resume" in capsys.readouterr().err
    # --resume on a complete sweep recomputes nothing
    again = negsim.sweep(path, out=out, resume=True, workers=1)
    assert (again["wall_time"] == first["wall_time"]).all()
    # a different sweep is refused, with or without --resume
    other = write(tmp_path, SMALL.replace("seed = 7", "seed = 8"), "other.toml")
    for extra in ([], ["--resume"]):
        assert main(["sweep", str(other), "--out", str(out), "--quiet", *extra]) == 2
        assert "different sweep" in capsys.readouterr().err
    # the resolved sweep reproduces the results
    resolved = out / "sweep.resolved.toml"
    assert resolved.read_text(encoding="utf-8").startswith("# negsim sweep")
    assert comparable(negsim.sweep(resolved, workers=1)).equals(comparable(first))
    # a directory in use by another sweep process is refused
    holder = SweepStore(out)
    holder.open(load_sweep(path), resume=True)
    try:
        with pytest.raises(OutputError, match="another negsim sweep is writing here"):
            negsim.sweep(path, out=out, resume=True, workers=1)
    finally:
        holder.close()


def test_interrupted_commit_and_compaction_are_repaired_on_resume(tmp_path):
    path = write(tmp_path, SMALL.replace("replications = 2", "replications = 1"))
    out = tmp_path / "out"
    full = negsim.sweep(path, out=out, workers=1)
    runs = pq.read_table(out / "runs.parquet")
    series = pq.read_table(out / "timeseries.parquet")
    # state after a kill: runs 0-3 committed in two parts, the batch of runs 4-5 has its
    # time series written but not its runs part (an orphan), a temporary file is left over,
    # and a compaction of the runs died after moving the old folder aside
    for name in ("runs.parquet", "timeseries.parquet"):
        shutil.rmtree(out / name)
    staged = Dataset(out / "runs.parquet.compact")
    staged.write(runs.slice(0, 2), 0)
    staged.write(runs.slice(2, 2), 1)
    ts = Dataset(out / "timeseries.parquet")
    ids = series.column("run_id").to_numpy()
    ts.write(series.filter(pa.array(ids < 4)), 0)
    ts.write(series.filter(pa.array((ids >= 4) & (ids < 6))), 2)
    (out / "timeseries.parquet" / ".part-000003.parquet.x.tmp").write_bytes(b"partial")
    assert len(read_runs(out)) == 4  # readers see the committed runs meanwhile

    resumed = negsim.sweep(path, out=out, resume=True, workers=1)
    assert comparable(resumed).equals(comparable(full))
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == [
        "runs.parquet",
        "sweep.resolved.toml",
        "timeseries.parquet",
    ]
    assert [p.name for p in (out / "runs.parquet").iterdir()] == ["part-000000.parquet"]
    stored = pd.read_parquet(out / "timeseries.parquet")
    assert not stored.duplicated(["run_id", "step", "region"]).any()
    assert stored["run_id"].nunique() == 8


def test_failing_runs_are_recorded_not_fatal(tmp_path, capsys):
    path = write(
        tmp_path,
        f"[sweep]\nscenario = '{BASE}'\n[set]\n'population.workers' = 500\n'run.steps' = 400\n"
        "[parameters]\n'solver.max_iter' = [1, 100]\n",
    )
    assert main(["sweep", str(path), "--out", str(tmp_path / "out"), "--workers", "1"]) == 1
    out = capsys.readouterr().out
    assert "run 0 failed: EquilibriumError" in out
    runs = pd.read_parquet(tmp_path / "out" / "runs.parquet")
    assert runs["error"].notna().tolist() == [True, False]
    assert pd.isna(runs["regime"].iloc[0]) and runs["regime"].iloc[1] == "agglomerated"
