"""quantize_ops: TF's real quantization, float32 <-> qint8/quint8/qint16/quint16/qint32.

`tf.quantize` (QuantizeV2) maps floats in [min_range, max_range] to a quantized type and
returns the range it used; `tf.dequantize` maps back; `tf.quantized_concat` concatenates
quantized tensors of different ranges into one range. The arithmetic is TF's kernels',
float32 step by step (bit-exact with TF; tests/data/tf1/quantize), in three modes:

- MIN_COMBINED: `(clamp(x) - min) * (qmax - qmin) / (max - min)`, shifted by half the type's
  range for signed types, rounded half away from zero;
- MIN_FIRST: TF's FloatToQuantized (`round(x * scale) - round(min * scale) + qmin`, clamped);
- SCALED: symmetric, `x * s` with `s` the largest scale that fits both min and max (the
  type's lowest value excluded with `narrow_range`), rounded half away from zero or half to
  even (`round_mode`, only this mode takes HALF_TO_EVEN).

Before quantizing, the range is made to contain 0 and to be at least
`ensure_minimum_range * max(1, |min|, |max|)` wide, as in TF. With `axis`, min/max are
vectors: one range per slice along that axis (not for MIN_FIRST). Quantized values are
numpy structured arrays of TF's quantized dtypes (`tf.qint8.np`), so the ops run on the
host (CuPy has no structured dtypes). TF defines no gradient for them: `tf.gradients`
through one is TF's LookupError.
"""

import numpy as np

from flowexec.framework import dtypes, errors
from flowexec.framework.convert import convert_to_tensor
from flowexec.framework.registry import apply_op, defop
from flowexec.framework.tensor_shape import TensorShape
from flowexec.ops import shape_fns

__all__ = ["dequantize", "quantize", "quantize_v2", "quantized_concat"]

_MODES = ("MIN_COMBINED", "MIN_FIRST", "SCALED")
_ROUND_MODES = ("HALF_AWAY_FROM_ZERO", "HALF_TO_EVEN")
_QUANTIZE_TYPES = (dtypes.qint8, dtypes.quint8, dtypes.qint16, dtypes.quint16, dtypes.qint32)
_DEQUANTIZE_OUT = tuple(d for d in (getattr(dtypes, "bfloat16", None), dtypes.float32) if d)
_INT32_BOUND = 2.0 ** 31
F32 = np.float32


def _int_type(qtype):
    return qtype.np[0]


def _limits(qtype):
    info = np.iinfo(_int_type(qtype))
    return int(info.min), int(info.max)


def _to_quantized(xp, values, qtype):
    """float32 values (already integers in range, or int32's overflow) as `qtype`."""
    it = _int_type(qtype)
    if it == np.int32:  # float -> int32 outside its range gives INT_MIN, as on x86 (and TF)
        values = xp.where((values >= _INT32_BOUND) | (values < -_INT32_BOUND),
                          F32(-_INT32_BOUND), values)
    return xp.ascontiguousarray(values.astype(np.int64).astype(it)).view(qtype.np)


def _ftz(xp, x):
    """Denormals flushed to zero, as TF's kernels run (ScopedFlushDenormal)."""
    return xp.where(xp.abs(x) < np.finfo(F32).tiny, F32(0), x).astype(F32)


def _round_away(xp, x):
    a = xp.abs(x)
    r = xp.floor(a)
    r = r + (a - r >= F32(0.5)).astype(F32)
    return xp.copysign(r, x).astype(F32)


def _check_choice(op_type, name, value, allowed):
    if value not in allowed:
        raise ValueError(f"{op_type}: attr '{name}' must be one of {list(allowed)}, got "
                         f"{value!r}")


