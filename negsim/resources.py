"""What a run or a sweep will need, estimated before anything is created, and refused (one
line per problem, ``ResourceError``) when it exceeds the machine's available memory or the
time budget, unless the user passes ``--force``.

The costs are measured, not derived: ``benchmarks/bench_resources.py`` re-measures them
(memory per agent and per pair of places, seconds per agent and per R³ of an equilibrium
solve, seconds and bytes per sweep design point) and prints them next to these constants.
They were measured on the project's 2-core reference machine under load (1 OpenBLAS
thread); a faster machine only makes the estimates pessimistic. The equilibrium cost is
cp's, the slowest of the three economies (fe ≈ 1/8, fc ≈ 1/50 of it), so estimates are upper
bounds for fe and fc.
"""

from __future__ import annotations

import argparse
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from negsim.scenario import Scenario

BASE_BYTES = 250 * 2**20
"""A negsim process before its agents: Python, numpy, pandas, Mesa, matplotlib."""
BYTES_PER_AGENT = 16
"""Memory per worker or firm agent: its entries in the model's numpy arrays (a region index
in the smallest integer type, a firm's birth step and idle steps) and a step's scratch
arrays; no Mesa object exists unless a user asks for the agents (measured: 9 B per agent
at creation and in one step, 200,000 and 2,000,000 workers)."""
SECONDS_PER_AGENT = 3e-8
"""CPU time to create one agent (measured: 1.8–2.5e-8 s at 200,000 and 2,000,000 agents)."""
BYTES_PER_PLACE_PAIR = 64
"""Memory per pair of places: the dense R×R matrices of the model and the solver (transport
costs, trade freeness, migration costs, the Newton Jacobian, …; measured ≈ 50 B at R = 1,200)."""
SECONDS_PER_SOLVE_R3 = 3e-10
"""CPU seconds per R³ of one short-run equilibrium of cp (dense Newton; measured 0.52 s at
R = 1,200, 0.079 s at R = 600). A step solves at least twice where firms adjust on their own
and once otherwise; we count 2."""
SOLVES_PER_STEP = 2
SECONDS_PER_DESIGN_POINT = 1.2e-4
"""Building a sweep plan: validating the scenario of one design point (measured 2.0–2.5 s
for 20,000 points)."""
BYTES_PER_DESIGN_POINT = 800
SECONDS_PER_SWEEP_RUN = 3e-5
"""Building a sweep plan: one run (a replication) of a design point (measured 1.1 s for
40,000)."""
BYTES_PER_SWEEP_RUN = 400

SECONDS_PER_RACETRACK_JACOBIAN_R3 = 8e-10
"""``negsim racetrack``: CPU seconds per R³ of one Jacobian of ln ω at the even spread
(measured 6e-10–8e-10 at R = 200–300, 1 OpenBLAS thread)."""
RACETRACK_JACOBIANS = 450
"""Jacobians of one ``negsim racetrack`` analysis: the 400-point scan of T for the critical
transport cost, its bracket and Brent's refinement."""

TIME_BUDGET_SECONDS = 600.0
"""The longest negsim works without visible progress before it refuses (unless --force):
creating the agents plus one step, one settling check (R+1 equilibria), or building a sweep
plan."""


def add_force_argument(parser: argparse.ArgumentParser) -> None:
    """The ``--force`` flag of every command that checks its estimates here."""
    parser.add_argument(
        "--force", action="store_true", help="run even where memory or time estimates exceed"
    )


class ResourceError(RuntimeError):
    """A run or sweep would exceed the machine's memory or the time budget; one line per
    problem, ending with how to go on anyway (--force)."""


@dataclass(frozen=True)
class RunEstimate:
    """What one run of a scenario needs, from its size alone."""

    agents: int
    places: int
    memory_bytes: float
    setup_seconds: float
    """Creating the agents and the first step."""
    check_seconds: float
    """One settling check (R+1 equilibria), 0 where the run never checks."""


def estimate_run(scenario: Scenario) -> RunEstimate:
    """Memory and time of one run of ``scenario``, from the measured unit costs."""
    agents = scenario.population.workers + scenario.population.firms
    places = scenario.n_regions
    solve = SECONDS_PER_SOLVE_R3 * places**3
    checks = scenario.run.stop_when_converged and places > 1
    return RunEstimate(
        agents=agents,
        places=places,
        memory_bytes=BASE_BYTES + BYTES_PER_AGENT * agents + BYTES_PER_PLACE_PAIR * places**2,
        setup_seconds=SECONDS_PER_AGENT * agents + SOLVES_PER_STEP * solve,
        check_seconds=(places + 1) * solve if checks else 0.0,
    )


