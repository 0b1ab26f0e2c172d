"""SobolSample: `tf.math.sobol_sample`, points of the Sobol low-discrepancy sequence.

Row i of the result is point `skip + 1 + i` of the unscrambled Sobol sequence (point 0, the
origin, is never produced), built by Gray code from Joe and Kuo's direction numbers
(new-joe-kuo-6.21201) with 30 bits, as TF's kernel, up to TF's 21200 dimensions. The
direction numbers and the generator are SciPy's (`scipy.stats.qmc.Sobol`, the same table);
without SciPy the kernel is an UnimplementedError. Values equal TF's bit for bit
(tests/data/tf1/sobol.npz). Where TF's int32 arithmetic overflows (points past 2**30 - 1,
giving negative values) flowexec raises InvalidArgumentError instead. The kernel runs on the
host (a GPU gets the copied result).

Example:
    >>> tf.math.sobol_sample(2, 3)  # [[0.5, 0.5], [0.75, 0.25], [0.25, 0.75]]
"""

import warnings

from flowexec import errors
from flowexec.framework import dtypes
from flowexec.framework.convert import convert_to_tensor
from flowexec.framework.graph import name_scope
from flowexec.framework.registry import apply_op, defop
from flowexec.framework.tensor_shape import TensorShape
from flowexec.ops import shape_fns

MAX_DIM = 21200  # TF's SobolSample limit
_MAX_INDEX = 2 ** 30 - 1  # the last point 30-bit direction numbers give exactly
_INT32_MAX = 2 ** 31 - 1
_DTYPES = (dtypes.float32, dtypes.float64)


def _sobol_infer(op):
    dtype = op.get_attr("dtype")
    if dtype not in _DTYPES:
        raise TypeError(f"Value passed to parameter 'dtype' has DataType {dtype.name} not in "
                        f"list of allowed values: float32, float64")
    for i, t in enumerate(op.inputs):
        shape_fns.check_dtype_in(op, (dtypes.int32,), i)
        if t.shape.ndims not in (None, 0):
            raise shape_fns.shape_error(op, f"Shape must be rank 0 but is rank {t.shape.ndims}")
    dim, num_results = (shape_fns.constant_value(t) for t in op.inputs[:2])
    dims = [None if v is None else int(v) for v in (num_results, dim)]
    return [(dtype, TensorShape(dims))]


def _qmc():
    try:
        from scipy.stats import qmc
    except ImportError as e:
        raise errors.UnimplementedError(
            None, None, "SobolSample needs SciPy's Sobol direction numbers: "
                        "pip install scipy") from e
    return qmc


@defop("SobolSample", infer=_sobol_infer, device_types=("CPU",))
def _sobol_sample(xp, dim, num_results, skip, *, dtype):
    dim, num_results, skip = int(dim), int(num_results), int(skip)
    if dim < 1:
        raise errors.InvalidArgumentError(None, None, "dim must be at least one")
    if dim > MAX_DIM:
        raise errors.InvalidArgumentError(None, None, f"dim must be at most {MAX_DIM}")
    if num_results < 1:
        raise errors.InvalidArgumentError(None, None, "num_results must be at least one")
    if skip < 0:
        raise errors.InvalidArgumentError(None, None, "skip must be non-negative")
    if num_results >= _INT32_MAX - skip:
        raise errors.InvalidArgumentError(
            None, None, f"num_results+skip must be less than {_INT32_MAX}")
    if skip + num_results > _MAX_INDEX:
        raise errors.InvalidArgumentError(
            None, None, f"num_results+skip must be at most {_MAX_INDEX} (TF's int32 "
                        f"arithmetic overflows past it)")
    engine = _qmc().Sobol(dim, scramble=False, bits=30)
    engine.fast_forward(skip + 1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "balance properties ... power of 2"
        points = engine.random(num_results)
    return xp.asarray(points.astype(dtype.as_numpy_dtype))


_sobol_sample.not_differentiable()


def sobol_sample(dim, num_results, skip=0, dtype=dtypes.float32, name=None):
    """`num_results` points of the `dim`-dimensional Sobol sequence, after `skip` points.

    Args:
        dim: positive int32 scalar, at most 21200: the dimension of each point.
        num_results: positive int32 scalar: how many points.
        skip: non-negative int32 scalar: how many initial points (after the origin) to skip.
        dtype: float32 (default) or float64.
        name: name scope (default "sobol").

    Returns:
        A `[num_results, dim]` Tensor of `dtype` with values in (0, 1).

    Raises:
        TypeError: another dtype. ValueError: a non-scalar argument.
        InvalidArgumentError: at run time, TF's "dim must be at least one", "dim must be at
            most 21200", "num_results must be at least one", "skip must be non-negative".

    Example:
        >>> sobol_sample(3, 4, skip=2, dtype=tf.float64)[0]  # [0.25, 0.75, 0.75]
    """
    with name_scope(name, "sobol", [dim, num_results, skip]):
        dim = convert_to_tensor(dim, dtype=dtypes.int32, name="dim")
        num_results = convert_to_tensor(num_results, dtype=dtypes.int32, name="num_results")
        skip = convert_to_tensor(skip, dtype=dtypes.int32, name="skip")
        return apply_op("SobolSample", dim, num_results, skip,
                        dtype=dtypes.as_dtype(dtype))


__all__ = ["sobol_sample"]
