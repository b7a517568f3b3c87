"""What ``negsim run`` writes for a places scenario (issue #12, item 6): places.geojson, one
Point per place at [lon, lat], its properties agreeing with summary.json and the table,
readable by json and pandas, written atomically like every other output."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import LineCollection

from negsim import place_table
from negsim.cli import main
from negsim.geography import delaunay_pairs
from negsim.output import OUTPUT_FILES, PLACES_FILES
from negsim.plots import plot_regions
from negsim.plots.maps import MAP_MARKER_AREA
from negsim.record import Result
from negsim.runner import run
from negsim.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[1]
ANHUI = ROOT / "scenarios" / "places" / "anhui_six_cities.toml"
SMALL = ["--set", "population.workers=600", "--set", "run.steps=40", "--quiet"]
KILL_AT_WRITE = Path(__file__).with_name("test_run_output.py")


def run_cli(out: Path, scenario: Path = ANHUI) -> int:
    return main(["run", str(scenario), *SMALL, "--out", str(out)])


@pytest.fixture(scope="module")
def written(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("anhui")
    assert run_cli(out) == 0
    return out


def test_a_places_run_writes_places_geojson_beside_the_usual_files(written):
    assert sorted(p.name for p in written.iterdir()) == sorted(OUTPUT_FILES + PLACES_FILES)


def test_geojson_has_one_point_per_place_at_lon_lat_agreeing_with_the_summary(written):
    collection = json.loads((written / "places.geojson").read_text(encoding="utf-8"))
    summary = json.loads((written / "summary.json").read_text(encoding="utf-8"))
    table = place_table.read(ANHUI.with_suffix(".csv"))
    timeseries = pd.read_csv(written / "timeseries.csv")
    first = timeseries[timeseries["step"] == timeseries["step"].min()].set_index("region")
    assert collection["type"] == "FeatureCollection"
    features = collection["features"]
    assert [f["properties"]["name"] for f in features] == [p["name"] for p in table]
    for feature, place in zip(features, table, strict=True):
        props = feature["properties"]
        assert feature["type"] == "Feature"
        assert feature["geometry"] == {"type": "Point", "coordinates": [place["lon"], place["lat"]]}
        assert props["population"] == place["population"]
        assert props["final_share"] == summary["final_shares"][place["name"]]
        assert props["final_real_wage"] == summary["final_real_wages"][place["name"]]
        start = first.loc[place["name"], "share"]
        assert props["initial_share"] == pytest.approx(start, rel=1e-12)
        expected = 100.0 * (props["final_share"] - start) / start
        assert props["change_percent"] == pytest.approx(expected, rel=1e-9, abs=1e-9)
    assert sum(f["properties"]["final_share"] for f in features) == pytest.approx(1.0)


def test_pandas_reads_the_features_into_one_row_per_place(written):
    collection = json.loads((written / "places.geojson").read_text(encoding="utf-8"))
    frame = pd.json_normalize(collection["features"])
    assert len(frame) == len(place_table.read(ANHUI.with_suffix(".csv")))
    lon_lat = frame["geometry.coordinates"].tolist()
    assert all(len(c) == 2 and 100 < c[0] < 125 and 25 < c[1] < 40 for c in lon_lat)
    assert frame["properties.final_share"].sum() == pytest.approx(1.0)
    assert set(frame["properties.name"]) >= {"Hefei", "Wuhu"}


def test_other_geographies_write_no_geojson(tmp_path):
    out = tmp_path / "out"
    assert run_cli(out, ROOT / "scenarios" / "two_region_clustering.toml") == 0
    assert sorted(p.name for p in out.iterdir()) == sorted(OUTPUT_FILES)


def test_a_run_killed_while_writing_the_geojson_is_completed_by_the_same_command(tmp_path):
    """The geojson is the last of six writes (resolved toml, csv, json, two PNGs, geojson):
    kill -9 there leaves its temporary file, which the same command removes."""
    source = KILL_AT_WRITE.read_text(encoding="utf-8")
    script = source.split('KILL_AT_WRITE = """', 1)[1].split('"""', 1)[0]
    reference, out = tmp_path / "reference", tmp_path / "out"
    assert run_cli(reference) == 0
    killed = subprocess.run(
        [
            sys.executable,
            "-c",
            script,
            str(len(OUTPUT_FILES + PLACES_FILES)),
            "run",
            str(ANHUI),
            *SMALL,
        ]
        + ["--out", str(out)],
        capture_output=True,
        timeout=120,
        env={**os.environ, "OPENBLAS_NUM_THREADS": "1"},
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr.decode()[-500:]
    strays = [p.name for p in out.iterdir() if p.name.endswith(".tmp")]
    assert strays and all(name.startswith(".places.geojson.") for name in strays)
    assert run_cli(out) == 0
    assert sorted(p.name for p in out.iterdir()) == sorted(OUTPUT_FILES + PLACES_FILES)
    for name in ("summary.json", "places.geojson"):
        assert (out / name).read_bytes() == (reference / name).read_bytes(), name


# --- the maps of a places run: real coordinates, areas ∝ share, roads, readable labels ------


def _run_on(table: str, routes: str, tmp_path: Path) -> Result:
    text = ANHUI.read_text(encoding="utf-8")
    text = text.replace("anhui_six_cities.csv", str(ANHUI.with_name(table)))
    text = text.replace('routes = "delaunay"', f'routes = "{routes}"')
    path = tmp_path / "map.toml"
    path.write_text(text, encoding="utf-8")
    scenario = load_scenario(path, ["population.workers=3000", "run.steps=60"])
    return run(scenario)


def _overlap(a, b) -> float:
    w = min(a.x1, b.x1) - max(a.x0, b.x0)
    h = min(a.y1, b.y1) - max(a.y0, b.y0)
    return max(w, 0.0) * max(h, 0.0)


@pytest.mark.parametrize("routes", ["delaunay", "direct"])
def test_a_places_run_maps_start_and_end_at_real_coordinates(tmp_path, routes):
    result = _run_on("anhui_cities.csv", routes, tmp_path)
    table = place_table.read(ANHUI.with_name("anhui_cities.csv"))
    lon_lat = np.array([[p["lon"], p["lat"]] for p in table])
    fig = plot_regions(result)
    fig.canvas.draw()
    start, end = fig.axes[:2]
    last = int(result.timeseries["step"].max())
    assert start.get_title().endswith("step 0") and end.get_title().endswith(f"step {last}")
    ts = result.timeseries
    for ax, step in ((start, 0), (end, last)):
        shares = ts[ts["step"] == step]["share"].to_numpy()
        assert ax.get_aspect() == pytest.approx(1 / np.cos(np.radians(lon_lat[:, 1].mean())))
        (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
        assert x0 < lon_lat[:, 0].min() and x1 > lon_lat[:, 0].max()
        assert y0 < lon_lat[:, 1].min() and y1 > lon_lat[:, 1].max()
        markers = next(c for c in ax.collections if c.get_label() == "shares")
        np.testing.assert_allclose(markers.get_offsets(), lon_lat)
        np.testing.assert_allclose(markers.get_sizes(), MAP_MARKER_AREA * shares)
        roads = [c for c in ax.collections if isinstance(c, LineCollection)]
        if routes == "direct":
            assert roads == []
        else:
            pairs = delaunay_pairs(lon_lat[:, 1], lon_lat[:, 0])
            drawn = {
                tuple(sorted(int(np.argmin(np.abs(lon_lat - end).sum(axis=1))) for end in seg))
                for seg in roads[0].get_segments()
            }
            assert drawn == set(pairs)
        renderer = fig.canvas.get_renderer()
        labels = [t for t in ax.texts if "\nλ = " in t.get_text()]
        assert [t.get_text().split("\n")[0] for t in labels] == [p["name"] for p in table]
        boxes = [t.get_window_extent(renderer) for t in labels]
        frame = ax.get_window_extent(renderer)
        for i, a in enumerate(boxes):
            assert frame.x0 <= a.x0 and a.x1 <= frame.x1 and frame.y0 <= a.y0 and a.y1 <= frame.y1
            for b in boxes[i + 1 :]:
                assert _overlap(a, b) == 0.0, (labels[i].get_text(), boxes.index(b))
    plt.close(fig)
