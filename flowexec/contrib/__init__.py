"""`tf.contrib`: the few TF 1.x contrib names flowexec has: `tf.contrib.training` (device
setter strategies), `tf.contrib.rnn` (the RNN cells, static_rnn) and `tf.contrib.lookup`
(vocabulary tables)."""

from flowexec.contrib import lookup, rnn, training  # noqa: F401
