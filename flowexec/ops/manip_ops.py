"""manip_ops: rearranging a tensor's elements — roll, reverse_sequence, repeat, unravel_index,
linspace, meshgrid, and the block moves space_to_batch(_nd) / batch_to_space(_nd).

`roll` (Roll), `reverse_sequence` (ReverseSequence), `unravel_index` (UnravelIndex) and
`lin_space` (LinSpace) are TF's ops; `repeat`, `meshgrid` and the space/batch moves are TF's
compositions of other ops, so their gradients follow from those ops.
"""

from flowexec.framework import dtypes
from flowexec.framework.convert import convert_to_tensor
from flowexec.framework.errors import InvalidArgumentError
from flowexec.framework.graph import name_scope
from flowexec.framework.registry import apply_op, defop
from flowexec.framework.tensor_shape import TensorShape
from flowexec.ops import array_ops as _a
from flowexec.ops import math_ops as _m
from flowexec.ops import shape_fns
from flowexec.ops.search_ops import searchsorted

_INDEX = (dtypes.int32, dtypes.int64)


# ----- Roll -----------------------------------------------------------------------------------
def _roll_infer(op):
    x, shift, axis = op.inputs
    for i in (1, 2):
        shape_fns.check_dtype_in(op, _INDEX, index=i)
        if op.inputs[i].shape.ndims not in (None, 0, 1):
            raise shape_fns.shape_error(op, f"Shape must be at most rank 1 but is rank "
                                            f"{op.inputs[i].shape.ndims}")
    return [(x.dtype, x.shape)]


@defop("Roll", infer=_roll_infer)
def _roll(xp, input, shift, axis):
    shift, axis = shift.reshape(-1), axis.reshape(-1)
    if shift.shape != axis.shape:
        raise InvalidArgumentError(None, None, "shift and axis must have the same size")
    for a in axis.tolist():
        if not -input.ndim <= a < input.ndim:
            raise InvalidArgumentError(None, None, f"axis {a} is out of range")
    if not axis.size:
        return input.copy()
    return xp.roll(input, tuple(shift.tolist()), tuple(axis.tolist()))


@_roll.gradient
def _roll_grad(op, dy):
    _, shift, axis = op.inputs
    return apply_op("Roll", dy, -shift, axis, name="RollGrad"), None, None


def roll(input, shift, axis, name=None):
    """Elements shifted cyclically by `shift` along `axis` (op type Roll).

    Args:
        input: a Tensor.
        shift: int scalar or vector; positive shifts move elements to higher indices.
        axis: int scalar or vector, the same size as `shift` (an axis may repeat: the
            shifts add up).
        name: op name.

    Example:
        >>> roll([0, 1, 2, 3, 4], shift=2, axis=0)  # [3, 4, 0, 1, 2]
    """
    with name_scope(name, "Roll", [input, shift, axis]) as scope:
        x = convert_to_tensor(input, name="input")
        shift = convert_to_tensor(shift, name="shift", preferred_dtype=dtypes.int32)
        axis = convert_to_tensor(axis, name="axis", preferred_dtype=dtypes.int32)
        return apply_op("Roll", x, shift, axis, name=scope)


# ----- ReverseSequence ------------------------------------------------------------------------
def _reverse_sequence_infer(op):
    x, lengths = op.inputs
    shape_fns.check_dtype_in(op, _INDEX, index=1)
    seq_dim, batch_dim = op.attrs["seq_dim"], op.attrs["batch_dim"]
    if x.shape.ndims is not None:
        n = x.shape.ndims
        for label, d in (("seq_dim", seq_dim), ("batch_dim", batch_dim)):
            if not 0 <= d < n:
                raise shape_fns.shape_error(op, f"Invalid {label} {d}; must be in [0, {n})")
        if seq_dim == batch_dim:
            raise shape_fns.shape_error(op, f"seq_dim and batch_dim must not be equal, got "
                                            f"{seq_dim}")
        b, lb = x.shape.as_list()[batch_dim], lengths.shape
        if lb.ndims not in (None, 1):
            raise shape_fns.shape_error(op, f"Shape must be rank 1 but is rank {lb.ndims}")
        if lb.ndims == 1 and None not in (b, lb[0]) and b != lb[0]:
            raise shape_fns.shape_error(op, f"Dimensions must be equal, but are {b} and {lb[0]}")
    return [(x.dtype, x.shape)]


