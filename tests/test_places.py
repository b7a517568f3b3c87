"""Places as a geography (issue #12, items 1–2): a CSV table of real places, great-circle
distances times a circuity factor, direct or Delaunay routes, shares ∝ population, and
one-line errors for bad tables."""

from __future__ import annotations

import math
import tomllib
from pathlib import Path

import numpy as np
import pytest

from negsim import racetrack
from negsim.cli import main
from negsim.economies import cp
from negsim.economies.base import brentq
from negsim.geography import (
    EARTH_RADIUS_KM,
    delaunay_pairs,
    great_circle_km,
    network_distances,
    place_links,
    transport_costs,
)
from negsim.output import save_run
from negsim.runner import run
from negsim.scenario import ScenarioError, load_scenario, validate

ROOT = Path(__file__).resolve().parents[1]
ANHUI = ROOT / "scenarios" / "places" / "anhui_six_cities.toml"

SCENARIO = """
name = "{name}"
[economy]
model = "cp"
sigma = 5.0
mu = 0.4
[geography]
kind = "places"
places = "{table}"
routes = "{routes}"
circuity = {circuity}
cost_per_distance = {tau}
[regions]
farmer_shares = "population"
[population]
workers = 3000
firms = 300
initial_shares = "population"
initial_perturbation = 0.05
[run]
steps = 60
seed = 7
"""


def write_places(tmp_path: Path, rows: list[tuple], header: str = "name,lat,lon,population"):
    table = tmp_path / "places.csv"
    table.write_text(header + "\n" + "".join(",".join(map(str, r)) + "\n" for r in rows))
    return table


def write_scenario(tmp_path: Path, routes="direct", circuity=1.2, tau=0.002, name="pl"):
    path = tmp_path / f"{name}.toml"
    path.write_text(
        SCENARIO.format(name=name, table="places.csv", routes=routes, circuity=circuity, tau=tau)
    )
    return path


def cosine_law_km(lat1, lon1, lat2, lon2, radius=EARTH_RADIUS_KM):
    """Central angle from the 3-D unit vectors (atan2 of |u×v| and u·v), not the haversine."""

    def unit(lat, lon):
        p, q = math.radians(lat), math.radians(lon)
        return np.array([math.cos(p) * math.cos(q), math.cos(p) * math.sin(q), math.sin(p)])

    u, v = unit(lat1, lon1), unit(lat2, lon2)
    return radius * math.atan2(np.linalg.norm(np.cross(u, v)), float(u @ v))


def vincenty_km(lat1, lon1, lat2, lon2, a=6378.137, f=1 / 298.257223563):
    """Vincenty (1975) inverse on the WGS84 ellipsoid, written out."""
    b = (1 - f) * a
    L = math.radians(lon2 - lon1)
    U1, U2 = (
        math.atan((1 - f) * math.tan(math.radians(lat1))),
        math.atan((1 - f) * math.tan(math.radians(lat2))),
    )
    lam = L
    for _ in range(200):
        sl, cl = math.sin(lam), math.cos(lam)
        s_sig = math.hypot(
            math.cos(U2) * sl, math.cos(U1) * math.sin(U2) - math.sin(U1) * math.cos(U2) * cl
        )
        c_sig = math.sin(U1) * math.sin(U2) + math.cos(U1) * math.cos(U2) * cl
        sig = math.atan2(s_sig, c_sig)
        s_alpha = math.cos(U1) * math.cos(U2) * sl / s_sig
        c2_alpha = 1 - s_alpha**2
        c2sm = c_sig - 2 * math.sin(U1) * math.sin(U2) / c2_alpha if c2_alpha else 0.0
        C = f / 16 * c2_alpha * (4 + f * (4 - 3 * c2_alpha))
        new = L + (1 - C) * f * s_alpha * (
            sig + C * s_sig * (c2sm + C * c_sig * (-1 + 2 * c2sm**2))
        )
        if abs(new - lam) < 1e-13:
            lam = new
            break
        lam = new
    u2 = c2_alpha * (a**2 - b**2) / b**2
    A = 1 + u2 / 16384 * (4096 + u2 * (-768 + u2 * (320 - 175 * u2)))
    B = u2 / 1024 * (256 + u2 * (-128 + u2 * (74 - 47 * u2)))
    d_sig = (
        B
        * s_sig
        * (
            c2sm
            + B
            / 4
            * (c_sig * (-1 + 2 * c2sm**2) - B / 6 * c2sm * (-3 + 4 * s_sig**2) * (-3 + 4 * c2sm**2))
        )
    )
    return b * A * (sig - d_sig)


HEFEI, WUHU = (31.86389, 117.28083), (31.35259, 118.42947)


