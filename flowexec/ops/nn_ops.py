"""Neural-network ops: activations (Relu, Relu6, Elu, Softplus and their *Grad ops), Softmax,
LogSoftmax, BiasAdd (+ BiasAddGrad), L2Loss, SoftmaxCrossEntropyWithLogits,
SparseSoftmaxCrossEntropyWithLogits, and the composites `dropout` and
`sigmoid_cross_entropy_with_logits`. `flowexec.nn` is the public namespace (`tf.nn.relu`).

Numerics: softmax-like kernels subtract the row maximum, softplus and the cross entropies use
`log1p(exp(-|x|))`, so large logits give finite results; float16 inputs are computed in
float32 and rounded back, as TF's kernels do. The gradients of the *Grad ops are defined too,
so second derivatives (e.g. of a softmax cross entropy) work.
"""

import numbers

from flowexec.framework import dtypes, errors
from flowexec.framework.convert import convert_to_tensor
from flowexec.framework.graph import name_scope
from flowexec.framework.registry import CHEAP, EXPENSIVE, Elementwise, apply_op, defop
from flowexec.framework.tensor import Tensor
from flowexec.framework.tensor_shape import TensorShape
from flowexec.ops import array_ops, math_ops, random_ops, shape_fns
from flowexec.ops.constant_op import identity, stop_gradient

_INDEX_TYPES = (dtypes.int32, dtypes.int64)


# ----- shared helpers ------------------------------------------------------------------------
def _real_unary(op):
    shape_fns.check_dtype_in(op, shape_fns.REAL)
    return shape_fns.unchanged(op)


def _float_unary(op):
    shape_fns.check_dtype_in(op, shape_fns.FLOATS)
    return shape_fns.unchanged(op)


def _merge_shapes(op, a, b):
    """The merge of two shapes that must be equal, with TF's message when they are not."""
    if a.ndims is not None and b.ndims is not None and a.ndims != b.ndims:
        raise shape_fns.shape_error(op, f"Shapes must be equal rank, but are {a.ndims} and "
                                        f"{b.ndims}")
    if a.ndims is None or b.ndims is None:
        return a if b.ndims is None else b
    dims = []
    for x, y in zip(a.as_list(), b.as_list()):
        if x is not None and y is not None and x != y:
            raise shape_fns.shape_error(op, f"Dimensions must be equal, but are {x} and {y}")
        dims.append(x if x is not None else y)
    return TensorShape(dims)


def _grad_infer(op):
    """(gradients, features) of one dtype and shape -> one output like them."""
    dt = shape_fns.check_same_dtype(op)
    shape_fns.check_dtype_in(op, shape_fns.REAL)
    return [(dt, _merge_shapes(op, op.inputs[0].shape, op.inputs[1].shape))]


def _float_grad_infer(op):
    shape_fns.check_dtype_in(op, shape_fns.FLOATS)
    return _grad_infer(op)


def _zero(x):
    return x.dtype.type(0)


def _upcast_half(xp, x):
    return x.astype(xp.float32) if x.dtype == xp.float16 else x


def _stable_sigmoid(xp, x):
    e = xp.exp(-xp.abs(x))
    return xp.where(x >= 0, 1 / (1 + e), e / (1 + e))


def _is_zero(t):
    """True when `t` is known to be all zeros (the filler gradients() uses for unused outputs)."""
    if t is None or t.op.type == "ZerosLike":
        return True
    v = shape_fns.constant_value(t)
    return v is not None and not v.any()


def _zeros_like(t):
    return array_ops.zeros_like(t)


def _reduce_sum_last(t):
    return math_ops.reduce_sum(t, axis=-1, keepdims=True)


def _expand_last(t):
    return array_ops.expand_dims(t, -1)


def _features_op(op_type, features, name):
    """`op_type` applied to `features` converted to a Tensor (the activations' wrappers)."""
    return apply_op(op_type, convert_to_tensor(features, name="features"), name=name)


# ----- Relu ----------------------------------------------------------------------------------
def _relu_in_place(xp, out, features):
    return xp.maximum(features, _zero(features), out=out)


@defop("Relu", infer=_real_unary, cost=CHEAP, elementwise=Elementwise(
    _relu_in_place, "fe_max({0}, ({T})0)"))
def _relu(xp, features):
    return xp.maximum(features, _zero(features))


@_relu.gradient
def _relu_grad(op, dy):
    return [apply_op("ReluGrad", dy, op.outputs[0])]


@defop("ReluGrad", infer=_grad_infer, cost=CHEAP)
def _relu_grad_kernel(xp, gradients, features):
    # TF's kernel: gradients * (features > 0); a masked multiply is ~6x faster than where().
    return xp.multiply(gradients, features > 0, dtype=gradients.dtype)


@_relu_grad_kernel.gradient
def _masked_grad_grad(op, g):
    """Gradient of ReluGrad, Relu6Grad and LeakyReluGrad (`gradients` times a piecewise
    constant of `features`): the same op on `g`, and nothing for `features`."""
    x = op.inputs[1]
    return [apply_op(op.type, g, x, **op.attrs), _zeros_like(x)]


def relu(features, name=None):
    """Computes rectified linear: `max(features, 0)`.

    Args:
        features: a Tensor of a real numeric type.
        name: op name (default "Relu").

    Returns:
        A Tensor of the same type and shape.

    Example:
        >>> relu([-1.0, 2.0])  # -> [0., 2.]
    """
    return _features_op("Relu", features, name)


# ----- Relu6 ---------------------------------------------------------------------------------
@defop("Relu6", infer=_real_unary, cost=CHEAP)
def _relu6(xp, features):
    return xp.minimum(xp.maximum(features, _zero(features)), features.dtype.type(6))


@_relu6.gradient
def _relu6_grad(op, dy):
    return [apply_op("Relu6Grad", dy, op.inputs[0])]


@defop("Relu6Grad", infer=_grad_infer, cost=CHEAP)
def _relu6_grad_kernel(xp, gradients, features):
    inside = (features > 0) & (features < 6)
    return xp.multiply(gradients, inside, dtype=gradients.dtype)  # TF: gradients * mask


_relu6_grad_kernel.gradient(_masked_grad_grad)


def relu6(features, name=None):
    """Computes rectified linear 6: `min(max(features, 0), 6)`.

    Args:
        features: a Tensor of a real numeric type.
        name: op name (default "Relu6").

    Returns:
        A Tensor of the same type and shape.

    Example:
        >>> relu6([-1.0, 3.0, 8.0])  # -> [0., 3., 6.]
    """
    return _features_op("Relu6", features, name)


# ----- Elu -----------------------------------------------------------------------------------
@defop("Elu", infer=_float_unary, cost=CHEAP)
def _elu(xp, features):
    return xp.where(features > 0, features, xp.expm1(xp.minimum(features, _zero(features))))