def _range_infer(op, axis, input_index=0):
    """The (scalar or per-axis) shape of min/max; ValueError in TF's words if wrong."""
    x = op.inputs[input_index]
    lo, hi = op.inputs[input_index + 1], op.inputs[input_index + 2]
    for t in (lo, hi):
        if t.dtype is not dtypes.float32:
            raise TypeError(f"Input '{t.op.name}' of '{op.type}' Op has type {t.dtype.name} "
                            "that does not match expected type of float32.")
    if axis == -1:
        for t in (lo, hi):
            if t.shape.ndims not in (None, 0) and t.shape.num_elements() not in (None, 1):
                raise shape_fns.shape_error(op, f"Shape must be rank 0 but is rank "
                                                f"{t.shape.ndims}")
        return TensorShape([])
    if x.shape.ndims is not None and axis >= x.shape.ndims:
        raise shape_fns.shape_error(op, f"Shape must be at least rank {axis + 1} but is "
                                        f"rank {x.shape.ndims}")
    n = x.shape[axis] if x.shape.ndims is not None else None
    for t in (lo, hi):
        if t.shape.ndims not in (None, 1):
            raise shape_fns.shape_error(op, f"Shape must be rank 1 but is rank "
                                            f"{t.shape.ndims}")
        m = t.shape[0] if t.shape.ndims == 1 else None
        if n is not None and m is not None and n != m:
            raise shape_fns.shape_error(op, f"Dimensions must be equal, but are {m} and {n}")
    return TensorShape([n])


def _per_slice(xp, x, lo, hi, axis):
    """x, and lo/hi as float32 arrays that broadcast over x's slices along `axis`."""
    lo = xp.asarray(lo, dtype=F32).reshape(-1)
    hi = xp.asarray(hi, dtype=F32).reshape(-1)
    if axis == -1:
        return lo[:1].reshape(()), hi[:1].reshape(())
    shape = [1] * x.ndim
    shape[axis] = -1
    return lo.reshape(shape), hi.reshape(shape)


def _check_slices(op_type, x, lo, hi, axis):
    n = 1 if axis == -1 else x.shape[axis]
    for label, t in (("min_range", lo), ("max_range", hi)):
        size = int(np.prod(np.shape(t), dtype=np.int64))
        if size != n:
            what = "a scalar" if axis == -1 else f"{n} elements (the size of axis {axis})"
            raise errors.InvalidArgumentError(
                None, None, f"{op_type}: {label} must be {what}, got shape {list(np.shape(t))}")


def _min_first_quantize(xp, x, lo, hi, qtype):
    """TF's QUANTIZE_WITH_EIGEN (FloatToQuantizedStruct), float32 step by step."""
    qmin, qmax = _limits(qtype)
    steps = float(2 ** (8 * _int_type(qtype).itemsize))
    with np.errstate(divide="ignore"):
        scale = xp.where(hi == lo, 0.0, (steps - 1.0) / (hi - lo).astype(np.float64))
    scale = scale.astype(F32)
    lo_scaled = _round_away(xp, (lo * scale).astype(F32))
    lower = max(F32(qmin), F32(-2.147483648e9))
    upper = min(F32(qmax), F32(2.147483520e9))
    out = (_round_away(xp, (x * scale).astype(F32))
           - (lo_scaled - F32(qmin)).astype(F32)).astype(F32)
    return xp.minimum(xp.maximum(out, lower), upper)


def _min_first_dequantize(xp, qf, lo, hi, qtype):
    """TF's DEQUANTIZE_WITH_EIGEN (QuantizedToFloatStruct) of the values `qf` (float32)."""
    qmin, _ = _limits(qtype)
    steps = float(2 ** (8 * _int_type(qtype).itemsize))
    scale = ((hi - lo).astype(np.float64) / (steps - 1.0)).astype(F32)
    with np.errstate(divide="ignore", invalid="ignore"):
        lo_rounded = xp.where(hi == lo, lo, (_round_away(xp, (lo / scale).astype(F32)) * scale))
    base = (lo_rounded.astype(F32) - (F32(qmin) * scale).astype(F32)).astype(F32)
    return (base + (qf * scale).astype(F32)).astype(F32)


def _attr_axis(x, axis):
    """The `axis` attr of python's axis: -1 for None, a negative axis made positive."""
    if axis is None:
        return -1
    if axis < 0:
        if x.shape.ndims is None:
            raise ValueError("input should have known rank to use negative axis.")
        return axis % x.shape.ndims
    return axis


