"""Attention for RNN decoders (TF 1.15's contrib/seq2seq/python/ops/attention_wrapper.py).

An attention mechanism holds the encoder's `memory` `[batch, max_time, depth]` (its
`values`, zeroed past `memory_sequence_length`) and its `keys` (the values through
`memory_layer`, a bias-free Dense named "memory_layer", built when the mechanism is made,
so its kernel is `memory_layer/kernel` under the caller's scope). Called with a query
`[batch, query_depth]` and its previous state it returns the alignments `[batch, max_time]`
(a distribution over memory positions; positions past the length get score `-inf`, i.e.
probability 0) and its next state.

- Luong (multiplicative): `score = keys . query` (`* g` with `scale`, variable
  `attention_g`); the query must have the keys' depth.
- Bahdanau (additive): `score = v . tanh(keys + W_q query)` with `query_layer` (Dense,
  no bias) and `attention_v`; `normalize` uses weight normalization
  `g * v / |v|` (`attention_g`, initialised to sqrt(1/num_units)) and a bias `attention_b`.
- The monotonic variants (Raffel et al. 2017) turn scores (plus `attention_score_bias`) into
  "choose" probabilities with a sigmoid and combine them with the previous alignments
  (`monotonic_attention`: modes "recursive", "parallel", "hard").

`AttentionWrapper` wraps a cell: at each step it feeds `cell_input_fn(inputs, attention)`
(default: their concatenation) to the cell, queries every mechanism with the cell output,
forms the context `alignments @ values` and, with `attention_layer_size`, the attention
`attention_layer([cell_output, context])` (Dense "attention_layer", no bias); it outputs
the attention (or the cell output with `output_attention=False`) and an
`AttentionWrapperState`. Variable names are TF's: under `dynamic_decode`,
`decoder/attention_wrapper/bahdanau_attention/attention_v`,
`decoder/attention_wrapper/bahdanau_attention/query_layer/kernel`,
`decoder/attention_wrapper/attention_layer/kernel`,
`decoder/attention_wrapper/<cell scope>/kernel`.
"""

import abc
import collections
import functools
import math

import numpy as np

from flowexec.framework import dtypes, nest, tensor_shape
from flowexec.framework.convert import convert_to_tensor
from flowexec.framework.graph import control_dependencies, name_scope
from flowexec.framework.tensor import Tensor
from flowexec.init_ops import constant_initializer, ones_initializer, zeros_initializer
from flowexec.layers import base as base_layer
from flowexec.layers import core as layers_core
from flowexec.ops import (array_ops, check_ops, clip_ops, constant_op, functional_ops,
                          math_ops, nn_ops, random_ops)
from flowexec.ops.rnn_cell_impl import RNNCell, _zero_state_tensors, assert_like_rnncell
from flowexec.ops.tensor_array_ops import TensorArray
from flowexec.variable_scope import get_variable, variable_scope

__all__ = ["AttentionMechanism", "AttentionWrapper", "AttentionWrapperState",
           "LuongAttention", "BahdanauAttention", "hardmax", "safe_cumprod",
           "monotonic_attention", "BahdanauMonotonicAttention", "LuongMonotonicAttention"]


def _dim(t, axis):
    n = t.shape.as_list()[axis] if t.shape.ndims is not None else None
    return n if n is not None else array_ops.shape(t)[axis]


class AttentionMechanism(abc.ABC):
    """Base class of the attention mechanisms (an isinstance marker, as in TF)."""

    @property
    @abc.abstractmethod
    def alignments_size(self):
        """The length of the alignments (the memory's max_time)."""

    @property
    @abc.abstractmethod
    def state_size(self):
        """The size of the mechanism's state."""


def _prepare_memory(memory, memory_sequence_length, check_inner_dims_defined):
    """The memory with every position past `memory_sequence_length` zeroed."""
    memory = nest.map_structure(lambda m: convert_to_tensor(m, name="memory"), memory)
    if memory_sequence_length is not None:
        memory_sequence_length = convert_to_tensor(memory_sequence_length,
                                                   name="memory_sequence_length")
    if check_inner_dims_defined:
        def check(m):
            if not m.shape[2:].is_fully_defined():
                raise ValueError(f"Expected memory {m.name} to have fully defined inner "
                                 f"dims, but saw shape: {m.shape}")
        nest.map_structure(check, memory)
    if memory_sequence_length is None:
        return memory
    first = nest.flatten(memory)[0]
    seq_len_mask = array_ops.sequence_mask(memory_sequence_length,
                                           maxlen=array_ops.shape(first)[1],
                                           dtype=first.dtype)
    seq_len_batch_size = _dim(memory_sequence_length, 0)

    def maybe_mask(m):
        rank = m.shape.ndims
        extra = [1] * (rank - 2)
        check = check_ops.assert_equal(
            seq_len_batch_size, _dim(m, 0),
            message="memory_sequence_length and memory tensor batch sizes do not match.")
        with control_dependencies([check]):
            mask = array_ops.reshape(seq_len_mask, array_ops.concat(
                (array_ops.shape(seq_len_mask), constant_op.constant(extra, dtypes.int32)
                 if extra else constant_op.constant([], dtypes.int32)), 0))
            return m * mask
    return nest.map_structure(maybe_mask, memory)


