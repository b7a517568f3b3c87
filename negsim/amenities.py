"""Amenities: what a place offers its residents beyond the wage — climate, coast, history,
public goods — as an exogenous factor B_r in the mobile agents' utility,

    U_r = ln ω_r + ln B_r  (+ ν ε_r, the agent's logit taste for the place),

as in quantitative spatial economics (Allen & Arkolakis 2014, QJE 129(3): welfare in place
i is w_i u_i / P_i, the amenity u_i multiplying the real wage; Redding & Rossi-Hansberg
2017, Annual Review of Economics 9, the canonical model's amenities B_n; Redding & Sturm
2008, AER 98(5), add them to a Helpman-style model). Only ratios B_r/B_s matter. Where
the payoff is a nominal reward (fc's capital) B_r is the owners' valuation of the place.
``negsim.calibration`` recovers the B_r that make an observed distribution a rest point.
"""

from __future__ import annotations

import numpy as np

from negsim.scenario import Scenario


def log_amenities(scenario: Scenario) -> np.ndarray | None:
    """ln B_r of the scenario's amenities (``regions.amenities``), which the mobile agents add
    to their ln payoff. None when every B_r = 1, so that runs without amenities compute
    exactly as before."""
    amenities = np.asarray(scenario.amenities(), dtype=float)
    return None if np.all(amenities == 1.0) else np.log(amenities)
