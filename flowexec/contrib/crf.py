"""`tf.contrib.crf`: TF 1.15's linear-chain conditional random field
(tensorflow/contrib/crf/python/ops/crf.py), built from graph ops, so that every score is
differentiable with respect to the unary potentials and the transition matrix.

A CRF over `num_tags` tags scores a tag sequence `y` of length `L` under unary potentials
`inputs[t, tag]` and a transition matrix `transition_params[from, to]` as

    score(y) = sum_{t < L} inputs[t, y_t] + sum_{t < L-1} transition_params[y_t, y_{t+1}]

and `crf_log_likelihood` is `score(y) - logsumexp_{y'} score(y')`. The log normalizer is the
forward algorithm, `tf.nn.dynamic_rnn` over `CrfForwardRnnCell`; `crf_decode` is Viterbi in
the graph (a forward `dynamic_rnn` of `CrfDecodeForwardRnnCell` collecting backpointers and
a backward one of `CrfDecodeBackwardRnnCell` following them); `viterbi_decode` is the same
in numpy for one unpadded sequence.

Semantics are TF 1.15's:

- Inputs are batch-major: `inputs` [batch, max_seq_len, num_tags], `tag_indices`
  [batch, max_seq_len] (int32 or int64), `sequence_lengths` [batch] (int32 or int64).
  Positions at or past an example's length count for nothing; an example of length 0 has
  sequence score 0, log norm 0 and so log likelihood 0.
- When `max_seq_len` is 1 the scores are computed without the recurrence (TF's
  `_single_seq_fn`). The choice is made at build time when the static time dimension is
  known, and by a `tf.cond` on the runtime time dimension otherwise (TF's `smart_cond`).
- `crf_log_likelihood` with `transition_params=None` creates the variable "transitions"
  [num_tags, num_tags] with `tf.get_variable` (default initializer, current variable scope).
- `crf_decode` returns int32 `decode_tags` [batch, max_seq_len] (zeros past each length) and
  `best_score` [batch]. For a length-0 example the multi-step path gives the argmax of the
  first step's potentials as tag 0 and its max as score, as TF does.

Deliberate differences from TF 1.15: float64 potentials work throughout (TF 1.15 hard-codes
float32 masks, a float32 `dynamic_rnn` dtype and a float32 "transitions" variable, so float64
inputs fail there; here masks, the RNN dtype and the created variable follow
`inputs.dtype`); `crf_forward` is tensorflow_addons' function of that name (TF 1.15 has no
public one), with the same recurrence as `crf_log_norm`.

Graph construction is not thread-safe; running the graph is.

Example:
    >>> log_likelihood, transition_params = tf.contrib.crf.crf_log_likelihood(
    ...     unary_scores, gold_tags, sequence_lengths)
    >>> loss = tf.reduce_mean(-log_likelihood)
    >>> tags, best_score = tf.contrib.crf.crf_decode(unary_scores, transition_params,
    ...                                              sequence_lengths)
"""

import numpy as np

from flowexec.contrib.layers.utils import smart_cond
from flowexec.framework import dtypes
from flowexec.framework.convert import convert_to_tensor
from flowexec.ops import array_ops, constant_op, manip_ops, math_ops
from flowexec.ops import rnn
from flowexec.ops.rnn_cell_impl import RNNCell
from flowexec.variable_scope import get_variable

__all__ = [
    "crf_sequence_score", "crf_log_norm", "crf_log_likelihood", "crf_unary_score",
    "crf_binary_score", "CrfForwardRnnCell", "viterbi_decode", "crf_decode",
    "CrfDecodeForwardRnnCell", "CrfDecodeBackwardRnnCell", "crf_multitag_sequence_score",
    "crf_forward",
]


def _tensor(value, name, dtype=None):
    return convert_to_tensor(value, dtype=dtype, name=name)


def _int_tensor(value, name):
    t = convert_to_tensor(value, name=name)
    if t.dtype.base_dtype not in (dtypes.int32, dtypes.int64):
        raise TypeError(f"{name} must be int32 or int64, got {t.dtype.name}")
    return t