def _maybe_mask_score(score, memory_sequence_length, score_mask_value):
    if memory_sequence_length is None:
        return score
    check = check_ops.assert_positive(
        memory_sequence_length,
        message="All values in memory_sequence_length must greater than zero.")
    with control_dependencies([check]):
        score_mask = array_ops.sequence_mask(memory_sequence_length,
                                             maxlen=array_ops.shape(score)[1])
        return math_ops.where(score_mask, score, score_mask_value * array_ops.ones_like(score))


class _BaseAttentionMechanism(AttentionMechanism):
    """Holds the memory (values), the keys and the masked probability function."""

    def __init__(self, query_layer, memory, probability_fn, memory_sequence_length=None,
                 memory_layer=None, check_inner_dims_defined=True, score_mask_value=None,
                 name=None):
        if query_layer is not None and not isinstance(query_layer, base_layer.Layer):
            raise TypeError(f"query_layer is not a Layer: {type(query_layer).__name__}")
        if memory_layer is not None and not isinstance(memory_layer, base_layer.Layer):
            raise TypeError(f"memory_layer is not a Layer: {type(memory_layer).__name__}")
        self._query_layer = query_layer
        self._memory_layer = memory_layer
        self.dtype = memory_layer.dtype if memory_layer is not None else None
        if not callable(probability_fn):
            raise TypeError(f"probability_fn must be callable, saw type: "
                            f"{type(probability_fn).__name__}")
        first = convert_to_tensor(nest.flatten(memory)[0])
        if score_mask_value is None:
            score_mask_value = float(-np.inf)
        self._score_mask_value = score_mask_value
        seq_len = memory_sequence_length
        self._probability_fn = lambda score, prev: probability_fn(
            _maybe_mask_score(score, seq_len, convert_to_tensor(score_mask_value,
                                                                dtype=score.dtype)), prev)
        with name_scope(name, "BaseAttentionMechanismInit", nest.flatten(memory)):
            self._values = _prepare_memory(memory, memory_sequence_length,
                                           check_inner_dims_defined)
            self._keys = self.memory_layer(self._values) if self.memory_layer \
                else self._values
            self._batch_size = _dim(self._keys, 0)
            self._alignments_size = _dim(self._keys, 1)
        if self.dtype is None:
            self.dtype = first.dtype

    @property
    def memory_layer(self):
        """The layer making the keys from the memory (or None)."""
        return self._memory_layer

    @property
    def query_layer(self):
        """The layer processing the query (or None)."""
        return self._query_layer

    @property
    def values(self):
        """The masked memory `[batch, max_time, depth]`."""
        return self._values

    @property
    def keys(self):
        """The keys: `memory_layer(values)` (or the values)."""
        return self._keys

    @property
    def batch_size(self):
        """The memory's batch size."""
        return self._batch_size

    @property
    def alignments_size(self):
        return self._alignments_size

    @property
    def state_size(self):
        return self._alignments_size

    def initial_alignments(self, batch_size, dtype):
        """Zeros `[batch_size, max_time]`: the alignments before the first step."""
        return _zero_state_tensors(self._alignments_size, batch_size, dtype)

    def initial_state(self, batch_size, dtype):
        """The mechanism's initial state (its initial alignments)."""
        return self.initial_alignments(batch_size, dtype)


def _luong_score(query, keys, scale):
    depth = query.shape.as_list()[-1]
    key_units = keys.shape.as_list()[-1]
    if depth != key_units:
        raise ValueError(
            f"Incompatible or unknown inner dimensions between query and keys.  Query "
            f"({query}) has units: {depth}.  Keys ({keys}) have units: {key_units}.  "
            f"Perhaps you need to set num_units to the keys' dimension ({key_units})?")
    score = array_ops.squeeze(math_ops.matmul(array_ops.expand_dims(query, 1), keys,
                                              transpose_b=True), [1])
    if scale:
        g = get_variable("attention_g", dtype=query.dtype, initializer=ones_initializer(),
                         shape=())
        score = g * score
    return score


