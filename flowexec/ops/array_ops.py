"""array_ops: shape manipulation, slicing, gathering and tensor creation.

Op types (TensorFlow's names): Reshape, Transpose, InvertPermutation, ConcatV2, Pack, Unpack,
Split, SplitV, ExpandDims, Squeeze, Tile, Pad, PadV2, MirrorPad, MirrorPadGrad, Slice,
StridedSlice, StridedSliceGrad, GatherV2, GatherV2Grad, GatherNd, ScatterNd, OneHot, Fill,
ZerosLike, OnesLike, Shape, Size, Rank, Range, BroadcastTo, ReverseV2; `Tensor.__getitem__`
builds StridedSlice (or boolean_mask for a boolean index); `sequence_mask` is composite.

Static values: the shape-producing ops (Shape of a fully defined tensor, Size, Rank, Pack,
ConcatV2, StridedSlice, Fill, Range, Reshape, ExpandDims of constants) register how to compute
their value at build time (`fold_at_build`, `static_value`), so `reshape(x, tf.shape(y))`,
`zeros(tf.stack([2, n]))` or `tile(x, [2, 3])` get the most precise static shape available;
`_shape_dims` goes one step further and reads partially known shape vectors, e.g.
`tf.stack([tf.shape(x)[0], 3])` for an `x` of shape (?, 5) is `[?, 3]`.

Gradients of gathers, as TF's: GatherV2's with respect to `params` is an `IndexedSlices` at
axis 0 (so optimizers update only the gathered rows) and a dense scatter-add (GatherV2Grad)
at other axes; GatherNd's is dense (ScatterNd). GatherV2Grad, MirrorPadGrad and
StridedSliceGrad are the gradient kernels (the last two exist in TF too).

Kernels receive shape-like inputs (Reshape's `shape`, Tile's `multiples`, ...) as arrays and
read them with `.tolist()`, which works for numpy and cupy alike. Kernels may return views of
their inputs (reshape, transpose, slices): no kernel mutates an input.
"""

import builtins
import numbers

import numpy as np

from flowexec.framework import dtypes, errors
from flowexec.framework import graph as graph_mod
from flowexec.framework.convert import (
    convert_to_tensor,
    register_tensor_conversion_function,
)
from flowexec.framework.graph import name_scope
from flowexec.framework.indexed_slices import IndexedSlices
from flowexec.framework.node_def_form import NodeDefForm
from flowexec.framework.registry import CHEAP, EXPENSIVE, apply_op, defop
from flowexec.framework.tensor import Tensor, register_operator
from flowexec.framework.tensor_shape import TensorShape
from flowexec.ops import constant_op, shape_fns
from flowexec.ops.tensor_list_value import TensorListValue

# The public `range` and `slice` below shadow the builtins inside this module.
_pyrange = builtins.range
_pyslice = builtins.slice

INDEX_TYPES = (dtypes.int32, dtypes.int64)
_RANGE_TYPES = (dtypes.float16, dtypes.float32, dtypes.float64, dtypes.int8, dtypes.int16,
                dtypes.int32, dtypes.int64)
_ONE_HOT_INDEX_TYPES = (dtypes.uint8, dtypes.int32, dtypes.int64)
_SMALL_CONSTANT = 1000  # elements: TF1 makes zeros()/ones() a Const below this size

newaxis = None


# ----- helpers ---------------------------------------------------------------------------------
def _invalid(message):
    return errors.InvalidArgumentError(None, None, message)


def _dims_str(dims):
    return "[" + ",".join("?" if d is None else str(d) for d in dims) + "]"


def _outs(arrays):
    """A kernel's result: a bare array for one output, a tuple otherwise."""
    arrays = tuple(arrays)
    return arrays[0] if len(arrays) == 1 else arrays


def _split_at(value, cuts, axis):
    """The views `xp.split(value, cuts, axis)` gives, by slicing (np.split's Python layers
    cost ~20 µs a call: most of an LSTM step's split)."""
    head = (builtins.slice(None),) * axis
    bounds = [0, *cuts, value.shape[axis]]
    return [value[(*head, builtins.slice(lo, hi))] for lo, hi in zip(bounds, bounds[1:])]


def _as_list(result):
    """apply_op's result (Tensor, tuple, or Operation for no outputs) as a list."""
    if isinstance(result, Tensor):
        return [result]
    if isinstance(result, tuple):
        return list(result)
    return list(result.outputs)


def _prod(dims):
    n = 1
    for d in dims:
        n *= d
    return n


def _bit(mask, i):
    return bool((mask >> i) & 1)


def _graph_of(values):
    stack = list(values)
    while stack:
        v = stack.pop()
        if isinstance(v, (list, tuple)):
            stack.extend(v)
            continue
        g = getattr(v, "graph", None)
        if g is not None:
            return g
    return graph_mod.get_default_graph()


def _leaves(values):
    """The items of nested lists/tuples: `name_scope(..., values=)` finds the graph among them.

    TF1's idiom names each wrapper's op after its scope: `with name_scope(name, values=
    _leaves([x, shape])) as scope: ... return apply_op(..., name=scope)`; helper ops made
    inside (converted inputs, shape vectors) are `<op name>/...`.
    """
    found = []
    stack = list(values)[::-1]
    while stack:
        v = stack.pop()
        if isinstance(v, (list, tuple)):
            stack.extend(reversed(v))
        else:
            found.append(v)
    return found


def _is_tensor_like(value):
    return isinstance(value, Tensor) or hasattr(value, "_as_graph_element")


def _contains_tensor(value):
    if isinstance(value, Tensor):
        return True
    if isinstance(value, (list, tuple)):
        return any(_contains_tensor(v) for v in value)
    return False


def _nested_tensors(value):
    found = []
    stack = [value]
    while stack:
        v = stack.pop()
        if isinstance(v, Tensor):
            found.append(v)
        elif isinstance(v, (list, tuple)):
            stack.extend(reversed(v))
    return found


def _autopack(value, name, dtype=None):
    """A (nested) list that holds Tensors, packed into one Tensor (TF's autopacking): Python
    elements become constants of the first Tensor's dtype (or `dtype`)."""
    tensors = _nested_tensors(value)
    dtype = tensors[0].dtype if dtype is None else dtypes.as_dtype(dtype)
    for t in tensors:  # checked before any op is made, so a failed attempt leaves none
        if t.dtype is not dtype:
            raise TypeError(f"Cannot convert a list containing a tensor of dtype "
                            f"{t.dtype.name} to {dtype.name} (Tensor is: {t!r})")
    with name_scope(name, values=_leaves(tensors)) as scope:
        elems = []
        for i, v in enumerate(value):
            if isinstance(v, Tensor):
                elems.append(v)
            elif isinstance(v, (list, tuple)) and _contains_tensor(v):
                elems.append(_autopack(v, str(i), dtype))
            else:
                elems.append(convert_to_tensor(v, dtype=dtype, name=str(i)))
        return apply_op("Pack", *elems, name=scope, axis=0)


def _autopacking_conversion(value, dtype=None, name=None, as_ref=False):
    """convert_to_tensor of a list or tuple: a Pack when it holds Tensors, else the default
    conversion (returning NotImplemented passes to it)."""
    if as_ref or not _contains_tensor(value):
        return NotImplemented
    return _autopack(value, name or "packed", dtype)


register_tensor_conversion_function((list, tuple), _autopacking_conversion, 99)


def _int_tensor(value, name):
    """A shape-like argument (list, tuple, TensorShape, numpy array or Tensor) as a Tensor.

    Python values become int32 (int64 when they do not fit); an empty list is int32.
    """
    if isinstance(value, TensorShape):
        if not value.is_fully_defined():
            raise ValueError(f"Cannot convert a partially known TensorShape to a Tensor: "
                             f"{value}")
        value = value.as_list()
    if isinstance(value, Tensor):
        return value
    if isinstance(value, (list, tuple)) and _contains_tensor(value):
        return convert_to_tensor(value, name=name)
    if isinstance(value, (list, tuple, np.ndarray)) and np.size(value) == 0:
        return convert_to_tensor(np.zeros(np.shape(value), np.int32), name=name)
    return convert_to_tensor(value, name=name)


def _value_dtype(value):
    """The dtype `value` converts to without a requested dtype (TF1: ints are int32 unless
    too large, floats float32)."""
    if isinstance(value, Tensor) or hasattr(value, "_as_graph_element"):
        return dtypes.as_dtype(value.dtype)
    if isinstance(value, (np.ndarray, np.generic)):
        return dtypes.as_dtype(value.dtype)
    arr = np.asarray(value)
    kind = arr.dtype.kind
    if kind in "iu":
        info = np.iinfo(np.int32)
        if arr.size and (arr.max() > info.max or arr.min() < info.min):
            return dtypes.int64
        return dtypes.int32
    return {"b": dtypes.bool, "f": dtypes.float32, "c": dtypes.complex128}.get(
        kind, dtypes.string)


def _const(value, dtype, name="Const"):
    return constant_op.constant(np.asarray(value, dtype=dtype.np), name=name)


def _shape_tensor(x, out_type=dtypes.int32):
    """Shape of `x` as a Tensor: a Const when static, else a Shape op."""
    if x.shape.is_fully_defined():
        return _const(x.shape.as_list(), out_type, name="Shape")
    return apply_op("Shape", x, name="Shape", out_type=out_type)


def _scalar_value(t):
    """A scalar int tensor's static value, or None."""
    v = shape_fns.constant_value(t)
    if v is not None:
        return int(v) if np.ndim(v) == 0 else None
    op = t.op
    if op.type == "StridedSlice" and op.attrs["shrink_axis_mask"] == 1:
        dims = _shape_dims(op.inputs[0])
        b = shape_fns.constant_value(op.inputs[1])
        if dims is not None and b is not None and np.size(b) == 1 and not (
                op.attrs["ellipsis_mask"] or op.attrs["new_axis_mask"]):
            i = int(np.ravel(b)[0])
            if -len(dims) <= i < len(dims):
                return dims[i]
    return None


def _shape_dims(t):
    """What is known of a 1-D int tensor's value: a list of ints (None where unknown), or
    None when even its length is unknown. Reads constants, Shape ops of partially known
    tensors, Pack/ConcatV2 of those, and slices of shape vectors."""
    v = shape_fns.constant_value(t)
    if v is not None:
        v = np.asarray(v)
        return [int(d) for d in v] if v.ndim == 1 else None
    op = t.op
    if op.type == "Shape":
        s = op.inputs[0].shape
        return None if s.ndims is None else s.as_list()
    if op.type == "Pack" and op.attrs["axis"] == 0 and all(
            x.shape.ndims == 0 for x in op.inputs):
        return [_scalar_value(x) for x in op.inputs]
    if op.type == "ConcatV2" and shape_fns.constant_value(op.inputs[-1]) in (0, -1):
        parts = [_shape_dims(x) for x in op.inputs[:-1]]
        if all(p is not None for p in parts):
            return [d for p in parts for d in p]
    if op.type == "StridedSlice" and not op.attrs["shrink_axis_mask"]:
        dims = _shape_dims(op.inputs[0])
        bes = [shape_fns.constant_value(x) for x in op.inputs[1:4]]
        if dims is not None and all(x is not None and np.size(x) == 1 for x in bes) and not (
                op.attrs["ellipsis_mask"] or op.attrs["new_axis_mask"]):
            b, e, s = (int(np.ravel(x)[0]) for x in bes)
            if s != 0:
                b = None if op.attrs["begin_mask"] & 1 else b
                e = None if op.attrs["end_mask"] & 1 else e
                return dims[_pyslice(b, e, s)]
    if t.shape.ndims == 1 and t.shape[0] is not None:
        return [None] * t.shape[0]
    return None


def _shape_from_dims(dims):
    """A TensorShape from `_shape_dims` output (negative entries are unknown)."""
    if dims is None:
        return TensorShape(None)
    return TensorShape([None if d is None or d < 0 else d for d in dims])


def _check_index_dtype(op, index, allowed=INDEX_TYPES):
    return shape_fns.check_dtype_in(op, allowed, index)


def _check_rank(op, t, rank):
    n = t.shape.ndims
    if n is not None and n != rank:
        raise shape_fns.shape_error(op, f"Shape must be rank {rank} but is rank {n}")


def _check_list_dtypes(op, tensors, arg="values"):
    dts = [t.dtype for t in tensors]
    if any(d is not dts[0] for d in dts):
        names = ", ".join(d.name for d in dts)
        raise TypeError(f"Tensors in list passed to '{arg}' of '{op.type}' Op have types "
                        f"[{names}] that don't all match.")
    return dts[0]


def _check_same(op, t, ref, arg, ref_arg):
    if t.dtype is not ref.dtype:
        raise TypeError(f"Input '{arg}' of '{op.type}' Op has type {t.dtype.name} that does "
                        f"not match type {ref.dtype.name} of argument '{ref_arg}'.")


def _math():
    from flowexec.ops import math_ops

    return math_ops


def _values(op, limit=shape_fns.MAX_FOLDED_ELEMENTS):
    """Static values of all inputs, or None when one is unknown or too large to fold."""
    vals = []
    for t in op.inputs:
        v = shape_fns.constant_value(t)
        if v is None or np.size(v) > limit:
            return None
        vals.append(np.asarray(v))
    return vals


# ----- Reshape ---------------------------------------------------------------------------------
def _reshape_infer(op):
    x, shape = op.inputs
    _check_index_dtype(op, 1)
    _check_rank(op, shape, 1)
    dims = _shape_dims(shape)
    if dims is None:
        return [(x.dtype, TensorShape(None))]
    neg = [i for i, d in enumerate(dims) if d is not None and d < 0]
    for i in neg:
        if dims[i] != -1:
            raise shape_fns.shape_error(op, f"Size {i} must be non-negative, not {dims[i]}")
    if len(neg) > 1:
        raise shape_fns.shape_error(
            op, f"Only one input size may be -1, not both {neg[0]} and {neg[1]}")
    n_in = x.shape.num_elements()
    known = [d for d in dims if d is not None and d >= 0]
    all_known = len(known) + len(neg) == len(dims)
    out = list(dims)
    if n_in is not None and all_known:
        product = _prod(known)
        if neg:
            if product and n_in % product:
                raise shape_fns.shape_error(
                    op, f"Dimension size must be evenly divisible by {product} but is {n_in}")
            out[neg[0]] = n_in // product if product else None
        elif product != n_in:
            raise shape_fns.shape_error(
                op, f"Cannot reshape a tensor with {n_in} elements to shape {_dims_str(dims)} "
                    f"({product} elements)")
    return [(x.dtype, _shape_from_dims(out))]


