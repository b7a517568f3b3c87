"""Summaries of a distribution of mobile workers: largest share, concentration, regime."""

from __future__ import annotations

import numpy as np

REGIMES = ("agglomerated", "dispersed", "partial")


def classify_regime(
    shares: np.ndarray, agglomerated_share: float = 0.9, dispersed_tolerance: float = 0.05
) -> str:
    """ "agglomerated" if one region holds at least ``agglomerated_share`` of the mobile
    workers, "dispersed" if every share is within ``dispersed_tolerance`` of 1/R,
    "partial" otherwise."""
    shares = np.asarray(shares, dtype=float)
    if shares.max() >= agglomerated_share:
        return "agglomerated"
    if np.max(np.abs(shares - 1.0 / shares.size)) <= dispersed_tolerance:
        return "dispersed"
    return "partial"


def herfindahl(shares: np.ndarray) -> float:
    """Herfindahl index Σ λ_r²: 1/R when even, 1 when all in one region."""
    shares = np.asarray(shares, dtype=float)
    return float(np.sum(shares**2))
