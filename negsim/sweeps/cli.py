"""``negsim sweep`` and ``negsim plot sweep``: registered by ``negsim.cli``.

Sweep-file mistakes are ``SweepError`` (a ``ScenarioError``) and unusable output
directories ``OutputError``: ``negsim.cli.main`` prints them one line each and exits 2,
before any run starts. A sweep that cannot go on (a worker process died) exits 1 with its
finished runs saved; Ctrl-C saves the finished runs too (exit 130). Either way
``--resume`` completes it.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from negsim import shipped
from negsim.output import folder_name
from negsim.resources import add_force_argument, check_run

if TYPE_CHECKING:
    import pandas as pd

    from negsim.sweeps.spec import SweepPlan


def add_sweep_parsers(sub: Any) -> None:
    """Add the ``sweep`` and ``plot`` subcommands to the negsim argument parser."""
    sw = sub.add_parser(
        "sweep",
        help="run a parameter sweep (grid, Latin hypercube, Sobol', continuation)",
        description="Run every run of a sweep file in parallel; results in DIR/runs.parquet.",
    )
    sw.add_argument(
        "sweep", type=Path, help="sweep TOML file, or the name of a shipped one (negsim list)"
    )
    sw.add_argument("--out", type=Path, metavar="DIR", help="output directory (default runs/NAME)")
    sw.add_argument(
        "--workers", type=int, metavar="N", help="parallel processes (default: all cores)"
    )
    sw.add_argument(
        "--dask",
        metavar="ADDRESS|local",
        help="run on the Dask cluster at ADDRESS (tcp://host:8786), or start a LocalCluster",
    )
    sw.add_argument(
        "--resume", action="store_true", help="finish an interrupted sweep in DIR (skip done runs)"
    )
    sw.add_argument("--quiet", action="store_true", help="no progress bar, no summary")
    sw.add_argument(
        "--no-ensemble",
        action="store_true",
        help="run every run alone, not in ensembles (the same results, slower)",
    )
    add_force_argument(sw)
    sw.add_argument(
        "--flush-seconds",
        type=float,
        default=2.0,
        metavar="S",
        help="commit finished runs to Parquet at least this often (default 2)",
    )

    plot = sub.add_parser("plot", help="draw the figures of saved results")
    what = plot.add_subparsers(dest="what", required=True)
    ps = what.add_parser(
        "sweep",
        help="regime map / simulated tomahawk / hysteresis loop / Sobol' indices of a sweep",
    )
    ps.add_argument("directory", type=Path, help="output directory of negsim sweep")
    ps.add_argument("--out", type=Path, metavar="FILE.png", help="default DIR/sweep.png")


def cmd_sweep(args: argparse.Namespace) -> int:
    from negsim.sweeps.execute import SweepRunError, dask_executor, sweep
    from negsim.sweeps.spec import SweepError, load_sweep

    if args.workers is not None and args.workers < 1:
        raise SweepError(f"--workers {args.workers}: needs at least 1 worker")
    if not args.flush_seconds > 0:
        raise SweepError(f"--flush-seconds {args.flush_seconds}: must be > 0")
    plan = load_sweep(shipped.resolve(args.sweep, "sweeps"), force=args.force)
    out = args.out or Path("runs") / folder_name(plan.name)
    workers = args.workers or os.cpu_count() or 1
    if plan.heaviest is not None:
        parallel = 1 if args.dask else min(workers, len(plan.runs))
        check_run(plan.heaviest, f"{args.sweep} (its largest run)", args.force, parallel)
    where = f"Dask ({args.dask})" if args.dask else f"{workers} process(es)"
    if not args.quiet:
        print(
            f"{plan.name}: {len(plan.runs)} runs ({plan.design} design, "
            f"{plan.spec.sweep.replications} replication(s)) on {where} → {out}/",
            flush=True,
        )
    options: dict[str, Any] = dict(
        out=out,
        resume=args.resume,
        progress=not args.quiet,
        flush_seconds=args.flush_seconds,
        ensemble=not args.no_ensemble,
    )
    start = time.perf_counter()
    try:
        if args.dask:
            with dask_executor(args.dask, args.workers) as executor:
                runs = sweep(plan, executor, **options)
        else:
            runs = sweep(plan, workers=workers, **options)
    except SweepRunError as exc:
        print(f"negsim: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(
            f"negsim: finished runs are saved in {out}/; --resume completes the sweep",
            file=sys.stderr,
        )
        raise
    if not args.quiet:
        print(_report(plan, runs, out, time.perf_counter() - start))
    failed = int(runs["error"].notna().sum())
    return 1 if failed else 0


def _report(plan: SweepPlan, runs: pd.DataFrame, out: Path, elapsed: float) -> str:
    from negsim.sweeps.analysis import (
        T_KEY,
        fixed_scenario,
        switch_points,
        two_region_thresholds,
    )
    from negsim.sweeps.store import RUNS, SENSITIVITY, TIMESERIES

    counts = runs["regime"].fillna("failed").value_counts()
    lines = [
        f"  {len(runs)} runs in {elapsed:.1f} s: "
        + ", ".join(f"{name} {n}" for name, n in counts.items()),
    ]
    failed = runs[runs["error"].notna()]
    for row in failed.head(5).itertuples():
        lines.append(f"  run {row.run_id} failed: {row.error}")
    if len(failed) > 5:
        lines.append(f"  … and {len(failed) - 5} more failed runs (column 'error')")
    pair = two_region_thresholds(fixed_scenario(plan))
    if T_KEY in plan.keys and plan.design == "grid" and pair is not None:
        if set(plan.keys) <= {T_KEY, "population.initial_shares"}:
            t_b, t_s = pair
            lines.append(f"  analytic: break point T_B = {t_b:.4f}, sustain point T_S = {t_s:.4f}")
            for row in switch_points(runs).to_dict("records"):
                start = row.get("population.initial_shares")
                label = "/".join(f"{v:g}" for v in start) if start else "all runs"
                lines.append(
                    f"  start {label}: agglomerated up to T = {row['last_agglomerated']}, "
                    f"dispersed from T = {row['first_dispersed']}"
                )
    written = [RUNS] + ([TIMESERIES] if (out / TIMESERIES).exists() else [])
    if plan.design == "sobol" and (out / SENSITIVITY).exists():
        import pandas as pd

        indices = pd.read_csv(out / SENSITIVITY)
        lines.append("  Sobol' indices of the final " + indices["output"].iloc[0] + ":")
        for row in indices.itertuples():
            lines.append(
                f"    {row.parameter:<28} S1 = {row.S1:6.3f} ± {row.S1_conf:.3f}   "
                f"ST = {row.ST:6.3f} ± {row.ST_conf:.3f}"
            )
        written.append(SENSITIVITY)
    lines.append(f"  wrote {out}/: {' '.join(written)} sweep.resolved.toml")
    return "\n".join(lines)


def cmd_plot(args: argparse.Namespace) -> int:
    from negsim.output import atomic_write
    from negsim.plots import save_figure
    from negsim.sweeps.plots import plot_sweep
    from negsim.sweeps.spec import SweepError
    from negsim.sweeps.store import FIGURE

    if args.what != "sweep":  # pragma: no cover - argparse restricts the choices
        raise SweepError(f"plot {args.what}: unknown figure")
    if not args.directory.is_dir():
        raise SweepError(f"{args.directory}: no such directory (give the --out DIR of a sweep)")
    target = args.out or args.directory / FIGURE
    if not target.parent.is_dir():
        raise SweepError(f"--out {target}: folder {target.parent} does not exist")
    try:
        fig, kind = plot_sweep(args.directory)
    except FileNotFoundError as exc:
        raise SweepError(str(exc).strip("'\"")) from None
    try:
        atomic_write(target, lambda p: save_figure(fig, p))
    except OSError as exc:
        raise SweepError(f"{target}: cannot write: {exc.strerror or exc}") from None
    print(f"wrote {target} ({kind})")
    return 0