def _bahdanau_score(processed_query, keys, normalize):
    dtype = processed_query.dtype
    num_units = keys.shape.as_list()[2]
    processed_query = array_ops.expand_dims(processed_query, 1)
    v = get_variable("attention_v", [num_units], dtype=dtype)
    if normalize:
        g = get_variable("attention_g", dtype=dtype,
                         initializer=constant_initializer(math.sqrt(1.0 / num_units)),
                         shape=())
        b = get_variable("attention_b", [num_units], dtype=dtype,
                         initializer=zeros_initializer())
        normed_v = g * v * math_ops.rsqrt(math_ops.reduce_sum(math_ops.square(v)))
        return math_ops.reduce_sum(normed_v * math_ops.tanh(keys + processed_query + b), [2])
    return math_ops.reduce_sum(v * math_ops.tanh(keys + processed_query), [2])


def _dense(units, name, dtype):
    return layers_core.Dense(units, name=name, use_bias=False, dtype=dtype)


def _score_probability_fn(probability_fn, custom_key_value_fn):
    """The `(score, prev) -> alignments` of the plain mechanisms: `probability_fn(score)`
    (default softmax); a `custom_key_value_fn` is refused."""
    if custom_key_value_fn is not None:
        raise ValueError("custom_key_value_fn is not supported by flowexec")
    probability_fn = probability_fn or nn_ops.softmax
    return lambda score, _: probability_fn(score)


class LuongAttention(_BaseAttentionMechanism):
    """Multiplicative attention (Luong et al. 2015): `score_j = keys_j . query`, optionally
    times a learned scalar `attention_g` (`scale=True`, "scaled" Luong).

    Args:
        num_units: the depth of the keys (`memory_layer` output); must equal the query's.
        memory: `[batch, max_time, ...]` encoder outputs.
        memory_sequence_length: int `[batch]`; memory past it is masked.
        scale: learn the scalar `attention_g` (initialised to 1).
        probability_fn: `score -> alignments` (default `tf.nn.softmax`).
        score_mask_value: the score of masked positions (default -inf).
        dtype: the layers' dtype.
        custom_key_value_fn: not supported (a value other than None is a ValueError).
        name: name scope of the setup ops (default "LuongAttention").

    Example:
        >>> att = tf.contrib.seq2seq.LuongAttention(64, encoder_outputs,
        ...                                        memory_sequence_length=src_lengths)
        >>> cell = tf.contrib.seq2seq.AttentionWrapper(tf.nn.rnn_cell.LSTMCell(64), att)
    """

    def __init__(self, num_units, memory, memory_sequence_length=None, scale=False,
                 probability_fn=None, score_mask_value=None, dtype=None,
                 custom_key_value_fn=None, name="LuongAttention"):
        probability_fn = _score_probability_fn(probability_fn, custom_key_value_fn)
        super().__init__(
            query_layer=None, memory_layer=_dense(num_units, "memory_layer", dtype),
            memory=memory, probability_fn=probability_fn,
            memory_sequence_length=memory_sequence_length, score_mask_value=score_mask_value,
            name=name)
        self._num_units = num_units
        self._scale = scale
        self._name = name

    def __call__(self, query, state):
        """Scores the memory against `query` `[batch, num_units]`.

        Args:
            query: the decoder cell output.
            state: the previous alignments.

        Returns:
            `(alignments, next_state)`, both `[batch, max_time]`.
        """
        with variable_scope(None, "luong_attention", [query]):
            score = _luong_score(query, self._keys, self._scale)
        alignments = self._probability_fn(score, state)
        return alignments, alignments


