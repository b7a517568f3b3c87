"""Run a sweep on any ``concurrent.futures.Executor``: local processes, Dask, or in-process.

One code path for every executor: runs are submitted as tasks (at most a few per worker in
flight), their one-row summaries come back as they finish and are committed to Parquet in
batches (every ``flush_seconds``). Runs an ensemble can take go in batches
(``execute_ensemble``), a continuation's chains whole (``execute_chains``, each run starting
from the final shares of the one before it); otherwise a continuation run is submitted
only once the run before it on its chain has finished. A run is a pure function of its
scenario and seed, so the results do not depend on the executor, the number of workers or
the order runs finish.
"""

from __future__ import annotations

import json
import os
import time
import warnings
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Executor, Future, wait
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
from tqdm.auto import tqdm

from negsim.economies.base import EquilibriumError
from negsim.scenario import Scenario
from negsim.sweeps.designs import RunSpec
from negsim.sweeps.spec import SweepError, SweepPlan, load_sweep, plan_sweep
from negsim.sweeps.store import SENSITIVITY, SweepStore, read_timeseries

SUMMARY_COLUMNS: list[tuple[str, pa.DataType]] = [
    ("regime", pa.string()),
    ("largest_share", pa.float64()),
    ("n_clusters", pa.int64()),
    ("herfindahl", pa.float64()),
    ("core", pa.string()),
    ("final_shares", pa.list_(pa.float64())),
    ("steps", pa.int64()),
    ("converged", pa.bool_()),
    ("wall_time", pa.float64()),
    ("error", pa.string()),
]
"""Columns of runs.parquet after the run id, the varied parameters, replication and seed."""

EFFECT_COLUMNS: list[tuple[str, pa.DataType]] = [
    ("baseline_regime", pa.string()),
    ("baseline_largest_share", pa.float64()),
    ("baseline_final_shares", pa.list_(pa.float64())),
    ("largest_gainer", pa.string()),
    ("largest_gain_pp", pa.float64()),
    ("largest_loser", pa.string()),
    ("largest_loss_pp", pa.float64()),
    ("total_absolute_change", pa.float64()),
]
"""Columns runs.parquet adds with ``[record] effects = true``: the run against its baseline,
the same scenario and seed without its ``[[policies]]`` (``runner.run_with_baseline``;
the definitions are ``negsim.effects.policy_effect``'s)."""

ENSEMBLE_CHUNK = 5000
"""The most runs one task steps as an ensemble (``Ensemble.WIDTH`` of them at a time). A
sweep is cut into about two tasks per worker (``max_in_flight`` is four per worker), so a
worker's slowest runs overlap its others and no worker idles long at the end."""

CHAIN_CHUNK = 32
"""The most continuation chains one task steps side by side (``execute_chains``). A sweep's
chains are shared out over about one task per worker, in tasks of at most this many: a
task's rows come back (and are committed, and counted on the progress bar) when all its
chains have ended, and 32 chains side by side cost about a fifth a run of one alone (2,000
workers: 0.09 against 0.43 ms a step)."""

DOMAIN_ERRORS: tuple[type[BaseException], ...] = (EquilibriumError, FloatingPointError)
"""Failures that belong to a run (recorded in its ``error`` column) rather than to the sweep."""


class SweepRunError(RuntimeError):
    """The sweep could not go on (e.g. a worker process died); finished runs are saved."""


@dataclass
class RunOutput:
    """What a worker sends back for one run."""

    run_id: int
    row: dict[str, Any]
    timeseries: pd.DataFrame | None


