"""`tf.nn`: activations, softmax, losses, dropout (flowexec/ops/nn_ops.py), convolutions
(conv_ops.py), pooling (pooling_ops.py), LRN and fused batch norm (normalization_ops.py),
recurrent cells (`tf.nn.rnn_cell`, rnn_cell_impl.py) and the loops running them
(`static_rnn`, `dynamic_rnn`, ..., rnn.py).

`sigmoid` and `tanh` live in math_ops (they are also `tf.sigmoid`, `tf.tanh`); they are
forwarded on first access, so this module imports even before math_ops defines them.

Example:
    >>> import flowexec as tf
    >>> h = tf.nn.relu(tf.constant([-1.0, 2.0]))
"""

import types

from flowexec import rnn_cell  # noqa: F401
from flowexec.ops.candidate_sampling_ops import *
from flowexec.ops.candidate_sampling_ops import __all__ as _SAMPLING_OPS_ALL
from flowexec.ops.conv_ops import *
from flowexec.ops.conv_ops import __all__ as _CONV_OPS_ALL
from flowexec.ops.conv_transpose_ops import *
from flowexec.ops.conv_transpose_ops import __all__ as _CONV_TRANSPOSE_OPS_ALL
from flowexec.ops.ctc_decoders import *
from flowexec.ops.ctc_decoders import __all__ as _CTC_DECODERS_ALL
from flowexec.ops.ctc_ops import *
from flowexec.ops.ctc_ops import __all__ as _CTC_OPS_ALL
from flowexec.ops.embedding_ops import *
from flowexec.ops.embedding_ops import __all__ as _EMBEDDING_OPS_ALL
from flowexec.ops.image_ops import depth_to_space, space_to_depth
from flowexec.ops.candidate_sampling_extra import *  # noqa: F401,F403
from flowexec.ops.manip_ops import space_to_batch
from flowexec.ops.sort_ops import approx_max_k, approx_min_k
from flowexec.ops.nn_extra_ops import *
from flowexec.ops.nn_extra_ops import __all__ as _NN_EXTRA_OPS_ALL
from flowexec.ops.nn_ops import *
from flowexec.ops.nn_ops import __all__ as _NN_OPS_ALL
from flowexec.ops.fractional_pool_ops import *
from flowexec.ops.fractional_pool_ops import __all__ as _FRACTIONAL_POOL_OPS_ALL
from flowexec.ops.morphology_ops import *
from flowexec.ops.morphology_ops import __all__ as _MORPHOLOGY_OPS_ALL
from flowexec.ops.normalization_ops import *
from flowexec.ops.normalization_ops import __all__ as _NORMALIZATION_OPS_ALL
from flowexec.ops.pooling_ops import *
from flowexec.ops.pooling_ops import __all__ as _POOLING_OPS_ALL
from flowexec.ops.pooling_nd import *
from flowexec.ops.pooling_nd import __all__ as _POOLING_ND_ALL
from flowexec.ops.rnn import *
from flowexec.ops.rnn import __all__ as _RNN_ALL
from flowexec.ops.sampled_loss_ops import *
from flowexec.ops.sampled_loss_ops import __all__ as _SAMPLED_LOSS_OPS_ALL
from flowexec.ops.sort_ops import *
from flowexec.ops.sort_ops import __all__ as _SORT_OPS_ALL

from flowexec.ops.nn_extra_ops import general_dropout as _general_dropout
from flowexec.ops.nn_extra_ops import stateless_dropout as _stateless_dropout

_FROM_MATH_OPS = ("sigmoid", "tanh")
experimental = types.SimpleNamespace(general_dropout=_general_dropout,
                                     stateless_dropout=_stateless_dropout)


def __getattr__(name):
    if name in _FROM_MATH_OPS:
        from flowexec.ops import math_ops

        return getattr(math_ops, name)
    raise AttributeError(f"module 'flowexec.nn' has no attribute '{name}'")


__all__ = (list(_NN_OPS_ALL) + list(_EMBEDDING_OPS_ALL) + list(_SORT_OPS_ALL)
           + list(_CONV_OPS_ALL) + list(_POOLING_OPS_ALL) + list(_NORMALIZATION_OPS_ALL)
           + ["depth_to_space", "space_to_depth"] + list(_FROM_MATH_OPS)
           + list(_SAMPLING_OPS_ALL) + list(_SAMPLED_LOSS_OPS_ALL))
__all__ += list(_CONV_TRANSPOSE_OPS_ALL) + list(_POOLING_ND_ALL) + list(_MORPHOLOGY_OPS_ALL)
__all__ += list(_FRACTIONAL_POOL_OPS_ALL)
__all__ += list(_CTC_OPS_ALL) + list(_CTC_DECODERS_ALL)
__all__ += list(_NN_EXTRA_OPS_ALL) + ["space_to_batch", "rnn_cell"] + list(_RNN_ALL)
__all__ += ["all_candidate_sampler", "fixed_unigram_candidate_sampler",
            "learned_unigram_candidate_sampler", "approx_max_k", "approx_min_k"]
