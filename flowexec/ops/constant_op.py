"""Graph inputs and plumbing: Const, Placeholder, PlaceholderWithDefault, Identity, NoOp,
StopGradient, and the public `constant`, `placeholder`, `identity`, `no_op`, `group`,
`stop_gradient`.

Const turns a Python or numpy value into a graph constant with TF1's dtype rules: Python
ints are int32 (int64 when they do not fit), floats float32, bools bool, numpy arrays keep
their dtype.
"""

import numpy as np

from flowexec.framework import dtypes
from flowexec.framework import graph as graph_mod
from flowexec.framework.convert import _set_constant_fn, convert_to_tensor
from flowexec.framework.registry import apply_op, defop
from flowexec.framework.tensor_shape import TensorShape, as_shape
from flowexec.ops import shape_fns


# ----- Const ---------------------------------------------------------------------------------
def _const_infer(op):
    v = op.attrs["value"]
    return [(op.attrs["dtype"], TensorShape(v.shape))]


@defop("Const", infer=_const_infer)
def _const(xp, *, value):
    return value


_const.not_differentiable()
shape_fns.register_constant_value("Const", lambda op: op.attrs["value"])


def _infer_dtype(value):
    """TF1's dtype for a Python/numpy value that carries no explicit dtype."""
    if isinstance(value, (np.ndarray, np.generic)):
        return dtypes.from_numpy(value.dtype)
    arr = np.asarray(value)
    kind = arr.dtype.kind
    if kind == "b":
        return dtypes.bool
    if kind in "iu":
        if arr.size and (arr.max() > np.iinfo(np.int32).max or arr.min() < np.iinfo(np.int32).min):
            return dtypes.int64
        return dtypes.int32
    if kind == "f":
        return dtypes.float32
    if kind == "c":
        return dtypes.complex128
    if kind in "SUO":
        return dtypes.string
    raise TypeError(f"Failed to convert object of type {type(value)} to Tensor. Contents: "
                    f"{value!r}. Consider casting elements to a supported type.")


def _to_numpy(value, dtype):
    """`value` as a numpy array of `dtype`, refusing lossy conversions as TF does."""
    if dtype is None:
        dtype = _infer_dtype(value)
    else:
        dtype = dtypes.as_dtype(dtype)
    if dtype is dtypes.string:
        return np.asarray(value, dtype=object), dtype
    src = np.asarray(value)
    if src.dtype.kind == "O" or src.dtype.kind in "SU":
        raise TypeError(f"Expected {dtype.name}, got {value!r} of type "
                        f"'{type(value).__name__}' instead.")
    arr = src.astype(dtype.np)
    if src.size and not isinstance(value, (np.ndarray, np.generic)):
        # Python literals: 2.5 is no int32, 300 is no int8.
        if src.dtype.kind in "fc" and dtype.is_integer and not np.array_equal(arr, src):
            raise TypeError(f"Expected {dtype.name}, got {value!r} of type "
                            f"'{type(value).__name__}' instead.")
        if src.dtype.kind in "iu" and dtype.is_integer and not np.array_equal(arr, src):
            raise TypeError(f"Value {value!r} out of range for {dtype.name}.")
        if src.dtype.kind == "c" and not dtype.is_complex:
            raise TypeError(f"Expected {dtype.name}, got {value!r} of type "
                            f"'{type(value).__name__}' instead.")
    return arr, dtype


def constant(value, dtype=None, shape=None, name="Const", verify_shape=False):
    """Creates a constant tensor.

    Args:
        value: a Python scalar, nested list, or numpy array.
        dtype: element type; inferred from `value` when None (ints → int32, floats → float32).
        shape: optional shape; a scalar `value` is broadcast to it, otherwise the element
            count must match (TF1 semantics).
        name: op name.
        verify_shape: require `value`'s shape to equal `shape` exactly.

    Returns:
        A Tensor.

    Example:
        >>> a = constant([[1., 2.], [3., 4.]])
        >>> print(a)
        Tensor("Const:0", shape=(2, 2), dtype=float32)
    """
    arr, dtype = _to_numpy(value, dtype)
    if shape is not None:
        shape = as_shape(shape).as_list()
        if verify_shape and list(arr.shape) != shape:
            raise TypeError(f"Expected Tensor's shape: {tuple(shape)}, got {arr.shape}.")
        n = int(np.prod(shape))
        if arr.size == 1:
            arr = np.broadcast_to(arr.reshape(()), shape).copy()
        elif arr.size == n:
            arr = arr.reshape(shape)
        else:
            raise TypeError(f"Expected Tensor's shape: {tuple(shape)}, got {arr.shape}." if
                            verify_shape else
                            f"Too many elements provided. Needed at most {n}, but received "
                            f"{arr.size}" if arr.size > n else
                            f"Expected {n} elements for shape {tuple(shape)}, got {arr.size}.")
    arr.setflags(write=False)
    return apply_op("Const", name=name, value=arr, dtype=dtype)


