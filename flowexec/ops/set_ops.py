"""Set operations along the last dimension (TF's set_ops): `tf.sets.union`,
`intersection`, `difference` and `size`.

A rank-n input (a dense Tensor, or a SparseTensor with row-major indices) holds one set per
index of its first n-1 dimensions, "the group": a dense row's set is every value of its
last dimension, a sparse group's the values present. Two inputs' group shapes must match.
The result is a SparseTensor of the same rank: each group's result set sorted ascending
(strings by their bytes) at positions 0.. of the last dimension, whose size is the largest
result set; empty groups have no entries.

Ops: DenseToDenseSetOperation, DenseToSparseSetOperation, SparseToSparseSetOperation
(attr `set_operation`: "a-b", "b-a", "intersection" or "union"; a sparse-dense pair is
flipped to dense-sparse by the Python functions, as TF does) and SetSize (int32 counts,
shaped as the group). They run on the host and are not differentiable.
"""

import numpy as np

from flowexec.framework import dtypes, errors
from flowexec.framework.registry import apply_op, defop
from flowexec.framework.sparse_tensor import SparseTensor, convert_to_tensor_or_sparse_tensor
from flowexec.framework.tensor_shape import TensorShape, unknown_shape
from flowexec.ops import shape_fns

__all__ = ["set_difference", "set_intersection", "set_size", "set_union"]

_HOST = ("CPU",)
_VALID_DTYPES = frozenset([dtypes.int8, dtypes.int16, dtypes.int32, dtypes.int64,
                           dtypes.uint8, dtypes.uint16, dtypes.string])
_OPERATIONS = ("a-b", "b-a", "intersection", "union")


def _dtype_names():
    return "frozenset({" + ", ".join(f"tf.{d.name}" for d in sorted(
        _VALID_DTYPES, key=lambda d: d.name)) + "})"


def _shape_text(dims):
    return "[" + ",".join(str(int(d)) for d in dims) + "]"


# ----- the sets of an input ------------------------------------------------------------------
def _dense_groups(x):
    """(group shape, [set of each group in row-major order]) of a dense array."""
    x = np.asarray(x)
    if x.ndim < 2:
        raise errors.InvalidArgumentError(
            None, None, f"Invalid rank {x.ndim}.")
    group = x.shape[:-1]
    rows = x.reshape(-1, x.shape[-1]) if x.size or x.shape[-1] else \
        np.empty((int(np.prod(group)), 0), x.dtype)
    return group, [set(row.tolist()) for row in rows]


def _validate(indices, shape):
    """TF's SparseTensor::IndicesValid: in bounds, in row-major order, not repeated."""
    for i, row in enumerate(indices):
        if np.any(row < 0) or np.any(row >= shape):
            raise errors.InvalidArgumentError(
                None, None, f"indices[{i}] = {_shape_text(row)} is out of bounds: need "
                            f"0 <= index < {_shape_text(shape)}")
        if i:
            prev = tuple(indices[i - 1].tolist())
            here = tuple(row.tolist())
            if here < prev:
                raise errors.InvalidArgumentError(
                    None, None, f"indices[{i}] = {_shape_text(row)} is out of order. Many "
                                "sparse ops require sorted indices.\n    Use "
                                "`tf.sparse.reorder` to create a correctly ordered copy.\n\n")
            if here == prev:
                raise errors.InvalidArgumentError(
                    None, None, f"indices[{i}] = {_shape_text(row)} is repeated")


def _sparse_groups(indices, values, shape, validate):
    """(group shape, [set of each group]) of a SparseTensor's components."""
    indices = np.asarray(indices, np.int64)
    shape = np.asarray(shape, np.int64)
    values = np.asarray(values)
    if indices.ndim != 2 or values.ndim != 1 or shape.ndim != 1 or \
            indices.shape[0] != values.shape[0] or indices.shape[1] != shape.shape[0]:
        raise errors.InvalidArgumentError(
            None, None, f"Invalid sparse tensor: indices {_shape_text(indices.shape)}, values "
                        f"{_shape_text(values.shape)}, shape {_shape_text(shape.shape)}")
    if shape.shape[0] < 2:
        raise errors.InvalidArgumentError(None, None, f"Invalid rank {shape.shape[0]}.")
    if validate:
        _validate(indices, shape)
    group = tuple(int(d) for d in shape[:-1])
    sets = [set() for _ in range(int(np.prod(group)))]
    if indices.shape[0]:
        flat = np.ravel_multi_index(tuple(indices[:, :-1].T), group)
        for g, v in zip(flat.tolist(), values.tolist()):
            sets[g].add(v)
    return group, sets


