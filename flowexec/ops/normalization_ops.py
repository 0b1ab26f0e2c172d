"""Normalization ops: LRN (+ LRNGrad) and FusedBatchNormV3 (+ FusedBatchNormGradV3), with the
`tf.nn` wrappers `lrn`/`local_response_normalization` and `fused_batch_norm`.

`moments` and `batch_normalization` (composites of graph ops) live in nn_ops.py.

TF's semantics kept here:

- LRN over the last axis of a 4-D NHWC input: `sqr_sum[..., d] = sum(input[..., d - r:d + r +
  1] ** 2)` and `output = input / (bias + alpha * sqr_sum) ** beta`.
- FusedBatchNormV3 in training normalizes with the batch mean and the biased batch variance,
  and outputs the variance with Bessel's correction (`n / (n - 1)`), which is what moving
  averages want; with `exponential_avg_factor` below 1 the outputs are already the blended
  running statistics. In inference it uses the given mean and variance. float16 and float32
  inputs carry float32 statistics (attr `U`); float64 inputs, which TF's kernel lacks, carry
  float64 ones.
- The gradients of LRNGrad and FusedBatchNormGradV3 (third-order terms of these
  normalizations) are not defined, as in TF1, and say so.
"""

from flowexec.framework import dtypes, errors
from flowexec.framework.convert import convert_to_tensor
from flowexec.framework.graph import name_scope
from flowexec.framework.registry import EXPENSIVE, apply_op, defop
from flowexec.framework.tensor_shape import TensorShape
from flowexec.ops import array_ops, shape_fns, window

_LRN_TYPES = (dtypes.float16, dtypes.float32)
_BN_TYPES = (dtypes.float16, dtypes.float32, dtypes.float64)


def _elementwise_cost(per_element):
    def cost(op):
        n = op.inputs[0].shape.num_elements()
        return EXPENSIVE if n is None else float(n * per_element)
    return cost


# ----- LRN -----------------------------------------------------------------------------------
def _lrn_infer(op):
    dt = shape_fns.check_dtype_in(op, _LRN_TYPES + (dtypes.float64,))
    window.check_rank(op, 0, 4)
    return [(dt, op.inputs[0].shape)]


def _lrn_grad_infer(op):
    dt = shape_fns.check_same_dtype(op)
    for i in range(3):
        window.check_rank(op, i, 4)
    return [(dt, op.inputs[0].shape)]


def _window_sum_last(xp, v, r):
    """`sum(v[..., d - r:d + r + 1])` for every d, by a cumulative sum along the last axis."""
    c = v.shape[-1]
    cs = xp.cumsum(v, axis=-1)
    zeros = xp.zeros(v.shape[:-1] + (1,), dtype=cs.dtype)
    cs = xp.concatenate([zeros, cs], axis=-1)
    hi = xp.minimum(xp.arange(c) + r + 1, c)
    lo = xp.maximum(xp.arange(c) - r, 0)
    return cs[..., hi] - cs[..., lo]


def _check_lrn(depth_radius):
    if depth_radius < 0:
        raise errors.InvalidArgumentError(
            None, None, f"depth_radius = {depth_radius} must be non-negative")


@defop("LRN", infer=_lrn_infer, cost=_elementwise_cost(8))
def _lrn(xp, input, *, depth_radius=5, bias=1.0, alpha=1.0, beta=0.5):
    _check_lrn(depth_radius)
    x = window.upcast_half(xp, input)
    norm = bias + alpha * _window_sum_last(xp, x * x, depth_radius)
    return (x * norm ** -beta).astype(input.dtype, copy=False)


