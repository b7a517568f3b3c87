"""What ``negsim verify`` checks: an ``Anchor`` is one number negsim claims (a published
figure or a closed form), the value an independent route gives (``expected``: a root-finder
on the model's own definitions, or the published figure itself) and negsim's own value
(``computed``: what the code users run returns), compared with a relative tolerance.

An economy's anchors live in one module of ``negsim.anchors`` (``cp.py``, ``fe.py``,
``fc.py``, ``cpvl.py``, ``fcvl.py``, ``ql.py``, ``linear.py``) as a tuple ``ANCHORS``;
``negsim.anchors.ANCHORS`` collects them.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Anchor:
    """One checked number: ``expected()`` by an independent route (or as published),
    ``computed()`` by negsim, equal within ``rtol`` (relative to the expected value)."""

    name: str
    source: str
    expected: Callable[[], float]
    computed: Callable[[], float]
    rtol: float
    economy: str


@dataclass(frozen=True)
class Check:
    """The outcome of one anchor: a row of ``negsim verify``'s table."""

    anchor: str
    source: str
    economy: str
    expected: float
    negsim: float
    relative_error: float
    rtol: float
    passed: bool

    def as_dict(self) -> dict[str, Any]:
        return {
            "anchor": self.anchor,
            "source": self.source,
            "economy": self.economy,
            "expected": self.expected,
            "negsim": self.negsim,
            "relative_error": self.relative_error,
            "rtol": self.rtol,
            "pass": self.passed,
        }


def check(anchor: Anchor) -> Check:
    """Evaluate both routes of ``anchor``; an exception in either counts as a failure (its
    values NaN), never as a crash of the whole table."""
    try:
        expected = float(anchor.expected())
        computed = float(anchor.computed())
        scale = abs(expected) if expected != 0 else 1.0
        error = abs(computed - expected) / scale
    except (ArithmeticError, ValueError, RuntimeError):
        expected = computed = error = math.nan
    return Check(
        anchor=anchor.name,
        source=anchor.source,
        economy=anchor.economy,
        expected=expected,
        negsim=computed,
        relative_error=error,
        rtol=anchor.rtol,
        passed=bool(error <= anchor.rtol),
    )


_RUN_CACHES: list[Any] = []


def per_run(f: Callable[..., Any]) -> Callable[..., Any]:
    """Cache negsim's side of anchors that share one computation within one ``verify()``
    (which clears these caches first), so a changed negsim is always seen afresh."""
    cached = functools.cache(f)
    _RUN_CACHES.append(cached)
    return cached


def clear_run_caches() -> None:
    for cached in _RUN_CACHES:
        cached.cache_clear()


def published_rtol(value: float, decimals: int) -> float:
    """The relative tolerance of a figure published to ``decimals`` decimal places: half a
    unit of its last digit (1.627 stands for any value in [1.6265, 1.6275])."""
    return 0.5 * 10.0**-decimals / abs(value)


def root(f: Callable[[float], float], lo: float, hi: float, n: int = 40) -> float:
    """The first sign change of f on a geometric grid of (lo, hi), refined by scipy's brentq
    (not negsim's own Brent: the independent route shares no code with the one checked)."""
    import numpy as np
    from scipy.optimize import brentq

    xs = np.geomspace(lo, hi, n)
    ys = [f(float(x)) for x in xs]
    for i in range(n - 1):
        if ys[i] == 0.0:
            return float(xs[i])
        if ys[i] * ys[i + 1] < 0:
            return float(brentq(f, xs[i], xs[i + 1], xtol=1e-14, rtol=1e-13))
    raise ValueError(f"no sign change on ({lo}, {hi})")
