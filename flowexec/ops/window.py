"""Sliding-window geometry and array helpers shared by the convolution and pooling ops.

Geometry follows TensorFlow's `GetWindowedOutputSize`: with effective filter size
`e = (k - 1) * dilation + 1`,

- "VALID": `out = (in - e) // stride + 1`, no padding;
- "SAME": `out = ceil(in / stride)`, `total = max((out - 1) * stride + e - in, 0)` cells of
  padding, `total // 2` before and the rest after;
- "EXPLICIT": `out = (in + before + after - e) // stride + 1` with the given padding.

Kernels work on channels-last arrays `(N, *spatial, C)`; ops in "NCHW"/"NCDHW" move the
channel axis around them. Windows are read through strided views, never per pixel: a whole
window tensor `(N, *out, *ksize, C)` is one `as_strided` view of the padded input (numpy and
CuPy both provide `xp.lib.stride_tricks.as_strided`), and the per-offset loops below run
`prod(ksize)` vectorized array operations, each over every output position at once.
"""

import itertools
import math

from flowexec.framework import errors
from flowexec.ops import shape_fns

SPATIAL_FORMATS = {1: ("NWC", "NCW"), 2: ("NHWC", "NCHW"), 3: ("NDHWC", "NCDHW")}


class GeometryError(ValueError):
    """A window that does not fit; the caller words it for build time or run time."""

    def __init__(self, in_size, effective, stride):
        super().__init__(in_size, effective, stride)
        self.in_size, self.effective, self.stride = in_size, effective, stride


def channels_first(data_format):
    return data_format.startswith("NC")


def spatial_dims(dims, data_format):
    """The spatial entries of a per-dimension list given in `data_format` order."""
    return list(dims[2:]) if channels_first(data_format) else list(dims[1:-1])


def batch_and_channel(dims, data_format):
    return (dims[0], dims[1]) if channels_first(data_format) else (dims[0], dims[-1])


def full_dims(n, spatial, c, data_format):
    """`[n, *spatial, c]` laid out in `data_format` order."""
    if channels_first(data_format):
        return [n, c] + list(spatial)
    return [n] + list(spatial) + [c]


