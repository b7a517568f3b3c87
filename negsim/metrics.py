"""Summaries of a distribution of the mobile factor: concentration, clusters, regime."""

from __future__ import annotations

import numpy as np

REGIMES = ("agglomerated", "dispersed", "partial")

#: Places whose shares are within this fraction of the largest share tie for the core: with
#: finitely many agents, places a symmetric outcome makes equal differ by a few agents.
CORE_TIE_TOLERANCE = 0.01


def classify_regime(
    shares: np.ndarray, agglomerated_share: float = 0.9, dispersed_tolerance: float = 0.1
) -> str:
    """ "agglomerated" if one region holds at least ``agglomerated_share``, "dispersed" if
    every share is within ``dispersed_tolerance`` of the even share 1/R *in relative terms*
    (|R λ_r - 1| ≤ tolerance), "partial" otherwise (several clusters, or an uneven spread)."""
    shares = np.asarray(shares, dtype=float)
    if shares.max() >= agglomerated_share:
        return "agglomerated"
    if np.max(np.abs(shares * shares.size - 1.0)) <= dispersed_tolerance:
        return "dispersed"
    return "partial"


def cluster_centres(
    shares: np.ndarray, neighbours: list[list[int]], tolerance: float = 0.1
) -> list[int]:
    """Regions that hold clearly more than the even share (R λ_r - 1 > ``tolerance``) and
    at least as much as each neighbour; a plateau of equal neighbouring peaks counts once."""
    shares = np.asarray(shares, dtype=float)
    above = shares * shares.size - 1.0 > tolerance
    centres: list[int] = []
    taken: set[int] = set()
    for r in np.flatnonzero(above):
        if r in taken or any(shares[s] > shares[r] for s in neighbours[r]):
            continue
        plateau, todo = {int(r)}, [int(r)]
        while todo:
            for s in neighbours[todo.pop()]:
                if s not in plateau and shares[s] == shares[r]:
                    plateau.add(s)
                    todo.append(s)
        taken |= plateau
        centres.append(int(r))
    return centres


def tied_cores(shares: np.ndarray, tolerance: float = CORE_TIE_TOLERANCE) -> list[int]:
    """Regions tied for the largest share: λ_r ≥ (1 - ``tolerance``) · max λ, in region
    order. One index when one place clearly leads."""
    shares = np.asarray(shares, dtype=float)
    return [int(r) for r in np.flatnonzero(shares >= (1.0 - tolerance) * shares.max())]


def herfindahl(shares: np.ndarray) -> float:
    """Herfindahl index Σ λ_r²: 1/R when even, 1 when all in one region."""
    shares = np.asarray(shares, dtype=float)
    return float(np.sum(shares**2))


def gini(shares: np.ndarray) -> float:
    """Gini coefficient of the regional shares: 0 when even, (R-1)/R when all in one region.

    G = Σ_i Σ_j |λ_i - λ_j| / (2 R Σ λ), computed from the sorted shares.
    """
    x = np.sort(np.asarray(shares, dtype=float))
    n = x.size
    ranks = np.arange(1, n + 1)
    return float(np.sum((2 * ranks - n - 1) * x) / (n * x.sum()))


def outcome(
    shares: np.ndarray,
    names: list[str],
    neighbours: list[list[int]],
    agglomerated_share: float = 0.9,
    dispersed_tolerance: float = 0.1,
) -> dict:
    """What a run's final shares say, as summary.json (and a sweep's row) reports it: the
    regime, the shares by name, the largest share, the core (None where dispersed or where
    several places tie, which are then listed under ``cores``), the clusters and the
    concentration indices."""
    shares = np.asarray(shares, dtype=float)
    regime = classify_regime(shares, agglomerated_share, dispersed_tolerance)
    centres = cluster_centres(shares, neighbours, dispersed_tolerance)
    largest = int(shares.argmax())
    tied = [] if regime == "dispersed" else tied_cores(shares)
    return {
        "regime": regime,
        "final_shares": {n: float(s) for n, s in zip(names, shares, strict=True)},
        "largest_share": float(shares[largest]),
        "core": None if regime == "dispersed" or len(tied) > 1 else names[largest],
        # no one core: name them all (keys only in this case: old files stay)
        **(
            {"cores": [names[r] for r in tied], "core_tie_tolerance": CORE_TIE_TOLERANCE}
            if len(tied) > 1
            else {}
        ),
        "n_clusters": len(centres),
        "cluster_regions": [names[r] for r in centres],
        "herfindahl": herfindahl(shares),
        "gini": gini(shares),
    }