@defop("Reshape", infer=_reshape_infer, cost=CHEAP, fold_at_build=True)
def _reshape(xp, tensor, shape):
    if shape.ndim != 1:
        raise _invalid(f"sizes input must be 1-D, not {_dims_str(shape.shape)}")
    dims = shape.tolist()
    n = tensor.size
    unknown = -1
    product = 1
    for i, d in enumerate(dims):
        if d == -1:
            if unknown >= 0:
                raise _invalid(f"Only one input size may be -1, not both {unknown} and {i}")
            unknown = i
        elif d < 0:
            raise _invalid(f"Size {i} must be non-negative, not {d}")
        else:
            product *= d
    if unknown >= 0:
        if product == 0:
            raise _invalid("Reshape cannot infer the missing input size for an empty tensor "
                           "unless all specified input sizes are non-zero")
        if n % product:
            raise _invalid(f"Input to reshape is a tensor with {n} values, but the requested "
                           f"shape requires a multiple of {product}")
    elif product != n:
        raise _invalid(f"Input to reshape is a tensor with {n} values, but the requested shape "
                       f"has {product}")
    return xp.reshape(tensor, dims)


@_reshape.gradient
def _reshape_grad(op, dy):
    return [_reshape_to(dy, op.inputs[0]), None]


def _reshape_to(t, like):
    """`t` reshaped to the (static or run-time) shape of `like`."""
    return apply_op("Reshape", t, _shape_tensor(like), name="Reshape")


def reshape(tensor, shape, name=None):
    """Reshapes a tensor; one dimension of `shape` may be -1 and is then inferred.

    Args:
        tensor: a Tensor (or value convertible to one).
        shape: the new shape: a list of ints (and scalar int Tensors), or an int32/int64
            Tensor. Its product must equal the number of elements of `tensor`.
        name: op name (default "Reshape").

    Returns:
        A Tensor with the values of `tensor` in the new shape.

    Raises:
        ValueError: at build time, when the static element counts disagree.
        InvalidArgumentError: at run time, e.g. "Input to reshape is a tensor with 6 values,
            but the requested shape has 4".

    Example:
        >>> reshape(constant([1, 2, 3, 4, 5, 6]), [2, -1])  # [[1, 2, 3], [4, 5, 6]]
    """
    name = name or "Reshape"
    with name_scope(name, values=_leaves([tensor, shape])) as scope:
        tensor = convert_to_tensor(tensor, name="tensor")
        shape = _int_tensor(shape, "shape")
        return apply_op("Reshape", tensor, shape, name=scope)


# ----- Transpose, InvertPermutation ------------------------------------------------------------
def _perm_values(op, perm, n):
    if sorted(perm) != list(_pyrange(n)):
        for d in perm:
            if not 0 <= d < n:
                raise shape_fns.shape_error(op, f"{d} is out of range [0 .. {n})")
        raise shape_fns.shape_error(op, f"perm {list(perm)} is not a permutation of "
                                        f"[0 .. {n})")


def _transpose_infer(op):
    x, perm = op.inputs
    _check_index_dtype(op, 1)
    _check_rank(op, perm, 1)
    n = x.shape.ndims
    if n is None:
        n = perm.shape[0] if perm.shape.ndims == 1 else None
        return [(x.dtype, TensorShape(None if n is None else [None] * n))]
    if perm.shape.ndims == 1 and perm.shape[0] is not None and perm.shape[0] != n:
        raise shape_fns.shape_error(
            op, f"transpose expects a vector of size {n}. But input(1) is a vector of size "
                f"{perm.shape[0]}")
    p = shape_fns.constant_value(perm)
    if p is None:
        return [(x.dtype, TensorShape([None] * n))]
    p = [int(d) for d in np.ravel(p)]
    _perm_values(op, p, n)
    dims = x.shape.as_list()
    return [(x.dtype, TensorShape([dims[d] for d in p]))]


@defop("Transpose", infer=_transpose_infer, cost=CHEAP)
def _transpose(xp, x, perm):
    p = perm.tolist()
    if len(p) != x.ndim:
        raise _invalid(f"transpose expects a vector of size {x.ndim}. But input(1) is a vector "
                       f"of size {len(p)}")
    if sorted(p) != list(_pyrange(x.ndim)):
        raise _invalid(f"perm {p} is not a permutation of [0 .. {x.ndim})")
    return xp.transpose(x, p)


@_transpose.gradient
def _transpose_grad(op, dy):
    perm = op.inputs[1]
    p = shape_fns.constant_value(perm)
    if p is not None:
        inv = _const(np.argsort(np.ravel(p)), perm.dtype, name="inverse_perm")
    else:
        inv = apply_op("InvertPermutation", perm, name="InvertPermutation")
    return [apply_op("Transpose", dy, inv, name="transpose"), None]


def _invert_permutation_infer(op):
    x = op.inputs[0]
    _check_index_dtype(op, 0)
    _check_rank(op, x, 1)
    return [(x.dtype, TensorShape([x.shape[0]]) if x.shape.ndims == 1 else TensorShape([None]))]


@defop("InvertPermutation", infer=_invert_permutation_infer, cost=CHEAP, fold_at_build=True)
def _invert_permutation(xp, x):
    if x.ndim != 1:
        raise _invalid(f"invert_permutation expects a 1D vector, got {_dims_str(x.shape)}")
    values = x.tolist()
    n = len(values)
    seen = set()
    for d in values:
        if not 0 <= d < n:
            raise _invalid(f"{d} is not between 0 and {n}")
        if d in seen:
            raise _invalid(f"{d} is duplicated in the input.")
        seen.add(d)
    out = xp.empty_like(x)
    out[x] = xp.arange(n, dtype=x.dtype)
    return out


_invert_permutation.not_differentiable()
def invert_permutation(x, name=None):
    """The inverse of a permutation vector: `y[x[i]] = i`.

    Example:
        >>> invert_permutation([3, 4, 0, 2, 1])  # [2, 4, 3, 0, 1]
    """
    name = name or "InvertPermutation"
    with name_scope(name, values=_leaves([x])) as scope:
        x = _int_tensor(x, "x")
        return apply_op("InvertPermutation", x, name=scope)


def transpose(a, perm=None, name="transpose", conjugate=False):
    """Permutes the dimensions of `a`: output dimension i is input dimension `perm[i]`.

    Args:
        a: a Tensor.
        perm: a permutation of `[0, rank)`; default: reversed dimensions (matrix transpose).
        name: op name.
        conjugate: also take the complex conjugate (requires math_ops' Conj for complex a).

    Example:
        >>> transpose(constant([[1, 2, 3], [4, 5, 6]]))  # [[1, 4], [2, 5], [3, 6]]
    """
    name = name or "transpose"
    with name_scope(name, values=_leaves([a, perm])) as scope:
        a = convert_to_tensor(a, name="a")
        if perm is None:
            n = a.shape.ndims
            if n is not None:
                perm = _const(np.arange(n - 1, -1, -1), dtypes.int32, name="perm")
            else:
                rank_t = apply_op("Rank", a, name="Rank")
                seq = apply_op("Range", _const(0, dtypes.int32, name="start"), rank_t,
                               _const(1, dtypes.int32, name="delta"), name="Range")
                perm = apply_op("ReverseV2", seq, _const([0], dtypes.int32, name="axis"),
                                name="perm")
        else:
            perm = _int_tensor(perm, "perm")
        if conjugate and a.dtype.is_complex:
            a = _math().conj(a)
        return apply_op("Transpose", a, perm, name=scope)


# ----- ConcatV2 --------------------------------------------------------------------------------
def _concat_infer(op):
    *values, axis = op.inputs
    if axis.dtype not in INDEX_TYPES:
        raise TypeError(f"Value passed to parameter 'axis' has DataType {axis.dtype.name} not "
                        "in list of allowed values: int32, int64")
    _check_rank(op, axis, 0)
    dtype = _check_list_dtypes(op, values)
    rank = None
    for v in values:
        r = v.shape.ndims
        if r is None:
            continue
        if rank is None:
            rank = r
        elif r != rank:
            raise shape_fns.shape_error(op, f"Shape must be rank {rank} but is rank {r}")
    if rank is None:
        return [(dtype, TensorShape(None))]
    if rank == 0:
        raise shape_fns.shape_error(op, "Can't concatenate scalars (use tf.stack instead)")
    a = _scalar_value(axis)
    if a is None:
        return [(dtype, TensorShape([None] * rank))]
    if not -rank <= a < rank:
        raise shape_fns.shape_error(
            op, f"ConcatOp : Expected concatenating dimensions in the range [{-rank}, {rank}), "
                f"but got {a}")
    a %= rank
    out = [None] * rank
    total = 0
    first = None
    for v in values:
        if v.shape.ndims is None:
            total = None
            continue
        dims = v.shape.as_list()
        total = None if total is None or dims[a] is None else total + dims[a]
        for j, d in enumerate(dims):
            if j == a or d is None:
                continue
            if out[j] is None:
                out[j] = d
                first = v if first is None else first
            elif out[j] != d:
                raise shape_fns.shape_error(
                    op, f"Dimension {j} in both shapes must be equal, but are {out[j]} and {d}. "
                        f"Shapes are {first.shape.proto_str()} and {v.shape.proto_str()}.")
    out[a] = total
    return [(dtype, TensorShape(out))]


@defop("ConcatV2", infer=_concat_infer, cost=CHEAP, fold_at_build=True)
def _concat_v2(xp, *values):
    """Inputs: the N values, then the scalar axis (TF's ConcatV2 input order)."""
    *vals, axis = values
    a = int(axis.tolist())
    rank = vals[0].ndim
    if rank == 0:
        raise _invalid("ConcatOp : Can't concatenate scalars (use tf.stack instead)")
    if not -rank <= a < rank:
        raise _invalid(f"ConcatOp : Expected concatenating dimensions in the range [{-rank}, "
                       f"{rank}), but got {a}")
    a %= rank
    s0 = vals[0].shape
    for i, v in enumerate(vals[1:], 1):
        if v.ndim != rank:
            raise _invalid(f"ConcatOp : Ranks of all input tensors should match: shape[0] = "
                           f"{_dims_str(s0)} vs. shape[{i}] = {_dims_str(v.shape)}")
        if any(d != e for j, (d, e) in enumerate(zip(s0, v.shape)) if j != a):
            raise _invalid(f"ConcatOp : Dimensions of inputs should match: shape[0] = "
                           f"{_dims_str(s0)} vs. shape[{i}] = {_dims_str(v.shape)}")
    return xp.concatenate(vals, axis=a)


@_concat_v2.gradient
def _concat_grad(op, dy):
    *values, axis = op.inputs
    if len(values) == 1:
        return [dy, None]
    a = _scalar_value(axis)
    rank = next((v.shape.ndims for v in values if v.shape.ndims is not None), None)
    if isinstance(dy, IndexedSlices):
        if a is not None and rank is not None and a % rank == 0:
            return _concat_rows_grad(values, dy) + [None]
        dy = convert_to_tensor(dy)
    if a is not None and rank is not None:
        a %= rank
        static = [v.shape[a] for v in values]
        if all(d is not None for d in static):
            sizes = _const(static, dtypes.int32, name="sizes")
        else:
            sizes = apply_op("Pack", *[
                _dim_tensor(v, a) if d is None else _const(d, dtypes.int32)
                for v, d in zip(values, static)], name="sizes", axis=0)
        axis_t = _const(a, dtypes.int32, name="axis")
    else:
        ax = axis if axis.dtype is dtypes.int32 else _math().cast(axis, dtypes.int32)
        axis_t = ax % apply_op("Rank", values[0], name="Rank")
        sizes = apply_op("Pack", *[
            apply_op("GatherV2", _shape_tensor(v), axis_t, _const(0, dtypes.int32),
                     name="GatherV2") for v in values], name="sizes", axis=0)
    grads = _as_list(apply_op("SplitV", dy, sizes, axis_t, name="split",
                              num_split=len(values)))
    return grads + [None]


_concat_grad.takes_indexed_slices = True


def _concat_rows_grad(values, dy):
    """TF's gradient of a concatenation along axis 0 for an IndexedSlices `dy`: each input
    gets the slices whose rows fall in its range, as an IndexedSlices (so the shards of a
    partitioned embedding get sparse gradients)."""
    math = _math()
    idx = dy.indices
    start = _const(0, idx.dtype)
    out = []
    for v in values:
        if v.shape.ndims is None or v.shape[0] is None:
            size = _dim_tensor(v, 0)
        else:
            size = _const(v.shape[0], dtypes.int32)
        if size.dtype is not idx.dtype:
            size = math.cast(size, idx.dtype)
        end = start + size
        inside = math.logical_and(idx >= start, idx < end)
        rows = boolean_mask(idx, inside) - start
        out.append(IndexedSlices(boolean_mask(dy.values, inside), rows, _shape_tensor(v)))
        start = end
    return out


def _dim_tensor(x, a):
    """Dimension `a` of `x` as a scalar int32 Tensor."""
    return apply_op("StridedSlice", _shape_tensor(x), _const([a], dtypes.int32),
                    _const([a + 1], dtypes.int32), _const([1], dtypes.int32),
                    name="strided_slice", begin_mask=0, end_mask=0, ellipsis_mask=0,
                    new_axis_mask=0, shrink_axis_mask=1)


def _convert_list(values, name):
    """Converts a list of tensor-likes, giving Python values the dtype of the first Tensor."""
    dtype = next((v.dtype for v in values if isinstance(v, Tensor)), None)
    out = []
    for i, v in enumerate(values):
        if isinstance(v, Tensor):
            out.append(v)
            continue
        nm = f"{name}_{i}" if i else name
        if dtype is not None:
            try:
                out.append(convert_to_tensor(v, dtype=dtype, name=nm))
                continue
            except (TypeError, ValueError):
                pass
        out.append(convert_to_tensor(v, name=nm))
    return out


def concat(values, axis, name="concat"):
    """Concatenates tensors along one dimension.

    Args:
        values: a list of Tensors of equal rank whose dimensions agree except along `axis`.
        axis: the dimension to join along; negative counts from the end.
        name: op name.

    Returns:
        A Tensor. With a single input, an Identity of it.

    Example:
        >>> t1, t2 = [[1, 2, 3], [4, 5, 6]], [[7, 8, 9], [10, 11, 12]]
        >>> concat([t1, t2], 0)  # shape (4, 3);  concat([t1, t2], -1): shape (2, 6)
    """
    name = name or "concat"
    if not isinstance(values, (list, tuple)):
        values = [values]
    with name_scope(name, values=_leaves([values, axis])) as scope:
        values = _convert_list(list(values), "values")
        if len(values) == 1:
            _int_tensor(axis, "concat_dim")
        else:
            axis = _int_tensor(axis, "axis")
        if len(values) == 1:
            return constant_op.identity(values[0], name=scope)
        return apply_op("ConcatV2", *values, axis, name=scope)


