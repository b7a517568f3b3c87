"""A sweep's output directory: incremental, crash-safe Parquet, the resolved sweep, a lock.

Layout of ``DIR``:

- ``sweep.resolved.toml`` — the sweep with every default filled in, written before any run.
- ``runs.parquet/`` — a Parquet dataset (a folder of ``part-NNNNNN.parquet`` files), one row
  per finished run. ``pandas.read_parquet(DIR / "runs.parquet")`` reads it whole.
- ``timeseries.parquet/`` — if recorded: the thinned time series, with a ``run_id`` column.
- ``sensitivity.csv`` — Sobol' indices (design ``sobol``).

While a sweep writes, it holds an exclusive lock on ``DIR`` itself (``flock`` on the
directory, as ``negsim run`` does): a second sweep into ``DIR`` is refused, and no lock file
is left behind (one left by an earlier version, ``.negsim-sweep.lock``, is removed).

Crash safety (SIGKILL at any moment): each part is written to a hidden temporary file
(Parquet readers skip names starting with ``.``) and renamed into place, so a part is either
absent or complete. A batch's time-series part is written *before* its runs part; the runs
part is the commit. On ``--resume``, time-series parts holding runs that are not in
``runs.parquet`` are orphans of an interrupted batch and are removed, then only the missing
runs are computed — every run ends up exactly once.

When a sweep completes, each dataset is compacted into one part sorted by ``run_id`` by
building the new folder beside the old one and swapping the two with renames; an
interrupted swap is finished on the next open (``recover``).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from negsim.output import OutputError, atomic_write
from negsim.sweeps.spec import SweepPlan, same_resolved

RUNS = "runs.parquet"
TIMESERIES = "timeseries.parquet"
RESOLVED = "sweep.resolved.toml"
SENSITIVITY = "sensitivity.csv"
FIGURE = "sweep.png"
OLD_LOCK = ".negsim-sweep.lock"
OUTPUTS = (RESOLVED, RUNS, TIMESERIES, SENSITIVITY)


class Dataset:
    """A folder of Parquet parts, appended to atomically, compacted by a folder swap."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.staging = path.with_name(path.name + ".compact")
        self.building = path.with_name(path.name + ".compact.tmp")
        self.old = path.with_name(path.name + ".old")

    def parts(self) -> list[Path]:
        return sorted(self.path.glob("part-*.parquet")) if self.path.is_dir() else []

    def next_index(self) -> int:
        indices = [int(p.stem.split("-")[1]) for p in self.parts()]
        return max(indices, default=-1) + 1

    def write(self, table: pa.Table, index: int) -> Path:
        """Write ``table`` as part ``index`` (temporary file + rename)."""
        self.path.mkdir(parents=True, exist_ok=True)
        return atomic_write(
            self.path / f"part-{index:06d}.parquet", lambda p: pq.write_table(table, p)
        )

    def read(self, columns: list[str] | None = None) -> pa.Table | None:
        """All parts as one table (None if there are none)."""
        parts = self.parts()
        if not parts:
            return None
        return pa.concat_tables(
            [pq.read_table(p, columns=columns) for p in parts], promote_options="default"
        )

    def remove_orphans(self, committed: set[int]) -> int:
        """Delete parts holding any run_id not in ``committed``; return how many."""
        removed = 0
        for part in self.parts():
            ids = pq.read_table(part, columns=["run_id"]).column("run_id").to_pylist()
            if not set(ids) <= committed:
                part.unlink()
                removed += 1
        return removed

    def remove_temporary(self) -> None:
        if self.path.is_dir():
            for tmp in self.path.glob(".part-*.tmp"):
                tmp.unlink(missing_ok=True)

    def compact(self, sort_by: list[str]) -> None:
        """Rewrite the parts as one part sorted by ``sort_by``, swapping folders by rename."""
        parts = self.parts()
        if len(parts) <= 1:
            return
        table = self.read()
        assert table is not None
        table = table.sort_by([(c, "ascending") for c in sort_by])
        shutil.rmtree(self.building, ignore_errors=True)
        self.building.mkdir()
        pq.write_table(table, self.building / "part-000000.parquet")
        os.replace(self.building, self.staging)  # staging exists only when complete
        self.recover()

    def recover(self) -> None:
        """Finish (or undo) an interrupted compaction."""
        shutil.rmtree(self.building, ignore_errors=True)
        if self.staging.is_dir():
            if self.path.is_dir():
                shutil.rmtree(self.old, ignore_errors=True)
                os.replace(self.path, self.old)
            os.replace(self.staging, self.path)
        shutil.rmtree(self.old, ignore_errors=True)