@_elu.gradient
def _elu_grad(op, dy):
    return [apply_op("EluGrad", dy, op.outputs[0])]


@defop("EluGrad", infer=_float_grad_infer, cost=CHEAP)
def _elu_grad_kernel(xp, gradients, outputs):
    return xp.where(outputs < 0, gradients * (outputs + 1), gradients)


@_elu_grad_kernel.gradient
def _exp_linear_grad_grad(op, g):
    """Gradient of EluGrad and SeluGrad (`gradients * (outputs + c)` where `outputs < 0`,
    else `gradients * scale`): the same op on `g`, and `g * gradients` where negative."""
    gradients, outputs = op.inputs
    zeros = _zeros_like(outputs)
    return [apply_op(op.type, g, outputs),
            math_ops.where(outputs < zeros, g * gradients, zeros)]


def elu(features, name=None):
    """Computes exponential linear: `exp(features) - 1` if `features < 0`, else `features`.

    Args:
        features: a floating Tensor.
        name: op name (default "Elu").

    Returns:
        A Tensor of the same type and shape.

    Example:
        >>> elu([-1.0, 2.0])  # -> [-0.632, 2.]
    """
    return _features_op("Elu", features, name)


# ----- Softplus ------------------------------------------------------------------------------
@defop("Softplus", infer=_float_unary, cost=CHEAP)
def _softplus(xp, features):
    x = _upcast_half(xp, features)
    out = xp.maximum(x, _zero(x)) + xp.log1p(xp.exp(-xp.abs(x)))
    return out.astype(features.dtype, copy=False)


@_softplus.gradient
def _softplus_grad(op, dy):
    return [apply_op("SoftplusGrad", dy, op.inputs[0])]


@defop("SoftplusGrad", infer=_float_grad_infer, cost=CHEAP)
def _softplus_grad_kernel(xp, gradients, features):
    s = _stable_sigmoid(xp, _upcast_half(xp, features))
    return (gradients * s).astype(gradients.dtype, copy=False)


@_softplus_grad_kernel.gradient
def _softplus_grad_grad(op, g):
    dy, x = op.inputs
    # d/dx [dy * sigmoid(x)] = dy * sigmoid(x) * sigmoid(-x), computed stably by two
    # SoftplusGrad ops.
    d2x = apply_op("SoftplusGrad", apply_op("SoftplusGrad", g * dy, x), -x)
    return [apply_op("SoftplusGrad", g, x), d2x]


def softplus(features, name=None):
    """Computes softplus: `log(exp(features) + 1)`, stably for large |features|.

    Args:
        features: a floating Tensor.
        name: op name (default "Softplus").

    Returns:
        A Tensor of the same type and shape.

    Example:
        >>> softplus([0.0, 100.0])  # -> [0.693, 100.]
    """
    return _features_op("Softplus", features, name)


# ----- LeakyRelu -----------------------------------------------------------------------------
def _leaky_grad_infer(op):
    shape_fns.check_dtype_in(op, shape_fns.FLOATS)
    return _grad_infer(op)


@defop("LeakyRelu", infer=_float_unary, cost=CHEAP)
def _leaky_relu(xp, features, *, alpha):
    return xp.where(features > 0, features, features * alpha)


@_leaky_relu.gradient
def _leaky_relu_grad(op, dy):
    return [apply_op("LeakyReluGrad", dy, op.inputs[0], alpha=op.attrs["alpha"])]


@defop("LeakyReluGrad", infer=_leaky_grad_infer, cost=CHEAP)
def _leaky_relu_grad_kernel(xp, gradients, features, *, alpha):
    return xp.where(features > 0, gradients, gradients * alpha)


_leaky_relu_grad_kernel.gradient(_masked_grad_grad)


def leaky_relu(features, alpha=0.2, name=None):
    """Computes leaky rectified linear: `features` if positive, else `alpha * features`.

    Args:
        features: a Tensor; integer inputs are cast to float32, as in TF.
        alpha: slope for negative inputs.
        name: op name (default "LeakyRelu").

    Returns:
        A floating Tensor of the shape of `features`.

    Example:
        >>> leaky_relu([-1.0, 2.0], alpha=0.1)  # -> [-0.1, 2.]
    """
    features = convert_to_tensor(features, name="features")
    if features.dtype.is_integer:
        features = math_ops.cast(features, dtypes.float32)
    return apply_op("LeakyRelu", features, name=name, alpha=float(alpha))


# ----- Selu ----------------------------------------------------------------------------------
_SELU_SCALE = 1.0507009873554804934193349852946
_SELU_ALPHA = 1.6732632423543772848170429916717


@defop("Selu", infer=_float_unary, cost=CHEAP)
def _selu(xp, features):
    neg = xp.expm1(xp.minimum(features, _zero(features))) * _SELU_ALPHA
    return xp.where(features > 0, features, neg) * _SELU_SCALE


@_selu.gradient
def _selu_grad(op, dy):
    return [apply_op("SeluGrad", dy, op.outputs[0])]


@defop("SeluGrad", infer=_float_grad_infer, cost=CHEAP)
def _selu_grad_kernel(xp, gradients, outputs):
    return xp.where(outputs < 0, gradients * (outputs + _SELU_SCALE * _SELU_ALPHA),
                    gradients * _SELU_SCALE)


_selu_grad_kernel.gradient(_exp_linear_grad_grad)


def selu(features, name=None):
    """Computes scaled exponential linear: `scale * (features if > 0 else alpha * (exp(features)
    - 1))` with the self-normalizing constants of Klambauer et al. (2017).

    Args:
        features: a floating Tensor.
        name: op name (default "Selu").

    Returns:
        A Tensor of the same type and shape.

    Example:
        >>> selu([-1.0, 1.0])  # -> [-1.111, 1.051]
    """
    return _features_op("Selu", features, name)


# ----- Softsign ------------------------------------------------------------------------------
@defop("Softsign", infer=_float_unary, cost=CHEAP)
def _softsign(xp, features):
    return features / (xp.abs(features) + 1)


@_softsign.gradient
def _softsign_grad(op, dy):
    return [apply_op("SoftsignGrad", dy, op.inputs[0])]


@defop("SoftsignGrad", infer=_float_grad_infer, cost=CHEAP)
def _softsign_grad_kernel(xp, gradients, features):
    d = xp.abs(features) + 1
    return gradients / (d * d)


@_softsign_grad_kernel.gradient
def _softsign_grad_grad(op, g):
    dy, x = op.inputs
    d = math_ops.abs(x) + 1
    d2x = g * dy * -2 * math_ops.sign(x) / (d * d * d)
    return [apply_op("SoftsignGrad", g, x), d2x]


