"""Scenario files: TOML → validated ``Scenario`` (pydantic), ``--set`` overrides, schema.

A scenario says which economy, which places, how many agents, how they behave and how
long to run. Every key is checked on load; an error names the file, the key and the
allowed range, in one line (``ScenarioError``).
"""

from __future__ import annotations

import copy
import math
import re
import stat
import tomllib
from pathlib import Path
from types import SimpleNamespace
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

from negsim import economies
from negsim.economies.base import LOG10_TRADE_FREENESS_MIN, SIGMA_MAX, check_trade_freeness
from negsim.economies.fcvl import INPUT_SHARE_MAX
from negsim.geography import log10_max_cost
from negsim.validation import did_you_mean, error_lines, listing, one_line

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


ECONOMIES = economies.NAMES


class Economy(_Table):
    """Which NEG economy, and its parameters (FKV 1999, ch. 5; Baldwin et al. 2003, ch. 3–4).

    The admissible parameters are each economy's own (``negsim.economies``)."""

    model: Literal[ECONOMIES] = Field(  # type: ignore[valid-type]
        "cp",
        description="'cp' Krugman core–periphery (workers move), 'fe' footloose entrepreneur "
        "(entrepreneurs and their firms move), 'fc' footloose capital (firms move, people stay), "
        "'cpvl' core–periphery with vertical linkages (industry relocates, nobody migrates), "
        "'fcvl' footloose capital with vertical linkages (fc whose firms buy each other's "
        "varieties as inputs), "
        "'ql' Pflüger's quasi-linear model (skilled workers move), 'linear' Ottaviano–Tabuchi–"
        "Thisse (skilled workers move; linear cost τ = transport_cost - 1; sigma unused)",
    )
    sigma: float = Field(
        gt=1,
        le=SIGMA_MAX,
        description=f"Elasticity of substitution between varieties σ in (1, {SIGMA_MAX:g}] "
        "(above it float64 cannot resolve the thresholds σ decides); ql also needs "
        "σ ≥ 1 + log10(1/μ)/(308 - log10 T_max), T_max the largest transport cost, or its "
        "price index passes 1e308",
    )
    mu: float = Field(gt=0, lt=1, description="Expenditure share of manufactures μ in (0, 1)")
    transport_cost: float | None = Field(
        None,
        ge=1,
        description="Iceberg cost T ≥ 1 between neighbouring places (two_region, racetrack, "
        f"line, grid); needs (σ-1)·log10(T_max) ≤ {-LOG10_TRADE_FREENESS_MIN:g}, T_max the "
        "largest cost between two places (T, T^⌊R/2⌋ on a racetrack, T^(R-1) on a line, "
        f"T^(rows+cols-2) on a grid), so that trade freeness T_max^(1-σ) ≥ "
        f"1e{LOG10_TRADE_FREENESS_MIN:g} stays a float64 number; the same holds for every "
        "transport cost of a policy, link override, matrix or network",
    )
    housing_share: float = Field(
        0.0,
        ge=0,
        lt=1,
        description="cp only: expenditure share η on the fixed local housing stock (Helpman "
        "1998 congestion; 0 = none); needs mu + housing_share < 1",
    )

    input_share: float | None = Field(
        None,
        gt=0,
        lt=1,
        validate_default=True,
        description="cpvl, fcvl only: cost share α of the composite of all varieties in "
        "firms' inputs (vertical linkages). cpvl (Krugman & Venables 1995): in "
        "(0, (sigma-1)/sigma), unset = 0.3; fcvl (Robert-Nicoud 2002; Baldwin et al. 2003, "
        f"ch. 8): in (0, {INPUT_SHARE_MAX:g}], unset = mu",
    )

    @field_validator("mu")
    @classmethod
    def _no_black_hole(cls, mu: float, info: ValidationInfo) -> float:
        sigma, model = info.data.get("sigma"), info.data.get("model", "cp")
        if sigma is not None:
            economies.get(model).check_no_black_hole(sigma, mu)
        return mu

    @field_validator("transport_cost")
    @classmethod
    def _admissible_cost(cls, T: float | None, info: ValidationInfo) -> float | None:
        mu, model = info.data.get("mu"), info.data.get("model", "cp")
        if T is not None and mu is not None:
            economies.get(model).check_transport_cost(T, mu)
        return T

    @field_validator("housing_share")
    @classmethod
    def _housing(cls, eta: float, info: ValidationInfo) -> float:
        mu, model = info.data.get("mu"), info.data.get("model", "cp")
        if eta > 0 and not economies.get(model).has_housing:
            raise ValueError(
                f"housing_share is only available with model "
                f"{' or '.join(map(repr, economies.with_housing()))} (got {model!r})"
            )
        if mu is not None and not mu + eta < 1:
            raise ValueError(f"needs mu + housing_share < 1 (got {mu} + {eta})")
        return eta

    @field_validator("input_share")
    @classmethod
    def _input_share(cls, alpha: float | None, info: ValidationInfo) -> float | None:
        mu, sigma = info.data.get("mu"), info.data.get("sigma")
        model = info.data.get("model", "cp")
        economy = economies.get(model)
        if alpha is not None and not economy.has_input_share:
            raise ValueError(
                f"input_share is only available with model "
                f"{' or '.join(map(repr, economies.with_input_share()))} (got {model!r})"
            )
        if economy.has_input_share and sigma is not None and mu is not None:
            bound = economy.with_parameters(SimpleNamespace(input_share=alpha))
            bound.check_input_share(sigma, mu)
        return alpha


