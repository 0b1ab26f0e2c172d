"""linalg_ops: Einsum.

The equation is parsed at build time (operand count, ranks, label sizes, "..." broadcasting,
implicit outputs) so shape errors surface when the op is added; the kernel is `xp.einsum`.

Gradient decision: Einsum is differentiable for one- and two-operand equations without
ellipsis and without a label repeated inside one subscript (`ij,jk->ik`, `bij,bjk->bik`,
`ij->j`, ...): each operand's gradient is the einsum of the output gradient with the other
operand, broadcast over labels that only that operand had. Any other equation (`ii->i`,
`...ij,...jk->...ik`, three operands) raises a ValueError naming the equation at
`gradients()` time, never a silent zero.
"""

from flowexec.framework import dtypes
from flowexec.framework.errors import InvalidArgumentError
from flowexec.framework.graph import name_scope
from flowexec.framework.registry import EXPENSIVE, apply_op, defop
from flowexec.framework.tensor_shape import TensorShape
from flowexec.ops import array_ops, math_ops, shape_fns
from flowexec.ops.constant_op import constant
from flowexec.ops.math_ops import _convert

_TYPES = shape_fns.FLOATS + (dtypes.int32, dtypes.int64, dtypes.complex64, dtypes.complex128)
_ELLIPSIS = "."  # "..." is kept as one placeholder character while parsing


def _parse(equation, n_inputs):
    """(input subscripts, output subscript) with "..." as '.'; ValueError when malformed."""
    eq = equation.replace(" ", "").replace("...", _ELLIPSIS)
    if "->" in eq:
        lhs, out = eq.split("->", 1)
    else:
        lhs, out = eq, None
    ins = lhs.split(",")
    for s in ins + ([out] if out is not None else []):
        if any(not (c.isalpha() or c == _ELLIPSIS) for c in s) or s.count(_ELLIPSIS) > 1:
            raise ValueError(f"Invalid Einsum equation '{equation}': subscripts must be letters "
                             "with at most one '...' per term")
    if len(ins) != n_inputs:
        raise ValueError(f"Expecting {len(ins)} inputs but got {n_inputs} for equation "
                         f"'{equation}'")
    if out is None:
        counts = {}
        for s in ins:
            for c in s:
                counts[c] = counts.get(c, 0) + 1
        letters = sorted(c for c, k in counts.items() if k == 1 and c != _ELLIPSIS)
        out = (_ELLIPSIS if any(_ELLIPSIS in s for s in ins) else "") + "".join(letters)
    else:
        for c in out:
            if c != _ELLIPSIS and not any(c in s for s in ins):
                raise ValueError(f"Output subscript contains a label '{c}' not present in the "
                                 f"inputs of equation '{equation}'")
            if c != _ELLIPSIS and out.count(c) > 1:
                raise ValueError(f"Output subscript contains repeated label '{c}' in "
                                 f"equation '{equation}'")
    return ins, out


def _einsum_infer(op):
    equation = op.attrs["equation"]
    dt = shape_fns.check_same_dtype(op)
    shape_fns.check_dtype_in(op, _TYPES)
    ins, out = _parse(equation, len(op.inputs))
    sizes = {}
    ell = []  # broadcast shape of the "..." dims, right-aligned; None = unknown rank
    ell_known = True
    for sub, t in zip(ins, op.inputs):
        s = t.shape
        if s.ndims is None:
            if _ELLIPSIS in sub:
                ell_known = False
            continue
        named = len(sub) - (1 if _ELLIPSIS in sub else 0)
        if (s.ndims != named) if _ELLIPSIS not in sub else (s.ndims < named):
            raise shape_fns.shape_error(
                op, f"Input to einsum has rank {s.ndims} but the subscript '{sub}' of "
                    f"equation '{equation}' needs {named}")
        dims = s.as_list()
        if _ELLIPSIS in sub:
            k = sub.index(_ELLIPSIS)
            n_ell = s.ndims - named
            ell_dims = dims[k:k + n_ell]
            dims = dims[:k] + [None] + dims[k + n_ell:]
            fake = TensorShape(ell_dims)
            ell = shape_fns.broadcast_shapes(op, TensorShape(ell), fake).as_list()
        for c, d in zip(sub, dims):
            if c == _ELLIPSIS or d is None:
                continue
            if sizes.get(c, d) != d:
                raise shape_fns.shape_error(
                    op, f"Expected dimension {sizes[c]} for label '{c}' of equation "
                        f"'{equation}' but got dimension {d}")
            sizes[c] = d
    if not ell_known and _ELLIPSIS in out:
        return [(dt, TensorShape(None))]
    shape = []
    for c in out:
        if c == _ELLIPSIS:
            shape.extend(ell)
        else:
            shape.append(sizes.get(c))
    return [(dt, TensorShape(shape))]


