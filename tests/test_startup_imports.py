"""What `negsim tomahawk --json` and `negsim --help` load (#11 item 4): no scipy.optimize and
no scenario schema (pydantic), nor Mesa, pandas or matplotlib — each command runs in a fresh
interpreter, so the test sees exactly what that command imported. And a scenario error
still ends as one line and exit 2 now that the schema is imported on demand."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("scipy.optimize", "pydantic", "mesa", "pandas", "matplotlib")
PROBE = """
import contextlib, io, json, sys
from negsim.cli import main
out = io.StringIO()
with contextlib.redirect_stdout(out):
    try:
        code = main(sys.argv[1:])
    except SystemExit as exc:
        code = exc.code
print(json.dumps({"code": code, "out": out.getvalue(), "loaded": sorted(sys.modules)}))
"""


def probe(*args: str) -> dict:
    env = dict(os.environ, PYTHONPATH=str(ROOT), OPENBLAS_NUM_THREADS="1")
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def heavy(loaded: list[str]) -> list[str]:
    return [m for m in HEAVY if m in loaded]


@pytest.mark.parametrize(
    "args", [["tomahawk", "--json"], ["tomahawk", "--model", "fe", "--json"], ["--help"]]
)
def test_light_commands_import_no_heavy_package(args):
    result = probe(*args)
    assert result["code"] == 0
    assert heavy(result["loaded"]) == []


def test_tomahawk_plot_needs_no_pandas_or_schema(tmp_path):
    result = probe("tomahawk", "--plot", str(tmp_path / "t.png"))
    assert result["code"] == 0 and (tmp_path / "t.png").stat().st_size > 0
    assert heavy(result["loaded"]) == ["matplotlib"]


def test_tomahawk_json_reports_the_economy_thresholds():
    from negsim.economies import cp

    result = probe("tomahawk", "--sigma", "5", "--mu", "0.4", "--json")
    out = json.loads(result["out"])
    assert out["break_point"]["T"] == cp.break_point(5.0, 0.4).T
    assert out["sustain_point"]["T"] == cp.sustain_point(5.0, 0.4).T  # vs scipy: test_roots


def test_bad_parameters_one_line_without_the_schema():
    result = probe("tomahawk", "--sigma", "2", "--mu", "0.6")
    assert result["code"] == 2
    assert "pydantic" not in result["loaded"]


def test_scenario_errors_are_still_one_line(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "x"\n[economy]\nmodel = "cp"\nsigma = 0.5\n')
    env = dict(os.environ, PYTHONPATH=str(ROOT), OPENBLAS_NUM_THREADS="1")
    done = subprocess.run(
        [sys.executable, "-m", "negsim.cli", "validate", str(bad)],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert done.stderr.startswith("negsim: error: ") and str(bad) in done.stderr


def test_readme_figure_script_needs_neither_pyplot_nor_tqdm(tmp_path):
    """The README figure's script builds a bare Figure (pyplot only costs a script that writes
    a file) and shows no progress bar (tqdm is imported only for one)."""
    script = ROOT / "notebooks" / "figures" / "make_readme_figure.py"
    out = tmp_path / "figure.png"
    code = (
        "import json, runpy, sys; "
        f"runpy.run_path({str(script)!r})['main']([{str(out)!r}]); "
        "print(json.dumps(sorted(sys.modules)))"
    )
    env = dict(os.environ, PYTHONPATH=str(ROOT), OPENBLAS_NUM_THREADS="1")
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True, check=True
    )
    loaded = json.loads(done.stdout.strip().splitlines()[-1])
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "matplotlib.figure" in loaded and "pandas" in loaded  # the figure and its tables
    assert [m for m in ("matplotlib.pyplot", "tqdm") if m in loaded] == []