class Link(_Table):
    """A network link between two named places."""

    between: list[str] = Field(min_length=2, max_length=2, description="The two region names")
    distance: float = Field(gt=0, description="Length of the link (any unit, e.g. km)")


class LinkOverride(_Table):
    """A direct link whose iceberg cost is set by hand (a new or improved road)."""

    between: list[str] = Field(min_length=2, max_length=2, description="The two region names")
    transport_cost: float = Field(ge=1, description="Iceberg cost T ≥ 1 of the direct link")


class Coordinates(_Table):
    """Where a place is on the globe, in degrees (WGS84), for drawing it on a map."""

    lat: float = Field(description="Latitude in degrees north, in [-90, 90]")
    lon: float = Field(description="Longitude in degrees east, in [-180, 180]")

    @field_validator("lat")
    @classmethod
    def _latitude(cls, lat: float) -> float:
        if not -90.0 <= lat <= 90.0:
            raise ValueError(f"latitude must be in [-90, 90] degrees north (got {lat:g})")
        return lat

    @field_validator("lon")
    @classmethod
    def _longitude(cls, lon: float) -> float:
        if not -180.0 <= lon <= 180.0:
            raise ValueError(f"longitude must be in [-180, 180] degrees east (got {lon:g})")
        return lon


class Place(_Table):
    """One row of a table of places (``negsim.place_table``), embedded in the scenario when
    it is loaded so that ``scenario.resolved.toml`` repeats the run without the CSV file."""

    name: str = Field(min_length=1, description="Place name (becomes the region name)")
    lat: float = Field(ge=-90, le=90, description="Latitude in degrees north")
    lon: float = Field(ge=-180, le=180, description="Longitude in degrees east")
    population: float = Field(gt=0, description="Population (any unit)")
    group: str | None = Field(None, description="A label: province, side of a border, …")
    immobile_share: float | None = Field(None, ge=0, description="Immobile population weight")
    housing_stock: float | None = Field(None, ge=0, description="Housing stock weight")
    initial_share: float | None = Field(None, ge=0, description="Initial mobile weight")
    amenity: float | None = Field(None, gt=0, description="Amenity B_r > 0 of the place")


CIRCUITY_DEFAULT = 1.2
"""Road distance / great-circle distance. About 1.2 for random points on a road network
(Newell 1980); national road circuity factors lie around 1.2–1.4 (Ballou, Rahardja & Sakai
2002, Transportation Research A 36: 843–848; Kim et al. 2015 find 1.26 for South Korea and
1.22–1.44 across its provinces)."""

KINDS_WITH_TRANSPORT_COST = ("two_region", "racetrack", "line", "grid")
KINDS_WITH_COORDINATES = ("network", "matrix", "places")


class Geography(_Table):
    """The places and the transport-cost links between them (see ``negsim.geography``)."""

    kind: Literal["two_region", "racetrack", "line", "grid", "network", "matrix", "places"] = Field(
        "two_region",
        description="two_region | racetrack (circle) | line | grid (rows × cols) | network "
        "(links with distances) | matrix (explicit T) | places (a CSV table of real places)",
    )
    places: str | None = Field(
        None,
        description="places: the CSV table (name, lat, lon, population; optional group, "
        "immobile_share, housing_stock, initial_share), relative to the scenario file; "
        "stored resolved (absolute) and the table embedded as geography.table on load",
    )
    table: list[Place] | None = Field(
        None, description="places: the table's rows, filled in from geography.places on load"
    )
    circuity: float | None = Field(
        None,
        ge=1,
        le=3,
        description="places: road distance = circuity × great-circle distance, in [1, 3]; "
        "default 1.2 (Newell 1980; national road factors 1.2–1.4, Ballou et al. 2002)",
    )
    routes: Literal["direct", "delaunay"] | None = Field(
        None,
        description="places: links between every pair (direct) or along the Delaunay "
        "triangulation of the places (delaunay; costs compound along shortest routes)",
    )
    rows: int | None = Field(None, ge=1, le=1000, description="grid: number of rows")
    cols: int | None = Field(None, ge=1, le=1000, description="grid: number of columns")
    links: list[Link] = Field(default_factory=list, description="network: links with distances")
    cost: Literal["exponential", "linear"] = Field(
        "exponential",
        description="network, places: T = exp(τ d) (compounding) or T = 1 + τ d",
    )
    cost_per_distance: float | None = Field(
        None,
        gt=0,
        description="network, places: τ, transport cost per unit of distance (places: per km)",
    )
    matrix: list[list[float]] | None = Field(
        None, description="matrix: the R×R iceberg matrix (T_rr = 1, T_rs ≥ 1)"
    )
    link_overrides: list[LinkOverride] = Field(
        default_factory=list, description="Direct links whose cost is set by hand"
    )
    coordinates: dict[str, Coordinates] | None = Field(
        None,
        description="network or matrix (places: from the table): each region's latitude "
        "and longitude in degrees, "
        '{ "Name" = { lat = .., lon = .. } }; the map is then drawn by longitude/latitude',
    )