def test_great_circle_matches_the_cosine_law_and_the_ellipsoid():
    pairs = [(HEFEI, WUHU), ((0.0, 0.0), (0.0, 1.0)), ((39.9, 116.4), (31.2, 121.5))]
    for (la1, lo1), (la2, lo2) in pairs:
        d = great_circle_km(np.array([la1, la2]), np.array([lo1, lo2]))
        assert d[0, 1] == pytest.approx(cosine_law_km(la1, lo1, la2, lo2), rel=1e-9)
        assert d[0, 1] == pytest.approx(vincenty_km(la1, lo1, la2, lo2), rel=5e-3)
        assert d[1, 0] == d[0, 1] and d[0, 0] == 0.0
    # one degree of the equator: 2πR/360
    one = great_circle_km(np.zeros(2), np.array([0.0, 1.0]))[0, 1]
    assert one == pytest.approx(2 * math.pi * EARTH_RADIUS_KM / 360, rel=1e-12)


def test_anhui_costs_follow_the_delaunay_roads():
    scenario = load_scenario(ANHUI)
    names = scenario.region_names
    assert names[:2] == ["Hefei", "Wuhu"] and scenario.n_regions == 6
    geo = scenario.geography
    lat, lon = [np.array([getattr(p, k) for p in geo.table]) for k in ("lat", "lon")]
    links = place_links(names, lat, lon, geo.circuity, geo.routes)
    d = network_distances(names, links)
    T = transport_costs(scenario)
    np.testing.assert_allclose(T, np.exp(geo.cost_per_distance * d), rtol=1e-12)
    hefei_wuhu = cosine_law_km(*HEFEI, *WUHU) * geo.circuity
    assert d[0, 1] >= hefei_wuhu * (1 - 1e-12)
    pop = np.array([p.population for p in geo.table])
    np.testing.assert_allclose(scenario.farmer_shares(), pop / pop.sum(), rtol=1e-12)
    assert scenario.initial_shares() == [1 / 6] * 6


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_delaunay_network_is_connected_planar_and_never_beats_the_crow(seed):
    rng = np.random.default_rng(seed)
    R = 40
    lat, lon = rng.uniform(25, 40, R), rng.uniform(100, 120, R)
    names = [f"P{i}" for i in range(R)]
    pairs = delaunay_pairs(lat, lon)
    assert R - 1 <= len(pairs) <= 3 * R - 6
    links = place_links(names, lat, lon, 1.3, "delaunay")
    d = network_distances(names, links)
    assert np.isfinite(d).all()  # connected
    direct = 1.3 * great_circle_km(lat, lon)
    assert (d >= direct * (1 - 1e-12)).all()
    assert (d > direct * (1 + 1e-9)).any()  # some routes do detour


def test_resolved_scenario_repeats_the_run_without_the_table(tmp_path):
    write_places(
        tmp_path, [("A", 31.0, 117.0, 100), ("B", 31.5, 118.0, 300), ("C", 32.0, 117.2, 50)]
    )
    result = run(load_scenario(write_scenario(tmp_path, routes="delaunay")))
    save_run(result, tmp_path / "first")
    (tmp_path / "places.csv").unlink()
    again = run(load_scenario(tmp_path / "first" / "scenario.resolved.toml"))
    save_run(again, tmp_path / "again")
    first = (tmp_path / "first" / "timeseries.csv").read_bytes()
    assert first == (tmp_path / "again" / "timeseries.csv").read_bytes()


def test_places_and_the_equivalent_matrix_give_identical_runs(tmp_path):
    write_places(
        tmp_path,
        [
            ("A", 31.0, 117.0, 100),
            ("B", 31.5, 118.0, 300),
            ("C", 32.0, 117.2, 50),
            ("D", 30.6, 117.9, 80),
        ],
    )
    places = load_scenario(write_scenario(tmp_path, tau=0.003))
    T = transport_costs(places)
    data = places.model_dump(exclude_none=True)
    geo = {"kind": "matrix", "matrix": T.tolist()}
    data.update(geography=geo, name="pl")
    matrix = validate(data)
    assert matrix.geography.kind == "matrix" and matrix.region_names == places.region_names
    for name, scenario in (("places", places), ("matrix", matrix)):
        save_run(run(scenario), tmp_path / name)
    for f in ("timeseries.csv", "summary.json"):
        assert (tmp_path / "places" / f).read_bytes() == (tmp_path / "matrix" / f).read_bytes()


