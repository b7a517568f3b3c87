"""``negsim run``'s output directory under stress (#16): a kill -9 at every write, a second
process writing into the same directory, unwritable places found before the run, and
scenario names that would escape the output root."""

from __future__ import annotations

import fcntl
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from negsim.cli import main
from negsim.economies.base import EquilibriumError
from negsim.output import OUTPUT_FILES, folder_name

SCENARIO = Path(__file__).resolve().parents[1] / "scenarios" / "two_region_clustering.toml"
SMALL = ["--set", "population.workers=500", "--set", "run.steps=30", "--quiet"]

KILL_AT_WRITE = """
import os, signal, sys
real_replace, calls = os.replace, [0]
def replace(src, dst):
    calls[0] += 1
    if calls[0] == int(sys.argv[1]):  # die like kill -9: no cleanup, the temporary file stays
        os.kill(os.getpid(), signal.SIGKILL)
    return real_replace(src, dst)
os.replace = replace
from negsim.cli import main
sys.exit(main(sys.argv[2:]))
"""


def run_cli(*args: str) -> int:
    return main(["run", str(SCENARIO), *SMALL, *args])


@pytest.mark.parametrize("write", range(1, len(OUTPUT_FILES) + 1))
def test_a_run_killed_at_any_write_is_completed_by_the_same_command(tmp_path, write):
    reference, out = tmp_path / "reference", tmp_path / "out"
    assert run_cli("--out", str(reference)) == 0
    args = ["run", str(SCENARIO), *SMALL, "--out", str(out)]
    killed = subprocess.run(
        [sys.executable, "-c", KILL_AT_WRITE, str(write), *args],
        capture_output=True,
        timeout=120,
        env={**os.environ, "OPENBLAS_NUM_THREADS": "1"},
    )
    assert killed.returncode == -signal.SIGKILL
    assert any(p.name.endswith(".tmp") for p in out.iterdir())  # it died mid-write
    assert run_cli("--out", str(out)) == 0  # the same command, again
    assert sorted(p.name for p in out.iterdir()) == sorted(OUTPUT_FILES)  # nothing stray
    for name in ("timeseries.csv", "summary.json", "scenario.resolved.toml"):
        assert (out / name).read_bytes() == (reference / name).read_bytes(), name


def test_a_second_process_writing_into_the_same_directory_is_refused(tmp_path, capsys):
    out = tmp_path / "out"
    out.mkdir()
    fd = os.open(out, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # as a running negsim holds it
        assert run_cli("--out", str(out)) == 2
        err = capsys.readouterr().err.splitlines()
        assert len(err) == 1 and "another negsim run is writing here" in err[0]
        assert list(out.iterdir()) == []
    finally:
        os.close(fd)
    assert run_cli("--out", str(out)) == 0


@pytest.mark.parametrize(
    "where",
    [lambda tmp: tmp / "afile" / "sub", lambda tmp: tmp / ("x" * 300), lambda tmp: Path("/proc/x")],
    ids=["below-a-file", "name-too-long", "proc"],
)
def test_an_unwritable_out_is_refused_before_the_run(tmp_path, capsys, monkeypatch, where):
    (tmp_path / "afile").write_text("keep me")
    import negsim.runner

    monkeypatch.setattr(negsim.runner, "NEGModel", None)  # the run must not even start
    assert run_cli("--out", str(where(tmp_path))) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and err[0].startswith("negsim: error: ") and "Traceback" not in err[0]
    assert (tmp_path / "afile").read_text() == "keep me"


@pytest.mark.parametrize(
    ("name", "folder"),
    [
        ("two_region_clustering", "two_region_clustering"),
        ("", "scenario"),
        ("../../x", "x"),
        ("/abs/path", "abs_path"),
        ("a\x00b", "a_b"),
        ("..", "scenario"),
        ("Xi'an 西安", "Xi_an_西安"),
    ],
)
def test_scenario_names_become_safe_folders_inside_the_output_root(name, folder):
    assert folder_name(name) == folder
    assert "/" not in folder and not folder.startswith(".")


def test_a_default_output_folder_never_escapes_runs(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert run_cli("--set", 'name="../../escaped"') == 0
    assert sorted(p.name for p in (tmp_path / "runs" / "escaped").iterdir()) == sorted(OUTPUT_FILES)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["runs"]


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["run", str(SCENARIO), "--seed", "1.5"], "negsim run: argument --seed: invalid int"),
        (["tomahawk", "--sigma", "x", "--mu", "0.4"], "negsim tomahawk: argument --sigma"),
        ([], "the following arguments are required: command"),
    ],
)
def test_bad_arguments_get_one_line_and_exit_code_2(capsys, argv, fragment):
    with pytest.raises(SystemExit) as stop:
        main(argv)
    assert stop.value.code == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and err[0].startswith("negsim: error: ") and fragment in err[0]


def test_theory_that_cannot_be_computed_never_loses_the_run(tmp_path, capsys):
    """cp with μ = 0.79 < ρ = 0.8 (σ = 5) is admissible, but its sustain point lies beyond
    any bracket the solver tries: the run's files are written all the same and the summary
    says why theory is missing."""
    out = tmp_path / "out"
    loud = [arg for arg in SMALL if arg != "--quiet"]  # the summary says why
    assert main(["run", str(SCENARIO), *loud, "--set", "economy.mu=0.79", "--out", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == sorted(OUTPUT_FILES)
    theory = json.loads((out / "summary.json").read_text())["theory"]
    assert theory == {
        "unavailable": "EquilibriumError: sustain point not bracketed for sigma=5.0, mu=0.79"
    }
    assert "theory: unavailable (EquilibriumError" in capsys.readouterr().out


def test_an_fc_economy_that_underflows_is_refused_not_written_as_nan(tmp_path, capsys):
    """fc at T = 1e200: T^(1-σ) underflows to 0, so with every firm in one region the other
    reaches none (Δ = 0). That used to write NaN into summary.json and exit 0; validation
    now refuses it before the run ((σ-1)·log10 T ≤ 200, tests/test_bad_input.py), and the
    solver itself still refuses Δ = 0."""
    from negsim.economies import fc

    out = tmp_path / "out"
    extra = [
        'economy.model="fc"',
        "economy.transport_cost=1e200",
        "population.initial_shares=[1.0, 0.0]",
    ]
    assert run_cli(*[a for x in extra for a in ("--set", x)], "--out", str(out)) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and "economy.transport_cost: trade freeness" in err[0]
    assert not out.exists()
    T = np.array([[1.0, 1e200], [1e200, 1.0]])
    with pytest.raises(EquilibriumError, match="a region reaches no firm"):
        fc.short_run_equilibrium(np.array([1.0, 0.0]), np.array([0.5, 0.5]), T, 5.0, 0.4)