# ----- QuantizeV2 ----------------------------------------------------------------------------
def _quantize_infer(op):
    a = op.attrs
    shape_fns.check_dtype_in(op, (dtypes.float32,))
    _check_choice(op.type, "mode", a["mode"], _MODES)
    _check_choice(op.type, "round_mode", a["round_mode"], _ROUND_MODES)
    if a["T"] not in _QUANTIZE_TYPES:
        raise TypeError(f"Value passed to parameter 'T' has DataType {a['T'].name} not in "
                        "list of allowed values: qint8, quint8, qint32, qint16, quint16")
    rshape = _range_infer(op, a["axis"])
    return [(a["T"], op.inputs[0].shape), (dtypes.float32, rshape), (dtypes.float32, rshape)]


@defop("QuantizeV2", infer=_quantize_infer, device_types=("CPU",))
def _quantize_v2(xp, x, min_range, max_range, *, T, mode, round_mode, narrow_range, axis,
                 ensure_minimum_range):
    x = xp.asarray(x, dtype=F32)
    _check_slices("QuantizeV2", x, min_range, max_range, axis)
    if mode != "SCALED" and round_mode != "HALF_AWAY_FROM_ZERO":
        raise errors.InvalidArgumentError(
            None, None, f"Round mode '{round_mode}' only supported for mode 'SCALED', but "
            f"mode is '{mode}'.")
    if axis != -1 and mode == "MIN_FIRST":
        raise errors.UnimplementedError(
            None, None, "MIN_FIRST mode is not implemented for Quantize with axis != -1.")
    in_lo, in_hi = _per_slice(xp, x, min_range, max_range, axis)
    if bool(xp.any(in_hi < in_lo)):
        raise errors.InvalidArgumentError(
            None, None, "input_max_range must be larger than input_min_range.")
    lo = xp.minimum(F32(0), in_lo)
    eps = (xp.maximum(F32(1), xp.maximum(xp.abs(in_lo), xp.abs(in_hi)))
           * F32(ensure_minimum_range)).astype(F32)
    hi = xp.maximum(F32(0), xp.maximum(in_hi, (lo + eps).astype(F32)))
    qmin, qmax = _limits(T)
    if mode == "MIN_COMBINED":
        scale = (float(qmax) - float(qmin)) / (hi - lo).astype(np.float64)
        scale = scale.astype(F32)
        shifted = (xp.maximum(xp.minimum(x, hi), lo) - lo) * scale
        if qmin < 0:
            half = F32((float(qmax) - float(qmin) + 1) / 2.0)
            out = _round_away(xp, (shifted - half).astype(F32))
        else:
            out = xp.trunc((shifted + F32(0.5)).astype(F32))
    elif mode == "MIN_FIRST":
        out = _min_first_quantize(xp, x, lo, hi, T)
    else:
        low_out = qmin + (1 if narrow_range else 0)
        with np.errstate(divide="ignore", invalid="ignore"):
            from_min = xp.where(F32(low_out) * lo > 0, F32(low_out) / lo,
                                F32(np.finfo(F32).max))
            from_max = xp.where(F32(qmax) * hi > 0, F32(qmax) / hi, F32(np.finfo(F32).max))
        scale = xp.minimum(from_min, from_max).astype(F32)
        lo = _ftz(xp, (F32(low_out) / scale).astype(F32))
        hi = _ftz(xp, (F32(qmax) / scale).astype(F32))
        scaled = (xp.maximum(xp.minimum(x, hi), lo) * scale).astype(F32)
        out = xp.rint(scaled) if round_mode == "HALF_TO_EVEN" else _round_away(xp, scaled)
    shape = () if axis == -1 else (x.shape[axis],)
    return (_to_quantized(xp, out, T), lo.reshape(shape).astype(F32),
            hi.reshape(shape).astype(F32))


def _no_gradient(op, *unused_grads):
    raise LookupError(f"No gradient defined for operation '{op.name}' (op type: {op.type})")


_quantize_v2.gradient(_no_gradient)


