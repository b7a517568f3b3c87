"""Bad input and extremes (#16): every reproducer of the issue's list, run through the CLI's
``main`` in-process. Each either loads and runs with finite outputs, or is refused before
anything runs with one line naming the file and key, exit code 2 — never a traceback, a
hang or NaN in the outputs."""

from __future__ import annotations

import json
import math
import os
import threading
from pathlib import Path

import numpy as np
import pytest

from negsim import resources
from negsim.cli import main
from negsim.economies.base import LOG10_TRADE_FREENESS_MIN, SIGMA_MAX
from negsim.geography import costs, log10_max_cost, network_diameter
from negsim.runner import run
from negsim.scenario import MAX_NESTING, load_scenario, read_toml
from negsim.sweeps.spec import plan_sweep

ROOT = Path(__file__).resolve().parents[1]
BASE = ROOT / "scenarios" / "two_region_clustering.toml"
SHIPPED = sorted((ROOT / "scenarios").glob("*.toml"))


def cli(capsys: pytest.CaptureFixture, *argv: str) -> tuple[int, list[str]]:
    """Exit code and stderr lines of ``negsim ARGV``, in this process."""
    code = main(list(argv))
    return code, capsys.readouterr().err.splitlines()


def refused(capsys: pytest.CaptureFixture, *argv: str, lines: int = 1) -> list[str]:
    code, err = cli(capsys, *argv)
    assert code == 2, err
    assert len(err) == lines, err
    assert all(line.startswith("negsim: error: ") for line in err), err
    return err


def finite_outputs(result) -> bool:
    numbers = result.timeseries.select_dtypes("number").to_numpy()
    text = json.dumps(result.summary)
    return bool(np.isfinite(numbers).all()) and "NaN" not in text and "Infinity" not in text


# --- files that are not files, nesting ----------------------------------------------------


@pytest.mark.parametrize("kind", ["fifo", "directory", "device"])
def test_a_file_that_is_not_a_regular_file_is_refused_without_reading(tmp_path, capsys, kind):
    path = {"fifo": tmp_path / "fifo.toml", "directory": tmp_path, "device": Path("/dev/zero")}[
        kind
    ]
    if kind == "fifo":
        os.mkfifo(path)
    codes: list[int] = []
    worker = threading.Thread(target=lambda: codes.append(main(["validate", str(path)])))
    worker.start()
    worker.join(timeout=20)
    if worker.is_alive():  # unblock the reader before failing, or pytest hangs too
        with open(path, "wb"):
            pass
        worker.join()
        pytest.fail(f"reading {kind} {path} blocked")
    err = capsys.readouterr().err.splitlines()
    assert codes == [2]
    assert len(err) == 1 and "must be a regular file" in err[0] and str(path) in err[0], err


def test_a_sweep_file_or_its_base_scenario_that_is_a_fifo_is_refused(tmp_path, capsys):
    fifo = tmp_path / "base.toml"
    os.mkfifo(fifo)
    sweep = tmp_path / "s.toml"
    sweep.write_text(
        f'[sweep]\nscenario = "{fifo.name}"\n[parameters]\n"economy.mu" = [0.3, 0.4]\n'
    )
    (err,) = refused(capsys, "sweep", str(sweep), "--out", str(tmp_path / "o"), "--quiet")
    assert "sweep.scenario" in err and "must be a regular file (it is a FIFO)" in err
    (err,) = refused(capsys, "sweep", str(fifo), "--out", str(tmp_path / "o"), "--quiet")
    assert "must be a regular file" in err


@pytest.mark.parametrize("opening", ["[", "{a = "])
def test_deep_nesting_in_a_file_is_one_line_not_a_recursion_error(tmp_path, capsys, opening):
    close = "]" if opening == "[" else "}"
    deep = tmp_path / "deep.toml"
    deep.write_text("x = " + opening * 2000 + ("1" if close == "}" else "") + close * 2000)
    (err,) = refused(capsys, "validate", str(deep))
    assert str(deep) in err and f"nested too deeply (at most {MAX_NESTING} levels)" in err