def _is_single_step(potentials):
    """A Python bool when the time dimension is static, else a bool scalar tensor."""
    steps = potentials.shape.as_list()[1] if potentials.shape.ndims is not None else None
    if steps is not None:
        return steps == 1
    return math_ops.equal(array_ops.shape(potentials)[1], 1)


def _num_tags(tensor, axis):
    """The static size of `axis`, or None."""
    if tensor.shape.ndims is None:
        return None
    return tensor.shape.as_list()[axis]


def _mask_nonpositive(values, sequence_lengths):
    """`values` with zeros where `sequence_lengths <= 0`."""
    zero = constant_op.constant(0, dtype=sequence_lengths.dtype)
    return math_ops.where(math_ops.less_equal(sequence_lengths, zero),
                          array_ops.zeros_like(values), values)


def _lengths_less_one(sequence_lengths):
    """max(0, sequence_lengths - 1): the number of transitions of each example."""
    zero = constant_op.constant(0, dtype=sequence_lengths.dtype)
    one = constant_op.constant(1, dtype=sequence_lengths.dtype)
    return math_ops.maximum(zero, sequence_lengths - one)


def _first_and_rest(inputs):
    """inputs[:, 0, :] ([B, O]) and inputs[:, 1:, :] ([B, T-1, O]), with static shapes."""
    first = array_ops.squeeze(array_ops.slice(inputs, [0, 0, 0], [-1, 1, -1]), [1])
    rest = array_ops.slice(inputs, [0, 1, 0], [-1, -1, -1])
    if inputs.shape.ndims == 3:
        batch, steps, tags = inputs.shape.as_list()
        first.set_shape([batch, tags])
        rest.set_shape([batch, None if steps is None else max(steps - 1, 0), tags])
    return first, rest


def crf_sequence_score(inputs, tag_indices, sequence_lengths, transition_params):
    """The unnormalized score of each example's tag sequence: unary plus binary scores.

    Args:
        inputs: [batch_size, max_seq_len, num_tags] float tensor of unary potentials.
        tag_indices: [batch_size, max_seq_len] int32/int64 matrix of the tags to score.
        sequence_lengths: [batch_size] int32/int64 vector of true sequence lengths.
        transition_params: [num_tags, num_tags] transition matrix (from, to).

    Returns:
        sequence_scores: a [batch_size] vector; 0 for examples of length 0.

    Raises:
        TypeError: tag_indices or sequence_lengths is not an integer tensor.

    Example:
        >>> scores = tf.contrib.crf.crf_sequence_score(inputs, tags, lengths, transitions)
    """
    inputs = _tensor(inputs, "inputs")
    tag_indices = _int_tensor(tag_indices, "tag_indices")
    sequence_lengths = _int_tensor(sequence_lengths, "sequence_lengths")
    transition_params = _tensor(transition_params, "transition_params", inputs.dtype)

    def _single_seq_fn():
        batch_size = array_ops.shape(inputs, out_type=tag_indices.dtype)[0]
        example_inds = array_ops.reshape(
            array_ops.range(batch_size, dtype=tag_indices.dtype), [-1, 1])
        # The first column only: tags is [B, 1] whenever this branch runs, and a statically
        # longer tags matrix (runtime time dimension, tf.cond) must still build.
        first_tags = array_ops.slice(tag_indices, [0, 0], [-1, 1])
        scores = array_ops.gather_nd(array_ops.squeeze(inputs, [1]),
                                     array_ops.concat([example_inds, first_tags], axis=1))
        return _mask_nonpositive(scores, sequence_lengths)

    def _multi_seq_fn():
        unary_scores = crf_unary_score(tag_indices, sequence_lengths, inputs)
        binary_scores = crf_binary_score(tag_indices, sequence_lengths, transition_params)
        return unary_scores + binary_scores

    return smart_cond(_is_single_step(inputs), _single_seq_fn, _multi_seq_fn)


