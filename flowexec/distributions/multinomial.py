"""The Multinomial distribution over count vectors (TF 1.x's `multinomial.py`)."""

from flowexec.distributions import distribution
from flowexec.distributions import util as distribution_util
from flowexec.framework import dtypes
from flowexec.framework.graph import name_scope
from flowexec.ops import array_ops, math_ops, nn_ops, random_ops
from flowexec.ops.constant_op import identity
from flowexec.ops.functional_ops import map_fn
from flowexec.ops.matrix_ops import matrix_set_diag

__all__ = ["Multinomial"]


class Multinomial(distribution_util.FamilyMixin, distribution.Distribution):
    """Multinomial(total_count, probs): counts of `total_count` draws over k classes.

    pmf(n) = total_count! / prod(n_j!) prod(p_j**n_j) for counts n (shape [B..., k])
    summing to total_count. Counts are floats, as in TF.

    Args:
        total_count: float, shape [B...], non-negative whole numbers.
        logits: float [B..., k] (exactly one of logits, probs).
        probs: float [B..., k].
        validate_args: add run-time checks (total_count non-negative and whole; counts
            non-negative, whole and "counts must sum to `self.total_count`"; probs valid).
        allow_nan_stats: kept for API compatibility.
        name: name scope (default "Multinomial").

    Raises:
        ValueError: both or neither of logits and probs.

    Example:
        >>> Multinomial(total_count=4.0, probs=[0.5, 0.5]).prob([2.0, 2.0])  # 0.375
    """

    _event_param = "_mean_val"

    def __init__(self, total_count, logits=None, probs=None, validate_args=False,
                 allow_nan_stats=True, name="Multinomial"):
        parameters = dict(locals())
        with name_scope(name, values=[total_count, logits, probs]) as name:
            self._total_count = distribution_util.convert_total_count(total_count,
                                                                      validate_args)
            self._logits, self._probs = distribution_util.get_logits_and_probs(
                logits=logits, probs=probs, multidimensional=True,
                validate_args=validate_args, name=name)
            self._mean_val = self._total_count[..., None] * self._probs
        super().__init__(dtype=self._probs.dtype,
                         reparameterization_type=distribution.NOT_REPARAMETERIZED,
                         validate_args=validate_args, allow_nan_stats=allow_nan_stats,
                         parameters=parameters,
                         graph_parents=[self._total_count, self._logits, self._probs],
                         name=name)

    total_count = distribution_util.parameter_property(
        "_total_count", "The number of draws, [B...].")
    logits = distribution_util.parameter_property("_logits", "The log-probabilities, [B..., k].")
    probs = distribution_util.parameter_property("_probs", "The class probabilities, [B..., k].")

    def _sample_n(self, n, seed=None):
        n_draws = math_ops.cast(self.total_count, dtype=dtypes.int32)
        k = self.event_shape_tensor()[0]
        n_draws = array_ops.ones_like(self.logits[..., 0], dtype=n_draws.dtype) * n_draws
        logits = array_ops.ones_like(n_draws[..., None], dtype=self.logits.dtype) * self.logits
        flat_logits = array_ops.reshape(logits, [-1, k])
        flat_ndraws = n * array_ops.reshape(n_draws, [-1])

        def _sample_single(args):
            logits, n_draw = args[0], args[1]
            x = random_ops.multinomial(logits[None, ...], n_draw, seed)
            x = array_ops.reshape(x, shape=[n, -1])
            return math_ops.reduce_sum(array_ops.one_hot(x, depth=k, dtype=self.dtype),
                                       axis=-2)

        x = map_fn(_sample_single, [flat_logits, flat_ndraws], dtype=self.dtype)
        x = array_ops.transpose(x, perm=[1, 0, 2])
        final_shape = array_ops.concat([[n], self.batch_shape_tensor(), [k]], 0)
        return array_ops.reshape(x, final_shape)

    def _log_prob(self, counts):
        return self._log_unnormalized_prob(counts) - self._log_normalization(counts)

    def _log_unnormalized_prob(self, counts):
        counts = self._maybe_assert_valid_sample(counts)
        return math_ops.reduce_sum(counts * nn_ops.log_softmax(self.logits), -1)

    def _log_normalization(self, counts):
        counts = self._maybe_assert_valid_sample(counts)
        return -distribution_util.log_combinations(self.total_count, counts)

    def _mean(self):
        return identity(self._mean_val)

    def _covariance(self):
        p = self.probs * array_ops.ones_like(self.total_count)[..., None]
        return matrix_set_diag(-math_ops.matmul(self._mean_val[..., None], p[..., None, :]),
                               self._variance())

    def _variance(self):
        p = self.probs * array_ops.ones_like(self.total_count)[..., None]
        return self._mean_val - self._mean_val * p

    def _maybe_assert_valid_sample(self, counts):
        return distribution_util.embed_check_counts_sum(
            counts, self.total_count, self.validate_args,
            "counts must sum to `self.total_count`")