class Regions(_Table):
    """Named regions and their immobile population."""

    names: list[str] | None = Field(
        None, min_length=2, description="Region names, unique (or give count)"
    )
    count: int | None = Field(
        None, ge=2, le=10_000, description="Number of regions, named R01, R02, … (or give names)"
    )
    farmer_shares: list[float] | None = Field(
        None,
        description="Shares a_r of the immobile population (farmers in cp; immobile workers and "
        "capital owners in fe/fc), sum 1; default even; places: 'population' or "
        "'immobile_share' (∝ that column of the table)",
    )
    housing: list[float] | None = Field(
        None,
        description="Shares of the fixed housing stock H_r (cp with housing), sum 1; places: "
        "'population' or 'housing_stock' (∝ that column of the table)",
    )
    amenities: list[float] | None = Field(
        None,
        description="Amenity B_r > 0 of each region, in the mobile agents' utility "
        "ln payoff + ln B_r (Allen & Arkolakis 2014; only ratios matter); default 1 "
        "everywhere; places: 'amenity' (that column of the table); negsim calibrate "
        "recovers them from observed shares",
    )

    @field_validator("names")
    @classmethod
    def _unique(cls, names: list[str] | None) -> list[str] | None:
        if names is not None and (
            len(set(names)) != len(names) or any(not n.strip() for n in names)
        ):
            raise ValueError(f"region names must be unique and non-empty (got {names})")
        return names

    @field_validator("farmer_shares")
    @classmethod
    def _shares(cls, v: list[float] | None) -> list[float] | None:
        return _check_shares(v, "farmer_shares")

    @field_validator("housing")
    @classmethod
    def _housing(cls, v: list[float] | None) -> list[float] | None:
        v = _check_shares(v, "housing")
        if v is not None and min(v) <= 0:
            raise ValueError(f"every region needs a positive housing stock (got {v})")
        return v

    @field_validator("amenities")
    @classmethod
    def _amenities(cls, v: list[float] | None) -> list[float] | None:
        if v is not None and not all(0 < b < math.inf for b in v):
            raise ValueError(f"every amenity must be a finite number > 0 (got {v})")
        return v

    @model_validator(mode="after")
    def _named(self) -> Regions:
        if (self.names is None) == (self.count is None):
            raise ValueError("regions: give exactly one of names (a list) or count (a number)")
        return self


class Population(_Table):
    """How many agents, and where they start."""

    workers: int = Field(ge=2, le=50_000_000, description="Number of mobile worker agents")
    firms: int = Field(
        1000, ge=1, le=50_000_000, description="Number of firm agents (each a block of varieties)"
    )
    initial_shares: list[float] | None = Field(
        None,
        description="Initial shares of the mobile factor per region (sum 1); default even; "
        "places: 'population' or 'initial_share' (∝ that column of the table)",
    )
    initial_perturbation: float = Field(
        0.0,
        ge=0,
        lt=1,
        description="Relative random perturbation ε of the initial shares: each scaled by "
        "1 + ε·U(-1, 1) from the run's seed, then renormalised",
    )

    @field_validator("initial_shares")
    @classmethod
    def _shares(cls, v: list[float] | None) -> list[float] | None:
        return _check_shares(v, "initial_shares")


class Behaviour(_Table):
    """How agents decide (see ``negsim.rules``)."""

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


class RegistrationBarrier(_Table):
    """A household-registration (hukou-style) barrier on moving *into* a region."""

    region: str = Field(description="Region name")
    cost: float = Field(0.0, ge=0, le=10, description="Cost of moving in, in log-utility units")
    blocked: bool = Field(False, description="Moving in is not allowed at all")


class PairCost(_Table):
    """An extra migration cost between two regions (both directions)."""

    between: list[str] = Field(min_length=2, max_length=2, description="The two region names")
    cost: float = Field(ge=0, le=10, description="Cost of a move between them, log-utility units")


class Frictions(_Table):
    """What stands in the way of a move (see ``negsim.frictions``)."""

    migration_cost: float = Field(
        0.0, ge=0, le=10, description="Cost of any move, in log-utility (log real-wage) units"
    )
    pair_costs: list[PairCost] = Field(default_factory=list, description="Costs by region pair")
    registration: list[RegistrationBarrier] = Field(
        default_factory=list, description="Registration barriers on moving into regions"
    )


class Firms(_Table):
    """Firm heterogeneity (Baldwin & Okubo 2006) and, in cp, firms that adjust at their own
    speed (``negsim.firm_dynamics``)."""

    productivity: Literal["none", "lognormal", "pareto"] = Field(
        "none", description="Distribution of firm productivity a (mean 1)"
    )
    dispersion: float = Field(
        0.5,
        gt=0,
        le=5,
        description="lognormal: σ of ln a; pareto: 1/shape, below 1 (larger = more dispersed)",
    )
    adjustment_speed: float | None = Field(
        None,
        gt=0,
        le=1,
        description="cp: share of firms reconsidering their region each step; unset: firms "
        "follow workers at once (free entry)",
    )
    relocation_cost: float = Field(
        0.0, ge=0, le=100, description="cp: cost of a move, as a share of a firm's fixed cost"
    )
    entry_exit: bool = Field(
        False,
        description="cp: firms enter where profits last `patience` steps and exit after "
        "`patience` steps idle (operating would lose money)",
    )
    patience: int = Field(
        5, ge=1, le=10_000, description="cp: steps profits or idleness last before entry or exit"
    )

    @model_validator(mode="after")
    def _finite_mean(self) -> Firms:
        if self.productivity == "pareto" and not self.dispersion < 1:
            raise ValueError(
                f"firms.dispersion: pareto needs dispersion = 1/shape < 1 for a finite mean "
                f"(got {self.dispersion})"
            )
        return self


