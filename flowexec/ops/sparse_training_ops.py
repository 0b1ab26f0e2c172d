"""sparse_training_ops: TF's SparseApply* ops, the optimizers' updates for IndexedSlices
gradients: only the rows `indices` of the variable and its slots change.

Inputs are TF's, in TF's order (the variable and its slots first, `grad` of shape
`[len(indices)] + var.shape[1:]`, int32/int64 `indices`, scalars of the variable's dtype).
Each kernel follows state_ops' rules (its docstring): under the variables' locks it reads
them, checks the shapes and indices with TF's messages, and swaps in fresh arrays with the
rows updated (the untouched rows are copied, never written in place, so a reader of the old
value in the same step sees it whole). TF's kernels loop over the indices in order, so a
repeated index is updated once per occurrence, each time from the row the previous one
left; here the occurrences are applied in rounds (the k-th occurrence of every index in
round k), which is the same. Optimizers pass de-duplicated indices (Optimizer's
`_apply_sparse_duplicate_indices`), as in TF.

The row updates, for a gathered row `v` of the variable (`a`, `m`, ... of its slots) and
its gradient row `g` (TF's training_ops.cc):

    SparseApplyMomentum       a = a momentum + g;  v -= lr a
                              (Nesterov: v -= lr g + lr momentum a)
    SparseApplyAdagrad        a += g^2 (update_slots);  v -= lr g / sqrt(a)
    SparseApplyAdadelta       a = a rho + g^2 (1 - rho);  u = sqrt(au + eps) / sqrt(a + eps) g
                              v -= lr u;  au = au rho + u^2 (1 - rho)
    SparseApplyRMSProp        ms = ms rho + g^2 (1 - rho)
                              mom = mom momentum + lr g / sqrt(ms + eps);  v -= mom
                              (Centered: mg = mg rho + g (1 - rho), ms - mg^2 + eps)
    SparseApplyFtrl(V2)       as ApplyFtrl on the rows (V2: g + 2 l2_shrinkage v in linear)
    SparseApplyProximalGradientDescent / SparseApplyProximalAdagrad: as their Apply ops
    SparseApplyAdagradDA      ga += g; gg += g^2; with t = global_step:
                              v = -sign(ga) max(|ga| / t - l1, 0) / (l2 + sqrt(gg) / (t lr))
                              (no l1: -(ga / t) / (l2 + sqrt(gg) / (t lr)))
"""

from flowexec.framework import dtypes, errors
from flowexec.framework.convert import convert_to_tensor
from flowexec.framework.registry import apply_op, defop
from flowexec.framework.tensor import Tensor
from flowexec.framework.tensor_shape import TensorShape
from flowexec.ops import shape_fns
from flowexec.ops import state_ops as _s
from flowexec.ops.training_ops import _ftrl_update, _shrink

_INDEX = (dtypes.int32, dtypes.int64)


def _sparse_infer(n_state):
    """The first `n_state` inputs are variables of one shape; `grad` is
    `[N] + var.shape[1:]`, `indices` is [N] int32/int64, `global_step` int64, the rest are
    scalars of the variable's dtype."""
    def infer(op):
        names = op.op_def.input_names
        var = op.inputs[0]
        shape_fns.check_dtype_in(op, shape_fns.FLOATS)
        gi, ii = names.index("grad"), names.index("indices")
        shape_fns.check_dtype_in(op, _INDEX, index=ii)
        for i, t in enumerate(op.inputs[1:], 1):
            if i == ii or names[i] == "global_step":
                continue
            if t.dtype is not var.dtype:
                raise TypeError(
                    f"Input '{names[i]}' of '{op.type}' Op has type {t.dtype.name} that does "
                    f"not match type {var.dtype.name} of argument '{names[0]}'.")
        shape = var.shape
        for i in range(1, n_state):
            t = op.inputs[i]
            if not shape.is_compatible_with(t.shape):
                raise shape_fns.shape_error(
                    op, f"Shapes must be equal: {names[0]} {shape.proto_str()} and "
                        f"{names[i]} {t.shape.proto_str()}")
            shape = shape.merge_with(t.shape)
        grad, indices = op.inputs[gi], op.inputs[ii]
        if indices.shape.ndims not in (None, 1):
            raise shape_fns.shape_error(
                op, f"Shape must be rank 1 but is rank {indices.shape.ndims} for input "
                    f"'indices'")
        if shape.ndims is not None and grad.shape.ndims is not None:
            if shape.ndims == 0:
                raise shape_fns.shape_error(op, "var must be at least 1 dimensional")
            want = TensorShape([indices.shape[0] if indices.shape.ndims else None]
                               + shape.as_list()[1:])
            if not want.is_compatible_with(grad.shape):
                raise shape_fns.shape_error(
                    op, f"Shapes must be equal: grad {grad.shape.proto_str()} and "
                        f"indices + var.shape[1:] {want.proto_str()}")
        for i, t in enumerate(op.inputs):
            if i >= n_state and i not in (gi, ii) and t.shape.ndims not in (None, 0):
                raise shape_fns.shape_error(
                    op, f"Shape must be rank 0 but is rank {t.shape.ndims} for input "
                        f"'{names[i]}'")
        return [(var.dtype, shape)]
    return infer


