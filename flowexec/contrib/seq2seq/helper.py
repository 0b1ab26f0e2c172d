"""Decoder helpers (TF 1.15's contrib/seq2seq/python/ops/helper.py): what a `BasicDecoder`
feeds its cell at each step and when each batch entry is finished.

A helper has three calls, made by the decoder: `initialize()` ->
`(finished, first_inputs)`; `sample(time, outputs, state)` -> `sample_ids` from the step's
(projected) outputs; `next_inputs(time, outputs, state, sample_ids)` ->
`(finished, next_inputs, next_state)`. `batch_size`, `sample_ids_shape` and
`sample_ids_dtype` describe the samples so `dynamic_decode` can size its TensorArrays.

- TrainingHelper: reads the ground-truth inputs (teacher forcing); entry `b` is finished
  once `time + 1 >= sequence_length[b]`; samples are the argmax (for show only).
- GreedyEmbeddingHelper / SampleEmbeddingHelper: feed back the embedding of the argmax /
  a sampled id; an entry is finished when it emits `end_token`.
- ScheduledEmbeddingTrainingHelper: teacher forcing, except that with probability
  `sampling_probability` an entry is fed the embedding of an id sampled from its outputs
  (sample id -1 marks "not sampled").
- InferenceHelper, CustomHelper: the caller's functions.

When every entry is finished the next inputs are a placeholder value (zeros, or the start
inputs), as TF does, so no out-of-range read happens.
"""

import abc

from flowexec.framework import dtypes, nest, tensor_shape
from flowexec.framework.convert import convert_to_tensor
from flowexec.framework.graph import name_scope
from flowexec.framework.tensor import Tensor
from flowexec.ops import array_ops, cond as cond_mod, embedding_ops, math_ops, random_ops
from flowexec.ops.rnn import _transpose_batch_time
from flowexec.ops.tensor_array_ops import TensorArray

__all__ = ["Helper", "CustomHelper", "TrainingHelper", "GreedyEmbeddingHelper",
           "SampleEmbeddingHelper", "ScheduledEmbeddingTrainingHelper", "InferenceHelper"]


def _unstack_ta(inp):
    return TensorArray(dtype=inp.dtype, size=array_ops.shape(inp)[0],
                       element_shape=inp.shape[1:]).unstack(inp)


def _embedding_fn(embedding):
    if callable(embedding):
        return embedding
    return lambda ids: embedding_ops.embedding_lookup(embedding, ids)


def _static_batch(t):
    n = t.shape.as_list()[0] if t.shape.ndims else None
    return n if n is not None else array_ops.size(t)


class Helper(abc.ABC):
    """The interface a `BasicDecoder` drives: sampling and next-input decisions.

    Subclasses implement `batch_size`, `sample_ids_shape`, `sample_ids_dtype`,
    `initialize`, `sample` and `next_inputs` (see the module docstring).

    Example:
        >>> class MyHelper(tf.contrib.seq2seq.Helper): ...
    """

    @property
    @abc.abstractmethod
    def batch_size(self):
        """The batch size: an int or an int32 scalar Tensor."""

    @property
    @abc.abstractmethod
    def sample_ids_shape(self):
        """The TensorShape of one entry's sample ids (no batch dimension)."""

    @property
    @abc.abstractmethod
    def sample_ids_dtype(self):
        """The dtype of the sample ids."""

    @abc.abstractmethod
    def initialize(self, name=None):
        """Returns `(initial_finished, initial_inputs)`."""

    @abc.abstractmethod
    def sample(self, time, outputs, state, name=None):
        """Returns `sample_ids` for the step's outputs."""

    @abc.abstractmethod
    def next_inputs(self, time, outputs, state, sample_ids, name=None):
        """Returns `(finished, next_inputs, next_state)`."""


