"""`BeamSearchDecoder` and `tile_batch` (TF 1.15's
contrib/seq2seq/python/ops/beam_search_decoder.py).

The decoder keeps `beam_width` hypotheses per batch entry. Its state holds the cell state
split to `[batch, beam, ...]`, the hypotheses' total log probabilities, which are finished,
and their lengths. Each step runs the cell on the merged `[batch * beam, ...]` inputs and
state, takes `log_softmax` of the (projected) outputs, and scores every (beam, word)
continuation:

- a finished beam can only continue with `end_token`, at no cost (its log probability and
  length are kept);
- `score = log_prob / length_penalty`, with Wu et al. (2016)'s
  `length_penalty = ((5 + length) / 6) ** length_penalty_weight` (1 when the weight is 0),
  plus, for finished beams, `coverage_penalty_weight * sum_j log(min(acc_attention_j, 1))`
  (the attention of AttentionWrapper cells accumulated over the steps; positions never
  attended count as 1);
- the `beam_width` best continuations over the flattened (beam, word) grid are kept
  (`top_k`; at time 0 only beam 0 is live: the others start at -inf).

Outputs per step are the scores, the chosen word ids and their parent beams;
`finalize` rebuilds the full sequences with `gather_tree` (`FinalBeamSearchDecoderOutput.
predicted_ids`, `[batch, time, beam]` after `dynamic_decode`'s transpose) and reorders
TensorArrays in the final cell state (alignment histories) along the chosen beams.

Memories and initial states must be tiled with `tile_batch(x, beam_width)` (batch entry `b`
becomes rows `b * beam_width ... b * beam_width + beam_width - 1`).
"""

import collections
import logging

import numpy as np

from flowexec.framework import dtypes, nest, tensor_shape
from flowexec.framework.convert import convert_to_tensor
from flowexec.framework.graph import control_dependencies, name_scope
from flowexec.framework.tensor import Tensor
from flowexec.layers import base as base_layer
from flowexec.contrib.seq2seq import attention_wrapper
from flowexec.contrib.seq2seq import decoder as decoder_mod
from flowexec.contrib.seq2seq.basic_decoder import _decoder_output_size
from flowexec.ops import (array_ops, cond as cond_mod, embedding_ops, logging_ops, math_ops,
                          nn_ops, sort_ops)
from flowexec.ops.gather_tree_ops import gather_tree
from flowexec.ops.rnn_cell_impl import assert_like_rnncell
from flowexec.ops.shape_fns import constant_value
from flowexec.ops.tensor_array_ops import TensorArray

__all__ = ["BeamSearchDecoderOutput", "BeamSearchDecoderState", "BeamSearchDecoder",
           "FinalBeamSearchDecoderOutput", "tile_batch", "gather_tree_from_array"]

_log = logging.getLogger("flowexec")


class BeamSearchDecoderState(collections.namedtuple(
        "BeamSearchDecoderState", ("cell_state", "log_probs", "finished", "lengths",
                                   "accumulated_attention_probs"))):
    """The beam search state: `cell_state` (split `[batch, beam, ...]`), `log_probs`
    `[batch, beam]`, `finished` (bool `[batch, beam]`), `lengths` (int64 `[batch, beam]`),
    `accumulated_attention_probs` (`[batch, beam, max_time]` with a coverage penalty, else
    `()`)."""

    __slots__ = ()


class BeamSearchDecoderOutput(collections.namedtuple(
        "BeamSearchDecoderOutput", ("scores", "predicted_ids", "parent_ids"))):
    """One step's outputs, each `[batch, beam]`: the chosen hypotheses' scores, their last
    word ids, and the beams they continue."""

    __slots__ = ()


class FinalBeamSearchDecoderOutput(collections.namedtuple(
        "FinalBeamOutput", ("predicted_ids", "beam_search_decoder_output"))):
    """The final outputs: `predicted_ids` `[batch, time, beam]` (time-major
    `[time, batch, beam]` with output_time_major), the whole sequences, best beam first;
    and `beam_search_decoder_output`, the stacked per-step BeamSearchDecoderOutput."""

    __slots__ = ()