class BahdanauAttention(_BaseAttentionMechanism):
    """Additive attention (Bahdanau et al. 2015): `score_j = v . tanh(keys_j + W_q query)`;
    with `normalize`, weight normalization (Salimans & Kingma 2016).

    Args:
        num_units: the depth of the keys and the processed query.
        memory: `[batch, max_time, ...]` encoder outputs.
        memory_sequence_length: int `[batch]`; memory past it is masked.
        normalize: use `g * v / |v|` and a bias `attention_b`.
        probability_fn: `score -> alignments` (default `tf.nn.softmax`).
        score_mask_value: the score of masked positions (default -inf).
        dtype: the layers' dtype.
        custom_key_value_fn: not supported (a value other than None is a ValueError).
        name: name scope of the setup ops (default "BahdanauAttention").

    Example:
        >>> att = tf.contrib.seq2seq.BahdanauAttention(64, encoder_outputs, src_lengths,
        ...                                           normalize=True)
    """

    def __init__(self, num_units, memory, memory_sequence_length=None, normalize=False,
                 probability_fn=None, score_mask_value=None, dtype=None,
                 custom_key_value_fn=None, name="BahdanauAttention"):
        probability_fn = _score_probability_fn(probability_fn, custom_key_value_fn)
        super().__init__(
            query_layer=_dense(num_units, "query_layer", dtype),
            memory_layer=_dense(num_units, "memory_layer", dtype),
            memory=memory, probability_fn=probability_fn,
            memory_sequence_length=memory_sequence_length, score_mask_value=score_mask_value,
            name=name)
        self._num_units = num_units
        self._normalize = normalize
        self._name = name

    def __call__(self, query, state):
        """Scores the memory against `query`.

        Args:
            query: the decoder cell output `[batch, query_depth]`.
            state: the previous alignments.

        Returns:
            `(alignments, next_state)`, both `[batch, max_time]`.
        """
        with variable_scope(None, "bahdanau_attention", [query]):
            processed_query = self.query_layer(query) if self.query_layer else query
            score = _bahdanau_score(processed_query, self._keys, self._normalize)
        alignments = self._probability_fn(score, state)
        return alignments, alignments


def safe_cumprod(x, *args, **kwargs):
    """Cumulative product computed as `exp(cumsum(log(x)))` with `x` clipped to
    `[tiny, 1]`, so its gradient stays finite where a plain cumprod's would not.

    Args:
        x: a float Tensor with values in [0, 1].
        *args, **kwargs: passed to `tf.cumsum` (axis, exclusive, reverse).

    Returns:
        The cumulative product of `x`.

    Example:
        >>> safe_cumprod(tf.constant([[0.5, 0.5, 0.5]]), axis=1)  # [[0.5, 0.25, 0.125]]
    """
    with name_scope(None, "SafeCumprod", [x]):
        x = convert_to_tensor(x, name="x")
        tiny = np.finfo(x.dtype.as_numpy_dtype).tiny
        return math_ops.exp(math_ops.cumsum(
            math_ops.log(clip_ops.clip_by_value(x, tiny, 1)), *args, **kwargs))


def monotonic_attention(p_choose_i, previous_attention, mode):
    """Monotonic attention's expected alignments (Raffel et al. 2017) from the probabilities
    of choosing each memory entry and the previous step's attention.

    Args:
        p_choose_i: `[batch, max_time]` probabilities of stopping at each entry.
        previous_attention: `[batch, max_time]` alignments of the previous step (one-hot on
            entry 0 at the start).
        mode: "recursive" (a scan; exact), "parallel" (cumprod/cumsum form; may be
            numerically unstable where p_choose_i is near 1) or "hard" (p_choose_i and
            previous_attention are 0/1: the first chosen entry at or after the previous one).

    Returns:
        `[batch, max_time]` alignments.

    Raises:
        ValueError: an unknown mode.

    Example:
        >>> monotonic_attention(tf.constant([[0.5, 0.5]]), tf.constant([[1.0, 0.0]]),
        ...                     "parallel")  # [[0.5, 0.25]]
    """
    p_choose_i = convert_to_tensor(p_choose_i, name="p_choose_i")
    previous_attention = convert_to_tensor(previous_attention, name="previous_attention")
    if mode in ("recursive", "parallel"):
        batch_size = _dim(p_choose_i, 0)
        shifted_1mp = array_ops.concat(
            [array_ops.ones((batch_size, 1), dtype=p_choose_i.dtype), 1 - p_choose_i[:, :-1]],
            1)
    if mode == "recursive":
        scanned = functional_ops.scan(
            lambda x, yz: array_ops.reshape(yz[0] * x + yz[1], (batch_size,)),
            [array_ops.transpose(shifted_1mp), array_ops.transpose(previous_attention)],
            array_ops.zeros((batch_size,), dtype=p_choose_i.dtype))
        return p_choose_i * array_ops.transpose(scanned)
    if mode == "parallel":
        cumprod_1mp = safe_cumprod(shifted_1mp, axis=1)
        return p_choose_i * cumprod_1mp * math_ops.cumsum(
            previous_attention / clip_ops.clip_by_value(cumprod_1mp, 1e-10, 1.0), axis=1)
    if mode == "hard":
        p_choose_i = p_choose_i * math_ops.cumsum(previous_attention, axis=1)
        return p_choose_i * math_ops.cumprod(1 - p_choose_i, axis=1, exclusive=True)
    raise ValueError("mode must be 'recursive', 'parallel', or 'hard'.")


