"""Run a scenario to the end and summarise it: scenario → NEGModel → Result."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from negsim.economies.base import EquilibriumError
from negsim.effects import effect_rows, policy_effect, welfare_effect_rows
from negsim.metrics import classify_regime, outcome
from negsim.model import NEGModel
from negsim.record import Result
from negsim.rest_point import RestPoint, find_rest_point, tolerance, with_amenities
from negsim.scenario import Scenario, load_scenario
from negsim.stability import ln_payoff
from negsim.theory import two_region_theory
from negsim.threads import one_blas_thread


def run(scenario: Scenario | str | Path, seed: int | None = None, progress: bool = False) -> Result:
    """Run ``scenario`` (a Scenario or a path to a TOML file) for up to ``run.steps`` steps,
    stopping early once it settles if ``run.stop_when_converged``. Same scenario and seed
    give identical results, whatever the number of cores: the run computes with one BLAS
    thread (``negsim.threads``)."""
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    with one_blas_thread():
        return _run(scenario.with_seed(seed), progress)


def without_policies(scenario: Scenario) -> Scenario:
    """``scenario`` with its ``[[policies]]`` removed: the baseline of a policy run."""
    return scenario.model_copy(update={"policies": []})


def run_with_baseline(
    scenario: Scenario | str | Path, seed: int | None = None, progress: bool = False
) -> tuple[Result, Result]:
    """Run ``scenario`` as given and its baseline (``without_policies``) on the same seed
    (common random numbers: the same initial draws and the same stream of random numbers).
    Returns ``(policy, baseline)``; ``policy`` carries the comparison: ``effects`` (one row
    per place, ``negsim.effects``) and the summary block ``policy_effect``. The baseline is
    exactly ``run(without_policies(scenario), seed)``."""
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    scenario = scenario.with_seed(seed)
    with one_blas_thread():
        policy = _run(scenario, progress)
        baseline = _run(without_policies(scenario), progress)
    effects = pd.DataFrame(effect_rows(baseline.summary, policy.summary))
    if len(policy.welfare) and len(baseline.welfare):  # economies that report welfare
        welfare = pd.DataFrame(welfare_effect_rows(baseline.welfare, policy.welfare))
        effects = pd.concat([effects, welfare], axis=1)
    policy.effects = effects
    policy.summary["policy_effect"] = policy_effect(baseline.summary, policy.summary)
    return policy, baseline


def _run(scenario: Scenario, progress: bool) -> Result:
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
    return Result(
        scenario=scenario,
        timeseries=timeseries,
        summary=summarise(model),
        welfare=model.welfare_table(),
    )


def summarise(model: NEGModel) -> dict[str, Any]:
    """The summary.json content of a model's current state."""
    scenario = model.spec
    shares = model.shares
    analysis = scenario.analysis
    names = model.region_names
    state = outcome(
        shares, names, model.neighbours, analysis.agglomerated_share, analysis.dispersed_tolerance
    )
    summary: dict[str, Any] = {
        "scenario": scenario.name,
        "economy": scenario.economy.model,
        "mobile_factor": model.economy.mobile.name,
        **{key: state[key] for key in ("regime", "final_shares", "largest_share", "core")},
        **{key: state[key] for key in ("cores", "core_tie_tolerance") if key in state},
        "n_clusters": state["n_clusters"],
        "cluster_regions": state["cluster_regions"],
        "emerging_step": model.emerging_step,
        "emerging_n_clusters": len(model.emerging_clusters),
        "emerging_cluster_regions": [names[r] for r in model.emerging_clusters],
        "herfindahl": state["herfindahl"],
        "gini": state["gini"],
        "final_real_wages": {
            n: float(w) for n, w in zip(names, model.equilibrium.real_wage, strict=True)
        },
        "policies": [
            {"name": p.label, "kind": p.kind, "start": p.start, "end": p.end}
            for p in scenario.policies
        ],
        "steps": model.steps,
        "converged": bool(model.converged),
        "settling": settling(model),
        "seed": model.seed,
    }
    if model.firm_productivity is not None:
        summary["mean_productivity"] = {
            n: (None if np.isnan(v) else float(v))
            for n, v in zip(names, model.mean_productivity(), strict=True)
        }
    firms = model.firm_dynamics_summary()
    if firms is not None:
        summary["firm_dynamics"] = firms
    try:
        theory = two_region_theory(scenario)
    except (EquilibriumError, ValueError) as exc:  # never lose the run
        theory = {"unavailable": f"{type(exc).__name__}: {exc}"}
    except ArithmeticError:  # T = φ^(1/(1-σ)) beyond float64 where σ nears 1
        econ = scenario.economy
        theory = {
            "unavailable": f"the break and sustain points overflow at σ = {econ.sigma:g}, "
            f"μ = {econ.mu:g}: T = φ^(1/(1-σ)) exceeds the largest float64 number"
        }
    if theory is not None:
        summary["theory"] = theory
    return summary


def settling(model: NEGModel) -> dict[str, Any]:
    """Why the run stopped ("settled" at a rest point, or the "step limit") and how far the
    final state is from the equilibrium condition: ``residual`` against ``tolerance``
    (``negsim.rest_point``; null where the condition has no closed form)."""
    stopped = "settled" if model.converged and not model.running else "step limit"
    check = model.equilibrium_check(fresh=True)
    return {
        "stopped": stopped,
        "criterion": model.equilibrium_criterion,
        "residual": None if check is None else check[0],
        "tolerance": None if check is None else check[1],
    }


def rest_point(scenario: Scenario | str | Path, seed: int | None = None) -> dict[str, Any]:
    """The rest point the agents of ``scenario`` head for, found without them: the
    mean-field dynamics from the run's initial shares, then a direct solve
    (``negsim.rest_point.find_rest_point``; policies are not applied). Reports the shares,
    real wages, the residual of the equilibrium condition and the tolerance a run of the
    scenario's N agents would be held to."""
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    model = NEGModel(scenario.with_seed(seed))
    behaviour = scenario.behaviour
    found: RestPoint = find_rest_point(
        model.solver,
        model.shares,
        behaviour.noise,
        behaviour.adjustment_speed,
        behaviour.response,
        model.migration_cost,
        model.log_amenity,
    )
    solve = with_amenities(model.solver, model.log_amenity)
    u = ln_payoff(solve(found.shares, None))
    names = model.region_names
    shares = found.shares
    return {
        "scenario": scenario.name,
        "economy": scenario.economy.model,
        "noise": behaviour.noise,
        "shares": {n: float(s) for n, s in zip(names, shares, strict=True)},
        "real_wages": {n: float(w) for n, w in zip(names, found.real_wage, strict=True)},
        "regime": classify_regime(
            shares, scenario.analysis.agglomerated_share, scenario.analysis.dispersed_tolerance
        ),
        "residual": found.residual,
        "agent_tolerance": tolerance(solve, shares, u, behaviour.noise, model.mobile_region.size),
        "stable": found.stable,
        "mean_field_steps": found.steps,
    }