def quantize_v2(input, min_range, max_range, T, mode="MIN_COMBINED", name=None,  # noqa: A002
                round_mode="HALF_AWAY_FROM_ZERO", narrow_range=False, axis=None,
                ensure_minimum_range=0.01):
    """Deprecated alias of `quantize` (TF 1.x's argument order: `name` before `round_mode`)."""
    return quantize(input, min_range, max_range, T, mode=mode, round_mode=round_mode,
                    name=name, narrow_range=narrow_range, axis=axis,
                    ensure_minimum_range=ensure_minimum_range)


def quantize(input, min_range, max_range, T, mode="MIN_COMBINED",  # noqa: A002
             round_mode="HALF_AWAY_FROM_ZERO", name=None, narrow_range=False, axis=None,
             ensure_minimum_range=0.01):
    """Quantizes the float32 `input` to the quantized type `T` (TF's QuantizeV2).

    Args:
        input: a float32 Tensor.
        min_range, max_range: float32 scalars (or vectors with `axis`): the input's range.
        T: tf.qint8, tf.quint8, tf.qint16, tf.quint16 or tf.qint32.
        mode: "MIN_COMBINED", "MIN_FIRST" or "SCALED" (see the module docstring).
        round_mode: "HALF_AWAY_FROM_ZERO", or "HALF_TO_EVEN" (SCALED only).
        narrow_range: SCALED mode leaves the type's lowest value unused.
        axis: quantize each slice along this axis with its own range.
        ensure_minimum_range: the least width of the range, relative to its magnitude.

    Returns:
        (output, output_min, output_max): the quantized tensor and the float range its
        values stand for.

    Raises:
        InvalidArgumentError: max_range < min_range, or HALF_TO_EVEN outside SCALED.
        UnimplementedError: MIN_FIRST with an axis.

    Example:
        >>> q, lo, hi = tf.quantize([-1.0, 0.0, 1.0], -1.0, 1.0, tf.qint8, mode="SCALED")
        >>> sess.run(q)["qint8"]
        array([-127,    0,  127], dtype=int8)
    """
    x = convert_to_tensor(input, name="input")
    axis = _attr_axis(x, axis)
    out = apply_op("QuantizeV2", x, convert_to_tensor(min_range, dtypes.float32, "min_range"),
                   convert_to_tensor(max_range, dtypes.float32, "max_range"),
                   name=name or "QuantizeV2", T=dtypes.as_dtype(T), mode=mode,
                   round_mode=round_mode, narrow_range=bool(narrow_range), axis=int(axis),
                   ensure_minimum_range=float(ensure_minimum_range))
    return tuple(out)


# ----- Dequantize ----------------------------------------------------------------------------
def _dequantize_infer(op):
    a = op.attrs
    _check_choice(op.type, "mode", a["mode"], _MODES)
    x = op.inputs[0]
    if x.dtype not in _QUANTIZE_TYPES:
        raise TypeError(f"Value passed to parameter 'input' has DataType {x.dtype.name} not "
                        "in list of allowed values: qint8, quint8, qint32, qint16, quint16")
    if a["dtype"] not in _DEQUANTIZE_OUT:
        raise TypeError(f"Value passed to parameter 'dtype' has DataType {a['dtype'].name} "
                        "not in list of allowed values: bfloat16, float32")
    _range_infer(op, a["axis"])
    return [(a["dtype"], x.shape)]