def _tile_batch(t, multiplier):
    t = convert_to_tensor(t, name="t")
    shape_t = array_ops.shape(t)
    if t.shape.ndims is None or t.shape.ndims < 1:
        raise ValueError("t must have statically known rank")
    tiling = [1] * (t.shape.ndims + 1)
    tiling[1] = multiplier
    static_batch = t.shape.as_list()[0]
    tiled_static_batch = static_batch * multiplier if static_batch is not None else None
    tiled = array_ops.tile(array_ops.expand_dims(t, 1), tiling)
    tiled = array_ops.reshape(tiled, array_ops.concat(
        ([shape_t[0] * multiplier], shape_t[1:]), 0))
    tiled.set_shape(tensor_shape.TensorShape([tiled_static_batch]).concatenate(t.shape[1:]))
    return tiled


def tile_batch(t, multiplier, name=None):
    """Repeats each batch entry `multiplier` times, consecutively:
    `[batch, ...]` -> `[batch * multiplier, ...]` with rows `b * multiplier + k` = row `b`.

    Args:
        t: a Tensor or a nest of Tensors (e.g. the encoder outputs, state, lengths).
        multiplier: a Python int, e.g. the beam width.
        name: name scope (default "tile_batch").

    Returns:
        The tiled tensor(s), same structure.

    Raises:
        ValueError: a tensor of unknown rank or a scalar.

    Example:
        >>> tiled_memory = tf.contrib.seq2seq.tile_batch(encoder_outputs, multiplier=5)
    """
    flat_t = nest.flatten(t)
    with name_scope(name, "tile_batch", flat_t + [multiplier]):
        return nest.map_structure(lambda t_: _tile_batch(t_, multiplier), t)


def gather_tree_from_array(t, parent_ids, sequence_length):
    """Reorders a stacked `[time, batch * beam, ...]` tensor along the beams' ancestry.

    Args:
        t: `[max_time, batch_size * beam_width, ...]` (or `[max_time, batch, beam, ...]`).
        parent_ids: int32 `[max_time, batch_size, beam_width]`.
        sequence_length: `[batch_size, beam_width]` lengths of the final beams.

    Returns:
        `t`'s values reordered so `[:, b * beam + k]` follows final beam `k`'s ancestors
        (steps past a beam's length keep their own beam).

    Example:
        >>> history = gather_tree_from_array(stacked_alignments, outputs.parent_ids, lengths)
    """
    max_time = parent_ids.shape.as_list()[0] or array_ops.shape(parent_ids)[0]
    batch_size = parent_ids.shape.as_list()[1] or array_ops.shape(parent_ids)[1]
    beam_width = parent_ids.shape.as_list()[2] or array_ops.shape(parent_ids)[2]
    beam_ids = array_ops.expand_dims(array_ops.expand_dims(array_ops.range(beam_width), 0), 0)
    beam_ids = array_ops.tile(beam_ids, [max_time, batch_size, 1])
    max_sequence_lengths = math_ops.cast(math_ops.reduce_max(sequence_length, axis=1),
                                         dtypes.int32)
    sorted_beam_ids = gather_tree(step_ids=beam_ids, parent_ids=parent_ids,
                                  max_sequence_lengths=max_sequence_lengths,
                                  end_token=beam_width + 1)
    in_bound_steps = array_ops.transpose(
        array_ops.sequence_mask(sequence_length, maxlen=max_time), perm=[2, 0, 1])
    sorted_beam_ids = math_ops.where(in_bound_steps, sorted_beam_ids, beam_ids)
    time_ind = array_ops.tile(array_ops.reshape(array_ops.range(max_time), [-1, 1, 1]),
                              [1, batch_size, beam_width])
    batch_ind = array_ops.tile(array_ops.reshape(array_ops.range(batch_size), [-1, 1, 1]),
                               [1, max_time, beam_width])
    batch_ind = array_ops.transpose(batch_ind, perm=[1, 0, 2])
    indices = array_ops.stack([time_ind, batch_ind, sorted_beam_ids], -1)
    final_shape = array_ops.shape(t)
    gather_from = array_ops.reshape(t, [max_time, batch_size, beam_width, -1])
    ordered = array_ops.gather_nd(gather_from, indices)
    ordered = array_ops.reshape(ordered, final_shape)
    ordered.set_shape(t.shape)
    return ordered


def _as_shape(s):
    if isinstance(s, Tensor) or s is None:
        return tensor_shape.TensorShape(None)
    if isinstance(s, (int, np.integer)):
        return tensor_shape.TensorShape([int(s)])
    return tensor_shape.as_shape(s)


