"""When a run has settled: the shares (and, where firms adjust at their own speed, the firm
masses) have stopped moving over a window, the expected drift is small and not growing,
the equilibrium condition holds to the agents' granularity (``negsim.rest_point``: a slow
approach is not mistaken for arrival), and the state is a stable rest point — so a slow
escape from an unstable equilibrium is not mistaken for rest either.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from negsim.economies.base import DENSE_MAX_PLACES, Equilibrium, Solver
from negsim.rest_point import JACOBIAN_MAX_PLACES, residual, tolerance
from negsim.stability import is_stable_rest_point


def share_tolerance(tol: float, n_places: int) -> float:
    """The largest share change that counts as quiet, before the agents' floor.

    ``tol`` up to ``DENSE_MAX_PLACES`` places (what every shipped scenario was settled
    with); beyond, ``tol`` · 2/R: ``tol`` read as stated for two places (an average share
    of 1/2), the same fraction of an average share 1/R. An absolute 0.001 is 80 % of an
    average place's share at R = 800, so there the old rule would call a run settled while
    whole places still empty; the jump at ``DENSE_MAX_PLACES`` is the price of keeping the
    shipped outputs unchanged."""
    return tol if n_places <= DENSE_MAX_PLACES else tol * 2.0 / n_places


def quiet(
    moved: float | np.ndarray,
    largest: float | np.ndarray,
    then_drift: float | np.ndarray,
    tol: float | np.ndarray,
    window: int,
) -> bool | np.ndarray:
    """The state is quiet over the window: it moved (largest change of a share since the
    window began) less than ``tol``, the largest expected drift over a window is below it too,
    and the drift is not growing (``Convergence.update``; runs stacked in arrays alike)."""
    return (moved < tol) & (largest * window < tol) & (largest <= then_drift)


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
        full = len(self._history) == self.window + 1 and step > self.quiet_after
        moved = float(np.max(np.abs(state - then_state)))
        self.converged = bool(
            full and quiet(moved, largest, then_drift, self.tol, self.window)
        ) and self.conclude(step, settled, at_rest, stable, at_equilibrium)
        return self.converged

    def conclude(
        self,
        step: int,
        settled: Callable[[], bool],
        at_rest: bool,
        stable: Callable[[], bool],
        at_equilibrium: Callable[[], bool] = lambda: True,
    ) -> bool:
        """The rest of the test once the state is ``quiet``: other movers at rest, the
        equilibrium condition, and a stable rest point (``update``); sets ``converged``."""
        self.converged = settled() and at_equilibrium() and (at_rest or self._stable(step, stable))
        return self.converged

    def stability_due(self, step: int) -> bool:
        """The stability verdict is older than a window (``_stable`` would check again)."""
        return self._stability is None or step - self._stability[0] >= self.window

    def _stable(self, step: int, check: Callable[[], bool]) -> bool:
        if self.stability_due(step):
            self._stability = (step, check())
        return self._stability[1]


class Settling:
    """A run's settling test with its equilibrium condition and stability check: what
    ``NEGModel`` and ``negsim.ensemble`` both ask once a step, so that a run stops at the
    same step on either path.

    ``check`` is the equilibrium condition (``negsim.rest_point``): the residual now, and
    the tolerance of a population of ``n_mobile`` agents, which costs R + 1 solves and is
    reused for a window of steps unless ``fresh``. ``update`` records a step in the
    ``Convergence`` test, with the condition, and stability as ``is_stable_rest_point``.
    """

    def __init__(
        self, convergence: Convergence, noise: float, n_mobile: int, n_places: int
    ) -> None:
        self.convergence = convergence
        self.noise, self.n_mobile, self.n_places = noise, n_mobile, n_places
        self._tolerance: tuple[int, float] | None = None

    def criterion(self, cost: np.ndarray | None) -> str | None:
        """ "equal payoffs" (ν = 0), "logit equilibrium" (ν > 0), or None: with tastes and
        migration costs (no closed form), and with ν = 0 beyond ``JACOBIAN_MAX_PLACES``."""
        if self.noise == 0:
            return "equal payoffs" if self.n_places <= JACOBIAN_MAX_PLACES else None
        return None if cost is not None else "logit equilibrium"

    def check(
        self,
        step: int,
        solver: Solver,
        shares: np.ndarray,
        log_payoff: Callable[[], np.ndarray],
        cost: np.ndarray | None,
        fresh: bool = False,
    ) -> tuple[float, float] | None:
        """(residual, tolerance) of the equilibrium condition at ``step``; None without a
        criterion."""
        if self.criterion(cost) is None:
            return None
        u = log_payoff()
        window = self.convergence.window
        if fresh or self._tolerance is None or step - self._tolerance[0] >= window:
            self._tolerance = (step, tolerance(solver, shares, u, self.noise, self.n_mobile))
        return residual(u, shares, self.noise, cost), self._tolerance[1]

    def solves_at(self, step: int, cost: np.ndarray | None) -> bool:
        """Whether the checks at ``step`` may solve (a tolerance or a stability verdict
        older than a window): an ensemble then makes those solves stacked beforehand."""
        window = self.convergence.window
        stale = self.criterion(cost) is not None and (
            self._tolerance is None or step - self._tolerance[0] >= window
        )
        return stale or self.convergence.stability_due(step)

    def update(
        self,
        step: int,
        state: np.ndarray,
        drift: np.ndarray,
        solver: Solver,
        shares: np.ndarray,
        log_payoff: Callable[[], np.ndarray],
        cost: np.ndarray | None,
        settled: Callable[[], bool] = lambda: True,
    ) -> bool:
        """Record ``step`` (``Convergence.update``) and say whether the run has settled."""
        at_rest, at_equilibrium, stable = self._checks(
            step, drift, solver, shares, log_payoff, cost
        )
        return self.convergence.update(
            step,
            state,
            drift,
            settled=settled,
            at_rest=at_rest,
            at_equilibrium=at_equilibrium,
            stable=stable,
        )

    def conclude(
        self,
        step: int,
        drift: np.ndarray,
        solver: Solver,
        shares: np.ndarray,
        log_payoff: Callable[[], np.ndarray],
        cost: np.ndarray | None,
    ) -> bool:
        """``update``'s last part for a run whose state an ensemble found ``quiet``
        (``Convergence.conclude``); a run not quiet has not settled."""
        at_rest, at_equilibrium, stable = self._checks(
            step, drift, solver, shares, log_payoff, cost
        )
        return self.convergence.conclude(step, lambda: True, at_rest, stable, at_equilibrium)

    def _checks(
        self,
        step: int,
        drift: np.ndarray,
        solver: Solver,
        shares: np.ndarray,
        log_payoff: Callable[[], np.ndarray],
        cost: np.ndarray | None,
    ) -> tuple[bool, Callable[[], bool], Callable[[], bool]]:
        """(at rest, at equilibrium, stable): a frictions-held rest point, the equilibrium
        condition within its tolerance, ``is_stable_rest_point``."""
        if not isinstance(solver, RememberingSolver):  # tolerance and stability share solves
            solver = RememberingSolver(solver)

        def at_equilibrium() -> bool:
            check = self.check(step, solver, shares, log_payoff, cost)
            return check is None or check[0] <= check[1]

        def stable() -> bool:
            return is_stable_rest_point(solver, shares, self.noise, log_payoff(), cost)

        return cost is not None and not np.any(drift), at_equilibrium, stable


class RememberingSolver:
    """A solver that remembers its solves: the equilibrium condition's tolerance and the
    stability check ask for the same finite-difference solves at the same step. An ensemble
    hands it solves made stacked (``remember``), which are the same bits."""

    def __init__(self, solver: Solver) -> None:
        self.solver = solver
        self._solved: dict[tuple[bytes, bytes | None], Equilibrium] = {}

    def __call__(
        self, shares: np.ndarray, wage0: np.ndarray | None = None, firms: np.ndarray | None = None
    ) -> Equilibrium:
        if firms is not None:
            return self.solver(shares, wage0, firms)
        key = self._key(shares, wage0)
        if key not in self._solved:
            self._solved[key] = self.solver(shares, wage0)
        return self._solved[key]

    def remember(self, shares: np.ndarray, wage0: np.ndarray | None, eq: Equilibrium) -> None:
        """Take ``eq`` as the solve at (``shares``, ``wage0``)."""
        self._solved[self._key(shares, wage0)] = eq

    @staticmethod
    def _key(shares: np.ndarray, wage0: np.ndarray | None) -> tuple[bytes, bytes | None]:
        return np.asarray(shares).tobytes(), None if wage0 is None else np.asarray(wage0).tobytes()

    def __getattr__(self, name: str) -> Any:  # the solver's own (e.g. ``jacobian``)
        return getattr(self.solver, name)
