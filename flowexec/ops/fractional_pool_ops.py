"""Fractional pooling (Graham, 2014): FractionalMaxPool / FractionalAvgPool
(`tf.nn.fractional_max_pool` / `fractional_avg_pool`) with their gradient ops
FractionalMaxPoolGrad / FractionalAvgPoolGrad.

Each op returns the pooled tensor and the row and column pooling sequences: cumulative cell
boundaries `seq[0] = 0 < seq[1] < ... < seq[out] = in` whose steps are `k` or `k + 1`
(`k = in // out`, `out = floor(in / pooling_ratio)`). Output cell `i` pools input rows
`seq[i] .. seq[i + 1] - 1`, or `.. seq[i + 1]` when `overlapping` (clipped to the input).

The sequences are TF's, bit for bit: one Philox4x32-10 stream per op and Session, keyed by
the (seed, seed2) attributes as TF's GuardedPhiloxRandom (OS entropy when both are 0); the
rows are drawn first, then the columns. `pseudo_random` uses TF's `a_i = ceil(alpha * (i + u))`
with one uniform double `u`; otherwise the steps are `k + 1` repeated `in % out` times then `k`,
shuffled by TF's Fisher-Yates (`i + philox() % (n - i)`). Each run draws new sequences, unless
`deterministic`, which keeps the first run's for the op's life in the Session (TF's cached
pooling region).

Kernels: an average is two small 0/1 matrices (input rows x output rows, input columns x
output columns) contracted with the input; a maximum gathers each cell's rows and columns
(shorter cells repeat their last index, which cannot change a maximum). The max gradient
goes to the first maximum of each cell in scan order, as TF's.
"""

import collections
import math
import os
import struct
import threading

from flowexec.framework import dtypes, errors
from flowexec.framework.convert import convert_to_tensor
from flowexec.framework.registry import EXPENSIVE, apply_op, defop
from flowexec.framework.tensor_shape import TensorShape
from flowexec.ops import array_ops, shape_fns, window
from flowexec.ops.philox import Philox

# TF's generated wrappers return these namedtuples
_FIELDS = ["output", "row_pooling_sequence", "col_pooling_sequence"]
_RESULTS = {t: collections.namedtuple(t, _FIELDS) for t in ("FractionalMaxPool",
                                                              "FractionalAvgPool")}

_TYPES = (dtypes.float32, dtypes.float64, dtypes.int32, dtypes.int64)
_M32 = 0xFFFFFFFF


# ----- pooling sequences from TF's Philox stream (host Python ints) ---------------------------
def _uniform_double(x0, x1):
    """TF's Uint64ToDouble: 52 random mantissa bits, in [0, 1)."""
    bits = (1023 << 52) | ((x0 & 0xFFFFF) << 32) | x1
    return struct.unpack("<d", struct.pack("<Q", bits))[0] - 1.0


def pooling_sequence(n_in, n_out, gen, pseudo_random):
    """TF's GeneratePoolingSequence: the cumulative boundaries (n_out + 1 ints)."""
    if pseudo_random:
        alpha = n_in / n_out
        k = n_in // n_out
        max_u = min((k + 2) / alpha - 1, (n_in + 1 - k) / alpha - (n_out - 1))
        draws = gen.reserve32(2)
        u = _uniform_double(next(draws), next(draws)) * max_u
        cum = [1] + [int(math.ceil(alpha * (i + u))) for i in range(1, n_out)] + [n_in + 1]
        diff = [cum[i + 1] - cum[i] for i in range(n_out)]
    else:
        k = n_in // n_out
        diff = [k + 1 if i < n_in % n_out else k for i in range(n_out)]
        draws = gen.reserve32(n_out)
        for i in range(n_out - 1):
            j = i + next(draws) % (n_out - i)
            diff[i], diff[j] = diff[j], diff[i]
    seq = [0]
    for d in diff:
        seq.append(seq[-1] + d)
    return seq


# ----- build-time inference ------------------------------------------------------------------
def _pool_infer(op):
    shape_fns.check_dtype_in(op, _TYPES, 0)
    ratio = list(op.attrs["pooling_ratio"])
    if len(ratio) < 4:
        raise ValueError(f"Attr 'pooling_ratio' of '{op.type}' Op passed list of length "
                         f"{len(ratio)} less than minimum 4.")
    for r in ratio:
        if r < 1:
            raise shape_fns.shape_error(op, f"pooling_ratio cannot be smaller than 1, got: "
                                            f"{r:g}")
    dims = window.check_rank(op, 0, 4)
    out = [None if d is None else int(math.floor(d / r)) for d, r in zip(dims, ratio)]
    seqs = [TensorShape([None if o is None else o + 1]) for o in out[1:3]]
    return [(op.inputs[0].dtype, TensorShape(out)), (dtypes.int64, seqs[0]),
            (dtypes.int64, seqs[1])]


