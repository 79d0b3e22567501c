"""How many CPU threads a slopscope process computes with: one by default.

PyTorch's intra-op threads (and numba's) spin and oversubscribe the cores as soon as another
job runs beside them. Measured on 2 cores (`benchmarks/load.py`), the demo took 33.5 s alone and
104.1 s beside one busy process with PyTorch's default threads, against 39.1 s and 39.8 s with
one thread. Sweeps run one process per core, each with one thread, for the same reason.

The thread count is chosen once, where a process starts work (the command line's `--threads`,
a sweep worker, the tests' conftest), never inside library code; a run records the counts it
was trained and measured with (`SavedConfig.threads`). Weights depend on it in their last bits
(float sums are reduced in another order), so a run is reproduced bit for bit at the thread
counts it recorded; see docs/performance.md.
"""

from __future__ import annotations

from slopscope.errors import check_int

DEFAULT_THREADS = 1  # 0: the libraries' own default (one thread per core)


def use_threads(threads: int = DEFAULT_THREADS) -> int:
    """Set the torch intra-op and numba thread counts of this process; 0 leaves them as they
    are (in a fresh process: the libraries' defaults, one per core, or OMP_NUM_THREADS).
    Returns the torch thread count now in force."""
    import numba
    import torch

    check_int("threads", threads, minimum=0)
    if threads:
        torch.set_num_threads(threads)
        numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
    return torch.get_num_threads()


def threads_in_force() -> int:
    """The torch intra-op thread count of this process (what a run records)."""
    import torch

    return torch.get_num_threads()
