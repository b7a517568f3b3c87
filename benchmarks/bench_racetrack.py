#!/usr/bin/env python
"""Benchmark: a 100-place racetrack, 100 000 workers, 500 steps — time per step split into
the short-run equilibrium and the agents' decisions, against plain-numpy references.

negsim's step = migrate (agents decide) → firms follow → equilibrium (R×R Newton,
warm-started) → record. The split is measured by timing those calls inside the real
``NEGModel.step`` (thin wrappers, one ``perf_counter`` pair per call).

References, in the same process and on the same states:
- equilibrium: the classic damped fixed-point iteration on FKV's wage equation in plain
  numpy (w ← (1-d)w + d·W(w), d = 0.5, same tolerance), warm-started the same way;
- decisions: the same migration rule written as a plain numpy function.

    python benchmarks/bench_racetrack.py                     # R = 100, N = 100 000, 500 steps
    python benchmarks/bench_racetrack.py --regions 50 --steps 100
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

import negsim
import negsim.model as model_module
from negsim.scenario import load_scenario

SCENARIO = Path(__file__).resolve().parents[1] / "scenarios" / "racetrack_12.toml"


def fixed_point_equilibrium(lam, a, T, sigma, mu, w, tol=1e-12, damping=0.5, max_iter=100_000):
    """Plain numpy: FKV (5.1)-(5.3) iterated as a damped fixed point on the wages."""
    phi = T ** (1.0 - sigma)
    for it in range(1, max_iter + 1):
        income = mu * lam * w + (1.0 - mu) * a
        p = phi.T @ (lam * w ** (1.0 - sigma))
        new = (phi @ (income / p)) ** (1.0 / sigma)
        if np.max(np.abs(np.log(new / w))) < tol:
            return new, it
        w = (1.0 - damping) * w + damping * new
    raise RuntimeError("fixed point did not converge")


def numpy_migrate(region, u, speed, response, rng):
    """Plain numpy version of the agents' rule (uniform candidate, move ∝ gain)."""
    n_regions = u.size
    movers = np.flatnonzero(rng.random(region.size) < speed)
    here = region[movers]
    there = (here + rng.integers(1, n_regions, size=movers.size)) % n_regions
    p = np.minimum(1.0, response * np.maximum(u[there] - u[here], 0.0))
    move = rng.random(movers.size) < p
    region[movers[move]] = there[move]


class Timer:
    def __init__(self, fn):
        self.fn, self.seconds, self.calls = fn, 0.0, 0

    def __call__(self, *args, **kwargs):
        t0 = time.perf_counter()
        try:
            return self.fn(*args, **kwargs)
        finally:
            self.seconds += time.perf_counter() - t0
            self.calls += 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--regions", type=int, default=100)
    parser.add_argument("--workers", type=int, default=100_000)
    parser.add_argument("--steps", type=int, default=500)
    parser.add_argument("--transport-cost", type=float, default=1.02)
    args = parser.parse_args(argv)

    scenario = load_scenario(
        SCENARIO,
        [
            f"regions.count={args.regions}",
            f"population.workers={args.workers}",
            f"population.firms={args.workers // 10}",
            f"economy.transport_cost={args.transport_cost}",
            f"run.steps={args.steps}",
            "run.stop_when_converged=false",
        ],
    )
    t0 = time.perf_counter()
    model = negsim.NEGModel(scenario)
    created = time.perf_counter() - t0
    solver = Timer(model._solver)
    model._solver = solver
    migrate = Timer(model_module.migrate)
    model_module.migrate = migrate
    t0 = time.perf_counter()
    states = []
    for step in range(args.steps):
        if step % 50 == 0:
            states.append((model.shares.copy(), model.equilibrium.wage.copy()))
        model.step()
    total = time.perf_counter() - t0
    model_module.migrate = migrate.fn
    steps = args.steps
    eq_ms, dec_ms = 1e3 * solver.seconds / steps, 1e3 * migrate.seconds / steps
    other_ms = 1e3 * total / steps - eq_ms - dec_ms

    # plain-numpy references on the same states (same warm starts)
    a = np.full(args.regions, 1.0 / args.regions)
    T = model.transport_costs
    econ = scenario.economy
    t_new = t_fp = 0.0
    it_new = it_fp = 0
    for shares, wage in states:
        t1 = time.perf_counter()
        eq = model._solver.fn(shares, wage)
        t_new += time.perf_counter() - t1
        it_new += eq.iterations
        bumped = wage * (1 + 1e-3 * np.sin(np.arange(wage.size)))  # a nearby warm start
        t1 = time.perf_counter()
        w, its = fixed_point_equilibrium(shares, a, T, econ.sigma, econ.mu, bumped)
        t_fp += time.perf_counter() - t1
        it_fp += its
        t1 = time.perf_counter()
        eq_b = model._solver.fn(shares, bumped)
        t_new += time.perf_counter() - t1
        it_new += eq_b.iterations
        np.testing.assert_allclose(w, eq_b.wage, rtol=1e-9)
    rng = np.random.default_rng(0)
    region = model.worker_region.copy()
    u = np.log(model.equilibrium.real_wage)
    t1 = time.perf_counter()
    for _ in range(50):
        numpy_migrate(region, u, 0.1, 10.0, rng)
    np_dec_ms = 1e3 * (time.perf_counter() - t1) / 50

    n = len(states)
    print(
        f"racetrack R={args.regions}, {args.workers:,} workers, {steps} steps, "
        f"T={args.transport_cost} (largest share at the end {model.shares.max():.3f}, "
        f"{model.datacollector.get_model_vars_dataframe()['moves'].sum():,} moves)"
    )
    print(f"  creation                      {created:8.3f} s")
    print(f"  stepping, total               {total:8.3f} s  = {1e3 * total / steps:.3f} ms/step")
    iterations = model.datacollector.get_model_vars_dataframe()["solver_iterations"].mean()
    print(
        f"    equilibrium (Newton, R×R)   {eq_ms:8.3f} ms/step "
        f"({solver.calls} solves, mean {iterations:.2f} iterations)"
    )
    print(f"    agent decisions (migrate)   {dec_ms:8.3f} ms/step")
    print(f"    firms, stability, recording {other_ms:8.3f} ms/step")
    print("  plain-numpy references on the same states:")
    print(
        f"    equilibrium: negsim Newton {1e3 * t_new / (2 * n):.3f} ms ({it_new / (2 * n):.1f} it)"
        f" vs damped fixed point {1e3 * t_fp / n:.3f} ms ({it_fp / n:.0f} it)"
        f"  → fixed point / Newton = {(t_fp / n) / (t_new / (2 * n)):.1f}x"
    )
    print(
        f"    decisions:   negsim {dec_ms:.3f} ms vs plain numpy {np_dec_ms:.3f} ms"
        f"  → negsim/numpy = {dec_ms / np_dec_ms:.2f}x"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
