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
    ]
    ts = result.timeseries
    for line, (region, column) in zip(
        ax.lines,
        [("North", "real_wage"), ("North", "wage"), ("South", "real_wage"), ("South", "wage")],
        strict=True,
    ):
        np.testing.assert_allclose(
            line.get_ydata(), ts.loc[ts["region"] == region, column].to_numpy()
        )
    # the core ends up paying the higher real wage: that is why nobody leaves it
    assert ax.lines[0].get_ydata()[-1] > ax.lines[2].get_ydata()[-1]
    path = tmp_path / "wages.png"
    save_figure(fig, path)
    assert path.stat().st_size > 10_000

    real = plot_wages(result, which="real").axes[0]
    assert len(real.lines) == 2 and real.get_ylabel().startswith("real wage ω")
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


def test_regions_map_dispatches_on_geography_kind():
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
    # no racetrack drawing registered yet: one bar per region, in order
    ax = plot_regions(result).axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == names
    final = result.timeseries.query(f"step == {result.summary['steps']}")["share"]
    np.testing.assert_allclose([b.get_height() for b in ax.patches], final)
    assert ax.get_xlabel() == "region (racetrack)"
    assert "even spread λ = 1/6" in [t.get_text() for t in ax.get_legend().get_texts()]
    # a registered drawing for the kind takes over
    drawn = []
    REGION_MAPS["racetrack"] = lambda state, ax: drawn.append((state.names, ax))
    try:
        fig = plot_regions(result)
    finally:
        del REGION_MAPS["racetrack"]
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
