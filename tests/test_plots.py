"""Figures: written, non-trivial, with labelled axes and units."""

from __future__ import annotations

import runpy
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

import negsim  # noqa: E402
from negsim.experiments import hysteresis_loop  # noqa: E402
from negsim.plots import (  # noqa: E402
    MAP_MARKER_AREA,
    REGION_MAPS,
    RegionState,
    plot_hysteresis,
    plot_regions,
    plot_shares,
    plot_tomahawk,
    plot_wages,
    save_figure,
)

ROOT = Path(__file__).resolve().parents[1]
BASE = ROOT / "scenarios" / "two_region_clustering.toml"


def test_shares_plot_has_one_line_per_region_and_labels(tmp_path):
    scenario = negsim.load_scenario(BASE, ["population.workers=2000", "run.steps=60"])
    result = negsim.run(scenario, seed=1)
    fig = plot_shares(result)
    ax = fig.axes[0]
    assert ax.get_xlabel() == "step (periods)"
    assert "share of mobile workers" in ax.get_ylabel()
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["North", "South"]
    north = ax.lines[0].get_ydata()
    np.testing.assert_allclose(
        north, result.timeseries.query("region == 'North'")["share"].to_numpy()
    )
    path = tmp_path / "shares.png"
    save_figure(fig, path)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 10_000


def test_tomahawk_plot_draws_into_given_axes(tmp_path):
    fig, ax = plt.subplots()
    returned = plot_tomahawk(5.0, 0.4, np.linspace(1.05, 2.2, 30), ax=ax)
    assert returned is fig
    assert "transport cost T" in ax.get_xlabel()
    assert "λ" in ax.get_ylabel()
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "stable" in labels and "unstable" in labels
    assert any("1.627" in label for label in labels) and any("1.807" in label for label in labels)
    path = tmp_path / "tomahawk.png"
    save_figure(fig, path)
    assert path.stat().st_size > 10_000


# --- wages, regions map, tomahawk with agents, hysteresis loop, README figure ---------------


def small_run(overrides=(), seed=1):
    scenario = negsim.load_scenario(BASE, ["population.workers=2000", "run.steps=400", *overrides])
    return negsim.run(scenario, seed=seed)


def test_wages_plot_draws_real_and_nominal_wages_per_region(tmp_path):
    result = small_run()
    fig = plot_wages(result)
    ax = fig.axes[0]
    assert ax.get_xlabel() == "step (periods)"
    assert ax.get_ylabel() == "wage (farm wage = 1)"
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == [
        "North: real wage ω",
        "North: nominal wage w",
        "South: real wage ω",
        "South: nominal wage w",
        "potential (empty region:\nwhat a first mover would earn)",
    ]
    ts = result.timeseries
    south = ts[ts["region"] == "South"]
    empty = south["share"].to_numpy() == 0
    assert 0 < empty.sum() < empty.size  # South empties during the run
    observed = [line for line in ax.lines if line.get_label().endswith(("ω", "w"))]
    faded = [line for line in ax.lines if line.get_alpha() is not None]
    assert [line.get_label() for line in observed] == labels[:4]
    for line, (region, column) in zip(
        observed,
        [("North", "real_wage"), ("North", "wage"), ("South", "real_wage"), ("South", "wage")],
        strict=True,
    ):
        rows = ts[ts["region"] == region]
        drawn = line.get_ydata()
        # observed only where the region holds workers; its empty steps are left out
        np.testing.assert_array_equal(np.isnan(drawn), rows["share"].to_numpy() == 0)
        np.testing.assert_allclose(drawn[~np.isnan(drawn)], rows[column][rows["share"] > 0])
    # South's empty steps: drawn faded and dotted, at the potential wage the model recorded
    assert len(faded) == 2 and all(line.get_linestyle() == ":" for line in faded)
    assert all(line.get_alpha() < 0.5 for line in faded)
    for line, column in zip(faded, ["real_wage", "wage"], strict=True):
        drawn = line.get_ydata()
        np.testing.assert_allclose(drawn[empty], south[column].to_numpy()[empty])
    # the core ends up paying more than a first mover would earn in the empty region: that
    # is why nobody leaves it
    assert observed[0].get_ydata()[-1] > faded[0].get_ydata()[-1]
    path = tmp_path / "wages.png"
    save_figure(fig, path)
    assert path.stat().st_size > 10_000

    real = plot_wages(result, which="real").axes[0]
    assert len(real.lines) == 3 and real.get_ylabel().startswith("real wage ω")
    with pytest.raises(ValueError, match="which must be one of"):
        plot_wages(result, which="gross")


