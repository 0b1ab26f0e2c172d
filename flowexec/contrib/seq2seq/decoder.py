"""`Decoder` and `dynamic_decode` (TF 1.15's contrib/seq2seq/python/ops/decoder.py).

`dynamic_decode` runs a decoder in one `tf.while_loop` under the variable scope "decoder":
`decoder.initialize()` gives `(finished, inputs, state)`; each iteration calls
`decoder.step(time, inputs, state)` -> `(outputs, next_state, next_inputs, finished)` and
writes `outputs` (a nest shaped as `decoder.output_size`) into TensorArrays, which are stacked
after the loop. The loop ends when every batch entry is finished or after
`maximum_iterations` steps.

An entry's sequence length is the number of steps up to and including the one where it
finished (or `maximum_iterations` when it never did). With `impute_finished`, outputs of
finished entries are zeros and their state is copied through, so the final state is each
entry's state at its last step (TensorArrays and scalars pass through unchanged). A decoder
with `tracks_own_finished` (beam search) decides `finished` itself; others have it OR-ed
with the previous value. A decoder may define `finalize(outputs, final_state,
sequence_lengths)` to post-process the stacked outputs (beam search's gather_tree).
"""

import abc

from flowexec.variable_scope import variable_scope
from flowexec.framework import dtypes, nest, tensor_shape
from flowexec.framework.convert import convert_to_tensor
from flowexec.ops import array_ops, constant_op, math_ops
from flowexec.ops import while_loop as while_loop_mod
from flowexec.ops.rnn import _transpose_batch_time
from flowexec.ops.rnn_cell_impl import _zero_state_tensors
from flowexec.ops.shape_fns import constant_value
from flowexec.ops.tensor_array_ops import TensorArray

__all__ = ["Decoder", "dynamic_decode"]


class Decoder(abc.ABC):
    """An RNN decoder's interface, run by `dynamic_decode`.

    Subclasses implement `batch_size`, `output_size` (a nest of TensorShapes, without the
    batch dimension), `output_dtype` (the same nest of dtypes), `initialize(name)` ->
    `(finished, initial_inputs, initial_state)` and `step(time, inputs, state, name)` ->
    `(outputs, next_state, next_inputs, finished)`; optionally `finalize` and
    `tracks_own_finished`.

    Example:
        >>> outputs, state, lengths = tf.contrib.seq2seq.dynamic_decode(my_decoder)
    """

    @property
    @abc.abstractmethod
    def batch_size(self):
        """The batch size of the input: an int or an int32 scalar Tensor."""

    @property
    @abc.abstractmethod
    def output_size(self):
        """A (nested) structure of TensorShapes: one step's outputs without the batch."""

    @property
    @abc.abstractmethod
    def output_dtype(self):
        """A (nested) structure of dtypes matching `output_size`."""

    @abc.abstractmethod
    def initialize(self, name=None):
        """Returns `(finished, initial_inputs, initial_state)` for the first step."""

    @abc.abstractmethod
    def step(self, time, inputs, state, name=None):
        """One decoding step: returns `(outputs, next_state, next_inputs, finished)`."""

    def finalize(self, outputs, final_state, sequence_lengths):
        """Post-processes the stacked outputs; returns `(outputs, final_state)` (here
        unchanged; a subclass's finalize that raises NotImplementedError is skipped too, as
        TF's dynamic_decode skips it)."""
        return outputs, final_state

    @property
    def tracks_own_finished(self):
        """Whether `step`'s `finished` already includes the entries finished earlier (and
        the decoder keeps finished entries' outputs and state itself)."""
        return False


def _create_zero_outputs(size, dtype, batch_size):
    def zero(s, d):
        return _zero_state_tensors(s, batch_size, d)
    return nest.map_structure(zero, size, dtype)


def _element_shape(batch_size, from_shape):
    if not isinstance(from_shape, tensor_shape.TensorShape) or from_shape.ndims == 0:
        return tensor_shape.TensorShape(None)
    value = constant_value(convert_to_tensor(batch_size))
    return tensor_shape.TensorShape([None if value is None else int(value)]).concatenate(
        from_shape)


