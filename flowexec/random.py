"""`tf.random`: TF 1.x's random namespace (stateful ops seeded by `set_random_seed`).

Example:
    >>> import flowexec as tf
    >>> tf.random.set_random_seed(1)
    >>> x = tf.random.normal([2, 3])

`tf.random.experimental` holds TF's stateless seed helpers (`stateless_split`,
`stateless_fold_in`: TF's construction, flowexec's bits), `index_shuffle` (bit for bit TF's),
and the Generator names.
"""

import types

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
from flowexec.ops.candidate_sampling_extra import (
    all_candidate_sampler,
    fixed_unigram_candidate_sampler,
    learned_unigram_candidate_sampler,
)
from flowexec.ops.random_extra_ops import fold_in, split, stateless_fold_in, stateless_split
from flowexec.ops.random_index_shuffle_ops import stateless_index_shuffle
from flowexec.random_generator import (
    Algorithm,
    Generator,
    create_rng_state,
    get_global_generator,
    set_global_generator,
)
from flowexec.ops.random_extra_ops import (
    random_gamma as gamma,
    random_poisson as poisson,
    stateless_categorical,
    stateless_multinomial,
    stateless_parameterized_truncated_normal,
    stateless_random_binomial as stateless_binomial,
    stateless_random_gamma as stateless_gamma,
    stateless_random_normal as stateless_normal,
    stateless_random_poisson as stateless_poisson,
    stateless_random_uniform as stateless_uniform,
    stateless_truncated_normal,
)
from flowexec.ops.random_ops import random_normal as normal
from flowexec.ops.random_ops import random_shuffle as shuffle
from flowexec.ops.random_ops import random_uniform as uniform

__all__ = ["categorical", "get_seed", "log_uniform_candidate_sampler", "multinomial", "normal",
           "set_random_seed", "shuffle", "truncated_normal", "uniform",
           "uniform_candidate_sampler", "gamma", "poisson", "stateless_binomial",
           "stateless_categorical", "stateless_gamma", "stateless_multinomial",
           "stateless_normal", "stateless_parameterized_truncated_normal", "stateless_poisson",
           "stateless_truncated_normal", "stateless_uniform", "all_candidate_sampler",
           "fixed_unigram_candidate_sampler", "learned_unigram_candidate_sampler", "fold_in",
           "split", "Algorithm", "Generator", "create_rng_state", "get_global_generator",
           "set_global_generator"]

experimental = types.SimpleNamespace(
    Algorithm=Algorithm,
    Generator=Generator,
    create_rng_state=create_rng_state,
    get_global_generator=get_global_generator,
    set_global_generator=set_global_generator,
    index_shuffle=stateless_index_shuffle,
    stateless_fold_in=stateless_fold_in,
    stateless_split=stateless_split,
)
__all__ += ["experimental"]
