"""Random ops: RandomStandardNormal, RandomUniform, RandomUniformInt, TruncatedNormal,
RandomShuffle and Multinomial, with TF1's seeding rules (`set_random_seed`, `get_seed`).

Seeds. `get_seed(op_seed)` turns the graph-level seed (`Graph.seed`, set by
`set_random_seed`) and an op-level seed into the pair of attributes `(seed, seed2)` every
random op carries, exactly as TF1 does:

    graph seed | op seed | (seed, seed2)
    -----------+---------+-----------------------------------------------------
    set        | None    | (graph seed, graph._next_op_seed())   deterministic
    set        | set     | (graph seed, op seed)                 deterministic
    None       | set     | (DEFAULT_GRAPH_SEED, op seed)         deterministic
    None       | None    | (0, 0) in the op: fresh OS entropy    nondeterministic

State. Random ops are stateful: each Session keeps one generator per op (and array module) in
`ctx.state`, created from `(seed, seed2)` on the op's first run. So the same seeds give the
same sequence in a new Session, successive runs in one Session give new values, and ops with
different seeds give different values. The generator is `xp.random.default_rng`, numpy's
PCG64 on CPU and cupy's XORWOW on GPU: a seeded graph is reproducible per device type, not
across them. Generators are shared by concurrent `run` calls; `dict.setdefault` makes their
creation race-free and numpy's generators lock themselves.

Example:
    >>> set_random_seed(1234)
    >>> a = random_uniform([2])
    >>> with Session() as s1, Session() as s2:
    ...     assert (s1.run(a) == s2.run(a)).all()
"""

from flowexec.framework import dtypes, errors
from flowexec.framework import graph as graph_mod
from flowexec.framework.convert import convert_to_tensor
from flowexec.framework.graph import name_scope
from flowexec.framework.registry import EXPENSIVE, apply_op, defop
from flowexec.framework.tensor import Tensor
from flowexec.framework.tensor_shape import TensorShape
from flowexec.ops import array_ops, math_ops, shape_fns

DEFAULT_GRAPH_SEED = 87654321
_MAXINT32 = 2 ** 31 - 1
_SHAPE_TYPES = (dtypes.int32, dtypes.int64)


# ----- seeds ---------------------------------------------------------------------------------
def _truncate_seed(seed):
    return seed % _MAXINT32  # fits the ops' 32-bit seed attributes


def get_seed(op_seed):
    """The `(seed, seed2)` pair a random op should use, given its op-level seed.

    Follows TF1: with a graph-level seed and no op seed, the op seed comes from the graph's
    op-seed counter, so every op gets its own deterministic sequence; with an op seed only,
    the graph seed is `DEFAULT_GRAPH_SEED`; with neither, `(None, None)` (nondeterministic).

    Args:
        op_seed: integer op-level seed, or None.

    Returns:
        A tuple of two integers (or two Nones).

    Example:
        >>> with Graph().as_default():
        ...     get_seed(7)
        (87654321, 7)
    """
    graph = graph_mod.get_default_graph()
    global_seed = graph.seed
    if global_seed is not None:
        if op_seed is None:
            op_seed = graph._next_op_seed()
        seeds = _truncate_seed(global_seed), _truncate_seed(op_seed)
    elif op_seed is not None:
        seeds = DEFAULT_GRAPH_SEED, _truncate_seed(op_seed)
    else:
        seeds = None, None
    # (0, 0) means "nondeterministic" to the kernels; a user who asked for seeds gets seeds.
    if seeds == (0, 0):
        return 0, _MAXINT32
    return seeds


def set_random_seed(seed):
    """Sets the graph-level random seed of the default graph.

    Random ops created afterwards without an op seed get deterministic, distinct sequences
    (see `get_seed`); two Sessions on the graph then produce the same values.

    Args:
        seed: integer.

    Example:
        >>> set_random_seed(1234)
        >>> a = random_normal([3])
    """
    graph_mod.get_default_graph().seed = seed


def _seed_attrs(seed):
    seed1, seed2 = get_seed(seed)
    return {"seed": seed1 or 0, "seed2": seed2 or 0}