def available_memory() -> int:
    """Bytes of memory available to a new process: MemAvailable of /proc/meminfo, else the
    free physical pages (os.sysconf)."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, AttributeError):
        return 2**62  # unknown: do not refuse on memory


def run_problems(scenario: Scenario, source: str, parallel: int = 1) -> list[str]:
    """One line per resource a run of ``scenario`` (``parallel`` of them at once) would
    exceed; empty when it fits."""
    est = estimate_run(scenario)
    problems = []
    memory = BASE_BYTES + parallel * (est.memory_bytes - BASE_BYTES)
    available = available_memory()
    if memory > available:
        by_agents = est.agents * BYTES_PER_AGENT >= est.places**2 * BYTES_PER_PLACE_PAIR
        key = _agents_key(scenario) if by_agents else _places_key(scenario)
        times = f"{parallel} runs at once × " if parallel > 1 else ""
        problems.append(
            f"{source}: {key}: {times}{est.agents:,} agents on {est.places:,} places need "
            f"~{_size(memory)} of memory ({BYTES_PER_AGENT} B per agent, "
            f"{BYTES_PER_PLACE_PAIR} B per pair of places); {_size(available)} is available"
        )
    if est.setup_seconds > TIME_BUDGET_SECONDS:
        by_agents = SECONDS_PER_AGENT * est.agents >= est.setup_seconds / 2
        key = _agents_key(scenario) if by_agents else _places_key(scenario)
        problems.append(
            f"{source}: {key}: creating {est.agents:,} agents ({SECONDS_PER_AGENT:g} s each) "
            f"and the first step on {est.places:,} places ({SOLVES_PER_STEP} equilibria, "
            f"~{SECONDS_PER_SOLVE_R3:g}·R³ s each) take ~{_duration(est.setup_seconds)} "
            f"(budget {_duration(TIME_BUDGET_SECONDS)})"
        )
    if est.check_seconds > TIME_BUDGET_SECONDS:
        problems.append(
            f"{source}: {_places_key(scenario)}: each settling check of {est.places:,} places "
            f"solves {est.places + 1:,} equilibria (~{SECONDS_PER_SOLVE_R3:g}·R³ s each): "
            f"~{_duration(est.check_seconds)} (budget {_duration(TIME_BUDGET_SECONDS)}); "
            "fewer places, or run.stop_when_converged = false"
        )
    return problems


def check_run(scenario: Scenario, source: str, force: bool = False, parallel: int = 1) -> None:
    """ResourceError, one line per problem, where a run of ``scenario`` would not fit
    (``run_problems``); nothing with ``force``."""
    problems = [] if force else run_problems(scenario, source, parallel)
    if problems:
        problems[-1] += "; pass --force to run anyway"
        raise ResourceError("\n".join(problems))


def check_racetrack(regions: int, force: bool = False) -> None:
    """ResourceError where ``negsim racetrack --regions R`` would exceed the time budget or
    the memory available (a handful of dense R×R matrices); nothing with ``force``."""
    if force:
        return
    seconds = RACETRACK_JACOBIANS * SECONDS_PER_RACETRACK_JACOBIAN_R3 * regions**3
    memory = BASE_BYTES + BYTES_PER_PLACE_PAIR * regions**2
    available = available_memory()
    if seconds > TIME_BUDGET_SECONDS or memory > available:
        raise ResourceError(
            f"racetrack: --regions {regions:,}: {RACETRACK_JACOBIANS} Jacobians of "
            f"{regions:,} places (~{SECONDS_PER_RACETRACK_JACOBIAN_R3:g}·R³ s each) take "
            f"~{_duration(seconds)} and ~{_size(memory)} (budget "
            f"{_duration(TIME_BUDGET_SECONDS)}, {_size(available)} available); "
            "pass --force to run anyway"
        )


def check_plan(points: int, runs: int, source: str, force: bool = False) -> None:
    """ResourceError where building a sweep plan of ``points`` design points and ``runs``
    runs would exceed the memory available or the time budget; nothing with ``force``."""
    if force:
        return
    seconds = SECONDS_PER_DESIGN_POINT * points + SECONDS_PER_SWEEP_RUN * runs
    memory = BASE_BYTES + BYTES_PER_DESIGN_POINT * points + BYTES_PER_SWEEP_RUN * runs
    available = available_memory()
    if seconds > TIME_BUDGET_SECONDS or memory > available:
        raise ResourceError(
            f"{source}: parameters: {points:,} design points and {runs:,} runs: building and "
            f"checking the plan alone takes ~{_duration(seconds)} and ~{_size(memory)} "
            f"(budget {_duration(TIME_BUDGET_SECONDS)}, {_size(available)} available); "
            "pass --force to run anyway"
        )


def _agents_key(scenario: Scenario) -> str:
    population = scenario.population
    return "population.firms" if population.firms > population.workers else "population.workers"


def _places_key(scenario: Scenario) -> str:
    return "regions.names" if scenario.regions.names is not None else "regions.count"


def _size(n: float) -> str:
    for unit, scale in (("TB", 2**40), ("GB", 2**30), ("MB", 2**20)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{math.ceil(n / 1024)} kB"


def _duration(s: float) -> str:
    for unit, scale in (("days", 86400), ("h", 3600), ("min", 60)):
        if s >= scale:
            return f"{s / scale:.1f} {unit}"
    return f"{s:.0f} s"
