"""Run a scenario to the end and summarise it: scenario → NEGModel → Result."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tqdm.auto import tqdm

from negsim.economies import cp
from negsim.metrics import classify_regime, herfindahl
from negsim.model import NEGModel
from negsim.results import Result
from negsim.scenario import Scenario, load_scenario


def run(scenario: Scenario | str | Path, seed: int | None = None, progress: bool = False) -> Result:
    """Run ``scenario`` (a Scenario or a path to a TOML file) for up to ``run.steps`` steps,
    stopping early once it settles if ``run.stop_when_converged``. Same scenario and seed
    give identical results."""
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    if seed is not None:
        scenario = scenario.model_copy(
            update={"run": scenario.run.model_copy(update={"seed": seed})}
        )
    model = NEGModel(scenario)
    with tqdm(
        total=scenario.run.steps,
        desc=scenario.name,
        unit="step",
        disable=None if progress else True,
        leave=False,
    ) as bar:
        while model.running and model.steps < scenario.run.steps:
            model.step()
            bar.update(1)
    timeseries = model.datacollector.get_table_dataframe("regions")
    return Result(scenario=scenario, timeseries=timeseries, summary=summarise(model))


def summarise(model: NEGModel) -> dict[str, Any]:
    """The summary.json content of a model's current state."""
    scenario = model.spec
    shares = model.shares
    regime = classify_regime(
        shares, scenario.analysis.agglomerated_share, scenario.analysis.dispersed_tolerance
    )
    largest = int(shares.argmax())
    summary: dict[str, Any] = {
        "scenario": scenario.name,
        "economy": scenario.economy.model,
        "regime": regime,
        "final_shares": {n: float(s) for n, s in zip(model.region_names, shares, strict=True)},
        "largest_share": float(shares[largest]),
        "core": None if regime == "dispersed" else model.region_names[largest],
        "herfindahl": herfindahl(shares),
        "final_real_wages": {
            n: float(w)
            for n, w in zip(model.region_names, model.equilibrium.real_wage, strict=True)
        },
        "steps": model.steps,
        "converged": bool(model.converged),
        "seed": model.seed,
    }
    theory = two_region_theory(scenario)
    if theory is not None:
        summary["theory"] = theory
    return summary


def two_region_theory(scenario: Scenario) -> dict[str, Any] | None:
    """Break/sustain points and the regime theory predicts, for two symmetric regions."""
    if scenario.n_regions != 2 or scenario.farmer_shares() != [0.5, 0.5]:
        return None
    economy = scenario.economy
    tb = cp.break_point(economy.sigma, economy.mu)
    ts = cp.sustain_point(economy.sigma, economy.mu)
    T = economy.transport_cost
    if T < tb.T:
        prediction = "agglomerated"
    elif T > ts.T:
        prediction = "dispersed"
    else:
        prediction = "path dependent (agglomerated or dispersed, by history)"
    return {
        "transport_cost": T,
        "break_point": {"T": tb.T, "phi": tb.phi},
        "sustain_point": {"T": ts.T, "phi": ts.phi},
        "prediction": prediction,
    }
