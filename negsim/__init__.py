"""negsim: agent-based simulation of industrial agglomeration (New Economic Geography).

>>> import negsim
>>> scenario = negsim.load_scenario("scenarios/two_region_clustering.toml")
>>> result = negsim.run(scenario, seed=1)
>>> result.summary["regime"], result.timeseries.head()
>>> negsim.save_run(result, "runs/mine")   # timeseries.csv, summary.json, ..., shares.png

The names below are imported on first use, so ``import negsim`` (and every ``negsim``
command) does not pay for Mesa, pandas and scipy until it needs them.
"""

from importlib import import_module
from typing import Any

_HOMES = {
    "NEGModel": "negsim.model",
    "Result": "negsim.record",
    "Scenario": "negsim.scenario",
    "ScenarioError": "negsim.scenario",
    "load_scenario": "negsim.scenario",
    "run": "negsim.runner",
    "save_run": "negsim.output",
    "sweep": "negsim.sweeps",
}

__all__ = sorted(_HOMES)
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module 'negsim' has no attribute {name!r}")
    value = getattr(import_module(_HOMES[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_HOMES])