def test_regions_map_bars_are_the_shares_of_a_run_at_any_step(tmp_path):
    result = small_run()
    fig = plot_regions(result)
    ax = fig.axes[0]
    final = result.summary["final_shares"]
    heights = [bar.get_height() for bar in ax.patches]
    np.testing.assert_allclose(heights, [final["North"], final["South"]])
    assert [t.get_text() for t in ax.get_xticklabels()] == ["North", "South"]
    assert ax.get_ylabel() == "share of mobile workers λ"
    assert ax.get_title() == f"Mobile workers by region, step {result.summary['steps']}"
    texts = " ".join(t.get_text() for t in ax.texts)
    assert "2,000 workers" in texts and "transport cost T = 1.5" in texts
    path = tmp_path / "regions.png"
    save_figure(fig, path)
    assert path.stat().st_size > 10_000

    start = plot_regions(result, step=0).axes[0]
    np.testing.assert_allclose([b.get_height() for b in start.patches], [0.51, 0.49])
    with pytest.raises(ValueError, match="no step 99999"):
        plot_regions(result, step=99_999)


def test_regions_map_of_a_live_model_follows_it():
    model = negsim.NEGModel(
        negsim.load_scenario(BASE, ["population.workers=2000", "run.steps=400"])
    )
    model.run_for(30)
    ax = plot_regions(model).axes[0]
    np.testing.assert_allclose([b.get_height() for b in ax.patches], model.shares)
    assert ax.get_title().endswith("step 30")
    assert model.shares[0] > 0.51  # the near-even start is already clustering (T < T_B)
    with pytest.raises(ValueError, match="only has its current step"):
        plot_regions(model, step=3)
    with pytest.raises(TypeError, match="expected a NEGModel, Result or RegionState"):
        RegionState.of(model.shares)
    plt.close("all")


def test_regions_map_dispatches_on_geography_kind(monkeypatch):
    names = [f"R{i}" for i in range(1, 7)]
    ring = negsim.load_scenario(
        BASE,
        [
            'geography.kind="racetrack"',
            f"regions.names={names!r}".replace("'", '"'),
            "regions.farmer_shares=[0.1, 0.1, 0.2, 0.2, 0.2, 0.2]",
            "population.initial_shares=[0.3, 0.1, 0.2, 0.1, 0.2, 0.1]",
            "population.workers=600",
            "run.steps=3",
        ],
    )
    result = negsim.run(ring, seed=1)
    # a kind without a registered drawing: one bar per region, in order
    monkeypatch.delitem(REGION_MAPS, "racetrack")
    ax = plot_regions(result).axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == names
    final = result.timeseries.query(f"step == {result.summary['steps']}")["share"]
    np.testing.assert_allclose([b.get_height() for b in ax.patches], final)
    assert ax.get_xlabel() == "region (racetrack)"
    assert "even spread λ = 1/6" in [t.get_text() for t in ax.get_legend().get_texts()]
    # a registered drawing for the kind takes over
    drawn = []
    monkeypatch.setitem(REGION_MAPS, "racetrack", lambda state, ax: drawn.append((state.names, ax)))
    fig = plot_regions(result)
    assert drawn == [(names, fig.axes[0])]
    plt.close("all")


def test_tomahawk_plot_puts_simulated_rest_points_on_top():
    simulated = pd.DataFrame({"transport_cost": [1.5, 1.7, 2.0], "share": [1.0, 0.5, 0.5]})
    fig = plot_tomahawk(5.0, 0.4, np.linspace(1.05, 2.2, 20), simulated=simulated)
    ax = fig.axes[0]
    (agents,) = [c for c in ax.collections if c.get_label() == "agent model rest points"]
    np.testing.assert_allclose(agents.get_offsets(), simulated.to_numpy())
    assert "agent model rest points" in [t.get_text() for t in ax.get_legend().get_texts()]
    plt.close(fig)


