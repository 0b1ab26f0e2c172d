"""The Normal (Gaussian) distribution and its closed-form KL (TF 1.x's `normal.py`)."""

import math

from flowexec.distributions import distribution, kullback_leibler, special_math
from flowexec.distributions import util as distribution_util
from flowexec.framework.graph import name_scope
from flowexec.ops import array_ops, check_ops, math_ops, random_ops
from flowexec.ops.constant_op import constant

__all__ = ["Normal"]


class Normal(distribution_util.FamilyMixin, distribution.Distribution):
    """The Normal distribution N(loc, scale**2), batched by broadcasting `loc` and `scale`.

    pdf(x) = exp(-0.5 ((x - loc) / scale)**2) / (sqrt(2 pi) scale). Samples are
    `loc + scale * random_normal(...)`: fully reparameterized.

    Args:
        loc: float mean(s).
        scale: float standard deviation(s), > 0.
        validate_args: add a run-time check that `scale > 0` (InvalidArgumentError
            "assertion failed: [Condition x > 0 did not hold element-wise:] ...").
        allow_nan_stats: kept for API compatibility (every statistic is defined).
        name: name scope (default "Normal").

    Raises:
        ValueError: `loc` and `scale` have different dtypes.

    Example:
        >>> d = Normal(loc=[0.0, 1.0], scale=[1.0, 2.0])
        >>> d.log_prob([0.5, 0.5]), d.sample(10, seed=1)  # shapes [2], [10, 2]
    """

    _param_names = _batch_params = ("loc", "scale")

    def __init__(self, loc, scale, validate_args=False, allow_nan_stats=True, name="Normal"):
        self._init_parameters(dict(locals()), name, {"loc": loc, "scale": scale},
                              lambda: [check_ops.assert_positive(scale)], validate_args,
                              allow_nan_stats)

    loc = distribution_util.parameter_property("_loc", "The mean(s).")
    scale = distribution_util.parameter_property("_scale", "The standard deviation(s).")

    def _sample_n(self, n, seed=None):
        shape = array_ops.concat([[n], self.batch_shape_tensor()], 0)
        sampled = random_ops.random_normal(shape=shape, mean=0.0, stddev=1.0,
                                           dtype=self.loc.dtype, seed=seed)
        return sampled * self.scale + self.loc

    def _log_prob(self, x):
        return self._log_unnormalized_prob(x) - self._log_normalization()

    def _log_cdf(self, x):
        return special_math.log_ndtr(self._z(x))

    def _cdf(self, x):
        return special_math.ndtr(self._z(x))

    def _log_survival_function(self, x):
        return special_math.log_ndtr(-self._z(x))

    def _survival_function(self, x):
        return special_math.ndtr(-self._z(x))

    def _log_unnormalized_prob(self, x):
        return -0.5 * math_ops.square(self._z(x))

    def _log_normalization(self):
        return 0.5 * math.log(2.0 * math.pi) + math_ops.log(self.scale)

    def _entropy(self):
        scale = self.scale * array_ops.ones_like(self.loc)
        return 0.5 * math.log(2.0 * math.pi * math.e) + math_ops.log(scale)

    def _mean(self):
        return self.loc * array_ops.ones_like(self.scale)

    def _quantile(self, p):
        return self._inv_z(special_math.ndtri(p))

    def _stddev(self):
        return self.scale * array_ops.ones_like(self.loc)

    def _mode(self):
        return self._mean()

    def _z(self, x):
        with name_scope("standardize", values=[x]):
            return (x - self.loc) / self.scale

    def _inv_z(self, z):
        with name_scope("reconstruct", values=[z]):
            return z * self.scale + self.loc


@kullback_leibler.RegisterKL(Normal, Normal)
def _kl_normal_normal(n_a, n_b, name=None):
    """KL(n_a || n_b) = (mu_a - mu_b)^2 / (2 s_b^2) + (r - 1 - log r) / 2, r = s_a^2/s_b^2."""
    with name_scope(name, "kl_normal_normal", [n_a.loc, n_b.loc]):
        one = constant(1, dtype=n_a.dtype)
        two = constant(2, dtype=n_a.dtype)
        half = constant(0.5, dtype=n_a.dtype)
        s_a_squared = math_ops.square(n_a.scale)
        s_b_squared = math_ops.square(n_b.scale)
        ratio = s_a_squared / s_b_squared
        return (math_ops.squared_difference(n_a.loc, n_b.loc) / (two * s_b_squared)
                + half * (ratio - one - math_ops.log(ratio)))
