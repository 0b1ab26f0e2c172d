"""`tf.contrib`: the TF 1.x contrib names flowexec has: `tf.contrib.training` (device
setter strategies), `tf.contrib.rnn` (the RNN cells, static_rnn), `tf.contrib.lookup`
(vocabulary tables), `tf.contrib.layers` (initializers, regularizers and the layer
functions: fully_connected, conv2d, separable_conv2d, pooling, batch_norm, ...),
`tf.contrib.framework` (`arg_scope`, `add_arg_scope`, model variables, checkpoint
assignment helpers), `tf.contrib.losses` and `tf.contrib.metrics` (the deprecated contrib
losses and streaming metrics, predictions first), `tf.contrib.slim` (TF-Slim: the
namespace over those plus `learning`, `evaluation`, `summaries`, `model_analyzer`),
`tf.contrib.feature_column` (the sequence columns), `tf.contrib.crf` (the linear-chain CRF:
log likelihood, forward algorithm, Viterbi decoding) and `tf.contrib.seq2seq` (decoder
helpers, BasicDecoder, dynamic_decode, attention wrappers, beam search, sequence_loss)."""

from flowexec.contrib import framework, layers, lookup, losses, metrics, rnn, training  # noqa: F401
from flowexec.contrib import slim  # noqa: F401
from flowexec.contrib import seq2seq  # noqa: F401
from flowexec.contrib import crf  # noqa: F401
from flowexec.contrib import feature_column  # noqa: F401
