"""Figures and summaries of many regions (#11 item 9): heat maps beyond 8 regions, distinct
colours, stacked neutral policy labels, tied cores, maps by longitude and latitude."""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.colors as mcolors  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.collections import QuadMesh  # noqa: E402

import negsim  # noqa: E402
from negsim.cli import main  # noqa: E402
from negsim.metrics import CORE_TIE_TOLERANCE, tied_cores  # noqa: E402
from negsim.plots import plot_regions, plot_shares, save_figure  # noqa: E402
from negsim.plots.common import MAX_LINES, region_colours  # noqa: E402
from negsim.scenario import ScenarioError  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
RACETRACK_12 = ROOT / "scenarios" / "racetrack_12.toml"
BASE = ROOT / "scenarios" / "two_region_clustering.toml"


@pytest.fixture(scope="module")
def twelve():
    scenario = negsim.load_scenario(RACETRACK_12, ["population.workers=2400", "run.steps=40"])
    return negsim.run(scenario)


def test_twelve_regions_get_a_heat_map_with_one_row_per_region(twelve):
    fig = plot_shares(twelve)
    ax = fig.axes[0]
    meshes = [c for c in ax.collections if isinstance(c, QuadMesh)]
    assert len(meshes) == 1 and not ax.lines  # no unreadable lines
    ts = twelve.timeseries
    names = list(dict.fromkeys(ts["region"]))
    steps = np.sort(ts["step"].unique())
    values = np.asarray(meshes[0].get_array()).reshape(len(names), len(steps))
    for row, name in enumerate(names):
        np.testing.assert_array_equal(
            values[row], ts[ts["region"] == name].sort_values("step")["share"].to_numpy()
        )
    assert [t.get_text() for t in ax.get_yticklabels()] == names  # 12 rows, all named
    assert ax.get_ylabel() == "region" and ax.get_xlabel() == "step (periods)"
    colour_bar = fig.axes[1]
    assert colour_bar.get_ylabel() == "share of mobile workers λ"


def test_up_to_eight_regions_get_lines_in_distinct_colours_and_a_complete_legend():
    scenario = negsim.load_scenario(
        RACETRACK_12, ["regions.count=8", "population.workers=800", "run.steps=10"]
    )
    assert scenario.n_regions == MAX_LINES
    result = negsim.run(scenario)
    ax = plot_shares(result).axes[0]
    legend = ax.get_legend()
    assert sorted(t.get_text() for t in legend.get_texts()) == scenario.region_names
    colours = {mcolors.to_hex(line.get_color()) for line in ax.lines}
    assert len(ax.lines) == 8 and len(colours) == 8


@pytest.mark.parametrize("n", [2, 8, 12, 20, 31])
def test_region_colours_are_distinct(n):
    colours = region_colours(n)
    assert len(colours) == n and len({mcolors.to_hex(c) for c in colours}) == n


def test_policy_labels_at_the_same_step_do_not_overlap_and_are_neutral(tmp_path):
    scenario = negsim.load_scenario(
        BASE,
        [
            "population.workers=1000",
            "run.steps=30",
            "policies=[{name='first road', kind='transport_cost', start=10, value=1.4},"
            "{name='second road', kind='transport_cost', start=10, value=1.3},"
            "{name='a subsidy', kind='subsidy', regions=['South'], rate=0.1, start=10, end=20}]",
        ],
    )
    result = negsim.run(scenario)
    fig = plot_shares(result)
    ax = fig.axes[0]
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    texts = [t for t in ax.texts if t.get_text() in ("first road", "second road", "a subsidy")]
    assert len(texts) == 3
    boxes = [t.get_window_extent(renderer) for t in texts]
    for i in range(3):
        for j in range(i + 1, 3):
            assert not boxes[i].overlaps(boxes[j]), (texts[i].get_text(), texts[j].get_text())
    region_colours_used = {mcolors.to_hex(line.get_color()) for line in ax.lines}
    for text in texts:
        r, g, b, _ = mcolors.to_rgba(text.get_color())
        assert r == g == b  # grey or black
        assert mcolors.to_hex(text.get_color()) not in region_colours_used
    save_figure(fig, tmp_path / "policies.png")


