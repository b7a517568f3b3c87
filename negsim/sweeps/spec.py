"""Sweep files: TOML → a validated ``SweepPlan`` (every run's scenario and seed), before any run.

A sweep file names a base scenario, what to vary and how (a design), the replications and
what to record::

    [sweep]
    scenario = "../scenarios/two_region_clustering.toml"   # relative to this file
    design = "grid"           # grid | lhs | sobol | continuation
    replications = 1
    seed = 2024

    [set]                     # fixed changes to the base scenario (dotted keys, like --set)
    "population.workers" = 2000

    [parameters]              # what varies (dotted scenario keys)
    "economy.transport_cost" = { min = 1.40, max = 2.00, step = 0.02 }
    "population.initial_shares" = [[0.51, 0.49], [0.99, 0.01]]

    [record]
    timeseries_every = 0      # k > 0: keep every k-th step of each run's time series
    effects = false           # true: each run also against its baseline (no [[policies]])

Designs: ``grid`` is the full factorial of value lists and stepped ranges (the last
parameter varies fastest); ``lhs`` draws ``samples`` points of a Latin hypercube
(``scipy.stats.qmc.LatinHypercube``) over ``{min, max}`` ranges; ``sobol`` is SALib's
Saltelli/Sobol' design (``SALib.sample.sobol``, ``samples`` = N base points, a power of 2,
N·(D+2) points) and is followed by Sobol' indices; ``continuation`` walks one parameter
along its values (and back with ``loop = true``), each run starting from the final shares
of the run before it, one independent chain per replication.

Seeds: a run's seed is drawn from ``SeedSequence(sweep.seed, spawn_key=(replication,
*digest))`` where digest hashes the run's parameter values (and its position on a
continuation path). It does not depend on the order runs execute in or on how many
workers there are, so a sweep gives identical results on 1 process, N processes or Dask;
adding points to a grid leaves the seeds of the existing points unchanged.

Every run's scenario is validated when the plan is built: errors name the sweep file, the
key and the range, one line each (``SweepError``, a ``ScenarioError``).

This module builds the plan; the parts live next to it: ``schema`` (the file's tables),
``keys`` (the scenario schema), ``ranges`` (parameters), ``designs`` (points and runs),
``seeds`` (run seeds), ``values`` (how values are written).
"""

from __future__ import annotations

import copy
import json
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tomli_w
from pydantic import ValidationError

from negsim import shipped
from negsim.resources import check_plan, estimate_run
from negsim.scenario import Scenario, ScenarioError, read_places, read_toml, set_key, validate
from negsim.sweeps.designs import RunSpec, build_runs, check_design, count_points, design_points
from negsim.sweeps.keys import key_description
from negsim.sweeps.ranges import Parameter, flatten, parse_parameter
from negsim.sweeps.schema import FORBIDDEN_KEYS, MAX_RUNS, SweepError, SweepFile
from negsim.sweeps.seeds import run_seed
from negsim.sweeps.values import canonical, inline
from negsim.validation import error_lines, one_line

__all__ = [
    "Parameter",
    "RunSpec",
    "SweepError",
    "SweepFile",
    "SweepPlan",
    "key_description",
    "load_sweep",
    "loads_resolved",
    "plan_sweep",
    "run_seed",
    "same_resolved",
]