def crf_multitag_sequence_score(inputs, tag_bitmap, sequence_lengths, transition_params):
    """log-sum-exp of the scores of all tag sequences allowed by `tag_bitmap`.

    `tag_bitmap[b, t, k]` says tag k is acceptable at step t; one-hot bitmaps give exactly
    `crf_sequence_score`. Computed as `crf_log_norm` over the potentials with the disallowed
    tags set to -inf.

    Args:
        inputs: [batch_size, max_seq_len, num_tags] float tensor of unary potentials.
        tag_bitmap: [batch_size, max_seq_len, num_tags] bool tensor of the allowed tags.
        sequence_lengths: [batch_size] int32/int64 vector of true sequence lengths.
        transition_params: [num_tags, num_tags] transition matrix.

    Returns:
        sequence_scores: a [batch_size] vector.

    Raises:
        TypeError: tag_bitmap is not bool, or sequence_lengths is not an integer tensor.

    Example:
        >>> allowed = tf.constant([[[True, True, False], [False, False, True]]])
        >>> score = tf.contrib.crf.crf_multitag_sequence_score(inputs, allowed, [2], trans)
    """
    inputs = _tensor(inputs, "inputs")
    tag_bitmap = _tensor(tag_bitmap, "tag_bitmap")
    if tag_bitmap.dtype.base_dtype != dtypes.bool:
        raise TypeError(f"tag_bitmap must be bool, got {tag_bitmap.dtype.name}")
    sequence_lengths = _int_tensor(sequence_lengths, "sequence_lengths")
    transition_params = _tensor(transition_params, "transition_params", inputs.dtype)
    neg_inf = constant_op.constant(float("-inf"), dtype=inputs.dtype)
    filtered_inputs = math_ops.where(tag_bitmap, inputs,
                                     array_ops.fill(array_ops.shape(inputs), neg_inf))
    filtered_inputs.set_shape(inputs.shape)

    def _single_seq_fn():
        return math_ops.reduce_logsumexp(filtered_inputs, axis=[1, 2], keepdims=False)

    def _multi_seq_fn():
        return crf_log_norm(filtered_inputs, sequence_lengths, transition_params)

    return smart_cond(_is_single_step(inputs), _single_seq_fn, _multi_seq_fn)


def crf_forward(inputs, state, transition_params, sequence_lengths):
    """The forward algorithm's alphas after each example's last transition.

    Runs `CrfForwardRnnCell` over `inputs` (the potentials from step 1 on) starting from
    `state` (the potentials of step 0), for `max(0, sequence_lengths - 1)` steps per
    example. This is tensorflow_addons' `crf_forward`; TF 1.15 inlines it in `crf_log_norm`.

    Args:
        inputs: [batch_size, max_seq_len - 1, num_tags] unary potentials of steps 1...
        state: [batch_size, num_tags] initial alphas (the step-0 potentials).
        transition_params: [num_tags, num_tags] transition matrix.
        sequence_lengths: [batch_size] int32/int64 vector of the full sequence lengths.

    Returns:
        alphas: [batch_size, num_tags]; `logsumexp(alphas, 1)` is the log normalizer.

    Raises:
        TypeError: sequence_lengths is not an integer tensor.
        ValueError: the number of tags is not known statically.

    Example:
        >>> alphas = tf.contrib.crf.crf_forward(inputs[:, 1:], inputs[:, 0], trans, lengths)
    """
    inputs = _tensor(inputs, "inputs")
    state = _tensor(state, "state", inputs.dtype)
    transition_params = _tensor(transition_params, "transition_params", inputs.dtype)
    sequence_lengths = _int_tensor(sequence_lengths, "sequence_lengths")
    _, alphas = rnn.dynamic_rnn(
        cell=CrfForwardRnnCell(transition_params), inputs=inputs,
        sequence_length=_lengths_less_one(sequence_lengths), initial_state=state,
        dtype=inputs.dtype)
    return alphas


