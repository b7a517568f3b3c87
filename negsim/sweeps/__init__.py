"""Batch parameter sweeps: designs → validated runs → any executor → resumable Parquet.

>>> import negsim
>>> runs = negsim.sweep("sweeps/tomahawk.toml", out="runs/tomahawk")   # a DataFrame
>>> negsim.sweeps.switch_points(runs)

See ``negsim.sweeps.spec`` for the sweep file format, ``negsim.sweeps.store`` for the
output directory, ``negsim.sweeps.execute`` for executors and determinism.
"""

from negsim.sweeps.analysis import load_results, regime_map, sensitivity, switch_points
from negsim.sweeps.execute import (
    SweepResult,
    dask_executor,
    process_executor,
    run_sweep,
    sweep,
)
from negsim.sweeps.spec import SweepError, SweepPlan, load_sweep, plan_sweep, run_seed

__all__ = [
    "SweepError",
    "SweepPlan",
    "SweepResult",
    "dask_executor",
    "load_results",
    "load_sweep",
    "plan_sweep",
    "process_executor",
    "regime_map",
    "run_seed",
    "run_sweep",
    "sensitivity",
    "sweep",
    "switch_points",
]