def softsign(features, name=None):
    """Computes softsign: `features / (abs(features) + 1)`.

    Args:
        features: a floating Tensor.
        name: op name (default "Softsign").

    Returns:
        A Tensor of the same type and shape.

    Example:
        >>> softsign([-1.0, 3.0])  # -> [-0.5, 0.75]
    """
    return _features_op("Softsign", features, name)


# ----- Softmax / LogSoftmax ------------------------------------------------------------------
def _softmax_infer(op):
    shape_fns.check_dtype_in(op, shape_fns.FLOATS)
    x = op.inputs[0]
    if x.shape.ndims == 0:
        raise shape_fns.shape_error(op, "Shape must be at least rank 1 but is rank 0")
    return shape_fns.unchanged(op)


def _shifted(xp, x):
    """x - max(x) along the last axis (all entries <= 0, so exp cannot overflow)."""
    return x - xp.max(x, axis=-1, keepdims=True)


@defop("Softmax", infer=_softmax_infer, cost=EXPENSIVE)
def _softmax(xp, logits):
    if logits.size == 0:
        return logits.copy()
    e = xp.exp(_shifted(xp, _upcast_half(xp, logits)))
    return (e / xp.sum(e, axis=-1, keepdims=True)).astype(logits.dtype, copy=False)


@_softmax.gradient
def _softmax_grad(op, dy):
    y = op.outputs[0]
    return [(dy - _reduce_sum_last(dy * y)) * y]


@defop("LogSoftmax", infer=_softmax_infer, cost=EXPENSIVE)
def _log_softmax(xp, logits):
    if logits.size == 0:
        return logits.copy()
    s = _shifted(xp, _upcast_half(xp, logits))
    out = s - xp.log(xp.sum(xp.exp(s), axis=-1, keepdims=True))
    return out.astype(logits.dtype, copy=False)


@_log_softmax.gradient
def _log_softmax_grad(op, dy):
    y = op.outputs[0]
    return [dy - _reduce_sum_last(dy) * math_ops.exp(y)]


def _axis_lookup(axis, dim):
    if axis is not None and dim is not None:
        raise ValueError("Cannot specify both 'axis' and 'dim'")
    axis = dim if axis is None else axis
    return -1 if axis is None else axis


def _swap_with_last(t, axis):
    """Transposes axis `axis` of `t` with its last axis (an involution)."""
    ndims = t.shape.ndims
    if ndims is not None:
        perm = list(range(ndims))
        perm[axis], perm[-1] = perm[-1], perm[axis]
        return array_ops.transpose(t, perm)
    rank = array_ops.rank(t)
    rng = array_ops.range
    perm = array_ops.concat([rng(axis), [rank - 1], rng(axis + 1, rank - 1), [axis]], 0)
    return array_ops.transpose(t, perm)


def _softmax_along(op_type, logits, axis, name):
    logits = convert_to_tensor(logits, name="logits")
    ndims = logits.shape.ndims
    if isinstance(axis, numbers.Integral) and axis == -1:
        return apply_op(op_type, logits, name=name)
    if isinstance(axis, numbers.Integral) and ndims is not None:
        if not -ndims <= axis < ndims:
            raise errors.InvalidArgumentError(
                None, None, f"`dim` must be in the range [{-ndims}, {ndims}) where {ndims} is "
                            f"the number of dimensions in the input. Received: dim={axis}")
        if axis % ndims == ndims - 1:
            return apply_op(op_type, logits, name=name)
        axis %= ndims
    elif axis < 0:
        raise ValueError(f"A negative `dim` other than -1 needs a known rank; got dim={axis} "
                         f"for a tensor of unknown rank")
    swapped = _swap_with_last(logits, axis)
    out = apply_op(op_type, swapped)
    out = _swap_with_last(out, axis)
    if ndims is not None:
        out.set_shape(logits.shape)
    return identity(out, name=name) if name else out


def softmax(logits, axis=None, name=None, dim=None):
    """Computes softmax activations: `exp(logits) / reduce_sum(exp(logits), axis)`.

    Args:
        logits: a non-empty floating Tensor.
        axis: the dimension softmax is computed over (default -1, the last).
        name: op name (default "Softmax").
        dim: TF1's deprecated alias of `axis`.

    Returns:
        A Tensor of the same type and shape as `logits`.

    Raises:
        InvalidArgumentError: `axis` is out of range for the rank of `logits`.
        ValueError: both `axis` and `dim` are given.

    Example:
        >>> softmax([[1.0, 1.0]])  # -> [[0.5, 0.5]]
    """
    return _softmax_along("Softmax", logits, _axis_lookup(axis, dim), name)


def log_softmax(logits, axis=None, name=None, dim=None):
    """Computes log softmax activations: `logits - log(reduce_sum(exp(logits), axis))`.

    Args:
        logits: a non-empty floating Tensor.
        axis: the dimension log-softmax is computed over (default -1, the last).
        name: op name (default "LogSoftmax").
        dim: TF1's deprecated alias of `axis`.

    Returns:
        A Tensor of the same type and shape as `logits`.

    Example:
        >>> log_softmax([[0.0, 0.0]])  # -> [[-0.693, -0.693]]
    """
    return _softmax_along("LogSoftmax", logits, _axis_lookup(axis, dim), name)


# ----- BiasAdd -------------------------------------------------------------------------------
_DATA_FORMATS = ("NHWC", "NCHW")


def _channel_axis(ndims, data_format):
    return 1 if data_format == "NCHW" else ndims - 1


def _bias_add_infer(op):
    value, bias = op.inputs
    names = op.op_def.input_names
    dt = shape_fns.check_same_dtype(op, names)
    shape_fns.check_dtype_in(op, shape_fns.NUMERIC)
    if bias.shape.ndims not in (None, 1):
        raise shape_fns.shape_error(op, f"Shape must be rank 1 but is rank {bias.shape.ndims}")
    if value.shape.ndims is None:
        return [(dt, value.shape)]
    if value.shape.ndims < 2:
        raise shape_fns.shape_error(
            op, f"Shape must be at least rank 2 but is rank {value.shape.ndims}")
    dims = value.shape.as_list()
    axis = _channel_axis(len(dims), op.attrs["data_format"])
    c = bias.shape[0] if bias.shape.ndims == 1 else None
    if dims[axis] is not None and c is not None and dims[axis] != c:
        raise shape_fns.shape_error(op, f"Dimensions must be equal, but are {dims[axis]} and "
                                        f"{c}")
    if dims[axis] is None:
        dims[axis] = c
    return [(dt, TensorShape(dims))]


