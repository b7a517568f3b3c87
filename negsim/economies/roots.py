"""Bracketed root finders without scipy: ``brentq``, Brent's method in plain Python, step
for step the algorithm of ``scipy.optimize.brentq`` (scipy's ``Zeros/brentq.c``, after
Brent 1973, *Algorithms for Minimization without Derivatives*, ch. 4), with its defaults
and errors; and ``bracketed_roots``, many brackets refined at once on numpy arrays (what the
tomahawk scan needs: one vectorised function call per step for every bracket).

``brentq`` exists for start-up time: importing ``scipy.optimize`` costs ~0.3–0.8 s, more than the
rest of ``negsim tomahawk --json`` together; the thresholds need a handful of function
calls. Given the same function, bracket and tolerances it takes the same steps in the same
floating-point operations as scipy, so it returns the same root (``tests/test_roots.py``
compares the two).

The Brent iteration is adapted from SciPy's ``scipy/optimize/Zeros/brentq.c`` (BSD 3-Clause
License; Copyright (c) 2001-2002 Enthought, Inc. and 2003- SciPy Developers;
the licence text is SciPy's LICENSE.txt).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

XTOL = 2e-12
RTOL = 4 * 2.220446049250313e-16  # 4 machine epsilons, scipy's smallest allowed rtol
MAXITER = 100


def brentq(
    f: Callable[[float], float],
    a: float,
    b: float,
    xtol: float = XTOL,
    rtol: float = RTOL,
    maxiter: int = MAXITER,
) -> float:
    """The root of ``f`` in the bracket [a, b] (f(a), f(b) of opposite signs), to within
    ``xtol + rtol·|root|``; ValueError for a bad bracket or tolerance, RuntimeError when
    ``maxiter`` iterations do not converge (as ``scipy.optimize.brentq``)."""
    if xtol <= 0:
        raise ValueError(f"xtol too small ({xtol:g} <= 0)")
    if rtol < RTOL:
        raise ValueError(f"rtol too small ({rtol:g} < {RTOL:g})")
    if maxiter < 1:
        raise ValueError("maxiter must be greater than 0")
    xpre, xcur = float(a), float(b)
    fpre, fcur = float(f(xpre)), float(f(xcur))
    if fpre == 0:
        return xpre
    if fcur == 0:
        return xcur
    if math.copysign(1.0, fpre) == math.copysign(1.0, fcur):
        raise ValueError("f(a) and f(b) must have different signs")
    xblk = fblk = spre = scur = 0.0
    for _ in range(maxiter):
        if fpre != 0 and fcur != 0 and math.copysign(1.0, fpre) != math.copysign(1.0, fcur):
            xblk, fblk = xpre, fpre
            spre = scur = xcur - xpre
        if abs(fblk) < abs(fcur):
            xpre, xcur, xblk = xcur, xblk, xcur
            fpre, fcur, fblk = fcur, fblk, fcur
        delta = (xtol + rtol * abs(xcur)) / 2
        sbis = (xblk - xcur) / 2
        if fcur == 0 or abs(sbis) < delta:
            return xcur
        if abs(spre) > delta and abs(fcur) < abs(fpre):
            if xpre == xblk:  # secant
                stry = -fcur * (xcur - xpre) / (fcur - fpre)
            else:  # inverse quadratic interpolation
                dpre = (fpre - fcur) / (xpre - xcur)
                dblk = (fblk - fcur) / (xblk - xcur)
                stry = -fcur * (fblk * dblk - fpre * dpre) / (dblk * dpre * (fblk - fpre))
            if 2 * abs(stry) < min(abs(spre), 3 * abs(sbis) - delta):
                spre, scur = scur, stry
            else:
                spre = scur = sbis
        else:
            spre = scur = sbis
        xpre, fpre = xcur, fcur
        if abs(scur) > delta:
            xcur += scur
        else:
            xcur += delta if sbis > 0 else -delta
        fcur = float(f(xcur))
    raise RuntimeError(
        f"Brent's method failed to converge after {maxiter} iterations, value is {xcur}"
    )


def bracketed_roots(
    f: Callable[[np.ndarray, np.ndarray], np.ndarray],
    lo: np.ndarray,
    hi: np.ndarray,
    args: np.ndarray,
    f_lo: np.ndarray,
    f_hi: np.ndarray,
    xtol: float = 1e-13,
    maxiter: int = 200,
) -> np.ndarray:
    """The roots of ``f(x, args)`` (vectorised: element k is the function of x[k] with
    parameter args[k]) in the brackets [lo, hi], where ``f_lo``, ``f_hi`` (the values at
    the ends) differ in sign, all refined together.

    The Illinois variant of regula falsi (Dowell & Jarratt 1971, BIT 11, 168–174): a secant
    step inside the bracket, the retained end's value halved when the same end is kept
    twice, so both ends close in (order ≈ 1.44). Stops for each bracket once it is narrower
    than ``xtol`` or f is 0 at the estimate; RuntimeError after ``maxiter`` steps.
    """
    a, b = np.array(lo, dtype=float), np.array(hi, dtype=float)
    fa, fb = np.array(f_lo, dtype=float), np.array(f_hi, dtype=float)
    args = np.asarray(args, dtype=float)
    root = np.where(fa == 0, a, b)
    todo = (fa != 0) & (fb != 0)
    if np.any(todo & (np.sign(fa) == np.sign(fb))):
        raise ValueError("f must differ in sign at the ends of every bracket")
    kept = np.zeros(a.shape, dtype=int)  # +1: b was kept last step, -1: a was
    for _ in range(maxiter):
        todo &= np.abs(b - a) >= xtol
        if not np.any(todo):
            return root
        i = np.flatnonzero(todo)
        c = (a[i] * fb[i] - b[i] * fa[i]) / (fb[i] - fa[i])
        mid = 0.5 * (a[i] + b[i])
        inside = (c > np.minimum(a[i], b[i])) & (c < np.maximum(a[i], b[i]))
        c = np.where(inside, c, mid)
        fc = np.asarray(f(c, args[i]), dtype=float)
        root[i] = c
        same_as_a = np.sign(fc) == np.sign(fa[i])
        ia, ib = i[same_as_a], i[~same_as_a]  # c replaces a (b kept), or b (a kept)
        fb[ia] = np.where(kept[ia] == 1, 0.5 * fb[ia], fb[ia])
        fa[ib] = np.where(kept[ib] == -1, 0.5 * fa[ib], fa[ib])
        a[ia], fa[ia], kept[ia] = c[same_as_a], fc[same_as_a], 1
        b[ib], fb[ib], kept[ib] = c[~same_as_a], fc[~same_as_a], -1
        todo[i[fc == 0]] = False
    raise RuntimeError(f"bracketed roots: {int(np.sum(todo))} not converged in {maxiter} steps")
