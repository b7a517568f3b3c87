"""Figure helpers every plot module shares: the Figure and Axes to draw into, and saving.

The name of the mobile factor on axes ("mobile workers", "entrepreneurs") is the economy
registry's: ``negsim.record.mobile_label(model)``, i.e. ``negsim.economies.get(model).mobile``.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
from matplotlib.axes import Axes
from matplotlib.figure import Figure


def figure_axes(ax: Axes | None, size: tuple[float, float] = (7.0, 4.0)) -> tuple[Figure, Axes]:
    """The figure of ``ax`` and ``ax`` itself, or a new figure of ``size`` (inches) with one
    Axes in constrained layout when ``ax`` is None."""
    if ax is not None:
        return ax.figure, ax
    fig, ax = plt.subplots(figsize=size, layout="constrained")
    return fig, ax


def save_figure(fig: Figure, path: str | Path) -> None:
    """Save as PNG and release the figure's memory."""
    fig.savefig(path, dpi=120, format="png")
    plt.close(fig)