def _max_grad_infer(op):
    shape_fns.check_dtype_in(op, _TYPES, 0)
    window.check_rank(op, 0, 4)
    return [(op.inputs[0].dtype, op.inputs[0].shape)]


def _avg_grad_infer(op):
    shape_fns.check_dtype_in(op, _TYPES, 1)
    shape = shape_fns.constant_shape(op.inputs[0])
    if shape.ndims is not None and shape.ndims != 4:
        raise shape_fns.shape_error(op, f"Shape must be rank 4 but is rank {shape.ndims}")
    return [(op.inputs[1].dtype, shape if shape.ndims is not None else TensorShape([None] * 4))]


# ----- kernels -------------------------------------------------------------------------------
def _cells(seq, n_in, overlapping):
    """(start, inclusive end) of each output cell, clipped to the input."""
    return [(int(seq[i]), min(int(seq[i + 1]) - (0 if overlapping else 1), n_in - 1))
            for i in range(len(seq) - 1)]


def _membership(xp, cells, n_in, dtype):
    """(n_in, n_out) matrix: 1 where input row i lies in output cell o."""
    m = [[0.0] * len(cells) for _ in range(n_in)]
    for o, (a, b) in enumerate(cells):
        for i in range(a, b + 1):
            m[i][o] = 1.0
    return xp.asarray(m, dtype=dtype).reshape(n_in, len(cells))


def _gather_index(xp, cells):
    """(n_out, longest) input indices of each cell, the last repeated to fill."""
    width = max(b - a + 1 for a, b in cells)
    return xp.asarray([[min(a + t, b) for t in range(width)] for a, b in cells],
                      dtype=xp.int64).reshape(len(cells), width)


def _sequences(ctx, xp, x_shape, pooling_ratio, pseudo_random, deterministic, seed, seed2):
    if not deterministic and (seed != 0 or seed2 != 0):
        raise errors.InvalidArgumentError(
            None, None, "Both seed and seed2 should be 0 if deterministic is false.")
    for i, (d, r) in enumerate(zip(x_shape, pooling_ratio)):
        if d < r:
            raise errors.InvalidArgumentError(
                None, None, f"Pooling ratio is higher than input dimension size for dimension "
                            f"{i}. Input dim size: {d} pooling ratio: {r:g}")
    out = [int(math.floor(d / r)) for d, r in zip(x_shape, pooling_ratio)]
    if out[0] != x_shape[0] or out[3] != x_shape[3]:
        raise errors.UnimplementedError(
            None, None, "Fractional pooling is not yet supported on the batch nor channel "
                        "dimension.")
    key = ("fractional_pool", ctx.op.name)
    cached = ctx.state.get(key + ("sequences",))
    if deterministic and cached is not None:
        return cached
    gen = ctx.state.get(key)
    if gen is None:
        gen = ctx.state.setdefault(key, Philox(seed, seed2))
    with ctx.state.setdefault(key + ("lock",), threading.Lock()):
        seqs = (pooling_sequence(x_shape[1], out[1], gen, pseudo_random),
                pooling_sequence(x_shape[2], out[2], gen, pseudo_random))
    if deterministic:
        seqs = ctx.state.setdefault(key + ("sequences",), seqs)
    return seqs


def _max_pool(xp, x, rows, cols):
    r = _gather_index(xp, rows)
    c = _gather_index(xp, cols)
    # (N, OH, TH, W, C) -> (N, OH, TH, OW, TW, C)
    g = x[:, r][:, :, :, c]
    n, oh, th, ow, tw, ch = g.shape
    flat = g.transpose(0, 1, 3, 2, 4, 5).reshape(n, oh, ow, th * tw, ch)
    return flat, r, c


def _pooled(ctx, xp, value, reduce, attrs):
    """(reduce(value, row cells, col cells), row sequence, col sequence) of one run."""
    rs, cs = _sequences(ctx, xp, value.shape, attrs["pooling_ratio"], attrs["pseudo_random"],
                        attrs["deterministic"], attrs["seed"], attrs["seed2"])
    rows = _cells(rs, value.shape[1], attrs["overlapping"])
    cols = _cells(cs, value.shape[2], attrs["overlapping"])
    return (reduce(xp, value, rows, cols), xp.asarray(rs, dtype=xp.int64),
            xp.asarray(cs, dtype=xp.int64))


