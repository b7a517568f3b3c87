"""Figures: written, non-trivial, with labelled axes and units."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import negsim  # noqa: E402
from negsim.plots import plot_shares, plot_tomahawk, save_figure  # noqa: E402

BASE = Path(__file__).resolve().parents[1] / "scenarios" / "two_region_clustering.toml"


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