def crf_log_norm(inputs, sequence_lengths, transition_params):
    """The log partition function: logsumexp of the scores of every tag sequence.

    Args:
        inputs: [batch_size, max_seq_len, num_tags] float tensor of unary potentials.
        sequence_lengths: [batch_size] int32/int64 vector of true sequence lengths.
        transition_params: [num_tags, num_tags] transition matrix.

    Returns:
        log_norm: a [batch_size] vector; 0 for examples of length 0.

    Raises:
        TypeError: sequence_lengths is not an integer tensor.
        ValueError: the number of tags is not known statically (multi-step case).

    Example:
        >>> log_z = tf.contrib.crf.crf_log_norm(inputs, lengths, transitions)
    """
    inputs = _tensor(inputs, "inputs")
    sequence_lengths = _int_tensor(sequence_lengths, "sequence_lengths")
    transition_params = _tensor(transition_params, "transition_params", inputs.dtype)
    first_input, rest_of_input = _first_and_rest(inputs)

    def _single_seq_fn():
        return _mask_nonpositive(math_ops.reduce_logsumexp(first_input, [1]),
                                 sequence_lengths)

    def _multi_seq_fn():
        alphas = crf_forward(rest_of_input, first_input, transition_params, sequence_lengths)
        return _mask_nonpositive(math_ops.reduce_logsumexp(alphas, [1]), sequence_lengths)

    return smart_cond(_is_single_step(inputs), _single_seq_fn, _multi_seq_fn)


def crf_log_likelihood(inputs, tag_indices, sequence_lengths, transition_params=None):
    """The log-likelihood of each example's tag sequence under a linear-chain CRF.

    Args:
        inputs: [batch_size, max_seq_len, num_tags] float tensor of unary potentials; the
            number of tags must be known statically when transition_params is None.
        tag_indices: [batch_size, max_seq_len] int32/int64 matrix of the gold tags.
        sequence_lengths: [batch_size] int32/int64 vector of true sequence lengths.
        transition_params: [num_tags, num_tags] transition matrix, or None to create the
            variable "transitions" with `tf.get_variable` in the current variable scope.

    Returns:
        (log_likelihood, transition_params): a [batch_size] vector (0 for length-0
        examples), and the transition matrix given or created.

    Raises:
        ValueError: transition_params is None and num_tags is not known statically.
        TypeError: tag_indices or sequence_lengths is not an integer tensor.

    Example:
        >>> log_likelihood, trans = tf.contrib.crf.crf_log_likelihood(logits, tags, lengths)
        >>> loss = tf.reduce_mean(-log_likelihood)
    """
    inputs = _tensor(inputs, "inputs")
    if transition_params is None:
        num_tags = _num_tags(inputs, 2)
        if num_tags is None:
            raise ValueError(f"crf_log_likelihood needs the last dimension of inputs "
                             f"(num_tags) to be known to create 'transitions'; inputs has "
                             f"shape {inputs.shape}")
        transition_params = get_variable("transitions", [num_tags, num_tags],
                                         dtype=inputs.dtype.base_dtype)
    sequence_scores = crf_sequence_score(inputs, tag_indices, sequence_lengths,
                                         transition_params)
    log_norm = crf_log_norm(inputs, sequence_lengths, transition_params)
    return sequence_scores - log_norm, transition_params


def crf_unary_score(tag_indices, sequence_lengths, inputs):
    """The sum over each example's first `sequence_lengths` steps of inputs[t, tag_t].

    Args:
        tag_indices: [batch_size, max_seq_len] int32/int64 matrix of tag indices.
        sequence_lengths: [batch_size] int32/int64 vector of true sequence lengths.
        inputs: [batch_size, max_seq_len, num_tags] float tensor of unary potentials.

    Returns:
        unary_scores: a [batch_size] vector.

    Raises:
        TypeError: tag_indices or sequence_lengths is not an integer tensor.

    Example:
        >>> tf.contrib.crf.crf_unary_score([[1, 0]], [2], [[[0., 1.], [2., 3.]]])  # [3.]
    """
    inputs = _tensor(inputs, "inputs")
    tag_indices = _int_tensor(tag_indices, "tag_indices")
    sequence_lengths = _int_tensor(sequence_lengths, "sequence_lengths")
    shape = array_ops.shape(inputs, out_type=tag_indices.dtype)
    batch_size, max_seq_len, num_tags = shape[0], shape[1], shape[2]
    index_dtype = tag_indices.dtype
    # Flat index of inputs[b, t, tag_indices[b, t]] in the flattened inputs.
    offsets = array_ops.expand_dims(
        array_ops.range(batch_size, dtype=index_dtype) * max_seq_len * num_tags, 1)
    offsets += array_ops.expand_dims(
        array_ops.range(max_seq_len, dtype=index_dtype) * num_tags, 0)
    flat_indices = array_ops.reshape(offsets + tag_indices, [-1])
    unary_scores = array_ops.reshape(
        array_ops.gather(array_ops.reshape(inputs, [-1]), flat_indices),
        array_ops.stack([batch_size, max_seq_len]))
    masks = array_ops.sequence_mask(sequence_lengths, maxlen=array_ops.shape(tag_indices)[1],
                                    dtype=inputs.dtype)
    out = math_ops.reduce_sum(unary_scores * masks, 1)
    out.set_shape(inputs.shape[:1] if inputs.shape.ndims else [None])
    return out


