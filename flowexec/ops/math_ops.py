"""math_ops: arithmetic, comparisons, logic, reductions, matmul, casts and Tensor operators.

Every op type here is defined once (kernel, shape/dtype inference, gradient decision, cost)
and has a TF1-shaped public wrapper exported through `__all__`. Kernels receive the array
module `xp` (numpy or cupy), never mutate their inputs, and return the dtype that inference
declares (same-typed operands keep their type under numpy's promotion rules; integer
true division casts first, as TF1's `truediv` does).

Naming follows TF1. A wrapper opens the op's name scope for the constants it makes:
`tf.add(a, 2)` is an op "Add" whose constant is "Add/y"; the operator `a + 2` is "add" with
constant "add/y"; `2 - a` is "sub" with constant "sub/x". A Python scalar takes the dtype of
the tensor beside it, and a lossy conversion (`int32_tensor + 2.5`) is a TypeError.

Gradients of broadcasting binary ops sum `dy` back to each input's shape: over axes known at
build time when the static shapes decide them (no op at all when the shapes agree), else at
run time with Shape + BroadcastGradientArgs + Sum + Reshape. Reduction gradients reshape and
tile `dy` back to the input's shape the same way: constant shapes when known, else
Shape + ReducedShape (a small internal op) + FloorDiv.

Graph construction is not thread-safe (as in TensorFlow); kernels are pure and thread-safe.
"""

import numpy as np

from flowexec.framework import dtypes
from flowexec.framework.convert import convert_to_tensor
from flowexec.framework.errors import InvalidArgumentError
from flowexec.framework.graph import name_scope
from flowexec.framework.node_def_form import NodeDefForm
from flowexec.framework.registry import EXPENSIVE, Elementwise, ScalarCode, apply_op, defop
from flowexec.framework.tensor import Tensor, register_operator
from flowexec.framework.tensor_shape import TensorShape
from flowexec.ops import shape_fns
from flowexec.ops.constant_op import constant, stop_gradient
from flowexec.ops.tensor_list_value import TensorListValue, add_lists

_FLOATS = shape_fns.FLOATS
_COMPLEX = (dtypes.complex64, dtypes.complex128)
_FC = _FLOATS + _COMPLEX
_NUMERIC = shape_fns.NUMERIC
_REAL = shape_fns.REAL
_INDEX = (dtypes.int32, dtypes.int64)
_BOOL = (dtypes.bool,)
_ADD_TYPES = _NUMERIC + (dtypes.string,)
_EQ_TYPES = _NUMERIC + (dtypes.bool, dtypes.string)
_MATMUL_TYPES = _FLOATS + (dtypes.int32, dtypes.int64) + _COMPLEX


# ----- conversion and naming helpers ----------------------------------------------------------
def _dtype_of(value):
    if isinstance(value, Tensor):
        return value.dtype
    dt = getattr(value, "dtype", None)
    return dt if isinstance(dt, dtypes.DType) else None


def _convert(values, arg_names, same=True, dtype=None, preferred=None):
    """`values` as Tensors; non-Tensors become constants named `<arg name>`.

    Called inside the op's `name_scope`, so the constants are `<op name>/<arg name>`.
    With `same`, a value without a dtype of its own takes `dtype`, else the dtype of the first
    tensor-like among `values`, else that of the first converted value (TF's shared type
    attribute); otherwise each value is converted with `dtype` (None: its natural dtype).
    `preferred` is the dtype to try first for values that fix none (e.g. int32 for an empty
    axis list).
    """
    if same and dtype is None:
        for v in values:
            dtype = _dtype_of(v)
            if dtype is not None:
                break
    out = list(values)
    for i, (v, arg) in enumerate(zip(values, arg_names)):
        if not isinstance(v, Tensor):
            out[i] = convert_to_tensor(v, dtype=dtype, name=arg, preferred_dtype=preferred)
            if same and dtype is None:
                dtype = out[i].dtype
    return out


def _binary(op_type, x, y, name, arg_names=("x", "y")):
    with name_scope(name, values=(x, y)) as scope:
        x, y = _convert((x, y), arg_names)
        return apply_op(op_type, x, y, name=scope)


def _unary(op_type, x, name, arg_name="x"):
    with name_scope(name, values=(x,)) as scope:
        (x,) = _convert((x,), (arg_name,))
        return apply_op(op_type, x, name=scope)


def _deprecated_alias(new_name, new_value, old_name, old_value):
    if old_value is not None:
        if new_value is not None:
            raise ValueError(f"Cannot specify both '{new_name}' and '{old_name}'")
        return old_value
    return new_value


def _shape_str(a):
    return "[" + ",".join(str(d) for d in a.shape) + "]"


def _incompatible(x, y):
    return InvalidArgumentError(
        None, None, f"Incompatible shapes: {_shape_str(x)} vs. {_shape_str(y)}")


def _merge_shapes(op, a, b, index=1):
    """`a` merged with `b`; ValueError in TF's words (as AddN and Select report it)."""
    if a.ndims is None:
        return b
    if b.ndims is None:
        return a
    if a.ndims != b.ndims:
        raise shape_fns.shape_error(op, f"Shapes must be equal rank, but are {a.ndims} and "
                                        f"{b.ndims}")
    for i, (p, q) in enumerate(zip(a.as_list(), b.as_list())):
        if p is not None and q is not None and p != q:
            raise shape_fns.shape_error(
                op, f"Dimension {i} in both shapes must be equal, but are {p} and {q}. "
                    f"Shapes are {a.proto_str()} and {b.proto_str()}.\n\tFrom merging shape "
                    f"{index - 1} with other shapes")
    return a.merge_with(b)


# ----- inference factories --------------------------------------------------------------------
def _unary_infer(allowed, out_dtype=None):
    def infer(op):
        x = op.inputs[0]
        if x.dtype not in allowed:
            shape_fns.check_dtype_in(op, allowed)
        return [(out_dtype or x.dtype, x.shape)]
    return infer


def _binary_infer(allowed, out_dtype=None):
    def infer(op):
        x, y = op.inputs
        dt = shape_fns.check_same_dtype(op)
        if dt not in allowed:
            shape_fns.check_dtype_in(op, allowed)
        sx, sy = x.shape, y.shape
        shape = sx if sx == sy else shape_fns.broadcast_shapes(op, sx, sy)
        return [(out_dtype or dt, shape)]
    return infer


# ----- broadcasting gradients -----------------------------------------------------------------
def _broadcast_gradient_args_infer(op):
    dt = shape_fns.check_same_dtype(op)
    if dt not in _INDEX:
        shape_fns.check_dtype_in(op, _INDEX)
    return [(dt, [None]), (dt, [None])]


@defop("BroadcastGradientArgs", infer=_broadcast_gradient_args_infer)
def _broadcast_gradient_args(xp, s0, s1):
    a, b = s0.tolist(), s1.tolist()
    n = max(len(b), len(a))
    a = [1] * (n - len(a)) + a
    b = [1] * (n - len(b)) + b
    r0, r1 = [], []
    for i, (p, q) in enumerate(zip(a, b)):
        if p == q:
            continue
        if p == 1:
            r0.append(i)
        elif q == 1:
            r1.append(i)
        else:
            raise InvalidArgumentError(None, None, f"Incompatible shapes: {s0.tolist()} vs. "
                                                   f"{s1.tolist()}")
    return xp.asarray(r0, dtype=s0.dtype), xp.asarray(r1, dtype=s0.dtype)


_broadcast_gradient_args.not_differentiable()


def _reduced_shape_infer(op):
    s, axes = op.inputs
    if s.dtype not in _INDEX:
        shape_fns.check_dtype_in(op, _INDEX)
    if axes.dtype not in _INDEX:
        shape_fns.check_dtype_in(op, _INDEX, 1)
    return [(s.dtype, s.shape)]


@defop("ReducedShape", infer=_reduced_shape_infer, node_def=NodeDefForm(
    flowexec_only=True, reason="it is flowexec's gradient helper (TF builds it from "
    "DynamicStitch)"))
def _reduced_shape(xp, input_shape, axes):
    # Internal: `input_shape` with the reduced `axes` set to 1 (TF builds it from DynamicStitch).
    out = input_shape.copy()
    try:
        out[axes.reshape(-1)] = 1
    except IndexError:
        raise InvalidArgumentError(
            None, None, f"Invalid reduction dimension {axes.tolist()} for input with "
                        f"{input_shape.size} dimension(s)") from None
    return out


_reduced_shape.not_differentiable()


def _unbroadcast(grad, x, other_shape):
    """`grad` (shaped like broadcast(x, other)) summed down to the shape of `x`."""
    xs = x.shape
    if xs.ndims is not None and other_shape.ndims is not None:
        xd, od = xs.as_list(), other_shape.as_list()
        n = max(len(od), len(xd))
        lead = n - len(xd)
        od = [1] * (n - len(od)) + od
        kept_axes = []
        for i, d in enumerate(xd):
            o = od[lead + i]
            if d == 1:
                if o != 1:
                    kept_axes.append(lead + i)
            elif d is None and o != 1:
                break  # x's dim may be 1 or not: only the run-time shapes tell
        else:
            g = grad
            if kept_axes:
                g = reduce_sum(g, kept_axes, keepdims=True)
            if lead:
                g = reduce_sum(g, list(range(lead)))
            return g
    from flowexec.ops import array_ops

    sx = array_ops.shape(x)
    rx, _ = apply_op("BroadcastGradientArgs", sx, array_ops.shape(grad))
    g = array_ops.reshape(reduce_sum(grad, rx), sx)
    g.set_shape(xs)
    return g


def _binary_grads(op, gx, gy):
    x, y = op.inputs
    return _unbroadcast(gx, x, y.shape), _unbroadcast(gy, y, x.shape)


# ----- elementwise binary ops -----------------------------------------------------------------
# Kernels use Python operators where one exists: for numpy scalars (what 0-d results are) they
# skip the ufunc dispatch (~0.1 µs instead of ~1 µs), and for arrays they are the same ufunc.
@defop("Add", infer=_binary_infer(_ADD_TYPES), elementwise=Elementwise.ufunc("add", "{0} + {1}"),
       scalar=ScalarCode("{0} + {1}"))
def _add(xp, x, y):
    try:
        return x + y
    except ValueError:
        raise _incompatible(x, y) from None


@_add.gradient
def _add_grad(op, dy):
    return _binary_grads(op, dy, dy)


# TF 2.x writes tf.add as AddV2 (numbers only) in the graphs it exports; same kernel.
@defop("AddV2", infer=_binary_infer(_NUMERIC), elementwise=Elementwise.ufunc("add", "{0} + {1}"),
       scalar=ScalarCode("{0} + {1}"))
def _add_v2(xp, x, y):
    return _add.kernel(xp, x, y)


@_add_v2.gradient
def _add_v2_grad(op, dy):
    return _binary_grads(op, dy, dy)


@defop("Sub", infer=_binary_infer(_NUMERIC),
       elementwise=Elementwise.ufunc("subtract", "{0} - {1}"), scalar=ScalarCode("{0} - {1}"))
def _sub(xp, x, y):
    try:
        return x - y
    except ValueError:
        raise _incompatible(x, y) from None


@_sub.gradient
def _sub_grad(op, dy):
    return _binary_grads(op, dy, negative(dy))


@defop("Mul", infer=_binary_infer(_NUMERIC),
       elementwise=Elementwise.ufunc("multiply", "{0} * {1}"), scalar=ScalarCode("{0} * {1}"))
def _mul(xp, x, y):
    try:
        return x * y
    except ValueError:
        raise _incompatible(x, y) from None


@_mul.gradient
def _mul_grad(op, dy):
    x, y = op.inputs
    return _binary_grads(op, dy * y, x * dy)