def execute_run(
    run_id: int, scenario: Scenario, timeseries_every: int = 0, effects: bool = False
) -> RunOutput:
    """Run one scenario and summarise it as one row (runs in the worker process); with
    ``effects`` also its baseline on the same seed, and the ``EFFECT_COLUMNS``.

    ``n_clusters`` is the summary's own count where the runner provides it; otherwise 1 for
    an agglomerated, 0 for a dispersed and null for a partial outcome.
    """
    from negsim.runner import run, run_with_baseline

    start = time.perf_counter()
    baseline = None
    try:
        if effects:
            result, baseline = run_with_baseline(scenario)
        else:
            result = run(scenario)
    except DOMAIN_ERRORS as exc:
        row = dict.fromkeys(name for name, _ in SUMMARY_COLUMNS)
        row["wall_time"] = time.perf_counter() - start
        row["error"] = f"{type(exc).__name__}: {exc}"
        return RunOutput(run_id, row, None)
    row = summary_row(result.summary, time.perf_counter() - start)
    summary = result.summary
    if baseline is not None:
        effect = summary["policy_effect"]
        row.update(
            baseline_regime=baseline.summary["regime"],
            baseline_largest_share=float(baseline.summary["largest_share"]),
            baseline_final_shares=[float(s) for s in baseline.summary["final_shares"].values()],
            **{name: effect[name] for name, _ in EFFECT_COLUMNS[3:]},
        )
    return RunOutput(run_id, row, _thin(result.timeseries, timeseries_every, run_id))


def summary_row(summary: dict[str, Any], wall_time: float) -> dict[str, Any]:
    """A run's ``SUMMARY_COLUMNS`` from its summary (``runner.summarise``, or the same keys
    of ``metrics.outcome`` with steps and converged from an ensemble)."""
    regime = summary["regime"]
    n_clusters = summary.get("n_clusters")
    if n_clusters is None:
        n_clusters = {"agglomerated": 1, "dispersed": 0}.get(regime)
    return {
        "regime": regime,
        "largest_share": float(summary["largest_share"]),
        "n_clusters": n_clusters,
        "herfindahl": float(summary["herfindahl"]),
        "core": summary.get("core"),
        "final_shares": [float(s) for s in summary["final_shares"].values()],
        "steps": int(summary["steps"]),
        "converged": bool(summary["converged"]),
        "wall_time": wall_time,
        "error": None,
    }


def execute_ensemble(runs: list[tuple[int, Scenario]]) -> list[RunOutput]:
    """Run scenarios in ensembles (``negsim.ensemble``: the rows ``execute_run`` would
    give, run by run; ``wall_time`` is the ensemble's time shared equally); a run whose
    equilibrium failed in the ensemble runs alone, which records its error."""
    from negsim.ensemble import run_ensemble
    from negsim.threads import one_blas_thread

    start = time.perf_counter()
    with one_blas_thread():
        results = run_ensemble([scenario for _, scenario in runs])
    wall = (time.perf_counter() - start) / max(len(runs), 1)
    out = []
    for (run_id, scenario), result in zip(runs, results, strict=True):
        if result is None:
            out.append(execute_run(run_id, scenario))
            continue
        out.append(RunOutput(run_id, summary_row(result.summary(), wall), None))
    return out


Chain = tuple[list[RunSpec], list[float] | None]
"""A continuation chain still to run: its runs in path order, and where the first starts
(the final shares of the run before it, None for a path's first run)."""