class Policy(_Table):
    """A scheduled intervention (see ``negsim.policies`` for each kind's equation)."""

    kind: Literal["transport_cost", "registration", "subsidy", "shock", "spillover", "border"] = (
        Field(description="transport_cost | registration | subsidy | shock | spillover | border")
    )
    name: str | None = Field(None, description="Label in outputs (default: kind@start)")
    start: int = Field(
        ge=1, le=10_000_000, description="Step at which it takes effect, in 1..run.steps"
    )
    end: int | None = Field(
        None,
        ge=1,
        le=10_000_000,
        description="Last step of a window, in start..run.steps (subsidy, spillover, "
        "registration: active until then; transport_cost: reached gradually by then); "
        "default: from start on",
    )
    value: float | None = Field(
        None, ge=1, description="transport_cost: the new iceberg cost T ≥ 1"
    )
    between: list[str] | None = Field(
        None, min_length=2, max_length=2, description="transport_cost: one link (two regions)"
    )
    region: str | None = Field(None, description="registration, shock: the region")
    regions: list[str] | None = Field(None, description="subsidy, spillover: the regions")
    cost: float | None = Field(None, ge=0, le=10, description="registration: new cost")
    blocked: bool | None = Field(None, description="registration: block moves in")
    rate: float | None = Field(
        None, gt=0, le=1, description="subsidy: payoff subsidy rate in the named regions"
    )
    share: float | None = Field(
        None, gt=0, le=1, description="shock: share of the region's firms that close"
    )
    bonus: float | None = Field(
        None, gt=0, le=10, description="spillover: payoff bonus per unit of firm share"
    )
    groups: list[str] | None = Field(
        None,
        min_length=2,
        max_length=2,
        description="border: the two groups of places (the places table's group column)",
    )
    factor: float | None = Field(
        None, ge=1, le=1e6, description="border: multiplies the iceberg cost across it"
    )
    closed: bool | None = Field(None, description="border: no trade across it (T = ∞)")

    @model_validator(mode="after")
    def _fields_for_kind(self) -> Policy:
        needed = {
            "transport_cost": ["value"],
            "registration": ["region"],
            "subsidy": ["regions", "rate"],
            "shock": ["region", "share"],
            "spillover": ["bonus"],
            "border": ["groups"],
        }[self.kind]
        missing = [f for f in needed if getattr(self, f) is None]
        if missing:
            raise ValueError(f"policy '{self.kind}' needs {', '.join(missing)}")
        if self.kind == "registration" and self.cost is None and self.blocked is None:
            raise ValueError("policy 'registration' needs cost or blocked")
        if self.kind == "border" and (self.factor is None) == (not self.closed):
            raise ValueError("policy 'border' needs either factor (≥ 1) or closed = true")
        if self.end is not None and self.end < self.start:
            raise ValueError(f"end ({self.end}) must not come before start ({self.start})")
        return self

    @property
    def label(self) -> str:
        return self.name or f"{self.kind}@{self.start}"


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
        0.1,
        ge=0,
        lt=1,
        description="Dispersed if every share is within this *relative* distance of 1/R "
        "(|R λ_r - 1| ≤ tol); regions above it that top their neighbours are clusters",
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
    frictions: Frictions = Field(default_factory=Frictions)
    firms: Firms = Field(default_factory=Firms)
    policies: list[Policy] = Field(default_factory=list, description="Scheduled interventions")
    run: Run
    solver: Solver = Field(default_factory=Solver)
    analysis: Analysis = Field(default_factory=Analysis)

    @model_validator(mode="before")
    @classmethod
    def _from_places(cls, data: Any) -> Any:
        return places_defaults(data)

    @model_validator(mode="after")
    def _consistent(self) -> Scenario:
        n = self.n_regions
        geo, names = self.geography, self.region_names
        if geo.kind == "two_region" and n != 2:
            raise ValueError(f"regions: geography 'two_region' needs 2 regions (got {n})")
        if geo.kind in KINDS_WITH_TRANSPORT_COST and self.economy.transport_cost is None:
            raise ValueError(
                f"economy.transport_cost: required for geography '{geo.kind}' (a number ≥ 1)"
            )
        if geo.kind not in KINDS_WITH_TRANSPORT_COST and self.economy.transport_cost is not None:
            raise ValueError(
                f"economy.transport_cost: not used with geography '{geo.kind}' (its costs come "
                "from "
                + (
                    "links and cost_per_distance"
                    if geo.kind == "network"
                    else "the places and cost_per_distance"
                    if geo.kind == "places"
                    else "matrix"
                )
                + "); remove it"
            )
        firms = self.firms
        if not economies.get(self.economy.model).has_firm_dynamics and (
            firms.adjustment_speed is not None
        ):
            raise ValueError(
                "firms.adjustment_speed: only for economy.model = "
                f"{' or '.join(map(repr, economies.with_firm_dynamics()))} (in "
                f"{self.economy.model} firms move with the mobile factor); remove it"
            )
        if firms.adjustment_speed is None and (firms.entry_exit or firms.relocation_cost > 0):
            raise ValueError(
                "firms.adjustment_speed: needed (a number in (0, 1]) when firms.entry_exit or "
                "firms.relocation_cost is set"
            )
        economies.get(self.economy.model).with_parameters(self.economy).check_immobile(
            self.economy.mu, self.farmer_shares()
        )
        if self.regions.housing is not None and self.economy.housing_share == 0:
            raise ValueError(
                "regions.housing: only used when economy.housing_share > 0 (cp with housing)"
            )
        if geo.kind == "grid":
            if geo.rows is None or geo.cols is None or geo.rows * geo.cols != n:
                raise ValueError(
                    f"geography.rows: grid needs rows and cols with rows × cols = {n} regions "
                    f"(got {geo.rows} × {geo.cols})"
                )
        if geo.kind == "matrix":
            _check_matrix(geo.matrix, n)
        if geo.kind == "places":
            _check_places(geo, names)
        else:
            given = [k for k in PLACES_ONLY if getattr(geo, k) is not None]
            if given:
                raise ValueError(
                    f"geography.{given[0]}: only used with geography 'places' "
                    f"(got {geo.kind!r}); remove it"
                )
        for key, pairs in (
            ("geography.links", [lk.between for lk in geo.links]),
            ("geography.link_overrides", [o.between for o in geo.link_overrides]),
            ("frictions.pair_costs", [p.between for p in self.frictions.pair_costs]),
            ("policies", [p.between for p in self.policies if p.between is not None]),
        ):
            for a, b in pairs:
                unknown = [x for x in (a, b) if x not in names]
                if unknown or a == b:
                    raise ValueError(
                        f"{key}: {a!r}–{b!r} must join two different named regions "
                        f"(known: {listing(names)})"
                    )
        named = [
            (f"frictions.registration.{i}.region", b.region)
            for i, b in enumerate(self.frictions.registration)
        ]
        for i, policy in enumerate(self.policies):
            named += [(f"policies.{i}.region", policy.region)] if policy.region else []
            named += [(f"policies.{i}.regions", r) for r in policy.regions or []]
            self._check_window(i, policy)
            if (
                policy.kind == "transport_cost"
                and policy.between is None
                and (geo.kind not in KINDS_WITH_TRANSPORT_COST)
            ):
                raise ValueError(
                    f"policies.{i}: a global transport_cost change needs a geography with "
                    f"economy.transport_cost ({', '.join(KINDS_WITH_TRANSPORT_COST)}); "
                    "name a link with between = [A, B]"
                )
        for i, policy in enumerate(self.policies):
            if policy.kind == "border":
                _check_border(i, policy, geo)
        for key, region in named:
            if region not in names:
                raise ValueError(
                    f"{key}: unknown region {region!r}{did_you_mean(region, names)} "
                    f"(known: {listing(names)})"
                )
        if geo.coordinates is not None:
            _check_coordinates(geo.coordinates, names, geo.kind)
        if geo.kind == "network":
            if geo.cost_per_distance is None or not geo.links:
                raise ValueError(
                    "geography.links: network needs links (between, distance) and "
                    "cost_per_distance > 0"
                )
            _check_connected(names, [lk.between for lk in geo.links])
        self._check_trade_freeness()
        for key, values in (
            ("regions.farmer_shares", self.regions.farmer_shares),
            ("regions.housing", self.regions.housing),
            ("population.initial_shares", self.population.initial_shares),
            ("regions.amenities", self.regions.amenities),
        ):
            if values is not None and len(values) != n:
                raise ValueError(f"{key}: needs one entry per region ({n}), got {len(values)}")
        return self

    def _check_window(self, i: int, policy: Policy) -> None:
        """A policy starts (and ends) within the run: steps 1..run.steps (``negsim.policies``:
        step ``start`` is the first it acts at, ``end`` the last of its window)."""
        steps = self.run.steps
        if policy.start > steps:
            raise ValueError(
                f"policies.{i}.start: step {policy.start} is after the run's last step; "
                f"must be in 1..{steps} (run.steps = {steps})"
            )
        if policy.end is not None and policy.end > steps:
            raise ValueError(
                f"policies.{i}.end: step {policy.end} is after the run's last step; "
                f"must be in {policy.start}..{steps} (start..run.steps)"
            )

    def _check_trade_freeness(self) -> None:
        """Every transport cost keeps trade freeness T_max^(1-σ) a float64 number
        (``economies.base.check_trade_freeness``), and the largest keeps the economy's price
        indices one (``Economy.check_price_range``, keyed ``economy.sigma``)."""
        geo, names, sigma = self.geography, self.region_names, self.economy.sigma
        base_key = {"matrix": "geography.matrix", "network": "geography.cost_per_distance"}
        costs = [
            (
                base_key.get(geo.kind, "economy.transport_cost"),
                log10_max_cost(geo, names, self.economy.transport_cost),
            )
        ]
        for i, override in enumerate(geo.link_overrides):
            costs.append(
                (
                    f"geography.link_overrides.{i}.transport_cost",
                    math.log10(override.transport_cost),
                )
            )
        for i, policy in enumerate(self.policies):
            if policy.kind == "transport_cost" and policy.value is not None:
                log_cost = (
                    log10_max_cost(geo, names, policy.value)
                    if policy.between is None
                    else math.log10(policy.value)
                )
                costs.append((f"policies.{i}.value", log_cost))
        for key, log_cost in costs:
            try:
                check_trade_freeness(sigma, log_cost)
            except ValueError as exc:
                raise ValueError(f"{key}: {exc}") from None
        # overrides only re-close the matrix under chaining: no entry exceeds the largest cost
        economy = economies.get(self.economy.model)
        try:
            economy.check_price_range(sigma, self.economy.mu, max(c for _, c in costs))
        except ValueError as exc:
            raise ValueError(f"economy.sigma: {exc}") from None

    @property
    def region_names(self) -> list[str]:
        if self.regions.names is not None:
            return list(self.regions.names)
        width = len(str(self.regions.count))
        return [f"R{i:0{width}d}" for i in range(1, self.regions.count + 1)]

    @property
    def n_regions(self) -> int:
        return len(self.regions.names) if self.regions.names is not None else self.regions.count

    def farmer_shares(self) -> list[float]:
        return self.regions.farmer_shares or [1.0 / self.n_regions] * self.n_regions

    def housing_shares(self) -> list[float]:
        return self.regions.housing or [1.0 / self.n_regions] * self.n_regions

    def initial_shares(self) -> list[float]:
        return self.population.initial_shares or [1.0 / self.n_regions] * self.n_regions

    def amenities(self) -> list[float]:
        """Each region's amenity B_r (``regions.amenities``; 1 where none are given)."""
        return self.regions.amenities or [1.0] * self.n_regions

    def with_seed(self, seed: int | None) -> Scenario:
        """This scenario with ``run.seed`` replaced (itself when ``seed`` is None): the one
        place a run's seed lives, whoever sets it."""
        if seed is None:
            return self
        return self.model_copy(update={"run": self.run.model_copy(update={"seed": int(seed)})})

    def to_toml(self) -> str:
        """The fully resolved scenario (every default filled in) as TOML."""
        return tomli_w.dumps(self.model_dump(exclude_none=True))


