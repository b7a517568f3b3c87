"""Amenities B_r in the mobile agents' utility (issue #13, item 1): U_r = ln payoff_r +
ln B_r, given as ``regions.amenities`` or a table's ``amenity`` column, validated in one
line, and acting wherever the payoff is compared — the agents' rule, its mean-field twin,
the rest point, the settling criterion and the stability check."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from negsim.calibration import short_run_solver
from negsim.economies.base import brentq
from negsim.model import NEGModel
from negsim.rest_point import find_rest_point
from negsim.runner import rest_point, run
from negsim.scenario import ScenarioError, load_scenario
from negsim.stability import ln_payoff

ROOT = Path(__file__).resolve().parents[1]
TWO = ROOT / "tests" / "data" / "two_region.toml"
DISPERSED = ["economy.transport_cost=3.0"]  # above the sustain point: one interior rest point


def test_amenities_of_one_change_nothing() -> None:
    """All B_r = 1 is the model without amenities, number for number."""
    plain = run(load_scenario(TWO, ["run.steps=40", "behaviour.noise=0.2"]))
    ones = run(
        load_scenario(TWO, ["run.steps=40", "behaviour.noise=0.2", "regions.amenities=[1.0, 1]"])
    )
    pd.testing.assert_frame_equal(plain.timeseries, ones.timeseries, check_exact=True)
    assert plain.summary == {**ones.summary, "scenario": plain.summary["scenario"]}


def _interior_share(scenario, log_ratio: float) -> float:
    """ν = 0: the North share at which u_N + ln B_N = u_S + ln B_S, by bracketing (an
    independent computation of the rest point)."""
    solve = short_run_solver(scenario)

    def gap(lam: float) -> float:
        u = ln_payoff(solve(np.array([lam, 1.0 - lam]), None))
        return u[0] - u[1] + log_ratio

    return brentq(gap, 0.5, 0.9, xtol=1e-14)


def test_agents_and_rest_point_settle_where_utility_is_equal() -> None:
    """Dispersion forces win at T = 3; an amenity of 1.1 in the North shifts the interior
    equilibrium north to where ln ω_N + ln 1.1 = ln ω_S. The rest point finds it, and the
    agents settle there (the settling criterion and stability check see the amenity)."""
    overrides = [*DISPERSED, "regions.amenities=[1.1, 1.0]", "run.steps=3000"]
    scenario = load_scenario(TWO, overrides)
    expected = _interior_share(scenario, np.log(1.1))
    assert 0.55 < expected < 0.85
    found = rest_point(scenario)
    assert found["shares"]["North"] == pytest.approx(expected, abs=1e-8)
    assert found["stable"] and found["residual"] < 1e-9
    result = run(scenario)
    settling = result.summary["settling"]
    assert settling["stopped"] == "settled" and settling["residual"] <= settling["tolerance"]
    assert result.summary["final_shares"]["North"] == pytest.approx(expected, abs=3.0 / 2000)
    plain = load_scenario(TWO, [*DISPERSED, "run.steps=3000"])
    assert run(plain).summary["final_shares"]["North"] == pytest.approx(0.5, abs=3.0 / 2000)


def test_rest_point_with_noise_is_the_logit_of_utility() -> None:
    scenario = load_scenario(TWO, ["behaviour.noise=0.2", "regions.amenities=[0.8, 1.25]"])
    solve = short_run_solver(scenario)
    log_b = np.log([0.8, 1.25])
    found = find_rest_point(solve, np.array([0.5, 0.5]), 0.2, 0.1, 10.0, log_amenity=log_b)
    z = (ln_payoff(solve(found.shares, None)) + log_b) / 0.2
    np.testing.assert_allclose(found.shares, np.exp(z) / np.exp(z).sum(), atol=1e-10)
    assert found.shares[0] < 0.5  # the South's amenity draws agents
    assert found.real_wage == pytest.approx(solve(found.shares, None).real_wage)


def test_agents_compare_utility_with_amenities() -> None:
    """The drift the model records is the mean-field twin of the rule on ln ω + ln B."""
    scenario = load_scenario(TWO, [*DISPERSED, "regions.amenities=[2.0, 1.0]", "run.steps=1"])
    model = NEGModel(scenario)
    u = ln_payoff(model.equilibrium)
    np.testing.assert_allclose(model.log_payoff(), u + np.log([2.0, 1.0]), rtol=0, atol=1e-15)
    model.step()
    assert model.drift[0] > 0  # everybody gains from moving North
    worker = model.workers.to_list()[0]
    now = np.log(model.equilibrium.payoff)
    assert worker.utility(0) - worker.utility(1) == pytest.approx(
        float(now[0] - now[1] + np.log(2.0)), abs=1e-12
    )


def _write_table(tmp_path: Path, amenity: list[str]) -> Path:
    rows = [
        ("A", 31.0, 117.0, 500),
        ("B", 31.5, 118.0, 300),
        ("C", 32.5, 117.5, 200),
    ]
    header = "name,lat,lon,population" + (",amenity" if amenity else "")
    lines = [header] + [
        ",".join(map(str, r)) + (f",{a}" if amenity else "")
        for r, a in zip(rows, amenity or [""] * 3, strict=True)
    ]
    (tmp_path / "places.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    scenario = tmp_path / "s.toml"
    scenario.write_text(
        """
[economy]
model = "cp"
sigma = 5.0
mu = 0.4
[geography]
kind = "places"
places = "places.csv"
cost_per_distance = 0.002
[regions]
amenities = "amenity"
[population]
workers = 100
[run]
steps = 5
""",
        encoding="utf-8",
    )
    return scenario


def test_amenity_column_of_the_table(tmp_path: Path) -> None:
    scenario = load_scenario(_write_table(tmp_path, ["1.5", "1", "0.25"]))
    assert scenario.amenities() == [1.5, 1.0, 0.25]
    assert load_scenario(TWO).amenities() == [1.0, 1.0]


@pytest.mark.parametrize(
    "cells, fragments",
    [
        (["1", "0", "1"], ["row 2", "column amenity", "> 0", "'0'"]),
        (["1", "-2", "1"], ["row 2", "column amenity", "> 0"]),
        (["1", "1", "inf"], ["row 3", "column amenity", "> 0"]),
        (["x", "1", "1"], ["row 1", "column amenity"]),
        (["1", "", "1"], ["row 2", "column amenity"]),
    ],
)
def test_bad_amenity_cells_are_one_line_errors(
    tmp_path: Path, cells: list[str], fragments: list[str]
) -> None:
    with pytest.raises(ScenarioError) as err:
        load_scenario(_write_table(tmp_path, cells))
    message = str(err.value)
    assert "\n" not in message and "places.csv" in message
    for fragment in fragments:
        assert fragment in message


def test_amenity_column_must_exist(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError) as err:
        load_scenario(_write_table(tmp_path, []))
    assert "regions.amenities" in str(err.value) and "'A'" in str(err.value)


@pytest.mark.parametrize(
    "value, fragment",
    [
        ("[1.0, 0.0]", "> 0"),
        ("[1.0, -1.0]", "> 0"),
        ("[1.0, inf]", "regions.amenities"),
        ("[1.0, 2.0, 3.0]", "one entry per region (2)"),
        ('"amenity"', "table of places"),
    ],
)
def test_bad_regions_amenities(value: str, fragment: str) -> None:
    with pytest.raises(ScenarioError) as err:
        load_scenario(TWO, [f"regions.amenities={value}"])
    message = str(err.value)
    assert "\n" not in message and "regions.amenities" in message and fragment in message
