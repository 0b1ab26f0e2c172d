"""fake_quant_ops: TF's simulated quantization (`tf.quantization.fake_quant_with_min_max_*`).

Floats are clamped to a nudged [min, max] range and rounded to one of 2^num_bits levels
(2^num_bits - 1 with `narrow_range`), as TF's FakeQuant kernels compute it: the range is
shifted so that 0.0 is exactly representable. The gradient passes through inside the
nudged range and is zero outside; for the `_vars` forms, the gradient below the range goes
to `min` and above it to `max` (summed; per channel for `_per_channel`). Each gradient is
also an op of its own (`*_gradient`), as in TF.
"""

from flowexec.framework import dtypes
from flowexec.framework.convert import convert_to_tensor
from flowexec.framework.errors import InvalidArgumentError
from flowexec.framework.graph import name_scope
from flowexec.framework.registry import apply_op, defop
from flowexec.framework.tensor_shape import TensorShape
from flowexec.ops import shape_fns

__all__ = ["fake_quant_with_min_max_args", "fake_quant_with_min_max_args_gradient",
           "fake_quant_with_min_max_vars", "fake_quant_with_min_max_vars_gradient",
           "fake_quant_with_min_max_vars_per_channel",
           "fake_quant_with_min_max_vars_per_channel_gradient"]


def _float_arg(value, name):
    """A Tensor argument keeps its dtype (the op then names a wrong one, as TF); a value
    becomes float32."""
    dtype = getattr(value, "dtype", None)
    if isinstance(dtype, dtypes.DType):
        return convert_to_tensor(value, name=name)
    return convert_to_tensor(value, name=name, dtype=dtypes.float32)


def _check_bits(num_bits):
    if not 2 <= num_bits <= 16:
        raise InvalidArgumentError(None, None, "num_bits must be between 2 and 16, inclusive")


def _nudge(xp, lo, hi, num_bits, narrow_range):
    """TF's Nudge: (nudged_min, nudged_max, scale), elementwise over lo/hi (float32)."""
    quant_min = 1.0 if narrow_range else 0.0
    quant_max = float(2 ** num_bits - 1)
    lo = xp.asarray(lo, dtype=xp.float32)
    hi = xp.asarray(hi, dtype=xp.float32)
    scale = (hi - lo) / xp.float32(quant_max - quant_min)
    safe = xp.where(scale == 0, xp.float32(1), scale)
    zero_point_from_min = xp.float32(quant_min) - lo / safe
    nudged_zero = xp.where(zero_point_from_min < quant_min, xp.float32(quant_min),
                           xp.where(zero_point_from_min > quant_max, xp.float32(quant_max),
                                    xp.round(zero_point_from_min)))
    nudged_min = (xp.float32(quant_min) - nudged_zero) * scale
    nudged_max = (xp.float32(quant_max) - nudged_zero) * scale
    return nudged_min.astype(xp.float32), nudged_max.astype(xp.float32), scale


def _quantize(xp, x, nmin, nmax, scale):
    clamped = xp.clip(x, nmin, nmax)
    safe = xp.where(scale == 0, xp.float32(1), scale)
    out = xp.floor((clamped - nmin) / safe + xp.float32(0.5)) * scale + nmin
    return out.astype(xp.float32)


def _float_infer(op):
    x = op.inputs[0]
    if x.dtype is not dtypes.float32:
        shape_fns.check_dtype_in(op, (dtypes.float32,))
    return [(dtypes.float32, x.shape)]


# ----- args ----------------------------------------------------------------------------------
@defop("FakeQuantWithMinMaxArgs", infer=_float_infer)
def _fq_args(xp, inputs, *, min=-6.0, max=6.0, num_bits=8, narrow_range=False):
    _check_bits(num_bits)
    if not min < max:
        raise InvalidArgumentError(None, None, f"min has to be smaller than max, was: {min} >= "
                                               f"{max}")
    nmin, nmax, scale = _nudge(xp, min, max, num_bits, narrow_range)
    return _quantize(xp, inputs, nmin, nmax, scale)


@defop("FakeQuantWithMinMaxArgsGradient", infer=lambda op: [(dtypes.float32,
                                                              op.inputs[0].shape)])
def _fq_args_grad(xp, gradients, inputs, *, min=-6.0, max=6.0, num_bits=8,
                  narrow_range=False):
    nmin, nmax, _ = _nudge(xp, min, max, num_bits, narrow_range)
    inside = (inputs >= nmin) & (inputs <= nmax)
    return xp.where(inside, gradients, xp.float32(0)).astype(xp.float32)


_fq_args_grad.not_differentiable()


