"""random_extra_ops: gamma and Poisson sampling (RandomGamma, RandomPoissonV2), and the
stateless random ops (`tf.random.stateless_*`).

Stateful ops follow random_ops' seeding rules (TF1's `get_seed`, one generator per op and
Session). `random_gamma` is differentiable with respect to `alpha` (and `beta`) by implicit
reparameterization, as TF: d sample / d alpha = -(dF/dalpha) / (dF/dx) for the gamma CDF F,
computed by the RandomGammaGrad op (TF's sample derivative: -(dP/da) / pdf from the series
and continued fraction of the incomplete gamma function, special_ops.py).

Stateless ops are pure functions of `(shape, seed)`: the same seed gives the same values in
every run, Session and process. They draw from numpy's Philox generator keyed by the seed on
the host (so the values are also the same whichever device consumes them); the bits are not
TensorFlow's own Philox stream.
"""

from flowexec.framework import dtypes, errors
from flowexec.framework.convert import convert_to_tensor
from flowexec.framework.graph import name_scope
from flowexec.framework.registry import EXPENSIVE, apply_op, defop
from flowexec.framework.tensor_shape import TensorShape
from flowexec.ops import array_ops as _a
from flowexec.ops import math_ops as _m
from flowexec.ops import random_ops as _r
from flowexec.ops import shape_fns
from flowexec.ops.special_ops import random_gamma_grad_values, special

_FLOATS = shape_fns.FLOATS
_HOST = ("CPU",)


def _sample_shape(op, extra):
    shape = shape_fns.constant_shape(op.inputs[0])
    if shape.ndims is None or extra.ndims is None:
        return TensorShape(None)
    return shape.concatenate(extra)


# ----- RandomGamma ----------------------------------------------------------------------------
def _gamma_infer(op):
    shape, alpha = op.inputs
    shape_fns.check_dtype_in(op, _r._SHAPE_TYPES, 0)
    shape_fns.check_dtype_in(op, _FLOATS, 1)
    return [(alpha.dtype, _sample_shape(op, alpha.shape))]


def _gamma_draw(gen, xp, dims, alpha):
    a = alpha.astype(xp.float64)
    out = gen.standard_gamma(xp.broadcast_to(a, dims + a.shape))
    return xp.asarray(out).astype(alpha.dtype)


@defop("RandomGamma", infer=_gamma_infer, cost=EXPENSIVE, stateful=True, needs_ctx=True)
def _random_gamma(ctx, xp, shape, alpha, *, seed, seed2, T=None):
    gen = _r._generator(ctx, xp, seed, seed2)
    return _gamma_draw(gen, xp, _r._dims(shape), alpha)


def _gamma_grad_infer(op):
    alpha, sample = op.inputs
    shape_fns.check_same_dtype(op)
    return [(sample.dtype, sample.shape)]


@defop("RandomGammaGrad", infer=_gamma_grad_infer)
def _random_gamma_grad(xp, alpha, sample):
    a = xp.broadcast_to(alpha, sample.shape)
    return random_gamma_grad_values(xp, a, sample).astype(sample.dtype)


_random_gamma_grad.not_differentiable()


def _gamma_sample_grad(op, dy):
    # TF's _RandomGammaGrad: sum the per-sample partials over the sample dimensions
    shape, alpha = op.inputs
    sample = op.outputs[0]
    partial = apply_op("RandomGammaGrad", alpha, sample, name="RandomGammaGrad")
    return None, _m.reduce_sum(dy * partial, axis=_a.range(_a.size(shape)))


_random_gamma.gradient(_gamma_sample_grad)


