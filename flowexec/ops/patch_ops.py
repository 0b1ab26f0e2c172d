"""patch_ops: `tf.extract_image_patches` and `tf.extract_volume_patches`, composed of a pad
and one strided slice per window offset, so the gradient is the slices' and the pad's.

Patches are laid out as TF's: output[b, y, x, ((i * kw) + j) * depth + c] is input pixel
(y * stride + i * rate, x * stride + j * rate) (after SAME padding), i.e. the window's rows,
then its columns, then the channels. Spatial sizes must be known when the graph is built.
"""

from flowexec.framework.convert import convert_to_tensor
from flowexec.framework.graph import name_scope
from flowexec.ops import array_ops as _a

__all__ = ["extract_image_patches", "extract_volume_patches"]


def _windows(x, ksizes, strides, rates, padding, what):
    rank = x.shape.ndims
    m = rank - 2
    for arg, label in ((ksizes, "ksizes"), (strides, "strides"), (rates, "rates")):
        if len(arg) != rank or arg[0] != 1 or arg[-1] != 1:
            raise ValueError(f"{what}: {label} must be a list of {rank} ints with 1 at the "
                             f"batch and depth positions, got {list(arg)}")
    if padding not in ("SAME", "VALID"):
        raise ValueError(f"{what}: padding must be 'SAME' or 'VALID', got {padding!r}")
    dims = x.shape.as_list()
    spatial = dims[1:-1]
    if None in spatial:
        raise ValueError(f"{what} needs the spatial sizes of its input, got {x.shape}")
    k, s, r = ksizes[1:-1], strides[1:-1], rates[1:-1]
    eff = [kk + (kk - 1) * (rr - 1) for kk, rr in zip(k, r)]
    if padding == "VALID":
        out = [max(-(-(n - e + 1) // ss), 0) for n, e, ss in zip(spatial, eff, s)]
        pads = [[0, 0] for _ in spatial]
    else:
        out = [-(-n // ss) for n, ss in zip(spatial, s)]
        total = [max((o - 1) * ss + e - n, 0) for o, ss, e, n in zip(out, s, eff, spatial)]
        pads = [[t // 2, t - t // 2] for t in total]
    padded = _a.pad(x, [[0, 0]] + pads + [[0, 0]]) if any(sum(p) for p in pads) else x
    pieces = []

    def offsets(level):
        if level == m:
            yield []
            return
        for i in range(k[level]):
            for rest in offsets(level + 1):
                yield [i] + rest
    for off in offsets(0):
        begin = [0] + [o * rr for o, rr in zip(off, r)] + [0]
        end = [0] + [o * rr + (oo - 1) * ss + 1 for o, rr, oo, ss in zip(off, r, out, s)] + [0]
        pieces.append(_a.strided_slice(padded, begin, end, [1] + list(s) + [1],
                                       begin_mask=1 | (1 << (rank - 1)),
                                       end_mask=1 | (1 << (rank - 1))))
    return _a.concat(pieces, axis=-1)


def extract_image_patches(images, ksizes=None, strides=None, rates=None, padding=None,
                          name=None, sizes=None):
    """The ksize-sized patches of NHWC `images`, one patch per output pixel in the depth
    dimension (see the module docstring).

    Args:
        images: [batch, rows, cols, depth].
        ksizes (or `sizes`): [1, ksize_rows, ksize_cols, 1].
        strides: [1, stride_rows, stride_cols, 1].
        rates: [1, rate_rows, rate_cols, 1] (dilation).
        padding: "SAME" or "VALID".
        name: name scope.

    Returns:
        [batch, out_rows, out_cols, ksize_rows * ksize_cols * depth].

    Example:
        >>> extract_image_patches(x, [1, 2, 2, 1], [1, 1, 1, 1], [1, 1, 1, 1], "VALID")
    """
    ksizes = ksizes if ksizes is not None else sizes
    with name_scope(name, "ExtractImagePatches", [images]):
        x = convert_to_tensor(images, name="images")
        if x.shape.ndims != 4:
            raise ValueError(f"extract_image_patches needs a rank-4 input, got {x.shape}")
        return _windows(x, list(ksizes), list(strides), list(rates), padding,
                        "extract_image_patches")


def extract_volume_patches(input, ksizes, strides, padding, name=None):
    """The 3-D patches of NDHWC `input` ([batch, planes, rows, cols, depth]), as
    `extract_image_patches` (no rates); ksizes/strides are [1, p, r, c, 1]."""
    with name_scope(name, "ExtractVolumePatches", [input]):
        x = convert_to_tensor(input, name="input")
        if x.shape.ndims != 5:
            raise ValueError(f"extract_volume_patches needs a rank-5 input, got {x.shape}")
        return _windows(x, list(ksizes), list(strides), [1] * 5, padding,
                        "extract_volume_patches")
