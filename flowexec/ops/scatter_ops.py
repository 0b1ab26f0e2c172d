"""scatter_ops: sparse updates — of variables (tf.scatter_update/add/sub/mul/div/max/min,
scatter_nd_update/add/sub, batch_scatter_update) and of tensors (tf.tensor_scatter_nd_*).

The variable ops follow state_ops' rules (see its docstring): they name their variable in
`var_name`, take its tensor as input 0 (so they run after its read and fail on an
uninitialized variable), hold the variable's lock, compute a fresh array and swap it in, and
return the new value. Duplicate indices accumulate for add/sub/mul/div/max/min; for update,
one of the duplicates wins, as in TF. Out-of-range indices are an InvalidArgumentError naming
the index. `updates` may be a scalar, applied at every index (TF's kernels allow it).

The tensor ops are pure, with TF's gradients.
"""

from flowexec.framework import dtypes, errors
from flowexec.framework.convert import convert_to_tensor
from flowexec.framework.graph import name_scope
from flowexec.framework.registry import apply_op, defop
from flowexec.framework.tensor_shape import TensorShape
from flowexec.ops import array_ops as _a
from flowexec.ops import math_ops as _m
from flowexec.ops import shape_fns
from flowexec.ops import state_ops as _s

_INDEX = (dtypes.int32, dtypes.int64)


def _invalid(msg):
    return errors.InvalidArgumentError(None, None, msg)


def _dims(shape):
    return "[" + ",".join(str(int(d)) for d in shape) + "]"


def _check_indices(xp, flat, limit, first_dim_name="params"):
    if flat.size:
        bad = (flat < 0) | (flat >= limit)
        if bad.any():
            i = int(xp.argwhere(bad)[0][0])
            raise _invalid(f"indices[{i}] = {int(flat[i])} is not in [0, {limit})")


def _scatter_infer(nd):
    def infer(op):
        ref, indices, updates = op.inputs
        shape_fns.check_dtype_in(op, _INDEX, index=1)
        if updates.dtype is not ref.dtype:
            raise TypeError(f"Input 'updates' of '{op.type}' Op has type {updates.dtype.name} "
                            f"that does not match type {ref.dtype.name}_ref of argument 'ref'.")
        r, i, u = ref.shape, indices.shape, updates.shape
        if not nd and None not in (r.ndims, i.ndims, u.ndims) and u.ndims:
            want = TensorShape(i.as_list() + r.as_list()[1:])
            if not want.is_compatible_with(u):
                raise shape_fns.shape_error(
                    op, f"Shapes must be equal rank, but are {u.ndims} and {want.ndims}"
                    if u.ndims != want.ndims else
                    f"updates shape {u.proto_str()} must be indices.shape + "
                    f"params.shape[1:] = {want.proto_str()}")
        return [(ref.dtype, ref.shape)]
    return infer


def _apply(xp, old, index, updates, kind):
    new = old.copy()
    if kind == "update":
        new[index] = updates
    elif kind in ("add", "sub", "mul", "max", "min"):
        ufunc = {"add": xp.add, "sub": xp.subtract, "mul": xp.multiply, "max": xp.maximum,
                 "min": xp.minimum}[kind]
        target = xp.broadcast_to(updates, new[index].shape) if updates.ndim == 0 else updates
        ufunc.at(new, index, target)
    else:  # div: true division for floats, truncating for integers (C++'s /, as TF)
        target = xp.broadcast_to(updates, new[index].shape) if updates.ndim == 0 else updates
        if new.dtype.kind in "fc":
            xp.divide.at(new, index, target)
        else:
            idx = index if isinstance(index, tuple) else (index,)
            flat = [i.reshape(-1) for i in idx]
            t = target.reshape((flat[0].size,) + target.shape[idx[0].ndim:])
            for j in range(flat[0].size):
                pos = tuple(int(f[j]) for f in flat)
                q = new[pos] / t[j]
                new[pos] = xp.trunc(q).astype(new.dtype)
    return new


def _define_var_scatter(type_name, kind, nd):
    @defop(type_name, infer=_scatter_infer(nd), stateful=True, needs_ctx=True,
           node_def=_s._REF_INPUT_FORM)
    def kernel(ctx, xp, ref, indices, updates, *, var_name, use_locking=True):
        with _s._lock(ctx, var_name):
            old = _s._current(ctx, var_name)
            if nd:
                index = _nd_index(xp, indices, old.shape, updates)
            else:
                _check_indices(xp, indices.reshape(-1), old.shape[0] if old.ndim else 0)
                want = tuple(indices.shape) + tuple(old.shape[1:])
                if updates.ndim and tuple(updates.shape) != want:
                    raise _invalid(f"updates.shape {_dims(updates.shape)} must equal "
                                   f"indices.shape + params.shape[1:] = {_dims(want)}")
                index = indices
            new = _apply(xp, old, index, updates, kind)
            ctx.state[_s._key(var_name)] = new
        return new

    kernel.not_differentiable()
    return kernel


