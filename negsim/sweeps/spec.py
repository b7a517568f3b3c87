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
"""

from __future__ import annotations

import copy
import hashlib
import itertools
import json
import math
import tomllib
import types
import typing
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import tomli_w
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from negsim.scenario import Scenario, ScenarioError, read_toml, set_key, validate

DESIGNS = ("grid", "lhs", "sobol", "continuation")
RANGE_KEYS = frozenset({"min", "max", "step", "num"})
MAX_RUNS = 10_000_000
FORBIDDEN_KEYS = {"run.seed": "each run's seed is derived from sweep.seed; set sweep.seed"}
OUTPUTS = ("largest_share", "herfindahl")


class SweepError(ScenarioError):
    """A sweep file is wrong; ``str(err)`` is one line per problem (file, key, range)."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)


class SweepTable(_Strict):
    """The ``[sweep]`` table: which base scenario, which design, how many replications."""

    name: str | None = Field(None, description="Sweep name (default: the file name)")
    description: str = Field("", description="What the sweep shows")
    scenario: str | None = Field(
        None, description="Base scenario file, relative to the sweep file (or give [base])"
    )
    design: Literal["grid", "lhs", "sobol", "continuation"] = Field(
        "grid", description="grid | lhs | sobol | continuation"
    )
    samples: int | None = Field(
        None, ge=1, le=MAX_RUNS, description="lhs: points; sobol: base sample N (a power of 2)"
    )
    replications: int = Field(1, ge=1, le=1_000_000, description="Runs per design point")
    seed: int = Field(0, ge=0, le=2**63 - 1, description="Sweep seed; run seeds derive from it")
    loop: bool = Field(False, description="continuation: walk back to the first value")


class RecordTable(_Strict):
    """The ``[record]`` table: what to keep besides the one-row summary per run."""

    timeseries_every: int = Field(
        0, ge=0, le=10_000_000, description="Keep every k-th step of the time series (0 = none)"
    )
    sensitivity_output: Literal["largest_share", "herfindahl"] = Field(
        "largest_share", description="sobol: the result whose Sobol' indices are computed"
    )


class SweepFile(_Strict):
    """A whole sweep file (``parameters`` and ``set`` are checked key by key afterwards)."""

    sweep: SweepTable = Field(default_factory=SweepTable)
    set: dict[str, Any] = Field(default_factory=dict)
    parameters: dict[str, Any]
    record: RecordTable = Field(default_factory=RecordTable)
    base: dict[str, Any] | None = None


@dataclass(frozen=True)
class Parameter:
    """One varied scenario key: its values (grid, continuation) or its bounds (lhs, sobol)."""

    key: str
    values: tuple[Any, ...] | None
    bounds: tuple[float, float] | None
    integer: bool
    source: Any  # as written in the sweep file

    def describe(self) -> str:
        """The parameter as written, for error messages: ``key = {min = …, max = …}``."""
        return f"parameters.{self.key} = {_inline(self.source)}"


@dataclass(frozen=True)
class RunSpec:
    """One run of the sweep: its id, varied values, replication, seed and continuation link."""

    run_id: int
    params: dict[str, Any]
    replication: int
    seed: int
    path_index: int | None = None
    leg: int | None = None
    previous: int | None = None  # continuation: the run whose final shares start this one


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
        lines = [f"{json.dumps(k)} = {_inline(v)}" for k, v in params.items()]
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


def load_sweep(path: str | Path) -> SweepPlan:
    """Read and validate a sweep file, build every run and validate its scenario."""
    path = Path(path)
    try:
        data = read_toml(path)
    except ScenarioError as exc:
        raise SweepError(str(exc)) from None
    return plan_sweep(data, source=str(path), base_dir=path.parent, default_name=path.stem)


