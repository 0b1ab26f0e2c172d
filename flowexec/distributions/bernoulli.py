"""The Bernoulli distribution and its KL (TF 1.x's `bernoulli.py`)."""

from flowexec.distributions import distribution, kullback_leibler
from flowexec.distributions import util as distribution_util
from flowexec.framework import dtypes
from flowexec.framework.graph import name_scope
from flowexec.ops import array_ops, math_ops, nn_ops, random_ops
from flowexec.ops.constant_op import identity

__all__ = ["Bernoulli"]


class Bernoulli(distribution_util.FamilyMixin, distribution.Distribution):
    """Bernoulli(p): P[X = 1] = p, P[X = 0] = 1 - p, parameterized by `logits` or `probs`.

    Args:
        logits: float log-odds log(p / (1 - p)) (exactly one of logits, probs).
        probs: float probabilities p in [0, 1].
        dtype: the dtype of samples (default int32).
        validate_args: add run-time checks (probs in [0, 1]: "probs has components greater
            than 1."; log_prob events must be 0/1: "Elements must be non-negative.",
            "Elements must be bool-equivalent.").
        allow_nan_stats: kept for API compatibility.
        name: name scope (default "Bernoulli").

    Raises:
        ValueError: both or neither of logits and probs ("Must pass probs or logits, but
            not both.").

    Example:
        >>> Bernoulli(probs=0.3).log_prob(1)  # log(0.3)
    """

    _param_names = _batch_params = ("logits",)

    def __init__(self, logits=None, probs=None, dtype=dtypes.int32, validate_args=False,
                 allow_nan_stats=True, name="Bernoulli"):
        parameters = dict(locals())
        with name_scope(name) as name:
            self._logits, self._probs = distribution_util.get_logits_and_probs(
                logits=logits, probs=probs, validate_args=validate_args, name=name)
        super().__init__(dtype=dtype, reparameterization_type=distribution.NOT_REPARAMETERIZED,
                         validate_args=validate_args, allow_nan_stats=allow_nan_stats,
                         parameters=parameters, graph_parents=[self._logits, self._probs],
                         name=name)

    logits = distribution_util.parameter_property("_logits", "The log-odds.")
    probs = distribution_util.parameter_property("_probs", "The probabilities of 1.")

    def _sample_n(self, n, seed=None):
        new_shape = array_ops.concat([[n], self.batch_shape_tensor()], 0)
        uniform = random_ops.random_uniform(new_shape, seed=seed, dtype=self.probs.dtype)
        sample = math_ops.less(uniform, self.probs)
        return math_ops.cast(sample, self.dtype)

    def _log_prob(self, event):
        if self.validate_args:
            event = distribution_util.embed_check_integer_casting_closed(
                event, target_dtype=dtypes.bool)
        event = math_ops.cast(event, self.logits.dtype)
        logits = self.logits
        if not (event.shape.is_fully_defined() and logits.shape.is_fully_defined()
                and event.shape == logits.shape):
            logits, event = (array_ops.ones_like(event) * logits,
                             array_ops.ones_like(logits) * event)
        return -nn_ops.sigmoid_cross_entropy_with_logits(labels=event, logits=logits)

    def _entropy(self):
        return (-self.logits * (math_ops.sigmoid(self.logits) - 1)
                + nn_ops.softplus(-self.logits))

    def _mean(self):
        return identity(self.probs)

    def _variance(self):
        return self._mean() * (1.0 - self.probs)

    def _mode(self):
        return math_ops.cast(self.probs > 0.5, self.dtype)


@kullback_leibler.RegisterKL(Bernoulli, Bernoulli)
def _kl_bernoulli_bernoulli(a, b, name=None):
    """KL(a || b) for two Bernoulli distributions, from their logits."""
    with name_scope(name, "kl_bernoulli_bernoulli", values=[a.logits, b.logits]):
        delta_probs0 = nn_ops.softplus(-b.logits) - nn_ops.softplus(-a.logits)
        delta_probs1 = nn_ops.softplus(b.logits) - nn_ops.softplus(a.logits)
        return (math_ops.sigmoid(a.logits) * delta_probs0
                + math_ops.sigmoid(-a.logits) * delta_probs1)