def test_nesting_the_parser_accepts_is_refused_at_the_key(tmp_path, capsys):
    deep = tmp_path / "deep.toml"
    deep.write_text(BASE.read_text() + "\n[extra]\nx = " + "[" * 40 + "]" * 40 + "\n")
    assert read_toml(BASE)  # shipped files are far below the limit
    (err,) = refused(capsys, "validate", str(deep))
    assert f"{deep}: extra.x.0.0" in err and "nested too deeply" in err


def test_deep_set_value_and_nul_in_a_name(capsys, tmp_path, monkeypatch):
    (err,) = refused(capsys, "validate", str(BASE), "--set", "name=" + "[" * 2000 + "]" * 2000)
    assert "--set name: value nested too deeply" in err
    # a NUL (TOML escape: argv cannot hold the byte) loads, and becomes a safe folder name
    code, _ = cli(capsys, "validate", str(BASE), "--set", 'name="a\\u0000b"')
    assert code == 0
    out = tmp_path / "runs"
    monkeypatch.chdir(tmp_path)
    code, err = cli(capsys, "run", str(BASE), "--set", 'name="a\\u0000/b"', "--set", "run.steps=2")
    assert code == 0, err
    assert [p.name for p in out.iterdir()] == ["a_b"]


# --- numbers the solvers cannot honour ----------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "key", "fragment"),
    [
        (["economy.sigma=1e308"], "economy.sigma", f"less than or equal to {SIGMA_MAX:g}"),
        (["economy.sigma=2e9"], "economy.sigma", f"less than or equal to {SIGMA_MAX:g}"),
        (["economy.transport_cost=1e200"], "economy.transport_cost", "10^-800 is below 1e-200"),
        (
            ['economy.model="fe"', "economy.sigma=50", "economy.transport_cost=1e7"],
            "economy.transport_cost",
            "(sigma-1)·log10(T_max) ≤ 200",
        ),
        (
            ['policies=[{kind="transport_cost", start=2, end=10, value=1e308}]'],
            "policies.0.value",
            "10^-1232",
        ),
        (
            ['geography.link_overrides=[{between=["North", "South"], transport_cost=1e300}]'],
            "geography.link_overrides.0.transport_cost",
            "is below 1e-200",
        ),
    ],
)
def test_numbers_that_overflow_the_solver_are_refused_naming_the_key(
    capsys, tmp_path, overrides, key, fragment
):
    sets = [x for o in overrides for x in ("--set", o)]
    for command in (["validate", str(BASE)], ["run", str(BASE), "--out", str(tmp_path)]):
        (err,) = refused(capsys, *command, *sets)
        assert f"{BASE} (with --set): {key}: " in err and fragment in err, err
    assert not any(tmp_path.iterdir())


def test_racetrack_bound_counts_the_compounded_cost_to_the_far_side(capsys):
    # 400 places, T = 1.8 between neighbours: T_max = 1.8^200, (σ-1)·log10 = 4·51.06 > 200
    sets = ['geography.kind="racetrack"', "regions.count=400", "population.initial_shares=[]"]
    base = ["validate", str(ROOT / "scenarios" / "racetrack_12.toml")]
    (err,) = refused(
        capsys,
        *base,
        *[x for s in sets[:2] for x in ("--set", s)],
        "--set",
        "economy.transport_cost=1.8",
        "--set",
        "economy.sigma=5",
    )
    assert "economy.transport_cost" in err and f"log10(T_max) = {200 * math.log10(1.8):.4g}" in err
    code, _ = cli(
        capsys,
        *base,
        "--set",
        "regions.count=400",
        "--set",
        "economy.transport_cost=1.77",
        "--set",
        "economy.sigma=5",
    )
    assert code == 0  # 4 · 200 · log10(1.77) = 198.4