@defop("RealDiv", infer=_binary_infer(_FC),
       elementwise=Elementwise.ufunc("true_divide", "{0} / {1}"), scalar=ScalarCode("{0} / {1}"))
def _real_div(xp, x, y):
    try:
        return x / y
    except ValueError:
        raise _incompatible(x, y) from None


@_real_div.gradient
def _real_div_grad(op, dy):
    x, y = op.inputs
    return _binary_grads(op, dy / y, dy * (negative(x) / y / y))


def _check_int_divisor(y):
    if y.dtype.kind in "iu" and not y.all():
        raise InvalidArgumentError(None, None, "Integer division by zero")


@defop("FloorDiv", infer=_binary_infer(_REAL))
def _floor_div(xp, x, y):
    _check_int_divisor(y)
    try:
        return x // y
    except ValueError:
        raise _incompatible(x, y) from None


_floor_div.not_differentiable()


@defop("FloorMod", infer=_binary_infer(_REAL))
def _floor_mod(xp, x, y):
    _check_int_divisor(y)
    try:
        return x % y
    except ValueError:
        raise _incompatible(x, y) from None


@_floor_mod.gradient
def _floor_mod_grad(op, dy):
    x, y = op.inputs
    return _binary_grads(op, dy, dy * negative(floordiv(x, y)))


@defop("Pow", infer=_binary_infer(_NUMERIC))
def _pow(xp, x, y):
    if y.dtype.kind == "i" and (y < 0).any():
        raise InvalidArgumentError(None, None,
                                   "Integers to negative integer powers are not allowed")
    try:
        return xp.power(x, y)
    except ValueError:
        raise _incompatible(x, y) from None


@_pow.gradient
def _pow_grad(op, dy):
    from flowexec.ops import array_ops

    x, y = op.inputs
    z = op.outputs[0]
    gx = dy * y * pow(x, y - 1)
    positive = greater(x, 0)
    safe_x = where(positive, x, array_ops.ones_like(x))
    log_x = where(positive, log(safe_x), array_ops.zeros_like(x))
    return _binary_grads(op, gx, dy * z * log_x)


@defop("Maximum", infer=_binary_infer(_REAL),
       elementwise=Elementwise.ufunc("maximum", "fe_max({0}, {1})"))
def _maximum(xp, x, y):
    try:
        return xp.maximum(x, y)
    except ValueError:
        raise _incompatible(x, y) from None


@_maximum.gradient
def _maximum_grad(op, dy):
    x, y = op.inputs
    mask = greater_equal(x, y)
    return _binary_grads(op, dy * cast(mask, dy.dtype), dy * cast(logical_not(mask), dy.dtype))


@defop("Minimum", infer=_binary_infer(_REAL),
       elementwise=Elementwise.ufunc("minimum", "fe_min({0}, {1})"))
def _minimum(xp, x, y):
    try:
        return xp.minimum(x, y)
    except ValueError:
        raise _incompatible(x, y) from None


@_minimum.gradient
def _minimum_grad(op, dy):
    x, y = op.inputs
    mask = less_equal(x, y)
    return _binary_grads(op, dy * cast(mask, dy.dtype), dy * cast(logical_not(mask), dy.dtype))


def _squared_difference_in_place(xp, out, x, y):
    out = xp.subtract(x, y, out=out)
    return xp.multiply(out, out, out=out)


@defop("SquaredDifference", infer=_binary_infer(_FLOATS + (dtypes.int32, dtypes.int64)
                                              + _COMPLEX),
       elementwise=Elementwise(_squared_difference_in_place, "({0} - {1}) * ({0} - {1})"))
def _squared_difference(xp, x, y):
    try:
        d = x - y
    except ValueError:
        raise _incompatible(x, y) from None
    return d * d


@_squared_difference.gradient
def _squared_difference_grad(op, dy):
    x, y = op.inputs
    gx = dy * 2 * (x - y)
    return _binary_grads(op, gx, negative(gx))


# ----- comparisons and logic ------------------------------------------------------------------
@defop("Equal", infer=_binary_infer(_EQ_TYPES, dtypes.bool), scalar=ScalarCode("{0} == {1}"))
def _equal(xp, x, y):
    try:
        return xp.equal(x, y)
    except ValueError:
        raise _incompatible(x, y) from None


@defop("NotEqual", infer=_binary_infer(_EQ_TYPES, dtypes.bool), scalar=ScalarCode("{0} != {1}"))
def _not_equal(xp, x, y):
    try:
        return xp.not_equal(x, y)
    except ValueError:
        raise _incompatible(x, y) from None


@defop("Less", infer=_binary_infer(_REAL, dtypes.bool), scalar=ScalarCode("{0} < {1}"))
def _less(xp, x, y):
    try:
        return x < y
    except ValueError:
        raise _incompatible(x, y) from None


@defop("LessEqual", infer=_binary_infer(_REAL, dtypes.bool), scalar=ScalarCode("{0} <= {1}"))
def _less_equal(xp, x, y):
    try:
        return x <= y
    except ValueError:
        raise _incompatible(x, y) from None


@defop("Greater", infer=_binary_infer(_REAL, dtypes.bool), scalar=ScalarCode("{0} > {1}"))
def _greater(xp, x, y):
    try:
        return x > y
    except ValueError:
        raise _incompatible(x, y) from None


@defop("GreaterEqual", infer=_binary_infer(_REAL, dtypes.bool),
       scalar=ScalarCode("{0} >= {1}"))
def _greater_equal(xp, x, y):
    try:
        return x >= y
    except ValueError:
        raise _incompatible(x, y) from None


@defop("LogicalAnd", infer=_binary_infer(_BOOL), scalar=ScalarCode("{0} & {1}"))
def _logical_and(xp, x, y):
    try:
        return xp.logical_and(x, y)
    except ValueError:
        raise _incompatible(x, y) from None


@defop("LogicalOr", infer=_binary_infer(_BOOL), scalar=ScalarCode("{0} | {1}"))
def _logical_or(xp, x, y):
    try:
        return xp.logical_or(x, y)
    except ValueError:
        raise _incompatible(x, y) from None


@defop("LogicalNot", infer=_unary_infer(_BOOL))
def _logical_not(xp, x):
    return xp.logical_not(x)


for _od in (_equal, _not_equal, _less, _less_equal, _greater, _greater_equal, _logical_and,
            _logical_or, _logical_not):
    _od.not_differentiable()


# ----- elementwise unary ops ------------------------------------------------------------------
@defop("Neg", infer=_unary_infer(_NUMERIC), elementwise=Elementwise.ufunc("negative", "-{0}"),
       scalar=ScalarCode("-{0}"))
def _neg(xp, x):
    return -x


@_neg.gradient
def _neg_grad(op, dy):
    return negative(dy)


@defop("Abs", infer=_unary_infer(_REAL),
       elementwise=Elementwise.ufunc("absolute", "{0} < ({T})0 ? -{0} : {0}"),
       scalar=ScalarCode("abs({0})"))
def _abs(xp, x):
    return xp.absolute(x)


@_abs.gradient
def _abs_grad(op, dy):
    return dy * sign(op.inputs[0])


@defop("Sign", infer=_unary_infer(_NUMERIC))
def _sign(xp, x):
    return xp.sign(x)


@_sign.gradient
def _sign_grad(op, dy):
    from flowexec.ops import array_ops

    return array_ops.zeros_like(op.inputs[0])


@defop("Square", infer=_unary_infer(_NUMERIC), elementwise=Elementwise.ufunc("square", "{0} * {0}"),
       scalar=ScalarCode("{0} * {0}"))
def _square(xp, x):
    return xp.square(x)


@_square.gradient
def _square_grad(op, dy):
    return dy * (op.inputs[0] * 2)


@defop("Sqrt", infer=_unary_infer(_FC), elementwise=Elementwise.ufunc("sqrt", "sqrt({0})"))
def _sqrt(xp, x):
    return xp.sqrt(x)


@_sqrt.gradient
def _sqrt_grad(op, dy):
    return dy * 0.5 / op.outputs[0]


def _rsqrt_in_place(xp, out, x):
    out = xp.sqrt(x, out=out)
    return xp.true_divide(1, out, out=out)


@defop("Rsqrt", infer=_unary_infer(_FC),
       elementwise=Elementwise(_rsqrt_in_place, "({T})1 / sqrt({0})"))
def _rsqrt(xp, x):
    return 1 / xp.sqrt(x)


@_rsqrt.gradient
def _rsqrt_grad(op, dy):
    y = op.outputs[0]
    return dy * (y * y * y) * -0.5


@defop("Reciprocal", infer=_unary_infer(_NUMERIC))
def _reciprocal(xp, x):
    return xp.reciprocal(x)


@_reciprocal.gradient
def _reciprocal_grad(op, dy):
    y = op.outputs[0]
    return negative(dy) * (y * y)


@defop("Exp", infer=_unary_infer(_FC), elementwise=Elementwise.ufunc("exp", "exp({0})"))
def _exp(xp, x):
    return xp.exp(x)


@_exp.gradient
def _exp_grad(op, dy):
    return dy * op.outputs[0]


@defop("Log", infer=_unary_infer(_FC), elementwise=Elementwise.ufunc("log", "log({0})"))
def _log(xp, x):
    return xp.log(x)


@_log.gradient
def _log_grad(op, dy):
    return dy / op.inputs[0]


@defop("Log1p", infer=_unary_infer(_FC), elementwise=Elementwise.ufunc("log1p", "log1p({0})"))
def _log1p(xp, x):
    return xp.log1p(x)


@_log1p.gradient
def _log1p_grad(op, dy):
    return dy / (op.inputs[0] + 1)


@defop("Sin", infer=_unary_infer(_FC), elementwise=Elementwise.ufunc("sin", "sin({0})"))
def _sin(xp, x):
    return xp.sin(x)


@_sin.gradient
def _sin_grad(op, dy):
    return dy * cos(op.inputs[0])


@defop("Cos", infer=_unary_infer(_FC), elementwise=Elementwise.ufunc("cos", "cos({0})"))
def _cos(xp, x):
    return xp.cos(x)


@_cos.gradient
def _cos_grad(op, dy):
    return negative(dy) * sin(op.inputs[0])


@defop("Tanh", infer=_unary_infer(_FC), elementwise=Elementwise.ufunc("tanh", "tanh({0})"))
def _tanh(xp, x):
    return xp.tanh(x)


@_tanh.gradient
def _tanh_grad(op, dy):
    return apply_op("TanhGrad", op.outputs[0], dy)


def _y_dy_infer(op):
    """(y, dy) of one dtype and shape -> one output like them (TF's *Grad(y, dy) ops)."""
    dt = shape_fns.check_same_dtype(op)
    shape_fns.check_dtype_in(op, _FC)
    return [(dt, _merge_shapes(op, op.inputs[0].shape, op.inputs[1].shape))]


def _y_dy_op(type_name, in_place, cuda):
    """Defines TF's `type_name`(y, dy) op whose kernel is `in_place(xp, None, y, dy)`."""
    def kernel(xp, y, dy):
        return in_place(xp, None, y, dy)
    kernel.__qualname__ = kernel.__name__ = f"_{type_name}_kernel"
    return defop(type_name, infer=_y_dy_infer,
                 elementwise=Elementwise(in_place, cuda))(kernel)


# TF's TanhGrad / SigmoidGrad: one op (one buffer) per activation in a backward pass instead
# of three, which is most of an LSTM step's backward elementwise work. Same arithmetic, in the
# same order, as the three ops they replace. `out` may be y's buffer (fused steps).
def _tanh_grad_in_place(xp, out, y, dy):
    if out is None and not getattr(y, "ndim", 0):
        return dy * (1 - y * y)  # numpy scalars: ufuncs' out= takes arrays only
    out = xp.multiply(y, y, out=out)
    xp.subtract(1, out, out=out)
    return xp.multiply(dy, out, out=out)