def plan_sweep(
    data: dict[str, Any],
    source: str = "<sweep>",
    base_dir: str | Path = ".",
    default_name: str = "sweep",
) -> SweepPlan:
    """Validate a sweep dict (a parsed sweep file) into a ``SweepPlan``; raise SweepError."""
    try:
        spec = SweepFile.model_validate(data)
    except ValidationError as exc:
        raise SweepError("\n".join(_pydantic_lines(exc, source))) from None
    table = spec.sweep
    errors: list[str] = []

    base = _base_scenario(spec, source, Path(base_dir))
    fixed = _flatten(spec.set, "set", source, errors, ranges=False)
    raw_params = _flatten(spec.parameters, "parameters", source, errors, ranges=True)
    for key in list(fixed) + list(raw_params):
        if key in FORBIDDEN_KEYS:
            errors.append(f"{source}: {key}: cannot be set by a sweep: {FORBIDDEN_KEYS[key]}")
    for key in set(fixed) & set(raw_params):
        errors.append(f"{source}: set.{key}: also in [parameters]; give it in one place")
    if not raw_params and not errors:
        errors.append(f"{source}: parameters: nothing to vary; give at least one parameter")
    parameters = [
        p
        for key, value in raw_params.items()
        if key not in FORBIDDEN_KEYS
        and (p := _parameter(key, value, table.design, source, errors)) is not None
    ]
    _check_design(spec, parameters, len(raw_params), source, errors)
    if errors:
        raise SweepError("\n".join(errors))

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
        raise SweepError("\n".join(errors))

    points, problem = _design_points(spec, parameters)
    runs = _runs(spec, points)
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


# --- reading the file -----------------------------------------------------------------------


def _base_scenario(spec: SweepFile, source: str, base_dir: Path) -> dict[str, Any]:
    table = spec.sweep
    if (table.scenario is None) == (spec.base is None):
        raise SweepError(
            f"{source}: sweep.scenario: give the base scenario file (relative to the sweep "
            "file), or an inline [base] table, not both"
        )
    if spec.base is not None:
        data, where = copy.deepcopy(spec.base), f"{source}: [base]"
    else:
        scenario_path = base_dir / table.scenario
        try:
            data = read_toml(scenario_path)
        except ScenarioError as exc:
            raise SweepError(f"{source}: sweep.scenario: {exc}") from None
        data.setdefault("name", scenario_path.stem)
        where = str(scenario_path)
    try:
        scenario = validate(data, where)
    except ScenarioError as exc:
        raise SweepError(str(exc)) from None
    return scenario.model_dump(exclude_none=True)


def _flatten(
    table: dict[str, Any], prefix: str, source: str, errors: list[str], *, ranges: bool
) -> dict[str, Any]:
    """Dotted keys from a TOML table: ``"economy.mu" = x`` and ``economy.mu = x`` alike.

    With ``ranges``, an inline table of range keys (min, max, step, num) is a value.
    """
    out: dict[str, Any] = {}

    def walk(node: dict[str, Any], path: list[str]) -> None:
        for name, value in node.items():
            key = path + name.split(".")
            dotted = ".".join(key)
            is_range = ranges and isinstance(value, dict) and set(value) <= RANGE_KEYS
            if isinstance(value, dict) and value and not is_range:
                if not (ranges and _unknown_key(dotted) is None):
                    walk(value, key)
                    continue
                extra = ", ".join(sorted(set(value) - RANGE_KEYS))
                errors.append(
                    f"{source}: {prefix}.{dotted}: unknown range key(s) {extra} "
                    f"(a range takes: min, max, step, num)"
                )
                continue
            problem = _unknown_key(dotted)
            if problem:
                errors.append(f"{source}: {prefix}.{dotted}: {problem}")
            elif dotted in out:
                errors.append(f"{source}: {prefix}.{dotted}: given twice")
            else:
                out[dotted] = value

    walk(table, [])
    return out


def _field_annotation(key: str) -> Any:
    """The annotation of a dotted scenario key; KeyError naming the allowed keys if unknown."""
    model: type[BaseModel] = Scenario
    parts = key.split(".")
    listed = False  # the part before was a list of tables, so this one must index it
    for i, part in enumerate(parts):
        if listed:
            name = ".".join(parts[:i])
            if not part.isdigit():
                raise KeyError(f"{name} is a list of tables; index it ({name}.0.{part})")
            if i == len(parts) - 1:
                raise KeyError(f"is a table; vary its keys ({', '.join(model.model_fields)})")
            listed = False
            continue
        fields = model.model_fields
        if part not in fields:
            where = ".".join(parts[:i]) or "a scenario"
            raise KeyError(f"unknown scenario key ({where} has: {', '.join(fields)})")
        annotation = fields[part].annotation
        sub = _model_in(annotation)
        if i == len(parts) - 1:
            if sub is not None:
                raise KeyError(f"is a table; vary its keys ({', '.join(sub.model_fields)})")
            return annotation
        if sub is None:
            raise KeyError(f"unknown scenario key ({'.'.join(parts[: i + 1])} is a value)")
        listed = typing.get_origin(annotation) is list
        model = sub
    raise KeyError("empty key")


