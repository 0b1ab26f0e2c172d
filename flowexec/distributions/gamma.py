"""The Gamma distribution (shape `concentration`, inverse scale `rate`) and its KL
(TF 1.x's `gamma.py`).

Samples come from the RandomGamma op and are reparameterized: RandomGamma's gradient (the
RandomGammaGrad op, random_extra_ops) is the implicit derivative -dF/dalpha / pdf of the
gamma CDF F, so `sample()` is differentiable in both parameters, as in TF.
"""

import numpy as np

from flowexec.distributions import distribution, kullback_leibler
from flowexec.distributions import util as distribution_util
from flowexec.framework.graph import name_scope
from flowexec.ops import array_ops, check_ops, math_ops
from flowexec.ops.division_ops import xlogy
from flowexec.ops.manip_ops import where_v2
from flowexec.ops.random_extra_ops import random_gamma
from flowexec.ops.special_ops import digamma, igamma, lgamma

__all__ = ["Gamma"]


class Gamma(distribution_util.FamilyMixin, distribution.Distribution):
    """Gamma(concentration, rate): pdf(x) = rate**a x**(a-1) exp(-rate x) / Gamma(a), x > 0.

    Args:
        concentration: float shape parameter(s) a, > 0.
        rate: float inverse scale(s), > 0.
        validate_args: add run-time checks that both are positive (and that `log_prob` /
            `cdf` arguments are positive).
        allow_nan_stats: when False, `mode` raises when run for concentration <= 1 ("mode
            not defined when any concentration <= 1") instead of returning NaN.
        name: name scope (default "Gamma").

    Raises:
        ValueError: the parameters have different dtypes.

    Example:
        >>> Gamma(concentration=3.0, rate=2.0).mean()  # 1.5
    """

    _param_names = _batch_params = ("concentration", "rate")

    def __init__(self, concentration, rate, validate_args=False, allow_nan_stats=True,
                 name="Gamma"):
        self._init_parameters(dict(locals()), name,
                              {"concentration": concentration, "rate": rate},
                              lambda: [check_ops.assert_positive(concentration),
                                       check_ops.assert_positive(rate)],
                              validate_args, allow_nan_stats)

    concentration = distribution_util.parameter_property(
        "_concentration", "The shape parameter(s).")
    rate = distribution_util.parameter_property("_rate", "The rate (inverse scale) parameter(s).")

    def _sample_n(self, n, seed=None):
        return random_gamma(shape=[n], alpha=self.concentration, beta=self.rate,
                            dtype=self.dtype, seed=seed)

    def _log_prob(self, x):
        return self._log_unnormalized_prob(x) - self._log_normalization()

    def _cdf(self, x):
        x = self._maybe_assert_valid_sample(x)
        return igamma(self.concentration, self.rate * x)

    def _log_unnormalized_prob(self, x):
        x = self._maybe_assert_valid_sample(x)
        return xlogy(self.concentration - 1.0, x) - self.rate * x

    def _log_normalization(self):
        return lgamma(self.concentration) - self.concentration * math_ops.log(self.rate)

    def _entropy(self):
        return (self.concentration - math_ops.log(self.rate) + lgamma(self.concentration)
                + (1.0 - self.concentration) * digamma(self.concentration))

    def _mean(self):
        return self.concentration / self.rate

    def _variance(self):
        return self.concentration / math_ops.square(self.rate)

    def _stddev(self):
        return math_ops.sqrt(self.concentration) / self.rate

    def _mode(self):
        mode = (self.concentration - 1.0) / self.rate
        if self.allow_nan_stats:
            nan = array_ops.fill(self.batch_shape_tensor(),
                                 np.array(np.nan, dtype=self.dtype.as_numpy_dtype),
                                 name="nan")
            return where_v2(self.concentration > 1.0, mode, nan)
        return distribution_util.with_dependencies([check_ops.assert_less(
            array_ops.ones([], self.dtype), self.concentration,
            message="mode not defined when any concentration <= 1")], mode)

    def _maybe_assert_valid_sample(self, x):
        check_ops.assert_same_float_dtype(tensors=[x], dtype=self.dtype)
        if not self.validate_args:
            return x
        return distribution_util.with_dependencies([check_ops.assert_positive(x)], x)


@kullback_leibler.RegisterKL(Gamma, Gamma)
def _kl_gamma_gamma(g0, g1, name=None):
    """KL(g0 || g1) for two Gamma distributions, in closed form."""
    with name_scope(name, "kl_gamma_gamma",
                    values=[g0.concentration, g0.rate, g1.concentration, g1.rate]):
        return ((g0.concentration - g1.concentration) * digamma(g0.concentration)
                + lgamma(g1.concentration) - lgamma(g0.concentration)
                + g1.concentration * math_ops.log(g0.rate)
                - g1.concentration * math_ops.log(g1.rate)
                + g0.concentration * (g1.rate / g0.rate - 1.0))