def _invalid(msg):
    return errors.InvalidArgumentError(None, None, msg)


def _check(xp, olds, names, grad, indices):
    var = olds[0]
    for name, other in zip(names[1:], olds[1:]):
        if tuple(other.shape) != tuple(var.shape):
            raise _invalid(f"var and {name} do not have the same shape"
                           f"{TensorShape(var.shape).proto_str()} "
                           f"{TensorShape(other.shape).proto_str()}")
    if var.ndim < 1:
        raise _invalid("var must be at least 1 dimensional")
    if indices.ndim != 1:
        raise _invalid("indices must be one-dimensional")
    for d in range(1, var.ndim):
        if grad.ndim <= d or grad.shape[d] != var.shape[d]:
            raise _invalid(f"var and grad must match in dimension {d}")
    if grad.ndim < 1 or grad.shape[0] != indices.shape[0]:
        raise _invalid("grad must be the same size as indices in the first dimension.")
    if indices.size:
        bad = (indices < 0) | (indices >= var.shape[0])
        if bad.any():
            i = int(xp.argwhere(bad)[0][0])
            raise _invalid(f"Index {int(indices[i])} at offset {i} in indices is out of range")


def _rounds(xp, indices):
    """Positions of `indices` grouped into rounds without repeats: the k-th occurrence of
    every index is in round k (one round when there are no repeats)."""
    n = indices.shape[0]
    if n < 2:
        return [None]
    order = xp.argsort(indices, kind="stable")
    sorted_idx = indices[order]
    if bool((sorted_idx[1:] != sorted_idx[:-1]).all()):
        return [None]
    # an occurrence's rank: its position in the sorted list minus its index's first position
    rank = xp.empty(n, dtype=xp.int64)
    rank[order] = xp.arange(n) - xp.searchsorted(sorted_idx, sorted_idx, side="left")
    return [xp.nonzero(rank == k)[0] for k in range(int(rank.max()) + 1)]


def _sparse_update(ctx, xp, var_names, slot_names, grad, indices, update):
    """The frame of every SparseApply kernel (module docstring): `update(g, *rows)` takes
    the gradient rows and the gathered rows of the variable and its slots, and returns the
    new rows (None keeps a slot's). Returns the variable's new value."""
    with _s._locked(ctx, var_names):
        olds = [_s._current(ctx, n) for n in var_names]
        _check(xp, olds, slot_names, grad, indices)
        news = [None] * len(olds)
        for pos in _rounds(xp, indices):
            idx, g = (indices, grad) if pos is None else (indices[pos], grad[pos])
            cur = [o if n is None else n for o, n in zip(olds, news)]
            rows = update(g, *[c[idx] for c in cur])
            for k, r in enumerate(rows):
                if r is None:
                    continue
                if news[k] is None:
                    news[k] = olds[k].copy()
                news[k][idx] = r
        for n, new in zip(var_names, news):
            if new is not None:
                ctx.state[_s._key(n)] = new
    return olds[0] if news[0] is None else news[0]