@defop("Dequantize", infer=_dequantize_infer, device_types=("CPU",))
def _dequantize(xp, x, min_range, max_range, *, mode, narrow_range, axis, dtype):
    qtype = dtypes.as_dtype(x.dtype)
    q = x.view(_int_type(qtype)).reshape(x.shape)
    _check_slices("Dequantize", q, min_range, max_range, axis)
    if axis != -1 and mode == "MIN_FIRST":
        raise errors.UnimplementedError(
            None, None, "MIN_FIRST mode is not implemented for Dequantize with axis != -1.")
    lo, hi = _per_slice(xp, q, min_range, max_range, axis)
    qmin, qmax = _limits(qtype)
    qf = q.astype(F32)
    if mode == "MIN_COMBINED":
        half = F32(0) if qmin == 0 else F32((F32(qmax) - F32(qmin) + F32(1)) / F32(2))
        scale = ((hi - lo) / (F32(qmax) - F32(qmin))).astype(F32)
        out = ((qf + half) * scale).astype(F32) + lo
    elif mode == "MIN_FIRST":
        out = _min_first_dequantize(xp, qf, lo, hi, qtype)
    else:
        low_out = qmin + (1 if narrow_range else 0)
        if qmin == 0:
            scale = (hi / F32(qmax)).astype(F32)
        else:
            scale = xp.maximum((lo / F32(low_out)).astype(F32), (hi / F32(qmax)).astype(F32))
        # TF's kernel goes quantized -> float -> int -> float: a qint32 near 2**31 wraps.
        as_int = qf if qmax < 2 ** 24 else xp.where(qf >= _INT32_BOUND, F32(-_INT32_BOUND), qf)
        out = as_int * scale
    out = out.astype(F32)
    return out if dtype is dtypes.float32 else out.astype(dtype.np)


_dequantize.gradient(_no_gradient)


def dequantize(input, min_range, max_range, mode="MIN_COMBINED", name=None,  # noqa: A002
               axis=None, narrow_range=False, dtype=dtypes.float32):
    """Maps the quantized `input` back to floats in [min_range, max_range] (TF's Dequantize;
    the inverse of `quantize` in each mode).

    Args:
        input: a qint8/quint8/qint16/quint16/qint32 Tensor.
        min_range, max_range: float32 scalars (vectors with `axis`).
        mode: "MIN_COMBINED", "MIN_FIRST" or "SCALED".
        axis: dequantize each slice along this axis with its own range.
        narrow_range: SCALED mode's `narrow_range` of the quantization.
        dtype: the output type, float32 or bfloat16.

    Returns:
        A Tensor of `dtype`.

    Example:
        >>> q, lo, hi = tf.quantize(x, -1.0, 1.0, tf.quint8)
        >>> y = tf.dequantize(q, lo, hi)
    """
    x = convert_to_tensor(input, name="input")
    axis = _attr_axis(x, axis)
    return apply_op("Dequantize", x, convert_to_tensor(min_range, dtypes.float32, "min_range"),
                    convert_to_tensor(max_range, dtypes.float32, "max_range"),
                    name=name or "Dequantize", mode=mode, narrow_range=bool(narrow_range),
                    axis=int(axis), dtype=dtypes.as_dtype(dtype))


# ----- QuantizedConcat -----------------------------------------------------------------------
def _concat_infer(op):
    n = op.attrs["N"]
    values = op.inputs[1:1 + n]
    first = values[0].dtype
    if first not in _QUANTIZE_TYPES:
        raise TypeError(f"Value passed to parameter 'values' has DataType {first.name} not in "
                        "list of allowed values: qint8, quint8, qint32, qint16, quint16")
    for t in values[1:]:
        if t.dtype is not first:
            raise TypeError(f"Input 'values' of 'QuantizedConcat' Op has type {t.dtype.name} "
                            f"that does not match type {first.name} of argument 'values'.")
    dim = shape_fns.constant_value(op.inputs[0])
    shapes = [t.shape for t in values]
    if dim is None or any(s.ndims is None for s in shapes):
        rank = next((s.ndims for s in shapes if s.ndims is not None), None)
        return [(first, TensorShape(None if rank is None else [None] * rank)),
                (dtypes.float32, TensorShape([])), (dtypes.float32, TensorShape([]))]
    rank = shapes[0].ndims
    axis = int(dim) + rank if int(dim) < 0 else int(dim)
    if not 0 <= axis < rank:
        raise shape_fns.shape_error(op, f"Expected concat_dim in the range [{-rank}, {rank}), "
                                        f"but got {int(dim)}")
    dims = shapes[0].as_list()
    for s in shapes[1:]:
        if s.ndims != rank:
            raise shape_fns.shape_error(op, f"Shape must be rank {rank} but is rank {s.ndims}")
        other = s.as_list()
        for i in range(rank):
            if i == axis:
                dims[i] = None if dims[i] is None or other[i] is None else dims[i] + other[i]
            elif dims[i] is not None and other[i] is not None and dims[i] != other[i]:
                raise shape_fns.shape_error(
                    op, f"Dimension {i} in both shapes must be equal, but are {dims[i]} and "
                        f"{other[i]}")
            elif dims[i] is None:
                dims[i] = other[i]
    return [(first, TensorShape(dims)), (dtypes.float32, TensorShape([])),
            (dtypes.float32, TensorShape([]))]


