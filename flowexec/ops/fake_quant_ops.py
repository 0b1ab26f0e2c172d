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