class CustomHelper(Helper):
    """A helper made of the caller's three functions.

    Args:
        initialize_fn: `() -> (finished, next_inputs)` for the first step.
        sample_fn: `(time, outputs, state) -> sample_ids`.
        next_inputs_fn: `(time, outputs, state, sample_ids) -> (finished, next_inputs,
            next_state)`.
        sample_ids_shape: the shape of one entry's sample ids (default `[]`).
        sample_ids_dtype: their dtype (default int32).

    Example:
        >>> helper = tf.contrib.seq2seq.CustomHelper(init_fn, sample_fn, next_fn)
    """

    def __init__(self, initialize_fn, sample_fn, next_inputs_fn, sample_ids_shape=None,
                 sample_ids_dtype=None):
        self._initialize_fn = initialize_fn
        self._sample_fn = sample_fn
        self._next_inputs_fn = next_inputs_fn
        self._batch_size = None
        self._sample_ids_shape = tensor_shape.TensorShape(sample_ids_shape or [])
        self._sample_ids_dtype = dtypes.as_dtype(sample_ids_dtype or dtypes.int32)

    @property
    def batch_size(self):
        if self._batch_size is None:
            raise ValueError("batch_size accessed before initialize was called")
        return self._batch_size

    @property
    def sample_ids_shape(self):
        return self._sample_ids_shape

    @property
    def sample_ids_dtype(self):
        return self._sample_ids_dtype

    def initialize(self, name=None):
        with name_scope(name, f"{type(self).__name__}Initialize"):
            finished, next_inputs = self._initialize_fn()
            if self._batch_size is None:
                self._batch_size = _static_batch(finished)
        return finished, next_inputs

    def sample(self, time, outputs, state, name=None):
        with name_scope(name, f"{type(self).__name__}Sample", (time, outputs, state)):
            return self._sample_fn(time=time, outputs=outputs, state=state)

    def next_inputs(self, time, outputs, state, sample_ids, name=None):
        with name_scope(name, f"{type(self).__name__}NextInputs", (time, outputs, state)):
            return self._next_inputs_fn(time=time, outputs=outputs, state=state,
                                        sample_ids=sample_ids)


class TrainingHelper(Helper):
    """Teacher forcing: step `t` reads `inputs[:, t]` (the ground truth).

    Args:
        inputs: `[batch, time, ...]` (or `[time, batch, ...]` with time_major), or a nest.
        sequence_length: int32 `[batch]`; entry `b` is finished after
            `sequence_length[b]` steps.
        time_major: inputs are time-major.
        name: name scope (default "TrainingHelper").

    Raises:
        ValueError: sequence_length is not a vector.

    Example:
        >>> helper = tf.contrib.seq2seq.TrainingHelper(decoder_inputs, target_lengths)
        >>> decoder = tf.contrib.seq2seq.BasicDecoder(cell, helper, init_state, proj)
    """

    def __init__(self, inputs, sequence_length, time_major=False, name=None):
        with name_scope(name, "TrainingHelper", [inputs, sequence_length]):
            inputs = nest.map_structure(lambda x: convert_to_tensor(x, name="inputs"), inputs)
            self._inputs = inputs
            if not time_major:
                inputs = nest.map_structure(_transpose_batch_time, inputs)
            self._input_tas = nest.map_structure(_unstack_ta, inputs)
            self._sequence_length = convert_to_tensor(sequence_length,
                                                      name="sequence_length")
            if self._sequence_length.shape.ndims != 1:
                raise ValueError(f"Expected sequence_length to be a vector, but received "
                                 f"shape: {self._sequence_length.shape}")
            self._zero_inputs = nest.map_structure(
                lambda inp: array_ops.zeros_like(inp[0, :]), inputs)
            self._batch_size = _static_batch(self._sequence_length)

    @property
    def inputs(self):
        """The inputs as given (batch-major unless time_major)."""
        return self._inputs

    @property
    def sequence_length(self):
        """The int32 [batch] lengths."""
        return self._sequence_length

    @property
    def batch_size(self):
        return self._batch_size

    @property
    def sample_ids_shape(self):
        return tensor_shape.TensorShape([])

    @property
    def sample_ids_dtype(self):
        return dtypes.int32

    def _read_or_zeros(self, finished, time):
        all_finished = math_ops.reduce_all(finished)
        return cond_mod.cond(
            all_finished, lambda: self._zero_inputs,
            lambda: nest.map_structure(lambda ta: ta.read(time), self._input_tas))

    def initialize(self, name=None):
        with name_scope(name, "TrainingHelperInitialize"):
            finished = math_ops.equal(0, self._sequence_length)
            return finished, self._read_or_zeros(finished, 0)

    def sample(self, time, outputs, name=None, **unused_kwargs):
        with name_scope(name, "TrainingHelperSample", [time, outputs]):
            return math_ops.cast(math_ops.argmax(outputs, axis=-1), dtypes.int32)

    def next_inputs(self, time, outputs, state, name=None, **unused_kwargs):
        with name_scope(name, "TrainingHelperNextInputs", [time, outputs, state]):
            next_time = time + 1
            finished = next_time >= self._sequence_length
            return finished, self._read_or_zeros(finished, next_time), state