def test_tied_cores_are_the_places_within_the_tolerance_of_the_largest():
    shares = np.array([0.3, 0.298, 0.2, 0.202])
    assert tied_cores(shares) == [0, 1]  # 0.298 ≥ 0.99 × 0.3 = 0.297
    assert tied_cores(np.array([0.3, 0.296, 0.2, 0.204])) == [0]
    rng = np.random.default_rng(5)
    for _ in range(50):
        x = rng.dirichlet(np.ones(6))
        independent = [r for r in range(6) if x.max() - x[r] <= CORE_TIE_TOLERANCE * x.max()]
        assert tied_cores(x) == independent


def _four_places(initial: str, tmp_path: Path, capsys) -> tuple[dict, str]:
    out = tmp_path / initial.replace(",", "_")
    argv = [
        "run",
        str(RACETRACK_12),
        "--out",
        str(out),
        "--set",
        "regions.count=4",
        "--set",
        "population.workers=4000",
        "--set",
        f"population.initial_shares=[{initial}]",
        "--set",
        "population.initial_perturbation=0",
        "--set",
        "run.steps=1",
    ]
    assert main(argv) == 0
    return json.loads((out / "summary.json").read_text()), capsys.readouterr().out


def test_a_tie_names_every_tied_core_and_no_single_core(tmp_path, capsys):
    summary, printed = _four_places("0.4,0.1,0.4,0.1", tmp_path, capsys)
    shares = summary["final_shares"]
    assert summary["regime"] == "partial"
    # symmetric places: after a step they differ by a few agents, within the tolerance
    assert abs(shares["R1"] - shares["R3"]) <= CORE_TIE_TOLERANCE * summary["largest_share"]
    assert min(shares["R1"], shares["R3"]) > max(shares["R2"], shares["R4"])
    assert summary["core"] is None
    assert summary["cores"] == ["R1", "R3"]
    assert summary["core_tie_tolerance"] == CORE_TIE_TOLERANCE
    assert "2 tied cores" in printed and "R1, R3" in printed and "core R1 " not in printed


def test_a_clear_leader_is_the_one_core(tmp_path, capsys):
    summary, printed = _four_places("0.5,0.1,0.3,0.1", tmp_path, capsys)
    assert summary["regime"] == "partial"
    assert summary["core"] == max(summary["final_shares"], key=summary["final_shares"].get)
    assert "cores" not in summary and "core_tie_tolerance" not in summary  # as before
    assert f"core {summary['core']} " in printed


NETWORK = """
name = "three_places"
[economy]
model = "cp"
sigma = 5.0
mu = 0.4
[geography]
kind = "network"
cost_per_distance = 0.001
links = [
  { between = ["West", "East"], distance = 500.0 },
  { between = ["East", "North"], distance = 400.0 },
]
[regions]
names = ["East", "West", "North"]
[population]
workers = 600
[run]
steps = 5
"""
# made-up places: West is west of North, North west of East
COORDINATES = (
    "geography.coordinates={West={lat=30.5,lon=104.0},East={lat=34.0,lon=109.0},"
    "North={lat=38.0,lon=106.0}}"
)


@pytest.fixture
def network(tmp_path) -> Path:
    path = tmp_path / "three_places.toml"
    path.write_text(NETWORK, encoding="utf-8")
    return path


def test_a_network_with_coordinates_is_drawn_by_longitude_and_latitude(network, tmp_path):
    result = negsim.run(negsim.load_scenario(network, [COORDINATES]))
    fig = plot_regions(result)
    ax = fig.axes[0]
    shares = next(c for c in ax.collections if c.get_label() == "shares")
    xy = shares.get_offsets()
    coordinates = result.scenario.geography.coordinates
    names = result.scenario.region_names
    np.testing.assert_array_equal(xy[:, 0], [coordinates[n].lon for n in names])
    np.testing.assert_array_equal(xy[:, 1], [coordinates[n].lat for n in names])
    west_to_east = [names[k] for k in np.argsort(xy[:, 0])]
    assert west_to_east == ["West", "North", "East"]
    assert ax.get_xlabel().startswith("longitude (°E)")
    assert ax.get_ylabel() == "latitude (°N)"
    mean_lat = np.mean([coordinates[n].lat for n in names])
    assert ax.get_aspect() == pytest.approx(1 / np.cos(np.radians(mean_lat)))
    save_figure(fig, tmp_path / "map.png")


