"""shape_util_ops: shapes and identities — ensure_shape, shape_n, broadcast_static_shape /
broadcast_dynamic_shape (BroadcastArgs), bitcast, identity_n, guarantee_const, parallel_stack.

`ensure_shape` checks at run time what it promises at build time (InvalidArgumentError with
TF's message); `identity_n` passes several tensors (and their gradients) through one op.
"""

from flowexec.framework import dtypes
from flowexec.framework.convert import convert_to_tensor
from flowexec.framework.errors import InvalidArgumentError
from flowexec.framework.graph import name_scope
from flowexec.framework.registry import apply_op, defop
from flowexec.framework.tensor_shape import TensorShape, as_shape
from flowexec.ops import array_ops as _a
from flowexec.ops import shape_fns


# ----- EnsureShape ----------------------------------------------------------------------------
def _ensure_shape_infer(op):
    x = op.inputs[0]
    want = as_shape(op.attrs["shape"])
    if not x.shape.is_compatible_with(want):
        raise shape_fns.shape_error(op, f"Shape of tensor {x.name} {x.shape.proto_str()} is not "
                                        f"compatible with expected shape {want.proto_str()}")
    return [(x.dtype, x.shape.merge_with(want))]


def _dims(dims):
    return "[" + ",".join("?" if d is None else str(d) for d in dims) + "]"


@defop("EnsureShape", infer=_ensure_shape_infer)
def _ensure_shape(xp, input, *, shape):
    want = as_shape(shape)
    if not want.is_compatible_with(TensorShape(list(input.shape))):
        raise InvalidArgumentError(
            None, None, f"Shape of tensor {_dims(input.shape)} is not compatible with expected "
                        f"shape {_dims(want.as_list()) if want.ndims is not None else '?'}.")
    return input


@_ensure_shape.gradient
def _ensure_shape_grad(op, dy):
    return dy


def ensure_shape(x, shape, name=None):
    """`x`, checked at run time to have a shape compatible with `shape` (op EnsureShape);
    the static shape becomes the merge of the two.

    Args:
        x: a Tensor.
        shape: a TensorShape or list (None for unknown dimensions).
        name: op name.

    Raises:
        ValueError: the static shape of `x` is already incompatible.
        InvalidArgumentError: (at run time) the value's shape is incompatible.

    Example:
        >>> x = placeholder(float32)
        >>> y = ensure_shape(x, [None, 3])  # y.shape == [?, 3]; feeding [2, 4] fails
    """
    with name_scope(name, "EnsureShape", [x]) as scope:
        x = convert_to_tensor(x, name="input")
        return apply_op("EnsureShape", x, name=scope, shape=as_shape(shape))


# ----- BroadcastArgs --------------------------------------------------------------------------
def _broadcast_args_infer(op):
    s0, s1 = op.inputs
    shape_fns.check_same_dtype(op)
    shape_fns.check_dtype_in(op, (dtypes.int32, dtypes.int64))
    n0 = s0.shape.as_list()[0] if s0.shape.ndims == 1 else None
    n1 = s1.shape.as_list()[0] if s1.shape.ndims == 1 else None
    return [(s0.dtype, TensorShape([None if None in (n0, n1) else max(n0, n1)]))]


@defop("BroadcastArgs", infer=_broadcast_args_infer, fold_at_build=True)
def _broadcast_args(xp, s0, s1):
    a, b = [int(d) for d in s0.tolist()], [int(d) for d in s1.tolist()]
    n = max(len(a), len(b))
    a, b = [1] * (n - len(a)) + a, [1] * (n - len(b)) + b
    out = []
    for x, y in zip(a, b):
        if x != y and 1 not in (x, y):
            raise InvalidArgumentError(
                None, None, f"Incompatible shapes: [{','.join(map(str, s0.tolist()))}] vs. "
                            f"[{','.join(map(str, s1.tolist()))}]")
        out.append(y if x == 1 else x)
    return xp.asarray(out, dtype=s0.dtype)


_broadcast_args.not_differentiable()


def broadcast_dynamic_shape(shape_x, shape_y):
    """The broadcast of two shape vectors (op type BroadcastArgs).

    Example:
        >>> broadcast_dynamic_shape([1, 2, 3], [5, 1, 3])  # [5, 2, 3]
    """
    with name_scope(None, "BroadcastArgs", [shape_x, shape_y]) as scope:
        sx = convert_to_tensor(shape_x, name="s0", preferred_dtype=dtypes.int32)
        sy = convert_to_tensor(shape_y, name="s1", dtype=sx.dtype)
        return apply_op("BroadcastArgs", sx, sy, name=scope)


def broadcast_static_shape(shape_x, shape_y):
    """The broadcast of two TensorShapes, at build time (unknown dimensions stay unknown).

    Raises:
        ValueError: the shapes cannot be broadcast.

    Example:
        >>> broadcast_static_shape(TensorShape([1, 2, 3]), TensorShape([5, 1, 3]))  # [5,2,3]
    """
    a, b = as_shape(shape_x), as_shape(shape_y)
    return shape_fns.broadcast_static(a, b, lambda x, y: ValueError(
        f"Incompatible shapes for broadcasting. Two shapes are compatible if for each "
        f"dimension pair they are either equal or one of them is 1. Received: {a} and {b}."))