@_fq_args.gradient
def _fq_args_gradient(op, dy):
    return apply_op("FakeQuantWithMinMaxArgsGradient", dy, op.inputs[0],
                    name="FakeQuantWithMinMaxArgsGradient",
                    **{k: op.attrs[k] for k in ("min", "max", "num_bits", "narrow_range")})


def fake_quant_with_min_max_args(inputs, min=-6, max=6, num_bits=8, narrow_range=False,
                                 name=None):
    """`inputs` (float32) quantized to 2^num_bits levels over the nudged [min, max] and
    dequantized again (op type FakeQuantWithMinMaxArgs).

    Example:
        >>> fake_quant_with_min_max_args([0.3, 7.0], min=0.0, max=1.0, num_bits=2)
        ... # [0.333, 1.0]
    """
    with name_scope(name, "FakeQuantWithMinMaxArgs", [inputs]) as scope:
        x = _float_arg(inputs, "inputs")
        return apply_op("FakeQuantWithMinMaxArgs", x, name=scope, min=float(min),
                        max=float(max), num_bits=int(num_bits), narrow_range=bool(narrow_range))


def fake_quant_with_min_max_args_gradient(gradients, inputs, min=-6, max=6, num_bits=8,
                                          narrow_range=False, name=None):
    """The backpropagated gradients of fake_quant_with_min_max_args: `gradients` where
    `inputs` lies in the nudged range, 0 elsewhere."""
    with name_scope(name, "FakeQuantWithMinMaxArgsGradient", [gradients, inputs]) as scope:
        g = _float_arg(gradients, "gradients")
        x = _float_arg(inputs, "inputs")
        return apply_op("FakeQuantWithMinMaxArgsGradient", g, x, name=scope, min=float(min),
                        max=float(max), num_bits=int(num_bits), narrow_range=bool(narrow_range))


# ----- vars (scalar or per-channel min/max tensors) -------------------------------------------
def _vars_infer(per_channel):
    def infer(op):
        x, lo, hi = op.inputs[:3]
        for i in range(3):
            shape_fns.check_dtype_in(op, (dtypes.float32,), i)
        want = 1 if per_channel else 0
        for t in (lo, hi):
            if t.shape.ndims not in (None, want):
                raise shape_fns.shape_error(op, f"Shape must be rank {want} but is rank "
                                                f"{t.shape.ndims}")
        return [(dtypes.float32, x.shape)]
    return infer


def _vars_kernel(xp, inputs, min, max, num_bits, narrow_range):
    _check_bits(num_bits)
    nmin, nmax, scale = _nudge(xp, min, max, num_bits, narrow_range)
    return _quantize(xp, inputs, nmin, nmax, scale)


@defop("FakeQuantWithMinMaxVars", infer=_vars_infer(False))
def _fq_vars(xp, inputs, min, max, *, num_bits=8, narrow_range=False):
    return _vars_kernel(xp, inputs, min, max, num_bits, narrow_range)


@defop("FakeQuantWithMinMaxVarsPerChannel", infer=_vars_infer(True))
def _fq_vars_pc(xp, inputs, min, max, *, num_bits=8, narrow_range=False):
    if inputs.shape[-1] != min.shape[0] or min.shape != max.shape:
        raise InvalidArgumentError(None, None, f"min and max must have the size of the last "
                                               f"dimension of inputs, {inputs.shape[-1]}")
    return _vars_kernel(xp, inputs, min, max, num_bits, narrow_range)


def _vars_grad_infer(per_channel):
    def infer(op):
        x = op.inputs[1]
        lo = op.inputs[2]
        out = TensorShape([]) if not per_channel else lo.shape
        return [(dtypes.float32, x.shape), (dtypes.float32, out), (dtypes.float32, out)]
    return infer


def _vars_grad_kernel(xp, gradients, inputs, min, max, num_bits, narrow_range, per_channel):
    nmin, nmax, _ = _nudge(xp, min, max, num_bits, narrow_range)
    below, above = inputs < nmin, inputs > nmax
    zero = xp.float32(0)
    wrt_input = xp.where(below | above, zero, gradients).astype(xp.float32)
    axes = tuple(range(inputs.ndim - 1)) if per_channel else None
    wrt_min = xp.where(below, gradients, zero).sum(axis=axes).astype(xp.float32)
    wrt_max = xp.where(above, gradients, zero).sum(axis=axes).astype(xp.float32)
    return wrt_input, wrt_min, wrt_max


