"""How long the figure commands take: what a user waits for a picture.

Each command runs in a new process with this tree's negsim and, with ``--base REV``
(default 703271e, before the vectorised tomahawk scan), with a git worktree of REV too:

- ``negsim tomahawk --plot FILE`` (σ = 5, μ = 0.4: the two-region tomahawk of 161 T values);
- ``negsim plot sweep DIR`` on a 10-run sweep (sweeps/tomahawk.toml with 5 values of T ×
  2 starts; the sweep itself is run once beforehand, with this tree, and not timed);
- the README figure, ``python notebooks/figures/make_readme_figure.py FILE``;
- notebook 01: the code cells executed in one process (``exec``), imports included: the
  whole process ("process": start-up, cells, and the interpreter's exit, ~0.4 s of freeing
  modules that a notebook's cells never pay), and the cells alone timed from inside
  ("cells", the target: the time a user waits on the cells); the same with negsim,
  matplotlib, Mesa and Solara imported first (the cells' own compute: "w/o imports"); and,
  with ``--notebook``, ``pytest --nbmake`` on it (kernel start-up included);
- notebook 09 (the interactive page, moved out of notebook 01), its cells as notebook 01's,
  for what the page costs whoever opens it (no target; nan in a tree without it);
- ``plot sweep``'s floor, for reference: a process that imports what the command imports
  (matplotlib with pyplot, pandas, pyarrow, the sweep schema) and exits;
- the README figure's floors, for reference: a process that imports what the script imports
  (matplotlib, pandas, the scenario schema, negsim's experiments and theory plots) and exits;
  and one that also draws and saves the figure from its two tables, computed beforehand
  (everything but the 47 agent runs);
- notebook 01's floor, for reference: a process that only imports the packages its cells
  cannot do without (Mesa, pandas, pydantic, matplotlib with pyplot), no negsim, timed from
  inside like the cells and as a whole process.

Printed per command: wall-clock seconds and CPU seconds (user + system of the process and
its children, or of the cells timed from inside, wall then nan), best of ``--repeat``, and
after/before ratios of the CPU time, which the other jobs on a shared machine disturb less
than the wall clock. The load average is printed first and last. Target (issue #11, item
5): each under 2 s.

    python benchmarks/bench_figures.py                 # ~1 minute on an idle machine
    python benchmarks/bench_figures.py --notebook --repeat 3
    python benchmarks/bench_figures.py --only notebook --notebook --repeat 5 --base main
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

from _trees import REPO, python_in, revision_tree

TEN_RUNS = """[sweep]
description = "10 runs of the simulated tomahawk (benchmarks/bench_figures.py)"
scenario = "{scenario}"
design = "grid"
replications = 1
seed = 1999

[set]
"population.workers" = 2000
"run.steps" = 4000

[parameters]
"economy.transport_cost" = {{ min = 1.5, max = 1.9, step = 0.1 }}
"population.initial_shares" = [[0.51, 0.49], [1.0, 0.0]]

[record]
timeseries_every = 0
"""

CELLS = r"""
import json, os, sys, time
os.environ["MPLBACKEND"] = "Agg"
notebook = os.path.abspath(sys.argv[1])
os.chdir(os.path.dirname(notebook))
start = time.process_time()
if sys.argv[2:] == ["--warm"]:  # the packages the cells import, before the clock
    import matplotlib.pyplot, negsim.plots.theory, negsim.plots.timeseries, negsim.runner
    import negsim.viz
warm = time.process_time()
namespace = {}
for cell in json.load(open(notebook))["cells"]:
    if cell["cell_type"] == "code":
        exec(compile("".join(cell["source"]), notebook, "exec"), namespace)