@defop("LRNGrad", infer=_lrn_grad_infer, cost=_elementwise_cost(12))
def _lrn_grad_kernel(xp, input_grads, input_image, output_image, *, depth_radius=5, bias=1.0,
                     alpha=1.0, beta=0.5):
    _check_lrn(depth_radius)
    dy, x, y = (window.upcast_half(xp, t) for t in (input_grads, input_image, output_image))
    norm = bias + alpha * _window_sum_last(xp, x * x, depth_radius)
    # The window is symmetric, so the outputs that read x_j are those in x_j's own window.
    dx = dy * norm ** -beta - 2 * alpha * beta * x * _window_sum_last(
        xp, dy * y / norm, depth_radius)
    return dx.astype(input_grads.dtype, copy=False)


_lrn_grad_kernel.not_differentiable()


def _lrn_attrs(op):
    return {k: op.attrs[k] for k in ("depth_radius", "bias", "alpha", "beta")}


@_lrn.gradient
def _lrn_grad(op, dy):
    return [apply_op("LRNGrad", dy, op.inputs[0], op.outputs[0], **_lrn_attrs(op))]


def local_response_normalization(input, depth_radius=5, bias=1, alpha=1, beta=0.5,
                                 name=None):
    """Local response normalization across the last (channel) axis of a 4-D Tensor.

    `output = input / (bias + alpha * sum(input[..., d - r:d + r + 1] ** 2)) ** beta`.

    Args:
        input: a 4-D half, float32 or float64 Tensor (NHWC).
        depth_radius: half-width `r` of the window.
        bias: an offset (usually positive, to avoid dividing by 0).
        alpha: a scale factor.
        beta: an exponent.
        name: op name (default "LRN").

    Returns:
        A Tensor of the input's type and shape.

    Example:
        >>> h = local_response_normalization(conv, depth_radius=2, alpha=1e-4, beta=0.75)
    """
    input = convert_to_tensor(input, name="input")
    return apply_op("LRN", input, name=name, depth_radius=int(depth_radius), bias=float(bias),
                    alpha=float(alpha), beta=float(beta))


lrn = local_response_normalization


# ----- FusedBatchNormV3 ----------------------------------------------------------------------
def _bn_channels(op, x_dims):
    df = window.check_choice(op.type, "data_format", op.attrs["data_format"],
                             ("NHWC", "NCHW"))
    return window.batch_and_channel(x_dims, df)[1]


def _merge_channels(op, c, indices):
    for i in indices:
        s = op.inputs[i].shape
        if s.ndims is not None and s.ndims != 1:
            raise shape_fns.shape_error(op, f"Shape must be rank 1 but is rank {s.ndims}")
        d = s[0] if s.ndims == 1 else None
        if op.type == "FusedBatchNormV3" and i >= 3 and op.attrs["is_training"] and d == 0:
            continue  # empty running statistics are allowed while training
        if c is not None and d is not None and c != d:
            raise shape_fns.shape_error(op, f"Dimensions must be equal, but are {c} and {d}")
        c = c if c is not None else d
    return c


def _stat_dtype(op, index):
    """The statistics' dtype U: float32, or float64 for float64 inputs."""
    want = dtypes.as_dtype(op.attrs["U"])
    u = op.inputs[index].dtype
    if u is not want:
        raise TypeError(f"Value passed to parameter '{op.op_def.input_names[index]}' has "
                        f"DataType {u.name} not in list of allowed values: {want.name}")
    return u


def _fused_batch_norm_infer(op):
    dt = shape_fns.check_dtype_in(op, _BN_TYPES)
    u = _stat_dtype(op, 1)
    for i in range(2, 5):
        _stat_dtype(op, i)
    c = _merge_channels(op, _bn_channels(op, window.check_rank(op, 0, 4)), range(1, 5))
    vec = TensorShape([c])
    return [(dt, op.inputs[0].shape), (u, vec), (u, vec), (u, vec), (u, vec),
            (u, TensorShape([0]))]