def _defsparse(type_name, n_state, slot_names):
    def register(fn):
        od = defop(type_name, infer=_sparse_infer(n_state), stateful=True, needs_ctx=True,
                   node_def=_s._APPLY_FORM)(fn)
        od.not_differentiable()
        od.slot_names = slot_names
        return od
    return register


@_defsparse("SparseApplyMomentum", 2, ("accum",))
def _sparse_apply_momentum(ctx, xp, var, accum, lr, grad, indices, momentum, *, var_names,
                           use_locking=False, use_nesterov=False):
    def update(g, v, a):
        a = a * momentum + g
        if use_nesterov:
            return v - (g * lr + a * lr * momentum), a
        return v - lr * a, a
    return _sparse_update(ctx, xp, var_names, ("accum",), grad, indices, update)


@_defsparse("SparseApplyAdagrad", 2, ("accum",))
def _sparse_apply_adagrad(ctx, xp, var, accum, lr, grad, indices, *, var_names,
                          use_locking=False, update_slots=True):
    def update(g, v, a):
        if update_slots:
            a = a + g * g
        return v - g * lr / xp.sqrt(a), (a if update_slots else None)
    return _sparse_update(ctx, xp, var_names, ("accum",), grad, indices, update)


@_defsparse("SparseApplyAdadelta", 3, ("accum", "accum_update"))
def _sparse_apply_adadelta(ctx, xp, var, accum, accum_update, lr, rho, epsilon, grad, indices,
                           *, var_names, use_locking=False):
    def update(g, v, a, au):
        one = xp.ones((), dtype=v.dtype)
        a = a * rho + g * g * (one - rho)
        u = xp.sqrt(au + epsilon) / xp.sqrt(a + epsilon) * g
        return v - u * lr, a, au * rho + u * u * (one - rho)
    return _sparse_update(ctx, xp, var_names, ("accum", "accum_update"), grad, indices, update)


def _rms(xp, g, v, ms, mom, mg, lr, rho, momentum, epsilon):
    one = xp.ones((), dtype=v.dtype)
    ms = ms * rho + g * g * (one - rho)
    if mg is not None:
        mg = mg * rho + g * (one - rho)
        denom = ms - mg * mg + epsilon
    else:
        denom = ms + epsilon
    mom = mom * momentum + lr * g / xp.sqrt(denom)
    return v - mom, ms, mom, mg


@_defsparse("SparseApplyRMSProp", 3, ("ms", "mom"))
def _sparse_apply_rms_prop(ctx, xp, var, ms, mom, lr, rho, momentum, epsilon, grad, indices,
                           *, var_names, use_locking=False):
    def update(g, v, ms_, mom_):
        return _rms(xp, g, v, ms_, mom_, None, lr, rho, momentum, epsilon)[:3]
    return _sparse_update(ctx, xp, var_names, ("ms", "mom"), grad, indices, update)


@_defsparse("SparseApplyCenteredRMSProp", 4, ("mg", "ms", "mom"))
def _sparse_apply_centered_rms_prop(ctx, xp, var, mg, ms, mom, lr, rho, momentum, epsilon,
                                    grad, indices, *, var_names, use_locking=False):
    def update(g, v, mg_, ms_, mom_):
        new, ms_, mom_, mg_ = _rms(xp, g, v, ms_, mom_, mg_, lr, rho, momentum, epsilon)
        return new, mg_, ms_, mom_
    return _sparse_update(ctx, xp, var_names, ("mg", "ms", "mom"), grad, indices, update)


@_defsparse("SparseApplyFtrl", 3, ("accum", "linear"))
def _sparse_apply_ftrl(ctx, xp, var, accum, linear, grad, indices, lr, l1, l2, lr_power, *,
                       var_names, use_locking=False, multiply_linear_by_lr=False):
    def update(g, v, acc, lin):
        return _ftrl_update(xp, g, lr, l1, l2, None, float(lr_power))(v, acc, lin)
    return _sparse_update(ctx, xp, var_names, ("accum", "linear"), grad, indices, update)


