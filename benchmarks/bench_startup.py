"""Start-up time of the ``negsim`` command: how long a user waits before anything happens.

Times, best of ``--repeat`` (wall clock, a new process each time):
``negsim --help``, ``negsim tomahawk --sigma 5 --mu 0.4 --json``, ``negsim schema``,
``negsim validate scenarios/two_region_clustering.toml`` and ``import negsim``; then lists
the largest imports of ``tomahawk --json`` from ``python -X importtime``. With ``--base REV``
the same commands run from a git worktree of REV too, and after/before ratios are printed.
Last, the heavy packages each ``negsim`` command leaves imported (scipy.optimize, pydantic,
mesa, pandas, matplotlib): ``tomahawk --json`` needs none of them.
Targets (issue #11): ``--help`` and ``tomahawk --json`` under 0.5 s.

    python benchmarks/bench_startup.py
    python benchmarks/bench_startup.py --base 5463772
    python benchmarks/bench_startup.py --base 703271e   # before scipy.optimize left tomahawk
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import tempfile
import time
from pathlib import Path

from _trees import REPO, python_in, revision_tree

COMMANDS = {
    "negsim --help": ["-m", "negsim.cli", "--help"],
    "negsim tomahawk --json": ["-m", "negsim.cli", "tomahawk", "--sigma", "5", "--mu", "0.4"]
    + ["--json"],
    "negsim schema": ["-m", "negsim.cli", "schema"],
    "negsim validate": ["-m", "negsim.cli", "validate", "scenarios/two_region_clustering.toml"],
    "import negsim": ["-c", "import negsim"],
}
TARGETS = {"negsim --help": 0.5, "negsim tomahawk --json": 0.5}
HEAVY = ("scipy.optimize", "pydantic", "mesa", "pandas", "matplotlib")
IMPORTED = """
import contextlib, io, sys
from negsim.cli import main
with contextlib.redirect_stdout(io.StringIO()):
    try:
        main(sys.argv[1:])
    except SystemExit:
        pass
print(" ".join(m for m in {heavy!r} if m in sys.modules) or "none")
"""


def wall(tree: Path, args: list[str], repeat: int) -> float:
    """Best wall-clock seconds of ``python ARGS`` with ``tree``'s negsim."""
    return timed(tree, args, repeat)[0]


def timed(tree: Path, args: list[str], repeat: int) -> tuple[float, float]:
    """Best (wall-clock s, CPU s) of ``python ARGS`` with ``tree``'s negsim; the CPU time
    (user + system of the process) is what other jobs on a busy machine disturb least."""
    best_wall = best_cpu = float("inf")
    for _ in range(repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        python_in(tree, args, check=True, capture_output=True)
        best_wall = min(best_wall, time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
        best_cpu = min(best_cpu, cpu)
    return best_wall, best_cpu


def largest_imports(tree: Path, args: list[str], n: int = 8) -> list[tuple[float, str]]:
    """The ``n`` top-level imports with the largest cumulative time (s) under -X importtime."""
    err = python_in(tree, ["-X", "importtime", *args], capture_output=True, text=True).stderr
    rows = []
    for line in err.splitlines():
        match = re.match(r"import time:\s+\d+ \|\s+(\d+) \| (\s*)(\S+)", line)
        if match and len(match.group(2)) <= 1:  # top level: one space of indentation
            rows.append((int(match.group(1)) / 1e6, match.group(3)))
    return sorted(rows, reverse=True)[:n]


def heavy_imports(tree: Path, args: list[str]) -> str:
    """Which of ``HEAVY`` are imported once ``negsim ARGS`` (``-m negsim.cli ARGS``) ran."""
    code = IMPORTED.format(heavy=HEAVY)
    out = python_in(tree, ["-c", code, *args[2:]], capture_output=True, text=True, check=True)
    return out.stdout.strip().splitlines()[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", help="git revision to compare against")
    parser.add_argument("--repeat", type=int, default=5, help="runs per command (best)")
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.2f} (an idle machine wanted)")
    with tempfile.TemporaryDirectory() as tmp:
        trees = {"now": REPO}
        context = revision_tree(args.base, Path(tmp)) if args.base else None
        if context is not None:
            trees = {"before": context.__enter__(), "after": REPO}
        try:
            header = "".join(f"{label + ' s':>12}{'CPU s':>8}" for label in trees)
            ratio = f"{'after/before':>14}" if args.base else ""
            print(f"\n{'command':<26}{header}{ratio}{'target (wall)':>15}")
            for name, command in COMMANDS.items():
                both = {label: timed(tree, command, args.repeat) for label, tree in trees.items()}
                times = {label: t[0] for label, t in both.items()}
                cells = "".join(f"{w:>12.3f}{c:>8.3f}" for w, c in both.values())
                if args.base:
                    cells += f"{times['after'] / times['before']:>13.2f}x"
                target = TARGETS.get(name)
                verdict = ""
                if target is not None:
                    met = list(times.values())[-1] < target
                    verdict = f"  < {target} s {'met' if met else 'NOT met'}"
                print(f"{name:<26}{cells}{verdict}")
            print("\nlargest imports of `negsim tomahawk --json` (cumulative s, -X importtime):")
            for seconds, module in largest_imports(REPO, COMMANDS["negsim tomahawk --json"]):
                print(f"  {seconds:7.3f}  {module}")
            print(f"\nheavy packages imported ({', '.join(HEAVY)}):")
            for name, command in COMMANDS.items():
                if command[:2] == ["-m", "negsim.cli"]:
                    for label, tree in trees.items():
                        print(f"  {name:<26}{label:<8}{heavy_imports(tree, command)}")
        finally:
            if context is not None:
                context.__exit__(None, None, None)


if __name__ == "__main__":
    main()