def crf_binary_score(tag_indices, sequence_lengths, transition_params):
    """The sum over each example's transitions of transition_params[tag_t, tag_{t+1}].

    Args:
        tag_indices: [batch_size, max_seq_len] int32/int64 matrix of tag indices.
        sequence_lengths: [batch_size] int32/int64 vector of true sequence lengths.
        transition_params: [num_tags, num_tags] matrix of binary potentials.

    Returns:
        binary_scores: a [batch_size] vector (0 for lengths 0 and 1).

    Raises:
        TypeError: tag_indices or sequence_lengths is not an integer tensor.

    Example:
        >>> tf.contrib.crf.crf_binary_score([[0, 1]], [2], [[0., 5.], [0., 0.]])  # [5.]
    """
    tag_indices = _int_tensor(tag_indices, "tag_indices")
    sequence_lengths = _int_tensor(sequence_lengths, "sequence_lengths")
    transition_params = _tensor(transition_params, "transition_params")
    num_tags = _num_tags(transition_params, 0)
    if num_tags is None:
        num_tags = array_ops.shape(transition_params, out_type=tag_indices.dtype)[0]
    else:
        num_tags = constant_op.constant(num_tags, dtype=tag_indices.dtype)
    num_transitions = array_ops.shape(tag_indices)[1] - 1
    start_tags = array_ops.slice(tag_indices, [0, 0], array_ops.stack([-1, num_transitions]))
    end_tags = array_ops.slice(tag_indices, [0, 1], array_ops.stack([-1, num_transitions]))
    flat_transition_indices = start_tags * num_tags + end_tags
    binary_scores = array_ops.gather(array_ops.reshape(transition_params, [-1]),
                                     flat_transition_indices)
    masks = array_ops.sequence_mask(sequence_lengths, maxlen=array_ops.shape(tag_indices)[1],
                                    dtype=transition_params.dtype)
    truncated_masks = array_ops.slice(masks, [0, 1], [-1, -1])
    out = math_ops.reduce_sum(binary_scores * truncated_masks, 1)
    out.set_shape(tag_indices.shape[:1] if tag_indices.shape.ndims else [None])
    return out


class _CrfTransitionCell(RNNCell):
    """A cell over [batch_size, num_tags] scores and a static [num_tags, num_tags]
    transition matrix (held as [1, num_tags, num_tags]): what the forward cells share."""

    def __init__(self, transition_params):
        super().__init__()
        transition_params = _tensor(transition_params, "transition_params")
        self._num_tags = _num_tags(transition_params, 0)
        if self._num_tags is None:
            raise ValueError(f"{type(self).__name__} needs a statically known number of "
                             f"tags; transition_params has shape {transition_params.shape}")
        self._transition_params = array_ops.expand_dims(transition_params, 0)

    @property
    def state_size(self):
        return self._num_tags

    @property
    def output_size(self):
        return self._num_tags