def execute_chains(plan: SweepPlan, chains: list[Chain]) -> list[RunOutput]:
    """Continuation chains stepped side by side in one ensemble (``Ensemble``'s ``follow``):
    each run starts from the final shares of the run before it, as ``execute_run`` of each
    in turn would, with the same rows (``wall_time``: the ensemble's time shared equally). A
    run whose equilibrium failed in the ensemble runs alone, which records its error, and
    the runs after a failed run fail; a run the ensemble cannot take (a parameter of the path
    changes its shape) runs alone, and its chain goes on."""
    from negsim.ensemble import Ensemble, EnsembleRun
    from negsim.threads import one_blas_thread

    start = time.perf_counter()
    outputs: list[RunOutput] = []
    stepped: list[dict[str, Any]] = []  # the rows the ensemble made, to share its time out
    place: dict[int, tuple[list[RunSpec], int]] = {}  # id(scenario) → (its chain, position)

    def next_run(runs: list[RunSpec], k: int, output: RunOutput) -> Scenario | None:
        """Record run ``k`` of ``runs``; the scenario of the next run for the ensemble, or
        None (the chain's end, or a failed run: the rest fail)."""
        outputs.append(output)
        while k + 1 < len(runs):
            shares = output.row["final_shares"]
            if shares is None:
                outputs.extend(
                    RunOutput(b.run_id, _failed(f"run {a.run_id} failed"), None)
                    for a, b in zip(runs[k:], runs[k + 1 :], strict=False)
                )
                return None
            k += 1
            scenario = plan.scenario(runs[k], shares)
            if ensemble.fits(scenario):
                place[id(scenario)] = (runs, k)
                return scenario
            output = execute_run(runs[k].run_id, scenario)
            outputs.append(output)
        return None

    def follow(index: int, result: EnsembleRun | None) -> Scenario | None:
        scenario = ensemble.scenarios[index]
        runs, k = place[id(scenario)]
        if result is None:
            return next_run(runs, k, execute_run(runs[k].run_id, scenario))
        stepped.append(summary_row(result.summary(), 0.0))
        return next_run(runs, k, RunOutput(runs[k].run_id, stepped[-1], None))

    heads = []
    for runs, first in chains:
        heads.append(plan.scenario(runs[0], first))
        place[id(heads[-1])] = (runs, 0)
    ensemble = Ensemble(heads, follow=follow)
    with one_blas_thread():
        ensemble.run()
    wall = (time.perf_counter() - start) / max(len(stepped), 1)
    for row in stepped:
        row["wall_time"] = wall
    return outputs


def _thin(timeseries: pd.DataFrame, every: int, run_id: int) -> pd.DataFrame | None:
    """Every ``every``-th step of a run's time series, and its last step, with ``run_id``."""
    if every <= 0:
        return None
    steps = timeseries["step"]
    keep = (steps % every == 0) | (steps == steps.max())
    thinned = timeseries.loc[keep].reset_index(drop=True)
    thinned.insert(0, "run_id", np.int64(run_id))
    return thinned


class InlineExecutor(Executor):
    """Runs each task in the calling process when it is submitted (``workers = 1``)."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        future: Future[Any] = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # noqa: BLE001 — delivered through the future
            if isinstance(exc, KeyboardInterrupt | SystemExit):
                raise
            future.set_exception(exc)
        return future


def process_executor(workers: int) -> Executor:
    """A process pool of ``workers`` processes.

    Workers start from a fork server with negsim preloaded (safe with threads in the
    calling process, and fast). As with any multiprocessing code, a *script* that sweeps
    must do so under ``if __name__ == "__main__":``. Workers exit by themselves if the
    sweeping process dies (e.g. SIGKILL), instead of lingering.
    """
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["negsim.sweeps.execute", "negsim.runner", "negsim.ensemble"])
    return ProcessPoolExecutor(
        max_workers=workers,
        mp_context=context,
        initializer=_exit_with_parent,
        initargs=(os.getpid(),),
    )


def _exit_with_parent(pid: int, interval: float = 0.5) -> None:
    """Worker initializer: a daemon thread ends this process once process ``pid`` is gone."""
    import threading

    def watch() -> None:
        while _alive(pid):
            time.sleep(interval)
        os._exit(1)

    threading.Thread(target=watch, name="negsim-parent-watch", daemon=True).start()


def _alive(pid: int) -> bool:
    """Whether process ``pid`` is running (a zombie, killed but not yet reaped, is not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # pragma: no cover - the pid now belongs to another user
        return False
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as fh:
            state = fh.read().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):  # no /proc (macOS): trust kill(0)
        return True
    return state not in ("Z", "X")