@defop("FakeQuantWithMinMaxVarsGradient", infer=_vars_grad_infer(False))
def _fq_vars_grad(xp, gradients, inputs, min, max, *, num_bits=8, narrow_range=False):
    return _vars_grad_kernel(xp, gradients, inputs, min, max, num_bits, narrow_range, False)


@defop("FakeQuantWithMinMaxVarsPerChannelGradient", infer=_vars_grad_infer(True))
def _fq_vars_pc_grad(xp, gradients, inputs, min, max, *, num_bits=8, narrow_range=False):
    return _vars_grad_kernel(xp, gradients, inputs, min, max, num_bits, narrow_range, True)


_fq_vars_grad.not_differentiable()
_fq_vars_pc_grad.not_differentiable()


def _vars_gradient(grad_type):
    def grad(op, dy):
        x, lo, hi = op.inputs
        return list(apply_op(grad_type, dy, x, lo, hi, name=grad_type,
                             num_bits=op.attrs["num_bits"],
                             narrow_range=op.attrs["narrow_range"]))
    return grad


_fq_vars.gradient(_vars_gradient("FakeQuantWithMinMaxVarsGradient"))
_fq_vars_pc.gradient(_vars_gradient("FakeQuantWithMinMaxVarsPerChannelGradient"))


def _vars_fn(op_type, inputs, min, max, num_bits, narrow_range, name):
    with name_scope(name, op_type, [inputs, min, max]) as scope:
        x = _float_arg(inputs, "inputs")
        lo = _float_arg(min, "min")
        hi = _float_arg(max, "max")
        return apply_op(op_type, x, lo, hi, name=scope, num_bits=int(num_bits),
                        narrow_range=bool(narrow_range))


def fake_quant_with_min_max_vars(inputs, min, max, num_bits=8, narrow_range=False, name=None):
    """`fake_quant_with_min_max_args` with the range given by scalar float32 tensors
    (usually variables trained with the gradient below/above the range); op type
    FakeQuantWithMinMaxVars."""
    return _vars_fn("FakeQuantWithMinMaxVars", inputs, min, max, num_bits, narrow_range, name)


def fake_quant_with_min_max_vars_per_channel(inputs, min, max, num_bits=8, narrow_range=False,
                                             name=None):
    """`fake_quant_with_min_max_vars` with one [min, max] per channel (the last dimension);
    op type FakeQuantWithMinMaxVarsPerChannel."""
    return _vars_fn("FakeQuantWithMinMaxVarsPerChannel", inputs, min, max, num_bits,
                    narrow_range, name)


def _vars_grad_fn(op_type, gradients, inputs, min, max, num_bits, narrow_range, name):
    with name_scope(name, op_type, [gradients, inputs, min, max]) as scope:
        g = _float_arg(gradients, "gradients")
        x = _float_arg(inputs, "inputs")
        lo = _float_arg(min, "min")
        hi = _float_arg(max, "max")
        return apply_op(op_type, g, x, lo, hi, name=scope, num_bits=int(num_bits),
                        narrow_range=bool(narrow_range))


def fake_quant_with_min_max_vars_gradient(gradients, inputs, min, max, num_bits=8,
                                          narrow_range=False, name=None):
    """(backprops_wrt_input, backprop_wrt_min, backprop_wrt_max) of
    fake_quant_with_min_max_vars."""
    return _vars_grad_fn("FakeQuantWithMinMaxVarsGradient", gradients, inputs, min, max,
                         num_bits, narrow_range, name)


def fake_quant_with_min_max_vars_per_channel_gradient(gradients, inputs, min, max, num_bits=8,
                                                      narrow_range=False, name=None):
    """The per-channel form of fake_quant_with_min_max_vars_gradient."""
    return _vars_grad_fn("FakeQuantWithMinMaxVarsPerChannelGradient", gradients, inputs, min,
                         max, num_bits, narrow_range, name)


# ----- quantize_and_dequantize ---------------------------------------------------------------
_QDQ_ROUND_MODES = ("HALF_TO_EVEN", "HALF_UP")


def _qdq_infer(op):
    x, lo, hi = op.inputs[:3]
    shape_fns.check_dtype_in(op, (dtypes.float16, dtypes.bfloat16, dtypes.float32,
                                  dtypes.float64))
    a = op.attrs
    if a["round_mode"] not in _QDQ_ROUND_MODES:
        raise ValueError(f"round_mode must be one of {list(_QDQ_ROUND_MODES)}, got "
                         f"{a['round_mode']!r}")
    axis = a.get("axis", -1)
    if axis < -1 or (x.shape.ndims is not None and axis >= x.shape.ndims):
        raise shape_fns.shape_error(op, f"axis {axis} is out of range for input of shape "
                                        f"{x.shape}")
    return [(x.dtype, x.shape)]