class CrfForwardRnnCell(_CrfTransitionCell):
    """One step of the forward algorithm: new_alphas[b, j] = inputs[b, j] +
    logsumexp_i(alphas[b, i] + transition_params[i, j]); both output and state are the new
    alphas. See http://www.cs.columbia.edu/~mcollins/fb.pdf.

    Args:
        transition_params: [num_tags, num_tags] matrix of binary potentials (num_tags must
            be known statically).

    Raises:
        ValueError: num_tags is not known statically.

    Example:
        >>> cell = tf.contrib.crf.CrfForwardRnnCell(transitions)
        >>> _, alphas = tf.nn.dynamic_rnn(cell, inputs[:, 1:], initial_state=inputs[:, 0])
    """

    def __call__(self, inputs, state, scope=None):
        """Computes the next alphas.

        Args:
            inputs: [batch_size, num_tags] unary potentials of this step.
            state: [batch_size, num_tags] previous alphas.
            scope: unused.

        Returns:
            (new_alphas, new_alphas), each [batch_size, num_tags].
        """
        transition_scores = array_ops.expand_dims(state, 2) + self._transition_params
        new_alphas = inputs + math_ops.reduce_logsumexp(transition_scores, [1])
        return new_alphas, new_alphas


def viterbi_decode(score, transition_params):
    """The highest scoring tag sequence of one unpadded sequence, in numpy (test time).

    Args:
        score: [seq_len, num_tags] numpy array of unary potentials (seq_len >= 1).
        transition_params: [num_tags, num_tags] numpy array of binary potentials.

    Returns:
        (viterbi, viterbi_score): a list of seq_len int tag indices, and the sequence's
        score (a numpy scalar of score's dtype).

    Raises:
        IndexError: score has no steps.

    Example:
        >>> tags, best = tf.contrib.crf.viterbi_decode(np_scores[:length], np_transitions)
    """
    score = np.asarray(score)
    transition_params = np.asarray(transition_params)
    trellis = np.zeros_like(score)
    backpointers = np.zeros_like(score, dtype=np.int32)
    trellis[0] = score[0]
    for t in range(1, score.shape[0]):
        v = np.expand_dims(trellis[t - 1], 1) + transition_params
        trellis[t] = score[t] + np.max(v, 0)
        backpointers[t] = np.argmax(v, 0)
    viterbi = [int(np.argmax(trellis[-1]))]
    for bp in reversed(backpointers[1:]):
        viterbi.append(int(bp[viterbi[-1]]))
    viterbi.reverse()
    return viterbi, np.max(trellis[-1])


class CrfDecodeForwardRnnCell(_CrfTransitionCell):
    """One step of Viterbi's forward pass: the new best scores (state) and, as output, the
    int32 backpointers argmax_i(scores[b, i] + transition_params[i, j]).

    Args:
        transition_params: [num_tags, num_tags] matrix of binary potentials (num_tags must
            be known statically).

    Raises:
        ValueError: num_tags is not known statically.

    Example:
        >>> cell = tf.contrib.crf.CrfDecodeForwardRnnCell(transitions)
        >>> backpointers, last_score = tf.nn.dynamic_rnn(
        ...     cell, inputs[:, 1:], initial_state=inputs[:, 0], dtype=tf.int32)
    """

    def __call__(self, inputs, state, scope=None):
        """Computes the backpointers and the new scores.

        Args:
            inputs: [batch_size, num_tags] unary potentials of this step.
            state: [batch_size, num_tags] previous best scores.
            scope: unused.

        Returns:
            (backpointers, new_state): int32 [batch_size, num_tags], and the new scores.
        """
        transition_scores = array_ops.expand_dims(state, 2) + self._transition_params
        new_state = inputs + math_ops.reduce_max(transition_scores, [1])
        backpointers = math_ops.cast(math_ops.argmax(transition_scores, 1), dtypes.int32)
        return backpointers, new_state