def dynamic_decode(decoder, output_time_major=False, impute_finished=False,
                   maximum_iterations=None, parallel_iterations=32, swap_memory=False,
                   scope=None, **kwargs):
    """Runs `decoder` step by step in a `tf.while_loop` until every entry is finished.

    Args:
        decoder: a `Decoder` (BasicDecoder, BeamSearchDecoder, ...).
        output_time_major: return outputs `[time, batch, ...]` instead of
            `[batch, time, ...]`.
        impute_finished: zero the outputs of finished entries and copy their state through
            (slower, but the final state is each entry's last real one and gradients do
            not flow through steps past the end).
        maximum_iterations: an int32 scalar bounding the number of steps (None: decode until
            every entry is finished).
        parallel_iterations, swap_memory: accepted for TF compatibility.
        scope: variable scope (default "decoder").
        **kwargs: ignored (TF passes them on to `initialize` only in its v2 decoders).

    Returns:
        `(final_outputs, final_state, final_sequence_lengths)`: the stacked outputs (after
        `decoder.finalize` if it has one), the last state, and int32 `[batch]` lengths.

    Raises:
        TypeError: `decoder` is not a Decoder.
        ValueError: `maximum_iterations` is not a scalar.

    Example:
        >>> decoder = tf.contrib.seq2seq.BasicDecoder(cell, helper, cell.zero_state(b, tf.float32),
        ...                                           output_layer=tf.layers.Dense(vocab))
        >>> outputs, state, lengths = tf.contrib.seq2seq.dynamic_decode(
        ...     decoder, maximum_iterations=20)
        >>> logits, ids = outputs.rnn_output, outputs.sample_id
    """
    del kwargs
    if not isinstance(decoder, Decoder):
        raise TypeError(f"Expected decoder to be type Decoder, but saw: {type(decoder)}")
    with variable_scope(scope or "decoder"):
        if maximum_iterations is not None:
            maximum_iterations = convert_to_tensor(maximum_iterations, dtype=dtypes.int32,
                                                   name="maximum_iterations")
            if maximum_iterations.shape.ndims != 0:
                raise ValueError("maximum_iterations must be a scalar")
        initial_finished, initial_inputs, initial_state = decoder.initialize()
        zero_outputs = _create_zero_outputs(decoder.output_size, decoder.output_dtype,
                                            decoder.batch_size)
        if maximum_iterations is not None:
            initial_finished = math_ops.logical_or(initial_finished,
                                                   0 >= maximum_iterations)
        initial_sequence_lengths = array_ops.zeros_like(initial_finished, dtype=dtypes.int32)
        initial_time = constant_op.constant(0, dtype=dtypes.int32)

        def create_ta(s, d):
            return TensorArray(dtype=d, size=0, dynamic_size=True,
                               element_shape=_element_shape(decoder.batch_size, s))
        initial_outputs_ta = nest.map_structure(create_ta, decoder.output_size,
                                                decoder.output_dtype)

        def condition(unused_time, unused_outputs_ta, unused_state, unused_inputs, finished,
                      unused_sequence_lengths):
            return math_ops.logical_not(math_ops.reduce_all(finished))

        def body(time, outputs_ta, state, inputs, finished, sequence_lengths):
            (next_outputs, decoder_state, next_inputs,
             decoder_finished) = decoder.step(time, inputs, state)
            if decoder.tracks_own_finished:
                next_finished = decoder_finished
            else:
                next_finished = math_ops.logical_or(decoder_finished, finished)
            next_sequence_lengths = math_ops.where(
                math_ops.logical_not(finished),
                array_ops.fill(array_ops.shape(sequence_lengths), time + 1),
                sequence_lengths)
            nest.assert_same_structure(state, decoder_state)
            nest.assert_same_structure(outputs_ta, next_outputs)
            nest.assert_same_structure(inputs, next_inputs)
            if impute_finished:
                emit = nest.map_structure(
                    lambda out, zero: math_ops.where(finished, zero, out), next_outputs,
                    zero_outputs)
            else:
                emit = next_outputs

            def maybe_copy_state(new, cur):
                if isinstance(cur, TensorArray):
                    return new
                new.set_shape(cur.shape)
                if new.shape.ndims == 0:
                    return new
                out = math_ops.where(finished, cur, new)
                out.set_shape(new.shape)
                return out
            next_state = nest.map_structure(maybe_copy_state, decoder_state, state) \
                if impute_finished else decoder_state
            outputs_ta = nest.map_structure(lambda ta, out: ta.write(time, out), outputs_ta,
                                            emit)
            return (time + 1, outputs_ta, next_state, next_inputs, next_finished,
                    next_sequence_lengths)

        res = while_loop_mod.while_loop(
            condition, body,
            loop_vars=(initial_time, initial_outputs_ta, initial_state, initial_inputs,
                       initial_finished, initial_sequence_lengths),
            parallel_iterations=parallel_iterations, maximum_iterations=maximum_iterations,
            swap_memory=swap_memory)
        final_outputs_ta, final_state, final_sequence_lengths = res[1], res[2], res[5]
        final_outputs = nest.map_structure(lambda ta: ta.stack(), final_outputs_ta)
        try:
            final_outputs, final_state = decoder.finalize(final_outputs, final_state,
                                                          final_sequence_lengths)
        except NotImplementedError:
            pass
        if not output_time_major:
            final_outputs = nest.map_structure(_transpose_batch_time, final_outputs)
    return final_outputs, final_state, final_sequence_lengths