@defop("ReverseSequence", infer=_reverse_sequence_infer)
def _reverse_sequence(xp, input, seq_lengths, *, seq_dim, batch_dim=0):
    n_seq = input.shape[seq_dim]
    lengths = seq_lengths.astype(xp.int64)
    if lengths.shape[0] != input.shape[batch_dim]:
        raise InvalidArgumentError(None, None, f"Length of seq_lengths != input.dims({batch_dim})"
                                               f", ({lengths.shape[0]} vs. "
                                               f"{input.shape[batch_dim]})")
    if lengths.size and (int(lengths.max()) > n_seq or int(lengths.min()) < 0):
        raise InvalidArgumentError(None, None, f"seq_lengths must be in [0, {n_seq}], got "
                                               f"{lengths.tolist()}")
    pos = xp.arange(n_seq)
    # source position along seq_dim for every (batch, position): reversed within the length
    src = xp.where(pos[None, :] < lengths[:, None], lengths[:, None] - 1 - pos[None, :],
                   pos[None, :])
    shape = [1] * input.ndim
    shape[batch_dim], shape[seq_dim] = input.shape[batch_dim], n_seq
    if batch_dim > seq_dim:
        src = src.T
    src = xp.broadcast_to(src.reshape(shape), input.shape)
    return xp.take_along_axis(input, src, axis=seq_dim)


@_reverse_sequence.gradient
def _reverse_sequence_grad(op, dy):
    lengths = op.inputs[1]
    return apply_op("ReverseSequence", dy, lengths, name="ReverseSequenceGrad",
                    seq_dim=op.attrs["seq_dim"], batch_dim=op.attrs["batch_dim"]), None


def reverse_sequence(input, seq_lengths, seq_axis=None, batch_axis=None, name=None,
                     seq_dim=None, batch_dim=None):
    """Reverses the first `seq_lengths[i]` elements along `seq_axis` of each batch entry `i`
    (op type ReverseSequence); the rest stays in place.

    Args:
        input: a Tensor.
        seq_lengths: int vector of length `input.shape[batch_axis]`, each <= the sequence
            dimension.
        seq_axis, batch_axis: the sequence and batch dimensions (`seq_dim`/`batch_dim` are
            TF 1.x's deprecated names); batch_axis defaults to 0.
        name: op name.

    Example:
        >>> reverse_sequence([[1, 2, 3], [4, 5, 6]], [2, 3], seq_axis=1)  # [[2,1,3],[6,5,4]]
    """
    seq_axis = _m._deprecated_alias("seq_axis", seq_axis, "seq_dim", seq_dim)
    batch_axis = _m._deprecated_alias("batch_axis", batch_axis, "batch_dim", batch_dim)
    with name_scope(name, "ReverseSequence", [input, seq_lengths]) as scope:
        x = convert_to_tensor(input, name="input")
        lengths = convert_to_tensor(seq_lengths, name="seq_lengths",
                                    preferred_dtype=dtypes.int64)
        return apply_op("ReverseSequence", x, lengths, name=scope, seq_dim=int(seq_axis),
                        batch_dim=int(batch_axis or 0))


# ----- UnravelIndex ---------------------------------------------------------------------------
def _unravel_index_infer(op):
    indices, dims = op.inputs
    shape_fns.check_dtype_in(op, _INDEX)
    shape_fns.check_same_dtype(op)
    if indices.shape.ndims is None:
        return [(indices.dtype, TensorShape(None))]
    n = dims.shape.as_list()[0] if dims.shape.ndims == 1 else None
    if indices.shape.ndims == 0:
        return [(indices.dtype, TensorShape([n]))]
    return [(indices.dtype, TensorShape([n, indices.shape.num_elements()]))]


@defop("UnravelIndex", infer=_unravel_index_infer)
def _unravel_index(xp, indices, dims):
    total = 1
    for d in dims.tolist():
        total *= d
    flat = indices.reshape(-1)
    if flat.size and (int(flat.min()) < 0 or int(flat.max()) >= total):
        raise InvalidArgumentError(None, None, f"index out of bounds: indices must be in "
                                               f"[0, {total}), got {flat.tolist()}")
    out = xp.stack(xp.unravel_index(flat, tuple(dims.tolist()))).astype(indices.dtype)
    return out[:, 0] if indices.ndim == 0 else out