class CrfDecodeBackwardRnnCell(RNNCell):
    """One step of Viterbi's backtrace: the previous tag read from this step's backpointers
    at the current tag; output and state are that tag, [batch_size, 1] int32.

    Args:
        num_tags: the number of tags (an int).

    Example:
        >>> cell = tf.contrib.crf.CrfDecodeBackwardRnnCell(num_tags)
        >>> tags, _ = tf.nn.dynamic_rnn(cell, reversed_backpointers,
        ...                             initial_state=last_tag, dtype=tf.int32)
    """

    def __init__(self, num_tags):
        super().__init__()
        self._num_tags = num_tags

    @property
    def state_size(self):
        return 1

    @property
    def output_size(self):
        return 1

    def __call__(self, inputs, state, scope=None):
        """Follows the backpointers one step.

        Args:
            inputs: [batch_size, num_tags] int32 backpointers of the next step (time order).
            state: [batch_size, 1] int32 tag of the next step.
            scope: unused.

        Returns:
            (new_tags, new_tags), each [batch_size, 1] int32.
        """
        state = array_ops.squeeze(state, axis=[1])
        b_indices = array_ops.range(array_ops.shape(inputs)[0])
        indices = array_ops.stack([b_indices, state], axis=1)
        new_tags = array_ops.expand_dims(array_ops.gather_nd(inputs, indices), axis=-1)
        return new_tags, new_tags


def crf_decode(potentials, transition_params, sequence_length):
    """The highest scoring tag sequence of each example (Viterbi), in the graph.

    Args:
        potentials: [batch_size, max_seq_len, num_tags] float tensor of unary potentials.
        transition_params: [num_tags, num_tags] matrix of binary potentials.
        sequence_length: [batch_size] int32/int64 vector of true sequence lengths.

    Returns:
        (decode_tags, best_score): int32 [batch_size, max_seq_len] tag indices (zeros past
        each length), and the [batch_size] score of those tags.

    Raises:
        TypeError: sequence_length is not an integer tensor.
        ValueError: num_tags is not known statically (multi-step case).

    Example:
        >>> tags, best_score = tf.contrib.crf.crf_decode(logits, transitions, lengths)
    """
    potentials = _tensor(potentials, "potentials")
    transition_params = _tensor(transition_params, "transition_params", potentials.dtype)
    sequence_length = _int_tensor(sequence_length, "sequence_length")
    static_batch = potentials.shape.as_list()[0] if potentials.shape.ndims else None
    static_steps = potentials.shape.as_list()[1] if potentials.shape.ndims else None

    def _single_seq_fn():
        squeezed = array_ops.squeeze(potentials, [1])
        decode_tags = array_ops.expand_dims(math_ops.argmax(squeezed, axis=1), 1)
        best_score = math_ops.reduce_max(squeezed, axis=1)
        return math_ops.cast(decode_tags, dtype=dtypes.int32), best_score

    def _multi_seq_fn():
        num_tags = _num_tags(potentials, 2)
        initial_state, inputs = _first_and_rest(potentials)
        lengths_less_one = _lengths_less_one(sequence_length)
        backpointers, last_score = rnn.dynamic_rnn(  # [B, T-1, O], [B, O]
            CrfDecodeForwardRnnCell(transition_params), inputs=inputs,
            sequence_length=lengths_less_one, initial_state=initial_state,
            time_major=False, dtype=dtypes.int32)
        backpointers = manip_ops.reverse_sequence(backpointers, lengths_less_one, seq_axis=1)
        last_tag = math_ops.cast(math_ops.argmax(last_score, axis=1), dtypes.int32)
        last_tag = array_ops.expand_dims(last_tag, axis=-1)  # [B, 1]
        decode_tags, _ = rnn.dynamic_rnn(  # [B, T-1, 1]
            CrfDecodeBackwardRnnCell(num_tags), inputs=backpointers,
            sequence_length=lengths_less_one, initial_state=last_tag, time_major=False,
            dtype=dtypes.int32)
        decode_tags = array_ops.squeeze(decode_tags, axis=[2])
        decode_tags = array_ops.concat([last_tag, decode_tags], axis=1)  # [B, T]
        decode_tags = manip_ops.reverse_sequence(decode_tags, sequence_length, seq_axis=1)
        decode_tags.set_shape([static_batch, static_steps])
        return decode_tags, math_ops.reduce_max(last_score, axis=1)

    return smart_cond(_is_single_step(potentials), _single_seq_fn, _multi_seq_fn)
