"""Figure helpers every plot module shares: the Figure and Axes to draw into, and saving.

The name of the mobile factor on axes ("mobile workers", "entrepreneurs") is the economy
registry's: ``negsim.record.mobile_label(model)``, i.e. ``negsim.economies.get(model).mobile``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import matplotlib
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure


def figure_axes(ax: Axes | None, size: tuple[float, float] = (7.0, 4.0)) -> tuple[Figure, Axes]:
    """The figure of ``ax`` and ``ax`` itself, or a new figure of ``size`` (inches) with one
    Axes in constrained layout when ``ax`` is None."""
    if ax is not None:
        return ax.figure, ax
    import matplotlib.pyplot as plt  # the figure is pyplot's: a notebook shows it

    fig, ax = plt.subplots(figsize=size, layout="constrained")
    return fig, ax


def save_figure(fig: Figure, path: str | Path) -> None:
    """Save as PNG and release the figure's memory (pyplot's hold on it, where pyplot made
    it: a script that builds a ``Figure`` itself never imports pyplot)."""
    fig.savefig(path, dpi=120, format="png")
    pyplot = sys.modules.get("matplotlib.pyplot")
    if pyplot is not None:
        pyplot.close(fig)


#: Up to this many regions a time series draws one line per region (distinct colours, a
#: complete legend); more regions get a region × step heat map.
MAX_LINES = 8


def region_colours(n: int) -> list[tuple[float, float, float, float]]:
    """``n`` distinct colours, one per region in region order: tab10 up to 10 regions, tab20
    up to 20, evenly spaced hues of a cyclic colour map beyond."""
    if n <= 10:
        cmap, values = matplotlib.colormaps["tab10"], np.arange(n)
    elif n <= 20:
        cmap, values = matplotlib.colormaps["tab20"], np.arange(n)
    else:
        cmap, values = matplotlib.colormaps["hsv"], np.arange(n) / n
    return [tuple(float(c) for c in cmap(v)) for v in values]