@defop("BiasAdd", infer=_bias_add_infer, cost=CHEAP)
def _bias_add(xp, value, bias, *, data_format):
    axis = _channel_axis(value.ndim, data_format)
    if value.shape[axis] != bias.shape[0]:
        raise errors.InvalidArgumentError(
            None, None, f"Must provide as many biases as the last dimension of the input "
                        f"tensor: [{bias.shape[0]}] vs. [{','.join(map(str, value.shape))}]")
    b = bias.reshape((-1,) + (1,) * (value.ndim - 1 - axis))
    return value + b


@_bias_add.gradient
def _bias_add_grad(op, dy):
    return [dy, apply_op("BiasAddGrad", dy, data_format=op.attrs["data_format"])]


def _bias_add_grad_infer(op):
    shape_fns.check_dtype_in(op, shape_fns.NUMERIC)
    x = op.inputs[0]
    if x.shape.ndims is None:
        return [(x.dtype, TensorShape([None]))]
    if x.shape.ndims < 2:
        raise shape_fns.shape_error(
            op, f"Shape must be at least rank 2 but is rank {x.shape.ndims}")
    axis = _channel_axis(x.shape.ndims, op.attrs["data_format"])
    return [(x.dtype, TensorShape([x.shape[axis]]))]


@defop("BiasAddGrad", infer=_bias_add_grad_infer, cost=EXPENSIVE)
def _bias_add_grad_kernel(xp, out_backprop, *, data_format):
    axis = _channel_axis(out_backprop.ndim, data_format)
    others = tuple(i for i in range(out_backprop.ndim) if i != axis)
    x = _upcast_half(xp, out_backprop)
    return xp.sum(x, axis=others).astype(out_backprop.dtype, copy=False)


@_bias_add_grad_kernel.gradient
def _bias_add_grad_grad(op, g):
    # The adjoint of "sum all but the channel axis" is "broadcast along the channel axis".
    x = op.inputs[0]
    return [apply_op("BiasAdd", _zeros_like(x), g, data_format=op.attrs["data_format"])]


def _check_data_format(data_format):
    data_format = data_format or "NHWC"
    if data_format not in _DATA_FORMATS:
        raise ValueError(f"Value for attr 'data_format' of \"{data_format}\" is not in the list "
                         f"of allowed values: \"NHWC\", \"NCHW\"")
    return data_format


def bias_add(value, bias, data_format=None, name=None):
    """Adds `bias` to `value` along its channel dimension (the last, or 1 for "NCHW").

    Args:
        value: a Tensor of rank >= 2.
        bias: a 1-D Tensor of the same type, as long as the channel dimension.
        data_format: "NHWC" (default) or "NCHW".
        name: op name (default "BiasAdd").

    Returns:
        A Tensor of the same type and shape as `value`.

    Example:
        >>> bias_add([[1.0, 2.0]], [10.0, 20.0])  # -> [[11., 22.]]
    """
    data_format = _check_data_format(data_format)
    value = convert_to_tensor(value, name="input")
    bias = convert_to_tensor(bias, dtype=value.dtype, name="bias")
    return apply_op("BiasAdd", value, bias, name=name, data_format=data_format)


# ----- L2Loss --------------------------------------------------------------------------------
def _l2_loss_infer(op):
    shape_fns.check_dtype_in(op, shape_fns.FLOATS)
    return [(op.inputs[0].dtype, TensorShape([]))]


@defop("L2Loss", infer=_l2_loss_infer, cost=EXPENSIVE)
def _l2_loss(xp, t):
    x = _upcast_half(xp, t)
    return xp.asarray(xp.sum(x * x) / 2, dtype=t.dtype)


@_l2_loss.gradient
def _l2_loss_grad(op, dy):
    return [op.inputs[0] * dy]


def l2_loss(t, name=None):
    """Computes half the squared L2 norm of a tensor without the sqrt: `sum(t ** 2) / 2`.

    Args:
        t: a floating Tensor.
        name: op name (default "L2Loss").

    Returns:
        A scalar Tensor of the same type.

    Example:
        >>> l2_loss([3.0, 4.0])  # -> 12.5
    """
    t = convert_to_tensor(t, name="t")
    return apply_op("L2Loss", t, name=name)


# ----- SoftmaxCrossEntropyWithLogits ---------------------------------------------------------
def _xent_infer(op):
    features, labels = op.inputs
    dt = shape_fns.check_same_dtype(op)
    shape_fns.check_dtype_in(op, shape_fns.FLOATS)
    for t in (features, labels):
        if t.shape.ndims not in (None, 2):
            raise shape_fns.shape_error(op, f"Shape must be rank 2 but is rank {t.shape.ndims}")
    shape = _merge_shapes(op, features.shape, labels.shape)
    if shape.ndims is None:
        shape = TensorShape([None, None])
    return [(dt, TensorShape([shape[0]])), (dt, shape)]


def _log_probs(xp, x):
    s = _shifted(xp, x)
    return s - xp.log(xp.sum(xp.exp(s), axis=-1, keepdims=True))


@defop("SoftmaxCrossEntropyWithLogits", infer=_xent_infer, cost=EXPENSIVE)
def _softmax_xent(xp, features, labels):
    dt = features.dtype
    if features.size == 0:
        return xp.zeros(features.shape[:1], dtype=dt), xp.zeros(features.shape, dtype=dt)
    log_p = _log_probs(xp, _upcast_half(xp, features))
    z = _upcast_half(xp, labels)
    loss = -xp.sum(z * log_p, axis=-1)
    backprop = xp.exp(log_p) - z
    return loss.astype(dt, copy=False), backprop.astype(dt, copy=False)


@_softmax_xent.gradient
def _softmax_xent_grad(op, grad_loss, grad_grad):
    logits = op.inputs[0]
    g = _expand_last(grad_loss)
    grad_logits = g * op.outputs[1]
    grad_labels = g * -apply_op("LogSoftmax", logits)
    if not _is_zero(grad_grad):
        # backprop = softmax(logits) - labels: the softmax Jacobian, and -I for labels.
        sm = apply_op("Softmax", logits)
        grad_logits = grad_logits + (grad_grad - _reduce_sum_last(grad_grad * sm)) * sm
        grad_labels = grad_labels - grad_grad
    return [grad_logits, grad_labels]


def _ensure_xent_args(name, sentinel, labels, logits):
    if sentinel is not None:
        raise ValueError(f"Only call `{name}` with named arguments (labels=..., logits=..., "
                         f"...)")
    if labels is None or logits is None:
        raise ValueError("Both labels and logits must be provided.")


def _flatten_outer(t, ndims):
    """Reshapes a rank-`ndims` tensor to [-1, last dim] (static when the last dim is known)."""
    last = t.shape[-1] if ndims else None
    reshape = array_ops.reshape
    if last is not None:
        return reshape(t, [-1, last])
    return reshape(t, array_ops.stack([-1, array_ops.shape(t)[-1]]))