class ScheduledEmbeddingTrainingHelper(TrainingHelper):
    """Teacher forcing with scheduled sampling (Bengio et al. 2015): at each step, each
    entry is fed, with probability `sampling_probability`, the embedding of an id sampled
    from its output logits instead of the ground truth.

    Args:
        inputs, sequence_length, time_major: as TrainingHelper.
        embedding: a `[vocab, depth]` embedding matrix or a callable `ids -> embeddings`.
        sampling_probability: a float scalar in [0, 1].
        seed: the seed of the id sampler.
        scheduling_seed: the seed of the sample-or-not decision.
        name: name scope (default "ScheduledEmbeddingSamplingWrapper").

    Raises:
        ValueError: sampling_probability is not a scalar or a vector.

    Example:
        >>> helper = tf.contrib.seq2seq.ScheduledEmbeddingTrainingHelper(
        ...     inputs, lengths, embedding_matrix, sampling_probability=0.25)
    """

    def __init__(self, inputs, sequence_length, embedding, sampling_probability,
                 time_major=False, seed=None, scheduling_seed=None, name=None):
        with name_scope(name, "ScheduledEmbeddingSamplingWrapper",
                        [embedding, sampling_probability]):
            self._embedding_fn = _embedding_fn(embedding)
            self._sampling_probability = convert_to_tensor(sampling_probability,
                                                           name="sampling_probability")
            if self._sampling_probability.shape.ndims not in (0, 1):
                raise ValueError(f"sampling_probability must be either a scalar or a "
                                 f"vector. saw shape: {self._sampling_probability.shape}")
            self._seed = seed
            self._scheduling_seed = scheduling_seed
            super().__init__(inputs=inputs, sequence_length=sequence_length,
                             time_major=time_major, name=name)

    def initialize(self, name=None):
        return super().initialize(name=name)

    def sample(self, time, outputs, state, name=None):
        with name_scope(name, "ScheduledEmbeddingTrainingHelperSample",
                        [time, outputs, state]):
            uniform = random_ops.random_uniform([self.batch_size],
                                                dtype=self._sampling_probability.dtype,
                                                seed=self._scheduling_seed)
            select = uniform < self._sampling_probability
            sampled = array_ops.reshape(
                random_ops.multinomial(outputs, 1, seed=self._seed,
                                       output_dtype=dtypes.int32), [-1])
            return math_ops.where(select, sampled,
                                  array_ops.fill([self.batch_size], -1))

    def next_inputs(self, time, outputs, state, sample_ids, name=None):
        with name_scope(name, "ScheduledEmbeddingTrainingHelperNextInputs",
                        [time, outputs, state, sample_ids]):
            finished, base_next_inputs, state = super().next_inputs(
                time=time, outputs=outputs, state=state, sample_ids=sample_ids, name=name)

            def maybe_sample():
                sampling = sample_ids > -1
                embedded = self._embedding_fn(math_ops.maximum(sample_ids, 0))
                return math_ops.where(sampling, embedded, base_next_inputs)
            next_inputs = cond_mod.cond(math_ops.reduce_all(finished),
                                        lambda: base_next_inputs, maybe_sample)
            return finished, next_inputs, state


class GreedyEmbeddingHelper(Helper):
    """Inference by greedy decoding: the argmax of each step's outputs is embedded and fed to
    the next step; an entry is finished when it emits `end_token`.

    Args:
        embedding: a `[vocab, depth]` embedding matrix or a callable `ids -> embeddings`.
        start_tokens: int32 `[batch_size]`, the first step's ids.
        end_token: int32 scalar.

    Raises:
        ValueError: start_tokens is not a vector or end_token is not a scalar.

    Example:
        >>> helper = tf.contrib.seq2seq.GreedyEmbeddingHelper(
        ...     embedding_matrix, tf.fill([batch], GO_ID), EOS_ID)
    """

    def __init__(self, embedding, start_tokens, end_token):
        self._embedding_fn = _embedding_fn(embedding)
        self._start_tokens = convert_to_tensor(start_tokens, dtype=dtypes.int32,
                                               name="start_tokens")
        self._end_token = convert_to_tensor(end_token, dtype=dtypes.int32, name="end_token")
        if self._start_tokens.shape.ndims != 1:
            raise ValueError("start_tokens must be a vector")
        self._batch_size = _static_batch(self._start_tokens)
        if self._end_token.shape.ndims != 0:
            raise ValueError("end_token must be a scalar")
        self._start_inputs = self._embedding_fn(self._start_tokens)

    @property
    def batch_size(self):
        return self._batch_size

    @property
    def sample_ids_shape(self):
        return tensor_shape.TensorShape([])

    @property
    def sample_ids_dtype(self):
        return dtypes.int32

    def initialize(self, name=None):
        finished = array_ops.tile([False], [self._batch_size])
        return finished, self._start_inputs

    def sample(self, time, outputs, state, name=None):
        del time, state
        if not isinstance(outputs, Tensor):
            raise TypeError(f"Expected outputs to be a single Tensor, got: {type(outputs)}")
        return math_ops.argmax(outputs, axis=-1, output_type=dtypes.int32)

    def next_inputs(self, time, outputs, state, sample_ids, name=None):
        del time, outputs
        finished = math_ops.equal(sample_ids, self._end_token)
        next_inputs = cond_mod.cond(math_ops.reduce_all(finished),
                                    lambda: self._start_inputs,
                                    lambda: self._embedding_fn(sample_ids))
        return finished, next_inputs, state


