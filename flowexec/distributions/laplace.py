"""The Laplace distribution (TF 1.x's `laplace.py`)."""

import math

import numpy as np

from flowexec.distributions import distribution, special_math
from flowexec.distributions import util as distribution_util
from flowexec.ops import array_ops, check_ops, math_ops, random_ops

__all__ = ["Laplace"]


class Laplace(distribution_util.FamilyMixin, distribution.Distribution):
    """The Laplace distribution, pdf(x) = exp(-|x - loc| / scale) / (2 scale).

    Samples are `loc - scale * sign(u) * log1p(-|u|)` for u uniform in (-1, 1): fully
    reparameterized.

    Args:
        loc: float location(s).
        scale: float scale(s), > 0.
        validate_args: add a run-time check that `scale > 0`.
        allow_nan_stats: kept for API compatibility.
        name: name scope (default "Laplace").

    Raises:
        ValueError: `loc` and `scale` have different dtypes.

    Example:
        >>> Laplace(0.0, 1.0).cdf(0.0)  # 0.5
    """

    _param_names = _batch_params = ("loc", "scale")

    def __init__(self, loc, scale, validate_args=False, allow_nan_stats=True, name="Laplace"):
        self._init_parameters(dict(locals()), name, {"loc": loc, "scale": scale},
                              lambda: [check_ops.assert_positive(scale)], validate_args,
                              allow_nan_stats)

    loc = distribution_util.parameter_property("_loc", "The location(s).")
    scale = distribution_util.parameter_property("_scale", "The scale(s).")

    def _sample_n(self, n, seed=None):
        shape = array_ops.concat([[n], self.batch_shape_tensor()], 0)
        np_dtype = self.dtype.as_numpy_dtype
        uniform_samples = random_ops.random_uniform(
            shape=shape, minval=np.nextafter(np_dtype(-1.0), np_dtype(0.0)), maxval=1.0,
            dtype=self.dtype, seed=seed)
        return (self.loc - self.scale * math_ops.sign(uniform_samples)
                * math_ops.log1p(-math_ops.abs(uniform_samples)))

    def _log_prob(self, x):
        return self._log_unnormalized_prob(x) - self._log_normalization()

    def _prob(self, x):
        return math_ops.exp(self._log_prob(x))

    def _log_cdf(self, x):
        return special_math.log_cdf_laplace(self._z(x))

    def _log_survival_function(self, x):
        return special_math.log_cdf_laplace(-self._z(x))

    def _cdf(self, x):
        z = self._z(x)
        return 0.5 + 0.5 * math_ops.sign(z) * (1.0 - math_ops.exp(-math_ops.abs(z)))

    def _log_unnormalized_prob(self, x):
        return -math_ops.abs(self._z(x))

    def _log_normalization(self):
        return math.log(2.0) + math_ops.log(self.scale)

    def _entropy(self):
        scale = self.scale + array_ops.zeros_like(self.loc)
        return math.log(2.0) + 1.0 + math_ops.log(scale)

    def _mean(self):
        return self.loc + array_ops.zeros_like(self.scale)

    def _stddev(self):
        return math.sqrt(2.0) * self.scale + array_ops.zeros_like(self.loc)

    def _median(self):
        return self._mean()

    def _mode(self):
        return self._mean()

    def _z(self, x):
        return (x - self.loc) / self.scale