@_defsparse("SparseApplyFtrlV2", 3, ("accum", "linear"))
def _sparse_apply_ftrl_v2(ctx, xp, var, accum, linear, grad, indices, lr, l1, l2, l2_shrinkage,
                          lr_power, *, var_names, use_locking=False,
                          multiply_linear_by_lr=False):
    def update(g, v, acc, lin):
        return _ftrl_update(xp, g, lr, l1, l2, l2_shrinkage, float(lr_power))(v, acc, lin)
    return _sparse_update(ctx, xp, var_names, ("accum", "linear"), grad, indices, update)


@_defsparse("SparseApplyProximalGradientDescent", 1, ())
def _sparse_apply_proximal_gd(ctx, xp, var, alpha, l1, l2, grad, indices, *, var_names,
                              use_locking=False):
    def update(g, v):
        prox = v - g * alpha
        return (_shrink(xp, prox, alpha * l1 if l1 > 0 else None, alpha * l2),)
    return _sparse_update(ctx, xp, var_names, (), grad, indices, update)


@_defsparse("SparseApplyProximalAdagrad", 2, ("accum",))
def _sparse_apply_proximal_adagrad(ctx, xp, var, accum, lr, l1, l2, grad, indices, *,
                                   var_names, use_locking=False):
    def update(g, v, a):
        a = a + g * g
        rate = lr / xp.sqrt(a)
        prox = v - g * rate
        return _shrink(xp, prox, rate * l1 if l1 > 0 else None, rate * l2), a
    return _sparse_update(ctx, xp, var_names, ("accum",), grad, indices, update)


@_defsparse("SparseApplyAdagradDA", 3, ("gradient_accumulator",
                                        "gradient_squared_accumulator"))
def _sparse_apply_adagrad_da(ctx, xp, var, gradient_accumulator, gradient_squared_accumulator,
                             grad, indices, lr, l1, l2, global_step, *, var_names,
                             use_locking=False):
    step = float(global_step)
    t = xp.asarray(step, dtype=var.dtype)
    gs_lr = xp.asarray(step * float(lr), dtype=var.dtype)

    def update(g, v, ga, gg):
        ga = ga + g
        gg = gg + g * g
        denom = l2 + xp.sqrt(gg) / gs_lr
        if l1 > 0:
            num = xp.sign(ga) * xp.maximum(xp.abs(ga) / t - l1, 0)
        else:
            num = ga / t
        return -num / denom, ga, gg
    return _sparse_update(ctx, xp, var_names,
                          ("gradient_accumulator", "gradient_squared_accumulator"),
                          grad, indices, update)


def _sparse_apply(op_type, refs, inputs, name, use_locking, **attrs):
    """Adds a SparseApply op on variables `refs` (the variable first, then its slots);
    `inputs` are the other inputs in TF's order: "indices" and "global_step" keep their
    integer type, everything else takes the variable's dtype."""
    var_ops = [_s._variable_op(r, op_type) for r in refs]
    var_op = var_ops[0]
    graph = var_op.graph
    with graph.as_default(), _s.colocate(var_op):
        dtype = var_op.outputs[0].dtype
        converted = []
        for key, value in inputs:
            if isinstance(value, Tensor):
                converted.append(value)
            elif key == "indices":
                converted.append(convert_to_tensor(value, preferred_dtype=dtypes.int32))
            elif key == "global_step":
                converted.append(convert_to_tensor(value, dtype=dtypes.int64))
            else:
                converted.append(convert_to_tensor(value, dtype=dtype))
        return apply_op(op_type, *[o.outputs[0] for o in var_ops], *converted,
                        name=name or op_type, var_names=tuple(o.name for o in var_ops),
                        use_locking=bool(use_locking), **attrs)


def sparse_apply_momentum(var, accum, lr, grad, indices, momentum, use_locking=False,
                          use_nesterov=False, name=None):
    """TF's SparseApplyMomentum on the rows `indices`; returns the variable's new value.

    Example:
        >>> upd = sparse_apply_momentum(w, accum, 0.1, g.values, g.indices, 0.9)
    """
    return _sparse_apply("SparseApplyMomentum", [var, accum],
                         [("lr", lr), ("grad", grad), ("indices", indices),
                          ("momentum", momentum)], name, use_locking,
                         use_nesterov=bool(use_nesterov))


