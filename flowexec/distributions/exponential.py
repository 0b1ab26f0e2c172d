"""The Exponential distribution, a Gamma with concentration 1 (TF 1.x's `exponential.py`).

Being a Gamma subclass, it uses the Gamma-Gamma KL (the registry's MRO look-up).
"""

import numpy as np

from flowexec.distributions import gamma
from flowexec.distributions import util as distribution_util
from flowexec.framework.convert import convert_to_tensor
from flowexec.framework.graph import name_scope
from flowexec.ops import array_ops, math_ops, random_ops

__all__ = ["Exponential"]


class Exponential(gamma.Gamma):
    """Exponential(rate): pdf(x) = rate exp(-rate x), x >= 0.

    Samples are `-log(u) / rate` for u uniform in [tiny, 1): fully reparameterized.

    Args:
        rate: float rate(s), > 0.
        validate_args: add run-time checks that `rate` is positive.
        allow_nan_stats: as Gamma's; `mode()` is NaN (or raises when False) as in TF, since
            the Gamma mode rule requires concentration > 1.
        name: name scope (default "Exponential").

    Example:
        >>> Exponential(2.0).mean()  # 0.5
    """

    _param_names = ("rate",)

    def __init__(self, rate, validate_args=False, allow_nan_stats=True, name="Exponential"):
        parameters = dict(locals())
        with name_scope(name, values=[rate]) as name:
            self._rate = convert_to_tensor(rate, name="rate")
        super().__init__(concentration=array_ops.ones([], dtype=self._rate.dtype),
                         rate=self._rate, allow_nan_stats=allow_nan_stats,
                         validate_args=validate_args, name=name)
        parameters.pop("self", None)
        parameters.pop("__class__", None)
        self._parameters = parameters
        self._graph_parents += [self._rate]

    rate = distribution_util.parameter_property("_rate", "The rate(s).")

    def _log_survival_function(self, value):
        return self._log_prob(value) - math_ops.log(self._rate)

    def _sample_n(self, n, seed=None):
        shape = array_ops.concat([[n], array_ops.shape(self._rate)], 0)
        sampled = random_ops.random_uniform(
            shape, minval=np.finfo(self.dtype.as_numpy_dtype).tiny, maxval=1.0, seed=seed,
            dtype=self.dtype)
        return -math_ops.log(sampled) / self._rate