# ----- shapes --------------------------------------------------------------------------------
def shape_tensor(shape):
    """A 1-D int32/int64 shape Tensor from a list, tuple, TensorShape, array or Tensor."""
    if isinstance(shape, Tensor):
        return shape
    if isinstance(shape, TensorShape):
        if not shape.is_fully_defined():
            raise ValueError(f"Cannot convert a partially known TensorShape to a Tensor: "
                             f"{shape}")
        shape = shape.as_list()
    if isinstance(shape, (list, tuple)):
        if not shape:
            return convert_to_tensor([], dtype=dtypes.int32, name="shape")
        dims = [getattr(d, "value", d) if not isinstance(d, Tensor) else d for d in shape]
        if any(isinstance(d, Tensor) for d in dims):
            dtype = next(d.dtype for d in dims if isinstance(d, Tensor))
            parts = [convert_to_tensor(d, dtype=dtype) for d in dims]
            return array_ops.stack(parts, name="shape")
        shape = dims
    return convert_to_tensor(shape, name="shape")


def _random_infer(op):
    shape = op.inputs[0]
    shape_fns.check_dtype_in(op, _SHAPE_TYPES, 0)
    if shape.shape.ndims not in (None, 1):
        raise shape_fns.shape_error(op, f"Shape must be rank 1 but is rank {shape.shape.ndims}")
    dtype = op.attrs["dtype"]
    allowed = shape_fns.FLOATS
    if dtype not in allowed:
        raise TypeError(f"Value passed to parameter 'dtype' has DataType {dtype.name} not in "
                        f"list of allowed values: {', '.join(d.name for d in allowed)}")
    return [(dtype, shape_fns.constant_shape(shape))]


# ----- kernel helpers ------------------------------------------------------------------------
def _generator(ctx, xp, seed, seed2):
    """The op's generator in this Session, created from (seed, seed2) on first use."""
    key = ("rng", ctx.op.name, xp.__name__)
    gen = ctx.state.get(key)
    if gen is None:
        entropy = None if seed == 0 and seed2 == 0 else [seed, seed2]
        gen = ctx.state.setdefault(key, xp.random.default_rng(entropy))
    return gen


def _dims(shape):
    dims = tuple(int(d) for d in shape.tolist())  # host ints: one sync on a GPU
    for d in dims:
        if d < 0:
            raise errors.InvalidArgumentError(None, None, f"Dimension {d} must be >= 0")
    return dims


def _work_dtype(xp, dtype):
    """Generators draw float32/float64; float16 is drawn in float32 and rounded."""
    return dtype.np if dtype.np.itemsize >= 4 else dtypes.float32.np


def _standard_normal(gen, xp, dims, dtype):
    return gen.standard_normal(dims, dtype=_work_dtype(xp, dtype))


def _uniform01(gen, xp, dims, dtype):
    work = _work_dtype(xp, dtype)
    u = gen.random(dims, dtype=work)
    if work != dtype.np:
        # Rounding a float32 in [0, 1) to float16 can give 1.0; quantize to float16's
        # 11-bit grid below 1 instead.
        u = xp.floor(u * 2048) / 2048
    return u.astype(dtype.np, copy=False)


# ----- RandomStandardNormal ------------------------------------------------------------------
@defop("RandomStandardNormal", infer=_random_infer, cost=EXPENSIVE, stateful=True,
       needs_ctx=True)
def _random_standard_normal(ctx, xp, shape, *, seed, seed2, dtype):
    gen = _generator(ctx, xp, seed, seed2)
    return _standard_normal(gen, xp, _dims(shape), dtype).astype(dtype.np, copy=False)


_random_standard_normal.not_differentiable()


