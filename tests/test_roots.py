"""negsim's own Brent's method (``negsim.economies.roots``, kept off scipy.optimize for
start-up time) against ``scipy.optimize.brentq``: the same roots, and the thresholds that
use it unchanged."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.optimize import brentq as scipy_brentq

from negsim.economies import cp, fe
from negsim.economies.roots import brentq

rng = np.random.default_rng(11)
CASES = [  # (f, a, b): smooth, flat, steep, exponential, one-sided roots
    (lambda x: x**3 - 2 * x - 5, 2.0, 3.0),
    (lambda x: math.cos(x) - x, 0.0, 1.0),
    (lambda x: math.exp(x) - 1e3, 0.0, 20.0),
    (lambda x: (x - 0.3) ** 3 + 0.01 * (x - 0.3), 0.0, 1.0),
    (lambda x: math.atan(50 * (x - 0.71)), -3.0, 4.0),
    (lambda x: x - 1e-9, 0.0, 1e6),
    *[
        (lambda x, c=c: np.polyval(c, x), -5.0, 5.0)
        for c in rng.normal(size=(20, 4))
        if np.sign(np.polyval(c, -5.0)) != np.sign(np.polyval(c, 5.0))
    ],
]


@pytest.mark.parametrize("f, a, b", CASES)
@pytest.mark.parametrize("tol", [{}, {"xtol": 1e-14, "rtol": 1e-14}, {"xtol": 1e-3}])
def test_same_root_as_scipy(f, a, b, tol):
    ours, theirs = brentq(f, a, b, **tol), scipy_brentq(f, a, b, **tol)
    assert ours == theirs  # the same steps in the same floating-point operations
    assert abs(ours - theirs) <= 1e-12


def test_root_found_at_an_end_and_bad_input():
    assert brentq(lambda x: x - 2.0, 2.0, 5.0) == 2.0
    assert brentq(lambda x: x - 5.0, 2.0, 5.0) == 5.0
    with pytest.raises(ValueError, match="different signs"):
        brentq(lambda x: x * x + 1, -1.0, 1.0)
    with pytest.raises(ValueError, match="rtol too small"):
        brentq(lambda x: x, -1.0, 1.0, rtol=1e-17)
    with pytest.raises(RuntimeError, match="converge"):
        brentq(lambda x: math.atan(x - 0.1), -1e6, 1e6, maxiter=3)
    flat = lambda x: (x - 0.3) ** 5  # noqa: E731 - too flat for 100 steps, in scipy too
    with pytest.raises(RuntimeError, match="converge"):
        scipy_brentq(flat, 0.0, 1.0)
    with pytest.raises(RuntimeError, match="converge"):
        brentq(flat, 0.0, 1.0)


@pytest.mark.parametrize("sigma, mu", [(5.0, 0.4), (3.0, 0.2), (8.0, 0.6), (1.5, 0.3)])
def test_thresholds_as_with_scipy(sigma, mu):
    t_cp = scipy_brentq(
        lambda t: cp.sustain_ratio(t, sigma, mu) - 1.0,
        *_bracket(lambda t: cp.sustain_ratio(t, sigma, mu)),
        xtol=1e-14,
        rtol=1e-14,
    )
    assert cp.sustain_point(sigma, mu).T == pytest.approx(t_cp, abs=1e-10)
    phi_fe = fe.sustain_point(sigma, mu).phi
    assert fe.sustain_ratio(phi_fe, sigma, mu) == pytest.approx(1.0, abs=1e-12)
    lo = 0.5
    while fe.sustain_ratio(lo, sigma, mu) <= 1.0:
        lo /= 2
    phi_scipy = scipy_brentq(
        lambda p: fe.sustain_ratio(p, sigma, mu) - 1.0, lo, 1 - 1e-9, xtol=1e-15, rtol=1e-14
    )
    assert phi_fe == pytest.approx(phi_scipy, abs=1e-10)


def _bracket(ratio) -> tuple[float, float]:
    """(lo, hi) with the ratio above 1 at hi = 2, 4, 8, … first (cp.sustain_point's bracket)."""
    lo, hi = 1.0 + 1e-9, 2.0
    while ratio(hi) <= 1.0:
        lo, hi = hi, hi * 2.0
    return lo, hi