def _check_maybe(t):
    if t.shape.ndims is None:
        raise ValueError(f"Expected tensor ({t}) to have known rank, but ndims == None.")


def _check_static_batch_beam_maybe(shape, batch_size, beam_width):
    reshaped = tensor_shape.TensorShape(shape)
    if reshaped.ndims is not None and reshaped.ndims >= 1 and \
            reshaped.as_list()[0] is not None and batch_size is not None:
        if reshaped.as_list()[0] == batch_size * beam_width:
            return True
        if reshaped.ndims >= 2 and reshaped.as_list()[:2] == [batch_size, beam_width]:
            return True
        return False
    return True


def _check_batch_beam(t, batch_size, beam_width):
    message = ("TensorArray reordering expects elements to be reshapable to [batch_size, "
               "beam_size, -1] which is incompatible with the dynamic shape of the "
               f"{t.name} elements. Consider setting reorder_tensor_arrays to False to "
               "disable TensorArray reordering during the beam search.")
    rank = t.shape.ndims
    shape = array_ops.shape(t)
    if rank == 2:
        condition = math_ops.equal(shape[1], batch_size * beam_width)
    else:
        condition = math_ops.logical_or(
            math_ops.equal(shape[1], batch_size * beam_width),
            math_ops.logical_and(math_ops.equal(shape[1], batch_size),
                                 math_ops.equal(shape[2], beam_width)))
    return logging_ops.Assert(condition, [message])


def _length_penalty(sequence_lengths, penalty_factor):
    penalty_factor = convert_to_tensor(penalty_factor, name="penalty_factor")
    penalty_factor.set_shape(())
    static = constant_value(penalty_factor)
    if static is not None and static == 0:
        return 1.0
    lengths = math_ops.cast(sequence_lengths, penalty_factor.dtype)
    return ((5.0 + lengths) ** penalty_factor) / ((5.0 + 1.0) ** penalty_factor)


def _get_scores(log_probs, sequence_lengths, length_penalty_weight, coverage_penalty_weight,
                finished, accumulated_attention_probs):
    length_penalty = _length_penalty(sequence_lengths, length_penalty_weight)
    length_penalty = math_ops.cast(length_penalty, log_probs.dtype)
    scores = log_probs / length_penalty
    coverage_penalty_weight = convert_to_tensor(coverage_penalty_weight,
                                                name="coverage_penalty_weight")
    if coverage_penalty_weight.shape.ndims != 0:
        raise ValueError(f"coverage_penalty_weight should be a scalar, but saw shape: "
                         f"{coverage_penalty_weight.shape}")
    if constant_value(coverage_penalty_weight) == 0.0:
        return scores
    if accumulated_attention_probs is None:
        raise ValueError("accumulated_attention_probs can be None only if coverage penalty "
                         "is disabled.")
    acc = math_ops.where(math_ops.equal(accumulated_attention_probs, 0.0),
                         array_ops.ones_like(accumulated_attention_probs),
                         accumulated_attention_probs)
    coverage_penalty = math_ops.reduce_sum(math_ops.log(math_ops.minimum(acc, 1.0)), 2)
    coverage_penalty = coverage_penalty * math_ops.cast(finished, coverage_penalty.dtype)
    weighted = coverage_penalty * math_ops.cast(coverage_penalty_weight,
                                                coverage_penalty.dtype)
    return scores + array_ops.expand_dims(weighted, 2)


def _attention_probs_from_attn_state(state):
    probs = state.alignments
    if isinstance(probs, tuple):
        probs = math_ops.reduce_mean(
            array_ops.concat([array_ops.expand_dims(p, -1) for p in probs], -1), -1)
    return probs


def get_attention_probs(next_cell_state, coverage_penalty_weight):
    """The (mean) attention probabilities `[batch, beam, max_time]` of the attentional cells
    in `next_cell_state`, or None when `coverage_penalty_weight` is 0."""
    if coverage_penalty_weight == 0.0:
        return None
    per_layer = []
    if isinstance(next_cell_state, attention_wrapper.AttentionWrapperState):
        per_layer = [_attention_probs_from_attn_state(next_cell_state)]
    elif isinstance(next_cell_state, tuple):
        per_layer = [_attention_probs_from_attn_state(s) for s in next_cell_state
                     if isinstance(s, attention_wrapper.AttentionWrapperState)]
    if not per_layer:
        raise ValueError("coverage_penalty_weight must be 0.0 if no cell is attentional.")
    if len(per_layer) == 1:
        return per_layer[0]
    return math_ops.reduce_mean(
        array_ops.concat([array_ops.expand_dims(p, -1) for p in per_layer], -1), -1)