def random_normal(shape, mean=0.0, stddev=1.0, dtype=dtypes.float32, seed=None, name=None):
    """Outputs random values from a normal distribution.

    Args:
        shape: 1-D integer Tensor or Python list/tuple: the output shape.
        mean: scalar (or broadcastable Tensor) mean.
        stddev: scalar (or broadcastable Tensor) standard deviation.
        dtype: a floating type.
        seed: op-level seed (see `set_random_seed`).
        name: name of the result (default "random_normal").

    Returns:
        A Tensor of `shape` and `dtype`.

    Example:
        >>> w = random_normal([784, 10], stddev=0.01, seed=1)
    """
    return _scaled_normal("RandomStandardNormal", "random_normal", shape, mean, stddev, dtype,
                          seed, name)


def _scaled_normal(op_type, default_name, shape, mean, stddev, dtype, seed, name):
    """`op_type`'s standard normal draws * stddev + mean, under TF's name scope."""
    dtype = dtypes.as_dtype(dtype)
    with name_scope(name, default_name, [shape, mean, stddev]) as scope:
        shape_t = shape_tensor(shape)
        mean_t = convert_to_tensor(mean, dtype=dtype, name="mean")
        stddev_t = convert_to_tensor(stddev, dtype=dtype, name="stddev")
        rnd = apply_op(op_type, shape_t, dtype=dtype, **_seed_attrs(seed))
        mul = rnd * stddev_t
        return math_ops.add(mul, mean_t, name=scope)


# ----- TruncatedNormal -----------------------------------------------------------------------
@defop("TruncatedNormal", infer=_random_infer, cost=EXPENSIVE, stateful=True, needs_ctx=True)
def _truncated_normal(ctx, xp, shape, *, seed, seed2, dtype):
    gen = _generator(ctx, xp, seed, seed2)
    x = _standard_normal(gen, xp, _dims(shape), dtype)
    flat = x.reshape(-1)
    idx = xp.flatnonzero(xp.abs(flat) > 2)
    while idx.size:  # resample what lies beyond two standard deviations (~4.6% per round)
        redo = gen.standard_normal(int(idx.size), dtype=flat.dtype)
        flat[idx] = redo
        idx = idx[xp.abs(redo) > 2]
    return x.astype(dtype.np, copy=False)


_truncated_normal.not_differentiable()


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=dtypes.float32, seed=None, name=None):
    """Outputs random values from a normal distribution truncated to two standard deviations.

    Values more than two standard deviations from the mean are dropped and re-drawn.

    Args:
        shape: 1-D integer Tensor or Python list/tuple: the output shape.
        mean: scalar mean of the (untruncated) normal distribution.
        stddev: scalar standard deviation of the (untruncated) normal distribution.
        dtype: a floating type.
        seed: op-level seed (see `set_random_seed`).
        name: name of the result (default "truncated_normal").

    Returns:
        A Tensor of `shape` and `dtype`, every value within `mean ± 2 * stddev`.

    Example:
        >>> w = truncated_normal([784, 10], stddev=0.1)
    """
    return _scaled_normal("TruncatedNormal", "truncated_normal", shape, mean, stddev, dtype,
                          seed, name)


# ----- RandomUniform / RandomUniformInt ------------------------------------------------------
@defop("RandomUniform", infer=_random_infer, cost=EXPENSIVE, stateful=True, needs_ctx=True)
def _random_uniform(ctx, xp, shape, *, seed, seed2, dtype):
    gen = _generator(ctx, xp, seed, seed2)
    return _uniform01(gen, xp, _dims(shape), dtype)


_random_uniform.not_differentiable()


def _uniform_int_infer(op):
    shape_fns.check_dtype_in(op, _SHAPE_TYPES, 0)
    shape = op.inputs[0]
    if shape.shape.ndims not in (None, 1):
        raise shape_fns.shape_error(op, f"Shape must be rank 1 but is rank {shape.shape.ndims}")
    shape_fns.check_dtype_in(op, _SHAPE_TYPES, 1)
    lo, hi = op.inputs[1], op.inputs[2]
    if hi.dtype is not lo.dtype:
        raise TypeError(f"Input 'maxval' of 'RandomUniformInt' Op has type {hi.dtype.name} "
                        f"that does not match type {lo.dtype.name} of argument 'minval'.")
    for t in (lo, hi):
        if t.shape.ndims not in (None, 0):
            raise shape_fns.shape_error(op, f"Shape must be rank 0 but is rank {t.shape.ndims}")
    return [(lo.dtype, shape_fns.constant_shape(shape))]


