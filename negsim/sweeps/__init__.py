"""Batch parameter sweeps: designs → validated runs → any executor → resumable Parquet.

>>> import negsim
>>> runs = negsim.sweep("sweeps/tomahawk.toml", out="runs/tomahawk")   # a DataFrame
>>> negsim.sweeps.switch_points(runs)

See ``negsim.sweeps.spec`` for the sweep file format, ``negsim.sweeps.store`` for the
output directory, ``negsim.sweeps.execute`` for executors and determinism.
"""

from negsim.lazy import lazy_getattr

_HOMES = {  # imported on first use: executors pull in pandas, pyarrow and dask
    "SweepError": "negsim.sweeps.spec",
    "SweepPlan": "negsim.sweeps.spec",
    "SweepResult": "negsim.sweeps.execute",
    "dask_executor": "negsim.sweeps.execute",
    "load_results": "negsim.sweeps.analysis",
    "load_sweep": "negsim.sweeps.spec",
    "plan_sweep": "negsim.sweeps.spec",
    "process_executor": "negsim.sweeps.execute",
    "regime_map": "negsim.sweeps.analysis",
    "run_seed": "negsim.sweeps.seeds",
    "run_sweep": "negsim.sweeps.execute",
    "sensitivity": "negsim.sweeps.analysis",
    "sweep": "negsim.sweeps.execute",
    "switch_points": "negsim.sweeps.analysis",
}


__getattr__ = lazy_getattr("negsim.sweeps", _HOMES, globals())


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
