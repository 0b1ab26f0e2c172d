"""The Dirichlet-Multinomial compound distribution (TF 1.x's `dirichlet_multinomial.py`)."""

from flowexec.distributions import distribution
from flowexec.distributions import util as distribution_util
from flowexec.framework import dtypes
from flowexec.framework.graph import name_scope
from flowexec.ops import array_ops, math_ops, random_ops
from flowexec.ops.random_extra_ops import random_gamma
from flowexec.ops.special_ops import lbeta

__all__ = ["DirichletMultinomial"]


class DirichletMultinomial(distribution_util.FamilyMixin, distribution.Distribution):
    """Counts of `total_count` draws from a Multinomial whose probabilities are drawn from
    Dirichlet(concentration).

    pmf(n) = total_count! / prod(n_j!) B(alpha + n) / B(alpha), counts n of shape [B..., k]
    (floats) summing to total_count.

    Args:
        total_count: float, non-negative whole numbers, broadcastable to [B...].
        concentration: float [B..., k], > 0.
        validate_args: add run-time checks (as Multinomial's; "Concentration parameter must
            be positive."; "counts last-dimension must sum to `self.total_count`").
        allow_nan_stats: kept for API compatibility.
        name: name scope (default "DirichletMultinomial").

    Example:
        >>> DirichletMultinomial(2.0, [1.0, 1.0]).prob([1.0, 1.0])  # 1/3
    """

    _batch_params = ("total_concentration",)
    _event_param = "concentration"

    def __init__(self, total_count, concentration, validate_args=False,
                 allow_nan_stats=True, name="DirichletMultinomial"):
        parameters = dict(locals())
        with name_scope(name, values=[total_count, concentration]) as name:
            self._total_count = distribution_util.convert_total_count(total_count,
                                                                      validate_args)
            self._concentration = distribution_util.convert_concentration(
                concentration, "concentration", validate_args, event_checks="categorical")
            self._total_concentration = math_ops.reduce_sum(self._concentration, -1)
        super().__init__(dtype=self._concentration.dtype, validate_args=validate_args,
                         allow_nan_stats=allow_nan_stats,
                         reparameterization_type=distribution.NOT_REPARAMETERIZED,
                         parameters=parameters,
                         graph_parents=[self._total_count, self._concentration], name=name)

    total_count = distribution_util.parameter_property("_total_count", "The number of draws.")
    concentration = distribution_util.parameter_property(
        "_concentration", "The Dirichlet concentration, [B..., k].")
    total_concentration = distribution_util.parameter_property(
        "_total_concentration", "The concentration summed over the last axis, [B...].")

    def _sample_n(self, n, seed=None):
        n_draws = math_ops.cast(self.total_count, dtype=dtypes.int32)
        k = self.event_shape_tensor()[0]
        unnormalized_logits = array_ops.reshape(
            math_ops.log(random_gamma(shape=[n], alpha=self.concentration, dtype=self.dtype,
                                      seed=seed)), shape=[-1, k])
        draws = random_ops.multinomial(
            logits=unnormalized_logits, num_samples=n_draws,
            seed=distribution_util.gen_new_seed(seed, salt="dirichlet_multinomial"))
        x = math_ops.reduce_sum(array_ops.one_hot(draws, depth=k, dtype=self.dtype), -2)
        final_shape = array_ops.concat([[n], self.batch_shape_tensor(), [k]], 0)
        return array_ops.reshape(x, final_shape)

    def _log_prob(self, counts):
        counts = self._maybe_assert_valid_sample(counts)
        ordered_prob = lbeta(self.concentration + counts) - lbeta(self.concentration)
        return ordered_prob + distribution_util.log_combinations(self.total_count, counts)

    def _prob(self, counts):
        return math_ops.exp(self._log_prob(counts))

    def _mean(self):
        return self.total_count * (self.concentration / self.total_concentration[..., None])

    def _covariance(self):
        return distribution_util.scaled_mean_covariance(
            self._variance_scale_term() * self._mean(), self._variance)

    def _variance(self):
        scale = self._variance_scale_term()
        x = scale * self._mean()
        return x * (self.total_count * scale - x)

    def _variance_scale_term(self):
        c0 = self.total_concentration[..., None]
        return math_ops.sqrt((1.0 + c0 / self.total_count) / (1.0 + c0))

    def _maybe_assert_valid_sample(self, counts):
        return distribution_util.embed_check_counts_sum(
            counts, self.total_count, self.validate_args,
            "counts last-dimension must sum to `self.total_count`")