def random_gamma(shape, alpha, beta=None, dtype=dtypes.float32, seed=None, name=None):
    """Samples of Gamma(alpha, beta) (rate beta): one `shape`-sized draw per element of the
    broadcast of `alpha` and `beta` (op type RandomGamma).

    Args:
        shape: 1-D int: the sample shape.
        alpha: shape (concentration) parameter(s), > 0.
        beta: rate parameter(s) (default 1), > 0.
        dtype: float16, float32 or float64.
        seed: op-level seed (see `set_random_seed`).
        name: name scope.

    Returns:
        A Tensor of shape `shape + broadcast(alpha, beta).shape`, differentiable with
        respect to alpha and beta.

    Example:
        >>> samples = random_gamma([10], [0.5, 1.5])  # shape [10, 2]
    """
    dtype = dtypes.as_dtype(dtype)
    with name_scope(name, "random_gamma", [shape, alpha, beta]):
        shape_t = _r.shape_tensor(shape)
        alpha = convert_to_tensor(alpha, name="alpha", dtype=dtype)
        beta = convert_to_tensor(beta if beta is not None else 1, name="beta", dtype=dtype)
        broadcast = alpha + _a.zeros_like(beta)
        sample = apply_op("RandomGamma", shape_t, broadcast, **_r._seed_attrs(seed))
        return _m.maximum(_tiny(dtype), sample / beta)


def _tiny(dtype):
    return {dtypes.float16: 6.1e-05, dtypes.float32: 1.1754944e-38,
            dtypes.float64: 2.2250738585072014e-308}[dtype]


# ----- RandomPoissonV2 ------------------------------------------------------------------------
def _poisson_infer(op):
    shape, rate = op.inputs
    shape_fns.check_dtype_in(op, _r._SHAPE_TYPES, 0)
    return [(op.attrs["dtype"], _sample_shape(op, rate.shape))]


def _poisson_draw(gen, xp, dims, rate, dtype):
    lam = xp.broadcast_to(rate.astype(xp.float64), dims + rate.shape)
    if (lam < 0).any():
        raise errors.InvalidArgumentError(None, None, "lam must be non-negative")
    return xp.asarray(gen.poisson(lam)).astype(dtype.np)


@defop("RandomPoissonV2", infer=_poisson_infer, cost=EXPENSIVE, stateful=True, needs_ctx=True)
def _random_poisson(ctx, xp, shape, rate, *, seed, seed2, dtype):
    gen = _r._generator(ctx, xp, seed, seed2)
    return _poisson_draw(gen, xp, _r._dims(shape), rate, dtype)


_random_poisson.not_differentiable()


def random_poisson(lam, shape, dtype=dtypes.float32, seed=None, name=None):
    """Samples of Poisson(lam): one `shape`-sized draw per element of `lam` (TF 1.x argument
    order; op type RandomPoissonV2).

    Returns:
        A Tensor of shape `shape + lam.shape` and `dtype` (float or int32/int64).

    Example:
        >>> samples = random_poisson([0.5, 1.5], [10])  # shape [10, 2]
    """
    with name_scope(name, "random_poisson", [lam, shape]) as scope:
        shape_t = _r.shape_tensor(shape)
        lam = convert_to_tensor(lam, name="lam", preferred_dtype=dtypes.float32)
        return apply_op("RandomPoissonV2", shape_t, lam, name=scope, dtype=dtypes.as_dtype(dtype),
                        **_r._seed_attrs(seed))


# ----- stateless ops --------------------------------------------------------------------------
def _stateless_gen(xp, seed):
    s = [int(v) for v in seed.reshape(-1).tolist()]
    if len(s) != 2:
        raise errors.InvalidArgumentError(None, None, f"seed must have shape [2], not "
                                                      f"{list(seed.shape)}")
    # host-only ops (xp is numpy): the values must not depend on the consuming device
    return xp.random.Generator(xp.random.Philox(key=[s[0] % 2 ** 64, s[1] % 2 ** 64]))


def _seed_check(op, index):
    seed = op.inputs[index]
    shape_fns.check_dtype_in(op, (dtypes.int32, dtypes.int64), index)
    if seed.shape.ndims is not None and seed.shape.as_list() not in ([2], [None]):
        raise shape_fns.shape_error(op, f"Dimension 0 in both shapes must be equal, but are "
                                        f"{seed.shape.as_list()[0] if seed.shape.ndims else 0}"
                                        f" and 2. seed must have shape [2]")


def _stateless_infer(op):
    _seed_check(op, 1)
    return [(op.attrs["dtype"], shape_fns.constant_shape(op.inputs[0]))]


@defop("StatelessRandomUniform", infer=_stateless_infer, device_types=_HOST)
def _stateless_uniform(xp, shape, seed, *, dtype):
    gen = _stateless_gen(xp, seed)
    return _r._uniform01(gen, xp, _r._dims(shape), dtype)