def sparse_apply_adagrad(var, accum, lr, grad, indices, use_locking=False, update_slots=True,
                         name=None):
    """TF's SparseApplyAdagrad on the rows `indices`; returns the variable's new value."""
    return _sparse_apply("SparseApplyAdagrad", [var, accum],
                         [("lr", lr), ("grad", grad), ("indices", indices)], name,
                         use_locking, update_slots=bool(update_slots))


def sparse_apply_adadelta(var, accum, accum_update, lr, rho, epsilon, grad, indices,
                          use_locking=False, name=None):
    """TF's SparseApplyAdadelta on the rows `indices`; returns the variable's new value."""
    return _sparse_apply("SparseApplyAdadelta", [var, accum, accum_update],
                         [("lr", lr), ("rho", rho), ("epsilon", epsilon), ("grad", grad),
                          ("indices", indices)], name, use_locking)


def sparse_apply_rms_prop(var, ms, mom, lr, rho, momentum, epsilon, grad, indices,
                          use_locking=False, name=None):
    """TF's SparseApplyRMSProp on the rows `indices`; returns the variable's new value."""
    return _sparse_apply("SparseApplyRMSProp", [var, ms, mom],
                         [("lr", lr), ("rho", rho), ("momentum", momentum),
                          ("epsilon", epsilon), ("grad", grad), ("indices", indices)], name,
                         use_locking)


def sparse_apply_centered_rms_prop(var, mg, ms, mom, lr, rho, momentum, epsilon, grad,
                                   indices, use_locking=False, name=None):
    """TF's SparseApplyCenteredRMSProp on the rows `indices`; returns the new value."""
    return _sparse_apply("SparseApplyCenteredRMSProp", [var, mg, ms, mom],
                         [("lr", lr), ("rho", rho), ("momentum", momentum),
                          ("epsilon", epsilon), ("grad", grad), ("indices", indices)], name,
                         use_locking)


def sparse_apply_ftrl(var, accum, linear, grad, indices, lr, l1, l2, lr_power,
                      use_locking=False, name=None, l2_shrinkage=None):
    """TF's SparseApplyFtrl (SparseApplyFtrlV2 with `l2_shrinkage`) on the rows `indices`."""
    head = [("grad", grad), ("indices", indices), ("lr", lr), ("l1", l1), ("l2", l2)]
    if l2_shrinkage is None:
        return _sparse_apply("SparseApplyFtrl", [var, accum, linear],
                             head + [("lr_power", lr_power)], name, use_locking)
    return _sparse_apply("SparseApplyFtrlV2", [var, accum, linear],
                         head + [("l2_shrinkage", l2_shrinkage), ("lr_power", lr_power)],
                         name, use_locking)


def sparse_apply_proximal_gradient_descent(var, alpha, l1, l2, grad, indices,
                                           use_locking=False, name=None):
    """TF's SparseApplyProximalGradientDescent on the rows `indices`."""
    return _sparse_apply("SparseApplyProximalGradientDescent", [var],
                         [("alpha", alpha), ("l1", l1), ("l2", l2), ("grad", grad),
                          ("indices", indices)], name, use_locking)


def sparse_apply_proximal_adagrad(var, accum, lr, l1, l2, grad, indices, use_locking=False,
                                  name=None):
    """TF's SparseApplyProximalAdagrad on the rows `indices`."""
    return _sparse_apply("SparseApplyProximalAdagrad", [var, accum],
                         [("lr", lr), ("l1", l1), ("l2", l2), ("grad", grad),
                          ("indices", indices)], name, use_locking)


def sparse_apply_adagrad_da(var, gradient_accumulator, gradient_squared_accumulator, grad,
                            indices, lr, l1, l2, global_step, use_locking=False, name=None):
    """TF's SparseApplyAdagradDA on the rows `indices` (`global_step` int64)."""
    return _sparse_apply("SparseApplyAdagradDA",
                         [var, gradient_accumulator, gradient_squared_accumulator],
                         [("grad", grad), ("indices", indices), ("lr", lr), ("l1", l1),
                          ("l2", l2), ("global_step", global_step)], name, use_locking)


__all__ = []