@defop("QuantizedConcat", infer=_concat_infer, device_types=("CPU",))
def _quantized_concat(xp, concat_dim, *args, N, T):
    values, mins, maxes = args[:N], args[N:2 * N], args[2 * N:]
    if T not in (dtypes.quint8, dtypes.qint32):  # TF registers these two kernels only
        raise errors.InvalidArgumentError(
            None, None, "No OpKernel was registered to support Op 'QuantizedConcat' with these "
            f"attrs: [T=DT_{T.name.upper()}, N={N}]")
    it = _int_type(T)
    qmin, _ = _limits(T)
    ranges = [(F32(np.asarray(lo).reshape(-1)[0]), F32(np.asarray(hi).reshape(-1)[0]))
              for lo, hi in zip(mins, maxes)]
    out_lo = min(F32(0), min(lo for lo, _ in ranges))
    out_hi = max(hi for _, hi in ranges)
    if qmin < 0:
        largest = max(abs(out_lo), abs(out_hi))
        out_lo, out_hi = -largest, largest
    axis = int(np.asarray(concat_dim))
    rank = values[0].ndim
    if not -rank <= axis < rank:
        raise errors.InvalidArgumentError(
            None, None, f"ConcatOp : Expected concat_dim in the range [{-rank}, {rank}), but "
            f"got {axis}")
    parts = []
    for v, (lo, hi) in zip(values, ranges):
        q = xp.asarray(v).view(it).reshape(v.shape)
        if lo == out_lo and hi == out_hi:
            parts.append(q.astype(np.int64))
        else:  # TF's RequantizeCopier: dequantize and quantize as MIN_FIRST does
            f = _min_first_dequantize(xp, q.astype(F32), F32(lo), F32(hi), T)
            parts.append(_min_first_quantize(xp, f, F32(out_lo), F32(out_hi), T)
                         .astype(np.int64))
    try:
        out = xp.concatenate(parts, axis=axis)
    except ValueError as e:
        raise errors.InvalidArgumentError(
            None, None, f"ConcatOp : Dimensions of inputs should match: {e}") from e
    return (xp.ascontiguousarray(out.astype(it)).view(T.np), F32(out_lo), F32(out_hi))


_quantized_concat.gradient(_no_gradient)


def quantized_concat(concat_dim, values, input_mins, input_maxes, name=None):
    """Concatenates quantized tensors of different ranges (TF's QuantizedConcat).

    The output range is the union of the inputs' ranges, widened to include 0 (and made
    symmetric for signed types); each input whose range differs is requantized into it.

    Args:
        concat_dim: the axis (an int32 scalar).
        values: quint8 or qint32 Tensors of one dtype.
        input_mins, input_maxes: their float ranges, one scalar each.

    Returns:
        (output, output_min, output_max).

    Example:
        >>> out, lo, hi = tf.quantized_concat(0, [q1, q2], [lo1, lo2], [hi1, hi2])
    """
    values = [convert_to_tensor(v, name="values") for v in values]
    mins = [convert_to_tensor(m, dtypes.float32, "input_mins") for m in input_mins]
    maxes = [convert_to_tensor(m, dtypes.float32, "input_maxes") for m in input_maxes]
    if not len(values) == len(mins) == len(maxes):
        raise ValueError(f"quantized_concat: {len(values)} values but {len(mins)} input_mins "
                         f"and {len(maxes)} input_maxes")
    out = apply_op("QuantizedConcat", convert_to_tensor(concat_dim, dtypes.int32, "concat_dim"),
                   *values, *mins, *maxes, name=name or "QuantizedConcat", N=len(values),
                   T=values[0].dtype)
    return tuple(out)