def test_hysteresis_plot_draws_both_legs_and_thresholds(tmp_path):
    scenario = negsim.load_scenario(
        BASE,
        ["population.workers=2000", "population.initial_shares=[0.5, 0.5]", "run.steps=3000"],
    )
    loop = hysteresis_loop(scenario, [1.9, 1.7, 1.5], seed=4)
    fig = plot_hysteresis(loop)
    ax = fig.axes[0]
    assert "transport cost T" in ax.get_xlabel()
    assert ax.get_ylabel() == "rest-point share of mobile workers in North, λ"
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "T falling ←" in labels and "T rising →" in labels
    assert any("1.627" in label for label in labels) and any("1.807" in label for label in labels)
    (falling,) = [line for line in ax.lines if line.get_label() == "T falling ←"]
    (rising,) = [line for line in ax.lines if line.get_label() == "T rising →"]
    np.testing.assert_allclose(falling.get_xdata(), [1.9, 1.7, 1.5])
    np.testing.assert_allclose(rising.get_xdata(), [1.7, 1.9])
    # at T = 1.7 (between T_B and T_S) the falling leg is dispersed, the rising one a core
    assert falling.get_ydata()[1] == pytest.approx(0.5, abs=0.01)
    assert rising.get_ydata()[0] > 0.99
    path = tmp_path / "hysteresis.png"
    save_figure(fig, path)
    assert path.stat().st_size > 10_000


def test_readme_figure_command_writes_the_figure_the_readme_shows(tmp_path):
    script = ROOT / "notebooks" / "figures" / "make_readme_figure.py"
    out = tmp_path / "figure.png"
    fig = runpy.run_path(str(script))["main"]([str(out)])
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and out.stat().st_size > 50_000
    left, right = fig.axes
    assert "agent model rest points" in [t.get_text() for t in left.get_legend().get_texts()]
    assert "transport cost T" in left.get_xlabel() and "transport cost T" in right.get_xlabel()
    assert right.get_title().startswith("Hysteresis")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "notebooks/figures/tomahawk_hysteresis.png" in readme
    assert "python notebooks/figures/make_readme_figure.py" in readme
    assert (ROOT / "notebooks" / "figures" / "tomahawk_hysteresis.png").stat().st_size > 50_000


# --- maps of many places: racetrack circle, network, cost matrix, grid and line -------------

SCENARIOS = ROOT / "scenarios"


def collection(ax, label):
    """The one collection of ``ax`` with this label."""
    (found,) = [c for c in ax.collections if c.get_label() == label]
    return found


def shares_at(result, step=None):
    ts = result.timeseries
    at = ts["step"].max() if step is None else step
    return ts.loc[ts["step"] == at, "share"].to_numpy()


@pytest.fixture(scope="module")
def racetrack_run():
    return negsim.run(negsim.load_scenario(SCENARIOS / "racetrack_12.toml"))


def test_racetrack_map_puts_places_on_a_circle_sized_by_share(racetrack_run, tmp_path):
    result = racetrack_run
    names = [f"R{i:02d}" for i in range(1, 13)]
    final = result.summary["final_shares"]
    assert list(final) == names
    shares = np.array([final[name] for name in names])
    fig, ax = plt.subplots(figsize=(7, 4.5), layout="constrained")
    assert plot_regions(result, ax=ax) is fig

    markers = collection(ax, "shares")
    np.testing.assert_allclose(markers.get_sizes(), MAP_MARKER_AREA * shares)
    # twelve places on the unit circle, R01 at the top, then clockwise (R04 at 3 o'clock)
    offsets = markers.get_offsets()
    np.testing.assert_allclose(np.hypot(offsets[:, 0], offsets[:, 1]), 1.0)
    np.testing.assert_allclose(
        offsets[[0, 3, 6, 9]], [[0, 1], [1, 0], [0, -1], [-1, 0]], atol=1e-12
    )
    np.testing.assert_allclose(collection(ax, "even spread").get_sizes(), MAP_MARKER_AREA / 12)
    # markers bigger than the even ring are the six cities the run reports, every other
    # place; the places between them are empty
    sizes = markers.get_sizes()
    big = [name for name, size in zip(names, sizes, strict=True) if size > MAP_MARKER_AREA / 12]
    assert np.all(sizes[0::2] == 0.0)
    assert big == result.summary["cluster_regions"] == names[1::2]

    texts = [t.get_text() for t in ax.texts]
    assert all(f"{n}\nλ = {s:.2f}" in texts for n, s in zip(names, shares, strict=True))
    legend = ax.get_legend()
    assert [t.get_text() for t in legend.get_texts()] == [
        "track: neighbours\nT = 1.9 apart",
        "even spread 1/12",
        "λ = 0.1",
        "λ = 0.5",
    ]
    assert "share of mobile workers λ" in legend.get_title().get_text()
    assert "T^k = 1.9^k" in ax.get_xlabel()
    assert ax.get_title() == f"Mobile workers by region, step {result.summary['steps']}"
    path = tmp_path / "racetrack.png"
    save_figure(fig, path)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 10_000

    # any step of the run: at the start every place is near the even share (±2%, renormalised)
    start = collection(plot_regions(result, step=0).axes[0], "shares").get_sizes()
    np.testing.assert_allclose(start, MAP_MARKER_AREA * shares_at(result, 0))
    np.testing.assert_allclose(start, MAP_MARKER_AREA / 12, rtol=0.03)
    plt.close("all")


