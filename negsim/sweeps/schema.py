"""The sweep file's tables as pydantic models, the limits a sweep is held to, and SweepError.

``[parameters]`` and ``[set]`` are plain tables here: their dotted scenario keys and values
are checked key by key afterwards (``negsim.sweeps.ranges``).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from negsim.scenario import ScenarioError

RANGE_KEYS = frozenset({"min", "max", "step", "num"})
MAX_RUNS = 10_000_000
FORBIDDEN_KEYS = {"run.seed": "each run's seed is derived from sweep.seed; set sweep.seed"}


class SweepError(ScenarioError):
    """A sweep file is wrong; ``str(err)`` is one line per problem (file, key, range)."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)


class SweepTable(_Strict):
    """The ``[sweep]`` table: which base scenario, which design, how many replications."""

    name: str | None = Field(None, description="Sweep name (default: the file name)")
    description: str = Field("", description="What the sweep shows")
    scenario: str | None = Field(
        None,
        description="Base scenario file, relative to the sweep file, or a shipped "
        "scenario's name (or give [base])",
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
    effects: bool = Field(
        False,
        description="Also run each run's baseline (its [[policies]] removed, the same seed) "
        "and record the policy's effect (runs.parquet's baseline_* and effect columns)",
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