def shape_n(input, out_type=dtypes.int32, name=None):
    """The shapes of several tensors, one 1-D tensor each (TF's ShapeN).

    Example:
        >>> shape_n([constant([1, 2]), constant([[1.0]])])  # [[2], [1, 1]]
    """
    with name_scope(name, "ShapeN", list(input)):
        return [_a.shape(t, out_type=out_type) for t in input]


# ----- Bitcast --------------------------------------------------------------------------------
def _bitcast_infer(op):
    x = op.inputs[0]
    to = op.attrs["type"]
    shape_fns.check_dtype_in(op, shape_fns.NUMERIC)
    if to not in shape_fns.NUMERIC:
        raise TypeError(f"Value passed to parameter 'type' has DataType {to.name} not in list "
                        f"of allowed values: " + ", ".join(d.name for d in shape_fns.NUMERIC))
    src, dst = x.dtype.size, to.size
    s = x.shape
    if s.ndims is None:
        return [(to, s)]
    dims = s.as_list()
    if src == dst:
        return [(to, s)]
    if src > dst:
        return [(to, TensorShape(dims + [src // dst]))]
    if not dims or (dims[-1] is not None and dims[-1] != dst // src):
        raise shape_fns.shape_error(
            op, f"Cannot bitcast from {x.dtype.name} to {to.name}: shape {s.proto_str()}")
    return [(to, TensorShape(dims[:-1]))]


@defop("Bitcast", infer=_bitcast_infer)
def _bitcast(xp, input, *, type):
    src, dst = input.dtype.itemsize, xp.dtype(type.np).itemsize
    x = xp.ascontiguousarray(input)
    if src == dst:
        return x.view(type.np)
    if src > dst:
        return x.reshape(x.shape + (1,)).view(type.np).reshape(x.shape + (src // dst,))
    if not x.ndim or x.shape[-1] != dst // src:
        raise InvalidArgumentError(None, None, f"Cannot bitcast from {input.dtype} to "
                                               f"{xp.dtype(type.np)}: shape {list(x.shape)}")
    return x.view(type.np).reshape(x.shape[:-1])


_bitcast.not_differentiable()


def bitcast(input, type, name=None):
    """The same bytes read as another dtype, without copying values (op type Bitcast).

    A wider input type adds a last dimension of size (input size / type size); a narrower
    one needs that last dimension and removes it.

    Example:
        >>> bitcast(constant([1.0], dtype=float32), int32)  # [1065353216]
    """
    with name_scope(name, "Bitcast", [input]) as scope:
        x = convert_to_tensor(input, name="input")
        return apply_op("Bitcast", x, name=scope, type=dtypes.as_dtype(type))


# ----- IdentityN, GuaranteeConst --------------------------------------------------------------
def _identity_n_infer(op):
    return [(t.dtype, t.shape) for t in op.inputs]


@defop("IdentityN", infer=_identity_n_infer)
def _identity_n(xp, *input):
    return tuple(input)


@_identity_n.gradient
def _identity_n_grad(op, *dys):
    return list(dys)


def identity_n(input, name=None):
    """The tensors of the list `input`, passed through one op (op type IdentityN); the
    gradients pass through too.

    Example:
        >>> a, b = identity_n([constant(1), constant([2.0])])
    """
    with name_scope(name, "IdentityN", list(input)) as scope:
        xs = [convert_to_tensor(t) for t in input]
        out = apply_op("IdentityN", *xs, name=scope)
        return [out] if len(xs) == 1 else list(out)


@defop("GuaranteeConst", infer=shape_fns.unchanged)
def _guarantee_const(xp, input):
    return input


_guarantee_const.not_differentiable()


def guarantee_const(input, name=None):
    """`input`, with the promise that its value does not change between runs (op type
    GuaranteeConst); no gradient flows through it.
    """
    with name_scope(name, "GuaranteeConst", [input]) as scope:
        x = convert_to_tensor(input, name="input")
        return apply_op("GuaranteeConst", x, name=scope)


def parallel_stack(values, name="parallel_stack"):
    """Stacks tensors of one fully known shape along a new first axis, like `stack`.

    Raises:
        ValueError: a shape is not fully defined or the shapes differ (TF's ParallelConcat
            needs them known when the graph is built).

    Example:
        >>> parallel_stack([constant([1, 4]), constant([2, 5])])  # [[1, 4], [2, 5]]
    """
    with name_scope(name, "parallel_stack", list(values)):
        values = [convert_to_tensor(v) for v in values]
        first = values[0].shape
        for v in values:
            if not v.shape.is_fully_defined() or v.shape != first:
                raise ValueError(f"parallel_stack needs inputs of one fully defined shape; got "
                                 f"{[str(t.shape) for t in values]}")
        return _a.stack(values, axis=0)


__all__ = ["bitcast", "broadcast_dynamic_shape", "broadcast_static_shape", "ensure_shape",
           "guarantee_const", "identity_n", "parallel_stack", "shape_n"]
