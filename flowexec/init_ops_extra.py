"""More initializers: Orthogonal (`tf.orthogonal_initializer`) and UniformUnitScaling
(`tf.uniform_unit_scaling_initializer`), computed as TF computes them.

Orthogonal draws a normal matrix of shape (prod(shape[:-1]), shape[-1]) (or its transpose,
whichever is tall), takes Q of its QR decomposition with the signs of R's diagonal, and
reshapes gain * Q to `shape`: the rows (or columns) of the result are orthonormal.
"""

import math

from flowexec.framework import dtypes
from flowexec.framework.tensor_shape import as_shape
from flowexec.init_ops import Initializer, _assert_float_dtype, initializers

__all__ = ["Orthogonal", "UniformUnitScaling", "orthogonal_initializer",
           "uniform_unit_scaling_initializer"]


class Orthogonal(Initializer):
    """Initializes with a (semi-)orthogonal matrix scaled by `gain` (see the module
    docstring).

    Raises:
        ValueError: a shape of rank < 2, or a non-float dtype.

    Example:
        >>> w = tf.get_variable("w", [64, 32], initializer=tf.orthogonal_initializer())
    """

    def __init__(self, gain=1.0, seed=None, dtype=dtypes.float32):
        self.gain = gain
        self.seed = seed
        self.dtype = _assert_float_dtype(dtype)

    def __call__(self, shape, dtype=None, partition_info=None):
        from flowexec.ops import array_ops, math_ops, matrix_ops, random_ops
        from flowexec.ops.linalg_extra_ops import qr

        dtype = _assert_float_dtype(dtype or self.dtype)
        shape = as_shape(shape).as_list()
        if len(shape) < 2:
            raise ValueError("The tensor to initialize must be at least two-dimensional")
        num_rows = 1
        for d in shape[:-1]:
            num_rows *= d
        num_cols = shape[-1]
        flat = (num_rows, num_cols) if num_rows >= num_cols else (num_cols, num_rows)
        a = random_ops.random_normal(list(flat), dtype=dtype, seed=self.seed)
        q, r = qr(a, full_matrices=False)
        q = q * math_ops.sign(matrix_ops.matrix_diag_part(r))
        if num_rows < num_cols:
            q = matrix_ops.matrix_transpose(q)
        return self.gain * array_ops.reshape(q, shape)

    def get_config(self):
        return {"gain": self.gain, "seed": self.seed, "dtype": self.dtype.name}


class UniformUnitScaling(Initializer):
    """Uniform values in [-m, m] with m = factor * sqrt(3 / input_size), input_size the
    product of all but the last dimension (TF 1.x's deprecated initializer; the same as
    variance_scaling_initializer(factor**2, "fan_in", "uniform") up to its fan rule).

    Example:
        >>> init = tf.uniform_unit_scaling_initializer(factor=1.43)  # for ReLU layers
    """

    def __init__(self, factor=1.0, seed=None, dtype=dtypes.float32):
        self.factor = factor
        self.seed = seed
        self.dtype = _assert_float_dtype(dtype)

    def __call__(self, shape, dtype=None, partition_info=None):
        from flowexec.ops import random_ops

        dtype = _assert_float_dtype(dtype or self.dtype)
        shape = as_shape(shape).as_list()
        scale_shape = shape if partition_info is None else partition_info.full_shape
        input_size = 1.0
        for d in scale_shape[:-1]:
            input_size *= float(d)
        input_size = max(input_size, 1.0)
        max_val = math.sqrt(3 / input_size) * self.factor
        return random_ops.random_uniform(shape, -max_val, max_val, dtype, seed=self.seed)

    def get_config(self):
        return {"factor": self.factor, "seed": self.seed, "dtype": self.dtype.name}


orthogonal_initializer = Orthogonal
uniform_unit_scaling_initializer = UniformUnitScaling
initializers.orthogonal = Orthogonal
initializers.uniform_unit_scaling = UniformUnitScaling


def _tables_initializer(name="init_all_tables"):
    from flowexec.compat_api import tables_initializer

    return tables_initializer(name)


_tables_initializer.__doc__ = "`tf.tables_initializer` (the graph's table initializers, grouped)."
initializers.tables_initializer = _tables_initializer
