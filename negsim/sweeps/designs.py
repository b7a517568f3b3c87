"""Sweep designs: the points a design visits (grid, lhs, sobol, continuation), the checks a
design puts on the sweep file, and the runs (``RunSpec``) with their seeds.

``grid`` and ``continuation_path`` are the plain orderings behind the grid and continuation
designs, for experiments that walk a grid or a path without a sweep file.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from negsim.sweeps.ranges import Parameter
from negsim.sweeps.schema import SweepFile
from negsim.sweeps.seeds import run_seed

DesignPoint = tuple[dict[str, Any], int | None, int | None]  # (values, path_index, leg)


@dataclass(frozen=True)
class RunSpec:
    """One run of the sweep: its id, varied values, replication, seed and continuation link."""

    run_id: int
    params: dict[str, Any]
    replication: int
    seed: int
    path_index: int | None = None
    leg: int | None = None
    previous: int | None = None  # continuation: the run whose final shares start this one


def grid(values: dict[str, Sequence[Any]]) -> list[dict[str, Any]]:
    """The full factorial of each key's values, in grid order (the last key varies fastest)."""
    keys = list(values)
    return [dict(zip(keys, combo, strict=True)) for combo in itertools.product(*values.values())]


def continuation_path(values: Sequence[Any], loop: bool) -> list[tuple[Any, int]]:
    """``(value, leg)`` along a continuation: out through ``values`` (leg 0) and, with
    ``loop``, back to the first value (leg 1); a step's path index is its position."""
    path = [(v, 0) for v in values]
    if loop:
        path += [(v, 1) for v in values[-2::-1]]
    return path


def check_design(
    spec: SweepFile, parameters: list[Parameter], n_given: int, source: str, errors: list[str]
) -> None:
    """Add to ``errors`` what the design rules out: samples, loop and parameter counts."""
    table, design = spec.sweep, spec.sweep.design
    if design in ("lhs", "sobol") and table.samples is None:
        errors.append(f"{source}: sweep.samples: design {design!r} needs samples (a number)")
    if design not in ("lhs", "sobol") and table.samples is not None:
        errors.append(f"{source}: sweep.samples: only used by designs 'lhs' and 'sobol'")
    if design == "sobol" and table.samples is not None:
        n = table.samples
        if n & (n - 1):
            errors.append(
                f"{source}: sweep.samples: design 'sobol' needs a power of 2 (got {n}; "
                f"e.g. {1 << max(n.bit_length() - 1, 0)} or {1 << n.bit_length()})"
            )
    if design == "sobol" and not _salib_installed():
        errors.append(
            f"{source}: sweep.design: 'sobol' needs SALib, which is not installed: "
            "pip install 'negsim[sobol]'"
        )
    if design == "sobol" and parameters and len(parameters) < 2:
        errors.append(f"{source}: parameters: Sobol' indices need at least 2 parameters")
    if table.loop and design != "continuation":
        errors.append(f"{source}: sweep.loop: only used by design 'continuation'")
    if design == "continuation":
        if n_given != 1:
            errors.append(
                f"{source}: parameters: design 'continuation' walks exactly one parameter "
                f"(got {n_given})"
            )
        for p in parameters:
            if p.key == "population.initial_shares":
                errors.append(
                    f"{source}: parameters.{p.key}: continuation sets the initial shares "
                    "itself (from the previous run)"
                )


def count_points(spec: SweepFile, raw: dict[str, Any]) -> int | None:
    """How many design points the sweep file asks for, from its ``[parameters]`` as written
    (``raw``: dotted key → list or range), by arithmetic alone — before any value list or
    design is built. None where a parameter is malformed (its error comes later)."""
    table = spec.sweep
    if table.design in ("lhs", "sobol"):
        if table.samples is None:
            return None
        return table.samples * (len(raw) + 2 if table.design == "sobol" else 1)
    counts = [_count_values(v) for v in raw.values()]
    if not counts or None in counts:
        return None
    if table.design == "continuation":
        n = counts[0] or 0
        return 2 * n - 1 if table.loop and n else n
    return math.prod(c for c in counts if c is not None)


def _count_values(value: Any) -> int | None:
    if isinstance(value, list):
        return len(value)
    if not isinstance(value, dict):
        return None
    lo, hi, step, num = (value.get(k) for k in ("min", "max", "step", "num"))
    numbers = [x for x in (lo, hi, step, num) if x is not None]
    if not all(isinstance(x, int | float) and not isinstance(x, bool) for x in numbers):
        return None
    if isinstance(num, int) and num >= 1:
        return num
    if lo is None or hi is None or step is None or not step > 0 or not hi >= lo:
        return None
    count = (hi - lo) / step
    if not math.isfinite(count):
        return 2**63  # more than any limit
    return math.floor(count * (1 + 1e-9) + 1e-9) + 1


def _salib_installed() -> bool:
    try:
        import SALib  # noqa: F401
    except ImportError:
        return False
    return True


def design_points(
    spec: SweepFile, parameters: list[Parameter]
) -> tuple[list[DesignPoint], dict[str, Any] | None]:
    """[(values, path_index, leg)] in design order, and the SALib problem for sobol."""
    table = spec.sweep
    keys = [p.key for p in parameters]
    if table.design == "grid":
        combos = grid({p.key: p.values or () for p in parameters})
        return [(values, None, None) for values in combos], None
    if table.design == "continuation":
        (param,) = parameters
        path = continuation_path(list(param.values or ()), table.loop)
        return [({param.key: v}, i, leg) for i, (v, leg) in enumerate(path)], None
    lows = np.array([p.bounds[0] for p in parameters if p.bounds])
    highs = np.array([p.bounds[1] for p in parameters if p.bounds])
    problem = None
    if table.design == "lhs":
        from scipy.stats import qmc

        rng = np.random.default_rng(np.random.SeedSequence(table.seed, spawn_key=(0xD5,)))
        unit = qmc.LatinHypercube(d=len(parameters), rng=rng).random(table.samples or 1)
        sample = qmc.scale(unit, lows, highs)
    else:
        from SALib.sample import sobol as sobol_sample

        problem = {
            "num_vars": len(parameters),
            "names": keys,
            "bounds": [[float(lo), float(hi)] for lo, hi in zip(lows, highs, strict=True)],
        }
        sample = sobol_sample.sample(
            problem, table.samples, calc_second_order=False, scramble=True, seed=table.seed
        )
    points = []
    for row in sample:
        values = {
            p.key: int(round(float(x))) if p.integer else float(x)
            for p, x in zip(parameters, row, strict=True)
        }
        points.append((values, None, None))
    return points, problem


def build_runs(spec: SweepFile, points: list[DesignPoint]) -> list[RunSpec]:
    """Every run of the design points, with its seed: each point ``replications`` times
    (replications of a point next to each other), or one chain per replication along a
    continuation path."""
    table = spec.sweep
    reps = table.replications
    runs: list[RunSpec] = []
    if table.design == "continuation":
        for rep in range(reps):  # one chain per replication, run ids chain by chain
            previous = None
            for values, index, leg in points:
                run = RunSpec(
                    run_id=len(runs),
                    params=values,
                    replication=rep,
                    seed=run_seed(table.seed, values, rep, index),
                    path_index=index,
                    leg=leg,
                    previous=previous,
                )
                runs.append(run)
                previous = run.run_id
        return runs
    for values, _, _ in points:
        for rep in range(reps):
            seed = run_seed(table.seed, values, rep)
            runs.append(RunSpec(len(runs), values, rep, seed))
    return runs