def _mask_probs(probs, eos_token, finished):
    vocab_size = array_ops.shape(probs)[2]
    finished_row = array_ops.one_hot(
        eos_token, vocab_size, dtype=probs.dtype,
        on_value=convert_to_tensor(0.0, dtype=probs.dtype),
        off_value=convert_to_tensor(float(np.finfo(probs.dtype.as_numpy_dtype).min),
                                    dtype=probs.dtype))
    finished_probs = array_ops.tile(array_ops.reshape(finished_row, [1, 1, -1]),
                                    array_ops.concat([array_ops.shape(finished), [1]], 0))
    finished_mask = array_ops.tile(array_ops.expand_dims(finished, 2), [1, 1, vocab_size])
    return math_ops.where(finished_mask, finished_probs, probs)


def _tensor_gather_helper(gather_indices, gather_from, batch_size, range_size, gather_shape,
                          name=None):
    with name_scope(name, "tensor_gather_helper"):
        range_ = array_ops.expand_dims(array_ops.range(batch_size) * range_size, 1)
        gather_indices = array_ops.reshape(gather_indices + range_, [-1])
        output = array_ops.gather(array_ops.reshape(gather_from, gather_shape), gather_indices)
        # A [batch, beam] gather (gather_shape [-1]) keeps the first two dims; a state
        # gather keeps them all (TF keeps the first three, which breaks rank > 3 states).
        keep = 2 if len(gather_shape) == 1 else None
        final_shape = array_ops.shape(gather_from)[:keep] if keep else \
            array_ops.shape(gather_from)
        output = array_ops.reshape(output, final_shape, name="output")
        static_batch = constant_value(convert_to_tensor(batch_size))
        inner = gather_from.shape[1:keep] if keep else gather_from.shape[1:]
        output.set_shape(tensor_shape.TensorShape(
            [None if static_batch is None else int(static_batch)]).concatenate(inner))
        return output


def _maybe_tensor_gather_helper(gather_indices, gather_from, batch_size, range_size,
                                gather_shape):
    if isinstance(gather_from, TensorArray):
        return gather_from
    _check_maybe(gather_from)
    if gather_from.shape.ndims >= len(gather_shape):
        return _tensor_gather_helper(gather_indices, gather_from, batch_size, range_size,
                                     gather_shape)
    return gather_from