@dataclass
class SweepPlan:
    """A validated sweep: the resolved spec, the base scenario and every run."""

    name: str
    source: str
    spec: SweepFile
    base: dict[str, Any]  # resolved base scenario, [set] not applied
    fixed: dict[str, Any]  # flattened [set]
    parameters: list[Parameter]
    runs: list[RunSpec]
    problem: dict[str, Any] | None = None  # SALib problem for sobol
    heaviest: Scenario | None = None  # the run needing the most memory and time
    _with_set: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def design(self) -> str:
        return self.spec.sweep.design

    @property
    def keys(self) -> list[str]:
        return [p.key for p in self.parameters]

    def scenario_data(self, run: RunSpec, start: list[float] | None = None) -> dict[str, Any]:
        """The scenario dict of ``run`` (base + [set] + its values + its seed)."""
        data = copy.deepcopy(self._with_set)
        for key, value in run.params.items():
            _set_dotted(data, key, value)
        _set_dotted(data, "run.seed", run.seed)
        if start is not None:
            _set_dotted(data, "population.initial_shares", list(start))
        return data

    def scenario(self, run: RunSpec, start: list[float] | None = None) -> Scenario:
        """The validated scenario of ``run``; ``start`` replaces the initial shares."""
        return validate(self.scenario_data(run, start), f"{self.source}: run {run.run_id}")

    def resolved(self) -> dict[str, Any]:
        """The sweep with every default filled in and the base scenario inline (``[base]``)."""
        spec = self.spec.model_dump(exclude_none=True)
        table = spec["sweep"]
        table.pop("scenario", None)
        table.pop("name", None)
        spec["sweep"] = {"name": self.name, **table}
        spec["set"] = dict(self.fixed)
        spec["parameters"] = {p.key: p.source for p in self.parameters}
        spec["base"] = self.base
        return spec

    def resolved_toml(self) -> str:
        """``resolved()`` as TOML, with a header; loading it gives the same sweep.

        ``[parameters]`` is written one inline value per line, in the order of the sweep
        file: the order fixes the grid order and so the run ids.
        """
        header = (
            f"# negsim sweep {self.name!r}, resolved: {len(self.runs)} runs "
            f"({self.design} design). Every default is filled in and the base scenario\n"
            "# is inline ([base]); `negsim sweep THIS_FILE --out DIR` reproduces the results.\n"
        )
        data = self.resolved()
        params = data.pop("parameters")
        tail = {key: data.pop(key) for key in ("record", "base")}
        lines = [f"{json.dumps(k)} = {inline(v)}" for k, v in params.items()]
        return (
            header
            + tomli_w.dumps(data)
            + "\n[parameters]\n"
            + "\n".join(lines)
            + "\n\n"
            + tomli_w.dumps(tail)
        )


def same_resolved(a: str, b: str) -> bool:
    """Whether two sweep.resolved.toml texts describe the same sweep (comments ignored)."""

    def significant(text: str) -> list[str]:
        return [line for line in text.splitlines() if line.strip() and not line.startswith("#")]

    return significant(a) == significant(b)


def load_sweep(path: str | Path, force: bool = False) -> SweepPlan:
    """Read and validate a sweep file, build every run and validate its scenario."""
    path = Path(path)
    try:
        data = read_toml(path)
    except ScenarioError as exc:
        raise SweepError(str(exc)) from None
    return plan_sweep(
        data, source=str(path), base_dir=path.parent, default_name=path.stem, force=force
    )


def plan_sweep(
    data: dict[str, Any],
    source: str = "<sweep>",
    base_dir: str | Path = ".",
    default_name: str = "sweep",
    force: bool = False,
) -> SweepPlan:
    """Validate a sweep dict (a parsed sweep file) into a ``SweepPlan``; raise SweepError.
    The number of runs is checked by arithmetic before the design is built: above
    ``MAX_RUNS`` SweepError, above the memory or time a plan may take ResourceError (unless
    ``force``)."""
    try:
        spec = SweepFile.model_validate(data)
    except ValidationError as exc:
        raise SweepError("\n".join(error_lines(exc, source, SweepFile))) from None
    table = spec.sweep
    errors: list[str] = []

    base = _base_scenario(spec, source, Path(base_dir))
    fixed = flatten(spec.set, "set", source, errors, ranges=False)
    raw_params = flatten(spec.parameters, "parameters", source, errors, ranges=True)
    for key in list(fixed) + list(raw_params):
        if key in FORBIDDEN_KEYS:
            errors.append(f"{source}: {key}: cannot be set by a sweep: {FORBIDDEN_KEYS[key]}")
    for key in set(fixed) & set(raw_params):
        errors.append(f"{source}: set.{key}: also in [parameters]; give it in one place")
    if not raw_params and not errors:
        errors.append(f"{source}: parameters: nothing to vary; give at least one parameter")
    points = count_points(spec, raw_params)
    if points is not None:  # by arithmetic, before any list of values or design is built
        total = points * table.replications
        if total > MAX_RUNS:
            raise SweepError(
                f"{source}: parameters: {points:,} design points × {table.replications:,} "
                f"replication(s) = {total:,} runs is more than the limit of {MAX_RUNS:,}"
            )
        check_plan(points, total, source, force)
    parameters = [
        p
        for key, value in raw_params.items()
        if key not in FORBIDDEN_KEYS
        and (p := parse_parameter(key, value, table.design, source, errors)) is not None
    ]
    check_design(spec, parameters, len(raw_params), source, errors)
    if errors:
        raise SweepError("\n".join(map(one_line, errors)))

    with_set = copy.deepcopy(base)
    for key, value in fixed.items():
        try:
            _set_dotted(with_set, key, value)
        except ValueError as exc:
            errors.append(f"{source}: set.{key}: {exc}")
    for parameter in parameters:  # its path is checked here, its values run by run
        try:
            _set_dotted(copy.deepcopy(with_set), parameter.key, None)
        except ValueError as exc:
            errors.append(f"{source}: parameters.{parameter.key}: {exc}")
    if errors:
        raise SweepError("\n".join(map(one_line, errors)))

    points, problem = design_points(spec, parameters)
    runs = build_runs(spec, points)
    if len(runs) > MAX_RUNS:
        raise SweepError(f"{source}: {len(runs)} runs is more than the limit of {MAX_RUNS}")
    plan = SweepPlan(
        name=table.name or default_name,
        source=source,
        spec=spec,
        base=base,
        fixed=fixed,
        parameters=parameters,
        runs=runs,
        problem=problem,
        _with_set=with_set,
    )
    _validate_runs(plan)
    return plan