def key_description(key: str) -> str:
    """What a dotted scenario key means, from the scenario schema ("" if unknown), without
    the "kind:" prefix of policy fields: "policies.0.share" → "share of the region's firms
    that close"."""
    model: type[BaseModel] | None = Scenario
    field = None
    for part in key.split("."):
        if part.isdigit():
            continue
        field = model.model_fields.get(part) if model is not None else None
        if field is None:
            return ""
        model = _model_in(field.annotation)
    return (field.description or "").split(": ", 1)[-1] if field is not None else ""


def _model_in(annotation: Any) -> type[BaseModel] | None:
    for candidate in (annotation, *typing.get_args(annotation)):
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return candidate
    return None


def _unknown_key(key: str) -> str | None:
    try:
        _field_annotation(key)
    except KeyError as exc:
        return str(exc.args[0])
    return None


def _kinds(annotation: Any) -> set[type]:
    """The basic types a field accepts: {float}, {int}, {list}, {str}, ... (None dropped)."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        return set().union(*(_kinds(a) for a in typing.get_args(annotation)))
    if origin is Literal:
        return {type(v) for v in typing.get_args(annotation)}
    if origin in (list, tuple):
        return {list}
    if annotation is type(None):
        return set()
    return {annotation} if isinstance(annotation, type) else {object}


def _parameter(
    key: str, value: Any, design: str, source: str, errors: list[str]
) -> Parameter | None:
    where = f"{source}: parameters.{key}"
    kinds = _kinds(_field_annotation(key))
    numeric = bool(kinds & {int, float}) and not kinds & {list, str}
    integer = kinds == {int}
    continuous = design in ("lhs", "sobol")
    if isinstance(value, list):
        if continuous:
            errors.append(
                f"{where}: design {design!r} samples ranges; give {{min = …, max = …}} "
                "(value lists need design 'grid' or 'continuation')"
            )
            return None
        if not value:
            errors.append(f"{where}: empty list; give at least one value")
            return None
        if list in kinds and not all(isinstance(v, list) for v in value):
            errors.append(
                f"{where}: this key takes a list per run, so give a list of lists, "
                "e.g. [[0.51, 0.49], [0.99, 0.01]]"
            )
            return None
        seen: set[str] = set()
        for v in value:
            canon = _canonical(v)
            if canon in seen:
                errors.append(f"{where}: value {_inline(v)} is listed twice")
                return None
            seen.add(canon)
        return Parameter(key, tuple(value), None, integer, value)
    if isinstance(value, dict):
        return _range(key, value, design, where, numeric, integer, errors)
    errors.append(
        f"{where}: give a list of values or a range {{min = …, max = …, step = …}} "
        f"(got {_inline(value)})"
    )
    return None


def _range(
    key: str,
    value: dict[str, Any],
    design: str,
    where: str,
    numeric: bool,
    integer: bool,
    errors: list[str],
) -> Parameter | None:
    shown = f"{where} = {_inline(value)}"
    if not numeric:
        errors.append(f"{shown}: ranges need a numeric key; give a list of values")
        return None
    bad = [k for k, v in value.items() if isinstance(v, bool) or not isinstance(v, int | float)]
    if bad or not {"min", "max"} <= set(value):
        errors.append(f"{shown}: a range needs numbers min and max (and step or num for grids)")
        return None
    if not all(math.isfinite(v) for v in value.values()):
        errors.append(f"{shown}: range bounds must be finite numbers")
        return None
    lo, hi = value["min"], value["max"]
    if design in ("lhs", "sobol"):
        if set(value) - {"min", "max"}:
            errors.append(f"{shown}: design {design!r} samples the range; drop step/num")
            return None
        if not hi > lo:
            errors.append(f"{shown}: needs min < max")
            return None
        return Parameter(key, None, (float(lo), float(hi)), integer, value)
    if ("step" in value) == ("num" in value):
        errors.append(f"{shown}: give exactly one of step (spacing) or num (number of values)")
        return None
    if hi < lo:
        errors.append(f"{shown}: needs min ≤ max")
        return None
    if "step" in value:
        step = value["step"]
        if not step > 0:
            errors.append(f"{shown}: step must be > 0")
            return None
        count = math.floor((hi - lo) / step * (1 + 1e-9) + 1e-9) + 1
        if count > MAX_RUNS:
            errors.append(f"{shown}: {count} values is too many")
            return None
        values = [lo + i * step for i in range(count)]
    else:
        num = value["num"]
        if not isinstance(num, int) or num < 1 or (num == 1 and hi != lo) or num > MAX_RUNS:
            errors.append(f"{shown}: num must be a whole number ≥ 2 (or 1 with min = max)")
            return None
        values = list(np.linspace(lo, hi, num)) if num > 1 else [lo]
    if integer:
        if not all(float(v).is_integer() for v in values):
            errors.append(f"{shown}: this key takes whole numbers; use an integer step")
            return None
        values = [int(round(v)) for v in values]
    else:
        values = [float(f"{float(v):.12g}") for v in values]  # 1.4 + 3·0.02 → 1.46, not …0001
    if len(set(values)) != len(values):
        errors.append(f"{shown}: the values repeat; use a larger step")
        return None
    return Parameter(key, tuple(values), None, integer, value)


def _check_design(
    spec: SweepFile, parameters: list[Parameter], n_given: int, source: str, errors: list[str]
) -> None:
    table, design = spec.sweep, spec.sweep.design
    if design in ("lhs", "sobol") and table.samples is None:
        errors.append(f"{source}: sweep.samples: design {design!r} needs samples (a number)")
    if design not in ("lhs", "sobol") and table.samples is not None:
        errors.append(f"{source}: sweep.samples: only used by designs 'lhs' and 'sobol'")
    if design == "sobol" and table.samples is not None:
        n = table.samples
        if n & (n - 1):
            errors.append(
                f"{source}: sweep.samples: design 'sobol' needs a power of 2 (got {n}; "
                f"e.g. {1 << max(n.bit_length() - 1, 0)} or {1 << n.bit_length()})"
            )
    if design == "sobol" and parameters and len(parameters) < 2:
        errors.append(f"{source}: parameters: Sobol' indices need at least 2 parameters")
    if table.loop and design != "continuation":
        errors.append(f"{source}: sweep.loop: only used by design 'continuation'")
    if design == "continuation":
        if n_given != 1:
            errors.append(
                f"{source}: parameters: design 'continuation' walks exactly one parameter "
                f"(got {n_given})"
            )
        for p in parameters:
            if p.key == "population.initial_shares":
                errors.append(
                    f"{source}: parameters.{p.key}: continuation sets the initial shares "
                    "itself (from the previous run)"
                )


# --- designs and runs -----------------------------------------------------------------------


def _design_points(
    spec: SweepFile, parameters: list[Parameter]
) -> tuple[list[tuple[dict[str, Any], int | None, int | None]], dict[str, Any] | None]:
    """[(values, path_index, leg)] in design order, and the SALib problem for sobol."""
    table = spec.sweep
    keys = [p.key for p in parameters]
    if table.design == "grid":
        combos = itertools.product(*(p.values or () for p in parameters))
        return [(dict(zip(keys, c, strict=True)), None, None) for c in combos], None
    if table.design == "continuation":
        (param,) = parameters
        values = list(param.values or ())
        path = [(v, 0) for v in values]
        if table.loop:
            path += [(v, 1) for v in values[-2::-1]]
        return [({param.key: v}, i, leg) for i, (v, leg) in enumerate(path)], None
    lows = np.array([p.bounds[0] for p in parameters if p.bounds])
    highs = np.array([p.bounds[1] for p in parameters if p.bounds])
    problem = None
    if table.design == "lhs":
        from scipy.stats import qmc

        rng = np.random.default_rng(np.random.SeedSequence(table.seed, spawn_key=(0xD5,)))
        unit = qmc.LatinHypercube(d=len(parameters), rng=rng).random(table.samples or 1)
        sample = qmc.scale(unit, lows, highs)
    else:
        from SALib.sample import sobol as sobol_sample

        problem = {
            "num_vars": len(parameters),
            "names": keys,
            "bounds": [[float(lo), float(hi)] for lo, hi in zip(lows, highs, strict=True)],
        }
        sample = sobol_sample.sample(
            problem, table.samples, calc_second_order=False, scramble=True, seed=table.seed
        )
    points = []
    for row in sample:
        values = {
            p.key: int(round(float(x))) if p.integer else float(x)
            for p, x in zip(parameters, row, strict=True)
        }
        points.append((values, None, None))
    return points, problem


def _runs(
    spec: SweepFile, points: list[tuple[dict[str, Any], int | None, int | None]]
) -> list[RunSpec]:
    table = spec.sweep
    reps = table.replications
    runs: list[RunSpec] = []
    if table.design == "continuation":
        for rep in range(reps):  # one chain per replication, run ids chain by chain
            previous = None
            for values, index, leg in points:
                run = RunSpec(
                    run_id=len(runs),
                    params=values,
                    replication=rep,
                    seed=run_seed(table.seed, values, rep, index),
                    path_index=index,
                    leg=leg,
                    previous=previous,
                )
                runs.append(run)
                previous = run.run_id
        return runs
    for values, _, _ in points:
        for rep in range(reps):
            seed = run_seed(table.seed, values, rep)
            runs.append(RunSpec(len(runs), values, rep, seed))
    return runs


def run_seed(
    sweep_seed: int, params: dict[str, Any], replication: int, path_index: int | None = None
) -> int:
    """The seed of one run: a child of the sweep seed keyed by replication and parameters.

    ``SeedSequence(sweep_seed, spawn_key=(replication, *digest))`` where ``digest`` is the
    BLAKE2b hash of the run's parameter values (and continuation position), as four 32-bit
    words; the result is the first 63 bits of its generated state.
    """
    payload = {"params": params} if path_index is None else {"params": params, "at": path_index}
    digest = hashlib.blake2b(_canonical(payload).encode(), digest_size=16).digest()
    words = tuple(int.from_bytes(digest[i : i + 4], "little") for i in range(0, 16, 4))
    state = np.random.SeedSequence(sweep_seed, spawn_key=(replication, *words))
    return int(state.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1))


def _validate_runs(plan: SweepPlan) -> None:
    """Validate every run's scenario; group failures by scenario key, one line each."""
    failures: dict[str, list[tuple[RunSpec, str]]] = {}
    seen: set[str] = set()
    for run in plan.runs:
        canon = _canonical(run.params)
        if canon in seen and plan.design != "continuation":
            continue  # another replication of a checked point
        seen.add(canon)
        try:
            validate(plan.scenario_data(run), "@")
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
        varied = ", ".join(f"{k}={_inline(v)}" for k, v in run.params.items())
        blamed = [p for p in plan.parameters if p.key == key]
        if blamed or key not in plan.fixed:
            ranges = "; ".join(p.describe() for p in blamed or plan.parameters)
        else:
            ranges = f"set.{key} = {_inline(plan.fixed[key])}"
        lines.append(
            f"{plan.source}: {key}: {message} — in {len(items)} of {points} design points, "
            f"first at {varied} ({ranges})"
        )
    raise SweepError("\n".join(lines))


