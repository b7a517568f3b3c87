"""The slow stress campaign (#16): mutated scenario files, ``--set`` values and sweep files
from ``tests/mutations.py``, each validated AND run (short runs) through ``negsim.cli.main``
in this process. Prints how many gave a clean one-line error, a correct run (exit 0 with
finite numbers in timeseries.csv and strict-JSON summary.json), or a failure, and lists the
failing inputs (saved under --keep DIR when given).

    python benchmarks/stress_inputs.py                    # ~5 minutes: 300 + 200 + 60 cases
    python benchmarks/stress_inputs.py --scenarios 50 --sets 50 --sweeps 10 --seed 3

A run is kept short by capping ``run.steps`` at --steps and the agents at --agents after
mutation (so the mutations still reach every other key); inputs whose resource estimate is
refused count as clean errors. Sweeps run with one process, their runs capped the same way.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import tomli_w  # noqa: E402
from hypothesis import HealthCheck, given, seed, settings  # noqa: E402
from mutations import (  # noqa: E402
    BASE_SCENARIO,
    SCENARIO_FILES,
    SCENARIOS,
    SWEEPS,
    cli_outcome,
    mutated,
    overrides,
)


def _cap(doc: dict, steps: int, agents: int) -> dict:
    """Short runs: run.steps, the agent counts and the policies' start and end steps capped
    where they are whole numbers."""
    for table, key, cap in (
        ("run", "steps", steps),
        ("population", "workers", agents),
        ("population", "firms", agents),
    ):
        node = doc.get(table)
        if isinstance(node, dict) and type(node.get(key)) is int:
            node[key] = min(node[key], cap)
    run, policies = doc.get("run"), doc.get("policies")
    last = run.get("steps") if isinstance(run, dict) else None
    last = last if type(last) is int and last >= 1 else steps
    for policy in policies if isinstance(policies, list) else []:
        for key in ("start", "end"):  # a policy must act within the run (1..run.steps)
            if isinstance(policy, dict) and type(policy.get(key)) is int:
                policy[key] = min(policy[key], last)
    return doc


def _correct_outputs(out: Path) -> str:
    """ "" when out/ holds finite results, else what is wrong."""
    import pandas as pd

    try:
        summary = json.loads(
            (out / "summary.json").read_text(),
            parse_constant=lambda c: (_ for _ in ()).throw(ValueError(c)),
        )
        table = pd.read_csv(out / "timeseries.csv")
    except (OSError, ValueError) as exc:
        return f"unreadable outputs: {exc}"
    numbers = table[["workers", "firms", "share", "wage", "price_index", "real_wage"]]
    if not math.isfinite(float(numbers.abs().to_numpy().sum())):
        return "non-finite numbers in timeseries.csv"
    if (table[["wage", "price_index"]] < 0).any().any():
        return "negative wages or price indices"
    shares = table.groupby("step")["share"].sum()
    if not ((shares - 1).abs() < 1e-9).all():
        return "shares do not sum to 1"
    if not summary.get("final_shares"):
        return "summary without final shares"
    return ""


class Campaign:
    def __init__(self, folder: Path, steps: int, agents: int) -> None:
        self.folder, self.steps, self.agents = folder, steps, agents
        self.counts: dict[str, dict[str, int]] = {}
        self.failures: list[tuple[str, str, str]] = []
        self.n = 0

    def record(self, group: str, kind: str, reason: str, shown: str) -> None:
        self.counts.setdefault(group, {}).setdefault(kind, 0)
        self.counts[group][kind] += 1
        if kind == "failure":
            self.failures.append((group, reason, shown))

    def scenario(self, doc: dict) -> None:
        self.n += 1
        path = self.folder / f"scenario-{self.n}.toml"
        try:
            text = tomli_w.dumps(_cap(doc, self.steps, self.agents))
        except (TypeError, ValueError):
            return
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        self._run(["run", str(path), "--quiet"], "scenario files", path, text, str(path))

    def sets(self, sets: list[str]) -> None:
        self.n += 1
        capped = [f"run.steps={self.steps}", f"population.workers={self.agents}"]
        argv = ["run", str(BASE_SCENARIO), "--quiet"]
        argv += [x for s in [*capped, *sets] for x in ("--set", s)]
        self._run(argv, "--set values", None, " ".join(sets), str(BASE_SCENARIO))

    def sweep(self, doc: dict) -> None:
        self.n += 1
        if isinstance(doc.get("set"), dict):
            doc["set"].update({"run.steps": self.steps, "population.workers": self.agents})
        try:
            text = tomli_w.dumps(doc)
        except (TypeError, ValueError):
            return
        path = self.folder / f"sweep-{self.n}.toml"
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        out = self.folder / f"out-{self.n}"
        argv = ["sweep", str(path), "--out", str(out), "--quiet", "--workers", "1"]
        outcome = cli_outcome(argv, str(path), *map(str, SCENARIO_FILES))
        kind = {"loaded": "correct run", "refused": "clean error"}.get(outcome.kind, "failure")
        if outcome.code == 1 and outcome.reason == "exit code 1":
            kind = "runs failed (recorded, exit 1)"  # the sweep's contract for failed runs
        if kind == "correct run" and not (out / "runs.parquet").exists():
            kind, outcome.reason = "failure", "exit 0 without runs.parquet"
        self.record("sweep files", kind, outcome.reason + " " + outcome.stderr[-300:], text)

    def _run(self, argv, group, path, shown, source) -> None:
        out = self.folder / f"out-{self.n}"
        outcome = cli_outcome([*argv, "--out", str(out)], source)
        if outcome.kind == "loaded":
            wrong = _correct_outputs(out)
            self.record(group, "failure" if wrong else "correct run", wrong, shown)
        else:
            kind = "clean error" if outcome.kind == "refused" else "failure"
            self.record(group, kind, outcome.reason + " " + outcome.stderr[-300:], shown)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenarios", type=int, default=300)
    parser.add_argument("--sets", type=int, default=200)
    parser.add_argument("--sweeps", type=int, default=60)
    parser.add_argument("--steps", type=int, default=40, help="cap on run.steps")
    parser.add_argument("--agents", type=int, default=400, help="cap on workers and firms")
    parser.add_argument("--seed", type=int, default=0, help="hypothesis seed")
    parser.add_argument("--keep", type=Path, help="save the failing inputs here")
    args = parser.parse_args()

    import os
    import warnings

    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    warnings.simplefilter("ignore")
    print(f"load average: {os.getloadavg()}")
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        campaign = Campaign(Path(tmp), args.steps, args.agents)
        options = dict(
            database=None,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=False,
        )
        for count, strategy, action in (
            (args.scenarios, mutated(SCENARIOS), campaign.scenario),
            (args.sets, overrides(), campaign.sets),
            (args.sweeps, mutated(SWEEPS), campaign.sweep),
        ):
            if count:
                seed(args.seed)(settings(max_examples=count, **options)(given(strategy)(action)))()
        print(f"{campaign.n} inputs in {time.perf_counter() - started:.0f} s")
        for group, counts in campaign.counts.items():
            total = sum(counts.values())
            shown = ", ".join(f"{kind} {n}" for kind, n in sorted(counts.items()))
            print(f"  {group}: {total}: {shown}")
        for group, reason, shown in campaign.failures[:20]:
            print(f"FAILURE ({group}): {reason.strip()[:300]}\n    input: {shown[:400]!r}")
        if args.keep and campaign.failures:
            args.keep.mkdir(parents=True, exist_ok=True)
            for i, (group, reason, shown) in enumerate(campaign.failures):
                (args.keep / f"failure-{i}.txt").write_text(f"# {group}: {reason}\n{shown}\n")
    return 1 if campaign.failures else 0


if __name__ == "__main__":
    sys.exit(main())