PLACES_ONLY = ("places", "table", "circuity", "routes")
SHARES_FROM_TABLE = {
    "regions.farmer_shares": ("population", "immobile_share"),
    "regions.housing": ("population", "housing_stock"),
    "population.initial_shares": ("population", "initial_share"),
}
"""Which table columns may give which shares, by naming the column instead of a list."""
AMENITY_COLUMN = "amenity"
"""The table column ``regions.amenities`` may name (its values are taken as they are)."""


def places_defaults(data: Any) -> Any:
    """Fill in what a places geography's embedded table decides, before validation: the
    region names, the coordinates, shares given as a column name (``farmer_shares =
    "population"``: shares ∝ that column), and the defaults of ``circuity`` and ``routes``.
    Anything malformed is left for the schema to reject."""
    if not isinstance(data, dict):
        return data
    geo = data.get("geography")
    table = geo.get("table") if isinstance(geo, dict) and geo.get("kind") == "places" else None
    if not isinstance(table, list) or not all(isinstance(r, dict) for r in table):
        for key, columns in SHARES_FROM_TABLE.items():
            section, field = key.split(".")
            value = (
                data.get(section, {}).get(field) if isinstance(data.get(section), dict) else None
            )
            if isinstance(value, str):
                raise ValueError(
                    f"{key}: {' or '.join(map(repr, columns))} take the shares from a table "
                    "of places (geography.kind = 'places' with geography.places); otherwise "
                    f"give a list (got {value!r})"
                )
        regions = data.get("regions")
        if isinstance(regions, dict) and isinstance(regions.get("amenities"), str):
            raise ValueError(
                f"regions.amenities: {AMENITY_COLUMN!r} takes the amenities from a table of "
                "places (geography.kind = 'places' with geography.places); otherwise give a "
                f"list (got {regions['amenities']!r})"
            )
        return data
    rows = table
    data = {**data, "geography": {**geo}}
    geo = data["geography"]
    geo.setdefault("circuity", CIRCUITY_DEFAULT)
    geo.setdefault("routes", "direct")
    names = [r.get("name") for r in rows]
    if "coordinates" not in geo and all(isinstance(n, str) for n in names):
        geo["coordinates"] = {r["name"]: {"lat": r.get("lat"), "lon": r.get("lon")} for r in rows}
    for key, columns in SHARES_FROM_TABLE.items():
        name, field = key.split(".")
        section = data.get(name)
        value = section.get(field) if isinstance(section, dict) else None
        if not isinstance(value, str):
            continue
        if value not in columns:
            raise ValueError(
                f"{key}: a list of shares or a column of the table of places: "
                f"{' or '.join(map(repr, columns))} (got {value!r})"
            )
        weights = [r.get(value) for r in rows]
        if not all(isinstance(w, int | float) and w >= 0 for w in weights):
            raise ValueError(f"{key}: the table's column {value!r} needs a number ≥ 0 per place")
        total = float(sum(weights))
        if not total > 0:
            raise ValueError(f"{key}: the table's column {value!r} sums to 0")
        data[name] = {**section, field: [float(w) / total for w in weights]}
    regions = data.get("regions")
    if isinstance(regions, dict) and isinstance(regions.get("amenities"), str):
        data["regions"] = regions = {**regions, "amenities": _table_amenities(regions, rows)}
    if isinstance(regions, dict) and "names" not in regions and "count" not in regions:
        data["regions"] = {**regions, "names": names}
    elif regions is None:
        data["regions"] = {"names": names}
    return data


