"""`tf.dtypes`: the DType objects, `as_dtype`, `cast` and `saturate_cast`.

Example:
    >>> import flowexec as tf
    >>> tf.dtypes.as_dtype("float32") is tf.dtypes.float32
    True
"""

from flowexec.framework.dtypes import (
    bfloat16,
    DType,
    as_dtype,
    bool,
    complex64,
    complex128,
    double,
    float16,
    float32,
    float64,
    half,
    int8,
    int16,
    int32,
    int64,
    qint8,
    qint16,
    qint32,
    quint8,
    quint16,
    QUANTIZED_DTYPES,
    resource,
    variant,
    string,
    uint8,
    uint16,
    uint32,
    uint64,
)
from flowexec.ops.complex_ops import complex
from flowexec.ops.composite_math_ops import saturate_cast
from flowexec.ops.string_ops import as_string
from flowexec.ops.math_ops import cast

__all__ = [
    "bfloat16",
    "DType",
    "as_dtype",
    "as_string",
    "complex",
    "bool",
    "cast",
    "complex64",
    "complex128",
    "double",
    "float16",
    "float32",
    "float64",
    "half",
    "int8",
    "int16",
    "int32",
    "int64",
    "qint8",
    "qint16",
    "qint32",
    "quint8",
    "quint16",
    "QUANTIZED_DTYPES",
    "resource",
    "variant",
    "saturate_cast",
    "string",
    "uint8",
    "uint16",
    "uint32",
    "uint64",
]