def _xent_v2(labels, logits, axis, scope):
    """The body of softmax_cross_entropy_with_logits_v2 inside its name scope `scope`."""
    logits = convert_to_tensor(logits, name="logits")
    labels = convert_to_tensor(labels, name="labels", preferred_dtype=logits.dtype)
    if labels.dtype is not logits.dtype:
        labels = math_ops.cast(labels, logits.dtype)
    shape = logits.shape
    ndims = shape.ndims
    if ndims == 2 and axis in (-1, 1):
        loss, _ = apply_op("SoftmaxCrossEntropyWithLogits", logits, labels, name=scope)
        return loss
    if ndims is None and axis != -1:
        raise ValueError(f"softmax_cross_entropy_with_logits needs a known rank for "
                         f"axis={axis}")
    if ndims == 0:
        raise shape_fns.shape_error(logits.op, "Shape must be at least rank 1 but is rank 0")
    if ndims is not None and not -ndims <= axis < ndims:
        raise errors.InvalidArgumentError(
            None, None, f"`dim` must be in the range [{-ndims}, {ndims}) where {ndims} is the "
                        f"number of dimensions in the input. Received: dim={axis}")
    if ndims is not None and axis % ndims != ndims - 1:
        logits = _swap_with_last(logits, axis % ndims)
        labels = _swap_with_last(labels, axis % ndims)
    out_shape = array_ops.shape(logits)[:-1]
    loss, _ = apply_op("SoftmaxCrossEntropyWithLogits", _flatten_outer(logits, ndims),
                       _flatten_outer(labels, ndims))
    loss = array_ops.reshape(loss, out_shape, name=scope)
    if ndims is not None:
        dims = logits.shape.as_list()[:-1]
        loss.set_shape(dims)
    return loss


def softmax_cross_entropy_with_logits_v2(_sentinel=None, labels=None, logits=None, dim=-1,
                                         name=None, axis=None):
    """Softmax cross entropy between `logits` and a probability distribution `labels`.

    `-sum(labels * log_softmax(logits), axis)`, computed stably. Gradients flow into both
    `logits` and `labels`.

    Args:
        _sentinel: must be unused: call with `labels=` and `logits=` keywords.
        labels: a distribution over classes for each row (same shape as `logits`).
        logits: unscaled log probabilities.
        dim: the class dimension (default -1, the last).
        name: name of the result (default "softmax_cross_entropy_with_logits").
        axis: alias of `dim`.

    Returns:
        A Tensor with the shape of `logits` minus the class dimension.

    Raises:
        ValueError: positional arguments, or a missing `labels`/`logits`.

    Example:
        >>> loss = softmax_cross_entropy_with_logits_v2(labels=[[0., 1.]], logits=[[0., 0.]])
        >>> # -> [0.693]
    """
    _ensure_xent_args("softmax_cross_entropy_with_logits", _sentinel, labels, logits)
    axis = dim if axis is None else axis
    with name_scope(name, "softmax_cross_entropy_with_logits", [logits, labels]) as scope:
        return _xent_v2(labels, logits, axis, scope)


def softmax_cross_entropy_with_logits(_sentinel=None, labels=None, logits=None, dim=-1,
                                      name=None, axis=None):
    """TF1's softmax cross entropy: like `_v2`, but no gradient flows into `labels`.

    Args:
        _sentinel: must be unused: call with `labels=` and `logits=` keywords.
        labels: a distribution over classes for each row (same shape as `logits`).
        logits: unscaled log probabilities.
        dim: the class dimension (default -1, the last).
        name: name of the result (default "softmax_cross_entropy_with_logits_sg").
        axis: alias of `dim`.

    Returns:
        A Tensor with the shape of `logits` minus the class dimension.

    Raises:
        ValueError: positional arguments, or a missing `labels`/`logits`.

    Example:
        >>> loss = softmax_cross_entropy_with_logits(labels=y, logits=scores)
    """
    _ensure_xent_args("softmax_cross_entropy_with_logits", _sentinel, labels, logits)
    axis = dim if axis is None else axis
    with name_scope(name, "softmax_cross_entropy_with_logits_sg", [logits, labels]) as scope:
        labels = stop_gradient(convert_to_tensor(labels), name="labels_stop_gradient")
        return _xent_v2(labels, logits, axis, scope)


# ----- SparseSoftmaxCrossEntropyWithLogits ---------------------------------------------------
def _sparse_xent_infer(op):
    features, labels = op.inputs
    shape_fns.check_dtype_in(op, shape_fns.FLOATS, 0)
    shape_fns.check_dtype_in(op, _INDEX_TYPES, 1)
    if features.shape.ndims not in (None, 2):
        raise shape_fns.shape_error(op,
                                    f"Shape must be rank 2 but is rank {features.shape.ndims}")
    if labels.shape.ndims not in (None, 1):
        raise shape_fns.shape_error(op, f"Shape must be rank 1 but is rank {labels.shape.ndims}")
    batch = features.shape[0] if features.shape.ndims == 2 else None
    b2 = labels.shape[0] if labels.shape.ndims == 1 else None
    if batch is not None and b2 is not None and batch != b2:
        raise shape_fns.shape_error(op, f"Dimensions must be equal, but are {batch} and {b2}")
    batch = batch if batch is not None else b2
    classes = features.shape[1] if features.shape.ndims == 2 else None
    return [(features.dtype, TensorShape([batch])),
            (features.dtype, TensorShape([batch, classes]))]


@defop("SparseSoftmaxCrossEntropyWithLogits", infer=_sparse_xent_infer, cost=EXPENSIVE)
def _sparse_softmax_xent(xp, features, labels):
    dt = features.dtype
    batch, classes = features.shape
    if labels.shape[0] != batch:
        raise errors.InvalidArgumentError(
            None, None, f"logits and labels must have the same first dimension, got logits "
                        f"shape [{batch},{classes}] and labels shape [{labels.shape[0]}]")
    bad = (labels < 0) | (labels >= classes)
    if batch and bool(bad.any()):
        first = int(xp.argmax(bad))
        values = " ".join(str(v) for v in labels.tolist())
        raise errors.InvalidArgumentError(
            None, None, f"Received a label value of {int(labels[first])} which is outside the "
                        f"valid range of [0, {classes}).  Label values: {values}")
    if batch == 0:
        return xp.zeros((0,), dtype=dt), xp.zeros((0, classes), dtype=dt)
    log_p = _log_probs(xp, _upcast_half(xp, features))
    index = labels.reshape(-1, 1).astype(xp.int64)
    loss = -xp.take_along_axis(log_p, index, axis=1)[:, 0]
    onehot = xp.arange(classes) == index
    backprop = xp.exp(log_p) - onehot
    return loss.astype(dt, copy=False), backprop.astype(dt, copy=False)


