"""negsim: agent-based simulation of industrial agglomeration (New Economic Geography).

>>> import negsim
>>> scenario = negsim.load_scenario("scenarios/two_region_clustering.toml")
>>> result = negsim.run(scenario, seed=1)
>>> result.summary["regime"], result.timeseries.head()
>>> negsim.save_run(result, "runs/mine")   # timeseries.csv, summary.json, ..., shares.png

The names below are imported on first use, so ``import negsim`` (and every ``negsim``
command) does not pay for Mesa, pandas and scipy until it needs them.
"""

from negsim.lazy import lazy_getattr

_HOMES = {
    "NEGModel": "negsim.model",
    "Result": "negsim.record",
    "Scenario": "negsim.scenario",
    "ScenarioError": "negsim.scenario",
    "calibrate": "negsim.calibration",
    "load_scenario": "negsim.scenario",
    "run": "negsim.runner",
    "run_with_baseline": "negsim.runner",
    "save_run": "negsim.output",
    "sweep": "negsim.sweeps",
    "verify": "negsim.verification",
}

__all__ = sorted(_HOMES)
__version__ = "0.1.0"


__getattr__ = lazy_getattr("negsim", _HOMES, globals())


def __dir__() -> list[str]:
    return sorted([*globals(), *_HOMES])
