"""`tf.random.Generator`: a random number generator whose state is a variable, so that a seeded
program draws the same sequence in every Session, and each draw (in any order, from any
thread) gets fresh numbers.

The state is an int64 variable [counter, 0, key] (Philox's layout). Every draw runs
RngReadAndSkip, which atomically returns the state and advances its counter, and feeds the
(key, counter) pair it read to a stateless sampler (random_extra_ops): two draws never share
a state, and the values are a function of the seed and the draw's place in the sequence.
`make_seeds` and `split` derive further stateless seeds and generators the same way. The
streams are flowexec's (numpy's Philox keyed per draw), not TensorFlow's bit for bit.
"""

import enum
import threading

import numpy as np

from flowexec.framework import dtypes
from flowexec.framework.convert import convert_to_tensor
from flowexec.framework.graph import get_default_graph, name_scope
from flowexec.framework.registry import apply_op, defop
from flowexec.framework.tensor_shape import TensorShape
from flowexec.ops import array_ops as _a
from flowexec.ops import math_ops as _m
from flowexec.ops import random_extra_ops as _rx
from flowexec.ops import state_ops as _s

__all__ = ["Algorithm", "Generator", "create_rng_state", "get_global_generator",
           "set_global_generator"]


class Algorithm(enum.Enum):
    """The RNG algorithms of TF's Generator."""

    PHILOX = 1
    THREEFRY = 2
    AUTO_SELECT = 3


_STATE_SIZE = 3
_MASK64 = (1 << 64) - 1


def _alg(alg):
    if alg is None:
        return Algorithm.PHILOX
    if isinstance(alg, Algorithm):
        return alg
    if isinstance(alg, str):
        name = alg.upper()
        if name == "AUTO_SELECT":
            return Algorithm.PHILOX
        return Algorithm[name]
    return Algorithm(int(alg))


def create_rng_state(seed, alg):
    """The initial int64 state [counter, 0, key] for an integer seed (or a list of them)."""
    _alg(alg)
    seeds = [int(s) for s in np.ravel(seed)] if not isinstance(seed, int) else [seed]
    key = 0
    for s in seeds:  # splitmix-style mixing of every seed word into the key
        key = (key ^ (s & _MASK64)) * 0x9E3779B97F4A7C15 & _MASK64
        key ^= key >> 31
    as_signed = key - (1 << 64) if key >= 1 << 63 else key
    return np.array([0, 0, as_signed], dtype=np.int64)


@defop("RngReadAndSkip", infer=lambda op: [(dtypes.int64, TensorShape([_STATE_SIZE]))],
       stateful=True, needs_ctx=True, node_def=_s._REF_INPUT_FORM)
def _read_and_skip(ctx, xp, resource, alg, delta, *, var_name):
    with _s._lock(ctx, var_name):
        old = _s._current(ctx, var_name)
        new = old.copy()
        new[0] = (int(old[0]) + int(delta)) % (1 << 63)
        ctx.state[_s._key(var_name)] = new
    return old.copy()


_read_and_skip.not_differentiable()

_GLOBAL = threading.local()


