"""Small experiments on the two-region economy: the agent model's rest points along the
tomahawk, and the hysteresis loop traced when transport costs fall and rise again.

Each experiment is a series of runs of copies of one scenario that differ only in the
transport cost T and the starting shares: the rest points step together as one ensemble
(``negsim.ensemble``), the hysteresis loop's runs one after the other, each as an ensemble
of one; a scenario an ensemble cannot take runs alone (``negsim.run``). The results are the
same either way. Runs are laid out and seeded
as in a sweep (``negsim.sweeps``): the rest points are a grid over T and the starting shares,
the hysteresis loop a continuation along T; a run's seed derives from the experiment's seed
and the run's values (and its place on the path) with ``run_seed``, so a table is
reproducible from its seed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import pandas as pd

from negsim.ensemble import run_ensemble, unsupported
from negsim.scenario import Scenario, validate
from negsim.sweeps.designs import continuation_path, grid
from negsim.sweeps.seeds import run_seed

_TRANSPORT_COST = "economy.transport_cost"
_INITIAL_SHARES = "population.initial_shares"


def variant(scenario: Scenario, transport_cost: float, start: float) -> Scenario:
    """A copy of a two-region ``scenario`` with transport cost T and a share ``start`` of the
    mobile workers in the first region (validated like a scenario file)."""
    if scenario.n_regions != 2:
        raise ValueError(f"needs a two-region scenario (got {scenario.n_regions} regions)")
    data = scenario.model_dump(exclude_none=True)
    data["economy"]["transport_cost"] = float(transport_cost)
    data["population"]["initial_shares"] = [float(start), 1.0 - float(start)]
    return validate(data, f"{scenario.name} (T={transport_cost:g}, start={start:g})")


@contextmanager
def _progress(total: int, desc: str, show: bool) -> Iterator[Callable[[int], object]]:
    """``done(n)``: n more of ``total`` runs done, on tqdm's bar where ``show`` (tqdm is
    imported only then), else nowhere."""
    if not show:
        yield lambda n: None
        return
    from tqdm.auto import tqdm

    with tqdm(total=total, desc=desc, unit="run", disable=None) as bar:
        yield bar.update


def _summaries(scenarios: list[Scenario]) -> list[dict[str, Any]]:
    """The final state of each run (the keys of summary.json that ``_row`` reads): from an
    ensemble where it takes them all, alone otherwise (also a run whose equilibrium failed
    in the ensemble: alone, it raises the error)."""
    together = all(unsupported(s) is None for s in scenarios)
    results = run_ensemble(scenarios) if together else [None] * len(scenarios)
    if all(result is not None for result in results):
        return [result.summary() for result in results]
    from negsim.runner import run

    return [
        run(scenario).summary if result is None else result.summary()
        for scenario, result in zip(scenarios, results, strict=True)
    ]


def _row(scenario: Scenario, result_summary: dict[str, Any]) -> dict[str, Any]:
    first = scenario.region_names[0]
    return {
        "share": result_summary["final_shares"][first],
        "regime": result_summary["regime"],
        "steps": result_summary["steps"],
        "converged": result_summary["converged"],
    }


def rest_points(
    scenario: Scenario,
    transport_costs: Sequence[float],
    starts: Sequence[float],
    seed: int | None = None,
    progress: bool = False,
) -> pd.DataFrame:
    """Where the agents settle, for every transport cost T and starting share of region 1.

    In the noise-free limit the rest points are the stable long-run equilibria of the CP
    model (FKV 1999, ch. 5), so on a tomahawk diagram they fall on its stable branches:
    full agglomeration below the sustain point T_S, the even spread above the break point
    T_B, and either one between them depending on the start.
    Columns: ``transport_cost, start, share`` (final share of region 1), ``regime``,
    ``steps``, ``converged``.
    """
    base_seed = scenario.run.seed if seed is None else seed
    points = grid(
        {
            _TRANSPORT_COST: [float(t) for t in transport_costs],
            _INITIAL_SHARES: [[float(s), 1.0 - float(s)] for s in starts],
        }
    )
    runs = [
        variant(scenario, point[_TRANSPORT_COST], point[_INITIAL_SHARES][0]).with_seed(
            run_seed(base_seed, point, 0)
        )
        for point in points
    ]
    with _progress(len(runs), "rest points", progress) as done:
        summaries = _summaries(runs)
        done(len(runs))
    return pd.DataFrame(
        {
            "transport_cost": point[_TRANSPORT_COST],
            "start": point[_INITIAL_SHARES][0],
            **_row(scenario, summary),
        }
        for point, summary in zip(points, summaries, strict=True)
    )


def hysteresis_loop(
    scenario: Scenario,
    transport_costs: Sequence[float],
    shock: float = 0.01,
    seed: int | None = None,
    progress: bool = False,
) -> pd.DataFrame:
    """Lower T step by step through ``transport_costs`` and raise it back, each run starting
    where the previous one settled (the first from the scenario's initial shares).

    Before each run a small accident of history moves a share ``shock`` of the mobile
    agents (workers in cp) to region 1 (without it a perfectly even spread never moves).
    Theory (FKV 1999, ch. 5): falling, the economy stays dispersed until T < T_B; rising,
    the core it formed survives until T > T_S. Between the two the state depends on the
    path, not on T alone — hysteresis.
    Columns: ``order, leg`` ("falling T" / "rising T"), ``transport_cost, start, share``
    (final share of region 1), ``regime, steps, converged, region`` (region 1's name),
    ``economy, sigma, mu, housing_share``.
    """
    if not 0 <= shock < 1:
        raise ValueError(f"shock must be in [0, 1) (got {shock})")
    falling = sorted({float(t) for t in transport_costs}, reverse=True)
    if len(falling) < 2:
        raise ValueError("give at least two distinct transport costs")
    legs = ("falling T", "rising T")
    path = continuation_path(falling, loop=True)
    base_seed = scenario.run.seed if seed is None else seed
    share = float(scenario.initial_shares()[0])
    rows = []
    with _progress(len(path), "hysteresis", progress) as done:
        for order, (t, leg) in enumerate(path):
            start = min(1.0, share + shock)
            rows.append(_loop_row(scenario, order, t, legs[leg], start, base_seed))
            share = rows[-1]["share"]
            done(1)
    return pd.DataFrame(rows)


def _loop_row(
    scenario: Scenario, order: int, t: float, leg: str, start: float, base_seed: int
) -> dict[str, Any]:
    """The row of the hysteresis loop's run number ``order``, at T = ``t`` from ``start``."""
    task_seed = run_seed(base_seed, {_TRANSPORT_COST: t}, 0, order)
    (summary,) = _summaries([variant(scenario, t, start).with_seed(task_seed)])
    econ = scenario.economy
    row = {"order": order, "leg": leg, "transport_cost": t, "start": start}
    row.update(_row(scenario, summary))
    row.update(
        region=scenario.region_names[0],
        economy=econ.model,
        sigma=econ.sigma,
        mu=econ.mu,
        housing_share=getattr(econ, "housing_share", 0.0),
    )
    return row