# --- helpers --------------------------------------------------------------------------------


def _set_dotted(data: dict[str, Any], key: str, value: Any) -> None:
    set_key(data, key.split("."), value)


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def _inline(value: Any) -> str:
    """A value as TOML would show it inline: 1.5, [0.5, 0.5], {min = 1, max = 2}."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} = {_inline(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_inline(v) for v in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value)
    return repr(value) if isinstance(value, float) else str(value)


def _pydantic_lines(exc: ValidationError, source: str) -> Iterator[str]:
    for err in exc.errors():
        key = ".".join(str(p) for p in err["loc"]) or "(top level)"
        if err["type"] == "missing":
            msg = "required key is missing"
        elif err["type"] == "extra_forbidden":
            msg = "unknown key"
            parts = [str(p) for p in err["loc"]]
            table = SweepFile.model_fields.get(parts[0]) if len(parts) > 1 else None
            sub = _model_in(table.annotation) if table else None
            allowed = sub.model_fields if sub else SweepFile.model_fields
            msg += f" (allowed: {', '.join(allowed)})"
        else:
            msg = err["msg"].removeprefix("Value error, ")
            if not isinstance(err.get("input"), dict):
                msg += f" (got {_inline(err.get('input'))})"
        yield f"{source}: {key}: {msg}"


def loads_resolved(text: str) -> dict[str, Any]:
    """Parse a sweep.resolved.toml for comparison (comments ignored)."""
    return tomllib.loads(text)