_tanh_grad_kernel = _y_dy_op("TanhGrad", _tanh_grad_in_place, "{1} * (({T})1 - {0} * {0})")


@_tanh_grad_kernel.gradient
def _tanh_grad_grad(op, grad):
    y, dy = op.inputs
    return grad * -2.0 * dy * y, apply_op("TanhGrad", y, grad)


def _sigmoid_grad_in_place(xp, out, y, dy):
    one_minus = xp.subtract(1, y)
    if out is None and not getattr(y, "ndim", 0):
        return dy * (one_minus * y)
    out = xp.multiply(one_minus, y, out=out)
    return xp.multiply(dy, out, out=out)


_sigmoid_grad_kernel = _y_dy_op("SigmoidGrad", _sigmoid_grad_in_place,
                                "{1} * ((({T})1 - {0}) * {0})")


@_sigmoid_grad_kernel.gradient
def _sigmoid_grad_grad(op, grad):
    y, dy = op.inputs
    gb = grad * dy
    return gb - 2.0 * gb * y, apply_op("SigmoidGrad", y, grad)


def _sigmoid_in_place(xp, out, x):
    # With e = exp(-|x|) in (0, 1] (never overflows): 1 / (1 + e) for x >= 0, e / (1 + e)
    # below, each within 2 ulp of the exact value (no cancellation, tiny results keep their
    # relative accuracy). The numerator is max(e, x >= 0): 1 or e without a select (np.where
    # costs more than the rest together). `out` may be x's buffer: the sign is taken first.
    scalar = out is None and not getattr(x, "ndim", 0)
    nonneg = x >= 0
    out = xp.abs(x, out=xp.empty_like(x) if out is None else out)
    xp.negative(out, out=out)
    xp.exp(out, out=out)
    denom = out + 1
    xp.maximum(out, nonneg, out=out)
    xp.divide(out, denom, out=out)
    return out[()] if scalar else out


@defop("Sigmoid", infer=_unary_infer(_FLOATS),
       elementwise=Elementwise(_sigmoid_in_place, "({T})1 / (({T})1 + exp(-{0}))"))
def _sigmoid(xp, x):
    return _sigmoid_in_place(xp, None, x)


@_sigmoid.gradient
def _sigmoid_grad(op, dy):
    return apply_op("SigmoidGrad", op.outputs[0], dy)


@defop("Conj", infer=_unary_infer(_COMPLEX))
def _conj(xp, input):
    return xp.conj(input)


@_conj.gradient
def _conj_grad(op, dy):
    return conj(dy)


@defop("Floor", infer=_unary_infer(_FLOATS), elementwise=Elementwise.ufunc("floor", "floor({0})"))
def _floor(xp, x):
    return xp.floor(x)


@defop("Ceil", infer=_unary_infer(_FLOATS), elementwise=Elementwise.ufunc("ceil", "ceil({0})"))
def _ceil(xp, x):
    return xp.ceil(x)


@defop("Round", infer=_unary_infer(_NUMERIC))
def _round(xp, x):
    return xp.round(x)  # half to even, as TF's Round


# Piecewise constant: TF's gradient is None (no flow), not an error.
for _od in (_floor, _ceil, _round):
    _od.not_differentiable()


@defop("IsFinite", infer=_unary_infer(_FLOATS, dtypes.bool))
def _is_finite(xp, x):
    return xp.isfinite(x)


@defop("IsNan", infer=_unary_infer(_FLOATS, dtypes.bool))
def _is_nan(xp, x):
    return xp.isnan(x)


@defop("IsInf", infer=_unary_infer(_FLOATS, dtypes.bool))
def _is_inf(xp, x):
    return xp.isinf(x)


for _od in (_is_finite, _is_nan, _is_inf):
    _od.not_differentiable()


# ----- Cast -----------------------------------------------------------------------------------
def _cast_infer(op):
    return [(op.attrs["DstT"], op.inputs[0].shape)]


# numpy scalars of these types convert with the destination type's constructor: the same
# value as `astype` for every pair (tests/ops/test_math.py checks them all) at half its cost
_REAL_SCALARS = frozenset(np.dtype(c).type for c in "?bhilqBHILQefd")


# A generated loop's inline 0-d Cast (ScalarCode). Where float(x) holds the source value
# exactly and the destination rounds it once, `one * float(x)` (numpy's own scalar product
# with a Python float, which takes the numpy operand's type) is astype's value bit for bit,
# NaN payloads included, at a quarter of the constructor's cost; likewise `one * int(x)`
# for a widening integer cast. Every other pair uses the kernel's constructor.
# tests/ops/test_math.py checks every pair against the kernel.
_EXACT_IN_FLOAT = frozenset(np.dtype(c).type for c in "?bhiBHI")
_VIA_FLOAT = {np.float32: _EXACT_IN_FLOAT | {np.float64},
              np.float64: _EXACT_IN_FLOAT | {np.float32, np.int64, np.uint64}}


def _cast_scalar_code(kwargs, in_dtypes):
    src, dst = in_dtypes[0].np.type, kwargs["DstT"].np.type
    if src not in _REAL_SCALARS or dst not in _REAL_SCALARS:
        return None  # the kernel's astype (bfloat16's check)
    if src in _VIA_FLOAT.get(dst, ()):
        return "{one} * float({0})", {"one": dst(1)}
    if np.dtype(dst).kind in "iu" and np.dtype(src).kind in "biu" and src is not dst and \
            np.can_cast(src, dst, "safe"):
        return "{one} * int({0})", {"one": dst(1)}
    return "{T}({0})", {"T": dst}


@defop("Cast", infer=_cast_infer, fold_at_build=True,
       scalar=ScalarCode(select=_cast_scalar_code))
def _cast(xp, x, *, DstT):
    if DstT is dtypes.bfloat16 or getattr(x, "dtype", None) == dtypes.bfloat16.np:
        dtypes.require_bfloat16("Cast")
    t = DstT.np.type
    if x.__class__ in _REAL_SCALARS and t in _REAL_SCALARS:
        return t(x)
    return x.astype(DstT.np)


@_cast.gradient
def _cast_grad(op, dy):
    src = op.inputs[0].dtype
    if (src.is_floating or src.is_complex) and (dy.dtype.is_floating or dy.dtype.is_complex):
        return cast(dy, src)
    return None


# ----- AddN -----------------------------------------------------------------------------------
def _add_n_infer(op):
    ins = op.inputs
    dt = ins[0].dtype
    if any(t.dtype is not dt for t in ins):
        types = ", ".join(t.dtype.name for t in ins)
        raise TypeError(f"Tensors in list passed to 'inputs' of 'AddN' Op have types "
                        f"[{types}] that don't all match.")
    if dt not in _NUMERIC and dt is not dtypes.variant:  # variant: lists (list_ops.py)
        shape_fns.check_dtype_in(op, _NUMERIC)
    shape = ins[0].shape
    for i, t in enumerate(ins[1:], 1):
        shape = _merge_shapes(op, shape, t.shape, i)
    return [(dt, shape)]


@defop("AddN", infer=_add_n_infer)
def _add_n(xp, *inputs):
    first = inputs[0]
    if isinstance(first, TensorListValue):  # TF's variant AddN: lists add elementwise
        return add_lists(xp, inputs)
    if len(inputs) > 2 and isinstance(first, np.generic) and \
            len(set(map(type, inputs))) == 1:
        # numpy scalars of one type (so one dtype, all 0-d): summed in one pass in C, as
        # TF's AddN sums in blocks rather than strictly left to right
        return np.fromiter(inputs, first.dtype, len(inputs)).sum(dtype=first.dtype)
    shape = first.shape
    for i, t in enumerate(inputs[1:], 1):
        if t.shape != shape:
            raise InvalidArgumentError(
                None, None, f"Inputs to operation AddN of type AddN must have the same size "
                            f"and shape.  Input 0: {_shape_str(first)} != input {i}: "
                            f"{_shape_str(t)}")
    if len(inputs) == 1:
        return first
    out = xp.add(first, inputs[1])
    if out.ndim == 0:
        for t in inputs[2:]:
            out = out + t  # 0-d: the operator takes numpy's scalar path (a ufunc call is 5x)
        return out
    for t in inputs[2:]:
        xp.add(out, t, out=out)  # `out` is this kernel's own fresh buffer
    return out


@_add_n.gradient
def _add_n_grad(op, dy):
    return [dy] * len(op.inputs)


# ----- Select and Where -----------------------------------------------------------------------
def _select_infer(op):
    c, t, e = op.inputs
    if c.dtype is not dtypes.bool:
        shape_fns.check_dtype_in(op, _BOOL, 0)
    if e.dtype is not t.dtype:
        raise TypeError(f"Input 'e' of 'Select' Op has type {e.dtype.name} that does not match "
                        f"type {t.dtype.name} of argument 't'.")
    shape = _merge_shapes(op, t.shape, e.shape)
    cs = c.shape
    if cs.ndims is not None and shape.ndims is not None and cs.ndims:
        if cs.ndims == shape.ndims:
            shape = _merge_shapes(op, cs, shape)
        elif cs.ndims == 1:
            if cs[0] is not None and shape[0] is not None and cs[0] != shape[0]:
                raise shape_fns.shape_error(
                    op, f"Dimensions must be equal, but are {cs[0]} and {shape[0]}")
        else:
            raise shape_fns.shape_error(
                op, f"Shapes must be equal rank, but are {cs.ndims} and {shape.ndims}")
    return [(t.dtype, shape)]


@defop("Select", infer=_select_infer)
def _select(xp, condition, t, e):
    if t.shape != e.shape:
        raise InvalidArgumentError(None, None, f"'then' and 'else' must have the same size.  "
                                               f"but are {_shape_str(t)} and {_shape_str(e)}")
    if condition.shape != t.shape and condition.ndim:
        if condition.ndim == 1 and t.ndim > 1 and condition.shape[0] == t.shape[0]:
            condition = condition.reshape(condition.shape + (1,) * (t.ndim - 1))
        else:
            raise InvalidArgumentError(
                None, None, f"'condition' must be a scalar, a vector matching the first "
                            f"dimension of 'then', or have the shape of 'then': "
                            f"{_shape_str(condition)} vs. {_shape_str(t)}")
    return xp.where(condition, t, e)


@_select.gradient
def _select_grad(op, dy):
    from flowexec.ops import array_ops

    c, t, _ = op.inputs
    zeros = array_ops.zeros_like(t)
    return None, where(c, dy, zeros), where(c, zeros, dy)


def _where_infer(op):
    x = op.inputs[0]
    return [(dtypes.int64, [None, x.shape.ndims])]


@defop("Where", infer=_where_infer)
def _where(xp, input):
    return xp.argwhere(input).astype(xp.int64, copy=False)


_where.not_differentiable()


# ----- MatMul and BatchMatMulV2 ---------------------------------------------------------------
def _matmul_cost(op):
    """Estimated nanoseconds on one core: m*n*k*batch multiply-adds at ~40 GFLOP/s, or
    EXPENSIVE when the shapes are not known."""
    out = op.outputs[0].shape.num_elements()
    a = op.inputs[0].shape
    if out is None or a.ndims is None or a.ndims < 2:
        return EXPENSIVE
    transposed = op.attrs.get("transpose_a") or op.attrs.get("adj_x")
    k = a[-2] if transposed else a[-1]
    return EXPENSIVE if k is None else out * k / 20.0