def _check_groups(a, b):
    if tuple(a) != tuple(b):
        raise errors.InvalidArgumentError(
            None, None, f"Mismatched shapes {_shape_text(a)} vs {_shape_text(b)}")


def _combine(group, sets_a, sets_b, operation, dtype):
    """The result SparseTensor's (indices, values, dense_shape) arrays."""
    if operation not in _OPERATIONS:
        raise errors.InvalidArgumentError(None, None, f"Invalid set_operation {operation}.")
    rank = len(group) + 1
    rows, values, widest = [], [], 0
    for g, (a, b) in enumerate(zip(sets_a, sets_b)):
        if operation == "union":
            out = a | b
        elif operation == "intersection":
            out = a & b
        else:
            out = a - b if operation == "a-b" else b - a
        if not out:
            continue
        out = sorted(out)
        widest = max(widest, len(out))
        where = np.unravel_index(g, group) if group else ()
        rows.extend([*map(int, where), j] for j in range(len(out)))
        values.extend(out)
    indices = np.array(rows, np.int64).reshape(-1, rank)
    if dtype == dtypes.string:
        out_values = np.empty(len(values), object)
        out_values[:] = values
    else:
        out_values = np.array(values, dtype=dtype.np)
    return indices, out_values, np.array([*group, widest], np.int64)


# ----- shape inference -----------------------------------------------------------------------
def _result_specs(op, rank):
    dtype = op.attrs["T"]
    rows = TensorShape([None, rank])
    return [(dtypes.int64, rows), (dtype, TensorShape([None])),
            (dtypes.int64, TensorShape([rank]))]


def _at_least_rank2(op, shape):
    if shape.ndims is not None and shape.ndims < 2:
        raise shape_fns.shape_error(op, f"Shape must be at least rank 2 but is rank "
                                        f"{shape.ndims}")


def _dense_dense_infer(op):
    a, b = op.inputs[0].shape, op.inputs[1].shape
    _at_least_rank2(op, a)
    _at_least_rank2(op, b)
    if a.ndims is not None and b.ndims is not None:
        if a.ndims != b.ndims:
            raise shape_fns.shape_error(op, f"Shape must be rank {a.ndims} but is rank "
                                            f"{b.ndims}")
        ga, gb = a.dims[:-1], b.dims[:-1]
        for i, (x, y) in enumerate(zip(ga, gb)):
            if x is not None and y is not None and x != y:
                raise shape_fns.shape_error(
                    op, f"Dimension {i} in both shapes must be equal, but are {x} and {y}. "
                        f"Shapes are {TensorShape(ga).proto_str()} and "
                        f"{TensorShape(gb).proto_str()}.")
    rank = a.ndims if a.ndims is not None else b.ndims
    return _result_specs(op, rank)


def _dense_sparse_infer(op):
    a = op.inputs[0].shape
    _at_least_rank2(op, a)
    shape = op.inputs[3].shape
    rank = a.ndims if a.ndims is not None else (shape.dims[0] if shape.ndims == 1 else None)
    return _result_specs(op, rank)


def _sparse_sparse_infer(op):
    s1, s2 = op.inputs[2].shape, op.inputs[5].shape
    rank = s1.dims[0] if s1.ndims == 1 and s1.dims[0] is not None else \
        (s2.dims[0] if s2.ndims == 1 else None)
    return _result_specs(op, rank)


# ----- kernels -------------------------------------------------------------------------------
@defop("DenseToDenseSetOperation", infer=_dense_dense_infer, device_types=_HOST)
def _dense_to_dense(xp, set1, set2, *, set_operation, validate_indices=True, T=None):
    ga, sa = _dense_groups(set1)
    gb, sb = _dense_groups(set2)
    _check_groups(ga, gb)
    return _combine(ga, sa, sb, set_operation, T)


@defop("DenseToSparseSetOperation", infer=_dense_sparse_infer, device_types=_HOST)
def _dense_to_sparse(xp, set1, set2_indices, set2_values, set2_shape, *, set_operation,
                     validate_indices=True, T=None):
    ga, sa = _dense_groups(set1)
    gb, sb = _sparse_groups(set2_indices, set2_values, set2_shape, validate_indices)
    _check_groups(ga, gb)
    return _combine(ga, sa, sb, set_operation, T)