def _qdq_values(xp, x, lo, hi, *, signed_input, num_bits, range_given, round_mode,
                narrow_range, axis):
    """TF's QuantizeAndDequantizeOneScale / PerChannel kernels, in `x`'s float type."""
    t = x.dtype.type
    if range_given and (xp.ndim(lo) or xp.ndim(hi)) and axis != -1:
        raise InvalidArgumentError(None, None, "input_min must be a scalar.")
    if not 0 < num_bits <= (62 if signed_input else 63):
        raise InvalidArgumentError(None, None, f"num_bits is out of range: {num_bits} with "
                                               f"signed_input_ {signed_input}")
    moved = xp.moveaxis(x, axis, -1) if axis != -1 else x.reshape(-1, 1)
    if range_given:
        lo_r = xp.asarray(lo, dtype=t).reshape(-1)
        hi_r = xp.asarray(hi, dtype=t).reshape(-1)
        if bool(xp.any(lo_r > hi_r)):
            raise InvalidArgumentError(None, None, f"Invalid range: input_min {lo_r.tolist()}"
                                                   f" > input_max {hi_r.tolist()}")
    elif moved.size:
        lo_r = moved.reshape(-1, moved.shape[-1]).min(axis=0)
        hi_r = moved.reshape(-1, moved.shape[-1]).max(axis=0)
    else:
        return x.copy()
    if signed_input:
        qmin = -(1 << (num_bits - 1)) + (1 if narrow_range else 0)
        qmax = (1 << (num_bits - 1)) - 1
    else:
        qmin, qmax = 0, (1 << num_bits) - 1
    big = xp.asarray(xp.finfo(t).max, dtype=t)
    with_min = xp.where(qmin * lo_r > 0, t(qmin) / xp.where(lo_r == 0, t(1), lo_r), big)
    with_max = xp.where(qmax * hi_r > 0, t(qmax) / xp.where(hi_r == 0, t(1), hi_r), big)
    from_min = with_min < with_max
    scale = xp.where(from_min, with_min, with_max).astype(t)
    inverse = xp.where(from_min, lo_r / t(qmin if qmin else 1), hi_r / t(qmax)).astype(t)
    lo_c = xp.where(from_min, lo_r, t(qmin) * inverse).astype(t)
    hi_c = xp.where(from_min, t(qmax) * inverse, hi_r).astype(t)
    v = xp.clip(moved, lo_c, hi_c) if range_given else moved
    scaled = (v * scale).astype(t)
    rounded = xp.rint(scaled) if round_mode == "HALF_TO_EVEN" else xp.floor(scaled + t(0.5))
    out = (rounded.astype(t) * inverse).astype(t)
    return xp.moveaxis(out, -1, axis) if axis != -1 else out.reshape(x.shape)


@defop("QuantizeAndDequantizeV2", infer=_qdq_infer)
def _quantize_and_dequantize_v2(xp, x, lo, hi, *, signed_input=True, num_bits=8,
                                range_given=False, round_mode="HALF_TO_EVEN",
                                narrow_range=False, axis=-1, T=None):
    return _qdq_values(xp, x, lo, hi, signed_input=signed_input, num_bits=num_bits,
                       range_given=range_given, round_mode=round_mode,
                       narrow_range=narrow_range, axis=axis)


@_quantize_and_dequantize_v2.gradient
def _quantize_and_dequantize_v2_grad(op, dy):
    return dy, None, None  # TF's V2 gradient: straight through everywhere


@defop("QuantizeAndDequantizeV4", infer=_qdq_infer)
def _quantize_and_dequantize_v4(xp, x, lo, hi, *, signed_input=True, num_bits=8,
                                range_given=False, round_mode="HALF_TO_EVEN",
                                narrow_range=False, axis=-1, T=None):
    return _qdq_values(xp, x, lo, hi, signed_input=signed_input, num_bits=num_bits,
                       range_given=range_given, round_mode=round_mode,
                       narrow_range=narrow_range, axis=axis)


def _qdq_grad_infer(op):
    dy, x, lo, hi = op.inputs
    return [(x.dtype, x.shape), (lo.dtype, lo.shape), (hi.dtype, hi.shape)]


@defop("QuantizeAndDequantizeV4Grad", infer=_qdq_grad_infer)
def _quantize_and_dequantize_v4_grad_op(xp, dy, x, lo, hi, *, axis=-1, T=None):
    if axis == -1:
        if xp.ndim(lo) or xp.ndim(hi):
            raise InvalidArgumentError(None, None, "input_min must be a scalar.")
        keep = (x >= lo) & (x <= hi)
    else:
        shape = [1] * x.ndim
        shape[axis] = -1
        keep = (x >= xp.reshape(lo, shape)) & (x <= xp.reshape(hi, shape))
    return (xp.where(keep, dy, xp.zeros_like(dy)).astype(x.dtype), xp.zeros_like(lo),
            xp.zeros_like(hi))