def _matmul_infer(op):
    a, b = op.inputs
    dt = shape_fns.check_same_dtype(op)
    if dt not in _MATMUL_TYPES:
        shape_fns.check_dtype_in(op, _MATMUL_TYPES)
    sa, sb = a.shape, b.shape
    for s in (sa, sb):
        if s.ndims is not None and s.ndims != 2:
            raise shape_fns.shape_error(op, f"Shape must be rank 2 but is rank {s.ndims}")
    m, k1 = (sa[1], sa[0]) if op.attrs.get("transpose_a") else (sa[0], sa[1])
    k2, n = (sb[1], sb[0]) if op.attrs.get("transpose_b") else (sb[0], sb[1])
    if k1 is not None and k2 is not None and k1 != k2:
        raise shape_fns.shape_error(op, f"Dimensions must be equal, but are {k1} and {k2}")
    return [(dt, [m, n])]


@defop("MatMul", infer=_matmul_infer, cost=_matmul_cost)
def _matmul(xp, a, b, *, transpose_a=False, transpose_b=False):
    if a.ndim != 2 or b.ndim != 2:
        which, bad = (0, a) if a.ndim != 2 else (1, b)
        raise InvalidArgumentError(None, None, f"In[{which}] is not a matrix. Instead it has "
                                               f"shape {_shape_str(bad)}")
    x = a.T if transpose_a else a
    y = b.T if transpose_b else b
    if x.shape[1] != y.shape[0]:
        raise InvalidArgumentError(None, None, f"Matrix size-incompatible: In[0]: "
                                               f"{_shape_str(a)}, In[1]: {_shape_str(b)}")
    return xp.matmul(x, y)


@_matmul.gradient
def _matmul_grad(op, dy):
    a, b = op.inputs
    ta, tb = op.attrs.get("transpose_a", False), op.attrs.get("transpose_b", False)

    def mm(x, y, tx, ty):
        return apply_op("MatMul", x, y, name="MatMul", transpose_a=tx, transpose_b=ty)

    if not ta and not tb:
        return mm(dy, b, False, True), mm(a, dy, True, False)
    if not ta and tb:
        return mm(dy, b, False, False), mm(dy, a, True, False)
    if ta and not tb:
        return mm(b, dy, False, True), mm(a, dy, False, False)
    return mm(b, dy, True, True), mm(dy, a, True, True)


def _batch_matmul_infer(op):
    x, y = op.inputs
    dt = shape_fns.check_same_dtype(op)
    if dt not in _MATMUL_TYPES:
        shape_fns.check_dtype_in(op, _MATMUL_TYPES)
    sx, sy = x.shape, y.shape
    for s in (sx, sy):
        if s.ndims is not None and s.ndims < 2:
            raise shape_fns.shape_error(op, f"Shape must be at least rank 2 but is rank "
                                            f"{s.ndims}")
    if sx.ndims is None or sy.ndims is None:
        return [(dt, TensorShape(None))]
    m, k1 = (sx[-1], sx[-2]) if op.attrs.get("adj_x") else (sx[-2], sx[-1])
    k2, n = (sy[-1], sy[-2]) if op.attrs.get("adj_y") else (sy[-2], sy[-1])
    if k1 is not None and k2 is not None and k1 != k2:
        raise shape_fns.shape_error(op, f"Dimensions must be equal, but are {k1} and {k2}")
    batch = shape_fns.broadcast_shapes(op, sx[:-2], sy[:-2])
    return [(dt, batch.concatenate([m, n]))]


def _adjoint(xp, a):
    a = xp.swapaxes(a, -1, -2)
    return xp.conj(a) if a.dtype.kind == "c" else a


@defop("BatchMatMulV2", infer=_batch_matmul_infer, cost=_matmul_cost)
def _batch_matmul(xp, x, y, *, adj_x=False, adj_y=False):
    if x.ndim < 2 or y.ndim < 2:
        which, bad = (0, x) if x.ndim < 2 else (1, y)
        raise InvalidArgumentError(None, None, f"In[{which}] ndims must be >= 2: {bad.ndim}")
    a = _adjoint(xp, x) if adj_x else x
    b = _adjoint(xp, y) if adj_y else y
    if a.shape[-1] != b.shape[-2]:
        raise InvalidArgumentError(None, None, f"Matrix size-incompatible: In[0]: "
                                               f"{_shape_str(x)}, In[1]: {_shape_str(y)}")
    try:
        return xp.matmul(a, b)
    except ValueError:
        raise InvalidArgumentError(
            None, None, f"In[0] and In[1] must have compatible batch dimensions: "
                        f"{_shape_str(x)} vs. {_shape_str(y)}") from None


@_batch_matmul.gradient
def _batch_matmul_grad(op, dy):
    x, y = op.inputs
    adj_x, adj_y = op.attrs.get("adj_x", False), op.attrs.get("adj_y", False)

    def mm(a, b, ta, tb):
        return apply_op("BatchMatMulV2", a, b, name="MatMul", adj_x=ta, adj_y=tb)

    if not adj_x and not adj_y:
        gx, gy = mm(dy, y, False, True), mm(x, dy, True, False)
    elif not adj_x:
        gx, gy = mm(dy, y, False, False), mm(dy, x, True, False)
    elif not adj_y:
        gx, gy = mm(y, dy, False, True), mm(x, dy, False, False)
    else:
        gx, gy = mm(y, dy, True, True), mm(dy, x, True, True)
    return (_unbroadcast(gx, x, _batch_dims_as_other(y)),
            _unbroadcast(gy, y, _batch_dims_as_other(x)))


def _batch_dims_as_other(t):
    # The matrix dims never need reducing: marking them 1 lets _unbroadcast decide statically.
    s = t.shape
    return TensorShape(None) if s.ndims is None else TensorShape(s.as_list()[:-2] + [1, 1])


# ----- reductions -----------------------------------------------------------------------------
def _static_axes(op):
    """The reduced axes of a reduction op, normalised and sorted, or None when unknown."""
    x, axes_t = op.inputs[0], op.inputs[1]
    rank = x.shape.ndims
    if rank is None:
        return None
    v = shape_fns.constant_value(axes_t)
    if v is None:
        return None
    out = set()
    for a in np.ravel(v).tolist():
        if not -rank <= a < rank:
            raise shape_fns.shape_error(op, f"Invalid reduction dimension {a} for input with "
                                            f"{rank} dimensions")
        out.add(a % rank)
    return tuple(sorted(out))


def _reduce_infer(allowed):
    def infer(op):
        x, axes_t = op.inputs
        if x.dtype not in allowed:
            shape_fns.check_dtype_in(op, allowed)
        if axes_t.dtype not in _INDEX:
            shape_fns.check_dtype_in(op, _INDEX, 1)
        keep = op.attrs.get("keep_dims", False)
        rank = x.shape.ndims
        axes = _static_axes(op)
        if axes is None:
            if rank is not None and keep:
                return [(x.dtype, [None] * rank)]
            return [(x.dtype, TensorShape(None))]
        dims = x.shape.as_list()
        if keep:
            return [(x.dtype, [1 if i in axes else d for i, d in enumerate(dims)])]
        return [(x.dtype, [d for i, d in enumerate(dims) if i not in axes])]
    return infer


def _axes(reduction_indices):
    v = reduction_indices.tolist()
    return tuple(v) if type(v) is list else v


def _reduction_error(x, axis):
    """The InvalidArgumentError for bad reduction axes, or None when they are fine."""
    axes = axis if isinstance(axis, tuple) else (axis,)
    for a in axes:
        if not -x.ndim <= a < x.ndim:
            return InvalidArgumentError(None, None, f"Invalid reduction dimension ({a} for "
                                                    f"input with {x.ndim} dimension(s)")
    if len({a % x.ndim for a in axes}) != len(axes):
        return InvalidArgumentError(None, None, f"Invalid reduction arguments: Axes contains "
                                                f"duplicate dimension: {list(axes)}")
    return None


def _reduce_failed(xp, x, axis, keep_dims, identity):
    """What a reduction kernel does when xp raised ValueError: TF's identity for an empty
    reduction (numpy's max/min refuse one), else TF's error."""
    err = _reduction_error(x, axis)
    if err is not None:
        return err
    if x.size == 0 and identity is not None:
        axes = {a % x.ndim for a in (axis if isinstance(axis, tuple) else (axis,))}
        shape = tuple(1 if i in axes else d for i, d in enumerate(x.shape)
                      if keep_dims or i not in axes)
        return xp.full(shape, identity(xp, x.dtype), dtype=x.dtype)
    return InvalidArgumentError(None, None, f"Invalid reduction of shape {_shape_str(x)} over "
                                            f"axes {axis}")


def _raise_or_return(result):
    if isinstance(result, InvalidArgumentError):
        raise result
    return result


@defop("Sum", infer=_reduce_infer(_NUMERIC))
def _sum(xp, input, reduction_indices, *, keep_dims=False):
    axis = _axes(reduction_indices)
    try:
        return xp.sum(input, axis=axis, keepdims=keep_dims, dtype=input.dtype)
    except ValueError:
        return _raise_or_return(_reduce_failed(xp, input, axis, keep_dims, None))


@defop("Mean", infer=_reduce_infer(_NUMERIC))
def _mean(xp, input, reduction_indices, *, keep_dims=False):
    axis = _axes(reduction_indices)
    try:
        kind = input.dtype.kind
        if kind not in "iu":
            return xp.mean(input, axis=axis, keepdims=keep_dims)
        # TF's integer mean: the sum divided by the count, truncated toward zero.
        total = xp.sum(input, axis=axis, keepdims=keep_dims,
                       dtype=xp.int64 if kind == "i" else xp.uint64)
        n = input.size // total.size if total.size else 1
        n = n or 1
        q = total // n if kind == "u" else xp.sign(total) * (xp.absolute(total) // n)
        return q.astype(input.dtype)
    except ValueError:
        return _raise_or_return(_reduce_failed(xp, input, axis, keep_dims, None))


@defop("Prod", infer=_reduce_infer(_NUMERIC))
def _prod(xp, input, reduction_indices, *, keep_dims=False):
    axis = _axes(reduction_indices)
    try:
        return xp.prod(input, axis=axis, keepdims=keep_dims, dtype=input.dtype)
    except ValueError:
        return _raise_or_return(_reduce_failed(xp, input, axis, keep_dims, None))


def _lowest(xp, dtype):
    return float("-inf") if dtype.kind == "f" else xp.iinfo(dtype).min


def _highest(xp, dtype):
    return float("inf") if dtype.kind == "f" else xp.iinfo(dtype).max


@defop("Max", infer=_reduce_infer(_REAL))
def _max(xp, input, reduction_indices, *, keep_dims=False):
    axis = _axes(reduction_indices)
    try:
        return xp.max(input, axis=axis, keepdims=keep_dims)
    except ValueError:
        return _raise_or_return(_reduce_failed(xp, input, axis, keep_dims, _lowest))


@defop("Min", infer=_reduce_infer(_REAL))
def _min(xp, input, reduction_indices, *, keep_dims=False):
    axis = _axes(reduction_indices)
    try:
        return xp.min(input, axis=axis, keepdims=keep_dims)
    except ValueError:
        return _raise_or_return(_reduce_failed(xp, input, axis, keep_dims, _highest))


@defop("Any", infer=_reduce_infer(_BOOL))
def _any(xp, input, reduction_indices, *, keep_dims=False):
    axis = _axes(reduction_indices)
    try:
        return xp.any(input, axis=axis, keepdims=keep_dims)
    except ValueError:
        return _raise_or_return(_reduce_failed(xp, input, axis, keep_dims, None))


@defop("All", infer=_reduce_infer(_BOOL))
def _all(xp, input, reduction_indices, *, keep_dims=False):
    axis = _axes(reduction_indices)
    try:
        return xp.all(input, axis=axis, keepdims=keep_dims)
    except ValueError:
        return _raise_or_return(_reduce_failed(xp, input, axis, keep_dims, None))


