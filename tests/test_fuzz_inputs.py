"""Property-based tests over mutated scenario files, ``--set`` values and sweep files
(#16): every input either loads or gets one line per problem naming the file and key, with
exit code 2 — never a traceback. The generator is ``tests/mutations.py``; 2,000 cases run
here (validate only, in-process, derandomized so CI sees the same cases every time); the
slower campaign that also runs them is ``benchmarks/stress_inputs.py``."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from mutations import (
    BASE_SCENARIO,
    SCENARIO_FILES,
    cli_outcome,
    overrides,
    scenario_texts,
    sweep_texts,
)

from negsim import resources

FAST = dict(
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
COUNTS = {"scenario": 1000, "set": 600, "sweep": 400}  # 2,000 cases


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


@pytest.fixture(scope="module")
def planned_only():
    """``negsim sweep`` plans (and checks) the sweep but runs nothing; plans over 1 s of
    work are refused as too large, so no case builds a plan for minutes."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("negsim.sweeps.execute.sweep", lambda *a, **k: pd.DataFrame({"error": []}))
        patch.setattr(resources, "TIME_BUDGET_SECONDS", 1.0)
        yield


def _check(outcome, seen: dict[str, int]) -> None:
    seen[outcome.kind] = seen.get(outcome.kind, 0) + 1
    assert outcome.kind != "failure", f"{outcome.reason}\n{outcome.stderr}"


def test_mutated_scenario_files_load_or_give_one_line_per_problem(folder):
    path = folder / "mutated.toml"
    seen: dict[str, int] = {}

    @settings(max_examples=COUNTS["scenario"], **FAST)
    @given(text=scenario_texts())
    def case(text: str) -> None:
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        _check(cli_outcome(["validate", str(path)], str(path)), seen)

    case()
    assert sum(seen.values()) == COUNTS["scenario"]
    assert seen.get("loaded", 0) > 0 and seen.get("refused", 0) > 0, seen


def test_mutated_set_values_load_or_give_one_line_per_problem():
    seen: dict[str, int] = {}

    @settings(max_examples=COUNTS["set"], **FAST)
    @given(sets=overrides())
    def case(sets: list[str]) -> None:
        argv = ["validate", str(BASE_SCENARIO)] + [x for s in sets for x in ("--set", s)]
        _check(cli_outcome(argv, str(BASE_SCENARIO)), seen)

    case()
    assert sum(seen.values()) == COUNTS["set"]
    assert seen.get("loaded", 0) > 0 and seen.get("refused", 0) > 0, seen


def test_mutated_sweep_files_load_or_give_one_line_per_problem(folder, planned_only):
    path = folder / "sweep.toml"
    seen: dict[str, int] = {}

    @settings(max_examples=COUNTS["sweep"], **FAST)
    @given(text=sweep_texts())
    def case(text: str) -> None:
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        argv = ["sweep", str(path), "--out", str(folder / "out"), "--quiet", "--workers", "1"]
        _check(cli_outcome(argv, str(path), *map(str, SCENARIO_FILES)), seen)

    case()
    assert sum(seen.values()) == COUNTS["sweep"]
    assert seen.get("loaded", 0) > 0 and seen.get("refused", 0) > 0, seen
