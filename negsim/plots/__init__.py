"""Matplotlib figures of runs and of the theory. Each plot function returns the Figure and
accepts an Axes to draw into; figures read records (``negsim.record``) and the theory
(``negsim.theory``), never a live model's internals.

- ``common``: the Figure and Axes to draw into (``figure_axes``), ``save_figure``;
- ``timeseries``: one run over time, ``plot_shares`` (a region × step heat map beyond
  ``MAX_LINES`` = 8 regions), ``plot_wages``, ``shade_policies``;
- ``theory``: the two-region ``plot_tomahawk`` and the agents' ``plot_hysteresis`` loop;
- ``maps``: where the mobile agents are at one step, ``plot_regions`` drawn by geography
  kind (``REGION_MAPS``), ``MAP_MARKER_AREA``;
- ``labels``: where a map puts each place's name.

The names below are importable from ``negsim.plots`` itself.
"""

from negsim.plots.common import figure_axes, save_figure
from negsim.plots.maps import MAP_MARKER_AREA, REGION_MAPS, RegionMapDrawer, plot_regions
from negsim.plots.theory import plot_hysteresis, plot_tomahawk
from negsim.plots.timeseries import plot_shares, plot_wages, shade_policies
from negsim.record import RegionState

__all__ = [
    "MAP_MARKER_AREA",
    "REGION_MAPS",
    "RegionMapDrawer",
    "RegionState",
    "figure_axes",
    "plot_hysteresis",
    "plot_regions",
    "plot_shares",
    "plot_tomahawk",
    "plot_wages",
    "save_figure",
    "shade_policies",
]
