"""The continuous Uniform distribution on [low, high) (TF 1.x's `uniform.py`)."""

import math

from flowexec.distributions import distribution
from flowexec.distributions import util as distribution_util
from flowexec.ops import array_ops, check_ops, math_ops, random_ops
from flowexec.ops.manip_ops import where_v2
from flowexec.ops.shape_util_ops import broadcast_dynamic_shape

__all__ = ["Uniform"]


class Uniform(distribution_util.FamilyMixin, distribution.Distribution):
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

    _param_names = _batch_params = ("low", "high")

    def __init__(self, low=0.0, high=1.0, validate_args=False, allow_nan_stats=True,
                 name="Uniform"):
        self._init_parameters(dict(locals()), name, {"low": low, "high": high},
                              lambda: [check_ops.assert_less(
                                  low, high, message="uniform not defined when low >= high.")],
                              validate_args, allow_nan_stats)

    low = distribution_util.parameter_property("_low", "The lower bound(s).")
    high = distribution_util.parameter_property("_high", "The upper bound(s).")

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