@_sparse_softmax_xent.gradient
def _sparse_softmax_xent_grad(op, grad_loss, grad_grad):
    logits = op.inputs[0]
    grad = _expand_last(grad_loss) * op.outputs[1]
    if not _is_zero(grad_grad):
        sm = apply_op("Softmax", logits)
        grad = grad + (grad_grad - _reduce_sum_last(grad_grad * sm)) * sm
    return [grad, None]


def sparse_softmax_cross_entropy_with_logits(_sentinel=None, labels=None, logits=None,
                                             name=None):
    """Softmax cross entropy between `logits` and integer class indices `labels`.

    Args:
        _sentinel: must be unused: call with `labels=` and `logits=` keywords.
        labels: int32/int64 Tensor of shape `logits.shape[:-1]`, each in `[0, num_classes)`;
            a value outside raises InvalidArgumentError when the op runs.
        logits: unscaled log probabilities, `[..., num_classes]`, a floating type.
        name: op name (default "SparseSoftmaxCrossEntropyWithLogits").

    Returns:
        A Tensor of the shape of `labels` and the type of `logits`.

    Raises:
        ValueError: positional arguments, scalar logits, or a rank/shape mismatch.

    Example:
        >>> loss = sparse_softmax_cross_entropy_with_logits(labels=[1], logits=[[0., 0.]])
        >>> # -> [0.693]
    """
    _ensure_xent_args("sparse_softmax_cross_entropy_with_logits", _sentinel, labels, logits)
    with name_scope(name, "SparseSoftmaxCrossEntropyWithLogits", [labels, logits]):
        labels = convert_to_tensor(labels)
        logits = convert_to_tensor(logits)
        lshape, xshape = labels.shape, logits.shape
        if xshape.ndims == 0:
            raise ValueError(f"Logits cannot be scalars - received shape {xshape}.")
        if xshape.ndims is not None and lshape.ndims is not None and \
                lshape.ndims != xshape.ndims - 1:
            raise ValueError(f"Rank mismatch: Rank of labels (received {lshape.ndims}) should "
                             f"equal rank of logits minus 1 (received {xshape.ndims}).")
        if lshape.is_fully_defined() and xshape.ndims is not None and \
                xshape[:-1].is_fully_defined() and lshape != xshape[:-1]:
            raise ValueError(f"Shape mismatch: The shape of labels (received {lshape}) should "
                             f"equal the shape of logits except for the last dimension "
                             f"(received {xshape}).")
        if xshape.ndims == 2:
            loss, _ = apply_op("SparseSoftmaxCrossEntropyWithLogits", logits, labels,
                               name=name)
            return loss
        labels_shape = array_ops.shape(labels)
        flat_labels = array_ops.reshape(labels, [-1])
        loss, _ = apply_op("SparseSoftmaxCrossEntropyWithLogits",
                           _flatten_outer(logits, xshape.ndims), flat_labels, name=name)
        loss = array_ops.reshape(loss, labels_shape)
        if lshape.ndims is not None:
            loss.set_shape(lshape if xshape.ndims is None else lshape.merge_with(xshape[:-1]))
        return loss


# ----- sigmoid cross entropy (composite) -----------------------------------------------------
def sigmoid_cross_entropy_with_logits(_sentinel=None, labels=None, logits=None, name=None):
    """Sigmoid cross entropy: `max(x, 0) - x * z + log(1 + exp(-|x|))` for x=logits, z=labels.

    Stable for large |logits|; each element is an independent binary classification.

    Args:
        _sentinel: must be unused: call with `labels=` and `logits=` keywords.
        labels: a Tensor of the type and shape of `logits`, values in [0, 1].
        logits: a floating Tensor.
        name: name of the result (default "logistic_loss").

    Returns:
        A Tensor of the shape of `logits`: the elementwise logistic losses.

    Raises:
        ValueError: positional arguments, missing arguments, or different shapes.

    Example:
        >>> sigmoid_cross_entropy_with_logits(labels=[1.0], logits=[0.0])  # -> [0.693]
    """
    _ensure_xent_args("sigmoid_cross_entropy_with_logits", _sentinel, labels, logits)
    with name_scope(name, "logistic_loss", [logits, labels]) as scope:
        logits = convert_to_tensor(logits, name="logits")
        labels = convert_to_tensor(labels, name="labels", preferred_dtype=logits.dtype)
        try:
            labels.shape.merge_with(logits.shape)
        except ValueError:
            raise ValueError(f"logits and labels must have the same shape ({logits.shape} vs "
                             f"{labels.shape})") from None
        zeros = _zeros_like(logits)
        cond = math_ops.greater_equal(logits, zeros)
        where = math_ops.where
        relu_logits = where(cond, logits, zeros)
        neg_abs_logits = where(cond, -logits, logits)
        linear = relu_logits - logits * labels
        log_term = math_ops.log1p(math_ops.exp(neg_abs_logits))
        return math_ops.add(linear, log_term, name=scope)


def weighted_cross_entropy_with_logits(targets=None, logits=None, pos_weight=None,
                                       name=None):
    """Sigmoid cross entropy with positive examples weighted by `pos_weight`:
    `targets * -log(sigmoid(logits)) * pos_weight + (1 - targets) * -log(1 - sigmoid(logits))`.

    Args:
        targets: a Tensor of the type and shape of `logits`.
        logits: a floating Tensor.
        pos_weight: coefficient of the positive examples' loss.
        name: name of the result (default "logistic_loss").

    Returns:
        A Tensor of the shape of `logits`.

    Raises:
        ValueError: `logits` and `targets` have different shapes.

    Example:
        >>> weighted_cross_entropy_with_logits(targets=[1.], logits=[0.], pos_weight=2.)
        >>> # -> [1.386]
    """
    with name_scope(name, "logistic_loss", [logits, targets]) as scope:
        logits = convert_to_tensor(logits, name="logits")
        targets = convert_to_tensor(targets, name="targets", preferred_dtype=logits.dtype)
        try:
            targets.shape.merge_with(logits.shape)
        except ValueError:
            raise ValueError(f"logits and targets must have the same shape ({logits.shape} vs "
                             f"{targets.shape})") from None
        pos_weight = convert_to_tensor(pos_weight, dtype=logits.dtype, name="pos_weight")
        log_weight = 1 + (pos_weight - 1) * targets
        softplus_neg = math_ops.log1p(math_ops.exp(-math_ops.abs(logits))) + relu(-logits)
        linear = (1 - targets) * logits
        return math_ops.add(linear, log_weight * softplus_neg, name=scope)