def _nd_index(xp, indices, shape, updates):
    k = indices.shape[-1]
    if k > len(shape):
        raise _invalid(f"Output must have at least {k} dimensions; got {_dims(shape)}")
    want = tuple(indices.shape[:-1]) + tuple(shape[k:])
    if updates.ndim and tuple(updates.shape) != want:
        raise _invalid(f"updates.shape {_dims(updates.shape)} must be indices.shape[:-1] + "
                       f"ref.shape[indices.shape[-1]:] = {_dims(want)}")
    for d in range(k):
        col = indices[..., d].reshape(-1)
        if col.size:
            bad = (col < 0) | (col >= shape[d])
            if bad.any():
                j = int(xp.argwhere(bad)[0][0])
                vec = indices.reshape(-1, k)[j].tolist()
                raise _invalid(f"indices[{j}] = [{', '.join(map(str, vec))}] does not index "
                               f"into shape {_dims(shape)}")
    return tuple(indices[..., d] for d in range(k))


_OPS = {}
for _kind in ("update", "add", "sub", "mul", "div", "max", "min"):
    _name = "Scatter" + _kind.capitalize()
    _OPS[_name] = _define_var_scatter(_name, _kind, nd=False)
for _kind in ("update", "add", "sub"):
    _name = "ScatterNd" + _kind.capitalize()
    _OPS[_name] = _define_var_scatter(_name, _kind, nd=True)


def _var_scatter(op_type, ref, indices, updates, use_locking, name):
    var_op = _s._variable_op(ref, op_type)
    dtype = var_op.outputs[0].dtype
    if getattr(updates, "dtype", dtype) is not dtype and hasattr(updates, "op"):
        raise TypeError(f"Input 'updates' of '{op_type}' Op has type {updates.dtype.name} that "
                        f"does not match type {dtype.name}_ref of argument 'ref'.")
    updates = _s._convert_value(updates, var_op, op_type)
    graph = var_op.graph
    with graph.as_default(), _s.colocate(var_op):
        indices = convert_to_tensor(indices, name="indices", preferred_dtype=dtypes.int32)
        return apply_op(op_type, var_op.outputs[0], indices, updates, name=name or op_type,
                        var_name=var_op.name,
                        use_locking=True if use_locking is None else bool(use_locking))


def _var_doc(fn, verb, example):
    fn.__doc__ = f"""{verb} (op type {fn._op_type}); returns the variable's new value.

    Args:
        ref: a `tf.Variable` (initialized).
        indices: int32/int64 indices into the first dimension of `ref`.
        updates: `indices.shape + ref.shape[1:]` values of ref's dtype, or a scalar.
        use_locking: accepted for TF compatibility; every update of a variable is atomic.
        name: op name.

    Raises:
        TypeError: `updates` has another dtype than `ref`.
        InvalidArgumentError: (at run time) an index is outside [0, ref.shape[0]).

    Example:
        >>> v = tf.Variable([1.0, 2.0, 3.0])
        >>> {example}
    """
    return fn


def _make_var_fn(op_type, fn_name, verb, example):
    def fn(ref, indices, updates, use_locking=None, name=None):
        return _var_scatter(op_type, ref, indices, updates, use_locking, name)
    fn.__name__ = fn_name
    fn._op_type = op_type
    return _var_doc(fn, verb, example)


scatter_update = _make_var_fn("ScatterUpdate", "scatter_update",
                              "Writes `updates` into the rows `indices` of the variable `ref`",
                              "sess.run(tf.scatter_update(v, [0, 2], [9.0, 8.0]))  # [9, 2, 8]")
scatter_add = _make_var_fn("ScatterAdd", "scatter_add",
                           "Adds `updates` to the rows `indices` of `ref` (duplicates add up)",
                           "sess.run(tf.scatter_add(v, [0, 0], [1.0, 1.0]))  # [3, 2, 3]")
scatter_sub = _make_var_fn("ScatterSub", "scatter_sub",
                           "Subtracts `updates` from the rows `indices` of `ref`",
                           "sess.run(tf.scatter_sub(v, [1], [2.0]))  # [1, 0, 3]")