def output_size(in_size, k, stride, dilation, padding, before=0, after=0):
    """(output size, padding before, padding after) of one spatial dimension.

    `in_size` may be None (unknown), giving (None, None, None). Raises GeometryError when
    the effective filter does not fit.
    """
    effective = (k - 1) * dilation + 1
    if in_size is None:
        return None, None, None
    if padding == "VALID":
        if in_size < effective:
            raise GeometryError(in_size, effective, stride)
        return (in_size - effective) // stride + 1, 0, 0
    if padding == "SAME":
        out = -(-in_size // stride)
        total = max((out - 1) * stride + effective - in_size, 0)
        return out, total // 2, total - total // 2
    size = in_size + before + after
    if size < effective:
        raise GeometryError(size, effective, stride)
    return (size - effective) // stride + 1, before, after


def run_geometry(in_sizes, ksize, strides, dilations, padding, explicit=None):
    """Output sizes and (before, after) pads of every spatial dimension, at run time.

    Raises InvalidArgumentError with TF's "Computed output size would be negative" message.
    """
    outs, pads = [], []
    for i, n in enumerate(in_sizes):
        b, a = explicit[i] if explicit else (0, 0)
        try:
            o, b, a = output_size(n, ksize[i], strides[i], dilations[i], padding, b, a)
        except GeometryError as e:
            raise errors.InvalidArgumentError(
                None, None, f"Computed output size would be negative: "
                            f"{(e.in_size - e.effective) // e.stride + 1} [input_size: "
                            f"{e.in_size}, effective_filter_size: {e.effective}, stride: "
                            f"{e.stride}]") from None
        outs.append(o)
        pads.append((b, a))
    return outs, pads


def infer_geometry(op, in_sizes, ksize, strides, dilations, padding, explicit=None):
    """Output sizes at build time (None where unknown), with TF's shape-function message."""
    outs = []
    for i, n in enumerate(in_sizes):
        b, a = explicit[i] if explicit else (0, 0)
        if ksize[i] is None:
            outs.append(None)
            continue
        try:
            outs.append(output_size(n, ksize[i], strides[i], dilations[i], padding, b, a)[0])
        except GeometryError as e:
            raise shape_fns.shape_error(
                op, f"Negative dimension size caused by subtracting {e.effective} from "
                    f"{e.in_size}") from None
    return outs


def explicit_pairs(explicit_paddings, data_format, nd):
    """The spatial (before, after) pairs of a flat `explicit_paddings` attr."""
    pairs = [tuple(explicit_paddings[2 * i:2 * i + 2]) for i in range(nd + 2)]
    return spatial_dims(pairs, data_format)


def expand_sequence(value, nd, data_format, name):
    """TF's expansion of an int, or a list of 1, nd or nd + 2 ints, to the nd + 2 values of
    a window attr in `data_format` order (1 in the batch and channel dimensions)."""
    if value is None:
        return [1] * (nd + 2)
    if isinstance(value, int):
        value = [value]
    value = [int(v) for v in value]
    if len(value) == nd + 2:
        return value
    if len(value) == 1:
        value = value * nd
    elif len(value) != nd:
        raise ValueError(f"{name} should be of length 1, {nd} or {nd + 2}. Received: "
                         f"{name}={value} of length {len(value)}")
    if channels_first(data_format):
        return [1, 1] + value
    return [1] + value + [1]


# ----- attribute checks (build time) --------------------------------------------------------
def check_choice(op_type, attr, value, allowed):
    if value not in allowed:
        choices = ", ".join(f'"{a}"' for a in allowed)
        raise ValueError(f"Attr '{attr}' of '{op_type}' Op passed string '{value}' not in: "
                         f"{choices}.")
    return value


def check_window_attr(op, attr, values, nd, data_format, what):
    """A per-dimension attr (strides, dilations, ksize) of nd + 2 ints with batch/depth 1."""
    values = list(values)
    n = nd + 2
    if len(values) != n:
        raise shape_fns.shape_error(
            op, f"{op.type} on data format {data_format} requires the {what} attribute to "
                f"contain {n} values, but got: {len(values)}")
    b, c = batch_and_channel(values, data_format)
    if b != 1 or c != 1:
        if what == "ksize":
            raise shape_fns.shape_error(
                op, "Pooling is not yet supported on the batch nor depth dimensions")
        raise shape_fns.shape_error(
            op, f"Current implementation does not yet support {what}s in the batch and depth "
                "dimensions")
    spatial = spatial_dims(values, data_format)
    if any(v < 1 for v in spatial):
        raise shape_fns.shape_error(op, f"{what} values must be positive, got {values}")
    return spatial


def check_explicit_paddings(op, padding, explicit_paddings, data_format, nd):
    if padding != "EXPLICIT":
        if explicit_paddings:
            raise shape_fns.shape_error(
                op, "explicit_paddings attribute must be empty if the padding attribute is not "
                    f"EXPLICIT, got {list(explicit_paddings)}")
        return None
    if len(explicit_paddings) != 2 * (nd + 2):
        raise shape_fns.shape_error(
            op, f"explicit_paddings attribute must contain {2 * (nd + 2)} values, but got: "
                f"{len(explicit_paddings)}")
    if any(p < 0 for p in explicit_paddings):
        raise shape_fns.shape_error(
            op, f"All elements of explicit_paddings must be nonnegative, got "
                f"{list(explicit_paddings)}")
    pairs = [tuple(explicit_paddings[2 * i:2 * i + 2]) for i in range(nd + 2)]
    b, c = batch_and_channel(pairs, data_format)
    if any(b) or any(c):
        raise shape_fns.shape_error(
            op, "Nonzero explicit padding in the batch or depth dimensions is not supported")
    return spatial_dims(pairs, data_format)


def check_rank(op, index, rank):
    s = op.inputs[index].shape
    if s.ndims is not None and s.ndims != rank:
        raise shape_fns.shape_error(op, f"Shape must be rank {rank} but is rank {s.ndims}")
    return s.as_list() if s.ndims is not None else [None] * rank


# ----- kernels' helpers (run time, any xp) --------------------------------------------------
def to_channels_last(xp, x, data_format):
    return xp.moveaxis(x, 1, -1) if channels_first(data_format) else x


def from_channels_last(xp, y, data_format):
    if channels_first(data_format):
        return xp.ascontiguousarray(xp.moveaxis(y, -1, 1))
    return y


def pad_spatial(xp, x, pads, value=0):
    """`x` (N, *spatial, C) with `pads[i] = (before, after)` cells of `value` around axis i+1."""
    if not any(b or a for b, a in pads):
        return x
    shape = (x.shape[0],) + tuple(n + b + a for n, (b, a) in zip(x.shape[1:-1], pads)) \
        + (x.shape[-1],)
    out = xp.full(shape, value, dtype=x.dtype)
    inner = (slice(None),) + tuple(slice(b, b + n) for n, (b, _) in zip(x.shape[1:-1], pads))
    out[inner] = x
    return out


def crop_spatial(x, pads, sizes):
    """The interior `sizes` of a padded (N, *spatial, C) array (a view)."""
    return x[(slice(None),) + tuple(slice(b, b + n) for (b, _), n in zip(pads, sizes))]


def offsets(ksize, outs, strides, dilations):
    """(kernel index, spatial slices) per kernel offset, in scan order (row-major).

    The slices pick, for every output position, the input cell under that kernel offset
    in the padded input.
    """
    for kidx in itertools.product(*[range(k) for k in ksize]):
        sl = tuple(slice(k * d, k * d + (o - 1) * s + 1, s)
                   for k, o, s, d in zip(kidx, outs, strides, dilations))
        yield kidx, (slice(None),) + sl


def windows(xp, xpad, outs, ksize, strides, dilations):
    """A read-only strided view `(N, *outs, *ksize, C)` of every window of `xpad`."""
    st = xpad.strides
    nd = len(outs)
    shape = (xpad.shape[0],) + tuple(outs) + tuple(ksize) + (xpad.shape[-1],)
    strides_ = ((st[0],) + tuple(st[1 + i] * strides[i] for i in range(nd))
                + tuple(st[1 + i] * dilations[i] for i in range(nd)) + (st[-1],))
    return xp.lib.stride_tricks.as_strided(xpad, shape=shape, strides=strides_)


def im2col(xp, x, ksize, strides, dilations, pads, outs):
    """The (N * prod(outs), prod(ksize) * C) patch matrix of channels-last `x` (one copy)."""
    xpad = xp.ascontiguousarray(pad_spatial(xp, x, pads))
    n, c = x.shape[0], x.shape[-1]
    if all(k == 1 for k in ksize) and all(s == 1 for s in strides):
        return xpad.reshape(-1, c)
    view = windows(xp, xpad, outs, ksize, strides, dilations)
    return view.reshape(n * math.prod(outs), math.prod(ksize) * c)


def batch_last_rows(xp, y):
    """(prod(spatial) * N, C) rows of a channels-last (N, *spatial, C) array, ordered
    spatial-major with the batch innermost (the column order `col2im` reads)."""
    nd = y.ndim - 2
    return y.transpose(tuple(range(1, nd + 1)) + (0, nd + 1)).reshape(-1, y.shape[-1])


def col2im(xp, cols_t, in_shape, ksize, strides, dilations, pads, outs):
    """Adjoint of `im2col`, from the transposed patch matrix `cols_t` (prod(ksize) * C,
    prod(outs) * N) (rows ordered by kernel offset, then channel; columns by output position,
    then batch, as `batch_last_rows` orders them): sums every offset's patches back into a
    contiguous (N, *in_spatial, C) array, one strided accumulation per offset.

    The sum runs in a (C, *padded, N) buffer, so each offset adds runs of `out_width * N`
    contiguous values rather than rows of `out_width`."""
    n, c = in_shape[0], in_shape[-1]
    nd = len(outs)
    padded = tuple(s + b + a for s, (b, a) in zip(in_shape[1:-1], pads))
    blocks = cols_t.reshape((math.prod(ksize), c) + tuple(outs) + (n,))
    acc = xp.zeros((c,) + padded + (n,), dtype=cols_t.dtype)
    for k, (_, sl) in enumerate(offsets(ksize, outs, strides, dilations)):
        acc[sl] += blocks[k]  # sl = (all channels, *spatial slices); the batch axis follows
    inner = acc[(slice(None),) + tuple(slice(b, b + m)
                                       for (b, _), m in zip(pads, in_shape[1:-1]))]
    return xp.ascontiguousarray(inner.transpose((nd + 1,) + tuple(range(1, nd + 1)) + (0,)))


def upcast_half(xp, x):
    return x.astype(xp.float32) if x.dtype == xp.float16 else x