# ----- dropout (composite) -------------------------------------------------------------------
def _noise_shape(x, noise_shape):
    if noise_shape is None:
        if x.shape.is_fully_defined():
            return x.shape.as_list()
        return array_ops.shape(x)
    if isinstance(noise_shape, Tensor):
        return noise_shape
    try:
        ns = TensorShape(noise_shape)
    except (TypeError, ValueError):
        return noise_shape
    if x.shape.ndims is not None and ns.ndims == x.shape.ndims:
        dims = [d if d is not None else xd for d, xd in zip(ns.as_list(), x.shape.as_list())]
        if all(d is not None for d in dims):
            return dims
    return noise_shape


def dropout(x, keep_prob=None, noise_shape=None, seed=None, name=None, rate=None):
    """Keeps each element of `x` with probability `keep_prob`, scaled by `1 / keep_prob`;
    zeroes the rest (so the expected sum is unchanged).

    Built from `random_uniform`, `floor` and multiplication: `x / keep_prob *
    floor(keep_prob + uniform[0, 1))`.

    Args:
        x: a floating Tensor.
        keep_prob: probability of keeping each element (TF1); give this or `rate`.
        noise_shape: shape of the keep/drop mask, broadcast against `x` (e.g. `[n, 1]` keeps
            or drops whole rows); default: the shape of `x`.
        seed: op-level seed for the mask (see `set_random_seed`).
        name: name scope (default "dropout").
        rate: probability of dropping each element, `1 - keep_prob`.

    Returns:
        A Tensor of the shape and type of `x`.

    Raises:
        ValueError: both or neither of `keep_prob` and `rate`, a rate outside [0, 1), or a
            non-floating `x`.

    Example:
        >>> h = dropout(relu(z), keep_prob=0.5)
    """
    try:
        keep = 1. - keep_prob if keep_prob is not None else None
    except TypeError:
        raise ValueError(f"keep_prob must be a floating point number or Tensor (got "
                         f"{keep_prob!r})") from None
    if keep is not None and rate is not None:
        raise ValueError("Cannot specify both 'keep_prob' and 'rate'")
    rate = rate if rate is not None else keep
    if rate is None:
        raise ValueError("You must provide a rate to dropout.")
    with name_scope(name, "dropout", [x]):
        x = convert_to_tensor(x, name="x")
        if not x.dtype.is_floating:
            raise ValueError(f"x has to be a floating point tensor since it's going to be "
                             f"scaled. Got a {x.dtype} tensor instead.")
        if isinstance(rate, numbers.Real) and not 0 <= rate < 1:
            raise ValueError(f"rate must be a scalar tensor or a float in the range [0, 1), "
                             f"got {rate:g}")
        if isinstance(rate, numbers.Real) and rate == 0:
            return x
        rate = convert_to_tensor(rate, dtype=x.dtype, name="rate")
        rate.shape.assert_is_compatible_with(TensorShape([]))
        static = shape_fns.constant_value(rate)
        if static is not None and static == 0:
            return x
        keep_prob_t = 1 - rate
        uniform = random_ops.random_uniform(_noise_shape(x, noise_shape), seed=seed,
                                            dtype=x.dtype)
        # keep_prob + U[0, 1) lies in [keep_prob, 1 + keep_prob): its floor is 1 with
        # probability keep_prob, else 0.
        binary = math_ops.floor(keep_prob_t + uniform)
        ret = x / keep_prob_t * binary  # TF names the result "dropout/mul", not "dropout"
        ret.set_shape(x.shape)
        return ret


# ----- InTopK --------------------------------------------------------------------------------
def _in_top_k_infer(op):
    predictions, targets, k = op.inputs
    shape_fns.check_dtype_in(op, (dtypes.float32,), 0)
    shape_fns.check_dtype_in(op, _INDEX_TYPES, 1)
    if k.dtype is not targets.dtype:
        raise TypeError(f"Input 'k' of 'InTopKV2' Op has type {k.dtype.name} that does not "
                        f"match type {targets.dtype.name} of argument 'targets'.")
    if predictions.shape.ndims not in (None, 2):
        raise shape_fns.shape_error(
            op, f"Shape must be rank 2 but is rank {predictions.shape.ndims}")
    if targets.shape.ndims not in (None, 1):
        raise shape_fns.shape_error(op, f"Shape must be rank 1 but is rank {targets.shape.ndims}")
    batch = predictions.shape[0] if predictions.shape.ndims == 2 else None
    b2 = targets.shape[0] if targets.shape.ndims == 1 else None
    if batch is not None and b2 is not None and batch != b2:
        raise shape_fns.shape_error(op, f"Dimensions must be equal, but are {batch} and {b2}")
    return [(dtypes.bool, TensorShape([batch if batch is not None else b2]))]


@defop("InTopKV2", infer=_in_top_k_infer, cost=EXPENSIVE)
def _in_top_k(xp, predictions, targets, k):
    batch, classes = predictions.shape
    if targets.shape[0] != batch:
        raise errors.InvalidArgumentError(
            None, None, f"First dimension of predictions {batch} must match length of targets "
                        f"{targets.shape[0]}")
    valid = (targets >= 0) & (targets < classes)
    index = xp.where(valid, targets, 0).astype(xp.int64).reshape(-1, 1)
    target_pred = xp.take_along_axis(predictions, index, axis=1)
    more_probable = xp.sum(predictions > target_pred, axis=1)
    # TF: a row with a non-finite prediction, or an invalid target, is never "in top k".
    finite = xp.all(xp.isfinite(predictions), axis=1)
    return valid & finite & (more_probable < int(k))


_in_top_k.not_differentiable()


def in_top_k(predictions, targets, k, name=None):
    """Says whether each target is among the `k` largest predictions of its row.

    Ties count in the target's favour (only strictly larger predictions outrank it); a row
    with a non-finite prediction or an out-of-range target gives False.

    Args:
        predictions: float32 Tensor `[batch_size, classes]`.
        targets: int32/int64 Tensor `[batch_size]` of class ids.
        k: number of top elements to look at.
        name: name scope and op name (default: op "in_top_k/InTopKV2").

    Returns:
        A bool Tensor `[batch_size]`.

    Example:
        >>> in_top_k([[0.1, 0.9, 0.0]], [0], 2)  # -> [True]
    """
    with name_scope(name, "in_top_k", [predictions, targets]):
        predictions = convert_to_tensor(predictions, name="predictions")
        targets = convert_to_tensor(targets, name="targets")
        k = convert_to_tensor(k, dtype=targets.dtype, name="k")
        return apply_op("InTopKV2", predictions, targets, k, name=name)


# ----- layers and normalization (composites) -------------------------------------------------
def _dense(x, weights, biases, name, default_name, activation=None):
    """`activation(bias_add(matmul(x, weights), biases))`, the last op named after the scope."""
    with name_scope(name, default_name, [x, weights, biases]) as scope:
        x = convert_to_tensor(x, name="x")
        weights = convert_to_tensor(weights, name="weights")
        biases = convert_to_tensor(biases, name="biases")
        mm = math_ops.matmul(x, weights)
        if activation is None:
            return bias_add(mm, biases, name=scope)
        return activation(bias_add(mm, biases), name=scope)