_unravel_index.not_differentiable()


def unravel_index(indices, dims, name=None):
    """The coordinates in an array of shape `dims` of each flat index (op UnravelIndex).

    A scalar index gives a vector of len(dims) coordinates; a vector of n indices gives a
    [len(dims), n] matrix, as TF.

    Example:
        >>> unravel_index([1, 5, 4], [3, 2])  # [[0, 2, 2], [1, 1, 0]]
    """
    with name_scope(name, "UnravelIndex", [indices, dims]) as scope:
        indices, dims = _m._convert((indices, dims), ("indices", "dims"))
        return apply_op("UnravelIndex", indices, dims, name=scope)


# ----- LinSpace -------------------------------------------------------------------------------
def _lin_space_infer(op):
    start, stop, num = op.inputs
    shape_fns.check_dtype_in(op, shape_fns.FLOATS)
    if stop.dtype is not start.dtype:
        raise TypeError(f"Input 'stop' of 'LinSpace' Op has type {stop.dtype.name} that does "
                        f"not match type {start.dtype.name} of argument 'start'.")
    shape_fns.check_dtype_in(op, _INDEX, index=2)
    for t, label in ((start, "start"), (stop, "stop"), (num, "num")):
        if t.shape.ndims not in (None, 0):
            raise shape_fns.shape_error(op, f"Shape must be rank 0 but is rank {t.shape.ndims}")
    n = shape_fns.constant_value(num)
    return [(start.dtype, TensorShape([None if n is None else int(n)]))]


@defop("LinSpace", infer=_lin_space_infer)
def _lin_space(xp, start, stop, num):
    n = int(num)
    if n <= 0:
        raise InvalidArgumentError(None, None, f"Requires num > 0: {n}")
    return xp.linspace(start, stop, n).astype(start.dtype)


_lin_space.not_differentiable()


def lin_space(start, stop, num, name=None):
    """`num` evenly spaced values from `start` to `stop`, both included (op type LinSpace).

    Args:
        start, stop: float scalars of one dtype.
        num: int scalar > 0.
        name: op name.

    Example:
        >>> lin_space(10.0, 12.0, 3)  # [10., 11., 12.]
    """
    with name_scope(name, "LinSpace", [start, stop, num]) as scope:
        start, stop = _m._convert((start, stop), ("start", "stop"))
        if start.dtype.is_integer:
            start, stop = _m.cast(start, dtypes.float32), _m.cast(stop, dtypes.float32)
        num = convert_to_tensor(num, name="num", preferred_dtype=dtypes.int32)
        return apply_op("LinSpace", start, stop, num, name=scope)


linspace = lin_space


# ----- SelectV2 (where_v2) -------------------------------------------------------------------
def _select_v2_infer(op):
    c, t, e = op.inputs
    if c.dtype is not dtypes.bool:
        shape_fns.check_dtype_in(op, (dtypes.bool,), 0)
    if e.dtype is not t.dtype:
        raise TypeError(f"Input 'e' of 'SelectV2' Op has type {e.dtype.name} that does not "
                        f"match type {t.dtype.name} of argument 't'.")
    shape = shape_fns.broadcast_shapes(op, t.shape, e.shape)
    return [(t.dtype, shape_fns.broadcast_shapes(op, c.shape, shape))]


@defop("SelectV2", infer=_select_v2_infer)
def _select_v2(xp, condition, t, e):
    try:
        return xp.asarray(xp.where(condition, t, e), dtype=t.dtype)
    except ValueError:
        raise InvalidArgumentError(
            None, None, f"condition {list(condition.shape)}, then {list(t.shape)} and else "
                        f"{list(e.shape)} must be broadcastable") from None


@_select_v2.gradient
def _select_v2_grad(op, dy):
    c, t, e = op.inputs
    zeros = _a.zeros_like(dy)
    out_shape = op.outputs[0].shape
    gt = _m._unbroadcast(apply_op("SelectV2", c, dy, zeros, name="SelectV2Grad"), t, out_shape)
    ge = _m._unbroadcast(apply_op("SelectV2", c, zeros, dy, name="SelectV2Grad"), e, out_shape)
    return None, gt, ge