_set_constant_fn(lambda value, dtype=None, name="Const": constant(value, dtype=dtype, name=name))


# ----- Placeholder ---------------------------------------------------------------------------
def _placeholder_infer(op):
    return [(op.attrs["dtype"], op.attrs["shape"])]


@defop("Placeholder", infer=_placeholder_infer, stateful=True)
def _placeholder(xp, *, dtype, shape):
    # The executor never runs this kernel: a placeholder that is not fed fails at plan time.
    raise AssertionError("Placeholder kernel executed; the plan should have required a feed")


_placeholder.not_differentiable()


def placeholder(dtype, shape=None, name=None):
    """A tensor that must be fed a value in `Session.run(..., feed_dict=...)`.

    Args:
        dtype: element type.
        shape: the shape fed values must have; None accepts any shape, None dims any size.
        name: op name (default "Placeholder").

    Example:
        >>> x = placeholder(float32, shape=[None, 3])
        >>> Session().run(x * 2, {x: [[1, 2, 3]]})
        array([[2., 4., 6.]], dtype=float32)
    """
    return apply_op("Placeholder", name=name or "Placeholder",
                    dtype=dtypes.as_dtype(dtype), shape=as_shape(shape))


def _pwd_infer(op):
    x = op.inputs[0]
    shape = op.attrs["shape"]
    if not x.shape.is_compatible_with(shape):
        raise shape_fns.shape_error(
            op, f"Shapes {x.shape} and {shape} are incompatible")
    return [(x.dtype, shape)]


@defop("PlaceholderWithDefault", infer=_pwd_infer)
def _placeholder_with_default(xp, input, *, shape):
    return input


@_placeholder_with_default.gradient
def _pwd_grad(op, dy):
    return [dy]


def placeholder_with_default(input, shape, name=None):
    """A placeholder that yields `input` when nothing is fed."""
    input = convert_to_tensor(input)
    return apply_op("PlaceholderWithDefault", input, name=name or "PlaceholderWithDefault",
                    shape=as_shape(shape))


# ----- Identity, NoOp, StopGradient ----------------------------------------------------------
@defop("Identity", infer=shape_fns.unchanged)
def _identity(xp, input):
    return input


@_identity.gradient
def _identity_grad(op, dy):
    return [dy]


def identity(input, name=None):
    """Returns a tensor with the same value as `input` (a new node in the graph)."""
    input = convert_to_tensor(input)
    return apply_op("Identity", input, name=name or "Identity")


@defop("StopGradient", infer=shape_fns.unchanged)
def _stop_gradient(xp, input):
    return input


_stop_gradient.not_differentiable()


def stop_gradient(input, name=None):
    """Identity in the forward pass; gradients() treats its output as a constant."""
    input = convert_to_tensor(input)
    return apply_op("StopGradient", input, name=name or "StopGradient")


@defop("NoOp", infer=lambda op: [])
def _no_op(xp):
    return ()


_no_op.not_differentiable()


def no_op(name=None):
    """An op that does nothing; useful as a control-dependency anchor."""
    return apply_op("NoOp", name=name or "NoOp")


def group(*inputs, name=None):
    """An op that runs after all of `inputs` (ops or tensors, possibly nested) and outputs
    nothing."""
    flat = []
    stack = list(inputs)[::-1]
    while stack:
        x = stack.pop()
        if isinstance(x, (list, tuple)):
            stack.extend(reversed(x))
        elif isinstance(x, dict):
            stack.extend(reversed(list(x.values())))
        elif x is not None:
            flat.append(x)
    ops = []
    for x in flat:
        if hasattr(x, "_as_graph_element") and not hasattr(x, "op"):
            x = x._as_graph_element()
        op = x.op if hasattr(x, "value_index") else x
        if op not in ops:
            ops.append(op)
    graph = ops[0].graph if ops else graph_mod.get_default_graph()
    with graph.as_default(), graph.control_dependencies(ops):
        return no_op(name=name or "group_deps")


def tuple_(tensors, name=None, control_inputs=None):
    """`tf.tuple`: identities of `tensors` that are available only after all have run."""
    gate = group(*[t for t in tensors if t is not None], *(control_inputs or []),
                 name=name or "tuple")
    out = []
    graph = gate.graph
    for t in tensors:
        if t is None:
            out.append(None)
            continue
        with graph.as_default(), graph.control_dependencies([gate]):
            out.append(identity(t))
    return out