@defop("StatelessRandomNormal", infer=_stateless_infer, device_types=_HOST)
def _stateless_normal(xp, shape, seed, *, dtype):
    gen = _stateless_gen(xp, seed)
    return _r._standard_normal(gen, xp, _r._dims(shape), dtype).astype(dtype.np)


@defop("StatelessTruncatedNormal", infer=_stateless_infer, device_types=_HOST)
def _stateless_truncated_normal(xp, shape, seed, *, dtype):
    gen = _stateless_gen(xp, seed)
    dims = _r._dims(shape)
    out = gen.standard_normal(dims)
    bad = abs(out) > 2
    while bad.any():  # redraw beyond two standard deviations, as TF
        out[bad] = gen.standard_normal(int(bad.sum()))
        bad = abs(out) > 2
    return out.astype(dtype.np)


def _stateless_int_infer(op):
    _seed_check(op, 1)
    lo, hi = op.inputs[2], op.inputs[3]
    if hi.dtype is not lo.dtype:
        raise TypeError(f"Input 'maxval' of '{op.type}' Op has type {hi.dtype.name} that does "
                        f"not match type {lo.dtype.name} of argument 'minval'.")
    return [(lo.dtype, shape_fns.constant_shape(op.inputs[0]))]


@defop("StatelessRandomUniformInt", infer=_stateless_int_infer, device_types=_HOST)
def _stateless_uniform_int(xp, shape, seed, minval, maxval):
    lo, hi = int(minval), int(maxval)
    if lo >= hi:
        raise errors.InvalidArgumentError(None, None, f"Need minval < maxval: {lo} >= {hi}")
    gen = _stateless_gen(xp, seed)
    return gen.integers(lo, hi, size=_r._dims(shape)).astype(minval.dtype)


def _stateless_multinomial_infer(op):
    logits, num, seed = op.inputs
    _seed_check(op, 2)
    n = shape_fns.constant_value(num)
    batch = logits.shape[0] if logits.shape.ndims == 2 else None
    return [(op.attrs["output_dtype"], TensorShape([batch, None if n is None else int(n)]))]


@defop("StatelessMultinomial", infer=_stateless_multinomial_infer, device_types=_HOST)
def _stateless_multinomial(xp, logits, num_samples, seed, *, output_dtype=dtypes.int64):
    batch, classes = logits.shape
    n = int(num_samples)
    if n < 0:
        raise errors.InvalidArgumentError(None, None,
                                          f"num_samples should be nonnegative, got {n}")
    gen = _stateless_gen(xp, seed)
    x = logits.astype(xp.float64)
    p = xp.exp(x - xp.max(x, axis=1, keepdims=True))
    cdf = xp.cumsum(p, axis=1)
    cdf = cdf / cdf[:, -1:]
    u = gen.random((batch, n))
    return xp.sum(cdf[:, None, :] <= u[:, :, None], axis=2).astype(output_dtype.np)


def _stateless_param_infer(op):
    shape, seed, param = op.inputs[:3]
    _seed_check(op, 1)
    return [(param.dtype, shape_fns.constant_shape(shape))]


@defop("StatelessRandomGammaV2", infer=_stateless_param_infer, device_types=_HOST)
def _stateless_gamma(xp, shape, seed, alpha):
    gen = _stateless_gen(xp, seed)
    dims = _r._dims(shape)
    return xp.asarray(gen.standard_gamma(xp.broadcast_to(alpha.astype(xp.float64), dims))
                      ).astype(alpha.dtype)


@_stateless_gamma.gradient
def _stateless_gamma_grad(op, dy):
    shape, _, alpha = op.inputs
    partial = apply_op("RandomGammaGrad", _a.zeros_like(op.outputs[0]) + alpha, op.outputs[0],
                       name="RandomGammaGrad")
    return None, None, _m._unbroadcast(dy * partial, alpha, op.outputs[0].shape)


def _stateless_poisson_infer(op):
    _seed_check(op, 1)
    return [(op.attrs["dtype"], shape_fns.constant_shape(op.inputs[0]))]