def _table_amenities(regions: dict[str, Any], rows: list[dict[str, Any]]) -> list[float]:
    """``regions.amenities = "amenity"``: the amenities, as given, from the table's column."""
    if regions["amenities"] != AMENITY_COLUMN:
        raise ValueError(
            f"regions.amenities: a list of numbers > 0 or the column {AMENITY_COLUMN!r} of "
            f"the table of places (got {regions['amenities']!r})"
        )
    values = [r.get(AMENITY_COLUMN) for r in rows]
    missing = [r.get("name") for r, v in zip(rows, values, strict=True) if v is None]
    if missing:
        raise ValueError(
            f"regions.amenities: the table has no {AMENITY_COLUMN!r} for {missing[0]!r} "
            f"(needs a number > 0 in that column for every place)"
        )
    return [float(v) if isinstance(v, int | float) else v for v in values]


def _check_places(geo: Geography, names: list[str]) -> None:
    if geo.table is None:
        raise ValueError(
            "geography.places: places needs a CSV table of places (name, lat, lon, "
            "population), relative to the scenario file; it is read when the scenario loads"
        )
    table_names = [p.name for p in geo.table]
    if len(set(table_names)) != len(table_names) or len(table_names) < 2:
        raise ValueError("geography.table: needs at least 2 places with unique names")
    if names != table_names:
        raise ValueError(
            "regions.names: with places the regions are the table's places, in its order; "
            "leave regions.names out (or list exactly: "
            f"{listing(table_names)})"
        )
    if geo.cost_per_distance is None:
        raise ValueError(
            "geography.cost_per_distance: places needs τ > 0, the transport cost per km"
        )
    for p in geo.table:
        c = geo.coordinates[p.name] if geo.coordinates else None
        if c is None or (c.lat, c.lon) != (p.lat, p.lon):
            raise ValueError(
                "geography.coordinates: with places they come from the table; remove them"
            )