def test_network_map_draws_links_by_distance_and_nodes_by_share(tmp_path):
    scenario = negsim.load_scenario(SCENARIOS / "qinba_ring_network.toml")
    result = negsim.run(scenario)
    names = scenario.region_names
    fig = plot_regions(result)
    ax = fig.axes[0]

    markers = collection(ax, "shares")
    shares = np.array([result.summary["final_shares"][n] for n in names])
    np.testing.assert_allclose(markers.get_sizes(), MAP_MARKER_AREA * shares)
    # all industry in Xi'an: its marker has the full area, the others none
    assert markers.get_sizes()[names.index("Xi'an")] == pytest.approx(MAP_MARKER_AREA)
    assert result.summary["core"] == "Xi'an"

    # one line per link, between the places it joins; width ∝ 1/distance (194 km → 4 pt)
    pos = np.asarray(markers.get_offsets())
    links = scenario.geography.links
    lines = collection(ax, "links")
    segments = lines.get_segments()
    assert len(segments) == len(links) == 10
    for segment, link in zip(segments, links, strict=True):
        a, b = (names.index(n) for n in link.between)
        np.testing.assert_allclose(segment, pos[[a, b]])
    distances = np.array([link.distance for link in links])
    np.testing.assert_allclose(lines.get_linewidths(), 4.0 * 194.0 / distances)
    texts = [t.get_text() for t in ax.texts]
    assert all(f"{d:g}" in texts for d in distances)
    assert all(f"{n}\nλ = {s:.2f}" in texts for n, s in zip(names, shares, strict=True))
    # the layout is deterministic, and map distance follows route distance
    from scipy.stats import spearmanr

    from negsim.geography import network_distances

    route = network_distances(names, [(*lk.between, lk.distance) for lk in links])
    on_map = np.hypot(*(pos[:, None, :] - pos[None, :, :]).transpose(2, 0, 1))
    upper = np.triu_indices(len(names), 1)
    assert spearmanr(route[upper], on_map[upper]).statistic > 0.95
    assert "exp(τ·d)" in ax.get_xlabel() and "τ = 0.0008" in ax.get_xlabel()
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels[:2] == ["link: label = distance d,\nwidth ∝ 1/d", "even spread 1/7"]
    path = tmp_path / "network.png"
    save_figure(fig, path)
    assert path.stat().st_size > 10_000

    # a live model part-way: same places, its current shares
    model = negsim.NEGModel(scenario)
    model.run_for(15)
    live = collection(plot_regions(model).axes[0], "shares")
    np.testing.assert_allclose(live.get_offsets(), pos)
    np.testing.assert_allclose(live.get_sizes(), MAP_MARKER_AREA * model.shares)
    plt.close("all")


def test_network_map_draws_an_improved_link_dashed_with_its_cost():
    scenario = negsim.load_scenario(
        SCENARIOS / "qinba_ring_network.toml",
        [
            'geography.link_overrides=[{between = ["Xining", "Wuhan"], transport_cost = 1.2}]',
            "run.steps=2",
        ],
    )
    ax = plot_regions(negsim.run(scenario)).axes[0]
    lines = collection(ax, "links")
    assert len(lines.get_segments()) == 11
    styles = lines.get_linestyles()
    assert all(s == styles[0] for s in styles[:10]) and styles[10] != styles[0]  # dashed
    assert "T = 1.2" in [t.get_text() for t in ax.texts]
    plt.close("all")


