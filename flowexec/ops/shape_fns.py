"""Shared shape/dtype inference for op definitions, and static constant values.

Messages follow TensorFlow's, naming the op and the input shapes, e.g.
"Dimensions must be equal, but are 3 and 4 for 'add' (op: 'Add') with input shapes: [2,3], [4]."
"""

import numpy as np

from flowexec.framework import dtypes, errors
from flowexec.framework.tensor_shape import TensorShape, as_shape

MAX_FOLDED_ELEMENTS = 1 << 16  # the largest value (and input) computed at build time


def shapes_str(op):
    return ", ".join(t.shape.proto_str() for t in op.inputs)


def shape_error(op, detail):
    """ValueError in TF's format: "<detail> for '<name>' (op: '<type>') with input shapes: ..."."""
    return ValueError(f"{detail} for '{op.name}' (op: '{op.type}') with input shapes: "
                      f"{shapes_str(op)}.")


def check_same_dtype(op, names=None):
    """All inputs share the first input's dtype; TypeError in TF's words otherwise."""
    names = names or op.op_def.input_names
    first = op.inputs[0].dtype
    for i, t in enumerate(op.inputs[1:], 1):
        if t.dtype is not first:
            arg = names[i] if i < len(names) and not op.op_def.list_input else names[-1]
            first_arg = names[0]
            raise TypeError(
                f"Input '{arg}' of '{op.type}' Op has type {t.dtype.name} that does not match "
                f"type {first.name} of argument '{first_arg}'.")
    return first


def check_dtype_in(op, allowed, index=0):
    t = op.inputs[index]
    if t.dtype not in allowed:
        name = op.op_def.input_names[min(index, len(op.op_def.input_names) - 1)]
        allowed_s = ", ".join(d.name for d in allowed)
        raise TypeError(
            f"Value passed to parameter '{name}' has DataType {t.dtype.name} not in list of "
            f"allowed values: {allowed_s}")
    return t.dtype


FLOATS = (dtypes.bfloat16, dtypes.float16, dtypes.float32, dtypes.float64)  # TF lists bfloat16 first
NUMERIC = FLOATS + (dtypes.int8, dtypes.int16, dtypes.int32, dtypes.int64, dtypes.uint8,
                    dtypes.uint16, dtypes.uint32, dtypes.uint64, dtypes.complex64,
                    dtypes.complex128)
REAL = tuple(d for d in NUMERIC if not d.is_complex)
INTEGERS = tuple(d for d in NUMERIC if d.is_integer)


def broadcast_static(a, b, mismatch):
    """Numpy broadcasting of two TensorShapes at build time (unknown dims stay unknown).

    `mismatch(x, y)` builds the exception raised for two known, unequal dimensions neither of
    which is 1 (each caller words it as TF does at its place).
    """
    if a.ndims is None or b.ndims is None:
        return TensorShape(None)
    da, db = a.as_list()[::-1], b.as_list()[::-1]
    out = []
    for i in range(max(len(da), len(db))):
        x = da[i] if i < len(da) else 1
        y = db[i] if i < len(db) else 1
        if x == 1:
            out.append(y)
        elif y == 1:
            out.append(x)
        elif x is None or y is None:
            out.append(x if y is None else y)
        elif x == y:
            out.append(x)
        else:
            raise mismatch(x, y)
    return TensorShape(out[::-1])


def broadcast_shapes(op, a, b):
    """Static numpy broadcasting of two TensorShapes for `op`'s shape function."""
    return broadcast_static(
        a, b, lambda x, y: shape_error(op, f"Dimensions must be equal, but are {x} and {y}"))


def unchanged(op):
    """One output with the first input's dtype and shape."""
    x = op.inputs[0]
    return [(x.dtype, x.shape)]


def unchanged_float(op):
    """Like `unchanged`, for ops defined on floating types only."""
    check_dtype_in(op, FLOATS + (dtypes.complex64, dtypes.complex128))
    return unchanged(op)


def unchanged_numeric(op):
    check_dtype_in(op, NUMERIC)
    return unchanged(op)


def broadcast_binary(op):
    """Two same-typed inputs broadcast together, e.g. Add, Mul."""
    dt = check_same_dtype(op)
    return [(dt, broadcast_shapes(op, op.inputs[0].shape, op.inputs[1].shape))]


def broadcast_compare(op):
    """Like broadcast_binary, but the output is bool (Less, Equal, ...)."""
    check_same_dtype(op)
    return [(dtypes.bool, broadcast_shapes(op, op.inputs[0].shape, op.inputs[1].shape))]


def constant_value(tensor):
    """The tensor's value when it is known at graph-build time, else None.

    Known are: a `constant` op's value (Const), a `static_value` op's value when the static
    shapes determine it (Shape, Size, Rank), and the value of a `fold_at_build` op (shape
    arithmetic) whose inputs are known, computed by its own kernel on numpy
    (`OpDef.evaluate`) while inputs and output stay within MAX_FOLDED_ELEMENTS. A kernel
    that rejects the values (an OpError, ValueError, IndexError or ArithmeticError) leaves
    the value unknown here; the run then reports the error, naming the op. `tensor` may be
    an IR Ref, which has no producer to read: its value is unknown.
    """
    op = getattr(tensor, "op", None)
    if op is None:
        return None
    op_def = op.op_def
    if op_def.constant is not None:
        return op_def.constant(op)
    if op_def.static_value is not None:
        return op_def.static_value(op)
    if not op_def.fold_at_build:
        return None
    size = tensor.shape.num_elements()
    if size is not None and size > MAX_FOLDED_ELEMENTS:
        return None
    inputs = []
    for t in op.inputs:
        v = constant_value(t)
        if v is None or np.size(v) > MAX_FOLDED_ELEMENTS:
            return None
        inputs.append(np.asarray(v))
    try:
        outputs = op_def.evaluate(op, inputs)
    except (errors.OpError, ValueError, IndexError, ArithmeticError):
        return None
    return np.asarray(outputs[tensor.value_index])


def constant_shape(tensor):
    """A TensorShape from a 1-D shape tensor whose value may be partially known."""
    v = constant_value(tensor)
    if v is not None:
        return TensorShape([None if d < 0 else int(d) for d in np.ravel(v)])
    rank = tensor.shape[0] if tensor.shape.ndims == 1 else None
    return TensorShape(None) if rank is None else TensorShape([None] * rank)


def normalize_axis(op, axis, ndims):
    """Maps a possibly negative axis into [0, ndims); ValueError in TF's words otherwise."""
    if ndims is None:
        return axis
    if not -ndims <= axis < max(ndims, 1):
        raise shape_error(op, f"Invalid reduction dimension {axis} for input with {ndims} "
                              "dimensions")
    return axis % ndims if ndims else 0


__all__ = ["as_shape"]