def _region_maxima(xp, x, rows, cols):
    return _max_pool(xp, x, rows, cols)[0].max(axis=3)


@defop("FractionalMaxPool", infer=_pool_infer, cost=EXPENSIVE, stateful=True, needs_ctx=True)
def _fractional_max_pool(ctx, xp, value, *, pooling_ratio, pseudo_random=False,
                         overlapping=False, deterministic=False, seed=0, seed2=0):
    return _pooled(ctx, xp, value, _region_maxima, dict(
        pooling_ratio=pooling_ratio, pseudo_random=pseudo_random, overlapping=overlapping,
        deterministic=deterministic, seed=seed, seed2=seed2))


def _region_means(xp, x, rows, cols):
    acc = xp.float64 if x.dtype == xp.float64 or x.dtype.kind == "i" else x.dtype
    mr = _membership(xp, rows, x.shape[1], acc)
    mc = _membership(xp, cols, x.shape[2], acc)
    sums = xp.einsum("io,bijc,jq->boqc", mr, x.astype(acc), mc)
    counts = (mr.sum(axis=0)[:, None] * mc.sum(axis=0)[None, :])[None, :, :, None]
    if x.dtype.kind == "i":  # TF divides in T: C++ integer division truncates
        q = xp.floor_divide(xp.abs(sums).astype(x.dtype), counts.astype(x.dtype))
        return (q * xp.sign(sums).astype(x.dtype)).astype(x.dtype)
    return (sums / counts).astype(x.dtype)


@defop("FractionalAvgPool", infer=_pool_infer, cost=EXPENSIVE, stateful=True, needs_ctx=True)
def _fractional_avg_pool(ctx, xp, value, *, pooling_ratio, pseudo_random=False,
                         overlapping=False, deterministic=False, seed=0, seed2=0):
    return _pooled(ctx, xp, value, _region_means, dict(
        pooling_ratio=pooling_ratio, pseudo_random=pseudo_random, overlapping=overlapping,
        deterministic=deterministic, seed=seed, seed2=seed2))


def _seq_cells(seq, n_in, n_out, overlapping, what):
    seq = [int(v) for v in seq.tolist()]
    if len(seq) != n_out + 1:
        raise errors.InvalidArgumentError(
            None, None, f"{what} pooling sequence has {len(seq)} entries, the output needs "
                        f"{n_out + 1}")
    return _cells(seq, n_in, overlapping)


@defop("FractionalMaxPoolGrad", infer=_max_grad_infer, cost=EXPENSIVE)
def _fractional_max_pool_grad(xp, orig_input, orig_output, out_backprop, row_pooling_sequence,
                              col_pooling_sequence, *, overlapping=False):
    n, h, w, ch = orig_input.shape
    rows = _seq_cells(row_pooling_sequence, h, out_backprop.shape[1], overlapping, "row")
    cols = _seq_cells(col_pooling_sequence, w, out_backprop.shape[2], overlapping, "col")
    flat, r, c = _max_pool(xp, orig_input, rows, cols)
    first = flat.argmax(axis=3)  # the first maximum in scan order, as TF's strict '<'
    tw = c.shape[1]
    dx = xp.zeros(orig_input.shape, dtype=out_backprop.dtype)
    acc = xp.float64 if out_backprop.dtype.kind == "i" else out_backprop.dtype
    for t in range(flat.shape[3]):
        th, tc = divmod(t, tw)
        hit = xp.where(first == t, out_backprop, 0).astype(acc)
        a = xp.zeros((h, len(rows)), dtype=acc)
        b = xp.zeros((w, len(cols)), dtype=acc)
        for o, (s, e) in enumerate(rows):
            if s + th <= e:
                a[s + th, o] = 1
        for o, (s, e) in enumerate(cols):
            if s + tc <= e:
                b[s + tc, o] = 1
        dx += xp.einsum("io,boqc,jq->bijc", a, hit, b).astype(dx.dtype)
    return dx


