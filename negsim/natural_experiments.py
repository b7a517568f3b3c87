"""What the two natural experiments of economic geography measure, read from finished runs.

- **German division** (Redding & Sturm 2008, "The costs of remoteness: evidence from German
  division and reunification", AER 98(5), 1766–1797): after 1949 West German cities close
  to the new inner-German border lost their markets in the East, and their population grew
  less than that of other West German cities — the gap is concentrated within 75 km of the
  border. ``division_gradient`` compares each West city's share of the mobile factor with
  and without the border (the scenario run against its baseline, common random numbers) at
  a given step, grouped by distance to the nearest place on the other side.
- **War destruction** (Davis & Weinstein 2002, "Bones, bombs, and break points: the
  geography of economic activity", AER 92(5), 1269–1289; Bosker, Brakman, Garretsen &
  Schramm 2007, "Looking for multiple equilibria when geography matters: German city
  growth and the WWII shock", J. Urban Econ. 61(1), 152–169): a large one-off loss of a
  city's population is undone where a unique stable equilibrium (fundamentals, amenities)
  pins the map, and can move the economy to another equilibrium where there are several.
  ``recovery`` measures how much of a shocked place's loss has come back.

Pure functions of results; no model, no files.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from negsim.geography import great_circle_km
from negsim.record import Result
from negsim.scenario import Scenario

BORDER_KM = 75.0
"""Redding & Sturm's (2008) border band: West German cities within 75 km of the border."""


def distance_to_other_side(scenario: Scenario, side: str, other: str) -> np.ndarray:
    """Each place's great-circle distance (km) to the nearest place of group ``other``
    (the places table's ``group`` column); NaN for places not in group ``side``."""
    table = scenario.geography.table or []
    group = np.array([p.group for p in table], dtype=object)
    if not (group == side).any() or not (group == other).any():
        raise ValueError(f"the places table needs places in groups {side!r} and {other!r}")
    lat = np.array([p.lat for p in table], dtype=float)
    lon = np.array([p.lon for p in table], dtype=float)
    nearest = great_circle_km(lat, lon)[:, group == other].min(axis=1)
    return np.where(group == side, nearest, np.nan)


@dataclass(frozen=True)
class DivisionGradient:
    """West places' change in share, policy vs baseline, at one step, by distance band."""

    step: int
    names: list[str]
    distance_km: np.ndarray
    """Distance to the nearest place on the other side."""
    change_percent: np.ndarray
    """100 · (s¹ − s⁰)/s⁰ per place: s¹ with the border, s⁰ without (baseline)."""
    km: float

    @property
    def near(self) -> float:
        """Mean change (percent) of the places within ``km`` of the other side."""
        return float(self.change_percent[self.distance_km <= self.km].mean())

    @property
    def far(self) -> float:
        """Mean change (percent) of the places beyond ``km``."""
        return float(self.change_percent[self.distance_km > self.km].mean())

    def bands(self, edges: tuple[float, ...] = (0.0, 75.0, 150.0, 300.0, np.inf)) -> list:
        """(lower km, upper km, places, mean change in percent) per distance band."""
        out = []
        for lo, hi in zip(edges[:-1], edges[1:], strict=True):
            inside = (self.distance_km > lo) & (self.distance_km <= hi)
            if inside.any():
                out.append((lo, hi, int(inside.sum()), float(self.change_percent[inside].mean())))
        return out


def division_gradient(
    policy: Result,
    baseline: Result,
    step: int,
    side: str = "West",
    other: str = "East",
    km: float = BORDER_KM,
) -> DivisionGradient:
    """The border's effect on the places of group ``side`` at ``step``: each place's change
    in share against the baseline run, and its mean within ``km`` of the nearest place of
    group ``other`` and beyond (Redding & Sturm 2008 compare border cities with the other
    West German cities the same way, as a difference in growth)."""
    scenario = policy.scenario
    names = [p.name for p in scenario.geography.table or []]
    distance = distance_to_other_side(scenario, side, other)
    keep = ~np.isnan(distance)
    s1 = _shares_at(policy, step, names)[keep]
    s0 = _shares_at(baseline, step, names)[keep]
    return DivisionGradient(
        step=step,
        names=[n for n, k in zip(names, keep, strict=True) if k],
        distance_km=distance[keep],
        change_percent=100.0 * (s1 - s0) / s0,
        km=km,
    )


@dataclass(frozen=True)
class Recovery:
    """Shares of the shocked places before the shock, just after it and at the end."""

    names: list[str]
    before: np.ndarray
    after: np.ndarray
    end: np.ndarray

    @property
    def recovered(self) -> np.ndarray:
        """Share of each place's loss that has come back: (end − after)/(before − after);
        1 = back where it was, 0 = none, < 0 = it went on losing."""
        return (self.end - self.after) / (self.before - self.after)


def recovery(result: Result, shocked: list[str], shock_step: int) -> Recovery:
    """How the places ``shocked`` at ``shock_step`` fare: their shares in the step before,
    in the shock's step, and at the run's last step."""
    return Recovery(
        names=list(shocked),
        before=_shares_at(result, shock_step - 1, shocked),
        after=_shares_at(result, shock_step, shocked),
        end=_shares_at(result, None, shocked),
    )


def _shares_at(result: Result, step: int | None, names: list[str]) -> np.ndarray:
    """The shares of the places ``names`` at ``step`` (None: the last; ``Result.region_state``)."""
    state = result.region_state(step)
    share = dict(zip(state.names, state.shares, strict=True))
    return np.array([share[n] for n in names])