# ----- Pack, Unpack ----------------------------------------------------------------------------
def _pack_infer(op):
    values = op.inputs
    dtype = _check_list_dtypes(op, values)
    merged = TensorShape(None)
    for i, v in enumerate(values):
        s = v.shape
        if merged.ndims is not None and s.ndims is not None and merged.ndims != s.ndims:
            raise shape_fns.shape_error(
                op, f"Shapes must be equal rank, but are {merged.ndims} and {s.ndims}\n\t"
                    f"From merging shape {i - 1 if i else 0} with other shapes.")
        if not merged.is_compatible_with(s):
            for j, (d, e) in enumerate(zip(merged.as_list(), s.as_list())):
                if d is not None and e is not None and d != e:
                    raise shape_fns.shape_error(
                        op, f"Dimension {j} in both shapes must be equal, but are {d} and {e}. "
                            f"Shapes are {merged.proto_str()} and {s.proto_str()}.\n\t"
                            f"From merging shape {i - 1} with other shapes.")
        merged = merged.merge_with(s)
    axis = op.attrs["axis"]
    if merged.ndims is None:
        return [(dtype, TensorShape(None))]
    r = merged.ndims + 1
    if not -r <= axis < r:
        raise shape_fns.shape_error(op, f"Invalid axis: {axis}; must be in [{-r},{r})")
    dims = merged.as_list()
    dims.insert(axis % r, len(values))
    return [(dtype, TensorShape(dims))]


@defop("Pack", infer=_pack_infer, cost=CHEAP, fold_at_build=True)
def _pack(xp, *values, axis):
    s0 = values[0].shape
    for i, v in enumerate(values[1:], 1):
        if v.shape != s0:
            raise _invalid(f"Shapes of all inputs must match: values[0].shape = "
                           f"{_dims_str(s0)} != values[{i}].shape = {_dims_str(v.shape)}")
    return xp.stack(values, axis=axis)


@_pack.gradient
def _pack_grad(op, dy):
    return _as_list(apply_op("Unpack", dy, name="unstack", num=len(op.inputs),
                             axis=op.attrs["axis"]))


def stack(values, axis=0, name="stack"):
    """Stacks a list of rank-R tensors into one rank-(R+1) tensor along a new `axis`.

    A list of Python/numpy values (no Tensors) with axis 0 becomes a single constant, as in TF.

    Example:
        >>> x, y, z = constant([1, 4]), constant([2, 5]), constant([3, 6])
        >>> stack([x, y, z])          # [[1, 4], [2, 5], [3, 6]]
        >>> stack([x, y, z], axis=1)  # [[1, 2, 3], [4, 5, 6]]
    """
    name = name or "stack"
    values = list(values)
    if axis == 0 and not _contains_tensor(values) and not any(
            hasattr(v, "_as_graph_element") for v in values):
        try:
            return convert_to_tensor(values, name=name)
        except (TypeError, ValueError):
            pass
    with name_scope(name, values=_leaves([values])) as scope:
        values = _convert_list(values, "values")
        rank = values[0].shape.ndims
        if rank is not None and not -rank - 1 <= axis < rank + 1:
            raise ValueError(f"axis = {axis} not in [{-rank - 1}, {rank + 1})")
        return apply_op("Pack", *values, name=scope, axis=axis)


def _unpack_infer(op):
    x = op.inputs[0]
    num, axis = op.attrs["num"], op.attrs["axis"]
    if x.shape.ndims is None:
        return [(x.dtype, TensorShape(None))] * num
    r = x.shape.ndims
    if not -r <= axis < r:
        raise shape_fns.shape_error(op, f"Invalid axis: {axis}; must be in [{-r},{r})")
    dims = x.shape.as_list()
    d = dims.pop(axis % r)
    if d is not None and d != num:
        raise shape_fns.shape_error(op, f"Dimension must be {num} but is {d}")
    return [(x.dtype, TensorShape(dims))] * num


@defop("Unpack", infer=_unpack_infer, cost=CHEAP)
def _unpack(xp, value, *, num, axis):
    if not -value.ndim <= axis < value.ndim:
        raise _invalid(f"axis = {axis} not in [{-value.ndim}, {value.ndim})")
    if value.shape[axis] != num:
        raise _invalid(f"Input shape axis {axis} must equal {num}, got shape "
                       f"{_dims_str(value.shape)}")
    moved = xp.moveaxis(value, axis, 0)
    return _outs(moved[i, ...] for i in _pyrange(num))


@_unpack.gradient
def _unpack_grad(op, *dys):
    return [apply_op("Pack", *dys, name="stack", axis=op.attrs["axis"])]


def unstack(value, num=None, axis=0, name="unstack"):
    """Splits a rank-R tensor along `axis` into a list of `num` rank-(R-1) tensors.

    Args:
        value: a Tensor of rank R > 0.
        num: the length of `axis`; inferred from the static shape when None.
        axis: the dimension to unstack along; negative counts from the end.
        name: op name.

    Raises:
        ValueError: `num` is None and the static shape does not know it.

    Example:
        >>> a, b = unstack(constant([[1, 2], [3, 4]]))  # [1, 2] and [3, 4]
    """
    name = name or "unstack"
    with name_scope(name, values=_leaves([value])) as scope:
        value = convert_to_tensor(value, name="value")
        r = value.shape.ndims
        if r is not None and not -r <= axis < r:
            raise ValueError(f"axis = {axis} not in [{-r}, {r})")
        if num is None:
            if r is None or value.shape[axis] is None:
                raise ValueError(f"Cannot infer num from shape {value.shape}")
            num = value.shape[axis]
        return _as_list(apply_op("Unpack", value, name=scope, num=int(num), axis=axis))


# ----- Split, SplitV ---------------------------------------------------------------------------
def _split_axis(op, axis_t, x):
    r = x.shape.ndims
    a = _scalar_value(axis_t)
    if a is None or r is None:
        return a, r
    if not -r <= a < r:
        raise shape_fns.shape_error(op, f"-{r} <= split_dim < {r}, but got {a}")
    return a % r, r


def _split_infer(op):
    axis_t, x = op.inputs
    _check_index_dtype(op, 0)
    _check_rank(op, axis_t, 0)
    k = op.attrs["num_split"]
    a, r = _split_axis(op, axis_t, x)
    if r is None:
        return [(x.dtype, TensorShape(None))] * k
    if a is None:
        return [(x.dtype, TensorShape([None] * r))] * k
    dims = x.shape.as_list()
    if dims[a] is not None:
        if dims[a] % k:
            raise shape_fns.shape_error(
                op, f"Dimension size must be evenly divisible by {k} but is {dims[a]}")
        dims[a] //= k
    return [(x.dtype, TensorShape(dims))] * k


@defop("Split", infer=_split_infer, cost=CHEAP)
def _split(xp, split_dim, value, *, num_split):
    a = int(split_dim.tolist())
    r = value.ndim
    if not -r <= a < r:
        raise _invalid(f"-{r} <= split_dim < {r}, but got {a}")
    a %= r
    if value.shape[a] % num_split:
        raise _invalid(f"Number of ways to split should evenly divide the split dimension, but "
                       f"got split_dim {a} (size = {value.shape[a]}) and num_split {num_split}")
    step = value.shape[a] // num_split
    return _outs(_split_at(value, [step * i for i in builtins.range(1, num_split)], a))


@_split.gradient
def _split_grad(op, *dys):
    return [None, apply_op("ConcatV2", *dys, op.inputs[0], name="concat")]


def _split_v_infer(op):
    x, sizes_t, axis_t = op.inputs
    _check_index_dtype(op, 1)
    _check_index_dtype(op, 2)
    _check_rank(op, sizes_t, 1)
    _check_rank(op, axis_t, 0)
    k = op.attrs["num_split"]
    if sizes_t.shape.ndims == 1 and sizes_t.shape[0] not in (None, k):
        raise shape_fns.shape_error(
            op, f"Dimension 0 in both shapes must be equal, but are {sizes_t.shape[0]} and {k}")
    a, r = _split_axis(op, axis_t, x)
    if r is None:
        return [(x.dtype, TensorShape(None))] * k
    if a is None:
        return [(x.dtype, TensorShape([None] * r))] * k
    sizes = _shape_dims(sizes_t) or [None] * k
    dims = x.shape.as_list()
    neg = [i for i, s in enumerate(sizes) if s == -1]
    if len(neg) > 1:
        raise shape_fns.shape_error(op, "Cannot infer split size for more than one split")
    if neg and dims[a] is not None and all(s is not None for s in sizes):
        rest = sum(s for s in sizes if s != -1)
        if rest > dims[a]:
            raise shape_fns.shape_error(
                op, f"Determined shape must either match input shape along split_dim exactly "
                    f"if fully specified, or be less than the size of the input along "
                    f"split_dim if not fully specified.  Got: {rest}")
        sizes[neg[0]] = dims[a] - rest
    elif not neg and dims[a] is not None and all(s is not None for s in sizes) and (
            sum(sizes) != dims[a]):
        raise shape_fns.shape_error(
            op, f"Determined shape must either match input shape along split_dim exactly "
                f"if fully specified, or be less than the size of the input along "
                f"split_dim if not fully specified.  Got: {sum(sizes)}")
    out = []
    for s in sizes:
        d = list(dims)
        d[a] = None if s is None or s < 0 else s
        out.append((x.dtype, TensorShape(d)))
    return out


@defop("SplitV", infer=_split_v_infer, cost=CHEAP)
def _split_v(xp, value, size_splits, split_dim, *, num_split):
    a = int(split_dim.tolist())
    r = value.ndim
    if not -r <= a < r:
        raise _invalid(f"-{r} <= split_dim < {r}, but got {a}")
    a %= r
    sizes = size_splits.tolist()
    if len(sizes) != num_split:
        raise _invalid(f"Number of split sizes {len(sizes)} does not match num_split "
                       f"{num_split}")
    neg = [i for i, s in enumerate(sizes) if s == -1]
    if len(neg) > 1:
        raise _invalid("There can only be one -1 in the input.")
    n = value.shape[a]
    rest = sum(s for s in sizes if s != -1)
    if any(s < -1 for s in sizes) or (rest != n if not neg else rest > n):
        raise _invalid("Determined shape must either match input shape along split_dim exactly "
                       "if fully specified, or be less than the size of the input along "
                       f"split_dim if not fully specified.  Got: {rest}")
    if neg:
        sizes[neg[0]] = n - rest
    cuts = []
    total = 0
    for s in sizes[:-1]:
        total += s
        cuts.append(total)
    return _outs(_split_at(value, cuts, a))


@_split_v.gradient
def _split_v_grad(op, *dys):
    return [apply_op("ConcatV2", *dys, op.inputs[2], name="concat"), None, None]


def split(value, num_or_size_splits, axis=0, num=None, name="split"):
    """Splits a tensor into sub-tensors along `axis`.

    Args:
        value: the Tensor to split.
        num_or_size_splits: an int (that many equal pieces: op Split) or a list / 1-D Tensor
            of sizes, one of which may be -1 (op SplitV).
        axis: the dimension to split; negative counts from the end.
        num: the number of pieces when `num_or_size_splits` is a Tensor of unknown length.
        name: op name.

    Returns:
        A list of Tensors.

    Example:
        >>> a, b, c = split(zeros([5, 30]), [4, 15, 11], 1)  # (5, 4), (5, 15), (5, 11)
        >>> parts = split(zeros([5, 30]), 3, axis=1)       # three (5, 10)
    """
    name = name or "split"
    with name_scope(name, values=_leaves([value, num_or_size_splits, axis])) as scope:
        value = convert_to_tensor(value, name="value")
        axis = _int_tensor(axis, "split_dim" if isinstance(
            num_or_size_splits, numbers.Integral) else "axis")
        if isinstance(num_or_size_splits, numbers.Integral) and not isinstance(
                num_or_size_splits, bool):
            sizes = None
        else:
            sizes = _int_tensor(num_or_size_splits, "size_splits")
        if sizes is None:
            return _as_list(apply_op("Split", axis, value, name=scope,
                                     num_split=int(num_or_size_splits)))
        if num is None:
            if sizes.shape.ndims != 1 or sizes.shape[0] is None:
                raise ValueError(f"Cannot infer num from shape {sizes.shape}")
            num = sizes.shape[0]
        return _as_list(apply_op("SplitV", value, sizes, axis, name=scope, num_split=int(num)))


# ----- ExpandDims, Squeeze ---------------------------------------------------------------------
def _expand_dims_infer(op):
    x, dim = op.inputs
    _check_index_dtype(op, 1)
    r = x.shape.ndims
    if r is None:
        return [(x.dtype, TensorShape(None))]
    d = shape_fns.constant_value(dim)
    if d is None:
        return [(x.dtype, TensorShape([None] * (r + 1)))]
    if np.size(d) != 1:
        raise shape_fns.shape_error(op, f"'dim' input must be a tensor with a single value, "
                                        f"got {np.size(d)}")
    d = int(np.ravel(d)[0])
    if not -r - 1 <= d <= r:
        raise shape_fns.shape_error(
            op, f"Tried to expand dim index {d} for tensor with {r} dimensions.")
    dims = x.shape.as_list()
    dims.insert(d % (r + 1), 1)
    return [(x.dtype, TensorShape(dims))]


@defop("ExpandDims", infer=_expand_dims_infer, cost=CHEAP, fold_at_build=True)
def _expand_dims(xp, input, dim):
    if dim.size != 1:
        raise _invalid(f"'dim' must be a tensor with a single value, got shape "
                       f"{_dims_str(dim.shape)}")
    d = int(dim.reshape(-1).tolist()[0])
    r = input.ndim
    if not -r - 1 <= d <= r:
        raise _invalid(f"Tried to expand dim index {d} for tensor with {r} dimensions.")
    return xp.expand_dims(input, d % (r + 1))


@_expand_dims.gradient
def _expand_dims_grad(op, dy):
    return [_reshape_to(dy, op.inputs[0]), None]


def expand_dims(input, axis=None, name=None, dim=None):
    """Inserts a dimension of size 1 at index `axis` (negative counts from the end).

    Example:
        >>> expand_dims(zeros([2, 3]), -1)  # shape (2, 3, 1)
    """
    if dim is not None:
        if axis is not None:
            raise ValueError("Cannot specify both 'axis' and 'dim'")
        axis = dim
    if axis is None:
        raise ValueError("Must specify an axis argument to tf.expand_dims()")
    name = name or "ExpandDims"
    with name_scope(name, values=_leaves([input, axis])) as scope:
        input = convert_to_tensor(input, name="input")
        axis = _int_tensor(axis, "dim")
        return apply_op("ExpandDims", input, axis, name=scope)