class SampleEmbeddingHelper(GreedyEmbeddingHelper):
    """Inference by sampling: an id drawn from `softmax(outputs / softmax_temperature)` is
    embedded and fed to the next step; an entry is finished when it emits `end_token`.

    Args:
        embedding, start_tokens, end_token: as GreedyEmbeddingHelper.
        softmax_temperature: a float scalar (default 1.0); above 1 flattens, below 1
            sharpens the distribution.
        seed: the sampler's seed.

    Example:
        >>> helper = tf.contrib.seq2seq.SampleEmbeddingHelper(emb, starts, EOS_ID, seed=3)
    """

    def __init__(self, embedding, start_tokens, end_token, softmax_temperature=None,
                 seed=None):
        super().__init__(embedding, start_tokens, end_token)
        self._softmax_temperature = softmax_temperature
        self._seed = seed

    def sample(self, time, outputs, state, name=None):
        del time, state
        if not isinstance(outputs, Tensor):
            raise TypeError(f"Expected outputs to be a single Tensor, got: {type(outputs)}")
        logits = outputs if self._softmax_temperature is None \
            else outputs / self._softmax_temperature
        return array_ops.reshape(random_ops.multinomial(logits, 1, seed=self._seed,
                                                        output_dtype=dtypes.int32), [-1])


class InferenceHelper(Helper):
    """Inference without embeddings: the next inputs are `next_inputs_fn(sample_ids)` (or the
    samples themselves), e.g. for real-valued outputs fed back directly.

    Args:
        sample_fn: `outputs -> sample_ids`.
        sample_shape: the shape of one entry's samples.
        sample_dtype: their dtype.
        start_inputs: `[batch_size, ...]`, the first step's inputs.
        end_fn: `sample_ids -> bool [batch_size]`, which entries are finished.
        next_inputs_fn: `sample_ids -> next_inputs` (default: the samples).

    Example:
        >>> helper = tf.contrib.seq2seq.InferenceHelper(
        ...     lambda out: out, [depth], tf.float32, start, lambda s: tf.fill([b], False))
    """

    def __init__(self, sample_fn, sample_shape, sample_dtype, start_inputs, end_fn,
                 next_inputs_fn=None):
        self._sample_fn = sample_fn
        self._end_fn = end_fn
        self._sample_shape = tensor_shape.TensorShape(sample_shape)
        self._sample_dtype = dtypes.as_dtype(sample_dtype)
        self._next_inputs_fn = next_inputs_fn
        self._start_inputs = convert_to_tensor(start_inputs, name="start_inputs")
        n = self._start_inputs.shape.as_list()[0] if self._start_inputs.shape.ndims else None
        self._batch_size = n if n is not None else array_ops.shape(self._start_inputs)[0]

    @property
    def batch_size(self):
        return self._batch_size

    @property
    def sample_ids_shape(self):
        return self._sample_shape

    @property
    def sample_ids_dtype(self):
        return self._sample_dtype

    def initialize(self, name=None):
        finished = array_ops.tile([False], [self._batch_size])
        return finished, self._start_inputs

    def sample(self, time, outputs, state, name=None):
        del time, state
        return self._sample_fn(outputs)

    def next_inputs(self, time, outputs, state, sample_ids, name=None):
        del time, outputs
        next_inputs = sample_ids if self._next_inputs_fn is None \
            else self._next_inputs_fn(sample_ids)
        return self._end_fn(sample_ids), next_inputs, state