def _beam_search_step(time, logits, next_cell_state, beam_state, batch_size, beam_width,
                      end_token, length_penalty_weight, coverage_penalty_weight):
    static_batch = constant_value(convert_to_tensor(batch_size))
    static_batch = None if static_batch is None else int(static_batch)
    prediction_lengths = beam_state.lengths
    previously_finished = beam_state.finished
    not_finished = math_ops.logical_not(previously_finished)
    step_log_probs = nn_ops.log_softmax(logits)
    step_log_probs = _mask_probs(step_log_probs, end_token, previously_finished)
    total_probs = array_ops.expand_dims(beam_state.log_probs, 2) + step_log_probs
    vocab_size = logits.shape.as_list()[-1] or array_ops.shape(logits)[-1]
    lengths_to_add = array_ops.one_hot(
        indices=array_ops.fill([batch_size, beam_width], end_token), depth=vocab_size,
        on_value=np.int64(0), off_value=np.int64(1), dtype=dtypes.int64)
    add_mask = math_ops.cast(not_finished, dtypes.int64)
    lengths_to_add = lengths_to_add * array_ops.expand_dims(add_mask, 2)
    new_prediction_lengths = lengths_to_add + array_ops.expand_dims(prediction_lengths, 2)
    accumulated_attention_probs = None
    attention_probs = get_attention_probs(next_cell_state, coverage_penalty_weight)
    if attention_probs is not None:
        attention_probs = attention_probs * array_ops.expand_dims(
            math_ops.cast(not_finished, attention_probs.dtype), 2)
        accumulated_attention_probs = beam_state.accumulated_attention_probs + attention_probs
    scores = _get_scores(total_probs, new_prediction_lengths, length_penalty_weight,
                         coverage_penalty_weight, previously_finished,
                         accumulated_attention_probs)
    scores_flat = array_ops.reshape(scores, [batch_size, -1])
    next_beam_scores, word_indices = sort_ops.top_k(scores_flat, k=beam_width)
    next_beam_scores.set_shape([static_batch, beam_width])
    word_indices.set_shape([static_batch, beam_width])
    next_beam_probs = _tensor_gather_helper(word_indices, total_probs, batch_size,
                                            beam_width * vocab_size, [-1],
                                            name="next_beam_probs")
    next_word_ids = math_ops.cast(math_ops.floormod(word_indices, vocab_size), dtypes.int32,
                                  name="next_beam_word_ids")
    next_beam_ids = math_ops.cast(math_ops.floordiv(word_indices, vocab_size), dtypes.int32,
                                  name="next_beam_parent_ids")
    previously_finished = _tensor_gather_helper(next_beam_ids, previously_finished,
                                                batch_size, beam_width, [-1])
    next_finished = math_ops.logical_or(previously_finished,
                                        math_ops.equal(next_word_ids, end_token),
                                        name="next_beam_finished")
    lengths_to_add = math_ops.cast(math_ops.logical_not(previously_finished), dtypes.int64)
    next_prediction_len = _tensor_gather_helper(next_beam_ids, beam_state.lengths,
                                                batch_size, beam_width, [-1])
    next_prediction_len = next_prediction_len + lengths_to_add
    next_accumulated = ()
    if accumulated_attention_probs is not None:
        next_accumulated = _tensor_gather_helper(
            next_beam_ids, accumulated_attention_probs, batch_size, beam_width,
            [batch_size * beam_width, -1], name="next_accumulated_attention_probs")
    next_cell_state = nest.map_structure(
        lambda g: _maybe_tensor_gather_helper(next_beam_ids, g, batch_size, beam_width,
                                              [batch_size * beam_width, -1]),
        next_cell_state)
    next_state = BeamSearchDecoderState(cell_state=next_cell_state, log_probs=next_beam_probs,
                                        lengths=next_prediction_len, finished=next_finished,
                                        accumulated_attention_probs=next_accumulated)
    output = BeamSearchDecoderOutput(scores=next_beam_scores, predicted_ids=next_word_ids,
                                     parent_ids=next_beam_ids)
    return output, next_state


