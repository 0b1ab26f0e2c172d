"""File-system ops: MatchingFiles (`tf.matching_files`, used by `Dataset.list_files`).

Host-only and stateful (the file system changes between runs), not differentiable.
"""

import glob

import numpy as np

from flowexec.framework import dtypes
from flowexec.framework.convert import convert_to_tensor
from flowexec.framework.registry import apply_op, defop
from flowexec.framework.tensor_shape import TensorShape


def _matching_files_infer(op):
    return [(dtypes.string, TensorShape([None]))]


@defop("MatchingFiles", infer=_matching_files_infer, stateful=True, device_types=("CPU",))
def _matching_files(xp, pattern):
    patterns = np.ravel(np.asarray(pattern, dtype=object))
    names = set()
    for p in patterns:
        p = p.decode("utf-8") if isinstance(p, bytes) else str(p)
        names.update(glob.glob(p))
    return np.asarray([n.encode("utf-8") for n in sorted(names)], dtype=object)


_matching_files.not_differentiable()


def matching_files(pattern, name=None):
    """The sorted file names matching a glob `pattern` (a string or vector of strings).

    Example:
        >>> files = matching_files("/data/train-*.tfrecord")   # a string vector
    """
    pattern = convert_to_tensor(pattern, dtype=dtypes.string, name="pattern")
    return apply_op("MatchingFiles", pattern, name=name or "MatchingFiles")


__all__ = ["matching_files"]
