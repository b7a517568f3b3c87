"""What a sweep varies and fixes: dotted keys read from ``[parameters]`` and ``[set]``, and
each parameter's values (lists, stepped ranges) or bounds (sampled ranges), checked against
the scenario schema."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from negsim.sweeps.keys import field_annotation, unknown_key, value_kinds
from negsim.sweeps.schema import MAX_RUNS, RANGE_KEYS
from negsim.sweeps.values import canonical, inline


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
        return f"parameters.{self.key} = {inline(self.source)}"


def flatten(
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
                if not (ranges and unknown_key(dotted) is None):
                    walk(value, key)
                    continue
                extra = ", ".join(sorted(set(value) - RANGE_KEYS))
                errors.append(
                    f"{source}: {prefix}.{dotted}: unknown range key(s) {extra} "
                    f"(a range takes: min, max, step, num)"
                )
                continue
            problem = unknown_key(dotted)
            if problem:
                errors.append(f"{source}: {prefix}.{dotted}: {problem}")
            elif dotted in out:
                errors.append(f"{source}: {prefix}.{dotted}: given twice")
            else:
                out[dotted] = value

    walk(table, [])
    return out


def parse_parameter(
    key: str, value: Any, design: str, source: str, errors: list[str]
) -> Parameter | None:
    """The parameter ``key = value`` of ``[parameters]`` under ``design``; None after adding
    the reasons it is wrong to ``errors``. ``key`` must be a known scenario key."""
    where = f"{source}: parameters.{key}"
    kinds = value_kinds(field_annotation(key))
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
            canon = canonical(v)
            if canon in seen:
                errors.append(f"{where}: value {inline(v)} is listed twice")
                return None
            seen.add(canon)
        return Parameter(key, tuple(value), None, integer, value)
    if isinstance(value, dict):
        return _range(key, value, design, where, numeric, integer, errors)
    errors.append(
        f"{where}: give a list of values or a range {{min = …, max = …, step = …}} "
        f"(got {inline(value)})"
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
    shown = f"{where} = {inline(value)}"
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