_quantize_and_dequantize_v4_grad_op.not_differentiable()


@_quantize_and_dequantize_v4.gradient
def _quantize_and_dequantize_v4_grad(op, dy):
    # TF's V4 gradient: dy where min <= x <= max for the op's min/max *inputs* (also when
    # range_given=False, where the kernel itself used the data's range), zero elsewhere
    x, lo, hi = op.inputs
    dx, _, _ = apply_op("QuantizeAndDequantizeV4Grad", dy, x, lo, hi, axis=op.attrs["axis"])
    return dx, None, None


def _qdq(op_type, input, input_min, input_max, signed_input, num_bits, range_given,  # noqa: A002
         round_mode, name, narrow_range, axis):
    x = convert_to_tensor(input, name="input")
    if axis is None:
        axis = -1
    elif axis < 0:
        if x.shape.ndims is None:
            raise ValueError("input should have known rank to use negative axis.")
        axis %= x.shape.ndims
    lo = convert_to_tensor(input_min, dtype=x.dtype, name="input_min")
    hi = convert_to_tensor(input_max, dtype=x.dtype, name="input_max")
    return apply_op(op_type, x, lo, hi, name=name or op_type, signed_input=bool(signed_input),
                    num_bits=int(num_bits), range_given=bool(range_given),
                    round_mode=round_mode, narrow_range=bool(narrow_range), axis=int(axis))


_QDQ_DOC = """Quantizes then dequantizes `input` to 2^num_bits levels ({which}).

    The scale is the largest that fits both ends of the range (`[input_min, input_max]`
    with `range_given`, else the data's own min and max; per slice along `axis`); values are
    rounded to `round(x * scale) / scale`, as TF's kernel computes them in `input`'s type.

    Args:
        input: float Tensor.
        input_min, input_max: the range (scalars, or `[depth]` vectors with `axis`; TF 2.21
            refuses a given per-axis range with "input_min must be a scalar.", and so does
            flowexec).
        signed_input: quantize to [-2^(b-1), 2^(b-1)-1] (True) or [0, 2^b-1] (False).
        num_bits: the bit width.
        range_given: use `input_min`/`input_max` (clamping to them) instead of the data's.
        round_mode: "HALF_TO_EVEN" (default) or "HALF_UP".
        name: op name.
        narrow_range: signed levels start at -2^(b-1)+1 (symmetric).
        axis: None (one range) or the axis whose slices each get one.

    Returns:
        A Tensor of `input`'s dtype and shape.

    Raises:
        ValueError: a negative `axis` with unknown rank, a bad `round_mode`.
        InvalidArgumentError: at run time, "Invalid range: input_min ... > input_max ...".

    Example:
        >>> tf.quantization.{fn}([-1.0, 0.3, 1.0], -1.0, 1.0, range_given=True, num_bits=3)
        ... # [-1.0, 0.33333334, 1.0]
    """


def quantize_and_dequantize(input, input_min, input_max, signed_input=True,  # noqa: A002
                            num_bits=8, range_given=False, round_mode="HALF_TO_EVEN",
                            name=None, narrow_range=False, axis=None):
    return _qdq("QuantizeAndDequantizeV2", input, input_min, input_max, signed_input,
                num_bits, range_given, round_mode, name, narrow_range, axis)


def quantize_and_dequantize_v2(input, input_min, input_max, signed_input=True,  # noqa: A002
                               num_bits=8, range_given=False, round_mode="HALF_TO_EVEN",
                               name=None, narrow_range=False, axis=None):
    return _qdq("QuantizeAndDequantizeV4", input, input_min, input_max, signed_input,
                num_bits, range_given, round_mode, name, narrow_range, axis)


quantize_and_dequantize.__doc__ = _QDQ_DOC.format(
    which="op QuantizeAndDequantizeV2, TF's deprecated form; its gradient passes straight "
          "through everywhere", fn="quantize_and_dequantize")
quantize_and_dequantize_v2.__doc__ = _QDQ_DOC.format(
    which="op QuantizeAndDequantizeV4; its gradient passes only where input_min <= x <= "
          "input_max, for the given min/max tensors", fn="quantize_and_dequantize_v2")

__all__ += ["quantize_and_dequantize", "quantize_and_dequantize_v2"]