class SweepStore:
    """The output directory of one sweep, opened for writing (holds an exclusive lock)."""

    def __init__(self, out: str | Path) -> None:
        self.out = Path(out)
        self.runs = Dataset(self.out / RUNS)
        self.timeseries = Dataset(self.out / TIMESERIES)
        self._lock: int | None = None  # descriptor of the locked directory
        self._next = 0

    def open(self, plan: SweepPlan, resume: bool) -> pa.Table | None:
        """Check the directory can take this sweep, lock it, recover, write the resolved
        sweep; return the runs already finished (or None). Raises OutputError."""
        out = self.out
        if out.exists() and not out.is_dir():
            raise OutputError(f"{out}: exists and is not a directory; choose another --out")
        try:
            out.mkdir(parents=True, exist_ok=True)
            self._lock = os.open(out, os.O_RDONLY)  # held until close()
        except OSError as exc:
            raise OutputError(f"{out}: cannot write: {exc.strerror or exc}") from None
        try:
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self.close()
            raise OutputError(
                f"{out}: another negsim sweep is writing here; wait for it or choose another --out"
            ) from None
        try:
            with self._saving():
                return self._prepare(plan, resume)
        except BaseException:
            self.close()
            raise

    @contextlib.contextmanager
    def _saving(self) -> Iterator[None]:
        """OSError (a full disk, a quota, a read-only remount) as OutputError, one line; the
        parts committed before stay, so ``--resume`` goes on from them."""
        try:
            yield
        except OSError as exc:
            raise OutputError(
                f"{self.out}: cannot save results: {exc.strerror or exc}; the runs saved "
                "before are kept: make room, then run the same command with --resume"
            ) from None

    def _prepare(self, plan: SweepPlan, resume: bool) -> pa.Table | None:
        out = self.out
        resolved_text = plan.resolved_toml()
        previous = out / RESOLVED
        present = [name for name in OUTPUTS if (out / name).exists()]
        if present:
            same = previous.exists() and same_resolved(
                previous.read_text(encoding="utf-8"), resolved_text
            )
            if not same:
                raise OutputError(
                    f"{out}: already holds results of a different sweep ({', '.join(present)});"
                    " choose another --out directory or remove them"
                )
        for dataset in (self.runs, self.timeseries):
            dataset.recover()
            dataset.remove_temporary()
        for stray in out.glob(".*.tmp"):  # a file of DIR being written when a sweep died
            if any(stray.name.startswith(f".{name}.") for name in (*OUTPUTS, FIGURE)):
                stray.unlink(missing_ok=True)
        (out / OLD_LOCK).unlink(missing_ok=True)
        done = self.runs.read()
        n_done = 0 if done is None else done.num_rows
        if present and not resume:
            state = "the complete" if n_done == len(plan.runs) else "unfinished"
            raise OutputError(
                f"{out}: already holds {state} results of this sweep ({n_done} of "
                f"{len(plan.runs)} runs); pass --resume to "
                + ("reuse them" if n_done == len(plan.runs) else "finish it")
                + ", or choose another --out"
            )
        committed = set() if done is None else set(done.column("run_id").to_pylist())
        self.timeseries.remove_orphans(committed)
        atomic_write(previous, lambda p: p.write_text(resolved_text, encoding="utf-8"))
        self._next = max(self.runs.next_index(), self.timeseries.next_index())
        return done

    def append(self, runs: pa.Table, timeseries: pa.Table | None) -> None:
        """Commit a batch of finished runs: time series first, then the runs part."""
        index = self._next
        self._next += 1
        written = None
        with self._saving():
            try:
                if timeseries is not None and timeseries.num_rows:
                    written = self.timeseries.write(timeseries, index)
                self.runs.write(runs, index)
            except BaseException:
                if written is not None:  # the runs were not committed: neither are their series
                    written.unlink(missing_ok=True)
                raise

    def finish(self) -> None:
        """Compact both datasets into one sorted part each."""
        with self._saving():
            self.timeseries.compact(["run_id", "step"])
            self.runs.compact(["run_id"])

    def write_text(self, name: str, text: str) -> Path:
        with self._saving():
            return atomic_write(self.out / name, lambda p: p.write_text(text, encoding="utf-8"))

    def close(self) -> None:
        if self._lock is not None:
            with contextlib.suppress(OSError):
                fcntl.flock(self._lock, fcntl.LOCK_UN)
            os.close(self._lock)
            self._lock = None


def read_runs(out: str | Path) -> pa.Table | None:
    """The finished runs of a sweep directory (read-only; tolerates a half-done swap)."""
    dataset = Dataset(Path(out) / RUNS)
    for candidate in (dataset.path, dataset.staging, dataset.old):
        table = Dataset(candidate).read()
        if table is not None:
            return table
    return None


def read_timeseries(out: str | Path) -> pa.Table | None:
    """The recorded time series of a sweep directory, or None."""
    return Dataset(Path(out) / TIMESERIES).read()
