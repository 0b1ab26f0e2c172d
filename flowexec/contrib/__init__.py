"""`tf.contrib`: the few TF 1.x contrib names flowexec has: `tf.contrib.training` (device
setter strategies), `tf.contrib.rnn` (the RNN cells, static_rnn), `tf.contrib.lookup`
(vocabulary tables), `tf.contrib.layers` (initializers, regularizers and the core layer
functions: fully_connected, conv2d, pooling, batch_norm, ...) and `tf.contrib.framework`
(`arg_scope`, `add_arg_scope`, model variables)."""

from flowexec.contrib import framework, layers, lookup, rnn, training  # noqa: F401