def _fused_batch_norm_grad_infer(op):
    dt = shape_fns.check_dtype_in(op, _BN_TYPES)
    if op.inputs[1].dtype is not dt:
        raise TypeError(f"Input 'x' of '{op.type}' Op has type {op.inputs[1].dtype.name} that "
                        f"does not match type {dt.name} of argument 'y_backprop'.")
    u = _stat_dtype(op, 2)
    x_dims = window.check_rank(op, 1, 4)
    window.check_rank(op, 0, 4)
    c = _merge_channels(op, _bn_channels(op, x_dims), range(2, 5))
    vec = TensorShape([c])
    return [(dt, op.inputs[1].shape), (u, vec), (u, vec), (u, TensorShape([0])),
            (u, TensorShape([0]))]


def _reduce_axes(data_format):
    return (0, 2, 3) if data_format == "NCHW" else (0, 1, 2)


def _per_channel(xp, v, data_format):
    return v.reshape((1, -1, 1, 1)) if data_format == "NCHW" else v


@defop("FusedBatchNormV3", infer=_fused_batch_norm_infer, cost=_elementwise_cost(6))
def _fused_batch_norm(xp, x, scale, offset, mean, variance, *, epsilon, data_format,
                      is_training, exponential_avg_factor=1.0, U="float32"):
    xf = x.astype(xp.float32) if x.dtype == xp.float16 else x
    axes = _reduce_axes(data_format)
    c = scale.shape[0]
    x_c = xf.shape[1 if data_format == "NCHW" else 3]
    if x_c != c:
        raise errors.InvalidArgumentError(
            None, None, f"scale must have the same number of elements as the channels of x, "
                        f"got {c} and {x_c}")
    if is_training:
        batch_mean = xf.mean(axis=axes)
        batch_var = xf.var(axis=axes)
        n = xf.size // c
        corrected = batch_var * (n / max(n - 1, 1))
        if exponential_avg_factor != 1.0:
            f = exponential_avg_factor
            out_mean = (1 - f) * mean + f * batch_mean
            out_var = (1 - f) * variance + f * corrected
        else:
            out_mean, out_var = batch_mean, corrected
        use_mean, use_var = batch_mean, batch_var
    else:
        if mean.shape[0] != c or variance.shape[0] != c:
            raise errors.InvalidArgumentError(
                None, None, f"mean and variance must have {c} elements in inference, got "
                            f"{mean.shape[0]} and {variance.shape[0]}")
        use_mean, use_var = mean, variance
        out_mean, out_var = mean, variance
    inv = 1 / xp.sqrt(use_var + epsilon)
    y = (xf - _per_channel(xp, use_mean, data_format)) * _per_channel(xp, inv * scale,
                                                                    data_format)
    y = y + _per_channel(xp, offset, data_format)
    f32 = dtypes.as_dtype(U).np
    return (y.astype(x.dtype, copy=False), out_mean.astype(f32, copy=False),
            out_var.astype(f32, copy=False), use_mean.astype(f32, copy=False),
            use_var.astype(f32, copy=False), xp.zeros((0,), f32))


@defop("FusedBatchNormGradV3", infer=_fused_batch_norm_grad_infer, cost=_elementwise_cost(10))
def _fused_batch_norm_grad(xp, y_backprop, x, scale, reserve_space_1, reserve_space_2,
                           reserve_space_3, *, epsilon, data_format, is_training, U="float32"):
    dy = window.upcast_half(xp, y_backprop)
    xf = window.upcast_half(xp, x)
    axes = _reduce_axes(data_format)

    def pc(v):
        return _per_channel(xp, v, data_format)

    inv = 1 / xp.sqrt(reserve_space_2 + epsilon)
    xhat = (xf - pc(reserve_space_1)) * pc(inv)
    d_offset = dy.sum(axis=axes)
    d_scale = (dy * xhat).sum(axis=axes)
    if is_training:
        n = xf.size // scale.shape[0]
        dx = pc(scale * inv) * (dy - pc(d_offset / n) - xhat * pc(d_scale / n))
    else:
        dx = dy * pc(scale * inv)
    f32 = dtypes.as_dtype(U).np
    empty = xp.zeros((0,), f32)
    return (dx.astype(x.dtype, copy=False), d_scale.astype(f32, copy=False),
            d_offset.astype(f32, copy=False), empty, empty)


