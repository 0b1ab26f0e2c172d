"""The Dirichlet-Multinomial compound distribution (TF 1.x's `dirichlet_multinomial.py`)."""

from flowexec.distributions import distribution
from flowexec.distributions import util as distribution_util
from flowexec.framework import dtypes
from flowexec.framework.convert import convert_to_tensor
from flowexec.framework.graph import name_scope
from flowexec.ops import array_ops, check_ops, math_ops, random_ops
from flowexec.ops.matrix_ops import matrix_set_diag
from flowexec.ops.random_extra_ops import random_gamma
from flowexec.ops.special_ops import lbeta

__all__ = ["DirichletMultinomial"]


class DirichletMultinomial(distribution.Distribution):
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

    def __init__(self, total_count, concentration, validate_args=False,
                 allow_nan_stats=True, name="DirichletMultinomial"):
        parameters = dict(locals())
        with name_scope(name, values=[total_count, concentration]) as name:
            self._total_count = convert_to_tensor(total_count, name="total_count")
            if validate_args:
                self._total_count = distribution_util.embed_check_nonnegative_integer_form(
                    self._total_count)
            self._concentration = self._maybe_assert_valid_concentration(
                convert_to_tensor(concentration, name="concentration"), validate_args)
            self._total_concentration = math_ops.reduce_sum(self._concentration, -1)
        super().__init__(dtype=self._concentration.dtype, validate_args=validate_args,
                         allow_nan_stats=allow_nan_stats,
                         reparameterization_type=distribution.NOT_REPARAMETERIZED,
                         parameters=parameters,
                         graph_parents=[self._total_count, self._concentration], name=name)

    @property
    def total_count(self):
        """The number of draws."""
        return self._total_count

    @property
    def concentration(self):
        """The Dirichlet concentration, [B..., k]."""
        return self._concentration

    @property
    def total_concentration(self):
        """The concentration summed over the last axis, [B...]."""
        return self._total_concentration

    def _batch_shape_tensor(self):
        return array_ops.shape(self.total_concentration)

    def _batch_shape(self):
        return self.total_concentration.shape

    def _event_shape_tensor(self):
        return array_ops.shape(self.concentration)[-1:]

    def _event_shape(self):
        return self.concentration.shape.with_rank_at_least(1)[-1:]

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
        x = self._variance_scale_term() * self._mean()
        return matrix_set_diag(-math_ops.matmul(x[..., None], x[..., None, :]),
                               self._variance())

    def _variance(self):
        scale = self._variance_scale_term()
        x = scale * self._mean()
        return x * (self.total_count * scale - x)

    def _variance_scale_term(self):
        c0 = self.total_concentration[..., None]
        return math_ops.sqrt((1.0 + c0 / self.total_count) / (1.0 + c0))

    def _maybe_assert_valid_concentration(self, concentration, validate_args):
        if not validate_args:
            return concentration
        concentration = distribution_util.embed_check_categorical_event_shape(concentration)
        return distribution_util.with_dependencies([check_ops.assert_positive(
            concentration, message="Concentration parameter must be positive.")],
            concentration)

    def _maybe_assert_valid_sample(self, counts):
        if not self.validate_args:
            return counts
        counts = distribution_util.embed_check_nonnegative_integer_form(counts)
        return distribution_util.with_dependencies([check_ops.assert_equal(
            self.total_count, math_ops.reduce_sum(counts, -1),
            message="counts last-dimension must sum to `self.total_count`")], counts)
