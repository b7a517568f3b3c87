"""One BLAS thread for every run, so that a run's numbers do not depend on the machine.

OpenBLAS splits matrix products and linear solves across threads, and the partial sums
then add up in another order: a 200-place grid's wages differ in the last bits between 1
and 2 threads, and so would timeseries.csv. Runs (and so each run of a sweep) therefore
compute with one BLAS thread (threadpoolctl). negsim's matrices are at most a few thousand
places wide, where extra threads gain little and oversubscribe a busy machine
(``benchmarks/bench_blas_threads.py``); a sweep uses the cores by running runs side by side.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


@functools.cache
def _controller() -> Any:
    """The BLAS libraries loaded by the first run (numpy's, which the solves use), found
    once: scanning them costs ~5 ms, limiting them afterwards ~0.1 ms."""
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


@contextmanager
def one_blas_thread() -> Iterator[None]:
    """Limit BLAS to one thread while the block runs (restored afterwards)."""
    with _controller().limit(limits=1, user_api="blas"):
        yield