def test_racetrack_as_places_on_the_equator_breaks_at_the_same_cost(tmp_path):
    """12 places evenly along the equator (a great circle): with direct routes the road
    distance between places k steps apart is k times a neighbour's, so exp(τ d) is the
    racetrack T^steps. The even spread loses stability where the racetrack theory says."""
    R, sigma, mu, circuity = 12, 5.0, 0.4, 1.2
    write_places(tmp_path, [(f"P{k:02d}", 0.0, -180 + 30 * k, 1) for k in range(R)])
    path = write_scenario(tmp_path, circuity=circuity)
    step = circuity * 2 * math.pi * EARTH_RADIUS_KM / R
    basis = np.linalg.qr(np.eye(R) - 1.0 / R)[0][:, : R - 1]
    even = np.full(R, 1.0 / R)

    def top_growth(tau: float) -> float:
        scenario = load_scenario(path, [f"geography.cost_per_distance={tau!r}"])
        J = cp.log_real_wage_jacobian(even, even, transport_costs(scenario), sigma, mu)
        return float(np.linalg.eigvals(basis.T @ J @ basis).real.max())

    t_race, _ = racetrack.critical_transport_cost(R, sigma, mu)
    tau_hi = 2 * math.log(t_race) / step
    tau_c = brentq(top_growth, 0.5 * math.log(t_race) / step, tau_hi, xtol=1e-14, rtol=1e-12)
    assert math.exp(tau_c * step) == pytest.approx(t_race, rel=0.01)
    assert top_growth(tau_c * 1.05) < 0 < top_growth(tau_c * 0.95)


BAD = [
    ("name,lat,lon\nA,1,2\nB,3,4\n", "column 'population' is missing"),
    ("name,lat,lon,population\nA,1,2,5\nA,3,4,6\n", "row 2 (line 3), column name: duplicate"),
    ("name,lat,lon,population\nA,1,2,5\nB,95,4,6\n", "row 2 (line 3), column lat"),
    ("name,lat,lon,population\nA,1,-181,5\nB,3,4,6\n", "row 1 (line 2), column lon"),
    ("name,lat,lon,population\nA,1,2,0\nB,3,4,6\n", "row 1 (line 2), column population"),
    ("name,lat,lon,population\nA,1,2,5\nB,3,4,many\n", "row 2 (line 3), column population"),
    ("name,lat,lon,population\nA,1,2,5\n", "at least 2 places"),
]


@pytest.mark.parametrize("text,message", BAD)
def test_bad_tables_are_refused_in_one_line(tmp_path, capsys, text, message):
    (tmp_path / "places.csv").write_text(text)
    code = main(["validate", str(write_scenario(tmp_path))])
    err = capsys.readouterr().err.splitlines()
    assert code == 2 and len(err) == 1, err
    assert "places.csv" in err[0] and message in err[0], err


def test_non_utf8_missing_and_non_regular_tables_are_refused(tmp_path, capsys):
    path = write_scenario(tmp_path)
    for make, message in (
        (
            lambda p: p.write_bytes(b"name,lat,lon,population\nK\xf6ln,50,7,1\nB,3,4,6\n"),
            "line 2: not UTF-8",
        ),
        (lambda p: None, "no such file"),
        (lambda p: p.mkdir(), "must be a regular file"),
    ):
        table = tmp_path / "places.csv"
        if table.is_dir():
            table.rmdir()
        elif table.exists():
            table.unlink()
        make(table)
        code = main(["validate", str(path)])
        err = capsys.readouterr().err.splitlines()
        assert code == 2 and len(err) == 1 and message in err[0] and "places.csv" in err[0], err


def test_region_names_must_match_the_table_and_shares_need_places(tmp_path):
    write_places(tmp_path, [("A", 31.0, 117.0, 100), ("B", 31.5, 118.0, 300)])
    path = write_scenario(tmp_path)
    with pytest.raises(ScenarioError, match="regions.names"):
        load_scenario(path, ['regions.names=["B", "A"]'])
    assert load_scenario(path, ['regions.names=["A", "B"]']).region_names == ["A", "B"]
    with pytest.raises(ScenarioError, match="regions.farmer_shares.*places"):
        load_scenario(
            ROOT / "scenarios" / "two_region_clustering.toml", ["regions.farmer_shares=population"]
        )
    with pytest.raises(ScenarioError, match="geography.circuity.*only used"):
        load_scenario(ROOT / "scenarios" / "two_region_clustering.toml", ["geography.circuity=1.3"])


