"""`tf.contrib.rnn`: where TF 1.x programs import RNN cells from. The same classes as
`tf.nn.rnn_cell` (flowexec/ops/rnn_cell_impl.py) plus `static_rnn`,
`static_bidirectional_rnn`, `static_state_saving_rnn`, `stack_bidirectional_rnn` and
`stack_bidirectional_dynamic_rnn`; contrib's extra cells (LayerNormBasicLSTMCell,
LSTMBlockCell, AttentionCellWrapper, ...) are not here.

Example:
    >>> cell = tf.contrib.rnn.LSTMCell(64, use_peepholes=True)
    >>> outputs, state = tf.contrib.rnn.static_rnn(cell, steps, dtype=tf.float32)
"""

from flowexec.ops.rnn import (  # noqa: F401
    stack_bidirectional_dynamic_rnn,
    stack_bidirectional_rnn,
    static_bidirectional_rnn,
    static_rnn,
    static_state_saving_rnn,
)
from flowexec.rnn_cell import *  # noqa: F401,F403
from flowexec.rnn_cell import __all__ as _CELLS

__all__ = list(_CELLS) + ["static_rnn", "static_bidirectional_rnn", "static_state_saving_rnn",
                          "stack_bidirectional_rnn", "stack_bidirectional_dynamic_rnn"]