scatter_mul = _make_var_fn("ScatterMul", "scatter_mul",
                           "Multiplies the rows `indices` of `ref` by `updates`",
                           "sess.run(tf.scatter_mul(v, [2], [2.0]))  # [1, 2, 6]")
scatter_div = _make_var_fn("ScatterDiv", "scatter_div",
                           "Divides the rows `indices` of `ref` by `updates` (integers truncate)",
                           "sess.run(tf.scatter_div(v, [1], [4.0]))  # [1, 0.5, 3]")
scatter_max = _make_var_fn("ScatterMax", "scatter_max",
                           "Sets the rows `indices` of `ref` to max(ref, updates)",
                           "sess.run(tf.scatter_max(v, [0], [5.0]))  # [5, 2, 3]")
scatter_min = _make_var_fn("ScatterMin", "scatter_min",
                           "Sets the rows `indices` of `ref` to min(ref, updates)",
                           "sess.run(tf.scatter_min(v, [2], [0.0]))  # [1, 2, 0]")


def _make_var_nd_fn(op_type, fn_name, verb):
    def fn(ref, indices, updates, use_locking=None, name=None):
        return _var_scatter(op_type, ref, indices, updates, use_locking, name)
    fn.__name__ = fn_name
    fn.__doc__ = f"""{verb} at the index vectors in the last axis of `indices` (op type
    {op_type}); returns the variable's new value.

    `updates` has shape `indices.shape[:-1] + ref.shape[indices.shape[-1]:]` (or is a
    scalar). An index vector out of range is an InvalidArgumentError at run time.

    Example:
        >>> v = tf.Variable([1, 2, 3, 4, 5, 6, 7, 8])
        >>> sess.run(tf.{fn_name}(v, [[4], [3], [1], [7]], [9, 10, 11, 12]))
    """
    return fn


scatter_nd_update = _make_var_nd_fn("ScatterNdUpdate", "scatter_nd_update",
                                    "Writes `updates` into the variable `ref`")
scatter_nd_add = _make_var_nd_fn("ScatterNdAdd", "scatter_nd_add", "Adds `updates` to `ref`")
scatter_nd_sub = _make_var_nd_fn("ScatterNdSub", "scatter_nd_sub",
                                 "Subtracts `updates` from `ref`")


def batch_scatter_update(ref, indices, updates, use_locking=True, name=None):
    """For each batch position, writes `updates` into the rows `indices` of `ref`'s last-but-
    batch dimension: ref[i..., indices[i..., j]] = updates[i..., j] (TF's composition with
    scatter_nd_update); returns the variable's new value.

    Args:
        ref: a Variable of rank r.
        indices: rank r - 1... with `ref.shape[:indices.ndim - 1]` as its leading dims.
        updates: `indices.shape + ref.shape[indices.ndim:]`.

    Example:
        >>> v = tf.Variable([[1, 2], [3, 4]])
        >>> sess.run(tf.batch_scatter_update(v, [[1], [0]], [[9], [8]]))  # [[1, 9], [8, 4]]
    """
    with name_scope(name, "BatchScatterUpdate", [ref, indices, updates]):
        indices = convert_to_tensor(indices, name="indices")
        rank = indices.shape.ndims
        if rank is None:
            raise ValueError("batch_scatter_update needs the rank of indices")
        shape = _a.shape(indices, out_type=indices.dtype)
        coords = []
        for d in range(rank - 1):
            n = shape[d]
            r = _a.range(n, dtype=indices.dtype) if indices.dtype is not dtypes.int32 else \
                _a.range(n)
            dims = [1] * rank
            dims[d] = -1
            coords.append(_m.cast(_a.reshape(r, dims), indices.dtype) * _a.ones_like(indices))
        coords.append(indices)
        nd = _a.stack(coords, axis=-1)
        return scatter_nd_update(ref, nd, updates, use_locking=use_locking)


# ----- TensorScatter* (pure) ------------------------------------------------------------------
def _tensor_scatter_infer(op):
    tensor, indices, updates = op.inputs
    shape_fns.check_dtype_in(op, _INDEX, index=1)
    if updates.dtype is not tensor.dtype:
        raise TypeError(f"Input 'updates' of '{op.type}' Op has type {updates.dtype.name} that "
                        f"does not match type {tensor.dtype.name} of argument 'tensor'.")
    return [(tensor.dtype, tensor.shape)]


def _define_tensor_scatter(type_name, kind):
    @defop(type_name, infer=_tensor_scatter_infer)
    def kernel(xp, tensor, indices, updates):
        index = _nd_index(xp, indices, tensor.shape, updates)
        return _apply(xp, tensor, index, updates, kind)
    return kernel