def _monotonic_probability_fn(score, previous_alignments, sigmoid_noise, mode, seed=None):
    if sigmoid_noise > 0:
        noise = random_ops.random_normal(array_ops.shape(score), dtype=score.dtype, seed=seed)
        score = score + sigmoid_noise * noise
    if mode == "hard":
        p_choose_i = math_ops.cast(score > 0, score.dtype)
    else:
        p_choose_i = math_ops.sigmoid(score)
    return monotonic_attention(p_choose_i, previous_alignments, mode)


def _add_score_bias(score, dtype, score_bias_init):
    """The monotonic mechanisms' `score + attention_score_bias` (a learned scalar)."""
    score_bias = get_variable("attention_score_bias", dtype=dtype,
                              initializer=float(score_bias_init))
    return score + score_bias


class _BaseMonotonicAttentionMechanism(_BaseAttentionMechanism):
    """Monotonic mechanisms start attending at memory entry 0."""

    def initial_alignments(self, batch_size, dtype):
        """One-hot on entry 0: `[batch_size, max_time]`."""
        return array_ops.one_hot(array_ops.zeros((batch_size,), dtype=dtypes.int32),
                                 self._alignments_size, dtype=dtype)


class BahdanauMonotonicAttention(_BaseMonotonicAttentionMechanism):
    """Monotonic attention with Bahdanau scores plus a learned `attention_score_bias`.

    Args:
        num_units, memory, memory_sequence_length, normalize, score_mask_value, dtype: as
            BahdanauAttention.
        sigmoid_noise: stddev of the noise added to the scores before the sigmoid (training).
        sigmoid_noise_seed: that noise's seed.
        score_bias_init: initial value of `attention_score_bias` (e.g. -4).
        mode: "parallel" (default), "recursive" or "hard" (see monotonic_attention).
        name: name scope (default "BahdanauMonotonicAttention").

    Example:
        >>> att = tf.contrib.seq2seq.BahdanauMonotonicAttention(32, memory, sigmoid_noise=1.)
    """

    def __init__(self, num_units, memory, memory_sequence_length=None, normalize=False,
                 score_mask_value=None, sigmoid_noise=0.0, sigmoid_noise_seed=None,
                 score_bias_init=0.0, mode="parallel", dtype=None,
                 name="BahdanauMonotonicAttention"):
        fn = functools.partial(_monotonic_probability_fn, sigmoid_noise=sigmoid_noise,
                               mode=mode, seed=sigmoid_noise_seed)
        super().__init__(
            query_layer=_dense(num_units, "query_layer", dtype),
            memory_layer=_dense(num_units, "memory_layer", dtype),
            memory=memory, probability_fn=fn, memory_sequence_length=memory_sequence_length,
            score_mask_value=score_mask_value, name=name)
        self._num_units = num_units
        self._normalize = normalize
        self._name = name
        self._score_bias_init = score_bias_init

    def __call__(self, query, state):
        """`(alignments, next_state)` from the query and the previous alignments."""
        with variable_scope(None, "bahdanau_monotonic_attention", [query]):
            processed_query = self.query_layer(query) if self.query_layer else query
            score = _bahdanau_score(processed_query, self._keys, self._normalize)
            score = _add_score_bias(score, processed_query.dtype, self._score_bias_init)
        alignments = self._probability_fn(score, state)
        return alignments, alignments


class LuongMonotonicAttention(_BaseMonotonicAttentionMechanism):
    """Monotonic attention with Luong scores plus a learned `attention_score_bias`.

    Args:
        num_units, memory, memory_sequence_length, scale, score_mask_value, dtype: as
            LuongAttention.
        sigmoid_noise, sigmoid_noise_seed, score_bias_init, mode: as
            BahdanauMonotonicAttention.
        name: name scope (default "LuongMonotonicAttention").

    Example:
        >>> att = tf.contrib.seq2seq.LuongMonotonicAttention(32, memory, mode="hard")
    """

    def __init__(self, num_units, memory, memory_sequence_length=None, scale=False,
                 score_mask_value=None, sigmoid_noise=0.0, sigmoid_noise_seed=None,
                 score_bias_init=0.0, mode="parallel", dtype=None,
                 name="LuongMonotonicAttention"):
        fn = functools.partial(_monotonic_probability_fn, sigmoid_noise=sigmoid_noise,
                               mode=mode, seed=sigmoid_noise_seed)
        super().__init__(
            query_layer=None, memory_layer=_dense(num_units, "memory_layer", dtype),
            memory=memory, probability_fn=fn, memory_sequence_length=memory_sequence_length,
            score_mask_value=score_mask_value, name=name)
        self._num_units = num_units
        self._scale = scale
        self._score_bias_init = score_bias_init
        self._name = name

    def __call__(self, query, state):
        """`(alignments, next_state)` from the query and the previous alignments."""
        with variable_scope(None, "luong_monotonic_attention", [query]):
            score = _luong_score(query, self._keys, self._scale)
            score = _add_score_bias(score, query.dtype, self._score_bias_init)
        alignments = self._probability_fn(score, state)
        return alignments, alignments