def _squeeze_infer(op):
    x = op.inputs[0]
    axes = op.attrs["squeeze_dims"]
    r = x.shape.ndims
    if r is None:
        return [(x.dtype, TensorShape(None))]
    dims = x.shape.as_list()
    for a in axes:
        if not -r <= a < r:
            raise shape_fns.shape_error(
                op, f"Tried to squeeze dim index {a} for tensor with {r} dimensions.")
    wanted = {a % r for a in axes}
    out = []
    for i, d in enumerate(dims):
        if wanted and i not in wanted:
            out.append(d)
        elif d is None:
            if wanted:
                continue  # squeezed at run time, where it must be 1
            return [(x.dtype, TensorShape(None))]
        elif d == 1:
            continue
        elif wanted:
            raise shape_fns.shape_error(
                op, f"Can not squeeze dim[{i}], expected a dimension of 1, got {d}")
        else:
            out.append(d)
    return [(x.dtype, TensorShape(out))]


@defop("Squeeze", infer=_squeeze_infer, cost=CHEAP, fold_at_build=True)
def _squeeze(xp, input, *, squeeze_dims):
    r = input.ndim
    if not squeeze_dims:
        return xp.reshape(input, [d for d in input.shape if d != 1])
    axes = []
    for a in squeeze_dims:
        if not -r <= a < r:
            raise _invalid(f"Tried to squeeze dim index {a} for tensor with {r} dimensions.")
        if input.shape[a] != 1:
            raise _invalid(f"Can not squeeze dim[{a % r}], expected a dimension of 1, got "
                           f"{input.shape[a]}")
        axes.append(a % r)
    return xp.reshape(input, [d for i, d in enumerate(input.shape) if i not in axes])


@_squeeze.gradient
def _squeeze_grad(op, dy):
    return [_reshape_to(dy, op.inputs[0])]


def squeeze(input, axis=None, name=None, squeeze_dims=None):
    """Removes dimensions of size 1: all of them, or only those listed in `axis`.

    Example:
        >>> squeeze(zeros([1, 2, 1, 3, 1, 1]))             # shape (2, 3)
        >>> squeeze(zeros([1, 2, 1, 3, 1, 1]), [2, 4])     # shape (1, 2, 3, 1)
    """
    if squeeze_dims is not None:
        if axis is not None:
            raise ValueError("Cannot specify both 'squeeze_dims' and 'axis'")
        axis = squeeze_dims
    if axis is None:
        axis = []
    elif isinstance(axis, numbers.Integral):
        axis = [axis]
    name = name or "Squeeze"
    with name_scope(name, values=_leaves([input])) as scope:
        input = convert_to_tensor(input, name="input")
        return apply_op("Squeeze", input, name=scope, squeeze_dims=[int(a) for a in axis])


# ----- Tile ------------------------------------------------------------------------------------
def _tile_infer(op):
    x, multiples = op.inputs
    _check_index_dtype(op, 1)
    _check_rank(op, multiples, 1)
    m = _shape_dims(multiples)
    r = x.shape.ndims
    if m is not None and r is not None and len(m) != r:
        raise shape_fns.shape_error(op, f"Shape must be rank {r} but is rank {len(m)}")
    if r is None:
        return [(x.dtype, TensorShape(None if m is None else [None] * len(m)))]
    if m is None:
        return [(x.dtype, TensorShape([None] * r))]
    out = []
    for i, (d, k) in enumerate(zip(x.shape.as_list(), m)):
        if k is not None and k < 0:
            raise shape_fns.shape_error(op, f"Expected multiples[{i}] >= 0, but got {k}")
        out.append(0 if k == 0 else None if d is None or k is None else d * k)
    return [(x.dtype, TensorShape(out))]


@defop("Tile", infer=_tile_infer, cost=CHEAP)
def _tile(xp, input, multiples):
    reps = multiples.tolist()
    if multiples.ndim != 1 or len(reps) != input.ndim:
        raise _invalid(f"Expected multiples argument to be a vector of length {input.ndim} but "
                       f"got length {multiples.size}")
    for i, k in enumerate(reps):
        if k < 0:
            raise _invalid(f"Expected multiples[{i}] >= 0, but got {k}")
    return xp.tile(input, reps)


def _sum_interleaved(dy, multiples, x_shape, rank):
    """Sums `dy` of shape `multiples * x_shape` (tiled) back to `x_shape`: reshape to
    [m0, d0, m1, d1, ...] and reduce the multiples' axes."""
    math_ops = _math()
    m_static = shape_fns.constant_value(multiples)
    s_static = shape_fns.constant_value(x_shape)
    if m_static is not None and s_static is not None:
        split = _const(np.stack([np.ravel(m_static), np.ravel(s_static)], 1).reshape(-1),
                       dtypes.int32, name="split_shape")
    else:
        pair = apply_op("Pack", multiples, x_shape, name="stack", axis=1)
        split = apply_op("Reshape", pair, _const([-1], dtypes.int32), name="split_shape")
    axes = _const(np.arange(0, 2 * rank, 2), dtypes.int32, name="axes")
    return math_ops.reduce_sum(apply_op("Reshape", dy, split, name="Reshape"), axes)


@_tile.gradient
def _tile_grad(op, dy):
    x, multiples = op.inputs
    r = x.shape.ndims
    if r is None:
        r = multiples.shape[0] if multiples.shape.ndims == 1 else None
    if r is None:
        raise ValueError(f"The gradient of Tile '{op.name}' needs the rank of its input")
    g = _sum_interleaved(dy, multiples, _shape_tensor(x, multiples.dtype), r)
    return [_reshape_to(g, x), None]


def tile(input, multiples, name=None):
    """Repeats `input` `multiples[i]` times along dimension i.

    Example:
        >>> tile(constant([[1, 2], [3, 4]]), [1, 2])  # [[1, 2, 1, 2], [3, 4, 3, 4]]
    """
    name = name or "Tile"
    with name_scope(name, values=_leaves([input, multiples])) as scope:
        input = convert_to_tensor(input, name="input")
        multiples = _int_tensor(multiples, "multiples")
        return apply_op("Tile", input, multiples, name=scope)


# ----- Pad, PadV2, MirrorPad, MirrorPadGrad ----------------------------------------------------
def _pad_shape(op, x, paddings, sign=1, mirror=None):
    _check_index_dtype(op, 1)
    _check_rank(op, paddings, 2)
    ps = paddings.shape
    r = x.shape.ndims
    if ps.ndims == 2:
        if ps[1] is not None and ps[1] != 2:
            raise shape_fns.shape_error(
                op, f"Dimension 1 in both shapes must be equal, but are {ps[1]} and 2")
        if r is not None and ps[0] is not None and ps[0] != r:
            raise shape_fns.shape_error(
                op, f"Dimension 0 in both shapes must be equal, but are {ps[0]} and {r}")
        if r is None:
            r = ps[0]
    if r is None:
        return TensorShape(None)
    p = shape_fns.constant_value(paddings)
    if p is None or x.shape.ndims is None:
        return TensorShape([None] * r)
    p = np.asarray(p).reshape(r, 2).tolist()
    out = []
    for i, (d, (a, b)) in enumerate(zip(x.shape.as_list(), p)):
        if a < 0 or b < 0:
            raise shape_fns.shape_error(op, f"Paddings must be non-negative: {a} {b}")
        if mirror is not None and d is not None:
            _check_mirror(mirror, a, b, d, lambda m: shape_fns.shape_error(op, m))
        out.append(None if d is None else d + sign * (a + b))
    return TensorShape(out)


def _check_mirror(mode, a, b, d, error):
    if mode == "REFLECT" and (a >= d or b >= d):
        raise error(f"paddings must be less than the dimension size: {a}, {b} not less than {d}")
    if mode == "SYMMETRIC" and (a > d or b > d):
        raise error(f"paddings must be no greater than the dimension size: {a}, {b} greater "
                    f"than {d}")


def _pad_infer(op):
    x, paddings = op.inputs[:2]
    if len(op.inputs) == 3:
        _check_same(op, op.inputs[2], x, "constant_values", "input")
        _check_rank(op, op.inputs[2], 0)
    return [(x.dtype, _pad_shape(op, x, paddings))]


def _pad_pairs(x, paddings):
    p = paddings.tolist()
    if paddings.ndim != 2 or paddings.shape[0] != x.ndim or paddings.shape[1] != 2:
        raise _invalid(f"The first dimension of paddings must be the rank of inputs"
                       f"{_dims_str(paddings.shape)} {_dims_str(x.shape)}")
    for a, b in p:
        if a < 0 or b < 0:
            raise _invalid(f"Paddings must be non-negative: {a} {b}")
    return p


def _pad_with(xp, x, paddings, value):
    p = _pad_pairs(x, paddings)
    out_shape = [d + a + b for d, (a, b) in zip(x.shape, p)]
    if value is None:
        out = xp.zeros(out_shape, dtype=x.dtype)
    else:
        out = xp.empty(out_shape, dtype=x.dtype)
        out[...] = value
    out[tuple(_pyslice(a, a + d) for d, (a, _) in zip(x.shape, p))] = x
    return out


@defop("Pad", infer=_pad_infer, cost=CHEAP)
def _pad(xp, input, paddings):
    return _pad_with(xp, input, paddings, None)


@defop("PadV2", infer=_pad_infer, cost=CHEAP)
def _pad_v2(xp, input, paddings, constant_values):
    return _pad_with(xp, input, paddings, constant_values)


def _pad_grad(op, dy):
    """The slice of `dy` where the input went: begin = paddings[:, 0], size = shape(x)."""
    x, paddings = op.inputs[:2]
    p = shape_fns.constant_value(paddings)
    if p is not None:
        begin = _const(np.asarray(p)[:, 0], paddings.dtype, name="begin")
    else:
        begin = apply_op("StridedSlice", paddings, _const([0, 0], paddings.dtype),
                         _const([0, 1], paddings.dtype), _const([1, 1], paddings.dtype),
                         name="begin", begin_mask=1, end_mask=1, ellipsis_mask=0,
                         new_axis_mask=0, shrink_axis_mask=2)
    g = apply_op("Slice", dy, begin, _shape_tensor(x, paddings.dtype), name="Slice")
    return [g] + [None] * (len(op.inputs) - 1)


_pad.gradient(_pad_grad)
_pad_v2.gradient(_pad_grad)


def _mirror_infer(op):
    x, paddings = op.inputs
    mode = op.attrs["mode"]
    if mode not in ("REFLECT", "SYMMETRIC"):
        raise ValueError(f"Value for attr 'mode' of \"{mode}\" is not in the list of allowed "
                         "values: \"REFLECT\", \"SYMMETRIC\"")
    return [(x.dtype, _pad_shape(op, x, paddings, mirror=mode))]


@defop("MirrorPad", infer=_mirror_infer, cost=CHEAP)
def _mirror_pad(xp, input, paddings, *, mode):
    p = _pad_pairs(input, paddings)
    for (a, b), d in zip(p, input.shape):
        _check_mirror(mode, a, b, d, _invalid)
    return xp.pad(input, p, mode=mode.lower())


@_mirror_pad.gradient
def _mirror_pad_grad(op, dy):
    return [apply_op("MirrorPadGrad", dy, op.inputs[1], name="MirrorPadGrad",
                     mode=op.attrs["mode"]), None]


def _mirror_grad_infer(op):
    x, paddings = op.inputs
    return [(x.dtype, _pad_shape(op, x, paddings, sign=-1))]


@defop("MirrorPadGrad", infer=_mirror_grad_infer, cost=CHEAP)
def _mirror_pad_grad_kernel(xp, input, paddings, *, mode):
    """Folds the mirrored borders of `input` (a padded gradient) back onto the centre."""
    p = _pad_pairs(input, paddings)
    offset = 1 if mode == "REFLECT" else 0
    out = input
    for axis, (a, b) in enumerate(p):
        if not (a or b):
            continue
        n = out.shape[axis] - a - b
        if n < 0 or a + offset > n or b + offset > n:
            raise _invalid(f"paddings {a}, {b} are too large for dimension {axis} of size "
                           f"{out.shape[axis]} in mode {mode}")

        def cut(lo, hi, _axis=axis, _ndim=out.ndim):
            return tuple(_pyslice(lo, hi) if i == _axis else _pyslice(None)
                         for i in _pyrange(_ndim))

        centre = out[cut(a, a + n)].copy()
        if a:
            centre[cut(offset, offset + a)] += xp.flip(out[cut(0, a)], axis)
        if b:
            centre[cut(n - offset - b, n - offset)] += xp.flip(out[cut(a + n, a + n + b)], axis)
        out = centre
    return out if out is not input else input.copy()


@_mirror_pad_grad_kernel.gradient
def _mirror_pad_grad_grad(op, ddy):
    return [apply_op("MirrorPad", ddy, op.inputs[1], name="MirrorPad",
                     mode=op.attrs["mode"]), None]


def pad(tensor, paddings, mode="CONSTANT", name=None, constant_values=0):
    """Pads a tensor: `paddings[i] = [before, after]` values are added around dimension i.

    Args:
        tensor: a Tensor of rank R.
        paddings: an int [R, 2] list or Tensor.
        mode: "CONSTANT" (op Pad, or PadV2 when `constant_values` is not 0), "REFLECT" or
            "SYMMETRIC" (op MirrorPad; case-insensitive).
        name: op name.
        constant_values: the fill value in CONSTANT mode.

    Example:
        >>> t = constant([[1, 2, 3], [4, 5, 6]])
        >>> pad(t, [[1, 1], [2, 2]])             # shape (4, 7), zeros around t
        >>> pad(t, [[1, 1], [2, 2]], "REFLECT")  # [[6, 5, 4, 5, 6, 5, 4], ...]
    """
    mode = mode.upper()
    with name_scope(name or "Pad", values=_leaves([tensor, paddings])) as scope:
        tensor = convert_to_tensor(tensor, name="tensor")
        paddings = _int_tensor(paddings, "paddings")
        plain_zero = not _is_tensor_like(constant_values) and np.all(
            np.asarray(constant_values) == 0)
        if mode == "CONSTANT" and not plain_zero:
            constant_values = convert_to_tensor(constant_values, dtype=tensor.dtype,
                                                name="constant_values")
        if mode == "CONSTANT":
            if plain_zero:
                return apply_op("Pad", tensor, paddings, name=scope)
            return apply_op("PadV2", tensor, paddings, constant_values, name=scope)
        if mode not in ("REFLECT", "SYMMETRIC"):
            raise ValueError(f"Unknown padding mode: {mode}")
        return apply_op("MirrorPad", tensor, paddings, name=scope, mode=mode)


