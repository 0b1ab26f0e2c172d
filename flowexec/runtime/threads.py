"""Thread limits: the executor threads of a session and the process-wide intra-op pools.

`inter_op_parallelism_threads` is per session: how many threads run independent ops (0:
the cores available to the process). `intra_op_parallelism_threads` applies to the
BLAS/OpenMP pools, which are process-wide, as TF's intra-op pool is.

`tf.config.threading` sets process defaults for both, used where a ConfigProto leaves 0;
they cannot change once a device runtime has started (TF's RuntimeError).
"""

import os

from devices.logical import is_initialized

_process_threads = {"inter": 0, "intra": 0}
_FROZEN = {"inter": "Inter op parallelism cannot be modified after initialization.",
           "intra": "Intra op parallelism cannot be modified after initialization."}


def set_process_threads(kind, n):
    """Sets the process default of "inter" or "intra" op threads (0: the system's)."""
    n = int(n)
    if n == _process_threads[kind]:
        return
    if is_initialized():
        raise RuntimeError(_FROZEN[kind])
    _process_threads[kind] = n


def process_threads(kind):
    """The process default of "inter" or "intra" op threads (0: the system's choice)."""
    return _process_threads[kind]


def inter_op_threads(config):
    """The executor threads for a ConfigProto: its setting, else the process default
    (`tf.config.threading`), else the usable cores."""
    threads = config.inter_op_parallelism_threads or _process_threads["inter"]
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
