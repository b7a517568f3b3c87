"""Reading sweep results: Sobol' indices, regime switches against the analytic thresholds,
regime maps over two parameters."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from negsim import economies, theory
from negsim.scenario import Scenario, validate
from negsim.sweeps.spec import SweepPlan, loads_resolved, plan_sweep
from negsim.sweeps.store import RESOLVED, read_runs, read_timeseries

T_KEY = "economy.transport_cost"
MU_KEY = "economy.mu"
START_KEY = "population.initial_shares"
OUTCOMES = ("agglomeration", "history decides", "dispersion", "partial")
"""Regime-map outcomes of a parameter point over its initial conditions and replications:
all runs agglomerated; some agglomerated and some dispersed (path dependence); all
dispersed; anything else (partial spreads, failed runs)."""


def load_results(out: str | Path) -> tuple[SweepPlan, pd.DataFrame, pd.DataFrame | None]:
    """The plan, the runs (one row per run) and the time series (or None) of a sweep DIR.

    Time-series rows of runs not yet committed (an interrupted batch) are left out.
    """
    out = Path(out)
    resolved = out / RESOLVED
    if not resolved.exists():
        raise FileNotFoundError(f"{out}: no {RESOLVED}; is this a negsim sweep directory?")
    plan = plan_sweep(loads_resolved(resolved.read_text(encoding="utf-8")), source=str(resolved))
    table = read_runs(out)
    if table is None:
        raise FileNotFoundError(f"{out}: no finished runs yet")
    runs = table.sort_by("run_id").to_pandas()
    series_table = read_timeseries(out)
    series = None
    if series_table is not None:
        series = series_table.to_pandas()
        series = series[series["run_id"].isin(runs["run_id"])].reset_index(drop=True)
    return plan, runs, series


def fixed_scenario(plan: SweepPlan) -> Scenario:
    """The base scenario with the sweep's [set] applied (what the varied keys start from)."""
    return validate(plan.scenario_data(plan.runs[0]), plan.source)


def two_region_thresholds(
    scenario: Scenario, mu: float | None = None
) -> tuple[float, float] | None:
    """The break and sustain points (T_B, T_S) theory gives for the scenario's economy between
    two symmetric regions (``negsim.theory.break_and_sustain``; ``mu`` replaces μ), or None
    where it gives no single pair (other geographies, uneven regions, fc, cp with housing)."""
    economy = scenario.economy
    if scenario.n_regions != 2 or scenario.farmer_shares() != [0.5, 0.5]:
        return None
    return theory.break_and_sustain(
        economies.get(economy.model).with_parameters(economy),
        economy.sigma,
        economy.mu if mu is None else mu,
        economy.housing_share,
    )


def has_analytic_tomahawk(scenario: Scenario) -> bool:
    """True when theory draws the scenario's tomahawk: two symmetric regions of an economy
    with one break and one sustain point (cp without housing, fe)."""
    return two_region_thresholds(scenario) is not None


def start_label(value: Any) -> str:
    """A short label of an initial condition: [0.51, 0.49] → "start 0.51/0.49"."""
    if isinstance(value, list | tuple | np.ndarray):
        return "start " + "/".join(f"{float(v):g}" for v in value)
    return f"start {value}"


def switch_points(runs: pd.DataFrame, key: str = T_KEY) -> pd.DataFrame:
    """Where the regime switches along ``key``, for each setting of the other parameters.

    Runs that share their other varied values (typically the initial condition) are
    ordered by ``key``. ``last_agglomerated`` is the last value of the leading stretch where
    every run agglomerated, ``first_dispersed`` the value after it if every run there
    dispersed: the switch lies between them. ``monotone`` says whether the regimes form one
    clean switch (all agglomerated up to it, all dispersed after it).
    """
    others = [c for c in runs.columns if "." in c and c != key]
    labels = runs[others].map(_hashable) if others else runs.assign(_all=0)[["_all"]]
    rows = []
    for group, members in labels.groupby(list(labels.columns), sort=False):
        by_value = (
            runs.loc[members.index]
            .groupby(key, sort=True)["regime"]
            .agg(lambda r: "/".join(sorted(set(r.fillna("error")))))
        )
        values, regimes = list(by_value.index), list(by_value.values)
        lead = 0
        while lead < len(values) and regimes[lead] == "agglomerated":
            lead += 1
        last_agg = values[lead - 1] if lead else None
        first_disp = values[lead] if lead < len(values) and regimes[lead] == "dispersed" else None
        monotone = 0 < lead < len(values) and all(r == "dispersed" for r in regimes[lead:])
        row = dict(zip(others, group, strict=False))
        row.update(last_agglomerated=last_agg, first_dispersed=first_disp, monotone=monotone)
        rows.append(row)
    return pd.DataFrame(rows)


def _hashable(value: Any) -> Any:
    if isinstance(value, list | tuple | np.ndarray):
        return tuple(float(v) for v in value)
    return value


def regime_map(runs: pd.DataFrame, x: str = T_KEY, y: str = MU_KEY) -> pd.DataFrame:
    """One row per (x, y) point: its outcome over all initial conditions and replications
    (see ``OUTCOMES``) and the share of its runs that agglomerated."""
    rows = []
    for (xv, yv), sub in runs.groupby([x, y], sort=True):
        regimes = set(sub["regime"].fillna("error"))
        if regimes == {"agglomerated"}:
            outcome = "agglomeration"
        elif regimes == {"dispersed"}:
            outcome = "dispersion"
        elif regimes == {"agglomerated", "dispersed"}:
            outcome = "history decides"
        else:
            outcome = "partial"
        rows.append(
            {
                x: xv,
                y: yv,
                "outcome": outcome,
                "agglomerated_fraction": float((sub["regime"] == "agglomerated").mean()),
            }
        )
    return pd.DataFrame(rows)


def sensitivity(plan: SweepPlan, runs: pd.DataFrame) -> pd.DataFrame:
    """Sobol' first-order and total indices (SALib) of the recorded output, one row per
    parameter: parameter, S1, S1_conf, ST, ST_conf (95% bootstrap half-widths).

    The output of a design point is the mean over its replications. Runs that failed make
    the indices undefined: ValueError.
    """
    from SALib.analyze import sobol as sobol_analyze

    if plan.problem is None:
        raise ValueError("Sobol' indices need a sweep with design 'sobol'")
    output = plan.spec.record.sensitivity_output
    reps = plan.spec.sweep.replications
    ordered = runs.sort_values("run_id")
    if len(ordered) != len(plan.runs) or ordered[output].isna().any():
        failed = int(ordered[output].isna().sum()) + len(plan.runs) - len(ordered)
        raise ValueError(f"Sobol' indices need every run; {failed} runs failed or are missing")
    y = ordered[output].to_numpy(dtype=float).reshape(-1, reps).mean(axis=1)
    result = sobol_analyze.analyze(
        plan.problem, y, calc_second_order=False, print_to_console=False, seed=plan.spec.sweep.seed
    )
    return pd.DataFrame(
        {
            "parameter": plan.problem["names"],
            "output": output,
            "S1": result["S1"],
            "S1_conf": result["S1_conf"],
            "ST": result["ST"],
            "ST_conf": result["ST_conf"],
        }
    )
