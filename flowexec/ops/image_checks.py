"""Argument checks the image op kernels share (TF's messages): InvalidArgumentError
builders, TF's shape strings, static dimension merges, and TF's "no gradient" LookupError."""

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
