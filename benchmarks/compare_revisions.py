"""Compare this working tree with an earlier revision: stepping speed and shipped outputs.

For a refactor the standard is "no slower, byte-identical": this script checks out ``--base``
(default ``HEAD``) into a temporary git worktree and, in alternating subprocesses that
import one tree or the other (same interpreter, same machine, one run), times

- two regions, 100,000 workers, free entry (the ``bench_two_region`` setting);
- the same with cp firms at their own speed (entry and exit, 100,000 firms);
- a racetrack of 100 places, 100,000 workers (the ``bench_racetrack`` setting);

best of ``--repeat`` per tree, and prints after/before ratios. With ``--outputs`` it also runs
every shipped scenario (``scenarios/*.toml``) at its seed with both trees and compares
timeseries.csv and summary.json byte for byte.

    python benchmarks/compare_revisions.py --base 5463772          # ~2 minutes
    python benchmarks/compare_revisions.py --base main --outputs --repeat 2

Run it on an idle machine (the load average is printed first); both trees must be able
to run with the interpreter running this script.
"""

from __future__ import annotations

import argparse
import filecmp
import json
import os
import sys
import tempfile
from pathlib import Path

from _trees import REPO, python_in, revision_tree

TWO = ["population.workers=100000", "economy.transport_cost=1.58"]
CASES = {  # name: (shipped scenario, --set overrides)
    "two regions, free entry": (
        "two_region_clustering.toml",
        [*TWO, "population.initial_shares=[0.5005, 0.4995]"],
    ),
    "two regions, firms at own speed": (
        "two_region_clustering.toml",
        [
            *TWO,
            "population.initial_shares=[0.5005, 0.4995]",
            "population.firms=100000",
            "firms.adjustment_speed=0.1",
            "firms.entry_exit=true",
        ],
    ),
    "racetrack R=100": (
        "racetrack_12.toml",
        ["population.workers=100000", "regions.count=100", "economy.transport_cost=1.02"],
    ),
}

TIMER = r"""
import json, sys, time
import negsim
scenario_file, steps, overrides = sys.argv[1], int(sys.argv[2]), json.loads(sys.argv[3])
overrides += [f"run.steps={steps}", "run.stop_when_converged=false"]
model = negsim.NEGModel(negsim.load_scenario(scenario_file, overrides))
start = time.perf_counter()
for _ in range(steps):
    model.step()
elapsed = time.perf_counter() - start
print(json.dumps({"ms_per_step": 1000 * elapsed / steps, "file": negsim.__file__}))
"""


def run_timer(tree: Path, steps: int, scenario: str, overrides: list[str]) -> dict:
    """ms per step of ``scenario`` (with ``overrides``) imported from ``tree``."""
    scenario_file = REPO / "scenarios" / scenario
    out = python_in(
        tree,
        ["-c", TIMER, str(scenario_file), str(steps), json.dumps(overrides)],
        capture_output=True,
        text=True,
        check=True,
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    if not result["file"].startswith(str(tree)):
        raise SystemExit(f"{tree}: imported negsim from {result['file']}, not from this tree")
    return result


def compare_outputs(base: Path, tmp: Path) -> list[str]:
    """Run every shipped scenario with both trees; names of files that differ."""
    differ = []
    for scenario in sorted((REPO / "scenarios").glob("*.toml")):
        outs = {}
        for label, tree in (("before", base), ("after", REPO)):
            out = tmp / label / scenario.stem
            python_in(
                tree,
                ["-m", "negsim.cli", "run", str(scenario), "--out", str(out), "--quiet"],
                check=True,
                capture_output=True,
            )
            outs[label] = out
        for name in ("timeseries.csv", "summary.json"):
            same = filecmp.cmp(outs["before"] / name, outs["after"] / name, shallow=False)
            print(f"  {scenario.stem:<28} {name:<15} {'identical' if same else 'DIFFERENT'}")
            if not same:
                differ.append(f"{scenario.stem}/{name}")
    return differ


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default="HEAD", help="git revision to compare against")
    parser.add_argument("--steps", type=int, default=300, help="steps per timing run")
    parser.add_argument("--repeat", type=int, default=3, help="timing runs per tree (best)")
    parser.add_argument("--outputs", action="store_true", help="compare shipped outputs too")
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.2f} (2 idle cores wanted); base {args.base}")
    with (
        tempfile.TemporaryDirectory() as tmp_name,
        revision_tree(args.base, Path(tmp_name)) as base,
    ):
        tmp = Path(tmp_name)
        print(f"\n{'case':<34}{'before ms/step':>15}{'after ms/step':>15}{'after/before':>14}")
        worst = 0.0
        for case, (scenario, overrides) in CASES.items():
            best = {"before": float("inf"), "after": float("inf")}
            for _ in range(args.repeat):  # alternate, so load hits both alike
                for label, tree in (("before", base), ("after", REPO)):
                    ms = run_timer(tree, args.steps, scenario, overrides)["ms_per_step"]
                    best[label] = min(best[label], ms)
            ratio = best["after"] / best["before"]
            worst = max(worst, ratio)
            print(f"{case:<34}{best['before']:>15.3f}{best['after']:>15.3f}{ratio:>13.2f}x")
        verdict = "no slower" if worst <= 1.05 else "SLOWER"
        print(f"largest after/before ratio {worst:.2f}x → {verdict} (5% tolerance for noise)")
        differ = compare_outputs(base, tmp) if args.outputs else []
        if args.outputs:
            print("shipped outputs: " + ("byte-identical" if not differ else "DIFFERENT"))
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
