"""Data types with TensorFlow's names, mapped one-to-one onto numpy dtypes.

`DType.name` is the Python-facing name (`"float32"`); `DType.proto_name` is the name TF's
runtime messages use (`"float"`, `"double"`), as in "with dtype float and shape [10]".
"""

import numpy as np


class DType:
    """A tensor element type, e.g. `flowexec.float32`.

    DTypes are singletons: compare them with `==` or `is`. `as_numpy_dtype` is the numpy
    scalar type and `np` the numpy dtype object.
    """

    __slots__ = ("name", "proto_name", "np", "as_numpy_dtype", "_enum")

    def __init__(self, name, proto_name, np_type, enum):
        self.name = name
        self.proto_name = proto_name
        self.np = np.dtype(np_type) if np_type is not None else np.dtype(object)
        self.as_numpy_dtype = np_type if np_type is not None else object
        self._enum = enum

    @property
    def base_dtype(self):
        return self

    @property
    def is_floating(self):
        return self.np.kind == "f"

    @property
    def is_complex(self):
        return self.np.kind == "c"

    @property
    def is_integer(self):
        return self.np.kind in "iu"

    @property
    def is_unsigned(self):
        return self.np.kind == "u"

    @property
    def is_bool(self):
        return self.np.kind == "b"

    @property
    def is_numeric(self):
        return self.np.kind in "iufc"

    @property
    def size(self):
        return self.np.itemsize

    @property
    def as_datatype_enum(self):
        return self._enum

    @property
    def min(self):
        if self.is_floating:
            return float(np.finfo(self.np).min)
        if self.is_integer:
            return int(np.iinfo(self.np).min)
        raise TypeError(f"Cannot find minimum value of {self}.")

    @property
    def max(self):
        if self.is_floating:
            return float(np.finfo(self.np).max)
        if self.is_integer:
            return int(np.iinfo(self.np).max)
        raise TypeError(f"Cannot find maximum value of {self}.")

    def is_compatible_with(self, other):
        return self is as_dtype(other)

    def __eq__(self, other):
        if other is None:
            return False
        if isinstance(other, DType):
            return self is other
        try:
            return self is as_dtype(other)
        except TypeError:
            return False

    def __ne__(self, other):
        return not self.__eq__(other)

    def __hash__(self):
        return self._enum

    def __repr__(self):
        return f"tf.{self.name}"

    def __str__(self):
        return f"<dtype: '{self.name}'>"

    def __reduce__(self):
        return as_dtype, (self.name,)


float16 = DType("float16", "half", np.float16, 19)
half = float16
float32 = DType("float32", "float", np.float32, 1)
float64 = DType("float64", "double", np.float64, 2)
double = float64
int8 = DType("int8", "int8", np.int8, 6)
int16 = DType("int16", "int16", np.int16, 5)
int32 = DType("int32", "int32", np.int32, 3)
int64 = DType("int64", "int64", np.int64, 9)
uint8 = DType("uint8", "uint8", np.uint8, 4)
uint16 = DType("uint16", "uint16", np.uint16, 17)
uint32 = DType("uint32", "uint32", np.uint32, 22)
uint64 = DType("uint64", "uint64", np.uint64, 23)
bool = DType("bool", "bool", np.bool_, 10)  # noqa: A001 - TF's public name
complex64 = DType("complex64", "complex64", np.complex64, 8)
complex128 = DType("complex128", "complex128", np.complex128, 18)
string = DType("string", "string", None, 7)

_ALL = (float16, float32, float64, int8, int16, int32, int64, uint8, uint16, uint32, uint64,
        bool, complex64, complex128, string)
_BY_NAME = {d.name: d for d in _ALL}
_BY_NAME.update({"half": float16, "float": float32, "double": float64})
_BY_NP = {d.np: d for d in _ALL if d is not string}
_BY_ENUM = {d.as_datatype_enum: d for d in _ALL}


def as_dtype(type_value):
    """Converts a DType, numpy dtype, Python type, TF name or enum to a `DType`.

    Raises:
        TypeError: if `type_value` names no known type.
    """
    if isinstance(type_value, DType):
        return type_value
    if isinstance(type_value, str):
        try:
            return _BY_NAME[type_value]
        except KeyError:
            raise TypeError(f"Cannot convert value {type_value!r} to a TensorFlow DType.")
    if isinstance(type_value, int) and not isinstance(type_value, type(True)):
        if type_value in _BY_ENUM:
            return _BY_ENUM[type_value]
    if type_value is float:
        return float32
    if type_value is int:
        return int32
    if type_value is type(True):
        return bool
    if type_value in (bytes, str):
        return string
    try:
        npd = np.dtype(type_value)
    except TypeError:
        raise TypeError(f"Cannot convert value {type_value!r} to a TensorFlow DType.") from None
    if npd.kind in "SUO":
        return string
    try:
        return _BY_NP[npd]
    except KeyError:
        raise TypeError(f"Cannot convert value {type_value!r} to a TensorFlow DType.") from None


def from_numpy(np_dtype):
    """The DType of a numpy dtype (fast path for kernels' outputs)."""
    return _BY_NP.get(np_dtype) or as_dtype(np_dtype)
