"""`BasicDecoder` (TF 1.15's contrib/seq2seq/python/ops/basic_decoder.py): one RNN cell, an
optional output layer, and a `Helper` deciding samples and next inputs.

Each step runs `cell(inputs, state)`, applies `output_layer` (e.g. a `tf.layers.Dense`
projection to the vocabulary) and asks the helper for `sample_ids` and the next inputs.
Inside `dynamic_decode` the weights are `decoder/<cell scope>/...` and
`decoder/<output layer name>/kernel`, as in TF.
"""

import collections

from flowexec.framework import nest, tensor_shape
from flowexec.framework.graph import name_scope
from flowexec.layers import base as base_layer
from flowexec.contrib.seq2seq import decoder as decoder_mod
from flowexec.contrib.seq2seq import helper as helper_mod
from flowexec.ops.rnn_cell_impl import assert_like_rnncell

__all__ = ["BasicDecoderOutput", "BasicDecoder"]


class BasicDecoderOutput(collections.namedtuple("BasicDecoderOutput",
                                                ("rnn_output", "sample_id"))):
    """One step's (or, stacked, every step's) outputs: `rnn_output` (the projected cell
    output, e.g. logits) and `sample_id` (the helper's samples)."""

    __slots__ = ()


def _layer_output_size(layer, size):
    """The output size (without batch) of `layer` applied to inputs of `size`."""
    def one(s):
        shape = tensor_shape.TensorShape([None]).concatenate(tensor_shape.as_shape(s))
        if hasattr(layer, "compute_output_shape"):
            try:
                return tensor_shape.TensorShape(layer.compute_output_shape(shape))[1:]
            except NotImplementedError:
                pass
        if hasattr(layer, "units"):
            return shape[1:-1].concatenate([layer.units])
        raise ValueError(f"Cannot tell the output size of layer {layer!r}: it has neither "
                         f"compute_output_shape nor units")
    return nest.map_structure(one, size)


def _decoder_output_size(cell, output_layer):
    """The size of a decoder's rnn_output: the cell's output size, through `output_layer`
    when there is one."""
    size = cell.output_size
    if output_layer is None:
        return size
    return _layer_output_size(output_layer, size)


class BasicDecoder(decoder_mod.Decoder):
    """A decoder made of a cell, a helper and an optional output layer.

    Args:
        cell: an RNNCell (or anything with output_size, state_size, zero_state, __call__).
        helper: a `Helper` (TrainingHelper, GreedyEmbeddingHelper, ...).
        initial_state: the cell's initial state (a nest matching `cell.state_size`).
        output_layer: an optional `tf.layers.Layer` applied to the cell output before
            sampling, e.g. `tf.layers.Dense(vocab_size, use_bias=False)`.

    Raises:
        TypeError: cell is not an RNNCell, helper not a Helper, output_layer not a Layer.

    Example:
        >>> helper = tf.contrib.seq2seq.TrainingHelper(dec_inputs, dec_lengths)
        >>> decoder = tf.contrib.seq2seq.BasicDecoder(
        ...     cell, helper, encoder_state, output_layer=tf.layers.Dense(vocab))
        >>> outputs, _, _ = tf.contrib.seq2seq.dynamic_decode(decoder)
        >>> logits = outputs.rnn_output   # [batch, time, vocab]
    """

    def __init__(self, cell, helper, initial_state, output_layer=None):
        assert_like_rnncell("cell", cell)
        if not isinstance(helper, helper_mod.Helper):
            raise TypeError(f"helper must be a Helper, received: {type(helper)}")
        if output_layer is not None and not isinstance(output_layer, base_layer.Layer):
            raise TypeError(f"output_layer must be a Layer, received: {type(output_layer)}")
        self._cell = cell
        self._helper = helper
        self._initial_state = initial_state
        self._output_layer = output_layer

    @property
    def batch_size(self):
        return self._helper.batch_size

    def _rnn_output_size(self):
        return _decoder_output_size(self._cell, self._output_layer)

    @property
    def output_size(self):
        return BasicDecoderOutput(rnn_output=self._rnn_output_size(),
                                  sample_id=self._helper.sample_ids_shape)

    @property
    def output_dtype(self):
        dtype = nest.flatten(self._initial_state)[0].dtype
        return BasicDecoderOutput(
            nest.map_structure(lambda _: dtype, self._rnn_output_size()),
            self._helper.sample_ids_dtype)

    def initialize(self, name=None):
        """`(finished, first_inputs, initial_state)`: the helper's start plus the state."""
        return self._helper.initialize() + (self._initial_state,)

    def step(self, time, inputs, state, name=None):
        """One step: `(BasicDecoderOutput(rnn_output, sample_id), next_state, next_inputs,
        finished)`."""
        with name_scope(name, "BasicDecoderStep", (time, inputs, state)):
            cell_outputs, cell_state = self._cell(inputs, state)
            if self._output_layer is not None:
                cell_outputs = self._output_layer(cell_outputs)
            sample_ids = self._helper.sample(time=time, outputs=cell_outputs, state=cell_state)
            finished, next_inputs, next_state = self._helper.next_inputs(
                time=time, outputs=cell_outputs, state=cell_state, sample_ids=sample_ids)
        return BasicDecoderOutput(cell_outputs, sample_ids), next_state, next_inputs, finished