# ----- Slice -----------------------------------------------------------------------------------
def _slice_infer(op):
    x, begin, size = op.inputs
    _check_index_dtype(op, 1)
    _check_same(op, size, begin, "size", "begin")
    _check_rank(op, begin, 1)
    _check_rank(op, size, 1)
    b, s = _shape_dims(begin), _shape_dims(size)
    r = x.shape.ndims
    n = len(b) if b is not None else len(s) if s is not None else None
    if (b is not None and s is not None and len(b) != len(s)) or (
            n is not None and r is not None and n != r):
        raise shape_fns.shape_error(
            op, f"Expected begin and size arguments to be 1-D tensors of size {r}, but got "
                f"shapes {begin.shape.proto_str()} and {size.shape.proto_str()} instead.")
    if r is None:
        r = n
    if r is None:
        return [(x.dtype, TensorShape(None))]
    b = b or [None] * r
    s = s or [None] * r
    dims = x.shape.as_list() if x.shape.ndims is not None else [None] * r
    out = []
    for i, (d, bi, si) in enumerate(zip(dims, b, s)):
        if d is not None and bi is not None and not 0 <= bi <= d:
            raise shape_fns.shape_error(op, f"Expected begin[{i}] in [0, {d}], but got {bi}")
        if si is not None and si != -1:
            if si < -1 or (d is not None and bi is not None and si > d - bi):
                raise shape_fns.shape_error(
                    op, f"Expected size[{i}] in [0, {d - (bi or 0)}], but got {si}")
            out.append(si)
        elif si == -1 and d is not None and bi is not None:
            out.append(d - bi)
        else:
            out.append(None)
    return [(x.dtype, TensorShape(out))]


@defop("Slice", infer=_slice_infer, cost=CHEAP)
def _slice(xp, input, begin, size):
    b, s = begin.tolist(), size.tolist()
    r = input.ndim
    if begin.ndim != 1 or size.ndim != 1 or len(b) != r or len(s) != r:
        raise _invalid(f"Expected begin and size arguments to be 1-D tensors of size {r}, but "
                       f"got shapes {_dims_str(begin.shape)} and {_dims_str(size.shape)} "
                       "instead.")
    index = []
    for i, (d, bi, si) in enumerate(zip(input.shape, b, s)):
        if si == -1:
            si = d - bi
        if not 0 <= bi <= d:
            raise _invalid(f"Expected begin[{i}] in [0, {d}], but got {bi}")
        if not 0 <= si <= d - bi:
            raise _invalid(f"Expected size[{i}] in [0, {d - bi}], but got {si}")
        index.append(_pyslice(bi, bi + si))
    return input[tuple(index) + (Ellipsis,)]


@_slice.gradient
def _slice_grad(op, dy):
    """Pad `dy` back: before = begin, after = shape(x) - shape(y) - begin."""
    x, begin, _ = op.inputs
    y = op.outputs[0]
    b = shape_fns.constant_value(begin)
    if b is not None and x.shape.is_fully_defined() and y.shape.is_fully_defined():
        b = np.ravel(b)
        after = np.asarray(x.shape.as_list()) - np.asarray(y.shape.as_list()) - b
        paddings = _const(np.stack([b, after], 1), begin.dtype, name="paddings")
    else:
        shape2 = apply_op("Pack", apply_op("Rank", x, name="Rank"), _const(1, dtypes.int32),
                          name="stack", axis=0)
        before = apply_op("Reshape", begin, shape2, name="Reshape")
        after = _shape_tensor(x, begin.dtype) - _shape_tensor(y, begin.dtype) - begin
        after = apply_op("Reshape", after, shape2, name="Reshape_1")
        paddings = apply_op("ConcatV2", before, after, _const(1, dtypes.int32),
                            name="paddings")
    return [apply_op("Pad", dy, paddings, name="Pad"), None, None]


def slice(input_, begin, size, name=None):
    """Extracts `input_[begin[i] : begin[i] + size[i]]` along each dimension i.

    `size[i] = -1` takes all remaining elements of dimension i.

    Example:
        >>> t = constant([[[1, 1, 1], [2, 2, 2]], [[3, 3, 3], [4, 4, 4]]])
        >>> slice(t, [1, 0, 0], [1, 1, 3])   # [[[3, 3, 3]]]
        >>> slice(t, [1, 0, 0], [-1, 2, 1])  # [[[3], [4]]]
    """
    name = name or "Slice"
    with name_scope(name, values=_leaves([input_, begin, size])) as scope:
        input_ = convert_to_tensor(input_, name="input")
        begin = _int_tensor(begin, "begin")
        size = _int_tensor(size, "size")
        return apply_op("Slice", input_, begin, size, name=scope)


# ----- StridedSlice, StridedSliceGrad ----------------------------------------------------------
_MASKS = ("begin_mask", "end_mask", "ellipsis_mask", "new_axis_mask", "shrink_axis_mask")


class _SliceSpecError(Exception):
    pass


def _spec_layout(ndims, n, ellipsis_mask, new_axis_mask):
    """TF's sparse-to-dense slice spec: per spec entry, the input dims it covers
    (`list` for the ellipsis, `None` for a new axis, an int dim otherwise)."""
    ell = [i for i in _pyrange(n) if _bit(ellipsis_mask, i)]
    if len(ell) > 1:
        raise _SliceSpecError("Multiple ellipses in slice spec not allowed")
    consuming = [i for i in _pyrange(n)
                 if not _bit(ellipsis_mask, i) and not _bit(new_axis_mask, i)]
    if len(consuming) > ndims:
        raise _SliceSpecError(f"Index out of range using input dim {len(consuming) - 1}; input "
                              f"has only {ndims} dims")
    layout = []
    d = 0
    for i in _pyrange(n):
        if _bit(ellipsis_mask, i):
            end = ndims - sum(1 for j in consuming if j > i)
            layout.append(list(_pyrange(d, end)))
            d = end
        elif _bit(new_axis_mask, i):
            layout.append(None)
        else:
            layout.append(d)
            d += 1
    return layout, list(_pyrange(d, ndims))


def _strided_index(shape, begin, end, strides, masks):
    """The numpy index equal to TF's StridedSlice for a concrete input shape and spec."""
    n = len(begin)
    if len(end) != n or len(strides) != n:
        raise _SliceSpecError("Expected begin, end, and strides to be 1D equal size tensors, "
                              f"but got shapes [{n}], [{len(end)}], and [{len(strides)}] "
                              "instead.")
    bm, em, ellm, nam, sam = (masks[k] for k in _MASKS)
    layout, _ = _spec_layout(len(shape), n, ellm, nam)
    index = []
    for i, cov in enumerate(layout):
        if isinstance(cov, list):
            index.append(Ellipsis)
        elif cov is None:
            index.append(None)
        else:
            if strides[i] == 0:
                raise _SliceSpecError(f"strides[{i}] must be non-zero")
            if _bit(sam, i):
                d = shape[cov]
                x = begin[i] + d if begin[i] < 0 else begin[i]
                if not 0 <= x < d:
                    raise _SliceSpecError(f"slice index {x} of dimension {cov} out of bounds.")
                index.append(x)
            else:
                index.append(_pyslice(None if _bit(bm, i) else begin[i],
                                      None if _bit(em, i) else end[i], strides[i]))
    if not ellm:
        index.append(Ellipsis)  # an index with an Ellipsis always returns an array
    return tuple(index)


def _strided_slice_shape(op, x_shape, b_t, e_t, s_t, masks):
    for i in (1, 2, 3):
        _check_index_dtype(op, i)
    _check_same(op, e_t, b_t, "end", "begin")
    _check_same(op, s_t, b_t, "strides", "begin")
    lens = set()
    for t in (b_t, e_t, s_t):
        _check_rank(op, t, 1)
        if t.shape.ndims == 1 and t.shape[0] is not None:
            lens.add(t.shape[0])
    if len(lens) > 1:
        raise shape_fns.shape_error(
            op, "Expected begin, end, and strides to be 1D equal size tensors")
    if not lens or x_shape.ndims is None:
        return TensorShape(None)
    n = lens.pop()
    b, e, s = (_shape_dims(t) or [None] * n for t in (b_t, e_t, s_t))
    bm, em, ellm, nam, sam = (masks[k] for k in _MASKS)
    dims = x_shape.as_list()
    try:
        layout, rest = _spec_layout(len(dims), n, ellm, nam)
    except _SliceSpecError as exc:
        raise shape_fns.shape_error(op, str(exc)) from None
    out = []
    for i, cov in enumerate(layout):
        if isinstance(cov, list):
            out.extend(dims[j] for j in cov)
            continue
        if cov is None:
            out.append(1)
            continue
        d = dims[cov]
        if s[i] == 0:
            raise shape_fns.shape_error(op, f"strides[{i}] must be non-zero")
        if _bit(sam, i):
            if d is not None and b[i] is not None and not -d <= b[i] < d:
                x = b[i] + d if b[i] < 0 else b[i]
                raise shape_fns.shape_error(
                    op, f"slice index {x} of dimension {cov} out of bounds.")
            continue
        lo = None if _bit(bm, i) else b[i]
        hi = None if _bit(em, i) else e[i]
        if d is not None and s[i] is not None and (lo is not None or _bit(bm, i)) and (
                hi is not None or _bit(em, i)):
            out.append(len(_pyrange(*_pyslice(lo, hi, s[i]).indices(d))))
        elif _bit(bm, i) and _bit(em, i) and s[i] in (1, -1):
            out.append(d)
        else:
            out.append(None)
    out.extend(dims[j] for j in rest)
    return TensorShape(out)


def _strided_slice_infer(op):
    x = op.inputs[0]
    return [(x.dtype, _strided_slice_shape(op, x.shape, *op.inputs[1:], op.attrs))]


def _index_for(shape, begin, end, strides, masks):
    try:
        return _strided_index(shape, begin.tolist(), end.tolist(), strides.tolist(), masks)
    except _SliceSpecError as exc:
        raise _invalid(str(exc)) from None


@defop("StridedSlice", infer=_strided_slice_infer, cost=CHEAP, fold_at_build=True)
def _strided_slice(xp, input, begin, end, strides, *, begin_mask, end_mask, ellipsis_mask,
                   new_axis_mask, shrink_axis_mask):
    masks = {"begin_mask": begin_mask, "end_mask": end_mask, "ellipsis_mask": ellipsis_mask,
             "new_axis_mask": new_axis_mask, "shrink_axis_mask": shrink_axis_mask}
    return input[_index_for(input.shape, begin, end, strides, masks)]


@_strided_slice.gradient
def _strided_slice_grad(op, dy):
    x, begin, end, strides = op.inputs
    masks = {k: op.attrs[k] for k in _MASKS}
    g = apply_op("StridedSliceGrad", _shape_tensor(x, begin.dtype), begin, end, strides, dy,
                 name="StridedSliceGrad", **masks)
    return [g, None, None, None]


def _strided_slice_grad_infer(op):
    shape_t, b_t, e_t, s_t, dy = op.inputs
    _check_index_dtype(op, 0)
    out = _shape_from_dims(_shape_dims(shape_t))
    _strided_slice_shape(op, out, b_t, e_t, s_t, op.attrs)
    return [(dy.dtype, out)]


@defop("StridedSliceGrad", infer=_strided_slice_grad_infer, cost=CHEAP)
def _strided_slice_grad_kernel(xp, shape, begin, end, strides, dy, *, begin_mask, end_mask,
                               ellipsis_mask, new_axis_mask, shrink_axis_mask):
    masks = {"begin_mask": begin_mask, "end_mask": end_mask, "ellipsis_mask": ellipsis_mask,
             "new_axis_mask": new_axis_mask, "shrink_axis_mask": shrink_axis_mask}
    dims = tuple(shape.tolist())
    out = xp.zeros(dims, dtype=dy.dtype)
    out[_index_for(dims, begin, end, strides, masks)] = dy
    return out


@_strided_slice_grad_kernel.gradient
def _strided_slice_grad_grad(op, ddy):
    _, begin, end, strides, _ = op.inputs
    masks = {k: op.attrs[k] for k in _MASKS}
    return [None, None, None, None,
            apply_op("StridedSlice", ddy, begin, end, strides, name="StridedSlice", **masks)]


def strided_slice(input_, begin, end, strides=None, begin_mask=0, end_mask=0, ellipsis_mask=0,
                  new_axis_mask=0, shrink_axis_mask=0, var=None, name=None):
    """Python-style slicing `input_[begin:end:strides, ...]`, with TF's bit masks.

    Bit i of `begin_mask` / `end_mask` ignores `begin[i]` / `end[i]` (slice from the start /
    to the end); of `ellipsis_mask` makes entry i an `...`; of `new_axis_mask` inserts a
    dimension of size 1; of `shrink_axis_mask` takes the single index `begin[i]` and removes
    the dimension. `t[1:, ..., tf.newaxis, 0]` is the usual way to build this op.

    Args:
        input_: the Tensor to slice.
        begin, end, strides: 1-D int lists or Tensors of equal length (strides default 1).
        var: accepted for TF compatibility (the Variable a slice assignment would target).
        name: op name (default "StridedSlice").

    Example:
        >>> t = constant([[1, 2, 3], [4, 5, 6]])
        >>> strided_slice(t, [0, 2], [2, 0], [1, -1])  # [[3, 2], [6, 5]]
    """
    name = name or "StridedSlice"
    with name_scope(name, values=_leaves([input_, begin, end, strides])) as scope:
        input_ = convert_to_tensor(input_, name="input")
        begin = _int_tensor(begin, "begin")
        end = _int_tensor(end, "end")
        if strides is None:
            n = begin.shape[0] if begin.shape.ndims == 1 else None
            if n is not None:
                strides = _const(np.ones(n), begin.dtype, name="strides")
            else:
                strides = apply_op("OnesLike", begin, name="strides")
        else:
            strides = _int_tensor(strides, "strides")
        return apply_op("StridedSlice", input_, begin, end, strides, name=scope,
                        begin_mask=int(begin_mask), end_mask=int(end_mask),
                        ellipsis_mask=int(ellipsis_mask), new_axis_mask=int(new_axis_mask),
                        shrink_axis_mask=int(shrink_axis_mask))


_SLICE_TYPE_ERROR = ("Only integers, slices (`:`), ellipsis (`...`), tf.newaxis (`None`) and "
                     "scalar tf.int32/tf.int64 tensors are valid indices")


