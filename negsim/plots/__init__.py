"""Matplotlib figures of runs and of the theory. Each plot function returns the Figure and
accepts an Axes to draw into; figures read records (``negsim.record``) and the theory
(``negsim.theory``), never a live model's internals.

- ``common``: the Figure and Axes to draw into (``figure_axes``), ``save_figure``;
- ``timeseries``: one run over time, ``plot_shares`` (a region × step heat map beyond
  ``MAX_LINES`` = 8 regions), ``plot_wages``, ``shade_policies``;
- ``theory``: the two-region ``plot_tomahawk``, the agents' ``plot_hysteresis`` loop and
  ``plot_welfare`` (agglomeration vs dispersion against trade freeness);
- ``maps``: where the mobile agents are at one step, ``plot_regions`` drawn by geography
  kind (``REGION_MAPS``), ``MAP_MARKER_AREA``; a places run's start/end pair of maps,
  ``plot_places_start_end``;
- ``change_map``: a policy run against its baseline, ``plot_effects``;
- ``labels``: where a map puts each place's name.

The names below are importable from ``negsim.plots`` itself, each imported on first use
(PEP 562): ``negsim tomahawk --plot`` does not pay for the maps' pandas and scenario schema.
"""

from negsim.lazy import lazy_getattr

_HOMES = {
    "MAP_MARKER_AREA": "negsim.plots.maps",
    "REGION_MAPS": "negsim.plots.maps",
    "RegionMapDrawer": "negsim.plots.maps",
    "RegionState": "negsim.record",
    "figure_axes": "negsim.plots.common",
    "plot_effects": "negsim.plots.change_map",
    "plot_hysteresis": "negsim.plots.theory",
    "plot_places_start_end": "negsim.plots.maps",
    "plot_regions": "negsim.plots.maps",
    "plot_shares": "negsim.plots.timeseries",
    "plot_tomahawk": "negsim.plots.theory",
    "plot_wages": "negsim.plots.timeseries",
    "plot_welfare": "negsim.plots.theory",
    "save_figure": "negsim.plots.common",
    "shade_policies": "negsim.plots.timeseries",
}

__all__ = sorted(_HOMES)

__getattr__ = lazy_getattr("negsim.plots", _HOMES, globals())


def __dir__() -> list[str]:
    return sorted([*globals(), *_HOMES])
