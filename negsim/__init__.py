"""negsim: agent-based simulation of industrial agglomeration (New Economic Geography).

>>> import negsim
>>> scenario = negsim.load_scenario("scenarios/two_region_clustering.toml")
>>> result = negsim.run(scenario, seed=1)
>>> result.summary["regime"], result.timeseries.head()
>>> negsim.save_run(result, "runs/mine")   # timeseries.csv, summary.json, ..., shares.png
"""

from negsim.model import NEGModel
from negsim.output import save_run
from negsim.record import Result
from negsim.runner import run
from negsim.scenario import Scenario, ScenarioError, load_scenario
from negsim.sweeps import sweep

__all__ = [
    "NEGModel",
    "Result",
    "Scenario",
    "ScenarioError",
    "load_scenario",
    "run",
    "save_run",
    "sweep",
]
__version__ = "0.1.0"
