"""The continuous Uniform distribution on [low, high) (TF 1.x's `uniform.py`)."""

import math

from flowexec.distributions import distribution
from flowexec.framework import dtypes
from flowexec.framework.convert import convert_to_tensor
from flowexec.framework.graph import control_dependencies, name_scope
from flowexec.framework.tensor_shape import TensorShape
from flowexec.ops import array_ops, check_ops, math_ops, random_ops
from flowexec.ops.constant_op import constant, identity
from flowexec.ops.manip_ops import where_v2
from flowexec.ops.shape_util_ops import broadcast_dynamic_shape, broadcast_static_shape

__all__ = ["Uniform"]


class Uniform(distribution.Distribution):
    """Uniform(low, high): pdf(x) = 1 / (high - low) on [low, high), 0 elsewhere.

    Samples are `low + (high - low) * random_uniform(...)`: fully reparameterized.

    Args:
        low: float lower bound(s) (default 0).
        high: float upper bound(s) (default 1), > low.
        validate_args: add a run-time check "uniform not defined when low >= high.".
        allow_nan_stats: kept for API compatibility.
        name: name scope (default "Uniform").

    Raises:
        ValueError: `low` and `high` have different dtypes.

    Example:
        >>> Uniform(0.0, 4.0).prob([1.0, 5.0])  # [0.25, 0.]
    """

    def __init__(self, low=0.0, high=1.0, validate_args=False, allow_nan_stats=True,
                 name="Uniform"):
        parameters = dict(locals())
        with name_scope(name, values=[low, high]) as name:
            with control_dependencies([check_ops.assert_less(
                    low, high, message="uniform not defined when low >= high.")]
                    if validate_args else []):
                self._low = identity(low, name="low")
                self._high = identity(high, name="high")
                check_ops.assert_same_float_dtype([self._low, self._high])
        super().__init__(dtype=self._low.dtype,
                         reparameterization_type=distribution.FULLY_REPARAMETERIZED,
                         validate_args=validate_args, allow_nan_stats=allow_nan_stats,
                         parameters=parameters, graph_parents=[self._low, self._high],
                         name=name)

    @staticmethod
    def _param_shapes(sample_shape):
        return dict(zip(("low", "high"),
                        [convert_to_tensor(sample_shape, dtype=dtypes.int32)] * 2))

    @property
    def low(self):
        """The lower bound(s)."""
        return self._low

    @property
    def high(self):
        """The upper bound(s)."""
        return self._high

    def range(self, name="range"):
        """`high - low`.

        Args:
            name: name scope.

        Returns:
            A float Tensor of the broadcast batch shape.

        Example:
            >>> Uniform(1.0, 4.0).range()  # 3.0
        """
        with self._name_scope(name):
            return self.high - self.low

    def _batch_shape_tensor(self):
        return broadcast_dynamic_shape(array_ops.shape(self.low), array_ops.shape(self.high))

    def _batch_shape(self):
        return broadcast_static_shape(self.low.shape, self.high.shape)

    def _event_shape_tensor(self):
        return constant([], dtype=dtypes.int32)

    def _event_shape(self):
        return TensorShape([])

    def _sample_n(self, n, seed=None):
        shape = array_ops.concat([[n], self.batch_shape_tensor()], 0)
        samples = random_ops.random_uniform(shape=shape, dtype=self.dtype, seed=seed)
        return self.low + self.range() * samples

    def _prob(self, x):
        broadcasted_x = x * array_ops.ones(self.batch_shape_tensor(), dtype=x.dtype)
        return where_v2(
            math_ops.is_nan(broadcasted_x), broadcasted_x,
            where_v2(math_ops.logical_or(broadcasted_x < self.low,
                                         broadcasted_x >= self.high),
                     array_ops.zeros_like(broadcasted_x),
                     array_ops.ones_like(broadcasted_x) / self.range()))

    def _cdf(self, x):
        broadcast_shape = broadcast_dynamic_shape(array_ops.shape(x),
                                                  self.batch_shape_tensor())
        zeros = array_ops.zeros(broadcast_shape, dtype=self.dtype)
        ones = array_ops.ones(broadcast_shape, dtype=self.dtype)
        broadcasted_x = x * ones
        result_if_not_big = where_v2(x < self.low, zeros,
                                     (broadcasted_x - self.low) / self.range())
        return where_v2(x >= self.high, ones, result_if_not_big)

    def _entropy(self):
        return math_ops.log(self.range())

    def _mean(self):
        return (self.low + self.high) / 2.0

    def _variance(self):
        return math_ops.square(self.range()) / 12.0

    def _stddev(self):
        return self.range() / math.sqrt(12.0)
