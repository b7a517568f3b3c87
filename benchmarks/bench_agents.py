#!/usr/bin/env python
"""Benchmark: agents as arrays (#15 item 1) — negsim at 1M and 10M agents, creation included.

In this process, at ``--workers`` (default 1 000 000) workers on two regions
(bench_two_region.py's setting: two_region_clustering at T = 1.58 from 0.5005/0.4995,
noise 0, no early stop), negsim against bench_two_region.py's plain-numpy reference:

- stepping time per step, negsim / numpy (target ≤ 1.0x);
- the whole run, creation included, negsim / numpy (target ≤ 1.5x).

In a fresh process each (so that peak memory is the run's own: VmHWM of /proc/self/status,
as ``resource.getrusage``'s ru_maxrss survives exec on Linux):

- creation time and memory of a ``NEGModel`` at ``--workers`` and at ``--big`` (default
  10 000 000) workers, and ``--big-steps`` (default 200) steps of the latter
  (targets: creation < 5 s, the whole run < 60 s, peak memory ≤ 1 GB);
- with ``--figures``: the README figure and notebook 01's cells (bench_figures.py's
  commands, this tree only; target < 2 s CPU each, issue #11 item 5).

The load average is printed first and last; times are CPU seconds of one process (numpy
with one OpenBLAS thread), best of ``--repeat`` where repeated.

    python benchmarks/bench_agents.py                       # ~1-2 minutes
    python benchmarks/bench_agents.py --workers 200000 --big 2000000 --big-steps 50
    python benchmarks/bench_agents.py --figures
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import types
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import bench_two_region  # noqa: E402
from bench_two_region import (  # noqa: E402
    Params,
    best_of,
    load_negsim_scenario,
    params_of,
    run_numpy,
)

# the numpy reference times its phases with time.perf_counter: CPU seconds here instead
bench_two_region.time = types.SimpleNamespace(perf_counter=time.process_time)

STEP_TARGET, RUN_TARGET = 1.0, 1.5
BIG_SECONDS, BIG_CREATE_SECONDS, BIG_MEMORY = 60.0, 5.0, 2**30

CHILD = """
import json, sys, time
sys.path.insert(0, {here!r})
from bench_two_region import load_negsim_scenario
from negsim import NEGModel

def peak():  # VmHWM: this process's peak resident memory (ru_maxrss survives exec on Linux)
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024

workers, steps = int(sys.argv[1]), int(sys.argv[2])
scenario = load_negsim_scenario(workers, max(steps, 1))
rss = peak()
start = time.process_time()
model = NEGModel(scenario)
created = time.process_time()
rss_created = peak()
for _ in range(steps):
    model.step()