@contextmanager
def dask_executor(address: str, workers: int | None = None) -> Iterator[Executor]:
    """An executor on a Dask cluster: ``address`` of a scheduler, or ``"local"`` to start a
    ``LocalCluster`` of ``workers`` single-threaded worker processes for the duration."""
    import logging

    try:
        import dask
        from distributed import Client, LocalCluster
    except ImportError:
        raise SweepError(
            "--dask needs dask and distributed, which are not installed: pip install 'negsim[dask]'"
        ) from None

    cluster = None
    if address == "local":
        # the statistical profiler samples every worker's stack every 10 ms, holding the
        # GIL: measurable on CPU-bound Python tasks and of no use to a sweep
        with dask.config.set({"distributed.worker.profile.enabled": False}):
            cluster = LocalCluster(
                n_workers=workers or os.cpu_count() or 1,
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
                silence_logs=logging.ERROR,
            )
        client = Client(cluster)
    else:
        try:
            client = Client(address, timeout=30)
        except (OSError, TimeoutError) as exc:
            raise SweepError(f"--dask {address}: cannot connect to the scheduler: {exc}") from None
    executor = client.get_executor(pure=False)
    executor.slots = sum(client.nthreads().values())  # type: ignore[attr-defined]
    try:
        yield executor
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


@dataclass
class SweepResult:
    """Everything a sweep produced: ``runs`` (one row per run, by ``run_id``), the thinned
    ``timeseries`` (if ``record.timeseries_every``) and the Sobol' ``sensitivity`` indices
    (design ``sobol``)."""

    plan: SweepPlan
    runs: pd.DataFrame
    timeseries: pd.DataFrame | None = None
    sensitivity: pd.DataFrame | None = None


def sweep(
    spec: SweepPlan | str | Path | dict[str, Any],
    executor: Executor | None = None,
    **options: Any,
) -> pd.DataFrame:
    """Run a parameter sweep and return one row per run, sorted by ``run_id``.

    Same arguments as ``run_sweep`` (which also returns the time series and the Sobol'
    indices); e.g. ``negsim.sweep("sweeps/tomahawk.toml", out="runs/tomahawk")``.
    """
    return run_sweep(spec, executor, **options).runs


def run_sweep(
    spec: SweepPlan | str | Path | dict[str, Any],
    executor: Executor | None = None,
    *,
    out: str | Path | None = None,
    resume: bool = False,
    workers: int | None = None,
    progress: bool = False,
    flush_seconds: float = 2.0,
    max_in_flight: int | None = None,
    ensemble: bool = True,
) -> SweepResult:
    """Run a parameter sweep.

    ``spec`` is a sweep file path, a parsed sweep dict or a ``SweepPlan``; every run is
    validated before the first one starts (``SweepError``). ``executor``: any
    ``concurrent.futures.Executor``, e.g. ``distributed.Client(address).get_executor()``;
    by default a process pool of ``workers`` processes (default: all cores), or the calling
    process when ``workers == 1``. Results do not depend on the executor.

    With ``out``, finished runs are committed to ``out/runs.parquet`` at least every
    ``flush_seconds`` (plus ``timeseries.parquet``, ``sensitivity.csv`` and
    ``sweep.resolved.toml``); ``resume=True`` finishes an interrupted sweep there,
    computing only the missing runs. A directory holding another sweep is refused
    (``OutputError``). ``progress`` shows a tqdm bar (runs done/total, runs/s, ETA).
    ``ensemble``: runs an ensemble can step (``negsim.ensemble``) go in batches of up to
    ``ENSEMBLE_CHUNK``, a continuation's chains whole (up to ``CHAIN_CHUNK`` a task), the
    others alone; the results are the same either way.
    """
    plan = spec if isinstance(spec, SweepPlan) else _plan(spec)
    if workers is not None and workers < 1:
        raise ValueError(f"workers must be ≥ 1 (got {workers})")
    store = SweepStore(out) if out is not None else None
    done = store.open(plan, resume) if store is not None else None
    owned = executor is None
    try:
        if executor is None:
            n = workers or os.cpu_count() or 1
            executor = InlineExecutor() if n == 1 else process_executor(n)
        if max_in_flight is None:
            slots = getattr(executor, "slots", None) or getattr(executor, "_max_workers", None)
            max_in_flight = 4 * (slots or workers or os.cpu_count() or 1)
        runner = _Runner(
            plan, executor, store, done, progress, flush_seconds, max_in_flight, ensemble
        )
        table, series = runner.run()
        runs = table.to_pandas()
        indices = _sensitivity(plan, runs)
        if store is not None:
            store.finish()
            if indices is not None:
                store.write_text(SENSITIVITY, indices.to_csv(index=False))
            series = read_timeseries(store.out)
    finally:
        if owned and executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)
        if store is not None:
            store.close()
    timeseries = None
    if series is not None:
        timeseries = series.sort_by([("run_id", "ascending"), ("step", "ascending")]).to_pandas()
    return SweepResult(plan, runs, timeseries, indices)