_any.not_differentiable()
_all.not_differentiable()


def _kept_dims(op):
    """The input's static dims with the reduced axes as 1, or None when axes/rank unknown."""
    axes = _static_axes(op)
    if axes is None:
        return None
    return [1 if i in axes else d for i, d in enumerate(op.inputs[0].shape.as_list())]


def _kept_shape(op):
    """The input's shape with the reduced axes as 1: a list for Reshape, or a Tensor."""
    kept = _kept_dims(op)
    if kept is not None and kept.count(None) <= 1:
        return [-1 if d is None else d for d in kept]
    from flowexec.ops import array_ops

    return apply_op("ReducedShape", array_ops.shape(op.inputs[0]), op.inputs[1])


def _expand_reduced(op, g):
    """`g`, shaped like the reduction's output, reshaped and tiled to its input's shape."""
    from flowexec.ops import array_ops

    x = op.inputs[0]
    keep = op.attrs.get("keep_dims", False)
    axes = _static_axes(op)
    kept = _kept_dims(op)
    if kept is not None and kept.count(None) <= 1 and all(x.shape[i] is not None
                                                          for i in axes):
        if axes and not keep:
            g = array_ops.reshape(g, [-1 if d is None else d for d in kept])
        multiples = [x.shape[i] if i in axes else 1 for i in range(len(kept))]
        if any(m != 1 for m in multiples):
            g = array_ops.tile(g, multiples)
        return g
    shape = array_ops.shape(x)
    kept_t = apply_op("ReducedShape", shape, op.inputs[1])
    if not keep:
        g = array_ops.reshape(g, kept_t)
    return array_ops.tile(g, floordiv(shape, maximum(kept_t, 1)))


@_sum.gradient
def _sum_grad(op, dy):
    return _expand_reduced(op, dy), None