done = time.process_time()
print(json.dumps(dict(
    create=created - start, step=done - created, rss_before=rss, rss_created=rss_created,
    rss_peak=peak(), largest_share=float(model.shares.max()), steps=model.steps,
)))
"""


def run_negsim_cpu(scenario, steps: int) -> dict:
    """Create and step a NEGModel; CPU seconds of each phase."""
    from negsim import NEGModel

    start = time.process_time()
    model = NEGModel(scenario)
    created = time.process_time()
    for _ in range(steps):
        model.step()
    done = time.process_time()
    return {"create": created - start, "step": done - created, "share": float(model.shares.max())}


def run_numpy_cpu(p: Params, steps: int) -> dict:
    out = run_numpy(p, steps)
    return {"create": out["create"], "step": out["step"], "share": out["largest_share"]}


def child(workers: int, steps: int) -> dict:
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1")
    done = subprocess.run(
        [sys.executable, "-c", CHILD.format(here=str(HERE)), str(workers), str(steps)],
        env=env,
        cwd=HERE,  # negsim from PYTHONPATH, not from the working directory
        capture_output=True,
        text=True,
    )
    if done.returncode:
        raise SystemExit(f"{workers:,} workers, {steps} steps failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def mb(n: float) -> str:
    return f"{n / 2**20:,.0f} MB"


def verdict(ok: bool) -> str:
    return "met" if ok else "NOT met"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--workers", type=int, default=1_000_000)
    ap.add_argument("--steps", type=int, default=100)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--big", type=int, default=10_000_000)
    ap.add_argument("--big-steps", type=int, default=200)
    ap.add_argument("--figures", action="store_true", help="also the README figure, notebook 01")
    args = ap.parse_args(argv)
    os.environ["OPENBLAS_NUM_THREADS"] = "1"
    print(f"load average {os.getloadavg()[0]:.2f} (2 idle cores wanted); CPU seconds\n")

    scenario = load_negsim_scenario(args.workers, args.steps)
    p = params_of(scenario)
    neg = best_of(lambda: run_negsim_cpu(scenario, args.steps), args.repeat)
    npy = best_of(lambda: run_numpy_cpu(p, args.steps), args.repeat)
    n, s = args.workers, args.steps
    print(f"{n:,} workers, two regions, {s} steps, best of {args.repeat}, this process:")
    print(f"{'':8}{'create s':>10}{'ms/step':>10}{'whole run s':>13}{'largest':>9}")
    for name, r in (("negsim", neg), ("numpy", npy)):
        r["whole"] = r["create"] + r["step"]
        print(
            f"{name:8}{r['create']:10.3f}{1e3 * r['step'] / s:10.2f}{r['whole']:13.3f}"
            f"{r['share']:9.4f}"
        )
    step_ratio, run_ratio = neg["step"] / npy["step"], neg["whole"] / npy["whole"]
    print(
        f"stepping negsim/numpy {step_ratio:.2f}x (target <= {STEP_TARGET:g}x: "
        f"{verdict(step_ratio <= STEP_TARGET)}); whole run {run_ratio:.2f}x "
        f"(target <= {RUN_TARGET:g}x: {verdict(run_ratio <= RUN_TARGET)})\n"
    )

    print("fresh process each (peak memory: VmHWM of that process):")
    print(
        f"{'workers':>12}{'steps':>7}{'create s':>10}{'step s':>9}{'total s':>9}"
        f"{'+create':>10}{'peak':>10}{'largest':>9}"
    )
    for workers, steps in ((n, 0), (args.big, args.big_steps)):
        r = child(workers, steps)
        total = r["create"] + r["step"]
        print(
            f"{workers:>12,}{steps:>7}{r['create']:10.3f}{r['step']:9.2f}{total:9.2f}"
            f"{mb(r['rss_created'] - r['rss_before']):>10}{mb(r['rss_peak']):>10}"
            f"{r['largest_share']:9.4f}"
        )
    ok = total < BIG_SECONDS and r["create"] < BIG_CREATE_SECONDS and r["rss_peak"] <= BIG_MEMORY
    print(
        f"{args.big:,} x {args.big_steps} steps: targets whole run < {BIG_SECONDS:g} s, "
        f"creation < {BIG_CREATE_SECONDS:g} s, peak <= {mb(BIG_MEMORY)}: {verdict(ok)}"
    )

    if args.figures:
        from _trees import REPO
        from bench_figures import TARGET, commands, timed

        print(f"\nfigures (issue #11 item 5, target < {TARGET:g} s CPU), this tree:")
        with tempfile.TemporaryDirectory() as tmp:
            wanted = ("README figure", "notebook 01, process", "notebook 01, cells")
            wanted += ("notebook 01, cells w/o imports",)
            for label, command in commands(Path(tmp), False).items():
                if label in wanted:
                    wall, cpu = timed(REPO, command, 1)
                    print(f"{label:<34}{wall:8.2f} s wall{cpu:8.2f} s CPU  {verdict(cpu < TARGET)}")
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(f"\nthis process: peak {mb(usage.ru_maxrss * 1024)}")
    print(f"load average {os.getloadavg()[0]:.2f} at the end")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