@defop("StatelessRandomPoisson", infer=_stateless_poisson_infer, device_types=_HOST)
def _stateless_poisson(xp, shape, seed, lam, *, dtype):
    gen = _stateless_gen(xp, seed)
    dims = _r._dims(shape)
    lam = xp.broadcast_to(lam.astype(xp.float64), dims)
    return gen.poisson(lam).astype(dtype.np)


@defop("StatelessRandomBinomial", infer=_stateless_poisson_infer, device_types=_HOST)
def _stateless_binomial(xp, shape, seed, counts, probs, *, dtype):
    gen = _stateless_gen(xp, seed)
    dims = _r._dims(shape)
    n = xp.broadcast_to(counts, dims).astype(xp.int64)
    p = xp.broadcast_to(probs.astype(xp.float64), dims)
    return gen.binomial(n, p).astype(dtype.np)


@defop("StatelessParameterizedTruncatedNormal", infer=_stateless_param_infer,
       device_types=_HOST)
def _stateless_param_truncated_normal(xp, shape, seed, means, stddevs, minvals, maxvals):
    gen = _stateless_gen(xp, seed)
    dims = _r._dims(shape)
    mu, sd, lo, hi = (xp.broadcast_to(v.astype(xp.float64), dims)
                      for v in (means, stddevs, minvals, maxvals))
    if (lo >= hi).any():
        raise errors.InvalidArgumentError(None, None, "minval must be < maxval")
    sp = special(xp)
    a, b = sp.ndtr((lo - mu) / sd), sp.ndtr((hi - mu) / sd)
    u = gen.random(dims)
    return (mu + sd * sp.ndtri(a + u * (b - a))).astype(means.dtype)


for _od in (_stateless_uniform, _stateless_normal, _stateless_truncated_normal,
            _stateless_uniform_int, _stateless_multinomial, _stateless_poisson,
            _stateless_binomial, _stateless_param_truncated_normal):
    _od.not_differentiable()


def _seed_tensor(seed):
    s = convert_to_tensor(seed, name="seed", preferred_dtype=dtypes.int64)
    if s.dtype not in (dtypes.int32, dtypes.int64):
        raise TypeError(f"seed must be int32 or int64, got {s.dtype.name}")
    return s


def stateless_random_uniform(shape, seed, minval=0, maxval=None, dtype=dtypes.float32,
                             name=None):
    """Uniform values in [minval, maxval), a pure function of `shape` and `seed`.

    Args:
        shape: 1-D int: the output shape.
        seed: int32/int64 Tensor of shape [2].
        minval, maxval: bounds (maxval defaults to 1 for floats; required for ints).
        dtype: float16/32/64, int32 or int64.
        name: name scope.

    Raises:
        ValueError: an integer dtype without `maxval`.

    Example:
        >>> a = stateless_random_uniform([3], seed=[1, 2])  # the same values in every run
    """
    dtype = dtypes.as_dtype(dtype)
    if maxval is None:
        if dtype.is_integer:
            raise ValueError(f"Must specify maxval for integer dtype {dtype!r}")
        maxval = 1
    with name_scope(name, "stateless_random_uniform", [shape, seed, minval, maxval]) as scope:
        shape_t = _r.shape_tensor(shape)
        seed = _seed_tensor(seed)
        lo = convert_to_tensor(minval, dtype=dtype, name="min")
        hi = convert_to_tensor(maxval, dtype=dtype, name="max")
        if dtype.is_integer:
            return apply_op("StatelessRandomUniformInt", shape_t, seed, lo, hi, name=scope)
        rnd = apply_op("StatelessRandomUniform", shape_t, seed, dtype=dtype)
        return _m.add(rnd * (hi - lo), lo, name=scope)


def stateless_random_normal(shape, seed, mean=0.0, stddev=1.0, dtype=dtypes.float32,
                            name=None):
    """Normal values, a pure function of `shape` and `seed` ([2] ints).

    Example:
        >>> a = stateless_random_normal([3], seed=[1, 2])
    """
    dtype = dtypes.as_dtype(dtype)
    with name_scope(name, "stateless_random_normal", [shape, seed, mean, stddev]) as scope:
        shape_t = _r.shape_tensor(shape)
        rnd = apply_op("StatelessRandomNormal", shape_t, _seed_tensor(seed), dtype=dtype)
        mean = convert_to_tensor(mean, dtype=dtype, name="mean")
        stddev = convert_to_tensor(stddev, dtype=dtype, name="stddev")
        return _m.add(rnd * stddev, mean, name=scope)