def _check_index(idx):
    if isinstance(idx, numbers.Integral) and not isinstance(idx, (bool, np.bool_)):
        return
    if isinstance(idx, Tensor) and idx.dtype in INDEX_TYPES and idx.shape.ndims in (0, None):
        return
    raise TypeError(f"{_SLICE_TYPE_ERROR}, got {idx!r}")


def _pack_index(values, name, dtype):
    """begin/end/strides of `t[...]`: a Const when all are Python ints, else a Pack."""
    if not any(isinstance(v, Tensor) for v in values):
        return _const([int(v) for v in values], dtype, name=name)
    elems = []
    for v in values:
        if isinstance(v, Tensor):
            elems.append(v if v.dtype is dtype else _math().cast(v, dtype))
        else:
            elems.append(_const(int(v), dtype))
    return apply_op("Pack", *elems, name=name, axis=0)


def _slice_helper(tensor, slice_spec):
    """`tensor[slice_spec]`: ints, slices (steps too, negative allowed), `...`, `None` /
    `tf.newaxis` and scalar int tensors, mapped onto one StridedSlice named "strided_slice"."""
    if isinstance(slice_spec, (bool, np.bool_)) or (
            isinstance(slice_spec, Tensor) and slice_spec.dtype is dtypes.bool) or (
            isinstance(slice_spec, np.ndarray) and slice_spec.dtype == np.bool_):
        return boolean_mask(tensor, slice_spec)
    if not isinstance(slice_spec, (list, tuple)):
        slice_spec = [slice_spec]
    begin, end, strides = [], [], []
    masks = dict.fromkeys(_MASKS, 0)
    for i, s in enumerate(slice_spec):
        if isinstance(s, _pyslice):
            for part, out, mask, default in ((s.start, begin, "begin_mask", 0),
                                             (s.stop, end, "end_mask", 0),
                                             (s.step, strides, None, 1)):
                if part is None:
                    out.append(default)
                    if mask:
                        masks[mask] |= 1 << i
                else:
                    _check_index(part)
                    out.append(part)
        elif s is Ellipsis:
            begin.append(0)
            end.append(0)
            strides.append(1)
            masks["ellipsis_mask"] |= 1 << i
        elif s is None:
            begin.append(0)
            end.append(0)
            strides.append(1)
            masks["new_axis_mask"] |= 1 << i
        else:
            _check_index(s)
            begin.append(s)
            end.append(s + 1)
            strides.append(1)
            masks["shrink_axis_mask"] |= 1 << i
    parts = begin + end + strides
    dtype = dtypes.int64 if any(isinstance(v, Tensor) and v.dtype is dtypes.int64
                                for v in parts) else dtypes.int32
    with name_scope("strided_slice", values=_leaves([tensor] + parts)) as scope:
        b = _pack_index(begin, "stack", dtype)
        e = _pack_index(end, "stack_1", dtype)
        s = _pack_index(strides, "stack_2", dtype)
        return strided_slice(tensor, b, e, s, name=scope, **masks)


register_operator("__getitem__", _slice_helper)


def boolean_mask(tensor, mask, name="boolean_mask", axis=None):
    """The elements (or slices) of `tensor` where the boolean `mask` is True.

    `mask` (rank K, static rank required) covers dimensions `axis .. axis + K - 1` of
    `tensor`; those dimensions collapse into one of length `count_nonzero(mask)`. Built from
    Reshape, Where, Squeeze and GatherV2 as in TF, so the gradient flows to `tensor`.

    Raises:
        ValueError: `mask` is a scalar, has unknown rank, or its static shape does not match
            the covered dimensions of `tensor`.

    Example:
        >>> boolean_mask(constant([[1, 2], [3, 4], [5, 6]]), [True, False, True])
        >>> # [[1, 2], [5, 6]]
    """
    math_ops = _math()
    graph = _graph_of([tensor, mask])
    with graph.as_default(), graph.name_scope(name or "boolean_mask"):
        tensor = convert_to_tensor(tensor, name="tensor")
        mask = convert_to_tensor(mask, name="mask")
        k = mask.shape.ndims
        if k == 0:
            raise ValueError("mask cannot be scalar.")
        if k is None:
            raise ValueError("Number of mask dimensions must be specified, even if some "
                             "dimensions are None.  E.g. shape=[None] is ok, but shape=None "
                             "is not.")
        axis = 0 if axis is None else int(axis)
        ts = tensor.shape
        if ts.ndims is not None:
            ts[axis:axis + k].assert_is_compatible_with(mask.shape)
        if k > 1:
            lead = ts[axis:axis + k].num_elements() if ts.ndims is not None else None
            if ts.ndims is not None and ts.is_fully_defined():
                dims = ts.as_list()
                new_shape = _const(dims[:axis] + [lead] + dims[axis + k:], dtypes.int32)
            else:
                s = _shape_tensor(tensor)
                lead_t = math_ops.reduce_prod(s[axis:axis + k], [0])
                new_shape = apply_op("ConcatV2", s[:axis], apply_op(
                    "ExpandDims", lead_t, _const(0, dtypes.int32), name="ExpandDims"),
                    s[axis + k:], _const(0, dtypes.int32), name="concat")
            tensor = apply_op("Reshape", tensor, new_shape, name="Reshape")
            if ts.ndims is not None:
                tensor.set_shape(ts[:axis].concatenate([lead]).concatenate(ts[axis + k:]))
            mask = apply_op("Reshape", mask, _const([-1], dtypes.int32), name="Reshape_1")
        indices = apply_op("Squeeze", math_ops.where(mask), name="Squeeze", squeeze_dims=[1])
        return apply_op("GatherV2", tensor, indices, _const(axis, dtypes.int32, name="axis"),
                        name="GatherV2")


# ----- GatherV2, GatherV2Grad ------------------------------------------------------------------
def _gather_infer(op):
    params, indices, axis = op.inputs
    _check_index_dtype(op, 1)
    _check_index_dtype(op, 2)
    _check_rank(op, axis, 0)
    a = _scalar_value(axis)
    p, ind = params.shape, indices.shape
    if p.ndims is None or ind.ndims is None:
        return [(params.dtype, TensorShape(None))]
    if a is None:
        return [(params.dtype, TensorShape([None] * (p.ndims + ind.ndims - 1)))]
    r = p.ndims
    if not -r <= a < r:
        raise shape_fns.shape_error(
            op, f"Shape must be at least rank {(a if a >= 0 else -a - 1) + 1} but is rank {r}")
    a %= r
    dims = p.as_list()
    return [(params.dtype, TensorShape(dims[:a] + ind.as_list() + dims[a + 1:]))]


def _gather_axis(params, axis):
    a = int(axis.tolist())
    r = params.ndim
    if not -r <= a < r:
        raise _invalid(f"Expected axis in the range [{-r}, {r}), but got {a}")
    return a % r


@defop("GatherV2", infer=_gather_infer, cost=CHEAP, fold_at_build=True)
def _gather(xp, params, indices, axis):
    a = _gather_axis(params, axis)
    n = params.shape[a]
    bad = (indices < 0) | (indices >= n)
    if bad.any():
        pos = tuple(int(i) for i in xp.argwhere(bad)[0].tolist())
        where = ",".join(str(i) for i in pos)
        raise _invalid(f"indices[{where}] = {indices[pos].tolist()} is not in [0, {n})")
    return xp.asarray(xp.take(params, indices, axis=a))


@_gather.override("GPU")
def _gather_gpu(xp, params, indices, axis):
    """TF's GPU semantics: out-of-range indices give zeros (no device-to-host sync)."""
    a = _gather_axis(params, axis)
    n = params.shape[a]
    out_shape = params.shape[:a] + indices.shape + params.shape[a + 1:]
    if n == 0:
        return xp.zeros(out_shape, dtype=params.dtype)
    valid = (indices >= 0) & (indices < n)
    out = xp.take(params, xp.where(valid, indices, 0), axis=a)
    mask = valid.reshape((1,) * a + indices.shape + (1,) * (params.ndim - a - 1))
    return xp.where(mask, out, xp.zeros((), dtype=params.dtype))


@_gather.gradient
def _gather_grad(op, dy):
    """TF's: at axis 0 an IndexedSlices (the rows of `dy`, one per index); at another axis
    a dense scatter-add (GatherV2Grad)."""
    params, indices, axis = op.inputs
    params_shape = _shape_tensor(params)
    if _scalar_value(axis) == 0:
        tail = params.shape[1:] if params.shape.ndims else TensorShape(None)
        if indices.shape.is_fully_defined() and tail.is_fully_defined():
            n = _prod(indices.shape.as_list())
            values = reshape(dy, [n] + tail.as_list())
            flat = reshape(indices, [n])
        else:
            n = expand_dims(size(indices), 0)
            values = reshape(dy, concat([n, params_shape[1:]], 0))
            flat = reshape(indices, n)
        return [IndexedSlices(values, flat, params_shape), None, None]
    g = apply_op("GatherV2Grad", params_shape, indices, dy, axis, name="GatherV2Grad")
    return [g, None, None]


def _gather_grad_infer(op):
    shape_t, _, grad, _ = op.inputs
    _check_index_dtype(op, 0)
    _check_index_dtype(op, 1)
    _check_index_dtype(op, 3)
    return [(grad.dtype, _shape_from_dims(_shape_dims(shape_t)))]


@defop("GatherV2Grad", infer=_gather_grad_infer, cost=EXPENSIVE, node_def=NodeDefForm(
    flowexec_only=True, reason="it is flowexec's gradient helper for gathers along axis != 0 "
    "(TF's is a transposed UnsortedSegmentSum; export writes it as UnsortedSegmentSum, "
    "graph_io/lowering.py)"))
def _gather_grad_kernel(xp, params_shape, indices, grad, axis):
    """Scatter-adds `grad` (shaped like GatherV2's output) into zeros of `params_shape`."""
    shape = params_shape.tolist()
    a = int(axis.tolist())
    a = a + len(shape) if a < 0 else a
    outer, n, inner = _prod(shape[:a]), shape[a], _prod(shape[a + 1:])
    idx = indices.reshape(-1)
    g = xp.moveaxis(grad.reshape(outer, idx.size, inner), 1, 0)
    out = xp.zeros((n, outer, inner), dtype=grad.dtype)
    valid = (idx >= 0) & (idx < n)
    zero = xp.zeros((), dtype=grad.dtype)
    xp.add.at(out, xp.where(valid, idx, 0), xp.where(valid[:, None, None], g, zero))
    return xp.reshape(xp.moveaxis(out, 0, 1), shape)


@_gather_grad_kernel.gradient
def _gather_grad_grad(op, ddy):
    _, indices, _, axis = op.inputs
    return [None, None, apply_op("GatherV2", ddy, indices, axis, name="GatherV2"), None]


def gather(params, indices, validate_indices=None, name=None, axis=None, batch_dims=0):
    """Gathers slices of `params` along `axis` at `indices`.

    The output shape is `params.shape[:axis] + indices.shape + params.shape[axis + 1:]`.
    An index outside `[0, params.shape[axis])` is an InvalidArgumentError on CPU and gives
    zeros on GPU, as in TF. The gradient with respect to `params` is an `IndexedSlices` for
    axis 0 (a dense tensor for other axes), as in TF.

    Args:
        params: the Tensor to gather from.
        indices: an int32/int64 Tensor of any shape.
        validate_indices: ignored (TF compatibility).
        name: op name (default "GatherV2").
        axis: the dimension of `params` to gather along (default 0).
        batch_dims: only 0 is supported.

    Example:
        >>> gather(constant([10, 20, 30]), [2, 0, 2])  # [30, 10, 30]
    """
    del validate_indices
    if batch_dims != 0:
        raise ValueError("gather: only batch_dims=0 is supported")
    name = name or "GatherV2"
    with name_scope(name, values=_leaves([params, indices, axis])) as scope:
        params = convert_to_tensor(params, name="params")
        indices = _int_tensor(indices, "indices")
        axis = _int_tensor(0 if axis is None else axis, "axis")
        return apply_op("GatherV2", params, indices, axis, name=scope)


# ----- GatherNd, ScatterNd ---------------------------------------------------------------------
def _gather_nd_infer(op):
    params, indices = op.inputs
    _check_index_dtype(op, 1)
    p, ind = params.shape, indices.shape
    if ind.ndims == 0:
        raise shape_fns.shape_error(op, "Shape must be at least rank 1 but is rank 0")
    if p.ndims is None or ind.ndims is None or ind[-1] is None:
        return [(params.dtype, TensorShape(None))]
    k = ind[-1]
    if k > p.ndims:
        raise shape_fns.shape_error(
            op, f"indices.shape[-1] must be <= params.rank, but saw indices shape: "
                f"{ind.proto_str()} and params shape: {p.proto_str()}")
    return [(params.dtype, TensorShape(ind.as_list()[:-1] + p.as_list()[k:]))]


def _nd_index(xp, indices, shape, what):
    """The numpy index of the last axis of `indices` into `shape`, checked as TF does."""
    k = indices.shape[-1]
    if k > len(shape):
        raise _invalid(f"indices.shape[-1] must be <= params.rank, but saw indices shape: "
                       f"{_dims_str(indices.shape)} and params shape: {_dims_str(shape)}")
    if what is not None and indices.size:
        limit = xp.asarray(list(shape[:k]), dtype=indices.dtype)
        bad = ((indices < 0) | (indices >= limit)).any(axis=-1)
        if bad.any():
            pos = tuple(int(i) for i in xp.argwhere(bad)[0].tolist())
            where = ",".join(str(i) for i in pos)
            values = ", ".join(str(v) for v in indices[pos].tolist())
            raise _invalid(f"indices[{where}] = [{values}] does not index into {what} "
                           f"{_dims_str(shape)}")
    return tuple(indices[..., i] for i in _pyrange(k))


@defop("GatherNd", infer=_gather_nd_infer, cost=CHEAP)
def _gather_nd(xp, params, indices):
    index = _nd_index(xp, indices, params.shape, "param shape")
    out_shape = indices.shape[:-1] + params.shape[indices.shape[-1]:]
    if not index:
        return xp.broadcast_to(params, out_shape).copy()
    return xp.asarray(params[index])


@_gather_nd.override("GPU")
def _gather_nd_gpu(xp, params, indices):
    """TF's GPU semantics: out-of-range index vectors give zeros (no device-to-host sync)."""
    k = indices.shape[-1]
    out_shape = indices.shape[:-1] + params.shape[k:]
    if not k or any(d == 0 for d in params.shape[:k]):
        if k:
            return xp.zeros(out_shape, dtype=params.dtype)
        return xp.broadcast_to(params, out_shape).copy()
    limit = xp.asarray(list(params.shape[:k]), dtype=indices.dtype)
    valid = ((indices >= 0) & (indices < limit)).all(axis=-1)
    safe = xp.where(valid[..., None], indices, 0)
    out = params[tuple(safe[..., i] for i in _pyrange(k))]
    mask = valid.reshape(valid.shape + (1,) * (params.ndim - k))
    return xp.where(mask, out, xp.zeros((), dtype=params.dtype))


