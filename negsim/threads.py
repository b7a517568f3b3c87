"""One BLAS thread for every run, so that a run's numbers do not depend on the machine.

OpenBLAS splits matrix products and linear solves across threads, and the partial sums
then add up in another order: a 200-place grid's wages differ in the last bits between 1
and 2 threads, and so would timeseries.csv. Runs and sweep workers therefore compute with
one BLAS thread (threadpoolctl). negsim's matrices are at most a few thousand places wide,
where extra threads gain little (``benchmarks/bench_blas_threads.py``); a sweep uses the
cores by running several runs at once instead.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def one_blas_thread() -> Iterator[None]:
    """Limit the BLAS libraries numpy and scipy loaded to one thread while the block runs."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="blas"):
        yield


def pin_blas_thread() -> None:
    """Limit BLAS to one thread for the rest of this process (sweep worker initializer)."""
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1, user_api="blas")