def _sensitivity(plan: SweepPlan, runs: pd.DataFrame) -> pd.DataFrame | None:
    if plan.design != "sobol":
        return None
    from negsim.sweeps.analysis import sensitivity

    try:
        return sensitivity(plan, runs)
    except ValueError as exc:
        warnings.warn(f"{plan.name}: no Sobol' indices: {exc}", stacklevel=3)
        return None


def _plan(spec: str | Path | dict[str, Any]) -> SweepPlan:
    if isinstance(spec, dict):
        return plan_sweep(spec)
    return load_sweep(spec)


def runs_schema(plan: SweepPlan) -> pa.Schema:
    """The Arrow schema of runs.parquet for ``plan``.

    A varied parameter's column holds its values: numbers, booleans, lists of numbers
    (e.g. initial shares); anything else (strings, nested lists) is stored as JSON text.
    """
    fields: list[tuple[str, pa.DataType]] = [("run_id", pa.int64())]
    for p in plan.parameters:
        fields.append((p.key, _parameter_type(p.values, p.integer)))
    fields += [("replication", pa.int64()), ("seed", pa.int64())]
    if plan.design == "continuation":
        fields += [("path_index", pa.int64()), ("leg", pa.int64())]
    effects = EFFECT_COLUMNS if plan.spec.record.effects else []
    return pa.schema(fields + SUMMARY_COLUMNS + effects)


def _number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _parameter_type(values: tuple[Any, ...] | None, integer: bool) -> pa.DataType:
    if values is None:  # sampled (lhs, sobol)
        return pa.int64() if integer else pa.float64()
    if all(isinstance(v, list) and all(_number(x) for x in v) for v in values):
        return pa.list_(pa.float64())
    if all(isinstance(v, bool) for v in values):
        return pa.bool_()
    if all(isinstance(v, int) and _number(v) for v in values):
        return pa.int64()
    if all(_number(v) for v in values):
        return pa.float64()
    return pa.string()


def _column_value(value: Any, kind: pa.DataType) -> Any:
    if kind == pa.string() and not isinstance(value, str):
        return json.dumps(value)
    return value


