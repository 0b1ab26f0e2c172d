"""Thread limits: the executor threads of a session and the process-wide intra-op pools.

`inter_op_parallelism_threads` is per session: how many threads run independent ops (0:
the cores available to the process). `intra_op_parallelism_threads` applies to the
BLAS/OpenMP pools, which are process-wide, as TF's intra-op pool is.
"""

import os


def inter_op_threads(config):
    """The executor threads for a ConfigProto: its setting, else the usable cores."""
    threads = config.inter_op_parallelism_threads
    if threads and threads > 0:
        return threads
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


_intra_op_applied = None


def limit_intra_op_threads(n):
    """Applies `intra_op_parallelism_threads` to the BLAS/OpenMP pools (process-wide, like
    TF's intra-op pool). Small models run several times faster with 1 thread per op while
    the executor overlaps ops. Needs threadpoolctl (in the `train` extra)."""
    global _intra_op_applied
    if not n or n <= 0 or n == _intra_op_applied:
        return
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        import warnings

        warnings.warn("intra_op_parallelism_threads is ignored: install threadpoolctl "
                      "(pip install threadpoolctl) or set OPENBLAS_NUM_THREADS/OMP_NUM_THREADS",
                      RuntimeWarning, stacklevel=3)
        _intra_op_applied = n
        return
    threadpool_limits(limits=n)
    _intra_op_applied = n
