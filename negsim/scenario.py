"""Scenario files: TOML → validated ``Scenario`` (pydantic), ``--set`` overrides, schema.

A scenario says which economy, which places, how many agents, how they behave and how
long to run. Every key is checked on load; an error names the file, the key and the
allowed range, in one line (``ScenarioError``).
"""

from __future__ import annotations

import copy
import re
import tomllib
from pathlib import Path
from typing import Any, Literal

import tomli_w
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

SHARE_SUM_TOLERANCE = 1e-6


class ScenarioError(ValueError):
    """A scenario could not be loaded; ``str(err)`` is one line per problem."""


class _Table(BaseModel):
    model_config = ConfigDict(
        extra="forbid", validate_assignment=True, allow_inf_nan=False, strict=True
    )


def _check_shares(values: list[float] | None, key: str) -> list[float] | None:
    if values is None:
        return None
    if any(v < 0 or v > 1 for v in values):
        raise ValueError(f"each {key} entry must be in [0, 1] (got {values})")
    total = sum(values)
    if abs(total - 1.0) > SHARE_SUM_TOLERANCE:
        raise ValueError(f"{key} must sum to 1 (got {total:.6g})")
    return values


class Economy(_Table):
    """Which NEG economy, and its parameters (FKV 1999, ch. 5)."""

    model: Literal["cp"] = Field("cp", description="Economy: 'cp' = Krugman core–periphery")
    sigma: float = Field(gt=1, description="Elasticity of substitution between varieties σ > 1")
    mu: float = Field(gt=0, lt=1, description="Expenditure share of manufactures μ in (0, 1)")
    transport_cost: float = Field(
        ge=1, description="Iceberg transport cost T ≥ 1 between the two regions"
    )

    @field_validator("mu")
    @classmethod
    def _no_black_hole(cls, mu: float, info: ValidationInfo) -> float:
        sigma = info.data.get("sigma")
        if sigma is not None and not mu < (sigma - 1) / sigma:
            raise ValueError(
                f"no-black-hole condition needs mu < (sigma-1)/sigma = {(sigma - 1) / sigma:.6g}"
                f" (got mu={mu}, sigma={sigma})"
            )
        return mu


class Geography(_Table):
    """The places and the transport-cost links between them."""

    kind: Literal["two_region"] = Field(
        "two_region", description="'two_region': two places a distance economy.transport_cost apart"
    )


class Regions(_Table):
    """Named regions and their immobile population."""

    names: list[str] = Field(min_length=2, description="Region names, unique")
    farmer_shares: list[float] | None = Field(
        None, description="Shares of the immobile farmers a_r (sum 1); default even"
    )

    @field_validator("names")
    @classmethod
    def _unique(cls, names: list[str]) -> list[str]:
        if len(set(names)) != len(names) or any(not n.strip() for n in names):
            raise ValueError(f"region names must be unique and non-empty (got {names})")
        return names

    @field_validator("farmer_shares")
    @classmethod
    def _shares(cls, v: list[float] | None) -> list[float] | None:
        return _check_shares(v, "farmer_shares")


class Population(_Table):
    """How many agents, and where they start."""

    workers: int = Field(ge=2, le=50_000_000, description="Number of mobile worker agents")
    firms: int = Field(
        1000, ge=1, le=50_000_000, description="Number of firm agents (each a block of varieties)"
    )
    initial_shares: list[float] | None = Field(
        None, description="Initial shares of mobile workers per region (sum 1); default even"
    )

    @field_validator("initial_shares")
    @classmethod
    def _shares(cls, v: list[float] | None) -> list[float] | None:
        return _check_shares(v, "initial_shares")


class Behaviour(_Table):
    """How agents decide (see ``negsim.agents``)."""

    adjustment_speed: float = Field(
        0.1, gt=0, le=1, description="Fraction of workers reconsidering their region each step"
    )
    noise: float = Field(
        0.0,
        ge=0,
        le=10,
        description="Scale ν of idiosyncratic (Gumbel/logit) tastes for places, in log real wage",
    )
    response: float = Field(
        10.0,
        gt=0,
        le=1e6,
        description="Move probability per unit of log-utility gain (capped at 1)",
    )


class Run(_Table):
    """How long to run, the seed, and when a run counts as settled."""

    steps: int = Field(ge=1, le=10_000_000, description="Maximum number of steps")
    seed: int = Field(0, ge=0, le=2**63 - 1, description="Seed of the random number generator")
    stop_when_converged: bool = Field(True, description="Stop early once the shares settle")
    convergence_window: int = Field(
        50, ge=1, le=1_000_000, description="Steps over which settling is judged"
    )
    convergence_tol: float = Field(
        1e-3, gt=0, lt=1, description="Largest share change over the window that counts as settled"
    )


class Solver(_Table):
    """Short-run equilibrium solver (damped Newton on log-wages)."""

    tol: float = Field(1e-12, gt=0, le=1e-4, description="Tolerance on the log-wage residual")
    max_iter: int = Field(100, ge=1, le=100_000, description="Newton iteration cap")


class Analysis(_Table):
    """How a final state is classified."""

    agglomerated_share: float = Field(
        0.9, gt=0.5, le=1, description="Largest share at or above this counts as agglomerated"
    )
    dispersed_tolerance: float = Field(
        0.05, ge=0, lt=0.5, description="All shares within this of 1/R counts as dispersed"
    )


