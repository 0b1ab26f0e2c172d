"""Ops that exist only for framework tests, registered as "Test..." outside the package
(so the registry coverage test expects no oracle rows for them)."""

from flowexec.framework import dtypes
from flowexec.framework.convert import convert_to_tensor
from flowexec.framework.registry import apply_op, defop, get_op_def
from flowexec.ops import shape_fns


def _register():
    try:
        get_op_def("TestFwBinary")
        return
    except LookupError:
        pass

    @defop("TestFwBinary", infer=shape_fns.broadcast_binary)
    def _binary(xp, x, y):
        return xp.add(x, y)

    _binary.not_differentiable()

    @defop("TestFwSplit2", infer=lambda op: [(op.inputs[0].dtype, op.inputs[0].shape)] * 2)
    def _split2(xp, x):
        return x, x

    _split2.not_differentiable()

    @defop("TestFwScale", infer=shape_fns.unchanged)
    def _scale(xp, x, **attrs):
        return xp.multiply(x, attrs.get("factor", 1))

    _scale.not_differentiable()

    @defop("TestFwCount", infer=lambda op: [(dtypes.int32, ())])
    def _count(xp, *values):
        return xp.int32(len(values))

    _count.not_differentiable()


_register()


def binary(x, y, name=None):
    return apply_op("TestFwBinary", convert_to_tensor(x), convert_to_tensor(y), name=name)


def split2(x, name=None):
    return apply_op("TestFwSplit2", convert_to_tensor(x), name=name)


def scale(x, name=None, **attrs):
    return apply_op("TestFwScale", convert_to_tensor(x), name=name, **attrs)


def count(*values, name=None):
    return apply_op("TestFwCount", *[convert_to_tensor(v) for v in values], name=name)