def _check_coordinates(coordinates: dict[str, Coordinates], names: list[str], kind: str) -> None:
    if kind not in KINDS_WITH_COORDINATES:
        raise ValueError(
            f"geography.coordinates: only used with geography "
            f"{' or '.join(map(repr, KINDS_WITH_COORDINATES))} (got {kind!r}); remove it"
        )
    unknown = [name for name in coordinates if name not in names]
    if unknown:
        raise ValueError(
            f"geography.coordinates: unknown region {unknown[0]!r} (known: {listing(names)})"
        )
    missing = [name for name in names if name not in coordinates]
    if missing:
        raise ValueError(
            f"geography.coordinates: needs lat and lon of every region; missing: {listing(missing)}"
        )


def _check_border(i: int, policy: Policy, geo: Geography) -> None:
    """ValueError unless a border policy names two different groups of a places table."""
    groups = sorted({p.group for p in geo.table or [] if p.group})
    if geo.kind != "places" or not groups:
        raise ValueError(
            f"policies.{i}.groups: a border needs a places geography whose table has a "
            f"group column (got geography {geo.kind!r})"
        )
    first, second = policy.groups or ["", ""]
    unknown = [g for g in (first, second) if g not in groups]
    if unknown or first == second:
        raise ValueError(
            f"policies.{i}.groups: {first!r}, {second!r} must be two different groups of the "
            f"places table (known: {listing(groups)})"
        )


def _check_connected(names: list[str], pairs: list[tuple[str, str]]) -> None:
    adjacency: dict[str, set[str]] = {n: set() for n in names}
    for a, b in pairs:
        if a in adjacency and b in adjacency:
            adjacency[a].add(b)
            adjacency[b].add(a)
    seen, todo = {names[0]}, [names[0]]
    while todo:
        for nxt in adjacency[todo.pop()] - seen:
            seen.add(nxt)
            todo.append(nxt)
    cut_off = [n for n in names if n not in seen]
    if cut_off:
        raise ValueError(
            f"geography.links: every region must be reachable; cut off: {', '.join(cut_off)}"
        )


def _check_matrix(matrix: list[list[float]] | None, n: int) -> None:
    if matrix is None or len(matrix) != n or any(len(row) != n for row in matrix):
        raise ValueError(f"geography.matrix: needs a square {n}×{n} matrix (one row per region)")
    for r, row in enumerate(matrix):
        for s, value in enumerate(row):
            if r == s and value != 1:
                raise ValueError(f"geography.matrix: diagonal entries must be 1 (row {r + 1})")
            if value < 1:
                raise ValueError(
                    f"geography.matrix: entries must be ≥ 1 (row {r + 1}, col {s + 1}: {value})"
                )


def validate(data: dict[str, Any], source: str = "<scenario>") -> Scenario:
    """Validate a scenario dict; raise ScenarioError naming ``source`` and the key."""
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError("\n".join(error_lines(exc, source, Scenario))) from None


MAX_NESTING = 16
"""Deepest nesting of tables and arrays a scenario or sweep file may have (the schema needs
4: ``[geography]`` → ``matrix`` → row → entry); deeper input is refused before it reaches
recursive code (the TOML parser, deepcopy, pydantic)."""

MAX_FILE_BYTES = 64 * 2**20
"""Largest scenario or sweep file read (64 MiB: a 1,000 × 1,000 ``geography.matrix`` is
about 10 MiB of text)."""


def read_toml(path: str | Path) -> dict[str, Any]:
    """Read a TOML file into a dict. A missing file, one that is not a regular file (a FIFO,
    a directory, a device such as /dev/zero: reading those could block or never end), a
    syntax error or nesting deeper than ``MAX_NESTING`` become ScenarioError, one line."""
    path = Path(path)
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            raise ScenarioError(
                f"{path}: must be a regular file (it is {_file_kind(info.st_mode)})"
            )
        if info.st_size > MAX_FILE_BYTES:
            raise ScenarioError(
                f"{path}: is {info.st_size / 2**20:.0f} MiB; scenario and sweep files may "
                f"have at most {MAX_FILE_BYTES // 2**20} MiB"
            )
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except ScenarioError:
        raise
    except FileNotFoundError:
        raise ScenarioError(f"{path}: no such file") from None
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{path}: not valid TOML: {exc}") from None
    except RecursionError:
        raise ScenarioError(
            f"{path}: arrays or tables nested too deeply (at most {MAX_NESTING} levels)"
        ) from None
    except UnicodeDecodeError:
        raise ScenarioError(f"{path}: not valid TOML: the file is not UTF-8 text") from None
    except (OSError, ValueError) as exc:  # ValueError: a NUL byte in the path
        raise ScenarioError(
            f"{path}: cannot read: {getattr(exc, 'strerror', None) or exc}"
        ) from None
    check_nesting(data, str(path))
    return data