class AttentionWrapperState(collections.namedtuple(
        "AttentionWrapperState", ("cell_state", "attention", "time", "alignments",
                                  "alignment_history", "attention_state"))):
    """The state of an `AttentionWrapper`.

    Fields:
        cell_state: the wrapped cell's state.
        attention: `[batch, attention_size]`, the attention emitted at the previous step.
        time: int32 scalar, the step count.
        alignments: `[batch, max_time]` (a tuple with several mechanisms).
        alignment_history: a TensorArray of every step's alignments (`.stack()`:
            `[time, batch, max_time]`) with `alignment_history=True`, else `()`.
        attention_state: the mechanisms' states.
    """

    __slots__ = ()

    def clone(self, **kwargs):
        """A copy with fields replaced, keeping the old tensors' static shapes (so e.g.
        `zero_state(...).clone(cell_state=encoder_state)` stays a valid loop variable).

        Args:
            **kwargs: field names and their new values.

        Returns:
            A new AttentionWrapperState.

        Example:
            >>> init = wrapper.zero_state(batch, tf.float32).clone(cell_state=enc_state)
        """
        def with_same_shape(old, new):
            if isinstance(old, Tensor) and isinstance(new, Tensor):
                if not old.shape.is_compatible_with(new.shape):
                    raise ValueError(f"Incompatible shapes in clone: {old.shape} vs "
                                     f"{new.shape}")
                out = constant_op.identity(new)
                out.set_shape(old.shape.merge_with(new.shape))
                return out
            return new
        return nest.map_structure(with_same_shape, self, super()._replace(**kwargs))


def hardmax(logits, name=None):
    """One-hot of the argmax along the last axis.

    Args:
        logits: a float Tensor `[..., n]`.
        name: name scope (default "Hardmax").

    Returns:
        A Tensor like `logits`: 1 at each row's (first) maximum, 0 elsewhere.

    Example:
        >>> hardmax(tf.constant([[0.1, 2.0, 0.3]]))  # [[0., 1., 0.]]
    """
    with name_scope(name, "Hardmax", [logits]):
        logits = convert_to_tensor(logits, name="logits")
        return array_ops.one_hot(math_ops.argmax(logits, -1), _dim(logits, -1),
                                 dtype=logits.dtype)


def _compute_attention(attention_mechanism, cell_output, attention_state, attention_layer):
    alignments, next_attention_state = attention_mechanism(cell_output, state=attention_state)
    context = array_ops.squeeze(math_ops.matmul(array_ops.expand_dims(alignments, 1),
                                                attention_mechanism.values), [1])
    if attention_layer is not None:
        attention = attention_layer(array_ops.concat([cell_output, context], 1))
    else:
        attention = context
    return attention, alignments, next_attention_state