def xw_plus_b(x, weights, biases, name=None):
    """Computes `matmul(x, weights) + biases` (a dense layer before its activation).

    Args:
        x: 2-D Tensor `[batch, in_units]`.
        weights: 2-D Tensor `[in_units, out_units]`.
        biases: 1-D Tensor `[out_units]`.
        name: name of the result (default "xw_plus_b").

    Returns:
        A 2-D Tensor `[batch, out_units]`.

    Example:
        >>> logits = xw_plus_b(images, w, b)
    """
    return _dense(x, weights, biases, name, "xw_plus_b")


def relu_layer(x, weights, biases, name=None):
    """Computes `relu(matmul(x, weights) + biases)`.

    Args:
        x: 2-D Tensor `[batch, in_units]`.
        weights: 2-D Tensor `[in_units, out_units]`.
        biases: 1-D Tensor `[out_units]`.
        name: name of the result (default "relu_layer").

    Returns:
        A 2-D Tensor `[batch, out_units]`.

    Example:
        >>> hidden = relu_layer(images, w, b)
    """
    return _dense(x, weights, biases, name, "relu_layer", activation=relu)


def l2_normalize(x, axis=None, epsilon=1e-12, name=None, dim=None):
    """Normalizes along `axis` by the L2 norm: `x / sqrt(max(sum(x ** 2, axis), epsilon))`.

    Args:
        x: a floating Tensor.
        axis: dimension(s) to normalize over (default: all).
        epsilon: lower bound of the squared norm, which keeps zero vectors finite.
        name: name of the result (default "l2_normalize").
        dim: TF1's deprecated alias of `axis`.

    Returns:
        A Tensor of the shape and type of `x`.

    Example:
        >>> l2_normalize([3.0, 4.0])  # -> [0.6, 0.8]
    """
    if axis is not None and dim is not None:
        raise ValueError("Cannot specify both 'axis' and 'dim'")
    axis = dim if axis is None else axis
    with name_scope(name, "l2_normalize", [x]) as scope:
        x = convert_to_tensor(x, name="x")
        square_sum = math_ops.reduce_sum(math_ops.square(x), axis, keepdims=True)
        inv_norm = math_ops.rsqrt(math_ops.maximum(square_sum,
                                                   convert_to_tensor(epsilon, x.dtype)))
        return math_ops.multiply(x, inv_norm, name=scope)


def moments(x, axes, shift=None, name=None, keep_dims=None, keepdims=None):
    """Mean and variance of `x` over `axes` (float16 is computed in float32).

    Args:
        x: a floating Tensor.
        axes: list of dimensions to reduce over.
        shift: unused, as in TF1.
        name: name scope (default "moments").
        keep_dims: keep the reduced dimensions with length 1 (TF1 name).
        keepdims: alias of `keep_dims`.

    Returns:
        Two Tensors: `(mean, variance)`.

    Example:
        >>> mean, var = moments(images, axes=[0])
    """
    del shift
    if keepdims is not None and keep_dims is not None:
        raise ValueError("Cannot specify both 'keep_dims' and 'keepdims'")
    keep = bool(keepdims if keepdims is not None else keep_dims)
    with name_scope(name, "moments", [x, axes]):
        x = convert_to_tensor(x, name="x")
        y = math_ops.cast(x, dtypes.float32) if x.dtype is dtypes.float16 else x
        mean_fn = math_ops.reduce_mean
        mean = mean_fn(y, axes, keepdims=True, name="mean")
        variance = mean_fn(math_ops.square(y - stop_gradient(mean)), axes, keepdims=True,
                           name="variance")
        if not keep:
            squeeze = array_ops.squeeze
            mean, variance = squeeze(mean, axes), squeeze(variance, axes)
        if x.dtype is dtypes.float16:
            cast = math_ops.cast
            mean, variance = cast(mean, x.dtype), cast(variance, x.dtype)
        return mean, variance


def batch_normalization(x, mean, variance, offset, scale, variance_epsilon, name=None):
    """Normalizes `x` by `mean` and `variance`, then scales and shifts it:
    `scale * (x - mean) / sqrt(variance + variance_epsilon) + offset`.

    Args:
        x: input Tensor.
        mean: mean Tensor (broadcastable to `x`).
        variance: variance Tensor (broadcastable to `x`).
        offset: shift (beta) Tensor, or None.
        scale: scale (gamma) Tensor, or None.
        variance_epsilon: small float added to the variance.
        name: name scope (default "batchnorm").

    Returns:
        The normalized, scaled, shifted Tensor.

    Example:
        >>> mean, var = moments(h, axes=[0])
        >>> h = batch_normalization(h, mean, var, beta, gamma, 1e-3)
    """
    with name_scope(name, "batchnorm", [x, mean, variance, scale, offset]):
        x = convert_to_tensor(x, name="x")
        inv = math_ops.rsqrt(variance + variance_epsilon)
        if scale is not None:
            inv = inv * scale
        inv = math_ops.cast(inv, x.dtype)
        shift = offset - mean * inv if offset is not None else -mean * inv
        return x * inv + math_ops.cast(shift, x.dtype)


def zero_fraction(value, name=None):
    """The fraction of zeros in `value`, as a float32 scalar (e.g. to monitor ReLU sparsity).

    Args:
        value: a numeric Tensor.
        name: name scope (default "zero_fraction").

    Returns:
        A float32 scalar Tensor.

    Example:
        >>> zero_fraction([0.0, 1.0, 0.0, 2.0])  # -> 0.5
    """
    with name_scope(name, "zero_fraction", [value]):
        value = convert_to_tensor(value, name="value")
        zero = convert_to_tensor(0, dtype=value.dtype, name="zero")
        is_zero = math_ops.cast(math_ops.equal(value, zero), dtypes.float32)
        return math_ops.reduce_mean(is_zero, name="fraction")


__all__ = [
    "batch_normalization",
    "bias_add",
    "dropout",
    "elu",
    "in_top_k",
    "l2_loss",
    "l2_normalize",
    "leaky_relu",
    "log_softmax",
    "moments",
    "relu",
    "relu6",
    "relu_layer",
    "selu",
    "sigmoid_cross_entropy_with_logits",
    "softmax",
    "softmax_cross_entropy_with_logits",
    "softmax_cross_entropy_with_logits_v2",
    "softplus",
    "softsign",
    "sparse_softmax_cross_entropy_with_logits",
    "weighted_cross_entropy_with_logits",
    "xw_plus_b",
    "zero_fraction",
]