_tensor_update = _define_tensor_scatter("TensorScatterUpdate", "update")
_tensor_add = _define_tensor_scatter("TensorScatterAdd", "add")
_tensor_sub = _define_tensor_scatter("TensorScatterSub", "sub")
_tensor_max = _define_tensor_scatter("TensorScatterMax", "max")
_tensor_min = _define_tensor_scatter("TensorScatterMin", "min")


def _gather_nd(t, indices):
    return apply_op("GatherNd", t, indices, name="GatherNd")


@_tensor_update.gradient
def _tensor_update_grad(op, dy):
    _, indices, _ = op.inputs
    cleared = tensor_scatter_nd_update(dy, indices, _a.zeros_like(_gather_nd(dy, indices)))
    return cleared, None, _gather_nd(dy, indices)


@_tensor_add.gradient
def _tensor_add_grad(op, dy):
    return dy, None, _gather_nd(dy, op.inputs[1])


@_tensor_sub.gradient
def _tensor_sub_grad(op, dy):
    return dy, None, -_gather_nd(dy, op.inputs[1])


def _minmax_grad(op, dy):
    # TF's _TensorScatterMinOrMaxGrad: the gradient goes to whichever of tensor and update
    # the output took, split evenly where they tie.
    tensor, indices, updates = op.inputs
    out = op.outputs[0]
    x_indicators = _m.cast(_m.equal(tensor, out), dy.dtype)
    y_output = _gather_nd(out, indices)
    y_indicators = _m.cast(_m.equal(updates, y_output), dy.dtype)
    ys_indicators = tensor_scatter_nd_add(_a.zeros_like(tensor), indices, y_indicators)
    indicators = x_indicators + ys_indicators
    x_grad = _m.truediv(x_indicators, indicators) * dy
    y_grad = _m.truediv(y_indicators, _gather_nd(indicators, indices)) * _gather_nd(dy, indices)
    return x_grad, None, y_grad


_tensor_max.gradient(_minmax_grad)
_tensor_min.gradient(_minmax_grad)


def _make_tensor_fn(op_type, fn_name, what):
    def fn(tensor, indices, updates, name=None):
        with name_scope(name, op_type, [tensor, indices, updates]) as scope:
            t = convert_to_tensor(tensor, name="tensor")
            updates = convert_to_tensor(updates, name="updates", dtype=t.dtype)
            indices = convert_to_tensor(indices, name="indices", preferred_dtype=dtypes.int32)
            return apply_op(op_type, t, indices, updates, name=scope)
    fn.__name__ = fn_name
    fn.__doc__ = f"""A copy of `tensor` with `updates` {what} at the index vectors in the last
    axis of `indices` (op type {op_type}); `tensor` itself is unchanged.

    `updates` has shape `indices.shape[:-1] + tensor.shape[indices.shape[-1]:]`. An index
    vector out of range is an InvalidArgumentError at run time.

    Example:
        >>> {fn_name}([1, 2, 3, 4], [[1], [3]], [10, 20])
    """
    return fn


tensor_scatter_nd_update = _make_tensor_fn("TensorScatterUpdate", "tensor_scatter_nd_update",
                                           "written")
tensor_scatter_nd_add = _make_tensor_fn("TensorScatterAdd", "tensor_scatter_nd_add", "added")
tensor_scatter_nd_sub = _make_tensor_fn("TensorScatterSub", "tensor_scatter_nd_sub",
                                        "subtracted")
tensor_scatter_nd_max = _make_tensor_fn("TensorScatterMax", "tensor_scatter_nd_max",
                                        "taken where larger (elementwise maximum)")
tensor_scatter_nd_min = _make_tensor_fn("TensorScatterMin", "tensor_scatter_nd_min",
                                        "taken where smaller (elementwise minimum)")
tensor_scatter_update = tensor_scatter_nd_update
tensor_scatter_add = tensor_scatter_nd_add
tensor_scatter_sub = tensor_scatter_nd_sub

__all__ = ["batch_scatter_update", "scatter_add", "scatter_div", "scatter_max", "scatter_min",
           "scatter_mul", "scatter_nd_add", "scatter_nd_sub", "scatter_nd_update", "scatter_sub",
           "scatter_update", "tensor_scatter_add", "tensor_scatter_nd_add",
           "tensor_scatter_nd_max", "tensor_scatter_nd_min", "tensor_scatter_nd_sub",
           "tensor_scatter_nd_update", "tensor_scatter_sub", "tensor_scatter_update"]