_fused_batch_norm_grad.not_differentiable()


@_fused_batch_norm.gradient
def _fused_batch_norm_grad_fn(op, dy, *unused_statistics_grads):
    x, scale = op.inputs[0], op.inputs[1]
    attrs = {k: op.attrs[k] for k in ("epsilon", "data_format", "is_training", "U")}
    if op.attrs["is_training"]:
        saved_mean, saved_var = op.outputs[3], op.outputs[4]
    else:
        saved_mean, saved_var = op.inputs[3], op.inputs[4]
    dx, dscale, doffset, _, _ = apply_op("FusedBatchNormGradV3", dy, x, scale, saved_mean,
                                         saved_var, op.outputs[5], **attrs)
    return [dx, dscale, doffset, None, None]


def fused_batch_norm(x, scale, offset, mean=None, variance=None, epsilon=0.001,
                     data_format="NHWC", is_training=True, name=None,
                     exponential_avg_factor=1.0):
    """Batch normalization of a 4-D Tensor in one op (FusedBatchNormV3).

    Args:
        x: 4-D half, float32 (or float64) Tensor, "NHWC" or "NCHW".
        scale: 1-D float32 Tensor (gamma), one per channel (float64 for a float64 `x`).
        offset: 1-D float32 Tensor (beta), one per channel, likewise.
        mean: 1-D float32 running mean; required in inference (`is_training=False`) or with
            `exponential_avg_factor != 1`.
        variance: 1-D float32 running variance, likewise.
        epsilon: small float added to the variance (at least 1.001e-5, as TF).
        data_format: "NHWC" (default) or "NCHW".
        is_training: normalize with the batch statistics (True) or with `mean`/`variance`.
        name: op name (default "FusedBatchNormV3").
        exponential_avg_factor: blend factor of the returned running statistics in training.

    Returns:
        `(y, batch_mean, batch_variance)`: in training the batch mean and the batch variance
        with Bessel's correction (blended with `mean`/`variance` when
        `exponential_avg_factor < 1`); in inference `mean` and `variance` themselves.

    Raises:
        ValueError: missing `mean`/`variance` where they are required.

    Example:
        >>> y, m, v = fused_batch_norm(h, gamma, beta, is_training=True)
    """
    if (not is_training or exponential_avg_factor != 1.0) and (mean is None
                                                              or variance is None):
        raise ValueError(f"Both `mean` and `variance` must be a 1D tensor when "
                             f"`is_training` is False or `exponential_avg_factor` != 1.0. "
                             f"Received: `mean` {mean!r} and `variance` {variance!r}")
    with name_scope(name, "FusedBatchNormV3", [x, scale, offset, mean, variance]) as scope:
        x = convert_to_tensor(x, name="input")
        scale = convert_to_tensor(scale, name="scale")
        offset = convert_to_tensor(offset, name="offset")
        u = dtypes.float64 if x.dtype is dtypes.float64 else dtypes.float32
        empty = array_ops.zeros([0], u) if mean is None or variance is None else None
        mean = empty if mean is None else convert_to_tensor(mean, name="mean")
        variance = empty if variance is None else convert_to_tensor(variance, name="variance")
        min_epsilon = 1.001e-5
        epsilon = max(min_epsilon, epsilon)
        outs = apply_op("FusedBatchNormV3", x, scale, offset, mean, variance, name=scope,
                        epsilon=float(epsilon), data_format=data_format,
                        is_training=bool(is_training),
                        exponential_avg_factor=float(exponential_avg_factor), U=u.name)
        return outs[0], outs[1], outs[2]


__all__ = ["fused_batch_norm", "local_response_normalization", "lrn"]