class BeamSearchDecoder(decoder_mod.Decoder):
    """Beam search decoding (see the module docstring).

    Args:
        cell: an RNNCell whose state has batch `batch_size * beam_width` (tile the memory
            and initial state with `tile_batch`).
        embedding: a `[vocab, depth]` embedding matrix or a callable `ids -> embeddings`.
        start_tokens: int32 `[batch_size]`.
        end_token: int32 scalar.
        initial_state: the cell's initial state, batch `batch_size * beam_width`.
        beam_width: a Python int.
        output_layer: an optional `tf.layers.Layer` (e.g. the vocabulary projection).
        length_penalty_weight: float, 0 disables the length penalty.
        coverage_penalty_weight: float, 0 disables the coverage penalty (needs an
            AttentionWrapper cell).
        reorder_tensor_arrays: reorder TensorArrays of the final cell state (alignment
            histories) along the final beams.

    Raises:
        TypeError: cell not an RNNCell or output_layer not a Layer.
        ValueError: start_tokens not a vector, end_token not a scalar.

    Example:
        >>> memory = tf.contrib.seq2seq.tile_batch(encoder_outputs, beam_width)
        >>> decoder = tf.contrib.seq2seq.BeamSearchDecoder(
        ...     cell, embedding, tf.fill([batch], GO), EOS,
        ...     cell.zero_state(batch * beam_width, tf.float32), beam_width,
        ...     output_layer=proj, length_penalty_weight=0.6)
        >>> outputs, _, _ = tf.contrib.seq2seq.dynamic_decode(decoder, maximum_iterations=50)
        >>> best = outputs.predicted_ids[:, :, 0]
    """

    def __init__(self, cell, embedding, start_tokens, end_token, initial_state, beam_width,
                 output_layer=None, length_penalty_weight=0.0, coverage_penalty_weight=0.0,
                 reorder_tensor_arrays=True):
        assert_like_rnncell("cell", cell)
        if output_layer is not None and not isinstance(output_layer, base_layer.Layer):
            raise TypeError(f"output_layer must be a Layer, received: {type(output_layer)}")
        self._cell = cell
        self._output_layer = output_layer
        self._reorder_tensor_arrays = reorder_tensor_arrays
        if callable(embedding):
            self._embedding_fn = embedding
        else:
            self._embedding_fn = lambda ids: embedding_ops.embedding_lookup(embedding, ids)
        self._start_tokens = convert_to_tensor(start_tokens, dtype=dtypes.int32,
                                               name="start_tokens")
        if self._start_tokens.shape.ndims != 1:
            raise ValueError("start_tokens must be a vector")
        self._end_token = convert_to_tensor(end_token, dtype=dtypes.int32, name="end_token")
        if self._end_token.shape.ndims != 0:
            raise ValueError("end_token must be a scalar")
        n = self._start_tokens.shape.as_list()[0]
        self._batch_size = n if n is not None else array_ops.size(self._start_tokens)
        self._beam_width = beam_width
        self._length_penalty_weight = length_penalty_weight
        self._coverage_penalty_weight = coverage_penalty_weight
        self._initial_cell_state = nest.map_structure(self._maybe_split_batch_beams,
                                                      initial_state, self._cell.state_size)
        self._start_tokens = array_ops.tile(array_ops.expand_dims(self._start_tokens, 1),
                                            [1, self._beam_width])
        self._start_inputs = self._embedding_fn(self._start_tokens)
        self._finished = array_ops.one_hot(
            array_ops.zeros([self._batch_size], dtype=dtypes.int32), depth=self._beam_width,
            on_value=False, off_value=True, dtype=dtypes.bool)

    @property
    def batch_size(self):
        return self._batch_size

    def _rnn_output_size(self):
        return _decoder_output_size(self._cell, self._output_layer)

    @property
    def tracks_own_finished(self):
        """True: finished beams keep emitting end_token and keep their state by
        construction, so dynamic_decode must not copy them through."""
        return True

    @property
    def output_size(self):
        return BeamSearchDecoderOutput(scores=tensor_shape.TensorShape([self._beam_width]),
                                       predicted_ids=tensor_shape.TensorShape([self._beam_width]),
                                       parent_ids=tensor_shape.TensorShape([self._beam_width]))

    @property
    def output_dtype(self):
        dtype = nest.flatten(self._initial_cell_state)[0].dtype
        return BeamSearchDecoderOutput(
            scores=nest.map_structure(lambda _: dtype, self._rnn_output_size()),
            predicted_ids=dtypes.int32, parent_ids=dtypes.int32)

    def initialize(self, name=None):
        """`(finished, start_inputs, initial BeamSearchDecoderState)`: only beam 0 is live
        (log prob 0; the others -inf)."""
        finished, start_inputs = self._finished, self._start_inputs
        dtype = nest.flatten(self._initial_cell_state)[0].dtype
        log_probs = array_ops.one_hot(
            array_ops.zeros([self._batch_size], dtype=dtypes.int32), depth=self._beam_width,
            on_value=convert_to_tensor(0.0, dtype=dtype),
            off_value=convert_to_tensor(-np.inf, dtype=dtype), dtype=dtype)
        init_attention_probs = get_attention_probs(self._initial_cell_state,
                                                   self._coverage_penalty_weight)
        if init_attention_probs is None:
            init_attention_probs = ()
        initial_state = BeamSearchDecoderState(
            cell_state=self._initial_cell_state, log_probs=log_probs, finished=finished,
            lengths=array_ops.zeros([self._batch_size, self._beam_width], dtype=dtypes.int64),
            accumulated_attention_probs=init_attention_probs)
        return finished, start_inputs, initial_state

    def finalize(self, outputs, final_state, sequence_lengths):
        """Rebuilds the beams with gather_tree: `(FinalBeamSearchDecoderOutput, state)`."""
        del sequence_lengths
        max_sequence_lengths = math_ops.cast(
            math_ops.reduce_max(final_state.lengths, axis=1), dtypes.int32)
        predicted_ids = gather_tree(outputs.predicted_ids, outputs.parent_ids,
                                    max_sequence_lengths=max_sequence_lengths,
                                    end_token=self._end_token)
        if self._reorder_tensor_arrays:
            final_state = final_state._replace(cell_state=nest.map_structure(
                lambda t: self._maybe_sort_array_beams(t, outputs.parent_ids,
                                                       final_state.lengths),
                final_state.cell_state))
        return FinalBeamSearchDecoderOutput(beam_search_decoder_output=outputs,
                                            predicted_ids=predicted_ids), final_state

    def _static_batch(self):
        value = constant_value(convert_to_tensor(self._batch_size))
        return None if value is None else int(value)

    def _merge_batch_beams(self, t, s=None):
        s = _as_shape(s)
        t_shape = array_ops.shape(t)
        static_batch = self._static_batch()
        merged = None if static_batch is None else static_batch * self._beam_width
        reshaped = array_ops.reshape(t, array_ops.concat(
            ([self._batch_size * self._beam_width], t_shape[2:]), 0))
        reshaped.set_shape(tensor_shape.TensorShape([merged]).concatenate(s))
        return reshaped

    def _split_batch_beams(self, t, s=None):
        s = _as_shape(s)
        t_shape = array_ops.shape(t)
        reshaped = array_ops.reshape(t, array_ops.concat(
            ([self._batch_size, self._beam_width], t_shape[1:]), 0))
        expected = tensor_shape.TensorShape([self._static_batch(),
                                             self._beam_width]).concatenate(s)
        if not reshaped.shape.is_compatible_with(expected):
            raise ValueError(
                f"Unexpected behavior when reshaping between beam width and batch size.  The "
                f"reshaped tensor has shape: {reshaped.shape}.  We expected it to have shape "
                f"(batch_size, beam_width, depth) == {expected}.  Perhaps you forgot to create "
                f"a zero_state with batch_size=encoder_batch_size * beam_width?")
        reshaped.set_shape(expected)
        return reshaped

    def _maybe_split_batch_beams(self, t, s):
        if isinstance(t, TensorArray):
            return t
        _check_maybe(t)
        return self._split_batch_beams(t, s) if t.shape.ndims >= 1 else t

    def _maybe_merge_batch_beams(self, t, s):
        if isinstance(t, TensorArray):
            return t
        _check_maybe(t)
        return self._merge_batch_beams(t, s) if t.shape.ndims >= 2 else t

    def _maybe_sort_array_beams(self, t, parent_ids, sequence_length):
        if not isinstance(t, TensorArray):
            return t
        shape = t.element_shape
        if shape is None or shape.ndims is None or shape.ndims < 1:
            _log.warning("The TensorArray %s in the cell state is not amenable to sorting "
                         "based on the beam search result. For a TensorArray to be sorted, "
                         "its elements shape must be defined and have at least a rank of 1, "
                         "but saw shape: %s", t, shape)
            return t
        if not _check_static_batch_beam_maybe(shape, self._static_batch(), self._beam_width):
            return t
        stacked = t.stack()
        with control_dependencies([_check_batch_beam(stacked, self._batch_size,
                                                     self._beam_width)]):
            return gather_tree_from_array(stacked, parent_ids, sequence_length)

    def step(self, time, inputs, state, name=None):
        """One beam search step: `(BeamSearchDecoderOutput, BeamSearchDecoderState,
        next_inputs, finished)`."""
        with name_scope(name, "BeamSearchDecoderStep", (time, inputs, state)):
            cell_state = state.cell_state
            inputs = nest.map_structure(lambda inp: self._merge_batch_beams(inp, inp.shape[2:]),
                                        inputs)
            cell_state = nest.map_structure(self._maybe_merge_batch_beams, cell_state,
                                            self._cell.state_size)
            cell_outputs, next_cell_state = self._cell(inputs, cell_state)
            cell_outputs = nest.map_structure(
                lambda out: self._split_batch_beams(out, out.shape[1:]), cell_outputs)
            next_cell_state = nest.map_structure(self._maybe_split_batch_beams,
                                                 next_cell_state, self._cell.state_size)
            if self._output_layer is not None:
                cell_outputs = self._output_layer(cell_outputs)
            beam_search_output, beam_search_state = _beam_search_step(
                time=time, logits=cell_outputs, next_cell_state=next_cell_state,
                beam_state=state, batch_size=self._batch_size, beam_width=self._beam_width,
                end_token=self._end_token, length_penalty_weight=self._length_penalty_weight,
                coverage_penalty_weight=self._coverage_penalty_weight)
            finished = beam_search_state.finished
            sample_ids = beam_search_output.predicted_ids
            next_inputs = cond_mod.cond(math_ops.reduce_all(finished),
                                        lambda: self._start_inputs,
                                        lambda: self._embedding_fn(sample_ids))
        return beam_search_output, beam_search_state, next_inputs, finished