def test_matrix_map_links_the_cheapest_routes_labelled_with_t():
    result = negsim.run(negsim.load_scenario(SCENARIOS / "anhui_ip_towns.toml"))
    # before the registration reform (step 300) Wuhu leads; at the end Hefei holds all
    before = plot_regions(result, step=299).axes[0]
    sizes = collection(before, "shares").get_sizes()
    np.testing.assert_allclose(sizes, MAP_MARKER_AREA * shares_at(result, 299))
    hefei, wuhu, north = sizes
    assert wuhu > hefei > north
    assert before.get_title() == "Entrepreneurs by region, step 299"
    assert "share of entrepreneurs λ" in before.get_legend().get_title().get_text()
    texts = [t.get_text() for t in before.texts]
    assert {"T = 1.1", "T = 1.25", "T = 1.35"} <= set(texts)
    assert len(collection(before, "links").get_segments()) == 3
    end = collection(plot_regions(result).axes[0], "shares").get_sizes()
    np.testing.assert_allclose(end, [MAP_MARKER_AREA, 0.0, 0.0])
    plt.close("all")


@pytest.mark.parametrize(
    ("kind", "extra", "positions", "n_links"),
    [
        ("grid", ["geography.rows=2", "geography.cols=3"], [[0, 0], [1, 0], [2, 0], [0, -1]], 7),
        ("line", [], [[0, 0], [1, 0], [2, 0], [3, 0]], 5),
    ],
)
def test_grid_and_line_maps_place_regions_on_their_lattice(kind, extra, positions, n_links):
    scenario = negsim.load_scenario(
        BASE,
        [
            f'geography.kind="{kind}"',
            'regions.names=["A", "B", "C", "D", "E", "F"]',
            "population.initial_shares=[0.3, 0.1, 0.2, 0.1, 0.2, 0.1]",
            "regions.farmer_shares=[0.1, 0.1, 0.2, 0.2, 0.2, 0.2]",
            "population.workers=600",
            "run.steps=3",
            *extra,
        ],
    )
    result = negsim.run(scenario, seed=1)
    ax = plot_regions(result).axes[0]
    markers = collection(ax, "shares")
    np.testing.assert_allclose(markers.get_offsets()[:4], positions)
    np.testing.assert_allclose(markers.get_sizes(), MAP_MARKER_AREA * shares_at(result))
    assert len(collection(ax, "links").get_segments()) == n_links
    assert "T = 1.5 apart" in ax.get_legend().get_texts()[0].get_text()
    plt.close("all")


def test_network_map_place_labels_do_not_overlap():
    scenario = negsim.load_scenario(
        SCENARIOS / "qinba_mountains.toml",
        ["run.steps=5", "policies=[]"],  # they start later
    )
    fig = plot_regions(negsim.run(scenario))
    ax = fig.axes[0]
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    names = [t for t in ax.texts if "\nλ = " in t.get_text()]
    assert len(names) == 8
    boxes = [t.get_window_extent(renderer) for t in names]
    for i, a in enumerate(boxes):
        assert all(not a.overlaps(b) for b in boxes[i + 1 :]), names[i].get_text()
        # inside the axes, not cut off by its frame
        assert ax.get_window_extent(renderer).contains(a.x0, a.y0)
        assert ax.get_window_extent(renderer).contains(a.x1, a.y1)
    plt.close(fig)


def test_sweep_figures_draw_into_given_axes(tmp_path):
    """The sweep figures accept an Axes like every other figure function."""
    import matplotlib.pyplot as plt

    from negsim.sweeps import load_results, run_sweep
    from negsim.sweeps.plots import plot_simulated_tomahawk

    spec = tmp_path / "mini.toml"
    base = Path(__file__).resolve().parents[1] / "scenarios" / "two_region_clustering.toml"
    spec.write_text(
        f'[sweep]\nscenario = "{base.as_posix()}"\ndesign = "grid"\nseed = 3\n\n'
        '[set]\n"population.workers" = 600\n\n'
        '[parameters]\n"economy.transport_cost" = [1.5, 2.0]\n',
        encoding="utf-8",
    )
    run_sweep(spec, out=tmp_path / "out", workers=1)
    plan, runs, _ = load_results(tmp_path / "out")
    fig, ax = plt.subplots()
    assert plot_simulated_tomahawk(plan, runs, ax=ax) is fig
    assert "transport cost T" in ax.get_xlabel()
    plt.close(fig)