@defop("RandomUniformInt", infer=_uniform_int_infer, cost=EXPENSIVE, stateful=True,
       needs_ctx=True)
def _random_uniform_int(ctx, xp, shape, minval, maxval, *, seed, seed2):
    lo, hi = int(minval), int(maxval)
    if lo >= hi:
        raise errors.InvalidArgumentError(None, None, f"Need minval < maxval: {lo} >= {hi}")
    gen = _generator(ctx, xp, seed, seed2)
    return gen.integers(lo, hi, size=_dims(shape), dtype=minval.dtype)


_random_uniform_int.not_differentiable()

_UNIFORM_TYPES = (dtypes.float16, dtypes.float32, dtypes.float64, dtypes.int32, dtypes.int64)


def random_uniform(shape, minval=0, maxval=None, dtype=dtypes.float32, seed=None, name=None):
    """Outputs random values from a uniform distribution on `[minval, maxval)`.

    Floats default to `[0, 1)`; integer dtypes need `maxval` and are drawn without bias.

    Args:
        shape: 1-D integer Tensor or Python list/tuple: the output shape.
        minval: lower bound (inclusive), a scalar of `dtype`.
        maxval: upper bound (exclusive); default 1 for floats, required for integers.
        dtype: float16, float32, float64, int32 or int64.
        seed: op-level seed (see `set_random_seed`).
        name: name of the result (default "random_uniform").

    Returns:
        A Tensor of `shape` and `dtype`.

    Raises:
        ValueError: an unsupported dtype, or an integer dtype without `maxval`.

    Example:
        >>> dice = random_uniform([10], minval=1, maxval=7, dtype=int32)
    """
    dtype = dtypes.as_dtype(dtype)
    if dtype not in _UNIFORM_TYPES:
        raise ValueError(f"Invalid dtype {dtype!r}")
    if maxval is None:
        if dtype.is_integer:
            raise ValueError(f"Must specify maxval for integer dtype {dtype!r}")
        maxval = 1
    with name_scope(name, "random_uniform", [shape, minval, maxval]) as scope:
        shape_t = shape_tensor(shape)
        min_t = convert_to_tensor(minval, dtype=dtype, name="min")
        max_t = convert_to_tensor(maxval, dtype=dtype, name="max")
        seeds = _seed_attrs(seed)
        if dtype.is_integer:
            return apply_op("RandomUniformInt", shape_t, min_t, max_t, name=scope,
                            Tout=dtype, **seeds)
        rnd = apply_op("RandomUniform", shape_t, dtype=dtype, **seeds)
        mul = rnd * (max_t - min_t)
        return math_ops.add(mul, min_t, name=scope)


# ----- RandomShuffle -------------------------------------------------------------------------
def _shuffle_infer(op):
    return shape_fns.unchanged(op)


@defop("RandomShuffle", infer=_shuffle_infer, cost=EXPENSIVE, stateful=True, needs_ctx=True)
def _random_shuffle(ctx, xp, value, *, seed, seed2):
    if value.ndim == 0 or value.shape[0] <= 1:
        return value.copy()
    gen = _generator(ctx, xp, seed, seed2)
    # argsort of uniform keys is a uniform permutation (ties have probability ~2**-53).
    perm = xp.argsort(gen.random(value.shape[0]))
    return value[perm]


_random_shuffle.not_differentiable()


def random_shuffle(value, seed=None, name=None):
    """Randomly shuffles a tensor along its first dimension.

    Args:
        value: a Tensor (or convertible value) to shuffle.
        seed: op-level seed (see `set_random_seed`).
        name: op name (default "RandomShuffle").

    Returns:
        A Tensor of the same shape and dtype, its rows permuted.

    Example:
        >>> random_shuffle([[1, 2], [3, 4], [5, 6]])  # rows in a random order
    """
    value = convert_to_tensor(value, name="value")
    return apply_op("RandomShuffle", value, name=name, **_seed_attrs(seed))


