"""`tf.random`: TF 1.x's random namespace (stateful ops seeded by `set_random_seed`).

Example:
    >>> import flowexec as tf
    >>> tf.random.set_random_seed(1)
    >>> x = tf.random.normal([2, 3])
"""

from flowexec.ops.candidate_sampling_ops import (
    log_uniform_candidate_sampler,
    uniform_candidate_sampler,
)
from flowexec.ops.random_ops import (
    categorical,
    get_seed,
    multinomial,
    set_random_seed,
    truncated_normal,
)
from flowexec.ops.random_ops import random_normal as normal
from flowexec.ops.random_ops import random_shuffle as shuffle
from flowexec.ops.random_ops import random_uniform as uniform

__all__ = ["categorical", "get_seed", "log_uniform_candidate_sampler", "multinomial", "normal",
           "set_random_seed", "shuffle", "truncated_normal", "uniform",
           "uniform_candidate_sampler"]
