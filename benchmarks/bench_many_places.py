#!/usr/bin/env python
"""Benchmark: time per step against the number of places R (50 … 3,000), with the fitted
exponent, and the matrix-free equilibrium against the dense Newton it replaces beyond
``DENSE_MAX_PLACES`` (issue #15, item 2).

Each R is a cp racetrack (σ = 5, μ = 0.4) whose farthest places are a cost of 20 apart
(T = 20^(2/R) between neighbours, so φ stays in range at every R), 100,000 workers, an
initial perturbation of 0.5 so that agents move from the first step, stepping without
stopping at convergence. The model picks its path itself: dense up to 400 places, fast
beyond. On states recorded during each run the same equilibria are then solved again by
both paths in this process (the dense one where it is feasible: R ≤ ``--dense-max``), and
the stability test (analytic Jacobian + leading eigenvalue) is timed once per R.

    python benchmarks/bench_many_places.py                       # table, CSV and PNG
    python benchmarks/bench_many_places.py --target              # R = 1,000, 100k, 500 steps
    python benchmarks/bench_many_places.py --sizes 50 400 800 --steps 10   # a quick look

Writes ``benchmarks/results/many_places.csv`` (the machine in its header) and
``many_places.png``.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from pathlib import Path

import numpy as np

import negsim
from negsim.economies import cp
from negsim.economies.base import DENSE_MAX_PLACES
from negsim.scenario import load_scenario
from negsim.stability import is_stable_rest_point

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
BASE = HERE.parent / "scenarios" / "racetrack_12.toml"
SIZES = [50, 100, 200, 400, 600, 800, 1000, 1600, 2000, 3000]


def scenario(places: int, workers: int, steps: int):
    return load_scenario(
        BASE,
        [
            f"regions.count={places}",
            f"economy.transport_cost={20.0 ** (2.0 / places):.12g}",
            f"population.workers={workers}",
            f"population.firms={max(workers // 10, 1)}",
            "population.initial_perturbation=0.5",
            f"run.steps={steps}",
            "run.stop_when_converged=false",
        ],
    )


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = os.getloadavg()
    return (
        f"{cpu}, {os.cpu_count()} cores, {platform.python_implementation()} "
        f"{platform.python_version()}, numpy {np.__version__}, OPENBLAS_NUM_THREADS="
        f"{os.environ.get('OPENBLAS_NUM_THREADS', 'unset')}, load average "
        f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f}"
    )


def measure(places: int, workers: int, steps: int, dense_max: int) -> dict[str, float]:
    spec = scenario(places, workers, steps)
    t0 = time.perf_counter()
    model = negsim.NEGModel(spec)
    created = time.perf_counter() - t0
    states = []
    t0 = time.perf_counter()
    while model.steps < steps:
        if model.steps % max(steps // 3, 1) == 0:
            states.append((model.shares.copy(), model.equilibrium.wage.copy()))
        model.step()
    stepping = time.perf_counter() - t0

    econ = spec.economy
    a, T, phi = model.farmers, model.transport_costs, model.solver.phi

    repeats = 3 if places <= 1000 else 1  # the fastest of a few: robust to a loaded machine

    def solve_all(method: str) -> tuple[float, float]:
        t = 0.0
        iterations = 0
        for shares, wage in states:
            bumped = wage * (1 + 1e-3 * np.sin(np.arange(wage.size)))  # a nearby warm start
            best = np.inf
            for _ in range(repeats):
                t1 = time.perf_counter()
                eq = cp.short_run_equilibrium(
                    shares, a, T, econ.sigma, econ.mu, wage0=bumped, phi=phi, method=method
                )
                best = min(best, time.perf_counter() - t1)
            t += best
            iterations += eq.iterations
        return 1e3 * t / len(states), iterations / len(states)

    fast_ms, fast_it = solve_all("krylov")
    dense_ms, dense_it = solve_all("dense") if places <= dense_max else (np.nan, np.nan)
    t1 = time.perf_counter()
    is_stable_rest_point(model.solver, model.shares)
    stability_s = time.perf_counter() - t1
    return {
        "places": places,
        "workers": workers,
        "steps": steps,
        "path": "dense" if places <= DENSE_MAX_PLACES else "fast",
        "creation_s": created,
        "ms_per_step": 1e3 * stepping / steps,
        "krylov_ms_per_solve": fast_ms,
        "krylov_iterations": fast_it,
        "dense_ms_per_solve": dense_ms,
        "dense_iterations": dense_it,
        "dense_over_krylov": dense_ms / fast_ms,
        "stability_check_s": stability_s,
        "load_1min": os.getloadavg()[0],
    }


def fit_exponent(r: np.ndarray, t: np.ndarray) -> float:
    """Least-squares slope of log t against log R."""
    ok = np.isfinite(t)
    return float(np.polyfit(np.log(r[ok]), np.log(t[ok]), 1)[0])


def plot(rows: list[dict], exponents: dict[str, float], path: Path, about: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    r = np.array([row["places"] for row in rows], dtype=float)
    fig, ax = plt.subplots(figsize=(7.5, 5))
    for key, fit, label, marker in (
        ("ms_per_step", "ms_per_step_fast", "whole step (model, 100,000 workers), R > 400", "o"),
        ("krylov_ms_per_solve", "krylov_ms_per_solve", "equilibrium, Newton–Krylov", "s"),
        ("dense_ms_per_solve", "dense_ms_per_solve", "equilibrium, dense Newton", "^"),
    ):
        y = np.array([row[key] for row in rows], dtype=float)
        ax.loglog(r, y, marker=marker, label=f"{label}: ∝ R^{exponents[fit]:.2f}")
    ax.axvline(DENSE_MAX_PLACES, color="grey", ls=":", lw=1)
    ax.text(DENSE_MAX_PLACES * 1.03, ax.get_ylim()[0] * 1.5, "fast path beyond", fontsize=8)
    ax.set_xlabel("number of places R")
    ax.set_ylabel("wall time per step or per solve (ms)")
    ax.set_title("negsim cp racetrack: time per step and per equilibrium vs places", fontsize=10)
    ax.legend(fontsize=8)
    fig.text(0.01, 0.005, about, fontsize=6, wrap=True)
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    fig.savefig(path, dpi=120)


def target(places: int, workers: int, steps: int) -> None:
    spec = scenario(places, workers, steps)
    t0 = time.perf_counter()
    model = negsim.NEGModel(spec)
    created = time.perf_counter() - t0
    t0 = time.perf_counter()
    while model.steps < steps:
        model.step()
    stepping = time.perf_counter() - t0
    print(
        f"R = {places:,} places, {workers:,} workers, {steps} steps: creation {created:.1f} s, "
        f"stepping {stepping:.1f} s ({1e3 * stepping / steps:.1f} ms/step), total "
        f"{created + stepping:.1f} s; load average {os.getloadavg()[0]:.2f}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=SIZES)
    parser.add_argument("--workers", type=int, default=100_000)
    parser.add_argument("--steps", type=int, default=20, help="steps timed at each R")
    parser.add_argument("--dense-max", type=int, default=1600, help="largest R solved densely")
    parser.add_argument("--target", action="store_true", help="R = 1,000, 500 steps; R = 3,000")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)

    if args.target:
        target(1000, args.workers, 500)
        target(3000, args.workers, 20)
        return 0

    rows = []
    for places in args.sizes:
        row = measure(places, args.workers, args.steps, args.dense_max)
        rows.append(row)
        print(
            f"R={places:5d} {row['path']:5s} {row['ms_per_step']:9.2f} ms/step | equilibrium "
            f"krylov {row['krylov_ms_per_solve']:8.2f} ms ({row['krylov_iterations']:.1f} it), "
            f"dense {row['dense_ms_per_solve']:9.2f} ms ({row['dense_iterations']:.1f} it), "
            f"dense/krylov {row['dense_over_krylov']:6.1f}x | stability "
            f"{row['stability_check_s']:.2f} s | load {row['load_1min']:.2f}",
            flush=True,
        )
    r = np.array([row["places"] for row in rows], dtype=float)
    large = r >= DENSE_MAX_PLACES
    exponents = {
        key: fit_exponent(r[large], np.array([row[key] for row in rows], float)[large])
        for key in ("ms_per_step", "krylov_ms_per_solve", "dense_ms_per_solve")
    }
    fast = r > DENSE_MAX_PLACES
    exponents["ms_per_step_fast"] = fit_exponent(
        r[fast], np.array([row["ms_per_step"] for row in rows], float)[fast]
    )
    about = machine()
    print(
        "fitted exponents (log-log least squares, R ≥ 400): "
        + ", ".join(f"{k} ∝ R^{v:.2f}" for k, v in exponents.items())
    )
    print(about)
    args.out.mkdir(parents=True, exist_ok=True)
    csv = args.out / "many_places.csv"
    columns = list(rows[0])
    with csv.open("w") as f:
        f.write(f"# bench_many_places.py: {about}\n")
        f.write(
            "# fitted exponents (R >= 400): "
            + "; ".join(f"{k} ~ R^{v:.3f}" for k, v in exponents.items())
            + "\n"
        )
        f.write(",".join(columns) + "\n")
        for row in rows:
            f.write(
                ",".join(
                    f"{row[c]:.6g}" if isinstance(row[c], float) else str(row[c]) for c in columns
                )
                + "\n"
            )
    plot(rows, exponents, args.out / "many_places.png", about)
    print(f"wrote {csv} and {args.out / 'many_places.png'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