@_mean.gradient
def _mean_grad(op, dy):
    from flowexec.ops import array_ops

    g = _expand_reduced(op, dy)
    x, y = op.inputs[0], op.outputs[0]
    nx, ny = x.shape.num_elements(), y.shape.num_elements()
    if nx is not None and ny is not None:
        factor = constant(nx // ny if ny else 1, dtype=dy.dtype)
    else:
        factor = cast(floordiv(array_ops.size(x), maximum(array_ops.size(y), 1)), dy.dtype)
    return apply_op("RealDiv", g, factor, name="truediv"), None


def _min_or_max_grad(op, dy):
    from flowexec.ops import array_ops

    x, y = op.inputs[0], op.outputs[0]
    if op.attrs.get("keep_dims", False):
        yk, gk = y, dy
    else:
        kept = _kept_shape(op)
        yk, gk = array_ops.reshape(y, kept), array_ops.reshape(dy, kept)
    indicators = cast(equal(yk, x), dy.dtype)
    num_selected = reduce_sum(indicators, op.inputs[1], keepdims=True)
    return indicators / num_selected * gk, None


_max.gradient(_min_or_max_grad)
_min.gradient(_min_or_max_grad)


@_prod.gradient
def _prod_grad(op, dy):
    """d prod / d x_i = product of the other reduced elements, computed without dividing (so
    zeros are fine) as exclusive cumulative products from both ends, like TF's."""
    from flowexec.ops import array_ops

    x = op.inputs[0]
    g = _expand_reduced(op, dy)
    axes = _static_axes(op)
    if axes is None:
        # Rank or axes known only at run time: y / x, exact whenever x has no zeros.
        return g * _expand_reduced(op, op.outputs[0]) / x, None
    if not axes:
        return g, None
    rank = x.shape.ndims
    other = [i for i in range(rank) if i not in axes]
    perm = list(axes) + other
    identity = perm == list(range(rank))
    dims = x.shape.as_list()
    permuted = x if identity else array_ops.transpose(x, perm)
    reduced_n = _product([dims[i] for i in axes])
    other_n = _product([dims[i] for i in other])
    if reduced_n is not None and other_n is not None:
        shape2 = [reduced_n, other_n]
    elif reduced_n:
        shape2 = [reduced_n, -1]
    elif other_n:
        shape2 = [-1, other_n]
    else:
        n = reduce_prod(array_ops.gather(array_ops.shape(x), list(axes)))
        shape2 = array_ops.concat([array_ops.expand_dims(n, 0), constant([-1])], 0)
    reshaped = array_ops.reshape(permuted, shape2)
    left = cumprod(reshaped, 0, exclusive=True)
    right = cumprod(reshaped, 0, exclusive=True, reverse=True)
    pdims = [dims[i] for i in perm]
    pshape = pdims if None not in pdims else array_ops.shape(permuted)
    others = array_ops.reshape(left * right, pshape)
    if not identity:
        inverse = [0] * rank
        for i, p in enumerate(perm):
            inverse[p] = i
        others = array_ops.transpose(others, inverse)
    return g * others, None


def _product(dims):
    n = 1
    for d in dims:
        if d is None:
            return None
        n *= d
    return n


# ----- ArgMax / ArgMin ------------------------------------------------------------------------
def _arg_infer(op):
    x, dim = op.inputs
    if x.dtype not in _REAL:
        shape_fns.check_dtype_in(op, _REAL)
    if dim.dtype not in _INDEX:
        shape_fns.check_dtype_in(op, _INDEX, 1)
    out_type = op.attrs["output_type"]
    rank = x.shape.ndims
    if rank is None:
        return [(out_type, TensorShape(None))]
    v = shape_fns.constant_value(dim)
    if v is None:
        return [(out_type, [None] * (rank - 1 if rank else 0))]
    a = int(np.asarray(v).reshape(-1)[0])
    if not -rank <= a < rank:
        raise shape_fns.shape_error(op, f"Expected dimension in the range [{-rank}, {rank}), "
                                        f"but got {a}")
    dims = x.shape.as_list()
    del dims[a % rank]
    return [(out_type, dims)]


def _arg_reduce(fn, input, dimension, output_type):
    axis = dimension.item()
    if not -input.ndim <= axis < input.ndim:
        raise InvalidArgumentError(None, None, f"Expected dimension in the range "
                                               f"[{-input.ndim}, {input.ndim}), but got {axis}")
    if input.shape[axis] == 0:
        raise InvalidArgumentError(None, None, f"Reduction axis {axis} is empty in shape "
                                               f"{_shape_str(input)}")
    return fn(input, axis=axis).astype(output_type.np, copy=False)


@defop("ArgMax", infer=_arg_infer)
def _argmax(xp, input, dimension, *, output_type=dtypes.int64):
    return _arg_reduce(xp.argmax, input, dimension, output_type)


@defop("ArgMin", infer=_arg_infer)
def _argmin(xp, input, dimension, *, output_type=dtypes.int64):
    return _arg_reduce(xp.argmin, input, dimension, output_type)


_argmax.not_differentiable()
_argmin.not_differentiable()


# ----- Cumsum / Cumprod -----------------------------------------------------------------------
def _cum_infer(op):
    x, axis = op.inputs
    if x.dtype not in _NUMERIC:
        shape_fns.check_dtype_in(op, _NUMERIC)
    if axis.dtype not in _INDEX:
        shape_fns.check_dtype_in(op, _INDEX, 1)
    if axis.shape.ndims not in (None, 0):
        raise shape_fns.shape_error(op, f"Shape must be rank 0 but is rank {axis.shape.ndims}")
    return [(x.dtype, x.shape)]


def _cumulative(xp, fn, x, axis, exclusive, reverse, identity):
    ax = axis.item()
    if not -x.ndim <= ax < x.ndim:
        raise InvalidArgumentError(None, None, f"Expected scan axis in the range "
                                               f"[{-x.ndim}, {x.ndim}), but got {ax}")
    if reverse:
        x = xp.flip(x, ax)
    out = fn(x, axis=ax, dtype=x.dtype)
    if exclusive:
        ax %= x.ndim
        head = list(x.shape)
        head[ax] = 1
        body = [slice(None)] * x.ndim
        body[ax] = slice(0, x.shape[ax] - 1)
        out = xp.concatenate([xp.full(head, identity, dtype=x.dtype), out[tuple(body)]], ax)
    if reverse:
        out = xp.flip(out, ax)
    return out


@defop("Cumsum", infer=_cum_infer)
def _cumsum(xp, x, axis, *, exclusive=False, reverse=False):
    return _cumulative(xp, xp.cumsum, x, axis, exclusive, reverse, 0)


@_cumsum.gradient
def _cumsum_grad(op, dy):
    return cumsum(dy, op.inputs[1], exclusive=op.attrs.get("exclusive", False),
                  reverse=not op.attrs.get("reverse", False)), None


@defop("Cumprod", infer=_cum_infer)
def _cumprod(xp, x, axis, *, exclusive=False, reverse=False):
    return _cumulative(xp, xp.cumprod, x, axis, exclusive, reverse, 1)


@_cumprod.gradient
def _cumprod_grad(op, dy):
    x, axis = op.inputs
    exclusive, reverse = op.attrs.get("exclusive", False), op.attrs.get("reverse", False)
    prod = cumprod(x, axis, exclusive=exclusive, reverse=reverse)
    out = cumsum(prod * dy, axis, exclusive=exclusive, reverse=not reverse)
    return out / x, None


# ----- public wrappers: arithmetic ------------------------------------------------------------
def add(x, y, name=None):
    """Returns x + y elementwise, with numpy broadcasting (op type Add).

    Args:
        x: a Tensor or a value convertible to one (numeric or string).
        y: same dtype as `x`; a Python scalar takes `x`'s dtype.
        name: op name (default "Add").

    Returns:
        A Tensor of `x`'s dtype and the broadcast shape.

    Example:
        >>> add(constant([1, 2]), 10)  # [11, 12]
    """
    return _binary("Add", x, y, name or "Add")


def subtract(x, y, name=None):
    """Returns x - y elementwise, with broadcasting (op type Sub).

    Example:
        >>> subtract(constant([5., 3.]), 1.)  # [4., 2.]
    """
    return _binary("Sub", x, y, name or "Sub")


def multiply(x, y, name=None):
    """Returns x * y elementwise, with broadcasting (op type Mul).

    Example:
        >>> multiply(constant([[1., 2.]]), constant([[3.], [4.]]))  # [[3., 6.], [4., 8.]]
    """
    return _binary("Mul", x, y, name or "Mul")


def realdiv(x, y, name=None):
    """Returns x / y for floating or complex tensors (op type RealDiv).

    Example:
        >>> realdiv(constant([1., 3.]), 2.)  # [0.5, 1.5]
    """
    return _binary("RealDiv", x, y, name or "RealDiv")


_TRUEDIV_CAST = {
    dtypes.int8: dtypes.float32, dtypes.uint8: dtypes.float32, dtypes.int16: dtypes.float32,
    dtypes.uint16: dtypes.float32, dtypes.int32: dtypes.float64, dtypes.int64: dtypes.float64,
    dtypes.uint32: dtypes.float64, dtypes.uint64: dtypes.float64}


def truediv(x, y, name=None):
    """Python 3 division: integers are cast to floating point first (op type RealDiv).

    8- and 16-bit integers become float32, 32- and 64-bit integers float64, as in TF1.

    Args:
        x, y: tensors (or values) of one numeric dtype.
        name: op name (default "truediv").

    Raises:
        TypeError: `x` and `y` have different dtypes, or the dtype cannot be divided.

    Example:
        >>> truediv(constant(3), constant(2))  # 1.5, float64
    """
    with name_scope(name, "truediv", (x, y)) as scope:
        x, y = _convert((x, y), ("x", "y"))
        dt = x.dtype
        if y.dtype is not dt:
            raise TypeError(f"x and y must have the same dtype, got {dt!r} != {y.dtype!r}")
        target = _TRUEDIV_CAST.get(dt)
        if target is not None:
            x, y = cast(x, target), cast(y, target)
        elif not (dt.is_floating or dt.is_complex):
            raise TypeError(f"Invalid dtype {dt!r} in __truediv__")
        return apply_op("RealDiv", x, y, name=scope)


def divide(x, y, name=None):
    """`x / y` with Python 3 semantics (see `truediv`).

    Example:
        >>> divide(constant([4., 9.]), 2.)  # [2., 4.5]
    """
    return truediv(x, y, name=name)


def div(x, y, name=None):
    """TF1's `tf.div`: floor division for integers, real division for floats.

    Example:
        >>> div(constant(-7), constant(2))  # -4
    """
    with name_scope(name, "div", (x, y)) as scope:
        x, y = _convert((x, y), ("x", "y"))
        if y.dtype is not x.dtype:
            raise TypeError(f"x and y must have the same dtype, got {x.dtype!r} != "
                            f"{y.dtype!r}")
        op_type = "RealDiv" if x.dtype.is_floating or x.dtype.is_complex else "FloorDiv"
        return apply_op(op_type, x, y, name=scope)


def floordiv(x, y, name=None):
    """Returns floor(x / y) elementwise (op type FloorDiv).

    Raises at run time:
        InvalidArgumentError: an integer division by zero.

    Example:
        >>> floordiv(constant([7, -7]), 2)  # [3, -4]
    """
    return _binary("FloorDiv", x, y, name or "floordiv")


def floor_div(x, y, name=None):
    """The raw FloorDiv op (default name "FloorDiv"); see `floordiv`.

    Example:
        >>> floor_div(constant([7, -7]), 2)  # [3, -4]
    """
    return _binary("FloorDiv", x, y, name or "FloorDiv")


def floormod(x, y, name=None):
    """Returns x mod y with the sign of y, as `x - floor(x / y) * y` (op type FloorMod).

    Example:
        >>> floormod(constant([7, -7]), 3)  # [1, 2]
    """
    return _binary("FloorMod", x, y, name or "FloorMod")


mod = floormod


def pow(x, y, name=None):
    """Returns x ** y elementwise (op type Pow).

    Raises at run time:
        InvalidArgumentError: an integer raised to a negative integer power.

    Example:
        >>> pow(constant([2., 3.]), 2.)  # [4., 9.]
    """
    return _binary("Pow", x, y, name or "Pow")


def maximum(x, y, name=None):
    """Returns max(x, y) elementwise, with broadcasting (op type Maximum).

    Example:
        >>> maximum(constant([1., 5.]), 3.)  # [3., 5.]
    """
    return _binary("Maximum", x, y, name or "Maximum")


def minimum(x, y, name=None):
    """Returns min(x, y) elementwise, with broadcasting (op type Minimum).

    Example:
        >>> minimum(constant([1., 5.]), 3.)  # [1., 3.]
    """
    return _binary("Minimum", x, y, name or "Minimum")


def squared_difference(x, y, name=None):
    """Returns (x - y) ** 2 elementwise, with broadcasting (op type SquaredDifference).

    Example:
        >>> squared_difference(constant([1., 4.]), 2.)  # [1., 4.]
    """
    return _binary("SquaredDifference", x, y, name or "SquaredDifference")


def scalar_mul(scalar, x, name=None):
    """Multiplies `x` by a scalar (a Python number or a rank-0 tensor).

    Example:
        >>> scalar_mul(2., constant([1., 2.]))  # [2., 4.]
    """
    if isinstance(scalar, Tensor) and scalar.shape.ndims not in (None, 0):
        raise ValueError(f"Only scalar multiply works, got shape {scalar.shape}")
    return _binary("Mul", scalar, x, name or "Mul")


def add_n(inputs, name=None):
    """Adds a list of tensors of one dtype and shape elementwise (op type AddN).

    Args:
        inputs: a non-empty list of Tensors (or convertible values).
        name: op name (default "AddN"); a single input is returned as is unless named.

    Raises:
        ValueError: `inputs` is empty or not a list.
        TypeError, ValueError: dtypes or shapes differ.

    Example:
        >>> add_n([constant(1.), constant(2.), constant(3.)])  # 6.
    """
    if not inputs or not isinstance(inputs, (list, tuple)):
        raise ValueError("inputs must be a list of at least one Tensor with the same dtype "
                         "and shape")
    if len(inputs) == 1 and isinstance(inputs[0], Tensor):
        if name:
            from flowexec.ops.constant_op import identity

            return identity(inputs[0], name=name)
        return inputs[0]
    with name_scope(name, "AddN", inputs) as scope:
        inputs = _convert(inputs, [f"inputs_{i}" for i in range(len(inputs))])
        if len(inputs) == 1:
            from flowexec.ops.constant_op import identity

            return identity(inputs[0], name=scope) if name else inputs[0]
        return apply_op("AddN", *inputs, name=scope)


# ----- public wrappers: unary math ------------------------------------------------------------
def negative(x, name=None):
    """Returns -x elementwise (op type Neg).

    Example:
        >>> negative(constant([1, -2]))  # [-1, 2]
    """
    return _unary("Neg", x, name or "Neg")


def abs(x, name=None):
    """Returns |x| elementwise for real tensors (op type Abs).

    Example:
        >>> abs(constant([-1.5, 2.]))  # [1.5, 2.]
    """
    return _unary("Abs", x, name or "Abs")


def sign(x, name=None):
    """Returns -1, 0 or 1 by the sign of each element (op type Sign).

    Example:
        >>> sign(constant([-3., 0., 2.]))  # [-1., 0., 1.]
    """
    return _unary("Sign", x, name or "Sign")


def square(x, name=None):
    """Returns x * x elementwise (op type Square).

    Example:
        >>> square(constant([2, -3]))  # [4, 9]
    """
    return _unary("Square", x, name or "Square")


def sqrt(x, name=None):
    """Returns the square root of each element of a float tensor (op type Sqrt).

    Example:
        >>> sqrt(constant([4., 9.]))  # [2., 3.]
    """
    return _unary("Sqrt", x, name or "Sqrt")


def rsqrt(x, name=None):
    """Returns 1 / sqrt(x) elementwise (op type Rsqrt).

    Example:
        >>> rsqrt(constant([4.]))  # [0.5]
    """
    return _unary("Rsqrt", x, name or "Rsqrt")


def reciprocal(x, name=None):
    """Returns 1 / x elementwise (op type Reciprocal).

    Example:
        >>> reciprocal(constant([2., 4.]))  # [0.5, 0.25]
    """
    return _unary("Reciprocal", x, name or "Reciprocal")


def exp(x, name=None):
    """Returns e ** x elementwise (op type Exp).

    Example:
        >>> exp(constant([0.]))  # [1.]
    """
    return _unary("Exp", x, name or "Exp")


def log(x, name=None):
    """Returns the natural logarithm elementwise (op type Log).

    Example:
        >>> log(constant([1.]))  # [0.]
    """
    return _unary("Log", x, name or "Log")


def log1p(x, name=None):
    """Returns log(1 + x) elementwise, accurate for small x (op type Log1p).

    Example:
        >>> log1p(constant([0.]))  # [0.]
    """
    return _unary("Log1p", x, name or "Log1p")


def sin(x, name=None):
    """Returns sin(x) elementwise (op type Sin).

    Example:
        >>> sin(constant([0.]))  # [0.]
    """
    return _unary("Sin", x, name or "Sin")


def cos(x, name=None):
    """Returns cos(x) elementwise (op type Cos).

    Example:
        >>> cos(constant([0.]))  # [1.]
    """
    return _unary("Cos", x, name or "Cos")


def tanh(x, name=None):
    """Returns tanh(x) elementwise (op type Tanh).

    Example:
        >>> tanh(constant([0.]))  # [0.]
    """
    return _unary("Tanh", x, name or "Tanh")


def sigmoid(x, name=None):
    """Returns 1 / (1 + exp(-x)) elementwise, without overflow (op type Sigmoid).

    Example:
        >>> sigmoid(constant([0.]))  # [0.5]
    """
    return _unary("Sigmoid", x, name or "Sigmoid")


def conj(x, name=None):
    """Complex conjugate; a real tensor is returned unchanged (op type Conj).

    Example:
        >>> conj(constant([1 + 2j]))  # [1 - 2j]
    """
    if isinstance(x, Tensor) and not x.dtype.is_complex:
        return x
    with name_scope(name, "Conj", (x,)) as scope:
        (x,) = _convert((x,), ("input",))
        if not x.dtype.is_complex:
            return x
        return apply_op("Conj", x, name=scope)


def floor(x, name=None):
    """Returns the largest integer not greater than x, elementwise (op type Floor).

    Example:
        >>> floor(constant([1.5, -1.5]))  # [1., -2.]
    """
    return _unary("Floor", x, name or "Floor")


def ceil(x, name=None):
    """Returns the smallest integer not less than x, elementwise (op type Ceil).

    Example:
        >>> ceil(constant([1.5, -1.5]))  # [2., -1.]
    """
    return _unary("Ceil", x, name or "Ceil")


def round(x, name=None):
    """Rounds half to even, elementwise (op type Round).

    Example:
        >>> round(constant([0.5, 1.5, -2.5]))  # [0., 2., -2.]
    """
    return _unary("Round", x, name or "Round")


def is_finite(x, name=None):
    """True where x is neither infinite nor NaN (op type IsFinite).

    Example:
        >>> is_finite(constant([1., float("inf")]))  # [True, False]
    """
    return _unary("IsFinite", x, name or "IsFinite")


def is_nan(x, name=None):
    """True where x is NaN (op type IsNan).

    Example:
        >>> is_nan(constant([1., float("nan")]))  # [False, True]
    """
    return _unary("IsNan", x, name or "IsNan")


def is_inf(x, name=None):
    """True where x is +inf or -inf (op type IsInf).

    Example:
        >>> is_inf(constant([1., float("-inf")]))  # [False, True]
    """
    return _unary("IsInf", x, name or "IsInf")


# ----- public wrappers: comparisons and logic -------------------------------------------------
def equal(x, y, name=None):
    """Returns the truth value of x == y elementwise, with broadcasting (op type Equal).

    Example:
        >>> equal(constant([1, 2]), 2)  # [False, True]
    """
    return _binary("Equal", x, y, name or "Equal")


def not_equal(x, y, name=None):
    """Returns the truth value of x != y elementwise (op type NotEqual).

    Example:
        >>> not_equal(constant([1, 2]), 2)  # [True, False]
    """
    return _binary("NotEqual", x, y, name or "NotEqual")


def less(x, y, name=None):
    """Returns the truth value of x < y elementwise (op type Less).

    Example:
        >>> less(constant([1, 3]), 2)  # [True, False]
    """
    return _binary("Less", x, y, name or "Less")


def less_equal(x, y, name=None):
    """Returns the truth value of x <= y elementwise (op type LessEqual).

    Example:
        >>> less_equal(constant([2, 3]), 2)  # [True, False]
    """
    return _binary("LessEqual", x, y, name or "LessEqual")


def greater(x, y, name=None):
    """Returns the truth value of x > y elementwise (op type Greater).

    Example:
        >>> greater(constant([1, 3]), 2)  # [False, True]
    """
    return _binary("Greater", x, y, name or "Greater")


def greater_equal(x, y, name=None):
    """Returns the truth value of x >= y elementwise (op type GreaterEqual).

    Example:
        >>> greater_equal(constant([2, 1]), 2)  # [True, False]
    """
    return _binary("GreaterEqual", x, y, name or "GreaterEqual")


def logical_and(x, y, name=None):
    """Returns x AND y elementwise for bool tensors (op type LogicalAnd).

    Example:
        >>> logical_and(constant([True, True]), constant([True, False]))  # [True, False]
    """
    return _binary("LogicalAnd", x, y, name or "LogicalAnd")


def logical_or(x, y, name=None):
    """Returns x OR y elementwise for bool tensors (op type LogicalOr).

    Example:
        >>> logical_or(constant([True, False]), False)  # [True, False]
    """
    return _binary("LogicalOr", x, y, name or "LogicalOr")


def logical_not(x, name=None):
    """Returns NOT x elementwise for a bool tensor (op type LogicalNot).

    Example:
        >>> logical_not(constant([True, False]))  # [False, True]
    """
    return _unary("LogicalNot", x, name or "LogicalNot")


def logical_xor(x, y, name="LogicalXor"):
    """Returns x XOR y elementwise, built as (x OR y) AND NOT (x AND y), as TF1 does.

    Example:
        >>> logical_xor(constant([True, True]), constant([True, False]))  # [False, True]
    """
    with name_scope(name, "LogicalXor", (x, y)) as scope:
        x, y = _convert((x, y), ("x", "y"))
        either = logical_or(x, y)
        not_both = logical_not(logical_and(x, y))
        return apply_op("LogicalAnd", either, not_both, name=scope)


# ----- public wrappers: Cast ------------------------------------------------------------------
def cast(x, dtype, name=None):
    """Casts a tensor to `dtype`; a tensor already of that dtype is returned as is.

    Floats cast to integers truncate toward zero; nonzero values cast to bool are True.

    Args:
        x: a Tensor or convertible value.
        dtype: the destination type.
        name: op name (default "Cast").

    Example:
        >>> cast(constant([1.7, -1.7]), int32)  # [1, -1]
    """
    base = dtypes.as_dtype(dtype)
    if isinstance(x, Tensor) and x.dtype is base:
        return x
    with name_scope(name, "Cast", (x,)) as scope:
        (x,) = _convert((x,), ("x",), same=False)
        if x.dtype is base:
            return x
        return apply_op("Cast", x, name=scope, SrcT=x.dtype, DstT=base, Truncate=False)


def to_float(x, name="ToFloat"):
    """`cast(x, float32)` (TF1).

    Example:
        >>> to_float(constant([1, 2]))  # [1., 2.], float32
    """
    return cast(x, dtypes.float32, name=name)


def to_bfloat16(x, name="ToBFloat16"):
    """`cast(x, bfloat16)` (TF1): round to nearest even, as TF.

    Example:
        >>> to_bfloat16(constant([1.0 + 2 ** -8]))  # [1.], bfloat16
    """
    return cast(x, dtypes.bfloat16, name=name)


def to_double(x, name="ToDouble"):
    """`cast(x, float64)` (TF1).

    Example:
        >>> to_double(constant([1, 2]))  # [1., 2.], float64
    """
    return cast(x, dtypes.float64, name=name)


def to_int32(x, name="ToInt32"):
    """`cast(x, int32)` (TF1); floats truncate toward zero.

    Example:
        >>> to_int32(constant([1.7, -1.7]))  # [1, -1]
    """
    return cast(x, dtypes.int32, name=name)


def to_int64(x, name="ToInt64"):
    """`cast(x, int64)` (TF1); floats truncate toward zero.

    Example:
        >>> to_int64(constant([True, False]))  # [1, 0]
    """
    return cast(x, dtypes.int64, name=name)


# ----- public wrappers: where -----------------------------------------------------------------
def where(condition, x=None, y=None, name=None):
    """TF1's `tf.where`: elementwise selection, or the coordinates of true elements.

    With `x` and `y` (op type Select): `condition` has `x`'s shape, is a vector matching
    `x`'s first dimension (whole rows are selected), or is a scalar. Without them (op type
    Where): an int64 matrix with one row of coordinates per true (nonzero) element.

    Args:
        condition: a bool Tensor.
        x, y: tensors of one dtype and shape, or None together.
        name: op name (default "Where").

    Raises:
        ValueError: exactly one of `x` and `y` is None.

    Example:
        >>> where(constant([True, False]), constant([1, 2]), constant([9, 9]))  # [1, 9]
        >>> where(constant([[True, False], [False, True]]))  # [[0, 0], [1, 1]]
    """
    if (x is None) != (y is None):
        raise ValueError("x and y must both be non-None or both be None.")
    with name_scope(name, "Where", (condition, x, y)) as scope:
        (condition,) = _convert((condition,), ("condition",), same=False)
        if x is None:
            return apply_op("Where", condition, name=scope)
        x, y = _convert((x, y), ("t", "e"))
        return apply_op("Select", condition, x, y, name=scope)


# ----- public wrappers: matmul / tensordot ----------------------------------------------------
def matmul(a, b, transpose_a=False, transpose_b=False, adjoint_a=False, adjoint_b=False,
           a_is_sparse=False, b_is_sparse=False, name=None):
    """Matrix product `a @ b` (op type MatMul; BatchMatMulV2 for rank > 2 or unknown rank).

    Rank > 2 inputs are stacks of matrices whose batch dimensions broadcast.

    Args:
        a, b: tensors of one dtype (float16/32/64, int32/64, complex).
        transpose_a, transpose_b: transpose the (last two dims of the) input first.
        adjoint_a, adjoint_b: conjugate-transpose the input first.
        a_is_sparse, b_is_sparse: accepted for TF compatibility; ignored.
        name: op name (default "MatMul").

    Raises:
        ValueError: both transpose and adjoint requested for one input, or a shape mismatch
            ("Dimensions must be equal, but are 3 and 4 for 'MatMul' ...").

    Example:
        >>> matmul(constant([[1., 2.]]), constant([[3.], [4.]]))  # [[11.]]
    """
    if transpose_a and adjoint_a:
        raise ValueError("Only one of transpose_a and adjoint_a can be True.")
    if transpose_b and adjoint_b:
        raise ValueError("Only one of transpose_b and adjoint_b can be True.")
    with name_scope(name, "MatMul", (a, b)) as scope:
        a, b = _convert((a, b), ("a", "b"))
        ra, rb = a.shape.ndims, b.shape.ndims
        complex_ = a.dtype.is_complex
        if ra is None or rb is None or ra > 2 or rb > 2:
            if complex_ and (transpose_a or transpose_b):  # adj = conj + transpose: undo conj
                a = conj(a) if transpose_a else a
                b = conj(b) if transpose_b else b
            return apply_op("BatchMatMulV2", a, b, name=scope, adj_x=bool(transpose_a or adjoint_a),
                            adj_y=bool(transpose_b or adjoint_b))
        if complex_ and (adjoint_a or adjoint_b):
            a = conj(a) if adjoint_a else a
            b = conj(b) if adjoint_b else b
        return apply_op("MatMul", a, b, name=scope, transpose_a=bool(transpose_a or adjoint_a),
                        transpose_b=bool(transpose_b or adjoint_b))


def _tensordot_axes(a, b, axes):
    ra, rb = a.shape.ndims, b.shape.ndims
    if isinstance(axes, (int, np.integer)):
        if axes < 0:
            raise ValueError("'axes' must be at least 0.")
        if axes > ra:
            raise ValueError(f"'axes' must not be larger than the number of dimensions of "
                             f"tensor {a}.")
        return list(range(ra - axes, ra)), list(range(axes))
    if isinstance(axes, Tensor):
        axes = shape_fns.constant_value(axes)
        if axes is None:
            raise ValueError("tensordot needs 'axes' known at graph-build time")
        axes = axes.tolist()
    if not isinstance(axes, (list, tuple)) or len(axes) != 2:
        raise ValueError("'axes' must be an integer or have length 2.")
    a_axes, b_axes = axes
    a_axes = [a_axes] if isinstance(a_axes, (int, np.integer)) else list(a_axes)
    b_axes = [b_axes] if isinstance(b_axes, (int, np.integer)) else list(b_axes)
    if len(a_axes) != len(b_axes):
        raise ValueError(f"Different number of contraction axes 'a' and 'b', {len(a_axes)} != "
                         f"{len(b_axes)}.")
    return [int(i) % ra for i in a_axes], [int(i) % rb for i in b_axes]


def _tensordot_reshape(t, axes, flipped):
    """`t` transposed and reshaped to a matrix [free, contracted] ([contracted, free] when
    `flipped`), and its free dims: a list when static, else an int32 Tensor."""
    from flowexec.ops import array_ops

    rank = t.shape.ndims
    free = [i for i in range(rank) if i not in axes]
    perm = axes + free if flipped else free + axes
    dims = t.shape.as_list()
    free_dims = [dims[i] for i in free]
    n_free, n_axes = _product(free_dims), _product([dims[i] for i in axes])
    permuted = t if perm == list(range(rank)) else array_ops.transpose(t, perm)
    if n_free is not None and n_axes is not None:
        return array_ops.reshape(permuted, [n_axes, n_free] if flipped else [n_free, n_axes]), \
            free_dims
    shape = array_ops.shape(t)
    free_t = array_ops.gather(shape, constant(free, dtype=dtypes.int32))
    n_free_t = reduce_prod(free_t)
    n_axes_t = reduce_prod(array_ops.gather(shape, constant(axes, dtype=dtypes.int32)))
    parts = [n_axes_t, n_free_t] if flipped else [n_free_t, n_axes_t]
    shape2 = array_ops.concat([array_ops.expand_dims(p, 0) for p in parts], 0)
    return array_ops.reshape(permuted, shape2), free_t


def tensordot(a, b, axes, name=None):
    """Tensor contraction of `a` and `b` over `axes`, as a transpose, reshape and MatMul.

    Args:
        a, b: tensors of one dtype and known rank.
        axes: N (the last N axes of `a` against the first N of `b`) or a pair of axis lists.
        name: name scope (default "Tensordot").

    Raises:
        ValueError: malformed `axes`, or an input of unknown rank.

    Example:
        >>> tensordot(constant([[1., 2.]]), constant([[3.], [4.]]), 1)  # [[11.]]
    """
    from flowexec.ops import array_ops

    with name_scope(name, "Tensordot", (a, b)):
        a, b = _convert((a, b), ("a", "b"))
        if a.shape.ndims is None or b.shape.ndims is None:
            raise ValueError("tensordot needs inputs of known rank")
        a_axes, b_axes = _tensordot_axes(a, b, axes)
        a2, a_free = _tensordot_reshape(a, a_axes, False)
        b2, b_free = _tensordot_reshape(b, b_axes, True)
        product = matmul(a2, b2)
        if isinstance(a_free, list) and isinstance(b_free, list):
            return array_ops.reshape(product, a_free + b_free)
        parts = [f if isinstance(f, Tensor) else constant(f, dtype=dtypes.int32)
                 for f in (a_free, b_free)]
        return array_ops.reshape(product, array_ops.concat(parts, 0))


# ----- public wrappers: reductions ------------------------------------------------------------
def _reduce(op_type, input_tensor, axis, keepdims, name, reduction_indices, keep_dims):
    axis = _deprecated_alias("axis", axis, "reduction_indices", reduction_indices)
    keepdims = _deprecated_alias("keepdims", keepdims, "keep_dims", keep_dims)
    keepdims = bool(keepdims)
    name = name or op_type
    x = input_tensor
    if not isinstance(x, Tensor):
        x = convert_to_tensor(x)
    if axis is None:
        rank = x.shape.ndims
        if rank is not None:
            axes = constant(list(range(rank)), dtype=dtypes.int32)
        else:
            from flowexec.ops import array_ops

            axes = array_ops.range(0, array_ops.rank(x))
        out = apply_op(op_type, x, axes, name=name, keep_dims=keepdims)
        if not keepdims:
            out.set_shape([])
        return out
    with name_scope(name, values=(x, axis)) as scope:
        (axis,) = _convert((axis,), ("reduction_indices",), same=False, preferred=dtypes.int32)
        return apply_op(op_type, x, axis, name=scope, keep_dims=keepdims)


def reduce_sum(input_tensor, axis=None, keepdims=None, name=None, reduction_indices=None,
               keep_dims=None):
    """Sum of elements across `axis` (op type Sum).

    Args:
        input_tensor: the numeric tensor to reduce.
        axis: None (all axes), an int, a list of ints (negative counts from the end), or an
            int32/int64 Tensor. `reduction_indices` is TF1's alias.
        keepdims: keep reduced axes with length 1. `keep_dims` is TF1's alias.
        name: op name (default "Sum").

    Returns:
        The reduced tensor, of `input_tensor`'s dtype.

    Raises:
        ValueError: an axis out of range, or both an argument and its alias given.

    Example:
        >>> reduce_sum(constant([[1, 2], [3, 4]]), axis=0)  # [4, 6]
    """
    return _reduce("Sum", input_tensor, axis, keepdims, name, reduction_indices, keep_dims)


def reduce_mean(input_tensor, axis=None, keepdims=None, name=None, reduction_indices=None,
                keep_dims=None):
    """Mean of elements across `axis` (op type Mean); integer means truncate, as in TF.

    Arguments as for `reduce_sum`.

    Example:
        >>> reduce_mean(constant([1., 2.]))  # 1.5
        >>> reduce_mean(constant([1, 2]))  # 1
    """
    return _reduce("Mean", input_tensor, axis, keepdims, name, reduction_indices, keep_dims)


def reduce_max(input_tensor, axis=None, keepdims=None, name=None, reduction_indices=None,
               keep_dims=None):
    """Maximum of elements across `axis` (op type Max).

    Arguments as for `reduce_sum`.

    Example:
        >>> reduce_max(constant([[1, 5], [3, 4]]), axis=1)  # [5, 4]
    """
    return _reduce("Max", input_tensor, axis, keepdims, name, reduction_indices, keep_dims)


def reduce_min(input_tensor, axis=None, keepdims=None, name=None, reduction_indices=None,
               keep_dims=None):
    """Minimum of elements across `axis` (op type Min).

    Arguments as for `reduce_sum`.

    Example:
        >>> reduce_min(constant([[1, 5], [3, 4]]), axis=1)  # [1, 3]
    """
    return _reduce("Min", input_tensor, axis, keepdims, name, reduction_indices, keep_dims)


def reduce_prod(input_tensor, axis=None, keepdims=None, name=None, reduction_indices=None,
                keep_dims=None):
    """Product of elements across `axis` (op type Prod).

    Arguments as for `reduce_sum`.

    Example:
        >>> reduce_prod(constant([2., 3., 4.]))  # 24.
    """
    return _reduce("Prod", input_tensor, axis, keepdims, name, reduction_indices, keep_dims)


def reduce_any(input_tensor, axis=None, keepdims=None, name=None, reduction_indices=None,
               keep_dims=None):
    """Logical OR across `axis` of a bool tensor (op type Any).

    Arguments as for `reduce_sum`.

    Example:
        >>> reduce_any(constant([False, True]))  # True
    """
    return _reduce("Any", input_tensor, axis, keepdims, name, reduction_indices, keep_dims)


def reduce_all(input_tensor, axis=None, keepdims=None, name=None, reduction_indices=None,
               keep_dims=None):
    """Logical AND across `axis` of a bool tensor (op type All).

    Arguments as for `reduce_sum`.

    Example:
        >>> reduce_all(constant([False, True]))  # False
    """
    return _reduce("All", input_tensor, axis, keepdims, name, reduction_indices, keep_dims)


def reduce_logsumexp(input_tensor, axis=None, keepdims=None, name=None,
                     reduction_indices=None, keep_dims=None):
    """log(sum(exp(x))) across `axis`, computed stably by subtracting the maximum.

    Arguments as for `reduce_sum`.

    Example:
        >>> reduce_logsumexp(constant([0., 0.]))  # log(2) = 0.693...
    """
    from flowexec.ops import array_ops

    axis = _deprecated_alias("axis", axis, "reduction_indices", reduction_indices)
    keepdims = bool(_deprecated_alias("keepdims", keepdims, "keep_dims", keep_dims))
    x = input_tensor if isinstance(input_tensor, Tensor) else convert_to_tensor(input_tensor)
    graph = x.graph
    with graph.as_default(), graph.name_scope(name or "ReduceLogSumExp"):
        raw_max = reduce_max(x, axis=axis, keepdims=True)
        my_max = stop_gradient(where(is_finite(raw_max), raw_max,
                                     array_ops.zeros_like(raw_max)))
        result = log(reduce_sum(exp(subtract(x, my_max)), axis=axis, keepdims=keepdims))
        if not keepdims:
            shape = result.shape
            my_max = array_ops.reshape(my_max, shape.as_list() if shape.is_fully_defined()
                                       else array_ops.shape(result))
        out = add(result, my_max)
    if axis is None and not keepdims:
        out.set_shape([])
    return out


def count_nonzero(input_tensor, axis=None, keepdims=None, dtype=dtypes.int64, name=None,
                  reduction_indices=None, keep_dims=None):
    """Number of nonzero (or True) elements across `axis`, as `dtype` (default int64).

    Arguments as for `reduce_sum`.

    Example:
        >>> count_nonzero(constant([0, 3, 0, 5]))  # 2
    """
    x = input_tensor if isinstance(input_tensor, Tensor) else convert_to_tensor(input_tensor)
    graph = x.graph
    with graph.as_default(), graph.name_scope(name or "count_nonzero"):
        zero = constant(np.zeros((), dtype=x.dtype.np), dtype=x.dtype)
        nonzero = cast(not_equal(x, zero), dtypes.int64)
        total = reduce_sum(nonzero, axis=axis, keepdims=keepdims,
                           reduction_indices=reduction_indices, keep_dims=keep_dims)
        return cast(total, dtype)


def _arg_op(op_type, input, axis, dimension, output_type, name):
    axis = _deprecated_alias("axis", axis, "dimension", dimension)
    if axis is None:
        axis = 0
    output_type = dtypes.as_dtype(output_type)
    if output_type not in _INDEX:
        raise TypeError(f"Value for attr 'output_type' of {output_type.name} is not in the "
                        f"list of allowed values: int32, int64")
    with name_scope(name, op_type, (input, axis)) as scope:
        (input,) = _convert((input,), ("input",), same=False)
        (axis,) = _convert((axis,), ("dimension",), same=False, preferred=dtypes.int32)
        return apply_op(op_type, input, axis, name=scope, output_type=output_type)


def argmax(input, axis=None, name=None, dimension=None, output_type=dtypes.int64):
    """Index of the largest value along `axis` (default 0) (op type ArgMax).

    Args:
        input: a real tensor.
        axis: the axis to reduce (`dimension` is TF1's alias).
        name: op name (default "ArgMax").
        output_type: int64 (default) or int32.

    Example:
        >>> argmax(constant([[1, 9], [7, 3]]), axis=1)  # [1, 0]
    """
    return _arg_op("ArgMax", input, axis, dimension, output_type, name)


def argmin(input, axis=None, name=None, dimension=None, output_type=dtypes.int64):
    """Index of the smallest value along `axis` (default 0) (op type ArgMin).

    Example:
        >>> argmin(constant([[1, 9], [7, 3]]), axis=1)  # [0, 1]
    """
    return _arg_op("ArgMin", input, axis, dimension, output_type, name)


def _cum_op(op_type, x, axis, exclusive, reverse, name):
    with name_scope(name, op_type, (x, axis)) as scope:
        (x,) = _convert((x,), ("x",), same=False)
        (axis,) = _convert((axis,), ("axis",), same=False, preferred=dtypes.int32)
        return apply_op(op_type, x, axis, name=scope, exclusive=bool(exclusive),
                        reverse=bool(reverse))


def cumsum(x, axis=0, exclusive=False, reverse=False, name=None):
    """Cumulative sum along `axis` (op type Cumsum).

    Args:
        x: a numeric tensor.
        axis: a scalar axis (int or Tensor).
        exclusive: each output excludes its own element (starts from 0).
        reverse: accumulate from the end.
        name: op name (default "Cumsum").

    Example:
        >>> cumsum(constant([1, 2, 3]))  # [1, 3, 6]
        >>> cumsum(constant([1, 2, 3]), exclusive=True, reverse=True)  # [5, 3, 0]
    """
    return _cum_op("Cumsum", x, axis, exclusive, reverse, name)


def cumprod(x, axis=0, exclusive=False, reverse=False, name=None):
    """Cumulative product along `axis` (op type Cumprod); arguments as for `cumsum`.

    Example:
        >>> cumprod(constant([1, 2, 3]))  # [1, 2, 6]
    """
    return _cum_op("Cumprod", x, axis, exclusive, reverse, name)


# ----- Tensor operator overloads --------------------------------------------------------------
def _binary_operator(op_type, name):
    def forward(self, other):
        return _binary(op_type, self, other, name)

    def reflected(self, other):
        return _binary(op_type, other, self, name)

    return forward, reflected


def _function_operator(fn, name):
    def forward(self, other):
        return fn(self, other, name=name)

    def reflected(self, other):
        with name_scope(None, name, (other, self)) as scope:
            (x,) = _convert((other,), ("x",), dtype=self.dtype)
            return fn(x, self, name=scope)

    return forward, reflected


def _register_operators():
    for op_type, name, method in (("Add", "add", "add"), ("Sub", "sub", "sub"),
                                  ("Mul", "mul", "mul"), ("FloorDiv", "floordiv", "floordiv"),
                                  ("FloorMod", "mod", "mod"), ("Pow", "pow", "pow"),
                                  ("LogicalAnd", "and", "and"), ("LogicalOr", "or", "or")):
        forward, reflected = _binary_operator(op_type, name)
        register_operator(f"__{method}__", forward)
        register_operator(f"__r{method}__", reflected)
    for fn, name, method in ((truediv, "truediv", "truediv"), (matmul, "matmul", "matmul"),
                             (logical_xor, "xor", "xor")):
        forward, reflected = _function_operator(fn, name)
        register_operator(f"__{method}__", forward)
        register_operator(f"__r{method}__", reflected)
    for op_type, method in (("Less", "lt"), ("LessEqual", "le"), ("Greater", "gt"),
                            ("GreaterEqual", "ge")):
        register_operator(f"__{method}__", _binary_operator(op_type, op_type)[0])
    register_operator("__neg__", lambda self: apply_op("Neg", self, name="Neg"))
    register_operator("__abs__", lambda self: apply_op("Abs", self, name="Abs"))
    register_operator("__invert__", lambda self: apply_op("LogicalNot", self, name="LogicalNot"))


_register_operators()


__all__ = [
    "abs", "add", "add_n", "argmax", "argmin", "cast", "ceil", "conj", "cos", "count_nonzero",
    "cumprod", "cumsum", "div", "divide", "equal", "exp", "floor", "floor_div", "floordiv",
    "floormod", "greater", "greater_equal", "is_finite", "is_inf", "is_nan", "less",
    "less_equal", "log", "log1p", "logical_and", "logical_not", "logical_or", "logical_xor",
    "matmul", "maximum", "minimum", "mod", "multiply", "negative", "not_equal", "pow",
    "realdiv", "reciprocal", "reduce_all", "reduce_any", "reduce_logsumexp", "reduce_max",
    "reduce_mean", "reduce_min", "reduce_prod", "reduce_sum", "round", "rsqrt", "scalar_mul",
    "sigmoid", "sign", "sin", "sqrt", "square", "squared_difference", "subtract", "tanh",
    "tensordot", "to_bfloat16", "to_double", "to_float", "to_int32", "to_int64", "truediv", "where",
]
