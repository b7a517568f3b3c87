"""Notebook 01 stays light (#11 item 5): its cells, run top to bottom in a fresh interpreter,
import nothing of the interactive page's stack (Solara, ipyvuetify, Mesa's visualisation with
altair), which takes longer to import than notebook 01 takes to run; the page lives in
notebook 09. The same process then imports ``negsim.viz``, so the check is shown the stack it
looks for and cannot pass by looking for names that are never loaded. Speed itself is measured
by benchmarks/bench_figures.py, not here."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
PAGE_STACK = ("negsim.viz", "solara", "ipyvuetify", "altair", "mesa.visualization")

PROBE = """
import json, os, sys
os.environ["MPLBACKEND"] = "Agg"
notebook, stack = os.path.abspath(sys.argv[1]), sys.argv[2:]
os.chdir(os.path.dirname(notebook))
def page_modules():
    return sorted(m for m in sys.modules if any(m == s or m.startswith(s + ".") for s in stack))
namespace = {}
for cell in json.load(open(notebook))["cells"]:
    if cell["cell_type"] == "code":
        exec(compile("".join(cell["source"]), notebook, "exec"), namespace)
after_cells = page_modules()
import negsim.viz
print(json.dumps({"cells": after_cells, "viz": page_modules()}))
"""


def page_modules_loaded(notebook: Path) -> dict[str, list[str]]:
    env = dict(os.environ, PYTHONPATH=str(ROOT), OPENBLAS_NUM_THREADS="1")
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(notebook), *PAGE_STACK],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_notebook_01_imports_nothing_of_the_interactive_page():
    loaded = page_modules_loaded(NOTEBOOKS / "01_getting_started.ipynb")
    assert loaded["cells"] == []
    tops = {next(s for s in PAGE_STACK if m == s or m.startswith(s + ".")) for m in loaded["viz"]}
    assert tops == set(PAGE_STACK)  # the probe sees the stack once it is imported


def test_notebook_01_points_to_the_page_notebook_which_shows_the_page():
    first = json.loads((NOTEBOOKS / "01_getting_started.ipynb").read_text(encoding="utf-8"))
    page = json.loads((NOTEBOOKS / "09_interactive_page.ipynb").read_text(encoding="utf-8"))
    markdown = "".join("".join(c["source"]) for c in first["cells"] if c["cell_type"] == "markdown")
    assert "(09_interactive_page.ipynb)" in markdown
    code = ["".join(c["source"]) for c in page["cells"] if c["cell_type"] == "code"]
    assert code[-1] == "viz.page(scenario)"
    assert page["cells"][-1]["metadata"]["tags"] == ["remove-cell"]  # needs a live kernel