@defop("Einsum", infer=_einsum_infer, cost=EXPENSIVE)
def _einsum(xp, *inputs, equation):
    try:
        out = xp.einsum(equation, *inputs)
    except ValueError as e:
        raise InvalidArgumentError(None, None, f"Einsum '{equation}': {e}") from None
    return xp.asarray(out).astype(inputs[0].dtype, copy=False)


def _differentiable(ins, out):
    return len(ins) <= 2 and all(_ELLIPSIS not in s and len(set(s)) == len(s)
                                 for s in ins + [out])


def _operand_grad(dy, out, other_subs, others, target_sub, target):
    """d(sum(dy * einsum))/d(target): einsum of dy with the other operands, broadcast back
    over labels that only `target` has."""
    present = set(out).union(*map(set, other_subs))
    kept = "".join(c for c in target_sub if c in present)
    eq = ",".join([out] + list(other_subs)) + "->" + kept
    g = apply_op("Einsum", dy, *others, equation=eq)
    if kept == target_sub:
        return g
    # Labels only `target` had were summed away: put them back as size-1 axes, then broadcast.
    if target.shape.is_fully_defined():
        full = target.shape.as_list()
        keep_shape = [d if c in present else 1 for c, d in zip(target_sub, full)]
        return array_ops.broadcast_to(array_ops.reshape(g, keep_shape), full)
    shp = array_ops.shape(target)
    mask = constant([c in present for c in target_sub])
    keep_shape = math_ops.where(mask, shp, array_ops.ones_like(shp))
    return array_ops.broadcast_to(array_ops.reshape(g, keep_shape), shp)


@_einsum.gradient
def _einsum_grad(op, dy):
    equation = op.attrs["equation"]
    ins, out = _parse(equation, len(op.inputs))
    if not _differentiable(ins, out):
        raise ValueError(
            f"Einsum equation '{equation}' of op '{op.name}' is not differentiable in "
            "flowexec: only one- and two-operand equations without '...' and without a "
            "label repeated in one subscript have a gradient")
    x = op.inputs
    if len(x) == 1:
        return [_operand_grad(dy, out, [], [], ins[0], x[0])]
    return [_operand_grad(dy, out, [ins[1]], [x[1]], ins[0], x[0]),
            _operand_grad(dy, out, [ins[0]], [x[0]], ins[1], x[1])]


def einsum(equation, *inputs, **kwargs):
    """Einstein summation over `inputs`, as `numpy.einsum`.

    Args:
        equation: e.g. "ij,jk->ik", "bij,bjk->bik", "ij->ji", "ii" (implicit output: the
            labels used once, sorted), "...ij,...jk->...ik".
        *inputs: the operands (Tensors or convertible values, all of one dtype).
        **kwargs: `name` (default "einsum").

    Returns:
        A Tensor.

    Raises:
        ValueError: a malformed equation, a wrong operand count, or label sizes that differ.
        TypeError: operands of different dtypes, or an unknown keyword argument.

    Example:
        >>> einsum("ij,jk->ik", constant([[1.0, 2.0]]), constant([[3.0], [4.0]]))  # [[11.0]]
    """
    name = kwargs.pop("name", None)
    if kwargs:
        raise TypeError(f"invalid keyword arguments for this function: "
                        f"{', '.join(sorted(kwargs))}")
    equation = equation.replace(" ", "")
    with name_scope(name, "einsum", [t for t in inputs]) as scope:
        tensors = _convert(inputs, [f"input_{i}" for i in range(len(inputs))])
        _parse(equation, len(tensors))
        return apply_op("Einsum", *tensors, name=scope, equation=equation)


__all__ = ["einsum"]