@_gather_nd.gradient
def _gather_nd_grad(op, dy):
    params, indices = op.inputs
    shape_t = _shape_tensor(params, indices.dtype)
    return [apply_op("ScatterNd", indices, dy, shape_t, name="ScatterNd"), None]


def _scatter_nd_infer(op):
    indices, updates, shape_t = op.inputs
    _check_index_dtype(op, 0)
    _check_same(op, shape_t, indices, "shape", "indices")
    _check_rank(op, shape_t, 1)
    out = _shape_from_dims(_shape_dims(shape_t))
    ind, upd = indices.shape, updates.shape
    if out.ndims is not None and ind.ndims is not None and ind[-1] is not None:
        want = TensorShape(ind.as_list()[:-1] + out.as_list()[ind[-1]:]) if (
            ind[-1] <= out.ndims) else None
        if want is None or not want.is_compatible_with(upd):
            raise shape_fns.shape_error(
                op, f"The outer {ind.ndims - 1} dimensions of indices.shape="
                    f"{ind.proto_str()} must match the outer {ind.ndims - 1} dimensions of "
                    f"updates.shape={upd.proto_str()} and the inner dimensions of shape="
                    f"{out.proto_str()}")
    return [(updates.dtype, out)]


@defop("ScatterNd", infer=_scatter_nd_infer, cost=EXPENSIVE)
def _scatter_nd(xp, indices, updates, shape):
    """Sums `updates` into zeros of `shape` at the index vectors of `indices`."""
    dims = tuple(shape.tolist())
    k = indices.shape[-1]
    want = indices.shape[:-1] + dims[k:]
    if updates.shape != want:
        raise _invalid(f"Must have updates.shape = indices.shape[:-1] + shape[K:], got "
                       f"updates.shape {_dims_str(updates.shape)}, indices.shape "
                       f"{_dims_str(indices.shape)}, shape: {_dims_str(dims)}")
    out = xp.zeros(dims, dtype=updates.dtype)
    if not k:
        out += updates.reshape((-1,) + dims).sum(axis=0, dtype=updates.dtype)
        return out
    index = _nd_index(xp, indices, dims, "shape")
    xp.add.at(out, index, updates)
    return out


@_scatter_nd.override("GPU")
def _scatter_nd_gpu(xp, indices, updates, shape):
    """As TF on GPU: index vectors out of range are ignored (no device-to-host sync)."""
    dims = tuple(shape.tolist())
    k = indices.shape[-1]
    out = xp.zeros(dims, dtype=updates.dtype)
    if not k or any(d == 0 for d in dims[:k]):
        if not k:
            out += updates.reshape((-1,) + dims).sum(axis=0, dtype=updates.dtype)
        return out
    limit = xp.asarray(list(dims[:k]), dtype=indices.dtype)
    valid = ((indices >= 0) & (indices < limit)).all(axis=-1)
    safe = xp.where(valid[..., None], indices, 0)
    mask = valid.reshape(valid.shape + (1,) * (len(dims) - k))
    xp.add.at(out, tuple(safe[..., i] for i in _pyrange(k)),
              xp.where(mask, updates, xp.zeros((), dtype=updates.dtype)))
    return out


@_scatter_nd.gradient
def _scatter_nd_grad(op, ddy):
    indices = op.inputs[0]
    return [None, apply_op("GatherNd", ddy, indices, name="GatherNd"), None]


def gather_nd(params, indices, name=None, batch_dims=0):
    """Gathers slices of `params` addressed by the index vectors in the last axis of `indices`.

    The output shape is `indices.shape[:-1] + params.shape[indices.shape[-1]:]`. An index
    vector out of range is an InvalidArgumentError on CPU and gives zeros on GPU, as in TF.
    The gradient with respect to `params` is dense (ScatterNd), where TF gives IndexedSlices.

    Example:
        >>> gather_nd(constant([[1, 2], [3, 4]]), [[1, 0], [0, 1]])  # [3, 2]
        >>> gather_nd(constant([[1, 2], [3, 4]]), [[1]])            # [[3, 4]]
    """
    if batch_dims != 0:
        raise ValueError("gather_nd: only batch_dims=0 is supported")
    name = name or "GatherNd"
    with name_scope(name, values=_leaves([params, indices])) as scope:
        params = convert_to_tensor(params, name="params")
        indices = _int_tensor(indices, "indices")
        return apply_op("GatherNd", params, indices, name=scope)


def scatter_nd(indices, updates, shape, name=None):
    """Zeros of `shape` with `updates` summed in at the index vectors of `indices`.

    `updates.shape` must be `indices.shape[:-1] + shape[indices.shape[-1]:]`; repeated
    index vectors add up.

    Example:
        >>> scatter_nd([[4], [3], [1], [7]], [9, 10, 11, 12], [8])
        >>> # [0, 11, 0, 10, 9, 0, 0, 12]
    """
    name = name or "ScatterNd"
    with name_scope(name, values=_leaves([indices, updates, shape])) as scope:
        indices = _int_tensor(indices, "indices")
        updates = convert_to_tensor(updates, name="updates")
        if _contains_tensor(shape) or isinstance(shape, TensorShape):
            shape_t = _int_tensor(shape, "shape")
        else:
            shape_t = convert_to_tensor(np.asarray(shape, dtype=indices.dtype.np),
                                        name="shape")
        return apply_op("ScatterNd", indices, updates, shape_t, name=scope)


def sequence_mask(lengths, maxlen=None, dtype=dtypes.bool, name=None):
    """`mask[i, j] = j < lengths[i]`: a mask of the first `lengths[i]` positions per row.

    Args:
        lengths: int Tensor of any shape.
        maxlen: the size of the new last dimension (default: `max(lengths)`).
        dtype: output dtype (default bool; others through Cast).
        name: name scope (default "SequenceMask").

    Example:
        >>> sequence_mask([1, 3, 2], 5)
        >>> # [[True, False, False, False, False], [True, True, True, False, False],
        >>> #  [True, True, False, False, False]]
    """
    math_ops = _math()
    graph = _graph_of([lengths, maxlen])
    with graph.as_default(), graph.name_scope(name or "SequenceMask"):
        lengths = convert_to_tensor(lengths, name="lengths")
        if maxlen is None:
            maxlen = math_ops.reduce_max(lengths)
            maxlen = math_ops.maximum(_const(0, maxlen.dtype), maxlen)
        else:
            maxlen = convert_to_tensor(maxlen, name="maxlen")
        if maxlen.shape.ndims not in (None, 0):
            raise ValueError("maxlen must be scalar for sequence_mask")
        row = apply_op("Range", _const(0, maxlen.dtype), maxlen, _const(1, maxlen.dtype),
                       name="Range")
        col = apply_op("ExpandDims", lengths, _const(-1, dtypes.int32), name="ExpandDims")
        if col.dtype is not maxlen.dtype:
            col = math_ops.cast(col, maxlen.dtype)
        result = math_ops.less(row, col)
        dtype = dtypes.as_dtype(dtype)
        return result if dtype is dtypes.bool else math_ops.cast(result, dtype)


# ----- OneHot ----------------------------------------------------------------------------------
def _one_hot_infer(op):
    indices, depth, on_value, off_value = op.inputs
    _check_index_dtype(op, 0, _ONE_HOT_INDEX_TYPES)
    if depth.dtype is not dtypes.int32:
        raise TypeError(f"Input 'depth' of 'OneHot' Op has type {depth.dtype.name} that does "
                        "not match expected type of int32.")
    _check_same(op, off_value, on_value, "off_value", "on_value")
    for t in (depth, on_value, off_value):
        _check_rank(op, t, 0)
    axis = op.attrs["axis"]
    r = indices.shape.ndims
    if axis < -1 or (r is not None and axis > r):
        raise shape_fns.shape_error(
            op, f"Expected axis to be -1 or between [0, {r + 1}).  But received: {axis}")
    if r is None:
        return [(on_value.dtype, TensorShape(None))]
    d = _scalar_value(depth)
    if d is not None and d < 0:
        raise shape_fns.shape_error(op, f"depth must be non-negative, got: {d}")
    dims = indices.shape.as_list()
    dims.insert(r if axis == -1 else axis, d)
    return [(on_value.dtype, TensorShape(dims))]


@defop("OneHot", infer=_one_hot_infer, cost=CHEAP)
def _one_hot(xp, indices, depth, on_value, off_value, *, axis):
    d = int(depth.tolist())
    if d < 0:
        raise _invalid(f"depth must be non-negative, got: {d}")
    r = indices.ndim
    a = r if axis == -1 else axis
    shape = [1] * (r + 1)
    shape[a] = d
    hot = xp.expand_dims(indices, a) == xp.arange(d).reshape(shape)
    return xp.where(hot, on_value, off_value)


_one_hot.not_differentiable()


def one_hot(indices, depth, on_value=None, off_value=None, axis=None, dtype=None, name=None):
    """One-hot encoding: `on_value` where `indices` point, `off_value` elsewhere.

    Args:
        indices: uint8/int32/int64 Tensor; indices outside `[0, depth)` give all-off rows.
        depth: the size of the new dimension.
        on_value, off_value: scalars (default 1 and 0) of the output dtype.
        axis: where the new dimension goes (default -1: last).
        dtype: output dtype (default: that of on_value/off_value, else float32).
        name: op name.

    Raises:
        TypeError: on_value, off_value and dtype disagree.

    Example:
        >>> one_hot([0, 2, -1], 3)  # [[1., 0., 0.], [0., 0., 1.], [0., 0., 0.]]
    """
    name = name or "one_hot"
    with name_scope(name, values=_leaves([indices, depth, on_value, off_value])) as scope:
        indices = convert_to_tensor(indices, name="indices")
        if dtype is not None:
            dtype = dtypes.as_dtype(dtype)
        given = [(v, n) for v, n in ((on_value, "on_value"), (off_value, "off_value"))
                 if v is not None]
        if dtype is None:
            for v, _ in given:
                dtype = _value_dtype(v)
                break
        dtype = dtype or dtypes.float32
        for v, n in given:
            if isinstance(v, Tensor) and v.dtype is not dtype:
                raise TypeError(f"dtype {v.dtype.name} of {n} does not match dtype parameter "
                                f"{dtype.name}")
        on_value = convert_to_tensor(1 if on_value is None else on_value, dtype=dtype,
                                     name="on_value")
        off_value = convert_to_tensor(0 if off_value is None else off_value, dtype=dtype,
                                      name="off_value")
        depth = convert_to_tensor(depth, dtype=dtypes.int32, name="depth")
        return apply_op("OneHot", indices, depth, on_value, off_value, name=scope,
                        axis=-1 if axis is None else int(axis))


# ----- Fill, ZerosLike, OnesLike, zeros, ones --------------------------------------------------
def _fill_infer(op):
    dims_t, value = op.inputs
    _check_index_dtype(op, 0)
    _check_rank(op, dims_t, 1)
    _check_rank(op, value, 0)
    dims = _shape_dims(dims_t)
    if dims is not None:
        for d in dims:
            if d is not None and d < 0:
                raise shape_fns.shape_error(op, f"Dimension {d} must be >= 0")
    return [(value.dtype, _shape_from_dims(dims))]


@defop("Fill", infer=_fill_infer, cost=CHEAP, fold_at_build=True)
def _fill(xp, dims, value):
    if dims.ndim != 1:
        raise _invalid(f"dims must be a vector, got shape {_dims_str(dims.shape)}")
    if value.ndim != 0:
        raise _invalid(f"value must be a scalar, got shape {_dims_str(value.shape)}")
    shape = dims.tolist()
    for d in shape:
        if d < 0:
            raise _invalid(f"Dimension {d} must be >= 0")
    out = xp.empty(shape, dtype=value.dtype)
    out[...] = value
    return out


@_fill.gradient
def _fill_grad(op, dy):
    return [None, _math().reduce_sum(dy)]


def fill(dims, value, name=None):
    """A tensor of shape `dims` whose every element is the scalar `value`.

    Example:
        >>> fill([2, 3], 9)  # [[9, 9, 9], [9, 9, 9]]
    """
    name = name or "Fill"
    with name_scope(name, values=_leaves([dims, value])) as scope:
        dims = _int_tensor(dims, "dims")
        value = convert_to_tensor(value, name="value")
        return apply_op("Fill", dims, value, name=scope)


@defop("ZerosLike", infer=shape_fns.unchanged, cost=CHEAP)
def _zeros_like(xp, x):
    if isinstance(x, TensorListValue):  # TF's variant ZerosLike: a list of zeros
        return x.zeros_like()
    return xp.zeros_like(x)


@defop("OnesLike", infer=shape_fns.unchanged, cost=CHEAP)
def _ones_like(xp, x):
    return xp.ones_like(x)


_zeros_like.not_differentiable()
_ones_like.not_differentiable()


def _filled(shape, dtype, value, name):
    """TF1's zeros()/ones(): a Const when the shape is static and small, else a Fill."""
    dtype = dtypes.as_dtype(dtype)
    if dtype is dtypes.string:
        fill_value = "" if value == 0 else value
    else:
        fill_value = np.asarray(value).astype(dtype.np)
    dims = None
    if not _contains_tensor(shape) and not _is_tensor_like(shape):
        try:
            dims = (shape.as_list() if isinstance(shape, TensorShape) else
                    [int(d) for d in np.ravel(np.asarray(shape, dtype=np.int64))])
        except (TypeError, ValueError):
            dims = None
    if dims is not None and None not in dims and _prod(dims) < _SMALL_CONSTANT:
        return constant_op.constant(np.full(dims, fill_value, dtype=dtype.np), dtype=dtype,
                                    name=name)
    with name_scope(name, values=_leaves([shape])) as scope:
        shape = _int_tensor(shape, "shape_as_tensor")
        if shape.shape.ndims == 0:
            shape = apply_op("Reshape", shape, _const([-1], dtypes.int32), name="Reshape")
        value_t = constant_op.constant(fill_value, dtype=dtype, name="Const")
        return apply_op("Fill", shape, value_t, name=scope)


def zeros(shape, dtype=dtypes.float32, name=None):
    """A tensor of `shape` (list, TensorShape or 1-D int Tensor) filled with zeros.

    Example:
        >>> zeros([3, 4], tf.int32)  # [[0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]]
    """
    return _filled(shape, dtype, False if dtypes.as_dtype(dtype) is dtypes.bool else 0,
                   name or "zeros")