class _Runner:
    """The scheduling loop: submit, collect, commit in batches, show progress."""

    def __init__(
        self,
        plan: SweepPlan,
        executor: Executor,
        store: SweepStore | None,
        done: pa.Table | None,
        progress: bool,
        flush_seconds: float,
        max_in_flight: int,
        ensemble: bool = True,
    ) -> None:
        self.plan = plan
        self.executor = executor
        self.store = store
        self.schema = runs_schema(plan)
        self.flush_seconds = flush_seconds
        self.max_in_flight = max(1, max_in_flight)
        self.progress = progress
        self.committed: list[pa.Table] = []
        if done is not None:
            self.committed.append(done.select(self.schema.names).cast(self.schema))
        self.done_ids = set() if done is None else set(done.column("run_id").to_pylist())
        self.final_shares: dict[int, list[float] | None] = {}
        if done is not None and plan.design == "continuation":
            ids = done.column("run_id").to_pylist()
            shares = done.column("final_shares").to_pylist()
            self.final_shares = dict(zip(ids, shares, strict=True))
        self.ensemble = ensemble
        self._pending: dict[int, Scenario] = {}
        self.rows: list[dict[str, Any]] = []
        self.series: list[pd.DataFrame] = []
        self.all_series: list[pa.Table] = []

    def run(self) -> tuple[pa.Table, pa.Table | None]:
        plan = self.plan
        every, effects = plan.spec.record.timeseries_every, plan.spec.record.effects
        successor = {r.previous: r for r in plan.runs if r.previous is not None}
        ready: deque = deque(
            r
            for r in plan.runs
            if r.run_id not in self.done_ids and (r.previous is None or r.previous in self.done_ids)
        )
        in_flight: dict[Future[Any], Any] = {}
        total = len(plan.runs)
        batching = self.ensemble and plan.design != "continuation" and not every and not effects
        chunk = min(ENSEMBLE_CHUNK, max(16, -(-len(ready) // max(1, self.max_in_flight // 2))))
        chained = deque()
        if self.ensemble and plan.design == "continuation" and not every and not effects:
            chained = self._chains(ready, successor)
        last_flush = time.monotonic()
        with tqdm(
            total=total,
            initial=len(self.done_ids),
            desc=plan.name,
            unit="run",
            disable=None if self.progress else True,
            smoothing=0.05,
        ) as bar:
            try:
                while ready or in_flight or chained:
                    while chained and len(in_flight) < self.max_in_flight:
                        chains = chained.popleft()
                        future = self.executor.submit(execute_chains, plan, chains)
                        in_flight[future] = ("chains", [r for runs, _ in chains for r in runs])
                    while ready and len(in_flight) < self.max_in_flight:
                        if batching:
                            batch = self._batch(ready, chunk)
                            if batch:
                                items = [(r.run_id, scenario) for r, scenario in batch]
                                future = self.executor.submit(execute_ensemble, items)
                                in_flight[future] = [r for r, _ in batch]
                                continue
                            if not ready:
                                break
                        run = ready.popleft()
                        start = None
                        if run.previous is not None:
                            start = self.final_shares.get(run.previous)
                            if start is None:  # the run before it failed: so does this one
                                self._record(run, _failed(f"run {run.previous} failed"), None)
                                bar.update(1)
                                if run.run_id in successor:
                                    ready.append(successor[run.run_id])
                                continue
                        scenario = self._pending.pop(run.run_id, None) or plan.scenario(run, start)
                        future = self.executor.submit(
                            execute_run, run.run_id, scenario, every, effects
                        )
                        in_flight[future] = run
                    if not in_flight:
                        continue
                    timeout = max(0.05, self.flush_seconds - (time.monotonic() - last_flush))
                    finished, _ = wait(in_flight, timeout=timeout, return_when=FIRST_COMPLETED)
                    for future in finished:
                        runs = in_flight.pop(future)
                        whole = isinstance(runs, tuple)  # chains, each to its end
                        if whole:
                            runs = runs[1]
                        if isinstance(runs, list):  # an ensemble
                            outputs = _result(future, runs[0])
                        else:
                            outputs, runs = [_result(future, runs)], [runs]
                        by_id = {output.run_id: output for output in outputs}
                        for run in runs:
                            output = by_id[run.run_id]
                            self._record(run, output.row, output.timeseries)
                            if run.run_id in successor and not whole:
                                ready.append(successor[run.run_id])
                        bar.update(len(runs))
                    if time.monotonic() - last_flush >= self.flush_seconds:
                        self._flush()
                        last_flush = time.monotonic()
            finally:
                for future in in_flight:
                    future.cancel()
                self._flush()
        table = pa.concat_tables(self.committed or [self.schema.empty_table()])
        table = table.sort_by("run_id")
        series = pa.concat_tables(self.all_series) if self.all_series else None
        return table, series

    def _chains(self, ready: deque, successor: dict[int, Any]) -> deque:
        """The continuation chains still to run, each from its first run in ``ready`` to
        the end of its path, in tasks for ``execute_chains`` (``ready`` is emptied); none,
        and ``ready`` kept, when an ensemble cannot take them all as one (``_batch``'s
        ``unsupported``, one shape and settling window)."""
        from negsim.ensemble import shape, unsupported

        chains = []
        for head in ready:
            start = None
            if head.previous is not None:
                start = self.final_shares.get(head.previous)
                if start is None:  # the run before it failed: leave the chain to run()
                    return deque()
            runs = [head]
            while runs[-1].run_id in successor:
                runs.append(successor[runs[-1].run_id])
            chains.append((runs, start))
        scenarios = [self.plan.scenario(runs[0], start) for runs, start in chains]
        kinds = {(shape(s), s.run.convergence_window) for s in scenarios}
        if not chains or len(kinds) != 1 or any(unsupported(s) for s in scenarios):
            return deque()
        ready.clear()
        workers = max(1, self.max_in_flight // 4)
        size = min(CHAIN_CHUNK, -(-len(chains) // workers))
        return deque(chains[i : i + size] for i in range(0, len(chains), size))

    def _batch(self, ready: deque, size: int) -> list[tuple[Any, Scenario]]:
        """Up to ``size`` runs from the front of ``ready`` that an ensemble can step
        (``negsim.ensemble.unsupported``); a run that cannot stops the batch and is left
        at the front, with its scenario kept, to run alone."""
        from negsim.ensemble import unsupported

        batch = []
        while ready and len(batch) < size:
            run = ready[0]
            scenario = self.plan.scenario(run)
            if unsupported(scenario) is not None:
                self._pending[run.run_id] = scenario
                break
            batch.append((ready.popleft(), scenario))
        return batch

    def _record(self, run: Any, row: dict[str, Any], series: pd.DataFrame | None) -> None:
        full: dict[str, Any] = {"run_id": run.run_id}
        for key, value in run.params.items():
            full[key] = _column_value(value, self.schema.field(key).type)
        full.update(replication=run.replication, seed=run.seed)
        if self.plan.design == "continuation":
            full.update(path_index=run.path_index, leg=run.leg)
            self.final_shares[run.run_id] = row["final_shares"]
        full.update(row)
        self.rows.append(full)
        if series is not None:
            self.series.append(series)

    def _flush(self) -> None:
        """Commit the finished runs, in run-id order (they finish in any order)."""
        if not self.rows:
            return
        self.rows.sort(key=lambda row: row["run_id"])
        table = pa.Table.from_pylist(self.rows, schema=self.schema)
        series = None
        if self.series:
            self.series.sort(key=lambda frame: int(frame["run_id"].iloc[0]))
            series = pa.Table.from_pandas(pd.concat(self.series), preserve_index=False)
        if self.store is not None:
            self.store.append(table, series)
        elif series is not None:
            self.all_series.append(series)
        self.committed.append(table)
        self.rows, self.series = [], []


def _failed(message: str) -> dict[str, Any]:
    row: dict[str, Any] = dict.fromkeys(name for name, _ in SUMMARY_COLUMNS)
    row["error"] = message
    return row


def _result(future: Future[RunOutput], run: Any) -> RunOutput:
    try:
        return future.result()
    except Exception as exc:
        from concurrent.futures.process import BrokenProcessPool

        what = f"run {run.run_id} ({', '.join(f'{k}={v}' for k, v in run.params.items())})"
        if isinstance(exc, BrokenProcessPool):
            raise SweepRunError(
                f"a worker process died during {what}; finished runs are saved, "
                "rerun with --resume to continue"
            ) from exc
        raise SweepRunError(f"{what} failed: {type(exc).__name__}: {exc}") from exc
