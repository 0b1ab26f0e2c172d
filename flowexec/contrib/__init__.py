"""`tf.contrib`: the few TF 1.x contrib names flowexec has: `tf.contrib.training` (device
setter strategies) and `tf.contrib.rnn` (the RNN cells, static_rnn)."""

from flowexec.contrib import rnn, training  # noqa: F401