def test_a_cost_matrix_with_coordinates_is_drawn_by_longitude_and_latitude(network):
    text = network.read_text(encoding="utf-8").replace('kind = "network"', 'kind = "matrix"')
    text = text.replace(
        "cost_per_distance = 0.001", "matrix = [[1, 1.2, 1.5], [1.2, 1, 1.6], [1.5, 1.6, 1]]"
    )
    start = text.index("links = [")
    text = text[:start] + text[text.index("]\n[regions]") + 2 :]
    network.write_text(text, encoding="utf-8")
    result = negsim.run(negsim.load_scenario(network, [COORDINATES]))
    ax = plot_regions(result).axes[0]
    xy = next(c for c in ax.collections if c.get_label() == "shares").get_offsets()
    np.testing.assert_array_equal(xy, [[109.0, 34.0], [104.0, 30.5], [106.0, 38.0]])
    assert ax.get_ylabel() == "latitude (°N)" and "schematic" not in ax.get_xlabel()


def test_a_network_without_coordinates_says_its_layout_is_schematic(network):
    ax = plot_regions(negsim.run(negsim.load_scenario(network))).axes[0]
    assert "schematic" in ax.get_xlabel() and ax.get_ylabel() == ""


@pytest.mark.parametrize(
    "override, fragment",
    [
        ("geography.coordinates.West.lat=95", "latitude must be in [-90, 90]"),
        ("geography.coordinates.West.lon=-180.5", "longitude must be in [-180, 180]"),
        ("geography.coordinates={West={lat=30.5,lon=104.0}}", "missing: East, North"),
        (
            "geography.coordinates={West={lat=1,lon=1},East={lat=1,lon=2},North={lat=2,lon=1},"
            "Sud={lat=0,lon=0}}",
            "unknown region 'Sud'",
        ),
    ],
)
def test_bad_coordinates_are_one_line_errors(network, override, fragment):
    with pytest.raises(ScenarioError) as err:
        negsim.load_scenario(network, [COORDINATES, override])
    message = str(err.value)
    assert "\n" not in message and "geography.coordinates" in message and fragment in message


def test_coordinates_need_a_network_or_matrix(capsys):
    argv = ["validate", str(RACETRACK_12), "--set", "geography.coordinates={}"]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "only used with geography 'network' or 'matrix'" in err


def test_the_shipped_qinba_network_coordinates_agree_with_its_link_distances() -> None:
    """The map's GeoNames coordinates and the file's typed link distances are one geography:
    an independent haversine (mean Earth radius 6371.0088 km) between the coordinates is
    within 2 % of every link's distance, and Chengdu is drawn west of Xi'an."""
    scenario = negsim.load_scenario(ROOT / "scenarios" / "qinba_ring_network.toml")
    coords = scenario.geography.coordinates
    assert set(coords) == set(scenario.regions.names)
    for link in scenario.geography.links:
        (lat1, lon1), (lat2, lon2) = (
            np.radians([coords[n].lat, coords[n].lon]) for n in link.between
        )
        h = (
            np.sin((lat2 - lat1) / 2) ** 2
            + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
        )
        km = 2 * 6371.0088 * np.arcsin(np.sqrt(h))
        assert km == pytest.approx(link.distance, rel=0.02), link.between
    assert coords["Chengdu"].lon < coords["Xi'an"].lon


def test_a_map_of_many_places_names_only_the_largest_shares() -> None:
    """Beyond MAX_NAMED_PLACES a map names the places with the largest shares and says so;
    every place still gets its marker."""
    from negsim.plots.maps import MAX_NAMED_PLACES

    n = MAX_NAMED_PLACES + 14
    sets = [f"regions.count={n}", "population.workers=4400", "run.steps=1"]
    scenario = negsim.load_scenario(RACETRACK_12, sets)
    shares = np.linspace(1.0, 2.0, n)
    scenario = scenario.model_copy(
        update={
            "population": scenario.population.model_copy(
                update={"initial_shares": list(shares / shares.sum()), "initial_perturbation": 0}
            )
        }
    )
    result = negsim.run(scenario, progress=False)
    fig = plot_regions(result)
    named = [t.get_text().split("\n")[0] for t in fig.axes[0].texts if "λ =" in t.get_text()]
    final = result.summary["final_shares"]
    largest = sorted(final, key=lambda name: -final[name])[:MAX_NAMED_PLACES]
    assert sorted(named) == sorted(largest)
    assert f"the {MAX_NAMED_PLACES} places with the largest shares" in fig.axes[0].get_xlabel()
