"""When a run has settled: the shares (and, where firms adjust at their own speed, the firm
masses) have stopped moving over a window, the expected drift is small and not growing,
the equilibrium condition holds to the agents' granularity (``negsim.rest_point``: a slow
approach is not mistaken for arrival), and the state is a stable rest point — so a slow
escape from an unstable equilibrium is not mistaken for rest either.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from negsim.economies.base import DENSE_MAX_PLACES


def share_tolerance(tol: float, n_places: int) -> float:
    """The largest share change that counts as quiet, before the agents' floor.

    ``tol`` up to ``DENSE_MAX_PLACES`` places (what every shipped scenario was settled
    with); beyond, ``tol`` · 2/R: ``tol`` read as stated for two places (an average share
    of 1/2), the same fraction of an average share 1/R. An absolute 0.001 is 80 % of an
    average place's share at R = 800, so there the old rule would call a run settled while
    whole places still empty; the jump at ``DENSE_MAX_PLACES`` is the price of keeping the
    shipped outputs unchanged."""
    return tol if n_places <= DENSE_MAX_PLACES else tol * 2.0 / n_places


class Convergence:
    """Settling test over the last ``window`` steps of a run.

    The tolerance is ``tol`` (scaled by 2/R beyond ``DENSE_MAX_PLACES`` places,
    ``share_tolerance``) but at least two agents' worth of share (``n_mobile`` agents:
    a population of 16 firms cannot settle to 0.001) and, where firm numbers are a state of
    their own (``n_firms`` = N₀), two firms' worth: one firm out of place moves wages, and
    with them workers, by about that much. Firm masses then count towards the state that
    must stop moving, scaled so that their own tolerance (``tol`` or two firms' worth)
    matches the shares'. A run does not settle before step ``quiet_after`` (its last
    policy).
    """

    def __init__(
        self,
        window: int,
        tol: float,
        n_mobile: int,
        n_firms: int | None,
        quiet_after: int,
        n_places: int = 2,
    ) -> None:
        self.window = window
        tol = share_tolerance(tol, n_places)
        share_tol = max(tol, 2.0 / n_mobile)
        self.tol = share_tol if n_firms is None else max(share_tol, 2.0 / n_firms)
        self._firm_scale = None if n_firms is None else self.tol / max(tol, 2.0 / n_firms)
        self.quiet_after = quiet_after
        self.converged = False
        self._history: list[tuple[np.ndarray, float]] = []
        self._stability: tuple[int, bool] | None = None

    def state(self, shares: np.ndarray, firm_masses: np.ndarray | None = None) -> np.ndarray:
        """What must stop moving: the shares, and the scaled firm masses where they count."""
        if self._firm_scale is None:
            return shares
        return np.concatenate([shares, firm_masses * self._firm_scale])

    def start(self, state: np.ndarray) -> None:
        """The state at step 0 (no drift measured yet)."""
        self._history = [(state, np.inf)]

    def update(
        self,
        step: int,
        state: np.ndarray,
        drift: np.ndarray,
        *,
        settled: Callable[[], bool],
        at_rest: bool,
        stable: Callable[[], bool],
        at_equilibrium: Callable[[], bool] = lambda: True,
    ) -> bool:
        """Record ``step`` and say whether the run has settled: over the window the state
        moved less than the tolerance, the expected drift over a window is below it too and
        not growing, ``settled()`` (other movers at rest), ``at_equilibrium()`` (the
        equilibrium condition holds to its tolerance), and the state is a stable rest
        point — ``at_rest`` (a rest point that frictions hold) or ``stable()`` (a linear
        stability check, re-run at most once per window)."""
        largest = float(np.max(np.abs(drift)))
        self._history.append((state, largest))
        if len(self._history) > self.window + 1:
            self._history.pop(0)
        then_state, then_drift = self._history[0]
        self.converged = (
            len(self._history) == self.window + 1
            and step > self.quiet_after
            and float(np.max(np.abs(state - then_state))) < self.tol
            and largest * self.window < self.tol
            and largest <= then_drift
            and settled()
            and at_equilibrium()
            and (at_rest or self._stable(step, stable))
        )
        return self.converged

    def _stable(self, step: int, check: Callable[[], bool]) -> bool:
        if self._stability is None or step - self._stability[0] >= self.window:
            self._stability = (step, check())
        return self._stability[1]