def ones(shape, dtype=dtypes.float32, name=None):
    """A tensor of `shape` (list, TensorShape or 1-D int Tensor) filled with ones.

    Example:
        >>> ones([2, 3], tf.int32)  # [[1, 1, 1], [1, 1, 1]]
    """
    return _filled(shape, dtype, True if dtypes.as_dtype(dtype) is dtypes.bool else 1,
                   name or "ones")


def _filled_like(tensor, dtype, name, optimize, value, op_type):
    with name_scope(name, values=_leaves([tensor])) as scope:
        tensor = convert_to_tensor(tensor, name="tensor")
        dtype = tensor.dtype if dtype is None else dtypes.as_dtype(dtype)
        # a variant (a list) has no constant form: its ZerosLike is a list of zeros
        static = optimize and tensor.shape.is_fully_defined() and dtype.is_numpy_compatible
        if not static and dtype is not tensor.dtype:
            shape_t = apply_op("Shape", tensor, name="Shape", out_type=dtypes.int32)
        if static:
            return _filled(tensor.shape.as_list(), dtype, value, scope)
        if dtype is tensor.dtype:
            return apply_op(op_type, tensor, name=scope)
        out = _filled(shape_t, dtype, value, scope)
        out.set_shape(tensor.shape)
        return out


def zeros_like(tensor, dtype=None, name=None, optimize=True):
    """A tensor of zeros with the shape of `tensor` (and its dtype, unless `dtype` is given).

    With `optimize` and a fully defined static shape the result is a constant; otherwise the
    shape is read at run time (ZerosLike op).

    Example:
        >>> zeros_like(constant([[1, 2, 3], [4, 5, 6]]))  # [[0, 0, 0], [0, 0, 0]]
    """
    return _filled_like(tensor, dtype, name or "zeros_like", optimize, 0, "ZerosLike")


def ones_like(tensor, dtype=None, name=None, optimize=True):
    """A tensor of ones with the shape of `tensor` (and its dtype, unless `dtype` is given).

    With `optimize` and a fully defined static shape the result is a constant; otherwise the
    shape is read at run time (OnesLike op).

    Example:
        >>> ones_like(constant([[1, 2, 3], [4, 5, 6]]))  # [[1, 1, 1], [1, 1, 1]]
    """
    return _filled_like(tensor, dtype, name or "ones_like", optimize, 1, "OnesLike")


# ----- Shape, Size, Rank -----------------------------------------------------------------------
def _out_type_infer(shape_fn):
    def infer(op):
        out_type = op.attrs["out_type"]
        if out_type not in INDEX_TYPES:
            raise TypeError(f"Value for attr 'out_type' of {out_type.name} is not in the list "
                            "of allowed values: int32, int64")
        return [(out_type, shape_fn(op.inputs[0]))]
    return infer


def _shape_value(op):
    s = op.inputs[0].shape
    if not s.is_fully_defined():
        return None
    return np.asarray(s.as_list(), dtype=op.attrs["out_type"].np)


def _size_value(op):
    n = op.inputs[0].shape.num_elements()
    return None if n is None else np.asarray(n, dtype=op.attrs["out_type"].np)


def _rank_value(op):
    r = op.inputs[0].shape.ndims
    return None if r is None else np.asarray(r, dtype=np.int32)



@defop("Shape", infer=_out_type_infer(lambda x: TensorShape([x.shape.ndims])), cost=CHEAP,
       static_value=_shape_value)
def _shape(xp, input, *, out_type):
    return xp.asarray(input.shape, dtype=out_type.np)


@defop("Size", infer=_out_type_infer(lambda x: TensorShape(())), cost=CHEAP,
       static_value=_size_value)
def _size(xp, input, *, out_type):
    return xp.asarray(input.size, dtype=out_type.np)


@defop("Rank", infer=lambda op: [(dtypes.int32, TensorShape(()))], cost=CHEAP,
       static_value=_rank_value)
def _rank(xp, input):
    return xp.asarray(input.ndim, dtype=dtypes.int32.np)


for _od in (_shape, _size, _rank):
    _od.not_differentiable()




def shape(input, name=None, out_type=dtypes.int32):
    """The shape of `input` as a 1-D int Tensor (a constant when statically known, as TF1).

    Example:
        >>> shape(constant([[1, 2, 3], [4, 5, 6]]))  # [2, 3]
    """
    name = name or "Shape"
    out_type = dtypes.as_dtype(out_type)
    with name_scope(name, values=_leaves([input])) as scope:
        input = convert_to_tensor(input, name="input")
        if input.shape.is_fully_defined():
            return _const(input.shape.as_list(), out_type, name=scope)
        return apply_op("Shape", input, name=scope, out_type=out_type)


def size(input, name=None, out_type=dtypes.int32):
    """The number of elements of `input` as a scalar int Tensor.

    Example:
        >>> size(constant([[1, 2, 3], [4, 5, 6]]))  # 6
    """
    name = name or "Size"
    out_type = dtypes.as_dtype(out_type)
    with name_scope(name, values=_leaves([input])) as scope:
        input = convert_to_tensor(input, name="input")
        if input.shape.is_fully_defined():
            return _const(input.shape.num_elements(), out_type, name=scope)
        return apply_op("Size", input, name=scope, out_type=out_type)


def rank(input, name=None):
    """The number of dimensions of `input` as a scalar int32 Tensor.

    Example:
        >>> rank(zeros([2, 2, 3]))  # 3
    """
    name = name or "Rank"
    with name_scope(name, values=_leaves([input])) as scope:
        input = convert_to_tensor(input, name="input")
        if input.shape.ndims is not None:
            return _const(input.shape.ndims, dtypes.int32, name=scope)
        return apply_op("Rank", input, name=scope)


# ----- Range -----------------------------------------------------------------------------------
def _range_infer(op):
    start, limit, delta = op.inputs
    _check_index_dtype(op, 0, _RANGE_TYPES)
    _check_same(op, limit, start, "limit", "start")
    _check_same(op, delta, start, "delta", "start")
    for t in op.inputs:
        _check_rank(op, t, 0)
    vals = _values(op)
    if vals is None:
        return [(start.dtype, TensorShape([None]))]
    s, lim, d = (v.item() for v in vals)
    if d == 0:
        raise shape_fns.shape_error(op, f"Requires delta != 0: {d}")
    if d > 0 and s > lim:
        raise shape_fns.shape_error(op, f"Requires start <= limit when delta > 0: {s}/{lim}")
    if d < 0 and s < lim:
        raise shape_fns.shape_error(op, f"Requires start >= limit when delta < 0: {s}/{lim}")
    return [(start.dtype, TensorShape([_range_size(s, lim, d, start.dtype)]))]


def _range_size(s, lim, d, dtype):
    if dtype.is_integer:
        return (abs(lim - s) + abs(d) - 1) // abs(d)
    return int(np.ceil(abs((lim - s) / d)))


@defop("Range", infer=_range_infer, cost=CHEAP, fold_at_build=True)
def _range(xp, start, limit, delta):
    s, lim, d = start.tolist(), limit.tolist(), delta.tolist()
    if d == 0:
        raise _invalid(f"Requires delta != 0: {d}")
    if d > 0 and s > lim:
        raise _invalid(f"Requires start <= limit when delta > 0: {s}/{lim}")
    if d < 0 and s < lim:
        raise _invalid(f"Requires start >= limit when delta < 0: {s}/{lim}")
    return xp.arange(s, lim, d, dtype=start.dtype)


_range.not_differentiable()


_RANGE_HIERARCHY = (dtypes.int32, dtypes.int64, dtypes.float32, dtypes.float64)


def range(start, limit=None, delta=1, dtype=None, name="range"):
    """The sequence `start, start + delta, ...` up to but excluding `limit`.

    Args:
        start: first value; with `limit` None, the limit (and start is 0).
        limit: bound (exclusive).
        delta: increment (default 1; may be negative, not 0).
        dtype: result type; default: the widest of the arguments' types in
            int32 < int64 < float32 < float64 (Python ints are int32, floats float32).
        name: op name.

    Example:
        >>> range(3, 18, 3)  # [3, 6, 9, 12, 15]
        >>> range(5)         # [0, 1, 2, 3, 4]
    """
    if limit is None:
        start, limit = 0, start
    name = name or "range"
    args = (start, limit, delta)
    with name_scope(name, values=_leaves(list(args))) as scope:
        if dtype is not None:
            dtype = dtypes.as_dtype(dtype)
        else:
            kinds = [_value_dtype(a) for a in args]
            if all(k in _RANGE_HIERARCHY for k in kinds):
                dtype = max(kinds, key=_RANGE_HIERARCHY.index)
            else:
                dtype = kinds[0]
        out = []
        for a, nm in zip(args, ("start", "limit", "delta")):
            if isinstance(a, Tensor):
                out.append(a if a.dtype is dtype else _math().cast(a, dtype))
            else:
                out.append(convert_to_tensor(a, dtype=dtype, name=nm))
        return apply_op("Range", *out, name=scope)


# ----- BroadcastTo -----------------------------------------------------------------------------
def _broadcast_to_infer(op):
    x, shape_t = op.inputs
    _check_index_dtype(op, 1)
    _check_rank(op, shape_t, 1)
    dims = _shape_dims(shape_t)
    if dims is None:
        return [(x.dtype, TensorShape(None))]
    out = [None if d is None or d < 0 else d for d in dims]
    if x.shape.ndims is not None:
        if x.shape.ndims > len(out):
            raise shape_fns.shape_error(
                op, f"Rank of input ({x.shape.ndims}) must be no greater than rank of output "
                    f"shape ({len(out)}).")
        for xd, od in zip(x.shape.as_list()[::-1], out[::-1]):
            if xd is not None and od is not None and xd not in (1, od):
                raise shape_fns.shape_error(
                    op, f"Dimensions must be equal, but are {xd} and {od}")
    return [(x.dtype, TensorShape(out))]


@defop("BroadcastTo", infer=_broadcast_to_infer, cost=CHEAP)
def _broadcast_to(xp, input, shape):
    dims = shape.tolist()
    ok = input.ndim <= len(dims) and all(
        xd in (1, od) for xd, od in zip(input.shape[::-1], dims[::-1]))
    if not ok:
        raise _invalid(f"Unable to broadcast tensor of shape {_dims_str(input.shape)} to tensor "
                       f"of shape {_dims_str(dims)}")
    return xp.broadcast_to(input, dims).copy()


@_broadcast_to.gradient
def _broadcast_to_grad(op, dy):
    """Broadcasting is tiling a reshaped input: sum the tiles back (see Tile's gradient)."""
    x, shape_t = op.inputs
    y = op.outputs[0]
    rx, ry = x.shape.ndims, y.shape.ndims
    if x.shape.is_fully_defined() and y.shape.is_fully_defined():
        xd = [1] * (ry - rx) + x.shape.as_list()
        axes = [i for i, (a, b) in enumerate(zip(xd, y.shape.as_list())) if a == 1 and b != 1]
        g = _math().reduce_sum(dy, _const(axes, dtypes.int32, name="axes")) if axes else dy
        return [_reshape_to(g, x), None]
    if rx is None or ry is None:
        raise ValueError(f"The gradient of BroadcastTo '{op.name}' needs the ranks of its "
                         "input and output")
    x_shape = _shape_tensor(x, shape_t.dtype)
    if ry > rx:
        x_shape = apply_op("ConcatV2", _const([1] * (ry - rx), shape_t.dtype), x_shape,
                           _const(0, dtypes.int32), name="padded_shape")
    multiples = _shape_tensor(y, shape_t.dtype) // x_shape
    g = _sum_interleaved(dy, multiples, x_shape, ry)
    return [_reshape_to(g, x), None]


def broadcast_to(input, shape, name=None):
    """Broadcasts `input` to `shape` with numpy's rules (the result is materialized).

    Example:
        >>> broadcast_to(constant([1, 2, 3]), [2, 3])  # [[1, 2, 3], [1, 2, 3]]
    """
    name = name or "BroadcastTo"
    with name_scope(name, values=_leaves([input, shape])) as scope:
        input = convert_to_tensor(input, name="input")
        shape = _int_tensor(shape, "shape")
        return apply_op("BroadcastTo", input, shape, name=scope)


# ----- ReverseV2 -------------------------------------------------------------------------------
def _reverse_infer(op):
    x, axis = op.inputs
    _check_index_dtype(op, 1)
    _check_rank(op, axis, 1)
    a = shape_fns.constant_value(axis)
    r = x.shape.ndims
    if a is not None and r is not None:
        seen = set()
        for i, d in enumerate(np.ravel(a).tolist()):
            if not -r <= d < r:
                raise shape_fns.shape_error(
                    op, f"'axis'[{i}] = {d} is out of valid range [0, {r - 1}]")
            if d % r in seen:
                raise shape_fns.shape_error(op, f"axis {d % r} specified more than once.")
            seen.add(d % r)
    return [(x.dtype, x.shape)]


@defop("ReverseV2", infer=_reverse_infer, cost=CHEAP)
def _reverse_v2(xp, tensor, axis):
    r = tensor.ndim
    axes = []
    for i, d in enumerate(axis.tolist()):
        if not -r <= d < r:
            raise _invalid(f"'axis'[{i}] = {d} is out of valid range [0, {r - 1}]")
        if d % r in axes:
            raise _invalid(f"axis {d % r} specified more than once.")
        axes.append(d % r)
    return xp.asarray(xp.flip(tensor, axis=tuple(axes)))


@_reverse_v2.gradient
def _reverse_v2_grad(op, dy):
    return [apply_op("ReverseV2", dy, op.inputs[1], name="ReverseV2"), None]


def reverse(tensor, axis, name=None):
    """Reverses `tensor` along each dimension in the 1-D list `axis`.

    Example:
        >>> reverse(constant([[1, 2], [3, 4]]), [1])  # [[2, 1], [4, 3]]
    """
    name = name or "ReverseV2"
    with name_scope(name, values=_leaves([tensor, axis])) as scope:
        tensor = convert_to_tensor(tensor, name="tensor")
        axis = _int_tensor(axis, "axis")
        return apply_op("ReverseV2", tensor, axis, name=scope)


reverse_v2 = reverse


__all__ = [
    "boolean_mask", "broadcast_to", "concat", "expand_dims", "fill", "gather", "gather_nd",
    "invert_permutation", "newaxis", "one_hot", "ones", "ones_like", "pad", "range", "rank",
    "reshape", "reverse", "reverse_v2", "scatter_nd", "sequence_mask", "shape", "size",
    "slice", "split", "squeeze", "stack", "strided_slice", "tile", "transpose", "unstack",
    "zeros", "zeros_like",
]