class AttentionWrapper(RNNCell):
    """Wraps an RNN cell with attention over one or several memories.

    Args:
        cell: the RNNCell to wrap.
        attention_mechanism: an AttentionMechanism or a list of them.
        attention_layer_size: an int (a list: one per mechanism): the attention is
            `attention_layer([cell_output, context])` of this depth (Dense
            "attention_layer", no bias); None: the attention is the context itself.
        alignment_history: keep every step's alignments in a TensorArray in the state.
        cell_input_fn: `(inputs, attention) -> cell_inputs` (default concat on -1).
        output_attention: output the attention (Luong style, default) or the cell output
            (Bahdanau style).
        initial_cell_state: the cell state `zero_state` returns (default the cell's zeros).
        name: the layer name (default "attention_wrapper").
        attention_layer: a layer (list: one per mechanism) used instead of
            `attention_layer_size`'s Dense.
        attention_fn: `(mechanism, cell_output, attention_state, attention_layer) ->
            (attention, alignments, next_attention_state)` (default: TF's).

    Raises:
        TypeError: cell not an RNNCell, mechanisms of another type, cell_input_fn not
            callable.
        ValueError: both attention_layer_size and attention_layer; a list of sizes or layers
            not matching the mechanisms.

    Example:
        >>> att = tf.contrib.seq2seq.BahdanauAttention(32, enc_out, src_lengths)
        >>> cell = tf.contrib.seq2seq.AttentionWrapper(
        ...     tf.nn.rnn_cell.LSTMCell(32), att, attention_layer_size=32)
        >>> init = cell.zero_state(batch, tf.float32).clone(cell_state=enc_state)
        >>> decoder = tf.contrib.seq2seq.BasicDecoder(cell, helper, init, proj)
    """

    def __init__(self, cell, attention_mechanism, attention_layer_size=None,
                 alignment_history=False, cell_input_fn=None, output_attention=True,
                 initial_cell_state=None, name=None, attention_layer=None, attention_fn=None):
        super().__init__(name=name)
        assert_like_rnncell("cell", cell)
        if isinstance(attention_mechanism, (list, tuple)):
            self._is_multi = True
            mechanisms = tuple(attention_mechanism)
            for m in mechanisms:
                if not isinstance(m, AttentionMechanism):
                    raise TypeError(f"attention_mechanism must contain only instances of "
                                    f"AttentionMechanism, saw type: {type(m).__name__}")
        else:
            self._is_multi = False
            if not isinstance(attention_mechanism, AttentionMechanism):
                raise TypeError(f"attention_mechanism must be an AttentionMechanism or list of "
                                f"multiple AttentionMechanism instances, saw type: "
                                f"{type(attention_mechanism).__name__}")
            mechanisms = (attention_mechanism,)
        if cell_input_fn is None:
            def cell_input_fn(inputs, attention):
                return array_ops.concat([inputs, attention], -1)
        elif not callable(cell_input_fn):
            raise TypeError(f"cell_input_fn must be callable, saw type: "
                            f"{type(cell_input_fn).__name__}")
        if attention_layer_size is not None and attention_layer is not None:
            raise ValueError("Only one of attention_layer_size and attention_layer should be "
                             "set")
        if attention_layer_size is not None:
            sizes = tuple(attention_layer_size if isinstance(attention_layer_size, (list, tuple))
                          else (attention_layer_size,))
            if len(sizes) != len(mechanisms):
                raise ValueError(f"If provided, attention_layer_size must contain exactly one "
                                 f"integer per attention_mechanism, saw: {len(sizes)} vs "
                                 f"{len(mechanisms)}")
            self._attention_layers = tuple(
                _dense(size, "attention_layer", mechanisms[i].dtype)
                for i, size in enumerate(sizes))
            self._attention_layer_size = sum(sizes)
        elif attention_layer is not None:
            layers = tuple(attention_layer if isinstance(attention_layer, (list, tuple))
                           else (attention_layer,))
            if len(layers) != len(mechanisms):
                raise ValueError(f"If provided, attention_layer must contain exactly one layer "
                                 f"per attention_mechanism, saw: {len(layers)} vs "
                                 f"{len(mechanisms)}")
            self._attention_layers = layers
            from flowexec.contrib.seq2seq.basic_decoder import _layer_output_size
            self._attention_layer_size = sum(
                _layer_output_size(layer, [cell.output_size + m.values.shape.as_list()[-1]])
                .as_list()[-1] for layer, m in zip(layers, mechanisms))
        else:
            self._attention_layers = None
            self._attention_layer_size = sum(m.values.shape.as_list()[-1] for m in mechanisms)
        self._attention_fn = attention_fn or _compute_attention
        self._cell = cell
        self._attention_mechanisms = mechanisms
        self._cell_input_fn = cell_input_fn
        self._output_attention = output_attention
        self._alignment_history = alignment_history
        with name_scope(name, "AttentionWrapperInit"):
            if initial_cell_state is None:
                self._initial_cell_state = None
            else:
                last = nest.flatten(initial_cell_state)[-1]
                message = (f"When constructing AttentionWrapper {self.name}: Non-matching batch "
                           "sizes between the memory (encoder output) and initial_cell_state.  "
                           "Are you using the BeamSearchDecoder?  You may need to tile your "
                           "initial state via the tf.contrib.seq2seq.tile_batch function with "
                           "argument multiple=beam_width.")
                with control_dependencies(self._batch_size_checks(_dim(last, 0), message)):
                    self._initial_cell_state = nest.map_structure(
                        lambda s: constant_op.identity(s, name="check_initial_cell_state"),
                        initial_cell_state)

    def _batch_size_checks(self, batch_size, message):
        return [check_ops.assert_equal(batch_size, m.batch_size, message=message)
                for m in self._attention_mechanisms]

    def _item_or_tuple(self, seq):
        t = tuple(seq)
        return t if self._is_multi else t[0]

    @property
    def output_size(self):
        return self._attention_layer_size if self._output_attention \
            else self._cell.output_size

    @property
    def state_size(self):
        """An AttentionWrapperState of the sizes (alignment_history: the alignments' size,
        or `()` without history)."""
        return AttentionWrapperState(
            cell_state=self._cell.state_size, time=tensor_shape.TensorShape([]),
            attention=self._attention_layer_size,
            alignments=self._item_or_tuple(m.alignments_size
                                           for m in self._attention_mechanisms),
            attention_state=self._item_or_tuple(m.state_size
                                                for m in self._attention_mechanisms),
            alignment_history=self._item_or_tuple(
                m.alignments_size if self._alignment_history else ()
                for m in self._attention_mechanisms))

    def zero_state(self, batch_size, dtype):
        """The initial AttentionWrapperState: the initial cell state, zero attention, time 0,
        the mechanisms' initial alignments, and empty alignment histories.

        Args:
            batch_size: the batch size (batch_size * beam_width for beam search); checked at
                run time against the memory's.
            dtype: the state's dtype.

        Returns:
            An AttentionWrapperState.
        """
        with name_scope(type(self).__name__ + "ZeroState", values=[batch_size]):
            if self._initial_cell_state is not None:
                cell_state = self._initial_cell_state
            else:
                cell_state = self._cell.zero_state(batch_size, dtype)
            message = (f"When calling zero_state of AttentionWrapper {self.name}: Non-matching "
                       "batch sizes between the memory (encoder output) and the requested "
                       "batch size.  Are you using the BeamSearchDecoder?  If so, make sure "
                       "your encoder output has been tiled to beam_width via "
                       "tf.contrib.seq2seq.tile_batch, and the batch_size= argument passed "
                       "to zero_state is batch_size * beam_width.")
            with control_dependencies(self._batch_size_checks(batch_size, message)):
                cell_state = nest.map_structure(
                    lambda s: constant_op.identity(s, name="checked_cell_state"), cell_state)
            initial_alignments = [m.initial_alignments(batch_size, dtype)
                                  for m in self._attention_mechanisms]
            return AttentionWrapperState(
                cell_state=cell_state, time=array_ops.zeros([], dtype=dtypes.int32),
                attention=_zero_state_tensors(self._attention_layer_size, batch_size, dtype),
                alignments=self._item_or_tuple(initial_alignments),
                attention_state=self._item_or_tuple(
                    m.initial_state(batch_size, dtype) for m in self._attention_mechanisms),
                alignment_history=self._item_or_tuple(
                    TensorArray(dtype, size=0, dynamic_size=True, element_shape=a.shape)
                    if self._alignment_history else () for a in initial_alignments))

    def call(self, inputs, state):
        """One step: the cell on `cell_input_fn(inputs, state.attention)`, then attention
        with the cell output as the query.

        Args:
            inputs: `[batch, depth]`.
            state: an AttentionWrapperState.

        Returns:
            `(attention or cell_output, next AttentionWrapperState)`.

        Raises:
            TypeError: state is not an AttentionWrapperState.
        """
        if not isinstance(state, AttentionWrapperState):
            raise TypeError(f"Expected state to be instance of AttentionWrapperState. Received "
                            f"type {type(state)} instead.")
        cell_inputs = self._cell_input_fn(inputs, state.attention)
        cell_output, next_cell_state = self._cell(cell_inputs, state.cell_state)
        message = (f"When applying AttentionWrapper {self.name}: Non-matching batch sizes "
                   "between the memory (encoder output) and the query (decoder output).  Are "
                   "you using the BeamSearchDecoder?  You may need to tile your memory input "
                   "via the tf.contrib.seq2seq.tile_batch function with argument "
                   "multiple=beam_width.")
        with control_dependencies(self._batch_size_checks(_dim(cell_output, 0), message)):
            cell_output = constant_op.identity(cell_output, name="checked_cell_output")
        if self._is_multi:
            prev_states, prev_histories = state.attention_state, state.alignment_history
        else:
            prev_states, prev_histories = [state.attention_state], [state.alignment_history]
        all_alignments, all_attentions, all_states, all_histories = [], [], [], []
        for i, mechanism in enumerate(self._attention_mechanisms):
            attention, alignments, next_attention_state = self._attention_fn(
                mechanism, cell_output, prev_states[i],
                self._attention_layers[i] if self._attention_layers else None)
            history = prev_histories[i].write(state.time, alignments) \
                if self._alignment_history else ()
            all_states.append(next_attention_state)
            all_alignments.append(alignments)
            all_histories.append(history)
            all_attentions.append(attention)
        attention = array_ops.concat(all_attentions, 1)
        next_state = AttentionWrapperState(
            time=state.time + 1, cell_state=next_cell_state, attention=attention,
            attention_state=self._item_or_tuple(all_states),
            alignments=self._item_or_tuple(all_alignments),
            alignment_history=self._item_or_tuple(all_histories))
        if self._output_attention:
            return attention, next_state
        return cell_output, next_state