def stateless_truncated_normal(shape, seed, mean=0.0, stddev=1.0, dtype=dtypes.float32,
                               name=None):
    """Normal values redrawn beyond two standard deviations, a pure function of `shape`
    and `seed`."""
    dtype = dtypes.as_dtype(dtype)
    with name_scope(name, "stateless_truncated_normal", [shape, seed, mean, stddev]) as scope:
        shape_t = _r.shape_tensor(shape)
        rnd = apply_op("StatelessTruncatedNormal", shape_t, _seed_tensor(seed), dtype=dtype)
        mean = convert_to_tensor(mean, dtype=dtype, name="mean")
        stddev = convert_to_tensor(stddev, dtype=dtype, name="stddev")
        return _m.add(rnd * stddev, mean, name=scope)


def stateless_multinomial(logits, num_samples, seed, output_dtype=dtypes.int64, name=None):
    """Class indices drawn from the rows of unnormalized log-probabilities `logits`
    ([batch, classes]), a pure function of `seed` (op type StatelessMultinomial)."""
    with name_scope(name, "stateless_multinomial", [logits, seed]) as scope:
        logits = convert_to_tensor(logits, name="logits")
        num = convert_to_tensor(num_samples, name="num_samples", dtype=dtypes.int32)
        return apply_op("StatelessMultinomial", logits, num, _seed_tensor(seed), name=scope,
                        output_dtype=dtypes.as_dtype(output_dtype))


def stateless_categorical(logits, num_samples, seed, dtype=dtypes.int64, name=None):
    """`stateless_multinomial` with TF 2's argument name `dtype`."""
    return stateless_multinomial(logits, num_samples, seed, output_dtype=dtype,
                                 name=name or "stateless_categorical")


def stateless_random_gamma(shape, seed, alpha, beta=None, dtype=dtypes.float32, name=None):
    """Gamma(alpha, beta) samples of `shape` (which must end with the broadcast shape of
    alpha and beta), a pure function of `seed`; differentiable with respect to alpha and
    beta."""
    dtype = dtypes.as_dtype(dtype)
    with name_scope(name, "stateless_random_gamma", [shape, seed, alpha, beta]):
        shape_t = _r.shape_tensor(shape)
        alpha = convert_to_tensor(alpha, dtype=dtype, name="alpha")
        beta = convert_to_tensor(beta if beta is not None else 1, dtype=dtype, name="beta")
        sample = apply_op("StatelessRandomGammaV2", shape_t, _seed_tensor(seed),
                          alpha + _a.zeros_like(beta))
        return _m.maximum(_tiny(dtype), sample / beta)


def stateless_random_poisson(shape, seed, lam, dtype=dtypes.int32, name=None):
    """Poisson(lam) samples of `shape` (broadcasting `lam`), a pure function of `seed`."""
    with name_scope(name, "stateless_random_poisson", [shape, seed, lam]) as scope:
        shape_t = _r.shape_tensor(shape)
        lam = convert_to_tensor(lam, name="lam", preferred_dtype=dtypes.float32)
        return apply_op("StatelessRandomPoisson", shape_t, _seed_tensor(seed), lam, name=scope,
                        dtype=dtypes.as_dtype(dtype))


def stateless_random_binomial(shape, seed, counts, probs, output_dtype=dtypes.int32,
                              name=None):
    """Binomial(counts, probs) samples of `shape` (broadcasting both), a pure function of
    `seed`."""
    with name_scope(name, "stateless_random_binomial", [shape, seed, counts, probs]) as scope:
        shape_t = _r.shape_tensor(shape)
        probs = convert_to_tensor(probs, name="probs", preferred_dtype=dtypes.float32)
        counts = convert_to_tensor(counts, name="counts", dtype=probs.dtype)
        return apply_op("StatelessRandomBinomial", shape_t, _seed_tensor(seed), counts, probs,
                        name=scope, dtype=dtypes.as_dtype(output_dtype))


