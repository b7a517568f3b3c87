"""The two natural experiments (issue #13, item 4): German division (Redding & Sturm 2008)
and war destruction (Davis & Weinstein 2002; Bosker et al. 2007), as shipped scenarios."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy.optimize import brentq

import negsim
from negsim.economies import cp
from negsim.natural_experiments import distance_to_other_side, division_gradient, recovery
from negsim.scenario import load_scenario

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
DIVISION = SCENARIOS / "places" / "german_division.toml"
WAR = SCENARIOS / "places" / "war_destruction.toml"
CORE = SCENARIOS / "war_shock_core.toml"


def test_the_shipped_amenities_are_a_fresh_calibration_of_the_scenario():
    scenario = load_scenario(DIVISION)
    fresh = negsim.calibrate(scenario)
    np.testing.assert_allclose(scenario.amenities(), fresh.amenities, rtol=1e-10)
    assert fresh.stable
    war = load_scenario(WAR)
    assert war.amenities() == scenario.amenities()  # the same map and economy


def test_distances_to_the_other_side_are_great_circle_distances_to_the_nearest_east_city():
    scenario = load_scenario(DIVISION)
    d = distance_to_other_side(scenario, "West", "East")
    table = {p.name: p for p in scenario.geography.table}
    assert np.isnan(d[[p.group == "East" for p in scenario.geography.table]]).all()
    # Hof (50.31 N, 11.91 E) and Plauen (50.50 N, 12.14 E): the haversine distance by hand
    hof, plauen = table["Hof"], table["Plauen"]
    lat1, lon1, lat2, lon2 = map(np.radians, (hof.lat, hof.lon, plauen.lat, plauen.lon))
    a = np.sin((lat2 - lat1) / 2) ** 2
    a += np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    names = [p.name for p in scenario.geography.table]
    assert d[names.index("Hof")] == pytest.approx(2 * 6371.0088 * np.arcsin(np.sqrt(a)), rel=1e-3)
    assert (d[~np.isnan(d)] <= 75).sum() == 12  # the border band of the scenario's header


@pytest.fixture(scope="module")
def division():
    """The division, shortened: border closed at step 50, open again after step 300."""
    scenario = load_scenario(
        DIVISION,
        [
            "population.workers=50000",
            "run.steps=500",
            "policies.0.start=50",
            "policies.0.end=300",
        ],
    )
    return negsim.run_with_baseline(scenario)


def test_west_cities_near_the_new_border_decline_relative_to_the_rest_of_the_west(division):
    policy, baseline = division
    before = division_gradient(policy, baseline, 49)
    assert np.all(before.change_percent == 0.0)  # common random numbers: identical until then
    g = division_gradient(policy, baseline, 300)
    assert g.near < -8.0 and g.far > 0.0  # Redding & Sturm's sign: border cities lose
    bands = [mean for _, _, _, mean in g.bands()]
    assert bands[0] < bands[1] < bands[2]  # the loss fades with distance (0–75, 75–150, 150–300)
    assert (g.change_percent[g.distance_km <= 75] < 0).mean() >= 0.75


def test_reunification_closes_most_of_the_gap(division):
    policy, baseline = division
    during = division_gradient(policy, baseline, 300).near
    after = division_gradient(policy, baseline, 500).near
    assert during < after < 0 and abs(after) < abs(during) / 2


def test_with_amenities_and_noise_destroyed_cities_return_to_their_pre_war_shares():
    """Davis & Weinstein (2002): one stable equilibrium pins the map."""
    scenario = load_scenario(WAR, ["population.workers=50000"])
    cities = [p.region for p in scenario.policies]
    r = recovery(negsim.run(scenario), cities, scenario.policies[0].start)
    assert np.all(r.after < 0.6 * r.before)  # each lost about half
    assert np.all(r.recovered > 0.75), dict(zip(cities, r.recovered, strict=True))


def unstable_interior_share(T: float = 1.7, sigma: float = 5.0, mu: float = 0.4) -> float:
    """λ_u: the interior root of ln(ω_1/ω_2) between the even spread and the core (FKV 1999,
    ch. 5), by Brent's method on the CP short-run equilibrium."""
    gap = cp.ECONOMY.payoff_gap(sigma, mu)
    return brentq(lambda lam: gap(lam, T), 0.6, 0.999, xtol=1e-12)


@pytest.mark.parametrize(
    "offset,where",
    [(-0.03, "recovers"), (+0.03, "disperses"), ("beyond", "moves")],
)
def test_where_two_equilibria_are_stable_a_large_enough_shock_changes_the_map_for_good(
    offset, where
):
    """Bosker et al. (2007): a shock that pushes the core's share below the unstable interior
    equilibrium λ_u ends in the even spread; below 1 - λ_u the other region becomes the core."""
    lam_u = unstable_interior_share()
    assert 0.8 < lam_u < 0.87  # the scenario header's λ ≈ 0.835
    share = lam_u + 0.03 if offset == "beyond" else 1.0 - lam_u + offset
    result = negsim.run(load_scenario(CORE, [f"policies.0.share={share}"]))
    final = result.summary["final_shares"]
    if where == "recovers":
        assert result.summary["core"] == "North" and final["North"] == 1.0
    elif where == "disperses":
        assert result.summary["regime"] == "dispersed"
        assert final["North"] == pytest.approx(0.5, abs=0.01)
    else:
        assert result.summary["core"] == "South" and final["South"] == 1.0