print(f"cells CPU {time.process_time() - warm:.6f} imports CPU {warm - start:.6f}")
"""
FLOOR = """import os, time
os.environ["MPLBACKEND"] = "Agg"
start = time.process_time()
import matplotlib.axes, matplotlib.pyplot, mesa, pandas, pydantic  # no negsim
print(f"cells CPU {time.process_time() - start:.6f}")
"""
README_FLOOR = """import matplotlib.figure, negsim, negsim.experiments, negsim.plots.theory
"""  # what the README figure's script imports, and nothing done
SWEEP_FLOOR = """import negsim.cli, negsim.sweeps.cli, negsim.sweeps.plots
"""  # what ``negsim plot sweep`` imports, and nothing done
README_SCRIPT = "notebooks/figures/make_readme_figure.py"
README_DRAWN = """import pickle, runpy, sys
script = runpy.run_path(sys.argv[1])
script["save_figure"](script["draw"](*pickle.load(open(sys.argv[2], "rb"))), sys.argv[3])
"""  # the README figure from its tables, computed beforehand: all but the agent runs
INSIDE = ("--warm", "--inside")  # the child prints its own "cells CPU"
NOTEBOOK = "notebooks/01_getting_started.ipynb"
PAGE_NOTEBOOK = "notebooks/09_interactive_page.ipynb"
TARGET = 2.0


def commands(tmp: Path, notebook: bool) -> dict[str, list[str]]:
    """Every timed command: python arguments, run with the tree as working directory."""
    cli = ["-c", "import sys; from negsim.cli import main; sys.exit(main())"]
    out = {
        "tomahawk --plot": [*cli, "tomahawk", "--plot", str(tmp / "tomahawk.png")],
        "plot sweep (10 runs)": [*cli, "plot", "sweep", str(tmp / "sweep"), "--out"]
        + [str(tmp / "sweep.png")],
        "floor: plot sweep's imports": ["-c", SWEEP_FLOOR],
        "README figure": [README_SCRIPT, str(tmp / "readme.png")],
        "floor: README figure's imports": ["-c", README_FLOOR],
        "floor: README figure w/o its runs": ["-c", README_DRAWN, README_SCRIPT]
        + [str(tmp / "tables.pickle"), str(tmp / "drawn.png")],
        "notebook 01, process": ["-c", CELLS, NOTEBOOK],
        "notebook 01, cells": ["-c", CELLS, NOTEBOOK, "--inside"],
        "notebook 01, cells w/o imports": ["-c", CELLS, NOTEBOOK, "--warm"],
        "notebook 09 (page), cells": ["-c", CELLS, PAGE_NOTEBOOK, "--inside"],
        "floor: imports alone, inside": ["-c", FLOOR, "--inside"],
        "floor: imports alone, process": ["-c", FLOOR],
    }
    if notebook:
        out["notebook 01, pytest --nbmake"] = ["-m", "pytest", "-q", "-p", "no:cacheprovider"]
        out["notebook 01, pytest --nbmake"] += ["--nbmake", NOTEBOOK]
    return out


def timed(tree: Path, args: list[str], repeat: int) -> tuple[float, float]:
    """Best (wall s, CPU s) of ``python ARGS`` in ``tree``; CPU of the children included."""
    best_wall = best_cpu = float("inf")
    for _ in range(repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        done = python_in(tree, args, capture_output=True, text=True)
        wall = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if done.returncode != 0:
            raise SystemExit(f"{tree}: python {' '.join(args)} failed:\n{done.stderr[-2000:]}")
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        if args[-1] in INSIDE:  # the child timed the cells from inside
            cpu = float(done.stdout.split("cells CPU ")[-1].split()[0])
            wall = float("nan")
        best_wall, best_cpu = min(best_wall, wall), min(best_cpu, cpu)
    return (float("nan") if best_wall == float("inf") else best_wall), best_cpu


MISSING = (float("nan"), float("nan"))


def has_files(tree: Path, args: list[str]) -> bool:
    """Whether the notebooks among ``args`` exist in ``tree`` (an older one may lack one), and
    for the README figure drawn from its tables, whether the tree's script has ``draw``."""
    if README_DRAWN in args and "def draw(" not in (tree / README_SCRIPT).read_text():
        return False
    return all((tree / a).exists() for a in args if a.endswith(".ipynb"))


def prepare_sweep(tmp: Path) -> None:
    """The 10-run sweep whose directory ``plot sweep`` draws (run once, not timed)."""
    spec = tmp / "ten.toml"
    spec.write_text(TEN_RUNS.format(scenario=REPO / "scenarios" / "two_region_clustering.toml"))
    cli = ["-c", "import sys; from negsim.cli import main; sys.exit(main())"]
    python_in(
        REPO,
        [*cli, "sweep", str(spec), "--out", str(tmp / "sweep"), "--workers", "1", "--quiet"],
        check=True,
        capture_output=True,
    )


def prepare_tables(tmp: Path) -> None:
    """The README figure's two tables, pickled for the floor that only draws (not timed)."""
    code = "import pickle, runpy, sys; "
    code += "pickle.dump(runpy.run_path(sys.argv[1])['tables'](), open(sys.argv[2], 'wb'))"
    args = ["-c", code, README_SCRIPT, str(tmp / "tables.pickle")]
    python_in(REPO, args, check=True, capture_output=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default="703271e", help="git revision to compare against")
    parser.add_argument("--repeat", type=int, default=1, help="runs per command (best)")
    parser.add_argument("--notebook", action="store_true", help="also pytest --nbmake it")
    parser.add_argument("--only", default="", help="only the commands whose label has this")
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.2f} (2 idle cores wanted); base {args.base}")
    with tempfile.TemporaryDirectory() as name, revision_tree(args.base, Path(name)) as base:
        tmp = Path(name)
        chosen = {k: v for k, v in commands(tmp, args.notebook).items() if args.only in k}
        if "plot sweep (10 runs)" in chosen:
            prepare_sweep(tmp)
        if "floor: README figure w/o its runs" in chosen:
            prepare_tables(tmp)
        trees = {"before": base, "after": REPO}
        print(
            f"\n{'command':<32}{'before wall':>12}{'CPU':>8}{'after wall':>12}{'CPU':>8}"
            f"{'CPU after/before':>18}   target < {TARGET:g} s (CPU)"
        )
        for label, command in chosen.items():
            times = {
                key: timed(tree, command, args.repeat) if has_files(tree, command) else MISSING
                for key, tree in trees.items()
            }
            (bw, bc), (aw, ac) = times["before"], times["after"]
            verdict = "met" if ac < TARGET else "NOT met"
            if PAGE_NOTEBOOK in command:
                verdict = "(no target: the page's own notebook)"
            elif FLOOR in command:
                verdict = "(reference: third-party imports alone)"
            elif README_FLOOR in command or SWEEP_FLOOR in command:
                verdict = "(reference: a process that imports what it does, then exits)"
            elif README_DRAWN in command:
                verdict = "(reference: the figure drawn and saved from its tables, no runs)"
            cells = f"{bw:>12.2f}{bc:>8.2f}{aw:>12.2f}{ac:>8.2f}{ac / bc:>17.2f}x"
            print(f"{label:<32}{cells}   {verdict}")
    print(f"\nload average {os.getloadavg()[0]:.2f} at the end")
    return 0


if __name__ == "__main__":
    sys.exit(main())