def where_v2(condition, x=None, y=None, name=None):
    """TF 2's `where`: elements of `x` where `condition` holds, else of `y`, with all three
    broadcast together (op type SelectV2); without x and y, the coordinates of the true
    elements (op type Where), as `tf.where`.

    Raises:
        ValueError: exactly one of `x` and `y` is None.

    Example:
        >>> where_v2([[True], [False]], [1, 2], 0)  # [[1, 2], [0, 0]]
    """
    if x is None and y is None:
        return _m.where(condition, name=name)
    if x is None or y is None:
        raise ValueError("x and y must both be non-None or both be None.")
    with name_scope(name, "SelectV2", [condition, x, y]) as scope:
        condition = convert_to_tensor(condition, name="condition", dtype=dtypes.bool)
        x, y = _m._convert((x, y), ("t", "e"))
        return apply_op("SelectV2", condition, x, y, name=scope)


# ----- meshgrid and repeat (compositions) -----------------------------------------------------
def meshgrid(*args, **kwargs):
    """Coordinate matrices from coordinate vectors, like numpy's meshgrid.

    Args:
        *args: N rank-1 tensors of one dtype.
        indexing: "xy" (Cartesian, default: the first two outputs are transposed) or "ij".
        name: name scope.

    Returns:
        N tensors of rank N.

    Raises:
        TypeError: an unknown keyword argument.
        ValueError: `indexing` is neither "xy" nor "ij".

    Example:
        >>> X, Y = meshgrid([1, 2, 3], [4, 5])  # X: [[1,2,3],[1,2,3]], Y: [[4,4,4],[5,5,5]]
    """
    indexing = kwargs.pop("indexing", "xy")
    name = kwargs.pop("name", "meshgrid")
    if kwargs:
        key = list(kwargs)[0]
        raise TypeError(f"'{key}' is an invalid keyword argument for this function")
    if indexing not in ("xy", "ij"):
        raise ValueError("indexing parameter must be either 'xy' or 'ij'")
    with name_scope(name, "meshgrid", list(args)):
        ndim = len(args)
        s0 = (1,) * ndim
        if not ndim:
            return []
        args = [convert_to_tensor(x) for x in args]
        output = []
        for i, x in enumerate(args):
            output.append(_a.reshape(x, s0[:i] + (-1,) + s0[i + 1:]))
        shapes = [_a.size(x) for x in args]
        output_dtype = output[0].dtype
        if indexing == "xy" and ndim > 1:
            output[0] = _a.reshape(output[0], (1, -1) + (1,) * (ndim - 2))
            output[1] = _a.reshape(output[1], (-1, 1) + (1,) * (ndim - 2))
            shapes[0], shapes[1] = shapes[1], shapes[0]
        mult_fact = _a.ones(shapes, output_dtype)
        return [x * mult_fact for x in output]


def repeat(input, repeats, axis=None, name=None):
    """Each element (or each slice along `axis`) repeated `repeats` times, like np.repeat.

    Args:
        input: a Tensor; flattened first when `axis` is None.
        repeats: int scalar, or a vector with one count per slice along `axis`.
        axis: the axis to repeat along (static int), or None.
        name: name scope.

    Example:
        >>> repeat([[1, 2], [3, 4]], repeats=[2, 3], axis=0)  # [[1,2],[1,2],[3,4],[3,4],[3,4]]
    """
    with name_scope(name, "Repeat", [input, repeats]):
        x = convert_to_tensor(input, name="input")
        reps = _m.cast(convert_to_tensor(repeats, name="repeats"), dtypes.int32)
        if axis is None:
            x = _a.reshape(x, [-1])
            axis = 0
        n = _a.shape(x)[axis]
        reps = reps * _a.ones([n], dtypes.int32) if reps.shape.ndims == 0 else reps
        ends = _m.cumsum(reps)
        positions = _a.range(ends[-1])
        # the slice each output position copies: how many segment ends lie at or before it
        index = searchsorted(ends, positions, side="right")
        return _a.gather(x, index, axis=axis)


