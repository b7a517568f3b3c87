"""The tomahawk's unstable branch near both of its ends (#16): it leaves λ = 1/2 at the break
point and meets λ = 1 at the sustain point, so just inside (T_B, T_S) its root lies closer
to an end than one step of the λ grid. Reference: a direct Brent root of the real-wage gap
ω_1 - ω_2 (``cp.real_wage_gap``, FKV ch. 5) in a bracket next to that end."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import brentq

from negsim import theory
from negsim.economies import cp, fe


def interior(points):
    return sorted(lam for _, lam, _ in points if lam not in (0.0, 0.5, 1.0))


def test_issue_reproducer_near_the_sustain_point():
    points = theory.tomahawk("cp", 5.0, 0.6, np.array([4.86554]))
    assert interior(points) == pytest.approx([1 - 0.996065, 0.996065], abs=1e-6)
    assert all(not stable for _, lam, stable in points if lam not in (0.0, 0.5, 1.0))


@pytest.mark.parametrize(("sigma", "mu"), [(5.0, 0.4), (5.0, 0.6), (3.0, 0.3)])
@pytest.mark.parametrize("end", ["break", "sustain"])
def test_cp_unstable_branch_is_found_next_to_either_end(sigma, mu, end):
    if end == "break":
        T = cp.break_point(sigma, mu).T * (1 + 1e-6)
        lo, hi = 0.5 + 1e-9, 0.5 + 0.5 / 60
    else:
        T = cp.sustain_point(sigma, mu).T * (1 - 1e-6)
        lo, hi = 1.0 - 0.5 / 60, 1.0
    expected = brentq(lambda x: cp.real_wage_gap(x, T, sigma, mu), lo, hi, xtol=1e-14)
    found = interior(theory.tomahawk("cp", sigma, mu, np.array([T])))
    assert found == pytest.approx([1.0 - expected, expected], abs=1e-9)


def test_fe_unstable_branch_next_to_the_sustain_point():
    sigma, mu = 5.0, 0.4
    T = fe.sustain_point(sigma, mu).T * (1 - 1e-6)
    points = theory.tomahawk("fe", sigma, mu, np.array([T]))
    found = interior(points)
    assert len(found) == 2 and found[1] > 1.0 - 0.5 / 60  # beyond the old grid's last point
    assert theory.core_sustainable("fe", T, sigma, mu)