def test_log10_max_cost_is_the_largest_entry_of_the_matrix_geography_builds():
    class Geo:
        def __init__(self, kind, rows=None, cols=None):
            self.kind, self.rows, self.cols = kind, rows, cols
            self.links, self.cost, self.cost_per_distance = [], "exponential", None

    for geo, n in [
        (Geo("racetrack"), 9),
        (Geo("racetrack"), 10),
        (Geo("line"), 7),
        (Geo("grid", 3, 5), 15),
        (Geo("two_region"), 2),
    ]:
        names = [f"r{i}" for i in range(n)]
        matrix = costs(geo, names, 1.7, [])
        assert log10_max_cost(geo, names, 1.7) == pytest.approx(math.log10(matrix.max()))


def test_network_diameter_against_floyd_warshall():
    rng = np.random.default_rng(3)
    names = [f"n{i}" for i in range(12)]
    links = [(names[i], names[i + 1], float(rng.uniform(1, 5))) for i in range(11)]
    links += [(names[i], names[j], float(rng.uniform(1, 9))) for i, j in [(0, 5), (3, 9), (2, 11)]]
    dist = np.full((12, 12), np.inf)
    np.fill_diagonal(dist, 0)
    for a, b, d in links:
        i, j = names.index(a), names.index(b)
        dist[i, j] = dist[j, i] = min(dist[i, j], d)
    for k in range(12):
        dist = np.minimum(dist, dist[:, [k]] + dist[[k], :])
    assert network_diameter(names, links) == pytest.approx(dist.max())


@pytest.mark.parametrize("model", ["cp", "fe", "fc"])
@pytest.mark.parametrize(
    ("sigma", "mu", "log10_T"),
    [
        (SIGMA_MAX, 0.4, -LOG10_TRADE_FREENESS_MIN / (SIGMA_MAX - 1)),  # both limits at once
        (SIGMA_MAX, 0.4, 0.0),  # T = 1
        (1.05, 0.02, 308.0),  # T = 1e308: (σ-1)·308 = 15.4
        (5.0, 0.4, -LOG10_TRADE_FREENESS_MIN / 4),  # T = 1e50: φ = 1e-200 exactly
    ],
)
def test_the_limits_themselves_run_with_finite_outputs(model, sigma, mu, log10_T):
    T = 10**log10_T
    scenario = load_scenario(
        BASE,
        [
            f'economy.model="{model}"',
            f"economy.sigma={sigma!r}",
            f"economy.mu={mu!r}",
            f"economy.transport_cost={T!r}",
            "run.steps=15",
            "population.workers=200",
            "population.firms=50",
        ],
    )
    result = run(scenario)
    assert finite_outputs(result)
    assert result.timeseries["wage"].gt(0).all() and result.timeseries["price_index"].gt(0).all()
    shares = result.timeseries.groupby("step")["share"].sum()
    assert np.allclose(shares, 1.0)


def test_tomahawk_refuses_sigma_above_the_limit(capsys):
    (err,) = refused(capsys, "tomahawk", "--sigma", "3e9")
    assert f"sigma must be in (1, {SIGMA_MAX:g}]" in err
    code, _ = cli(capsys, "tomahawk", "--sigma", str(SIGMA_MAX), "--json")
    assert code == 0


def test_every_shipped_scenario_is_within_the_limits(capsys):
    code, err = cli(capsys, "validate", *map(str, SHIPPED))
    assert code == 0, err


# --- resources estimated before anything is created ---------------------------------------


@pytest.fixture
def gigabytes(monkeypatch):
    """Pretend the machine has ``n`` GB available."""

    def set_available(n: float) -> int:
        monkeypatch.setattr(resources, "available_memory", lambda: int(n * 2**30))
        return int(n * 2**30)

    return set_available