@defop("SparseToSparseSetOperation", infer=_sparse_sparse_infer, device_types=_HOST)
def _sparse_to_sparse(xp, set1_indices, set1_values, set1_shape, set2_indices, set2_values,
                      set2_shape, *, set_operation, validate_indices=True, T=None):
    ga, sa = _sparse_groups(set1_indices, set1_values, set1_shape, validate_indices)
    gb, sb = _sparse_groups(set2_indices, set2_values, set2_shape, validate_indices)
    _check_groups(ga, gb)
    return _combine(ga, sa, sb, set_operation, T)


@defop("SetSize", infer=lambda op: [(dtypes.int32, unknown_shape())], device_types=_HOST)
def _set_size(xp, set_indices, set_values, set_shape, *, validate_indices=True, T=None):
    group, sets = _sparse_groups(set_indices, set_values, set_shape, validate_indices)
    return np.array([len(s) for s in sets], np.int32).reshape(group)


for _op in (_dense_to_dense, _dense_to_sparse, _sparse_to_sparse, _set_size):
    _op.not_differentiable()


# ----- the Python functions ------------------------------------------------------------------
def set_size(a, validate_indices=True):
    """The number of distinct values of each set of the SparseTensor `a` (int32, shaped as
    its first rank-1 dimensions).

    Example:
        >>> st = tf.SparseTensor([[0, 0], [0, 1], [1, 0]], [3, 3, 4], [2, 2])
        >>> tf.sets.size(st)   # [1, 1]
    """
    a = convert_to_tensor_or_sparse_tensor(a, name="a")
    if not isinstance(a, SparseTensor):
        raise TypeError(f"Expected `SparseTensor`, got {a}.")
    if a.values.dtype.base_dtype not in _VALID_DTYPES:
        raise TypeError(f"Invalid dtype `{a.values.dtype}` not in supported dtypes: "
                        f"`{_dtype_names()}`.")
    return apply_op("SetSize", a.indices, a.values, a.dense_shape,
                    validate_indices=validate_indices, T=a.values.dtype)


def _operands(a, b):
    """(a, b, flipped): converted, a sparse-dense pair flipped to dense-sparse."""
    a = convert_to_tensor_or_sparse_tensor(a, name="a")
    if a.dtype.base_dtype not in _VALID_DTYPES:
        raise TypeError(f"'a' has invalid dtype `{a.dtype}` not in supported dtypes: "
                        f"`{_dtype_names()}`.")
    b = convert_to_tensor_or_sparse_tensor(b, name="b")
    if b.dtype.base_dtype != a.dtype.base_dtype:
        raise TypeError(f"Types don't match, {a.dtype} vs {b.dtype}.")
    if isinstance(a, SparseTensor) and not isinstance(b, SparseTensor):
        return b, a, True
    return a, b, False


def _set_operation(a, b, operation, validate_indices):
    if isinstance(a, SparseTensor):
        parts = apply_op("SparseToSparseSetOperation", a.indices, a.values, a.dense_shape,
                         b.indices, b.values, b.dense_shape, set_operation=operation,
                         validate_indices=validate_indices, T=a.dtype)
    elif isinstance(b, SparseTensor):
        parts = apply_op("DenseToSparseSetOperation", a, b.indices, b.values, b.dense_shape,
                         set_operation=operation, validate_indices=validate_indices,
                         T=a.dtype)
    else:
        parts = apply_op("DenseToDenseSetOperation", a, b, set_operation=operation,
                         validate_indices=validate_indices, T=a.dtype)
    return SparseTensor(*parts)


def set_intersection(a, b, validate_indices=True):
    """The intersection of the sets along the last dimension of `a` and `b` (Tensors or
    SparseTensors of one integer or string dtype, all but the last dimension equal), as a
    SparseTensor of sorted values.

    Example:
        >>> tf.sets.intersection([[1, 2, 3]], [[2, 3, 5]])   # values [2, 3] in row 0
    """
    a, b, _ = _operands(a, b)
    return _set_operation(a, b, "intersection", validate_indices)


def set_union(a, b, validate_indices=True):
    """The union of the sets along the last dimension of `a` and `b` (see
    `set_intersection`)."""
    a, b, _ = _operands(a, b)
    return _set_operation(a, b, "union", validate_indices)


def set_difference(a, b, aminusb=True, validate_indices=True):
    """`a - b` (or `b - a` when `aminusb` is False) of the sets along the last dimension
    (see `set_intersection`)."""
    a, b, flipped = _operands(a, b)
    if flipped:
        aminusb = not aminusb
    return _set_operation(a, b, "a-b" if aminusb else "b-a", validate_indices)
