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

import pandas as pd
import pytest

from negsim import place_table
from negsim.cli import main
from negsim.output import ALL_FILES, OUTPUT_FILES

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
    assert sorted(p.name for p in written.iterdir()) == sorted(ALL_FILES)


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
        [sys.executable, "-c", script, str(len(ALL_FILES)), "run", str(ANHUI), *SMALL]
        + ["--out", str(out)],
        capture_output=True,
        timeout=120,
        env={**os.environ, "OPENBLAS_NUM_THREADS": "1"},
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr.decode()[-500:]
    strays = [p.name for p in out.iterdir() if p.name.endswith(".tmp")]
    assert strays and all(name.startswith(".places.geojson.") for name in strays)
    assert run_cli(out) == 0
    assert sorted(p.name for p in out.iterdir()) == sorted(ALL_FILES)
    for name in ("summary.json", "places.geojson"):
        assert (out / name).read_bytes() == (reference / name).read_bytes(), name
