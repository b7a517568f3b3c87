"""Solara app: ``solara run negsim/app.py`` serves the interactive negsim page.

The scenario is ``NEGSIM_SCENARIO`` (a scenario TOML file) if set, else
``negsim.viz.default_scenario()`` (σ = 5, μ = 0.4, T = 1.5: a near-even start clusters).
"""

from __future__ import annotations

import os

from negsim import viz

scenario = os.environ.get("NEGSIM_SCENARIO") or None
page = viz.page(scenario)