def stateless_parameterized_truncated_normal(shape, seed, means=0.0, stddevs=1.0,
                                             minvals=-2.0, maxvals=2.0, name=None):
    """Normal(means, stddevs) samples truncated to [minvals, maxvals] (all broadcast to
    `shape`), a pure function of `seed`; drawn by inverting the truncated CDF."""
    with name_scope(name, "stateless_parameterized_truncated_normal",
                    [shape, means, stddevs, minvals, maxvals]) as scope:
        shape_t = _r.shape_tensor(shape)
        means = convert_to_tensor(means, name="means", preferred_dtype=dtypes.float32)
        rest = [convert_to_tensor(v, dtype=means.dtype, name=n)
                for v, n in ((stddevs, "stddevs"), (minvals, "minvals"), (maxvals, "maxvals"))]
        return apply_op("StatelessParameterizedTruncatedNormal", shape_t, _seed_tensor(seed),
                        means, *rest, name=scope)


__all__ = ["random_gamma", "random_poisson", "stateless_categorical", "stateless_multinomial",
           "stateless_parameterized_truncated_normal", "stateless_random_binomial",
           "stateless_random_gamma", "stateless_random_normal", "stateless_random_poisson",
           "stateless_random_uniform", "stateless_truncated_normal"]


def _full_int_infer(op):
    _seed_check(op, 1)
    return [(op.attrs["dtype"], shape_fns.constant_shape(op.inputs[0]))]


@defop("StatelessRandomUniformFullInt", infer=_full_int_infer, device_types=_HOST)
def _stateless_uniform_full_int(xp, shape, seed, *, dtype):
    gen = _stateless_gen(xp, seed)
    info = xp.iinfo(dtype.np)
    return gen.integers(int(info.min), int(info.max), size=_r._dims(shape), dtype=dtype.np,
                        endpoint=True)


_stateless_uniform_full_int.not_differentiable()


def stateless_split(seed, num=2, alg="auto_select"):
    """`num` new stateless seeds derived deterministically from `seed`, as TF builds them: a
    full-range stateless uniform `[num, 2]` draw of `seed`'s dtype (the bits are flowexec's
    stream, not TF's Philox).

    Args:
        seed: int32/int64 Tensor `[2]`.
        num: how many seeds.
        alg: accepted ("auto_select", "philox", "threefry"); flowexec has one stream.

    Returns:
        A Tensor `[num, 2]` of `seed`'s dtype.

    Raises:
        TypeError: `seed` is not int32/int64.

    Example:
        >>> s1, s2 = tf.unstack(tf.random.experimental.stateless_split([1, 2]))
    """
    del alg
    seed = _seed_tensor(seed)
    return apply_op("StatelessRandomUniformFullInt", _r.shape_tensor([int(num), 2]), seed,
                    dtype=seed.dtype, name="split")


def stateless_fold_in(seed, data, alg="auto_select"):
    """A new stateless seed `[draw(seed), data]`, as TF builds it: a full-range stateless
    uniform scalar of `data`'s dtype drawn from `seed`, stacked with `data`.

    Args:
        seed: int32/int64 Tensor `[2]`.
        data: an int32/int64 scalar (a step or replica id).
        alg: accepted; flowexec has one stream.

    Returns:
        A Tensor `[2]` of `data`'s dtype whose second element is `data`.

    Raises:
        TypeError: `seed` or `data` is not int32/int64.

    Example:
        >>> replica_seed = tf.random.experimental.stateless_fold_in([1, 2], 3)  # [x, 3]
    """
    del alg
    with name_scope(None, "fold_in", [seed, data]):
        seed = _seed_tensor(seed)
        data = convert_to_tensor(data, name="data")
        if data.dtype not in (dtypes.int32, dtypes.int64):
            raise TypeError(f"data must be int32 or int64, got {data.dtype.name}")
        first = apply_op("StatelessRandomUniformFullInt", _r.shape_tensor([]), seed,
                         dtype=data.dtype)
        return _a.stack([first, data])


split = stateless_split
fold_in = stateless_fold_in
