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

    __slots__ = ("_enum", "as_numpy_dtype", "name", "np", "proto_name")

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
    def real_dtype(self):
        """float32 for complex64, float64 for complex128, else this type."""
        return {"complex64": float32, "complex128": float64}.get(self.name, self)

    @property
    def is_quantized(self):
        return False

    @property
    def is_numpy_compatible(self):
        return self._enum not in (20, 21)  # resource and variant hold host objects

    @property
    def min(self):
        """The smallest value of the type (a numpy scalar for floats, an int for integers).

        Raises:
            TypeError: for bool, string and complex types.
        """
        if self.is_floating:
            return np.finfo(self.np).min
        if self.is_integer:
            return int(np.iinfo(self.np).min)
        raise TypeError(f"Cannot find minimum value of {self}.")

    @property
    def max(self):
        """The largest value of the type (a numpy scalar for floats, an int for integers).

        Raises:
            TypeError: for bool, string and complex types.
        """
        if self.is_floating:
            return np.finfo(self.np).max
        if self.is_integer:
            return int(np.iinfo(self.np).max)
        raise TypeError(f"Cannot find maximum value of {self}.")

    def is_compatible_with(self, other):
        """True when a tensor of type `other` can be used where this type is expected."""
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

    def __int__(self):
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
bool = DType("bool", "bool", np.bool_, 10)
complex64 = DType("complex64", "complex64", np.complex64, 8)
complex128 = DType("complex128", "complex128", np.complex128, 18)
string = DType("string", "string", None, 7)
# Handles to host-side objects, as in TF: a resource (an iterator) and a variant (a dataset).
resource = DType("resource", "resource", None, 20)
variant = DType("variant", "variant", None, 21)

_ALL = (float16, float32, float64, int8, int16, int32, int64, uint8, uint16, uint32, uint64,
        bool, complex64, complex128, string, resource, variant)
_BY_NAME = {d.name: d for d in _ALL}
_BY_NAME.update({"half": float16, "float": float32, "double": float64})
_BY_NP = {d.np: d for d in _ALL if d.np.kind != "O"}
_BY_ENUM = {d.as_datatype_enum: d for d in _ALL}


_BY_PYTHON = {float: float32, type(True): bool, object: string}  # noqa: UP003


def as_dtype(type_value):
    """Converts a DType, numpy dtype or type, TF type name or enum to a `DType`.

    As in TF1, the Python types `float`, `bool` and `object` convert (to float32, bool and
    string); `int` and `str` do not: say `tf.int32` / `tf.string`.

    Raises:
        TypeError: if `type_value` names no known type.
    """
    if isinstance(type_value, DType):
        return type_value
    try:
        found = _BY_ENUM.get(type_value) or _BY_NAME.get(type_value) or \
            _BY_PYTHON.get(type_value)
    except TypeError:  # unhashable
        found = None
    if found is not None:
        return found
    if isinstance(type_value, np.dtype) or (
            isinstance(type_value, type) and issubclass(type_value, np.generic)):
        npd = np.dtype(type_value)
        if npd.kind in "SUO":
            return string
        if npd in _BY_NP:
            return _BY_NP[npd]
    raise TypeError(f"Cannot convert value {type_value!r} to a TensorFlow DType.")


def from_numpy(np_dtype):
    """The DType of a numpy dtype (fast path for kernels' outputs)."""
    return _BY_NP.get(np_dtype) or as_dtype(np_dtype)


# ----- quantized types (TF's qint8 ... qint32: numpy structured types wrapping the ints) -------
class _QuantizedDType(DType):
    """A TF quantized type: its values are integers that stand for quantized floats."""

    __slots__ = ()

    @property
    def is_quantized(self):
        return True

    @property
    def min(self):
        return int(np.iinfo(self.np[0]).min)

    @property
    def max(self):
        return int(np.iinfo(self.np[0]).max)


qint8 = _QuantizedDType("qint8", "qint8", np.dtype([("qint8", np.int8)]), 11)
quint8 = _QuantizedDType("quint8", "quint8", np.dtype([("quint8", np.uint8)]), 12)
qint32 = _QuantizedDType("qint32", "qint32", np.dtype([("qint32", np.int32)]), 13)
qint16 = _QuantizedDType("qint16", "qint16", np.dtype([("qint16", np.int16)]), 15)
quint16 = _QuantizedDType("quint16", "quint16", np.dtype([("quint16", np.uint16)]), 16)
QUANTIZED_DTYPES = frozenset((qint8, quint8, qint16, quint16, qint32))
for _q in QUANTIZED_DTYPES:
    _BY_NAME[_q.name] = _q
    _BY_NP[_q.np] = _q
    _BY_ENUM[_q.as_datatype_enum] = _q
del _q


# ----- bfloat16 (numpy's through the optional ml_dtypes package, as TF's own) ---------------
try:
    import ml_dtypes as _ml_dtypes
except ImportError:  # pragma: no cover - ml_dtypes is in the test extras
    _ml_dtypes = None

HAS_BFLOAT16 = _ml_dtypes is not None


class _BFloat16DType(DType):
    """TF's bfloat16: float32's exponent with an 8-bit significand.

    Its values are `ml_dtypes.bfloat16` numpy arrays (`pip install flowexec[bfloat16]`);
    without ml_dtypes the type exists (names, protos, checkpoints' dtype enum) and creating
    values of it raises UnimplementedError saying what to install.
    """

    __slots__ = ()

    @property
    def is_floating(self):
        return True

    @property
    def is_numeric(self):
        return True

    @property
    def min(self):
        return _ml_dtypes.finfo(_ml_dtypes.bfloat16).min if HAS_BFLOAT16 else -3.38953139e38

    @property
    def max(self):
        return _ml_dtypes.finfo(_ml_dtypes.bfloat16).max if HAS_BFLOAT16 else 3.38953139e38


def require_bfloat16(what):
    """Raises UnimplementedError when bfloat16 values cannot be made (no ml_dtypes)."""
    if not HAS_BFLOAT16:
        from flowexec.framework import errors

        raise errors.UnimplementedError(
            None, None, f"{what}: bfloat16 values need the ml_dtypes package "
            "(pip install ml_dtypes, or flowexec[bfloat16])")


bfloat16 = _BFloat16DType(
    "bfloat16", "bfloat16",
    _ml_dtypes.bfloat16 if HAS_BFLOAT16 else np.dtype([("bfloat16", np.uint16)]), 14)
_BY_NAME[bfloat16.name] = bfloat16
_BY_NP[bfloat16.np] = bfloat16
_BY_ENUM[bfloat16.as_datatype_enum] = bfloat16