# ----- Multinomial ---------------------------------------------------------------------------
def _multinomial_infer(op):
    logits, num = op.inputs
    shape_fns.check_dtype_in(op, shape_fns.REAL, 0)
    if logits.shape.ndims not in (None, 2):
        raise shape_fns.shape_error(op,
                                    f"Shape must be rank 2 but is rank {logits.shape.ndims}")
    if num.dtype is not dtypes.int32:
        raise TypeError(f"Value passed to parameter 'num_samples' has DataType "
                        f"{num.dtype.name} not in list of allowed values: int32")
    n = shape_fns.constant_value(num)
    batch = logits.shape[0] if logits.shape.ndims == 2 else None
    return [(op.attrs["output_dtype"], TensorShape([batch, None if n is None else int(n)]))]


@defop("Multinomial", infer=_multinomial_infer, cost=EXPENSIVE, stateful=True, needs_ctx=True)
def _multinomial(ctx, xp, logits, num_samples, *, seed, seed2, output_dtype):
    batch, classes = logits.shape
    n = int(num_samples)
    if n < 0:
        raise errors.InvalidArgumentError(None, None,
                                          f"num_samples should be nonnegative, got {n}")
    if classes == 0 and n > 0:
        raise errors.InvalidArgumentError(None, None, "num_classes should be positive, got 0")
    gen = _generator(ctx, xp, seed, seed2)
    x = logits.astype(xp.float64)
    p = xp.exp(x - xp.max(x, axis=1, keepdims=True)) if classes else x
    cdf = xp.cumsum(p, axis=1)
    cdf = cdf / cdf[:, -1:] if classes else cdf
    u = gen.random((batch, n), dtype=xp.float64)
    # Index of the first cdf entry above u: zero-probability classes are never drawn.
    idx = xp.sum(cdf[:, None, :] <= u[:, :, None], axis=2)
    return idx.astype(output_dtype.np)


_multinomial.not_differentiable()


def multinomial(logits, num_samples, seed=None, name=None, output_dtype=None):
    """Draws samples from a categorical distribution given by unnormalized log-probabilities.

    Args:
        logits: 2-D Tensor `[batch_size, num_classes]`; `logits[i, :]` are the log-odds of
            the classes for row i.
        num_samples: number of independent samples per row (scalar int32).
        seed: op-level seed (see `set_random_seed`).
        name: op name (default "multinomial").
        output_dtype: int32 or int64 (default int64).

    Returns:
        An int Tensor `[batch_size, num_samples]` of class indices.

    Example:
        >>> samples = multinomial(log([[0.5, 0.5]]), 10)  # ten fair coin flips
    """
    output_dtype = dtypes.as_dtype(output_dtype or dtypes.int64)
    if output_dtype not in (dtypes.int32, dtypes.int64):
        raise TypeError(f"Value passed to parameter 'output_dtype' has DataType "
                        f"{output_dtype.name} not in list of allowed values: int32, int64")
    with name_scope(name, "multinomial", [logits]) as scope:
        logits = convert_to_tensor(logits, name="logits")
        num = convert_to_tensor(num_samples, dtype=dtypes.int32, name="num_samples")
        seeds = _seed_attrs(seed)
        return apply_op("Multinomial", logits, num, name=scope,
                        output_dtype=output_dtype, **seeds)


def categorical(logits, num_samples, dtype=None, seed=None, name=None):
    """`multinomial` under TF's newer name (`tf.random.categorical`; default name
    "categorical"): samples [batch_size, num_samples] class indices of dtype `dtype`
    (int64 by default) from unnormalized log-probabilities `logits`."""
    return multinomial(logits, num_samples, seed=seed, name=name or "categorical",
                       output_dtype=dtype)


__all__ = [
    "categorical",
    "get_seed",
    "multinomial",
    "random_normal",
    "random_shuffle",
    "random_uniform",
    "set_random_seed",
    "truncated_normal",
]
