"""Student's t distribution (TF 1.x's `student_t.py`)."""

import numpy as np

from flowexec.distributions import distribution
from flowexec.distributions import util as distribution_util
from flowexec.ops import array_ops, check_ops, math_ops, random_ops
from flowexec.ops.constant_op import identity
from flowexec.ops.manip_ops import where_v2
from flowexec.ops.random_extra_ops import random_gamma
from flowexec.ops.special_ops import betainc, digamma, lbeta, lgamma

__all__ = ["StudentT"]


class StudentT(distribution_util.FamilyMixin, distribution.Distribution):
    """Student's t with `df` degrees of freedom, location `loc` and scale `scale`.

    pdf(x) = Gamma((df+1)/2) / (sqrt(df pi) Gamma(df/2) |scale|) (1 + y**2/df)**(-(df+1)/2),
    y = (x - loc) / scale. Samples are `loc + scale * z * rsqrt(g / df)` with z normal and g
    ~ Gamma(df/2, 1/2) (chi-squared): fully reparameterized.

    Args:
        df: float degrees of freedom, > 0.
        loc: float location(s).
        scale: float scale(s) (the sign is ignored by the density).
        validate_args: add a run-time check that `df > 0`.
        allow_nan_stats: when False, `mean` (df <= 1) and `variance` (df <= 1) raise when run
            instead of returning NaN; the variance is inf for 1 < df <= 2.
        name: name scope (default "StudentT").

    Raises:
        ValueError: the parameters have different dtypes.

    Example:
        >>> StudentT(df=3.0, loc=0.0, scale=1.0).variance()  # 3.0
    """

    _param_names = _batch_params = ("df", "loc", "scale")

    def __init__(self, df, loc, scale, validate_args=False, allow_nan_stats=True,
                 name="StudentT"):
        self._init_parameters(dict(locals()), name, {"df": df, "loc": loc, "scale": scale},
                              lambda: [check_ops.assert_positive(df)], validate_args,
                              allow_nan_stats)

    df = distribution_util.parameter_property("_df", "The degrees of freedom.")
    loc = distribution_util.parameter_property("_loc", "The location(s).")
    scale = distribution_util.parameter_property("_scale", "The scale(s).")

    def _sample_n(self, n, seed=None):
        shape = array_ops.concat([[n], self.batch_shape_tensor()], 0)
        normal_sample = random_ops.random_normal(shape, dtype=self.dtype, seed=seed)
        df = self.df * array_ops.ones(self.batch_shape_tensor(), dtype=self.dtype)
        gamma_sample = random_gamma([n], 0.5 * df, beta=0.5, dtype=self.dtype,
                                    seed=distribution_util.gen_new_seed(seed, salt="student_t"))
        samples = normal_sample * math_ops.rsqrt(gamma_sample / df)
        return samples * self.scale + self.loc

    def _log_prob(self, x):
        return self._log_unnormalized_prob(x) - self._log_normalization()

    def _log_unnormalized_prob(self, x):
        y = (x - self.loc) / self.scale
        return -0.5 * (self.df + 1.0) * math_ops.log1p(y ** 2.0 / self.df)

    def _log_normalization(self):
        return (math_ops.log(math_ops.abs(self.scale)) + 0.5 * math_ops.log(self.df)
                + 0.5 * np.log(np.pi) + lgamma(0.5 * self.df) - lgamma(0.5 * (self.df + 1.0)))

    def _cdf(self, x):
        y = (x - self.loc) / math_ops.abs(self.scale)
        x_t = self.df / (y ** 2.0 + self.df)
        # Betainc does not broadcast (TF's does not either: TF fails here on mixed shapes)
        ones = array_ops.ones_like(x_t)
        neg_cdf = 0.5 * betainc(0.5 * self.df * ones, 0.5 * ones, x_t)
        return where_v2(math_ops.less(y, 0.0), neg_cdf, 1.0 - neg_cdf)

    def _entropy(self):
        v = array_ops.ones(self.batch_shape_tensor(), dtype=self.dtype)[..., None]
        u = v * self.df[..., None]
        beta_arg = array_ops.concat([u, v], -1) / 2.0
        return (math_ops.log(math_ops.abs(self.scale)) + 0.5 * math_ops.log(self.df)
                + lbeta(beta_arg)
                + 0.5 * (self.df + 1.0) * (digamma(0.5 * (self.df + 1.0))
                                           - digamma(0.5 * self.df)))

    def _mean(self):
        mean = self.loc * array_ops.ones(self.batch_shape_tensor(), dtype=self.dtype)
        if self.allow_nan_stats:
            nan = np.array(np.nan, dtype=self.dtype.as_numpy_dtype)
            return where_v2(
                math_ops.greater(self.df, array_ops.ones(self.batch_shape_tensor(),
                                                         dtype=self.dtype)),
                mean, array_ops.fill(self.batch_shape_tensor(), nan, name="nan"))
        return distribution_util.with_dependencies([check_ops.assert_less(
            array_ops.ones([], dtype=self.dtype), self.df,
            message="mean not defined for components of df <= 1")], mean)

    def _variance(self):
        denom = where_v2(math_ops.greater(self.df, 2.0), self.df - 2.0,
                         array_ops.ones_like(self.df))
        var = (array_ops.ones(self.batch_shape_tensor(), dtype=self.dtype)
               * math_ops.square(self.scale) * self.df / denom)
        inf = np.array(np.inf, dtype=self.dtype.as_numpy_dtype)
        two = np.array(2.0, dtype=self.dtype.as_numpy_dtype)
        result_where_defined = where_v2(
            self.df > array_ops.fill(self.batch_shape_tensor(), two), var,
            array_ops.fill(self.batch_shape_tensor(), inf, name="inf"))
        if self.allow_nan_stats:
            nan = np.array(np.nan, dtype=self.dtype.as_numpy_dtype)
            return where_v2(
                math_ops.greater(self.df, array_ops.ones(self.batch_shape_tensor(),
                                                         dtype=self.dtype)),
                result_where_defined,
                array_ops.fill(self.batch_shape_tensor(), nan, name="nan"))
        return distribution_util.with_dependencies([check_ops.assert_less(
            array_ops.ones([], dtype=self.dtype), self.df,
            message="variance not defined for components of df <= 1")], result_where_defined)

    def _mode(self):
        return identity(self.loc)