# ----- space <-> batch (compositions of pad, reshape, transpose) ------------------------------
def required_space_to_batch_paddings(input_shape, block_shape, base_paddings=None, name=None):
    """Paddings (and crops) that make `input_shape` (+ base_paddings) divisible by
    `block_shape`, as TF's `tf.required_space_to_batch_paddings`.

    Returns:
        (paddings, crops): int32 [M, 2] tensors.

    Example:
        >>> required_space_to_batch_paddings([5], [2])  # ([[0, 1]], [[0, 1]])
    """
    with name_scope(name, "required_space_to_batch_paddings", [input_shape, block_shape]):
        input_shape = _m.cast(convert_to_tensor(input_shape, name="input_shape"), dtypes.int32)
        block_shape = _m.cast(convert_to_tensor(block_shape, name="block_shape"), dtypes.int32)
        num_block_dims = block_shape.shape.as_list()[0]
        if base_paddings is not None:
            base_paddings = _m.cast(convert_to_tensor(base_paddings, name="base_paddings"),
                                    dtypes.int32)
        else:
            base_paddings = _a.zeros([num_block_dims, 2], dtypes.int32)
        pad_start = base_paddings[:, 0]
        orig_pad_end = base_paddings[:, 1]
        full_input_shape = input_shape + pad_start + orig_pad_end
        pad_end_extra = (block_shape - full_input_shape % block_shape) % block_shape
        pad_end = orig_pad_end + pad_end_extra
        result_paddings = _a.stack([pad_start, pad_end], axis=1, name="paddings")
        result_crops = _a.stack([_a.zeros_like(pad_start), pad_end_extra], axis=1,
                                name="crops")
        return result_paddings, result_crops


def _static_ints(t, what):
    v = shape_fns.constant_value(convert_to_tensor(t))
    if v is None:
        raise ValueError(f"{what} must be known when the graph is built")
    return [int(d) for d in _flat(v)]


def _flat(v):
    return v.reshape(-1).tolist()


