"""The seed of every sweep run, derived from the sweep seed and the run's place in the design.

A run's seed does not depend on the order runs execute in or on how many workers there are,
so a sweep gives identical results on 1 process, N processes or Dask; adding points to a
grid leaves the seeds of the existing points unchanged.
"""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np

from negsim.sweeps.values import canonical


def run_seed(
    sweep_seed: int, params: dict[str, Any], replication: int, path_index: int | None = None
) -> int:
    """The seed of one run: a child of the sweep seed keyed by replication and parameters.

    ``SeedSequence(sweep_seed, spawn_key=(replication, *digest))`` where ``digest`` is the
    BLAKE2b hash of the run's parameter values (and continuation position), as four 32-bit
    words; the result is the first 63 bits of its generated state.
    """
    payload = {"params": params} if path_index is None else {"params": params, "at": path_index}
    digest = hashlib.blake2b(canonical(payload).encode(), digest_size=16).digest()
    words = tuple(int.from_bytes(digest[i : i + 4], "little") for i in range(0, 16, 4))
    state = np.random.SeedSequence(sweep_seed, spawn_key=(replication, *words))
    return int(state.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1))