@defop("FractionalAvgPoolGrad", infer=_avg_grad_infer, cost=EXPENSIVE)
def _fractional_avg_pool_grad(xp, orig_input_tensor_shape, out_backprop, row_pooling_sequence,
                              col_pooling_sequence, *, overlapping=False):
    shape = [int(v) for v in orig_input_tensor_shape.tolist()]
    if len(shape) != 4:
        raise errors.InvalidArgumentError(
            None, None, "original input tensor shape must be1-dimensional and 4 elements")
    rows = _seq_cells(row_pooling_sequence, shape[1], out_backprop.shape[1], overlapping, "row")
    cols = _seq_cells(col_pooling_sequence, shape[2], out_backprop.shape[2], overlapping, "col")
    mr = _membership(xp, rows, shape[1], xp.float64)
    mc = _membership(xp, cols, shape[2], xp.float64)
    counts = (mr.sum(axis=0)[:, None] * mc.sum(axis=0)[None, :])[None, :, :, None]
    dx = xp.einsum("io,boqc,jq->bijc", mr, out_backprop.astype(xp.float64) / counts, mc)
    return dx.astype(out_backprop.dtype)


@_fractional_max_pool.gradient
def _fractional_max_pool_grad_fn(op, dy, unused_rows, unused_cols):
    return [apply_op("FractionalMaxPoolGrad", op.inputs[0], op.outputs[0], dy, op.outputs[1],
                     op.outputs[2], overlapping=op.attrs["overlapping"])]


@_fractional_avg_pool.gradient
def _fractional_avg_pool_grad_fn(op, dy, unused_rows, unused_cols):
    shape = array_ops.shape(op.inputs[0], out_type=dtypes.int64)
    return [apply_op("FractionalAvgPoolGrad", shape, dy, op.outputs[1], op.outputs[2],
                     overlapping=op.attrs["overlapping"])]


def _no_gradient(op, dy):
    raise LookupError(f"No gradient defined for operation '{op.name}' (op type: {op.type})")


_fractional_max_pool_grad.gradient(_no_gradient)
_fractional_avg_pool_grad.gradient(_no_gradient)


# ----- Python wrappers -----------------------------------------------------------------------
def _fractional(op_type, value, pooling_ratio, pseudo_random, overlapping, deterministic, seed,
                seed2, name):
    value = convert_to_tensor(value, name="value")
    out = apply_op(op_type, value, pooling_ratio=[float(r) for r in pooling_ratio],
                   pseudo_random=bool(pseudo_random), overlapping=bool(overlapping),
                   deterministic=bool(deterministic), seed=int(seed), seed2=int(seed2),
                   name=name)
    return _RESULTS[op_type](*out)


def fractional_max_pool(value, pooling_ratio, pseudo_random=False, overlapping=False,
                        deterministic=False, seed=0, seed2=0, name=None):
    """Fractional max pooling of a 4-D `value` (op FractionalMaxPool).

    Args:
        value: `[batch, height, width, channels]`; float32, float64, int32 or int64.
        pooling_ratio: 4 floats >= 1, `[1.0, row_ratio, col_ratio, 1.0]`: each output
            dimension is `floor(input / ratio)`.
        pseudo_random: TF's pseudo-random sequences instead of shuffled random ones.
        overlapping: neighbouring cells share their boundary row/column.
        deterministic: keep the first run's sequences (needs seeds, or picks its own).
        seed, seed2: Philox seeds; must both be 0 unless `deterministic` (TF's rule).
        name: op name (default "FractionalMaxPool").

    Returns:
        (output, row_pooling_sequence, col_pooling_sequence): the pooled Tensor and the
        int64 cell boundaries used (equal to TF's for the same seeds).

    Example:
        >>> y, rows, cols = tf.nn.fractional_max_pool(x, [1.0, 1.44, 1.73, 1.0],
        ...                                           deterministic=True, seed=1, seed2=2)
    """
    return _fractional("FractionalMaxPool", value, pooling_ratio, pseudo_random, overlapping,
                       deterministic, seed, seed2, name)


def fractional_avg_pool(value, pooling_ratio, pseudo_random=False, overlapping=False,
                        deterministic=False, seed=0, seed2=0, name=None):
    """Fractional average pooling of a 4-D `value` (op FractionalAvgPool); arguments and
    results as `fractional_max_pool`, each cell's mean instead of its maximum.

    Example:
        >>> y, rows, cols = tf.nn.fractional_avg_pool(x, [1.0, 1.5, 1.5, 1.0])
    """
    return _fractional("FractionalAvgPool", value, pooling_ratio, pseudo_random, overlapping,
                       deterministic, seed, seed2, name)


__all__ = ["fractional_avg_pool", "fractional_max_pool"]
