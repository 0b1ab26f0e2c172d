"""`tf.nn.rnn_cell` (also `tf.contrib.rnn`): TF 1.x's RNN cells and wrappers
(flowexec/ops/rnn_cell_impl.py). Run them over a sequence with `tf.nn.static_rnn` or
`tf.nn.dynamic_rnn` (flowexec/ops/rnn.py).

Example:
    >>> cell = tf.nn.rnn_cell.BasicLSTMCell(128)
    >>> outputs, state = tf.nn.dynamic_rnn(cell, x, dtype=tf.float32)
"""

from flowexec.ops.rnn_cell_impl import (  # noqa: F401
    BasicLSTMCell,
    BasicRNNCell,
    DeviceWrapper,
    DropoutWrapper,
    GRUCell,
    LSTMCell,
    LSTMStateTuple,
    MultiRNNCell,
    ResidualWrapper,
    RNNCell,
)

__all__ = ["BasicLSTMCell", "BasicRNNCell", "DeviceWrapper", "DropoutWrapper", "GRUCell",
           "LSTMCell", "LSTMStateTuple", "MultiRNNCell", "ResidualWrapper", "RNNCell"]