class Generator:
    """A stateful random number generator (TF 2's `tf.random.Generator`, in a graph).

    Create it with `Generator.from_seed(seed)` (deterministic) or
    `Generator.from_non_deterministic_state()`; its state variable must be initialized
    (tf.global_variables_initializer) before the first draw.

    Example:
        >>> g = tf.random.Generator.from_seed(1)
        >>> x = g.normal([2, 3])
        >>> with tf.Session() as sess:
        ...     sess.run(tf.global_variables_initializer()); a, b = sess.run(x), sess.run(x)
        ... # a != b, and a new Session gives the same a, b again
    """

    def __init__(self, copy_from=None, state=None, alg=None):
        from flowexec.variables import Variable

        if copy_from is not None:
            state, alg = copy_from._initial_state, copy_from.algorithm
        elif state is None:
            raise ValueError("Generator needs a state (or use Generator.from_seed)")
        self._alg = _alg(alg)
        self._initial_state = np.asarray(state, dtype=np.int64).reshape(_STATE_SIZE)
        with get_default_graph().as_default(), name_scope("Generator"):
            self._state_var = Variable(self._initial_state, dtype=dtypes.int64,
                                       trainable=False, name="StateVar")

    @classmethod
    def from_seed(cls, seed, alg=None):
        """A generator whose sequence is a function of the integer `seed`."""
        return cls(state=create_rng_state(seed, _alg(alg)), alg=alg)

    @classmethod
    def from_non_deterministic_state(cls, alg=None):
        """A generator seeded from the operating system's entropy."""
        seed = int.from_bytes(np.random.default_rng().bytes(8), "little") >> 1
        return cls.from_seed(seed, alg)

    @classmethod
    def from_key_counter(cls, key, counter, alg):
        """A generator with the given key and counter."""
        counter = list(np.ravel(counter)) + [0, 0]
        return cls(state=[int(counter[0]), 0, int(key)], alg=alg)

    @property
    def state(self):
        """The state variable (int64 [3])."""
        return self._state_var

    @property
    def algorithm(self):
        return self._alg

    @property
    def key(self):
        return self._state_var.value()[2]

    def _next_seed(self, delta=1):
        var_op = _s._variable_op(self._state_var, "RngReadAndSkip")
        with var_op.graph.as_default(), _s.colocate(var_op):
            alg = convert_to_tensor(self._alg.value, dtype=dtypes.int32, name="alg")
            delta = convert_to_tensor(delta, dtype=dtypes.int64, name="delta")
            old = apply_op("RngReadAndSkip", var_op.outputs[0], alg, delta,
                           name="RngReadAndSkip", var_name=var_op.name)
        return _a.stack([old[2], old[0]])  # (key, counter): the draw's stateless seed

    def normal(self, shape, mean=0.0, stddev=1.0, dtype=dtypes.float32, name=None):
        """Normal samples; each call draws new values."""
        with name_scope(name, "stateful_normal", [shape, mean, stddev]):
            return _rx.stateless_random_normal(shape, self._next_seed(), mean, stddev, dtype)

    def truncated_normal(self, shape, mean=0.0, stddev=1.0, dtype=dtypes.float32, name=None):
        """Normal samples redrawn beyond two standard deviations."""
        with name_scope(name, "truncated_normal", [shape, mean, stddev]):
            return _rx.stateless_truncated_normal(shape, self._next_seed(), mean, stddev, dtype)

    def uniform(self, shape, minval=0, maxval=None, dtype=dtypes.float32, name=None):
        """Uniform samples in [minval, maxval) (maxval required for integer dtypes)."""
        with name_scope(name, "stateful_uniform", [shape, minval, maxval]):
            return _rx.stateless_random_uniform(shape, self._next_seed(), minval, maxval,
                                                dtype)

    def uniform_full_int(self, shape, dtype=dtypes.uint64, name=None):
        """Integers over the whole range of `dtype` (int32, int64, uint32, uint64)."""
        dtype = dtypes.as_dtype(dtype)
        with name_scope(name, "stateful_uniform_full_int", [shape]):
            wide = _rx.stateless_random_uniform(shape, self._next_seed(), -(2 ** 63),
                                                2 ** 63 - 1, dtypes.int64)
            if dtype in (dtypes.int64,):
                return wide
            if dtype is dtypes.uint64:
                from flowexec.ops.shape_util_ops import bitcast

                return bitcast(wide, dtypes.uint64)
            return _m.cast(wide, dtype)  # the low bits of a uniform int64 are uniform

    def binomial(self, shape, counts, probs, dtype=dtypes.int32, name=None):
        """Binomial(counts, probs) samples."""
        with name_scope(name, "binomial", [shape, counts, probs]):
            return _rx.stateless_random_binomial(shape, self._next_seed(), counts, probs,
                                                 dtype)

    def make_seeds(self, count=1):
        """[2, count] int64 seeds for stateless ops (fresh on each call)."""
        seeds = _rx.stateless_random_uniform([2, int(count)], self._next_seed(), -(2 ** 63),
                                             2 ** 63 - 1, dtypes.int64)
        return seeds

    def split(self, count=1):
        """`count` new generators whose sequences are independent of this one's.

        Their seeds are drawn when the graph is built from this generator's initial state
        and a split counter, so the split is deterministic for a seeded generator.
        """
        self._splits = getattr(self, "_splits", 0)
        out = []
        for _ in range(int(count)):
            self._splits += 1
            base = [int(v) for v in self._initial_state] + [self._splits]
            out.append(Generator(state=create_rng_state(base, self._alg), alg=self._alg))
        return out

    def reset_from_seed(self, seed):
        """An op setting the state as from_seed(seed) would."""
        return _s.assign(self._state_var, create_rng_state(seed, self._alg))

    def reset(self, state):
        """An op setting the state."""
        return _s.assign(self._state_var, _m.cast(convert_to_tensor(state), dtypes.int64))

    def reset_from_key_counter(self, key, counter):
        """An op setting the key and counter."""
        counter = list(np.ravel(counter)) + [0, 0]
        return _s.assign(self._state_var, np.array([counter[0], 0, key], dtype=np.int64))

    def skip(self, delta):
        """An op advancing the counter by `delta` draws; returns the state before."""
        return self._next_seed(delta)


def get_global_generator():
    """The default graph's global generator (created from OS entropy on first use)."""
    graph = get_default_graph()
    gen = getattr(graph, "_global_generator", None)
    if gen is None:
        gen = Generator.from_non_deterministic_state()
        graph._global_generator = gen
    return gen


def set_global_generator(generator):
    """Makes `generator` the default graph's global generator.

    Raises:
        TypeError: `generator` is not a Generator.
    """
    if not isinstance(generator, Generator):
        raise TypeError(f"Expected a tf.random.Generator, got {type(generator).__name__}")
    get_default_graph()._global_generator = generator

