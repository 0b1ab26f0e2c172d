"""flowexec attribute values <-> TF's AttrValue protos, by the attribute's TF type.

flowexec keeps attributes as Python values: DType, TensorShape, numpy arrays for tensors,
str for strings (bytes where they are not UTF-8), bool/int/float, and lists of these. A
schema type ("list(int)", "shape", ...) decides the AttrValue field; attributes outside the
schema (`_class`, `_output_shapes`, `_gradient_op_type`) are encoded by their value.
"""

import numpy as np

from flowexec.framework import dtypes
from flowexec.framework.tensor_shape import TensorShape
from flowexec.graph_io import protos
from flowexec.graph_io.tensor_proto import (
    make_ndarray,
    make_tensor_proto,
    shape_from_proto,
    shape_proto,
)

__all__ = ["from_attr_value", "to_attr_value"]


def _s(value):
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode("utf-8")
    raise TypeError(f"expected a string, got {value!r}")


def _shape(value):
    return shape_proto(value if isinstance(value, TensorShape) else TensorShape(value))


def _tensor(value):
    if hasattr(value, "SerializeToString"):
        return value
    return make_tensor_proto(np.asarray(value) if not isinstance(value, np.ndarray) else value)


_SCALAR = {
    "type": ("type", lambda v: dtypes.as_dtype(v).as_datatype_enum),
    "shape": ("shape", _shape),
    "tensor": ("tensor", _tensor),
    "int": ("i", int),
    "float": ("f", float),
    "bool": ("b", bool),
    "string": ("s", _s),
}


def to_attr_value(value, attr_type=None):
    """The AttrValue of `value`; `attr_type` is TF's type of the attribute (None: by value).

    Raises:
        TypeError: the value does not fit the type, or has no AttrValue form (a callable,
            a function graph).
    """
    av = protos.get().attr_value_pb2.AttrValue()
    if attr_type is None:
        attr_type = _type_of(value)
    if attr_type.startswith("list("):
        field, conv = _SCALAR[attr_type[5:-1]]
        items = [conv(x) for x in value]
        av.list.SetInParent()
        target = getattr(av.list, field)
        if field in ("shape", "tensor"):
            for x in items:
                target.add().CopyFrom(x)
        else:
            target.extend(items)
        return av
    if attr_type not in _SCALAR:
        raise TypeError(f"attribute type '{attr_type}' has no flowexec value form")
    field, conv = _SCALAR[attr_type]
    converted = conv(value)
    if field in ("shape", "tensor"):
        getattr(av, field).CopyFrom(converted)
    else:
        setattr(av, field, converted)
    return av


def _type_of(value):
    if isinstance(value, dtypes.DType):
        return "type"
    if isinstance(value, TensorShape):
        return "shape"
    if isinstance(value, np.ndarray):
        return "tensor"
    if isinstance(value, (bool, np.bool_)):
        return "bool"
    if isinstance(value, (int, np.integer)):
        return "int"
    if isinstance(value, (float, np.floating)):
        return "float"
    if isinstance(value, (str, bytes)):
        return "string"
    if isinstance(value, (list, tuple)) and value:
        return f"list({_type_of(value[0])})"
    if isinstance(value, (list, tuple)):
        return "list(string)"
    raise TypeError(f"{value!r} has no AttrValue form")


def _str(b):
    try:
        return b.decode("utf-8")
    except UnicodeDecodeError:
        return b


_DECODE = {
    "type": lambda v: dtypes.as_dtype(v),
    "shape": shape_from_proto,
    "tensor": make_ndarray,
    "i": int, "f": float, "b": bool, "s": _str,
}
_FIELD = {"type": "type", "shape": "shape", "tensor": "tensor", "int": "i", "float": "f",
          "bool": "b", "string": "s"}


def from_attr_value(av, attr_type=None):
    """The flowexec value of an AttrValue (see the module docstring).

    Raises:
        TypeError: a function attribute or placeholder (flowexec imports no functions), or
            a value that does not fit `attr_type`.
    """
    which = av.WhichOneof("value")
    if which in ("func", "placeholder"):
        raise TypeError(f"attribute holds a {which} ({av}), which flowexec does not import")
    if attr_type is not None and attr_type.startswith("list("):
        field = _FIELD[attr_type[5:-1]]
        return [_DECODE[field](x) for x in getattr(av.list, field)]
    if which == "list":
        for field in ("s", "i", "f", "b", "type", "shape", "tensor"):
            items = getattr(av.list, field)
            if len(items):
                return [_DECODE[field](x) for x in items]
        return []
    if which is None:
        raise TypeError("attribute has no value")
    if attr_type is not None and _FIELD.get(attr_type) not in (which, None):
        raise TypeError(f"attribute of type {attr_type} holds a '{which}' value")
    return _DECODE[which](getattr(av, which))
