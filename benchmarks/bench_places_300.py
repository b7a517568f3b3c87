#!/usr/bin/env python
"""Benchmark: China's 296 cities above 500,000 people (scenarios/places/china_500k.toml,
Delaunay roads), 100 000 workers, 500 steps — creation time, time per step split into the
short-run equilibrium and the agents' decisions, and plain-numpy references of the same
step measured in the same process (issue #12, item 7).

The references are bench_racetrack.py's: the damped fixed point on FKV's wage equation
(same tolerance, same warm starts, the scenario's immobile shares) and the migration rule
as a plain numpy function (uniform candidate, move ∝ gain). The run keeps
``stop_when_converged``; the first line says whether and when it settled.

    python benchmarks/bench_places_300.py                 # N = 100 000, 500 steps
    python benchmarks/bench_places_300.py --steps 100 --profile   # where the time goes
"""

from __future__ import annotations

import argparse
import cProfile
import importlib.util
import os
import pstats
import time
from pathlib import Path

import numpy as np

import negsim
import negsim.model as model_module
from negsim.scenario import load_scenario

HERE = Path(__file__).resolve().parent
SCENARIO = HERE.parent / "scenarios" / "places" / "china_500k.toml"
_spec = importlib.util.spec_from_file_location("bench_racetrack", HERE / "bench_racetrack.py")
racetrack = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(racetrack)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=100_000)
    parser.add_argument("--steps", type=int, default=500)
    parser.add_argument("--profile", action="store_true", help="cProfile the stepping")
    args = parser.parse_args(argv)

    scenario = load_scenario(
        SCENARIO,
        [
            f"population.workers={args.workers}",
            f"population.firms={args.workers // 10}",
            f"run.steps={args.steps}",
        ],
    )
    t0 = time.perf_counter()
    model = negsim.NEGModel(scenario)
    created = time.perf_counter() - t0
    solver = racetrack.Timer(model._solver)
    model._solver = solver
    migrate = racetrack.Timer(model_module.migrate)
    model_module.migrate = migrate
    profiler = cProfile.Profile() if args.profile else None
    states = []
    t0 = time.perf_counter()
    if profiler:
        profiler.enable()
    while model.running and model.steps < args.steps:
        if model.steps % 50 == 0:
            states.append((model.shares.copy(), model.equilibrium.wage.copy()))
        model.step()
    if profiler:
        profiler.disable()
    total = time.perf_counter() - t0
    model_module.migrate = migrate.fn
    steps = model.steps
    eq_ms, dec_ms = 1e3 * solver.seconds / steps, 1e3 * migrate.seconds / steps
    other_ms = 1e3 * total / steps - eq_ms - dec_ms

    T, a, econ = model.transport_costs, model.farmers, scenario.economy
    t_new = t_fp = 0.0
    it_new = it_fp = 0
    for shares, wage in states:
        bumped = wage * (1 + 1e-3 * np.sin(np.arange(wage.size)))  # a nearby warm start
        t1 = time.perf_counter()
        w, its = racetrack.fixed_point_equilibrium(shares, a, T, econ.sigma, econ.mu, bumped)
        t_fp += time.perf_counter() - t1
        it_fp += its
        t1 = time.perf_counter()
        eq = model._solver.fn(shares, bumped)
        t_new += time.perf_counter() - t1
        it_new += eq.iterations
        np.testing.assert_allclose(w, eq.wage, rtol=1e-8)
    rng = np.random.default_rng(0)
    region = model.worker_region.copy()
    u = np.log(model.equilibrium.real_wage)
    t1 = time.perf_counter()
    for _ in range(50):
        racetrack.numpy_migrate(region, u, 0.1, 10.0, rng)
    np_dec_ms = 1e3 * (time.perf_counter() - t1) / 50

    n = len(states)
    frame = model.datacollector.get_model_vars_dataframe()
    settled = "settled" if not model.running else "did not settle"
    print(
        f"china_500k: R={model.n_regions} places, {args.workers:,} workers, {steps} steps "
        f"({settled}; largest share at the end {model.shares.max():.3f}, "
        f"{frame['moves'].sum():,} moves); load average {os.getloadavg()[0]:.2f}"
    )
    print(f"  creation                      {created:8.3f} s")
    print(f"  stepping, total               {total:8.3f} s  = {1e3 * total / steps:.3f} ms/step")
    print(
        f"    equilibrium (Newton, R×R)   {eq_ms:8.3f} ms/step ({solver.calls} solves, "
        f"mean {frame['solver_iterations'].mean():.2f} iterations)"
    )
    print(f"    agent decisions (migrate)   {dec_ms:8.3f} ms/step")
    print(f"    firms, stability, recording {other_ms:8.3f} ms/step")
    print("  plain-numpy references on the same states:")
    print(
        f"    equilibrium: negsim Newton {1e3 * t_new / n:.3f} ms ({it_new / n:.1f} it)"
        f" vs damped fixed point {1e3 * t_fp / n:.3f} ms ({it_fp / n:.0f} it)"
        f"  → fixed point / Newton = {t_fp / t_new:.1f}x"
    )
    print(
        f"    decisions:   negsim {dec_ms:.3f} ms vs plain numpy {np_dec_ms:.3f} ms"
        f"  → negsim/numpy = {dec_ms / np_dec_ms:.2f}x"
    )
    if profiler:
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(15)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