def test_link_overrides_and_policies_work_by_place_name(tmp_path):
    write_places(
        tmp_path, [("A", 31.0, 117.0, 100), ("B", 31.5, 118.0, 300), ("C", 32.0, 117.2, 50)]
    )
    path = write_scenario(tmp_path)
    base = transport_costs(load_scenario(path))
    road = load_scenario(
        path, ['geography.link_overrides=[{between=["A","B"], transport_cost=1.01}]']
    )
    T = transport_costs(road)
    assert T[0, 1] == pytest.approx(1.01) and T[1, 0] == pytest.approx(1.01)
    # the cheaper road also cheapens the routes through it (costs chain multiplicatively)
    assert T[0, 2] == pytest.approx(min(base[0, 2], 1.01 * base[1, 2]), rel=1e-12)
    assert T[0, 2] < base[0, 2] and T[1, 2] == pytest.approx(base[1, 2], rel=1e-12)
    policy = 'policies=[{kind="transport_cost", start=5, between=["A","C"], value=1.02}]'
    assert load_scenario(path, [policy]).policies[0].between == ["A", "C"]


def test_a_sweep_varies_the_circuity_of_a_places_scenario(tmp_path):
    from negsim.sweeps.spec import plan_sweep

    write_places(
        tmp_path, [("A", 31.0, 117.0, 100), ("B", 31.5, 118.0, 300), ("C", 32.0, 117.2, 50)]
    )
    write_scenario(tmp_path)
    data = {
        "sweep": {"scenario": "pl.toml", "design": "grid", "replications": 1, "seed": 3},
        "parameters": {"geography.circuity": [1.0, 1.5]},
    }
    plan = plan_sweep(data, base_dir=tmp_path)
    d_ab = cosine_law_km(31.0, 117.0, 31.5, 118.0)
    for run_spec, circuity in zip(plan.runs, (1.0, 1.5), strict=True):
        scenario = plan.scenario(run_spec)
        assert scenario.geography.circuity == circuity
        T = transport_costs(scenario)
        assert T[0, 1] == pytest.approx(math.exp(0.002 * circuity * d_ab), rel=1e-9)


WITHOUT_POLICIES = sorted(
    path
    for path in (ROOT / "scenarios" / "places").glob("*.toml")
    if not tomllib.loads(path.read_text(encoding="utf-8")).get("policies")
    and "amenities" not in tomllib.loads(path.read_text(encoding="utf-8")).get("regions", {})
)  # the policy scenarios answer their questions in tests/test_places_scenarios.py, the
# calibrated ones (amenities) in tests/test_calibrate.py


@pytest.mark.parametrize("path", WITHOUT_POLICIES, ids=[p.stem for p in WITHOUT_POLICIES])
def test_shipped_places_scenarios_reach_their_regime_in_the_largest_city(path):
    """Each scenario without policies reaches the regime its header states; an agglomerated
    one in its largest city; the partial one (china_500k, 296 places) in several clusters,
    none of them a core."""
    scenario = load_scenario(path)
    result = run(scenario)
    pop = {p.name: p.population for p in scenario.geography.table}
    assert result.summary["regime"] == scenario.expected_regime
    if scenario.expected_regime == "agglomerated":
        assert result.summary["core"] == max(pop, key=pop.get)
        assert result.summary["largest_share"] >= scenario.analysis.agglomerated_share
    else:
        assert scenario.expected_regime == "partial" and len(pop) > 250
        assert result.summary["n_clusters"] >= 3
        assert result.summary["largest_share"] < 0.1
        shares = np.array(list(result.summary["final_shares"].values()))
        assert np.sum(shares > 1.0 / len(pop)) < len(pop) / 4  # most cities lost industry


@pytest.mark.parametrize("cost", ["exponential", "linear"])
def test_delaunay_places_cost_what_the_same_network_costs(tmp_path, cost):
    """The places geography is the network geography over its Delaunay links: typing those
    links (lengths from the cosine law) into a network scenario gives the same matrix."""
    rows = [("A", 31.0, 117.0, 100), ("B", 31.5, 118.0, 300), ("C", 32.0, 117.2, 50)]
    rows += [("D", 30.6, 117.9, 80), ("E", 32.4, 118.3, 60)]
    write_places(tmp_path, rows)
    places = load_scenario(write_scenario(tmp_path, routes="delaunay"), [f"geography.cost={cost}"])
    by_name = {r[0]: r for r in rows}
    lat, lon = np.array([r[1] for r in rows]), np.array([r[2] for r in rows])
    links = [
        {
            "between": [rows[i][0], rows[j][0]],
            "distance": 1.2 * cosine_law_km(*by_name[rows[i][0]][1:3], *by_name[rows[j][0]][1:3]),
        }
        for i, j in delaunay_pairs(lat, lon)
    ]
    data = places.model_dump(exclude_none=True)
    data["geography"] = {
        "kind": "network",
        "links": links,
        "cost": cost,
        "cost_per_distance": 0.002,
    }
    network = validate(data)
    np.testing.assert_allclose(transport_costs(places), transport_costs(network), rtol=1e-9)
    assert len(links) <= 3 * len(rows) - 6
