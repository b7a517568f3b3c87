"""The ``border`` policy: a border between two groups of a places table raises (or closes)
the cost of every pair across it for a window, then opens again (Redding & Sturm 2008)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from negsim.economies import fc
from negsim.model import NEGModel
from negsim.policies import Schedule
from negsim.scenario import ScenarioError, load_scenario

# Two groups on a line of longitudes: West at 8°, 9°, 10° E, East at 11°, 12° E (lat 50° N).
TABLE = """name,lat,lon,population,group
A,50.0,8.0,300000,West
B,50.0,9.0,200000,West
C,50.0,10.0,100000,West
D,50.0,11.0,150000,East
E,50.0,12.0,250000,East
"""

SCENARIO = """
name = "border_test"
[economy]
model = "{model}"
sigma = 5.0
mu = 0.4
[geography]
kind = "places"
places = "places.csv"
routes = "direct"
cost_per_distance = 0.004
[regions]
farmer_shares = "population"
[population]
workers = 2000
firms = 400
initial_shares = "population"
[run]
steps = 40
seed = 3
stop_when_converged = false
"""

BORDER = '{{kind = "border", groups = ["West", "East"], start = 10, end = 20, {how}}}'


def scenario(tmp_path: Path, how: str = "factor = 3.0", model: str = "cp", *more: str):
    (tmp_path / "places.csv").write_text(TABLE)
    path = tmp_path / "s.toml"
    path.write_text(SCENARIO.format(model=model))
    return load_scenario(path, [f"policies=[{BORDER.format(how=how)}]", *more])


def test_a_border_multiplies_the_cost_of_every_pair_across_it_for_its_window(tmp_path):
    schedule = Schedule(scenario(tmp_path))
    base = schedule.transport_costs(0)
    side = ["West"] * 3 + ["East"] * 2
    expected = base.copy()
    for r in range(5):
        for s in range(5):
            if side[r] != side[s]:
                expected[r, s] *= 3.0
    for step in (10, 15, 20):
        np.testing.assert_array_equal(schedule.transport_costs(step), expected)
    for step in (9, 21, 500):  # before, and open again after its end
        np.testing.assert_array_equal(schedule.transport_costs(step), base)
    assert schedule.last_step == 21  # the reopening is the last change


def test_the_model_applies_the_border_when_it_closes_and_lifts_it_when_it_opens(tmp_path):
    model = NEGModel(scenario(tmp_path, "closed = true"))
    base = model.transport_costs.copy()
    seen = {}
    for _ in range(25):
        model.step()
        seen[model.steps] = model.transport_costs.copy()
    across = np.isinf(seen[15])
    assert across.sum() == 2 * 3 * 2 and not across[:3, :3].any() and not across[3:, 3:].any()
    np.testing.assert_array_equal(seen[9], base)
    np.testing.assert_array_equal(seen[21], base)


def test_a_closed_border_cuts_one_side_off_from_the_other_sides_firms(tmp_path):
    """FC rewards π_r = b Σ_s φ_rs E_s / Δ_s (Baldwin et al. 2003, ch. 3): with φ = 0 across
    a closed border, moving firms within the East leaves every Western reward unchanged,
    and an open border does not."""
    sc = scenario(tmp_path, "closed = true", "fc")
    schedule = Schedule(sc)
    immobile = np.array([p.population for p in sc.geography.table], dtype=float)
    immobile /= immobile.sum()
    lam = np.array([0.3, 0.2, 0.1, 0.25, 0.15])
    moved = lam.copy()
    moved[3:] = [0.05, 0.35]  # the East's firms move within the East

    def west(T, shares):
        return fc.ECONOMY.equilibrium(shares, immobile, T, 5.0, 0.4).payoff[:3]

    closed, open_ = schedule.transport_costs(15), schedule.transport_costs(0)
    np.testing.assert_allclose(west(closed, moved), west(closed, lam), rtol=1e-14)
    assert np.all(np.isfinite(west(closed, lam)))
    assert not np.allclose(west(open_, moved), west(open_, lam), rtol=1e-6)


@pytest.mark.parametrize(
    "how,fragment",
    [
        ('groups = ["West", "North"], factor = 2.0', "'North' must be two different groups"),
        ('groups = ["West", "West"], factor = 2.0', "two different groups"),
        ('groups = ["West", "East"]', "needs either factor"),
        ('groups = ["West", "East"], factor = 2.0, closed = true', "needs either factor"),
        ('groups = ["West", "East"], factor = 0.5', "factor"),
        ("factor = 2.0", "needs groups"),
    ],
)
def test_bad_borders_are_refused_in_one_line(tmp_path, how, fragment):
    (tmp_path / "places.csv").write_text(TABLE)
    path = tmp_path / "s.toml"
    path.write_text(SCENARIO.format(model="cp"))
    with pytest.raises(ScenarioError) as err:
        load_scenario(path, [f'policies=[{{kind = "border", start = 5, {how}}}]'])
    assert fragment in str(err.value) and "\n" not in str(err.value), err.value


def test_a_border_needs_a_places_table_with_groups(tmp_path):
    two = Path(__file__).resolve().parents[1] / "scenarios" / "two_region_clustering.toml"
    override = 'policies=[{kind = "border", start = 5, groups = ["a", "b"], closed = true}]'
    with pytest.raises(ScenarioError, match="places geography whose table has a group column"):
        load_scenario(two, [override])