def _no_model(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("a model was created")

    monkeypatch.setattr("negsim.runner.NEGModel", refuse)


def test_fifty_million_agents_are_refused_with_the_memory_estimate(
    capsys, tmp_path, monkeypatch, gigabytes
):
    _no_model(monkeypatch)
    gigabytes(1)
    sets = ["--set", "population.workers=50000000", "--set", "population.firms=50000000"]
    # agents are numpy entries, created in seconds: the memory alone refuses them
    err = refused(capsys, "run", str(BASE), *sets, "--out", str(tmp_path / "o"), lines=1)
    agents = 100_000_000
    assert resources.SECONDS_PER_AGENT * agents < resources.TIME_BUDGET_SECONDS
    memory = resources.BASE_BYTES + resources.BYTES_PER_AGENT * agents + 4 * 64
    assert memory > 2**30
    assert (
        f"population.workers: {agents:,} agents on 2 places need ~{memory / 2**30:.1f} GB"
        in (err[0])
    )
    assert "1.0 GB is available" in err[0]
    assert err[0].endswith("pass --force to run anyway")
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("places", [2000, 10_000])
def test_large_racetracks_are_refused_with_the_time_estimate(capsys, monkeypatch, places):
    _no_model(monkeypatch)
    racetrack = ROOT / "scenarios" / "racetrack_12.toml"
    sets = ["--set", f"regions.count={places}", "--set", "economy.transport_cost=1.0001"]
    code, err = cli(capsys, "run", str(racetrack), *sets, "--out", "/nonexistent/x")
    assert code == 2 and all("regions.count" in line for line in err), err
    check = (places + 1) * resources.SECONDS_PER_SOLVE_R3 * places**3
    assert any(f"solves {places + 1:,} equilibria" in line for line in err)
    unit, scale = ("days", 86400) if check > 86400 else ("h", 3600)
    assert any(f"~{check / scale:.1f} {unit}" in line for line in err), err


def test_force_runs_what_the_estimate_refuses(capsys, tmp_path, monkeypatch):
    monkeypatch.setattr(resources, "TIME_BUDGET_SECONDS", 1e-9)
    args = ["run", str(BASE), "--set", "run.steps=3", "--quiet"]
    err = refused(capsys, *args, "--out", str(tmp_path / "a"), lines=2)
    assert "population.workers: creating 11,000 agents" in err[0]
    assert "regions.names: each settling check of 2 places solves 3 equilibria" in err[1]
    code, _ = cli(capsys, *args, "--out", str(tmp_path / "b"), "--force")
    assert code == 0 and (tmp_path / "b" / "summary.json").exists()


def test_the_memory_estimate_bounds_what_a_model_allocates():
    import tracemalloc

    from negsim.model import NEGModel

    scenario = load_scenario(
        ROOT / "scenarios" / "racetrack_12.toml",
        ["regions.count=300", "population.workers=20000", "population.firms=2000"],
    )
    estimate = resources.estimate_run(scenario)
    tracemalloc.start()
    model = NEGModel(scenario)
    model.step()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    variable = estimate.memory_bytes - resources.BASE_BYTES
    assert 0.3 * variable < peak < variable, (peak, variable)


def _sweep_file(tmp_path: Path, parameters: str, replications: int = 1) -> Path:
    path = tmp_path / "big.toml"
    path.write_text(
        f'[sweep]\nscenario = "{BASE}"\nreplications = {replications}\n[parameters]\n{parameters}\n'
    )
    return path


@pytest.mark.parametrize(
    ("parameters", "replications", "fragment"),
    [
        (
            '"economy.transport_cost" = {min = 1.4, max = 2.0, num = 300}\n'
            '"economy.mu" = {min = 0.1, max = 0.4, num = 300}\n'
            '"economy.sigma" = {min = 2.0, max = 5.0, num = 300}',
            1,
            "27,000,000 design points × 1 replication(s) = 27,000,000 runs is more than the "
            "limit of 10,000,000",
        ),
        (
            '"economy.transport_cost" = {min = 1.4, max = 2.0, step = 0.02}',
            1_000_000,
            "31 design points × 1,000,000 replication(s) = 31,000,000 runs",
        ),
        (
            '"economy.transport_cost" = {min = 1.4, max = 2.0, num = 3000}\n'
            '"economy.mu" = {min = 0.1, max = 0.4, num = 3000}',
            1,
            "9,000,000 design points and 9,000,000 runs: building and checking the plan alone "
            "takes ~",
        ),
    ],
)
def test_huge_sweeps_are_refused_before_the_design_is_built(
    capsys, tmp_path, monkeypatch, parameters, replications, fragment
):
    def never(*args, **kwargs):
        raise AssertionError("the design was built")

    monkeypatch.setattr("negsim.sweeps.spec.design_points", never)
    monkeypatch.setattr("negsim.sweeps.spec.parse_parameter", never)
    path = _sweep_file(tmp_path, parameters, replications)
    (err,) = refused(capsys, "sweep", str(path), "--out", str(tmp_path / "o"), "--quiet")
    assert f"{path}: parameters: {fragment}" in err
    assert not (tmp_path / "o").exists()


def test_count_points_matches_the_design(tmp_path):
    from negsim.sweeps.designs import count_points
    from negsim.sweeps.schema import SweepFile

    for design, params, extra in [
        (
            "grid",
            {
                "economy.transport_cost": {"min": 1.4, "max": 2.0, "step": 0.02},
                "population.initial_shares": [[0.5, 0.5], [0.6, 0.4]],
            },
            {},
        ),
        ("grid", {"economy.mu": {"min": 0.1, "max": 0.3, "num": 7}}, {}),
        ("continuation", {"economy.transport_cost": [1.5, 1.6, 1.7, 1.8]}, {"loop": True}),
        ("lhs", {"economy.mu": {"min": 0.1, "max": 0.3}}, {"samples": 9}),
    ]:
        data = {"sweep": {"scenario": str(BASE), "design": design, **extra}, "parameters": params}
        plan = plan_sweep(data, base_dir=tmp_path)
        assert count_points(SweepFile.model_validate(data), params) == len(plan.runs)


def test_a_sweep_whose_largest_run_does_not_fit_is_refused(capsys, tmp_path, gigabytes):
    gigabytes(1)  # 250 MB + 2 × 30,001,000 agents × 16 B
    path = _sweep_file(tmp_path, '"population.workers" = [1000, 30000000]')
    (err,) = refused(capsys, "sweep", str(path), "--out", str(tmp_path / "o"), "--workers", "2")
    assert f"{path} (its largest run): population.workers: 2 runs at once × 30,001,000" in err
    assert not (tmp_path / "o").exists()


# --- a sweep on a full disk -----------------------------------------------------------------


def _tiny_sweep(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.toml"
    path.write_text(
        f'[sweep]\nscenario = "{BASE}"\nseed = 5\n'
        '[set]\n"population.workers" = 200\n"run.steps" = 30\n'
        '[parameters]\n"economy.transport_cost" = [1.5, 1.6, 1.7, 1.8, 1.9, 2.0]\n'
        "[record]\ntimeseries_every = 10\n"
    )
    return path


def _fill_disk_after(monkeypatch, writes: int) -> None:
    import errno

    from negsim.sweeps import store

    real = store.pq.write_table
    count = {"n": 0}

    def write_table(table, where, *args, **kwargs):
        count["n"] += 1
        if count["n"] > writes:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(table, where, *args, **kwargs)

    monkeypatch.setattr(store.pq, "write_table", write_table)


@pytest.mark.parametrize("writes", [0, 3])
def test_a_sweep_on_a_full_disk_is_one_line_and_resumes(capsys, tmp_path, monkeypatch, writes):
    import pyarrow.parquet as pq

    path = _tiny_sweep(tmp_path)
    args = ["sweep", str(path), "--workers", "1", "--quiet", "--flush-seconds", "0.0001"]
    assert main([*args, "--out", str(tmp_path / "whole")]) == 0
    with monkeypatch.context() as patch:
        _fill_disk_after(patch, writes)
        (err,) = refused(capsys, *args, "--out", str(tmp_path / "full"))
    assert f"{tmp_path / 'full'}: cannot save results: No space left on device" in err
    assert err.endswith("run the same command with --resume")
    assert main([*args, "--out", str(tmp_path / "full"), "--resume"]) == 0
    for name, volatile in (("runs.parquet", ["wall_time"]), ("timeseries.parquet", [])):
        whole = pq.read_table(tmp_path / "whole" / name)
        full = pq.read_table(tmp_path / "full" / name)
        keep = [c for c in whole.column_names if c not in volatile]
        assert full.num_rows == whole.num_rows > 0
        assert full.select(keep).to_pylist() == whole.select(keep).to_pylist(), name
    assert not [p for p in (tmp_path / "full").rglob("*") if p.name.endswith(".tmp")]


def test_a_non_finite_equilibrium_stops_the_run_before_anything_is_written(
    capsys, tmp_path, monkeypatch
):
    import dataclasses

    from negsim.economies import cp

    real = cp.ECONOMY.equilibrium
    calls = {"n": 0}

    def overflowing(*args, **kwargs):
        eq = real(*args, **kwargs)
        calls["n"] += 1
        if calls["n"] < 4:
            return eq
        return dataclasses.replace(eq, price_index=eq.price_index * np.inf)

    monkeypatch.setattr(cp.ECONOMY, "equilibrium", overflowing)
    (err,) = refused(capsys, "run", str(BASE), "--out", str(tmp_path), "--quiet")
    assert "short-run equilibrium at step" in err and "not finite" in err
    assert not (tmp_path / "summary.json").exists() and not (tmp_path / "timeseries.csv").exists()


def test_racetrack_command_refuses_what_its_solver_cannot_honour(capsys):
    (err,) = refused(
        capsys, "racetrack", "--regions", "12", "--transport-cost", "1.9", "--sigma", "3e9"
    )
    assert f"sigma must be in (1, {SIGMA_MAX:g}]" in err
    (err,) = refused(capsys, "racetrack", "--regions", "100", "--transport-cost", "1e10")
    assert "trade freeness T^50^(1-sigma) = 10^-2000" in err


def test_a_date_among_a_sweeps_values_is_one_line(capsys, tmp_path):
    # found by tests/test_fuzz_inputs.py: a TOML date crashed the duplicate check (json)
    path = _sweep_file(tmp_path, '"economy.transport_cost" = [1.5, 2000-01-01]')
    (err,) = refused(capsys, "sweep", str(path), "--out", str(tmp_path / "o"), "--quiet")
    assert f"{path}: economy.transport_cost: Input should be a valid number" in err


def test_racetrack_and_rest_point_commands_are_refused_with_their_estimates(capsys, monkeypatch):
    """`negsim racetrack` at thousands of places (hundreds of O(R³) Jacobians) and
    `negsim rest-point` on a population too large to create are refused up front, with the
    estimate; --force lifts it (the analysis then runs)."""
    _no_model(monkeypatch)
    (err,) = refused(capsys, "racetrack", "--regions", "2000", "--transport-cost", "1.01")
    seconds = resources.RACETRACK_JACOBIANS * resources.SECONDS_PER_RACETRACK_JACOBIAN_R3 * 2000**3
    assert f"--regions 2,000: {resources.RACETRACK_JACOBIANS} Jacobians" in err
    assert f"take ~{seconds / 60:.1f} min and" in err and "(budget 10.0 min," in err
    monkeypatch.setattr(resources, "TIME_BUDGET_SECONDS", 1e-9)
    (err,) = refused(capsys, "racetrack", "--regions", "12", "--transport-cost", "1.9")
    assert err.endswith("pass --force to run anyway")
    code, _ = cli(capsys, "racetrack", "--regions", "12", "--transport-cost", "1.9", "--force")
    assert code == 0
    err = refused(capsys, "rest-point", str(BASE), lines=2)
    assert "population.workers: creating 11,000 agents" in err[0]
