"""Argument checks the image op kernels share (TF's messages): InvalidArgumentError
builders, TF's shape strings, static dimension merges, and TF's "no gradient" LookupError;
and two kernel helpers they share: a numpy errstate guard and TF's box IoU."""

from flowexec.framework import errors
from flowexec.ops import shape_fns


def invalid(msg):
    return errors.InvalidArgumentError(None, None, msg)


def shape_str(a):
    return "[" + ",".join(str(d) for d in a.shape) + "]"


def no_gradient(op_def, type_name):
    # TF registers no gradient function: tf.gradients raises LookupError if one must flow.
    @op_def.gradient
    def _grad(op, *dys):
        raise LookupError(f"No gradient defined for operation '{op.name}' (op type: "
                          f"{type_name})")
    return _grad


def merge_dim(op, a, b):
    if a is not None and b is not None and a != b:
        raise shape_fns.shape_error(op, f"Dimensions must be equal, but are {a} and {b}")
    return a if a is not None else b


def check_dim(op, value, want):
    if value is not None and value != want:
        raise shape_fns.shape_error(op, f"Dimension must be {want} but is {value}")


class quiet:
    """numpy's errstate(divide/invalid="ignore") when xp has one: for 0/0 (or sin(0) / 0)
    that the kernel masks afterwards, so numpy must not warn about it."""

    def __init__(self, xp):
        self._errstate = getattr(xp, "errstate", None)

    def __enter__(self):
        self._ctx = self._errstate(divide="ignore", invalid="ignore") if self._errstate else None
        if self._ctx is not None:
            self._ctx.__enter__()

    def __exit__(self, *exc):
        if self._ctx is not None:
            self._ctx.__exit__(*exc)


def _corners(xp, boxes):
    b = xp.asarray(boxes, dtype=xp.float32)
    ymin = xp.minimum(b[:, 0], b[:, 2])
    ymax = xp.maximum(b[:, 0], b[:, 2])
    xmin = xp.minimum(b[:, 1], b[:, 3])
    xmax = xp.maximum(b[:, 1], b[:, 3])
    return ymin, xmin, ymax, xmax, (ymax - ymin) * (xmax - xmin)


def iou_fn(xp, boxes):
    """`iou(i, js)`: float32 IoU of box i with boxes js (of `[n, 4]` boxes, rows
    `[y1, x1, y2, x2]` in either corner order), TF's formula: 0 where an area is <= 0."""
    ymin, xmin, ymax, xmax, area = _corners(xp, boxes)
    zero = xp.float32(0)

    def iou(i, js):
        iy = xp.maximum(xp.minimum(ymax[i], ymax[js]) - xp.maximum(ymin[i], ymin[js]), zero)
        ix = xp.maximum(xp.minimum(xmax[i], xmax[js]) - xp.maximum(xmin[i], xmin[js]), zero)
        inter = iy * ix
        with quiet(xp):
            out = inter / (area[i] + area[js] - inter)
        return xp.where((area[i] <= 0) | (area[js] <= 0), zero, out)
    return iou