# --- reading the base scenario and checking the runs ---------------------------------------


def _base_scenario(spec: SweepFile, source: str, base_dir: Path) -> dict[str, Any]:
    table = spec.sweep
    if (table.scenario is None) == (spec.base is None):
        raise SweepError(
            f"{source}: sweep.scenario: give the base scenario file (relative to the sweep "
            "file), or an inline [base] table, not both"
        )
    if spec.base is not None:
        data, where = copy.deepcopy(spec.base), f"{source}: [base]"
        places_dir = base_dir
    else:
        try:
            scenario_path = shipped.resolve(table.scenario, "scenarios", base_dir)
            data = read_toml(scenario_path)
        except ScenarioError as exc:
            raise SweepError(f"{source}: sweep.scenario: {exc}") from None
        data.setdefault("name", scenario_path.stem)
        where = str(scenario_path)
        places_dir = scenario_path.parent
    try:
        scenario = validate(read_places(data, places_dir, where), where)
    except ScenarioError as exc:
        raise SweepError(str(exc)) from None
    return scenario.model_dump(exclude_none=True)


def _validate_runs(plan: SweepPlan) -> None:
    """Validate every run's scenario; group failures by scenario key, one line each."""
    failures: dict[str, list[tuple[RunSpec, str]]] = {}
    seen: set[str] = set()
    for run in plan.runs:
        canon = canonical(run.params)
        if canon in seen and plan.design != "continuation":
            continue  # another replication of a checked point
        seen.add(canon)
        try:
            scenario = validate(plan.scenario_data(run), "@")
            if plan.heaviest is None or _weight(scenario) > _weight(plan.heaviest):
                plan.heaviest = scenario
        except ScenarioError as exc:
            for line in str(exc).splitlines():
                key, _, message = line.removeprefix("@: ").partition(": ")
                failures.setdefault(key, []).append((run, message))
    if not failures:
        return
    points = len(seen)
    lines = []
    for key, items in failures.items():
        run, message = items[0]
        varied = ", ".join(f"{k}={inline(v)}" for k, v in run.params.items())
        blamed = [p for p in plan.parameters if p.key == key]
        if blamed or key not in plan.fixed:
            ranges = "; ".join(p.describe() for p in blamed or plan.parameters)
        else:
            ranges = f"set.{key} = {inline(plan.fixed[key])}"
        lines.append(
            f"{plan.source}: {key}: {message} — in {len(items)} of {points} design points, "
            f"first at {varied} ({ranges})"
        )
    raise SweepError("\n".join(map(one_line, lines)))


# --- helpers --------------------------------------------------------------------------------


def _weight(scenario: Scenario) -> tuple[float, float]:
    est = estimate_run(scenario)
    return (est.memory_bytes, est.setup_seconds + est.check_seconds)


def _set_dotted(data: dict[str, Any], key: str, value: Any) -> None:
    set_key(data, key.split("."), value, scenario="the base scenario")


def loads_resolved(text: str) -> dict[str, Any]:
    """Parse a sweep.resolved.toml for comparison (comments ignored)."""
    return tomllib.loads(text)