def space_to_batch_nd(input, block_shape, paddings, name=None):
    """Zero-pads the M spatial dimensions after the batch one, then moves blocks of
    `block_shape` into the batch dimension (TF's SpaceToBatchND, as pad/reshape/transpose).

    Args:
        input: [batch] + spatial (M dims) + remaining dims.
        block_shape: M ints >= 1 (known at build time).
        paddings: [M, 2] ints: (start, end) zero padding per spatial dimension.
        name: name scope.

    Returns:
        [batch * prod(block_shape)] + [padded_i / block_i] + remaining dims.

    Raises:
        ValueError: a padded spatial size is not divisible by its block size.

    Example:
        >>> space_to_batch_nd(tf.reshape(tf.range(4), [1, 2, 2, 1]), [2, 2], [[0, 0], [0, 0]])
        ... # shape [4, 1, 1, 1]: [[[[0]]], [[[1]]], [[[2]]], [[[3]]]]
    """
    with name_scope(name, "SpaceToBatchND", [input, block_shape, paddings]):
        x = convert_to_tensor(input, name="input")
        block = _static_ints(block_shape, "block_shape")
        pads = _static_ints(paddings, "paddings")
        m = len(block)
        full_pads = [[0, 0]] + [pads[2 * i:2 * i + 2] for i in range(m)]
        rank = x.shape.ndims
        if rank is None:
            raise ValueError("space_to_batch_nd needs the rank of input")
        full_pads += [[0, 0]] * (rank - 1 - m)
        padded = _a.pad(x, full_pads)
        shape = _a.shape(padded)
        static = padded.shape.as_list()
        for i, b in enumerate(block):
            d = static[1 + i]
            if d is not None and d % b:
                raise ValueError(f"padded_shape[{i}]={d} is not divisible by "
                                 f"block_shape[{i}]={b}")
        # [B, s1/b1, b1, ..., sM/bM, bM, rest...]
        parts = [shape[:1]]
        for i, b in enumerate(block):
            parts.append(_a.reshape(shape[1 + i] // b, [1]))
            parts.append([b])
        parts.append(shape[1 + m:])
        y = _a.reshape(padded, _a.concat(parts, 0))
        # -> [b1, ..., bM, B, s1/b1, ..., sM/bM, rest...]
        perm = ([2 + 2 * i for i in range(m)] + [0] + [1 + 2 * i for i in range(m)]
                + list(range(1 + 2 * m, rank + m)))
        y = _a.transpose(y, perm)
        out_shape = _a.concat([_a.reshape(shape[0] * _product(block), [1])]
                              + [_a.reshape(shape[1 + i] // b, [1]) for i, b in enumerate(block)]
                              + [shape[1 + m:]], 0)
        out = _a.reshape(y, out_shape)
        prod = _product(block)
        out.set_shape([None if static[0] is None else static[0] * prod]
                      + [None if static[1 + i] is None else static[1 + i] // b
                         for i, b in enumerate(block)] + static[1 + m:])
        return out


def batch_to_space_nd(input, block_shape, crops, name=None):
    """The inverse of `space_to_batch_nd`: moves blocks from the batch dimension back into
    the M spatial dimensions, then crops (TF's BatchToSpaceND, as reshape/transpose/slice).

    Args:
        input: [batch * prod(block_shape)] + spatial (M dims) + remaining dims.
        block_shape: M ints >= 1 (known at build time).
        crops: [M, 2] ints: (start, end) amounts to crop per spatial dimension.
        name: name scope.

    Example:
        >>> batch_to_space_nd(x, [2, 2], [[0, 0], [0, 0]])  # x: [4, 1, 1, 1] -> [1, 2, 2, 1]
    """
    with name_scope(name, "BatchToSpaceND", [input, block_shape, crops]):
        x = convert_to_tensor(input, name="input")
        block = _static_ints(block_shape, "block_shape")
        crop = _static_ints(crops, "crops")
        m = len(block)
        rank = x.shape.ndims
        if rank is None:
            raise ValueError("batch_to_space_nd needs the rank of input")
        shape = _a.shape(x)
        prod = _product(block)
        b0 = x.shape.as_list()[0]
        if b0 is not None and b0 % prod:
            raise ValueError(f"Input batch dimension {b0} is not divisible by product of "
                             f"block sizes {prod}")
        batch = shape[0] // prod
        # [b1, ..., bM, B, s1, ..., sM, rest...]
        y = _a.reshape(x, _a.concat([block, _a.reshape(batch, [1]), shape[1:]], 0))
        # -> [B, s1, b1, ..., sM, bM, rest...]
        perm = [m]
        for i in range(m):
            perm += [m + 1 + i, i]
        perm += list(range(2 * m + 1, rank + m))
        y = _a.transpose(y, perm)
        spatial = [_a.reshape(shape[1 + i] * b, [1]) for i, b in enumerate(block)]
        y = _a.reshape(y, _a.concat([_a.reshape(batch, [1])] + spatial + [shape[1 + m:]], 0))
        begin = [0] + [crop[2 * i] for i in range(m)] + [0] * (rank - 1 - m)
        full = _a.shape(y)
        size = _a.concat([full[:1]]
                         + [_a.reshape(full[1 + i] - crop[2 * i] - crop[2 * i + 1], [1])
                            for i in range(m)] + [full[1 + m:]], 0)
        out = _a.slice(y, begin, size)
        static = x.shape.as_list()  # TF's static shape: from the block and the crops
        out.set_shape([None if b0 is None else b0 // prod]
                      + [None if static[1 + i] is None
                         else static[1 + i] * b - crop[2 * i] - crop[2 * i + 1]
                         for i, b in enumerate(block)] + static[1 + m:])
        return out


def _product(values):
    out = 1
    for v in values:
        out *= v
    return out


def space_to_batch(input, paddings, block_size=None, name=None, block_shape=None):
    """`space_to_batch_nd` over the two spatial dimensions of an NHWC tensor with a square
    block of `block_size` (TF 1.x's `tf.space_to_batch`; `block_shape` is its new name)."""
    block_size = _m._deprecated_alias("block_shape", block_shape, "block_size", block_size)
    with name_scope(name, "SpaceToBatch", [input, paddings]):
        return space_to_batch_nd(input, [block_size, block_size], paddings)


def batch_to_space(input, crops, block_size, name=None, block_shape=None):
    """`batch_to_space_nd` over the two spatial dimensions of an NHWC tensor with a square
    block of `block_size` (TF 1.x's `tf.batch_to_space`)."""
    block_size = _m._deprecated_alias("block_shape", block_shape, "block_size", block_size)
    with name_scope(name, "BatchToSpace", [input, crops]):
        return batch_to_space_nd(input, [block_size, block_size], crops)


__all__ = ["batch_to_space", "batch_to_space_nd", "lin_space", "linspace", "meshgrid",
           "repeat", "required_space_to_batch_paddings", "reverse_sequence", "roll",
           "space_to_batch", "space_to_batch_nd", "unravel_index", "where_v2"]