def _file_kind(mode: int) -> str:
    for test, kind in (
        (stat.S_ISDIR, "a directory"),
        (stat.S_ISFIFO, "a FIFO"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
    ):
        if test(mode):
            return kind
    return "not a regular file"


def check_nesting(value: Any, where: str, key: str = "") -> None:
    """ScenarioError naming the first key below which ``value`` nests tables or arrays more
    than ``MAX_NESTING`` levels deep (checked without recursion)."""
    todo: list[tuple[Any, str, int]] = [(value, key, 0)]
    while todo:
        node, at, depth = todo.pop()
        if depth > MAX_NESTING:
            raise ScenarioError(
                one_line(
                    f"{where}: {at or '(top level)'}: arrays or tables nested too deeply "
                    f"(at most {MAX_NESTING} levels)"
                )
            )
        if isinstance(node, dict):
            todo += [(v, f"{at}.{k}" if at else str(k), depth + 1) for k, v in node.items()]
        elif isinstance(node, list):
            todo += [(v, f"{at}.{i}" if at else str(i), depth + 1) for i, v in enumerate(node)]


_BARE_WORD = re.compile(r"^[A-Za-z_][A-Za-z0-9_\-]*$")


def parse_override(text: str) -> tuple[list[str], Any]:
    """Parse ``dotted.key=value`` where value is a TOML literal (bare words count as strings)."""
    key, sep, raw = text.partition("=")
    key = key.strip()
    if not sep or not key or not all(_BARE_WORD.match(p) or p.isdigit() for p in key.split(".")):
        raise ScenarioError(
            f"--set {one_line(text)}: expected dotted.key=value, e.g. economy.sigma=5 or "
            "policies.0.share=0.2"
        )
    raw = raw.strip()
    try:
        value = tomllib.loads(f"v = {raw}")["v"]
    except RecursionError:
        raise ScenarioError(
            f"--set {key}: value nested too deeply (at most {MAX_NESTING} levels)"
        ) from None
    except tomllib.TOMLDecodeError:
        if not _BARE_WORD.match(raw):
            raise ScenarioError(
                f"--set {one_line(text)}: value is not a TOML literal (numbers, true/false, "
                '[lists], "strings")'
            ) from None
        value = raw
    check_nesting(value, f"--set {key}")
    return key.split("."), value


def apply_overrides(data: dict[str, Any], overrides: list[str]) -> dict[str, Any]:
    """Return a copy of ``data`` with each ``dotted.key=value`` override applied."""
    data = copy.deepcopy(data)
    for text in overrides:
        path, value = parse_override(text)
        try:
            set_key(data, path, value)
        except ValueError as exc:
            raise ScenarioError(f"--set {one_line(text)}: {exc}") from None
    return data


def set_key(
    data: dict[str, Any], path: list[str], value: Any, scenario: str = "the scenario"
) -> None:
    """Set ``value`` at the dotted ``path`` of a scenario dict, creating tables on the way;
    a number indexes an existing entry of a list of tables (``policies.0.share``).
    ValueError with a one-line reason where the path cannot be followed; ``scenario`` names
    the dict in it ("the base scenario has no [[policies]]")."""
    node: Any = data
    for i, part in enumerate(path):
        above = ".".join(path[:i]) or scenario
        if part.isdigit():
            if not isinstance(node, list):
                raise ValueError(f"{above} is a table, not a list: {part} cannot index it")
            if not node:
                raise ValueError(f"{scenario} has no [[{above}]]")
            if int(part) >= len(node):
                last = "index 0" if len(node) == 1 else f"indices 0..{len(node) - 1}"
                raise ValueError(f"{above} has no entry {part} (it has {len(node)}: {last})")
            key: int | str = int(part)
        elif isinstance(node, dict):
            key = part
            if i < len(path) - 1:
                node.setdefault(part, [] if path[i + 1].isdigit() else {})
        else:
            raise ValueError(f"'{above}' is a value, not a table")
        if i == len(path) - 1:
            node[key] = copy.deepcopy(value)
        else:
            node = node[key]


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
        source += " (with --set)"  # its lines name the --set key: "(with --set): run.seed: …"
    if seed is not None:
        data.setdefault("run", {})["seed"] = seed
    try:
        return validate(read_places(data, Path(path).parent, source), source)
    except ScenarioError as exc:
        if seed is None:
            raise
        raise ScenarioError(_name_seed_flag(str(exc), source, seed)) from None


def _name_seed_flag(message: str, source: str, seed: int) -> str:
    """``message`` (lines ``SOURCE: key: …``) with its ``run.seed`` line naming the flag that
    gave the seed instead of the file: ``--seed -1: run.seed: …``."""
    prefix = f"{source}: run.seed: "
    return "\n".join(
        f"--seed {seed}: run.seed: {line.removeprefix(prefix)}" if line.startswith(prefix) else line
        for line in message.splitlines()
    )


def read_places(data: dict[str, Any], base: Path, source: str) -> dict[str, Any]:
    """``data`` with a places geography's CSV table (``geography.places``, relative to
    ``base``) read and embedded as ``geography.table``, and its path made absolute, so the
    resolved scenario repeats the run even if the CSV later changes or moves. A table
    already embedded (a resolved scenario) is kept unless ``places`` names another file."""
    geo = data.get("geography")
    if not isinstance(geo, dict) or geo.get("kind") != "places":
        return data
    where = geo.get("places")
    if not isinstance(where, str) or not where:
        return data
    from negsim import place_table

    path = base / where
    try:
        path = path.resolve()
    except (OSError, ValueError):
        pass  # place_table.read reports it
    if isinstance(geo.get("table"), list) and geo.get("places") == str(path):
        return data
    try:
        rows = place_table.read(path)
    except place_table.PlaceTableError as exc:
        raise ScenarioError(one_line(f"{source}: geography.places: {exc}")) from None
    data = {**data, "geography": {**geo, "places": str(path), "table": rows}}
    if "table" in geo:  # another table than the one embedded: its coordinates go too
        data["geography"].pop("coordinates", None)
    return data


def json_schema() -> dict[str, Any]:
    """The JSON Schema of scenario files."""
    return Scenario.model_json_schema()
