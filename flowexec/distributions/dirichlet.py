"""The Dirichlet distribution and its KL (TF 1.x's `dirichlet.py`). Samples are gammas
normalized over the last axis, reparameterized through RandomGamma's implicit gradient."""

import numpy as np

from flowexec.distributions import distribution, kullback_leibler
from flowexec.distributions import util as distribution_util
from flowexec.framework.graph import name_scope
from flowexec.ops import array_ops, check_ops, math_ops
from flowexec.ops.division_ops import xlogy
from flowexec.ops.manip_ops import where_v2
from flowexec.ops.random_extra_ops import random_gamma
from flowexec.ops.special_ops import digamma, lbeta

__all__ = ["Dirichlet"]


class Dirichlet(distribution_util.FamilyMixin, distribution.Distribution):
    """Dirichlet(concentration) over the (k-1)-simplex, k = concentration.shape[-1]:
    pdf(x) = prod(x_j**(a_j - 1)) / B(a).

    Args:
        concentration: float, shape [B..., k], > 0, k >= 2.
        validate_args: add run-time checks ("Concentration parameter must be positive.",
            "Concentration parameter must have >=1 dimensions.", "Concentration parameter
            must have event_size >= 2."; for log_prob arguments "samples must be
            positive", "sample last-dimension must sum to `1`").
        allow_nan_stats: when False, `mode` raises when run if any concentration <= 1.
        name: name scope (default "Dirichlet").

    Example:
        >>> Dirichlet([1.0, 2.0, 3.0]).mean()  # [1/6, 1/3, 1/2]
    """

    _batch_params = ("total_concentration",)
    _event_param = "concentration"

    def __init__(self, concentration, validate_args=False, allow_nan_stats=True,
                 name="Dirichlet"):
        parameters = dict(locals())
        with name_scope(name, values=[concentration]) as name:
            self._concentration = distribution_util.convert_concentration(
                concentration, "concentration", validate_args, event_checks="dirichlet")
            self._total_concentration = math_ops.reduce_sum(self._concentration, -1)
        super().__init__(dtype=self._concentration.dtype, validate_args=validate_args,
                         allow_nan_stats=allow_nan_stats,
                         reparameterization_type=distribution.FULLY_REPARAMETERIZED,
                         parameters=parameters,
                         graph_parents=[self._concentration, self._total_concentration],
                         name=name)

    concentration = distribution_util.parameter_property(
        "_concentration", "The concentration parameters, shape [B..., k].")
    total_concentration = distribution_util.parameter_property(
        "_total_concentration", "The sum of the concentrations over the last axis, shape [B...].")

    def _sample_n(self, n, seed=None):
        gamma_sample = random_gamma(shape=[n], alpha=self.concentration, dtype=self.dtype,
                                    seed=seed)
        return gamma_sample / math_ops.reduce_sum(gamma_sample, -1, keepdims=True)

    def _log_prob(self, x):
        return self._log_unnormalized_prob(x) - self._log_normalization()

    def _prob(self, x):
        return math_ops.exp(self._log_prob(x))

    def _log_unnormalized_prob(self, x):
        x = self._maybe_assert_valid_sample(x)
        return math_ops.reduce_sum(xlogy(self.concentration - 1.0, x), -1)

    def _log_normalization(self):
        return lbeta(self.concentration)

    def _entropy(self):
        k = math_ops.cast(self.event_shape_tensor()[0], self.dtype)
        return (self._log_normalization()
                + (self.total_concentration - k) * digamma(self.total_concentration)
                - math_ops.reduce_sum((self.concentration - 1.0) * digamma(self.concentration),
                                      axis=-1))

    def _mean(self):
        return self.concentration / self.total_concentration[..., None]

    def _covariance(self):
        return distribution_util.scaled_mean_covariance(
            self._variance_scale_term() * self._mean(), self._variance)

    def _variance(self):
        scale = self._variance_scale_term()
        x = scale * self._mean()
        return x * (scale - x)

    def _variance_scale_term(self):
        return math_ops.rsqrt(1.0 + self.total_concentration[..., None])

    def _mode(self):
        k = math_ops.cast(self.event_shape_tensor()[0], self.dtype)
        mode = (self.concentration - 1.0) / (self.total_concentration[..., None] - k)
        if self.allow_nan_stats:
            nan = array_ops.fill(array_ops.shape(mode),
                                 np.array(np.nan, dtype=self.dtype.as_numpy_dtype),
                                 name="nan")
            return where_v2(math_ops.reduce_all(self.concentration > 1.0, axis=-1,
                                                keepdims=True), mode, nan)
        return distribution_util.with_dependencies([check_ops.assert_less(
            array_ops.ones([], self.dtype), self.concentration,
            message="Mode undefined when any concentration <= 1")], mode)

    def _maybe_assert_valid_sample(self, x):
        if not self.validate_args:
            return x
        return distribution_util.with_dependencies([
            check_ops.assert_positive(x, message="samples must be positive"),
            check_ops.assert_near(array_ops.ones([], dtype=self.dtype),
                                  math_ops.reduce_sum(x, -1),
                                  message="sample last-dimension must sum to `1`"),
        ], x)


@kullback_leibler.RegisterKL(Dirichlet, Dirichlet)
def _kl_dirichlet_dirichlet(d1, d2, name=None):
    """KL(d1 || d2) for two Dirichlet distributions, in closed form."""
    with name_scope(name, "kl_dirichlet_dirichlet", values=[d1.concentration,
                                                            d2.concentration]):
        digamma_sum_d1 = digamma(math_ops.reduce_sum(d1.concentration, axis=-1, keepdims=True))
        digamma_diff = digamma(d1.concentration) - digamma_sum_d1
        concentration_diff = d1.concentration - d2.concentration
        return (math_ops.reduce_sum(concentration_diff * digamma_diff, axis=-1)
                - lbeta(d1.concentration) + lbeta(d2.concentration))
