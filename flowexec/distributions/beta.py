"""The Beta distribution and its KL (TF 1.x's `beta.py`). Samples are g1 / (g1 + g0) for
gammas g1 ~ Gamma(concentration1), g0 ~ Gamma(concentration0), reparameterized through
RandomGamma's implicit gradient."""

import numpy as np

from flowexec.distributions import distribution, kullback_leibler
from flowexec.distributions import util as distribution_util
from flowexec.framework.graph import name_scope
from flowexec.ops import array_ops, check_ops, math_ops
from flowexec.ops.division_ops import xlogy
from flowexec.ops.manip_ops import where_v2
from flowexec.ops.random_extra_ops import random_gamma
from flowexec.ops.special_ops import betainc, digamma, lgamma

__all__ = ["Beta"]


class Beta(distribution_util.FamilyMixin, distribution.Distribution):
    """Beta(concentration1, concentration0): pdf(x) = x**(a-1) (1-x)**(b-1) / B(a, b) on
    (0, 1), a = concentration1, b = concentration0.

    Args:
        concentration1: float a, > 0 (the "alpha" / "success" parameter).
        concentration0: float b, > 0.
        validate_args: add run-time checks ("Concentration parameter must be positive.";
            for log_prob/prob arguments "sample must be positive", "sample must be less
            than `1`.").
        allow_nan_stats: when False, `mode` raises when run if a or b <= 1 ("Mode undefined
            for concentration1 <= 1.") instead of returning NaN.
        name: name scope (default "Beta").

    Raises:
        ValueError: the parameters have different dtypes.

    Example:
        >>> Beta(2.0, 3.0).mean()  # 0.4
    """

    _param_names = ("concentration1", "concentration0")
    _batch_params = ("total_concentration",)

    def __init__(self, concentration1=None, concentration0=None, validate_args=False,
                 allow_nan_stats=True, name="Beta"):
        parameters = dict(locals())
        with name_scope(name, values=[concentration1, concentration0]) as name:
            self._concentration1 = distribution_util.convert_concentration(
                concentration1, "concentration1", validate_args)
            self._concentration0 = distribution_util.convert_concentration(
                concentration0, "concentration0", validate_args)
            check_ops.assert_same_float_dtype([self._concentration1, self._concentration0])
            self._total_concentration = self._concentration1 + self._concentration0
        super().__init__(dtype=self._total_concentration.dtype, validate_args=validate_args,
                         allow_nan_stats=allow_nan_stats,
                         reparameterization_type=distribution.FULLY_REPARAMETERIZED,
                         parameters=parameters,
                         graph_parents=[self._concentration1, self._concentration0,
                                        self._total_concentration], name=name)

    concentration1 = distribution_util.parameter_property(
        "_concentration1", "The concentration of the 1 side (alpha).")
    concentration0 = distribution_util.parameter_property(
        "_concentration0", "The concentration of the 0 side (beta).")
    total_concentration = distribution_util.parameter_property(
        "_total_concentration", "concentration1 + concentration0.")

    def _sample_n(self, n, seed=None):
        ones = array_ops.ones_like(self.total_concentration, dtype=self.dtype)
        gamma1_sample = random_gamma(shape=[n], alpha=ones * self.concentration1,
                                     dtype=self.dtype, seed=seed)
        gamma2_sample = random_gamma(shape=[n], alpha=ones * self.concentration0,
                                     dtype=self.dtype,
                                     seed=distribution_util.gen_new_seed(seed, "beta"))
        return gamma1_sample / (gamma1_sample + gamma2_sample)

    def _log_prob(self, x):
        return self._log_unnormalized_prob(x) - self._log_normalization()

    def _prob(self, x):
        return math_ops.exp(self._log_prob(x))

    def _log_cdf(self, x):
        return math_ops.log(self._cdf(x))

    def _cdf(self, x):
        # Betainc does not broadcast (TF's does not either: TF fails here on mixed shapes)
        ones = array_ops.ones_like(x) * array_ops.ones_like(self.total_concentration)
        return betainc(self.concentration1 * ones, self.concentration0 * ones, x * ones)

    def _log_unnormalized_prob(self, x):
        x = self._maybe_assert_valid_sample(x)
        return (xlogy(self.concentration1 - 1.0, x)
                + (self.concentration0 - 1.0) * math_ops.log1p(-x))

    def _log_normalization(self):
        return (lgamma(self.concentration1) + lgamma(self.concentration0)
                - lgamma(self.total_concentration))

    def _entropy(self):
        return (self._log_normalization()
                - (self.concentration1 - 1.0) * digamma(self.concentration1)
                - (self.concentration0 - 1.0) * digamma(self.concentration0)
                + (self.total_concentration - 2.0) * digamma(self.total_concentration))

    def _mean(self):
        return self._concentration1 / self._total_concentration

    def _variance(self):
        return self._mean() * (1.0 - self._mean()) / (1.0 + self.total_concentration)

    def _mode(self):
        mode = (self.concentration1 - 1.0) / (self.total_concentration - 2.0)
        if self.allow_nan_stats:
            nan = array_ops.fill(self.batch_shape_tensor(),
                                 np.array(np.nan, dtype=self.dtype.as_numpy_dtype),
                                 name="nan")
            is_defined = math_ops.logical_and(self.concentration1 > 1.0,
                                              self.concentration0 > 1.0)
            return where_v2(is_defined, mode, nan)
        return distribution_util.with_dependencies([
            check_ops.assert_less(array_ops.ones([], dtype=self.dtype), self.concentration1,
                                  message="Mode undefined for concentration1 <= 1."),
            check_ops.assert_less(array_ops.ones([], dtype=self.dtype), self.concentration0,
                                  message="Mode undefined for concentration0 <= 1.")], mode)

    def _maybe_assert_valid_sample(self, x):
        if not self.validate_args:
            return x
        return distribution_util.with_dependencies([
            check_ops.assert_positive(x, message="sample must be positive"),
            check_ops.assert_less(x, array_ops.ones([], self.dtype),
                                  message="sample must be less than `1`.")], x)


@kullback_leibler.RegisterKL(Beta, Beta)
def _kl_beta_beta(d1, d2, name=None):
    """KL(d1 || d2) for two Beta distributions, in closed form."""
    def delta(fn, is_property=True):
        fn1 = getattr(d1, fn)
        fn2 = getattr(d2, fn)
        return (fn2 - fn1) if is_property else (fn2() - fn1())

    with name_scope(name, "kl_beta_beta",
                    values=[d1.concentration1, d1.concentration0, d1.total_concentration,
                            d2.concentration1, d2.concentration0, d2.total_concentration]):
        return (delta("_log_normalization", is_property=False)
                - digamma(d1.concentration1) * delta("concentration1")
                - digamma(d1.concentration0) * delta("concentration0")
                + digamma(d1.total_concentration) * delta("total_concentration"))