class Scenario(_Table):
    """A complete, validated negsim scenario."""

    name: str = Field("scenario", description="Short name used in outputs")
    description: str = Field("", description="What the scenario shows")
    expected_regime: Literal["agglomerated", "dispersed", "partial"] | None = Field(
        None, description="Regime the scenario is built to show (checked by the test suite)"
    )
    economy: Economy
    geography: Geography = Field(default_factory=Geography)
    regions: Regions
    population: Population
    behaviour: Behaviour = Field(default_factory=Behaviour)
    run: Run
    solver: Solver = Field(default_factory=Solver)
    analysis: Analysis = Field(default_factory=Analysis)

    @model_validator(mode="after")
    def _consistent(self) -> Scenario:
        n = len(self.regions.names)
        if self.geography.kind == "two_region" and n != 2:
            raise ValueError(f"regions.names: geography 'two_region' needs 2 regions (got {n})")
        for key, values in (
            ("regions.farmer_shares", self.regions.farmer_shares),
            ("population.initial_shares", self.population.initial_shares),
        ):
            if values is not None and len(values) != n:
                raise ValueError(f"{key}: needs one entry per region ({n}), got {len(values)}")
        return self

    @property
    def n_regions(self) -> int:
        return len(self.regions.names)

    def farmer_shares(self) -> list[float]:
        return self.regions.farmer_shares or [1.0 / self.n_regions] * self.n_regions

    def initial_shares(self) -> list[float]:
        return self.population.initial_shares or [1.0 / self.n_regions] * self.n_regions

    def to_toml(self) -> str:
        """The fully resolved scenario (every default filled in) as TOML."""
        return tomli_w.dumps(self.model_dump(exclude_none=True))


def _describe(err: dict[str, Any]) -> tuple[str, str]:
    """Turn one pydantic error into (dotted key, message)."""
    loc = [str(p) for p in err["loc"]]
    msg = err["msg"].removeprefix("Value error, ")
    kind = err["type"]
    key = ".".join(loc) if loc else "(top level)"
    match = re.match(r"^([\w.]+): (.*)$", msg)
    if match and "." in match.group(1):
        key, msg = match.groups()
    if kind == "missing":
        msg = "required key is missing"
    elif kind == "extra_forbidden":
        msg = "unknown key"
        parent = _table_for(loc[:-1])
        if parent is not None:
            msg += f" (allowed: {', '.join(parent.model_fields)})"
    elif "input" in err and kind not in ("value_error",) and not isinstance(err["input"], dict):
        msg = f"{msg} (got {err['input']!r})"
    return key, msg


def _table_for(loc: list[str]) -> type[BaseModel] | None:
    model: type[BaseModel] = Scenario
    for part in loc:
        field = model.model_fields.get(part)
        annotation = getattr(field, "annotation", None)
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            return None
        model = annotation
    return model


def validate(data: dict[str, Any], source: str = "<scenario>") -> Scenario:
    """Validate a scenario dict; raise ScenarioError naming ``source`` and the key."""
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            key, msg = _describe(err)
            lines.append(f"{source}: {key}: {msg}")
        raise ScenarioError("\n".join(lines)) from None


def read_toml(path: str | Path) -> dict[str, Any]:
    """Read a TOML file into a dict; missing files and syntax errors become ScenarioError."""
    path = Path(path)
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise ScenarioError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise ScenarioError(f"{path}: is a directory, not a scenario file") from None
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{path}: not valid TOML: {exc}") from None
    except UnicodeDecodeError:
        raise ScenarioError(f"{path}: not valid TOML: the file is not UTF-8 text") from None
    except OSError as exc:
        raise ScenarioError(f"{path}: cannot read: {exc.strerror or exc}") from None


_BARE_WORD = re.compile(r"^[A-Za-z_][A-Za-z0-9_\-]*$")


def parse_override(text: str) -> tuple[list[str], Any]:
    """Parse ``dotted.key=value`` where value is a TOML literal (bare words count as strings)."""
    key, sep, raw = text.partition("=")
    key = key.strip()
    if not sep or not key or not all(_BARE_WORD.match(p) for p in key.split(".")):
        raise ScenarioError(f"--set {text}: expected dotted.key=value, e.g. economy.sigma=5")
    raw = raw.strip()
    try:
        value = tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        if not _BARE_WORD.match(raw):
            raise ScenarioError(
                f"--set {text}: value is not a TOML literal (numbers, true/false, [lists], "
                '"strings")'
            ) from None
        value = raw
    return key.split("."), value


def apply_overrides(data: dict[str, Any], overrides: list[str]) -> dict[str, Any]:
    """Return a copy of ``data`` with each ``dotted.key=value`` override applied."""
    data = copy.deepcopy(data)
    for text in overrides:
        path, value = parse_override(text)
        node = data
        for part in path[:-1]:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                raise ScenarioError(f"--set {text}: '{part}' is a value, not a table")
            node = child
        node[path[-1]] = value
    return data


def load_scenario(
    path: str | Path, overrides: list[str] | None = None, seed: int | None = None
) -> Scenario:
    """Load and validate a scenario file, applying ``--set`` overrides and a seed override.

    The scenario's ``name`` defaults to the file name without extension.
    """
    data = read_toml(path)
    data.setdefault("name", Path(path).stem)
    source = str(path)
    if overrides:
        data = apply_overrides(data, overrides)
        source += " (with --set)"
    if seed is not None:
        data.setdefault("run", {})["seed"] = seed
    return validate(data, source)


def json_schema() -> dict[str, Any]:
    """The JSON Schema of scenario files."""
    return Scenario.model_json_schema()
