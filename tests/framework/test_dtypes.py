"""DTypes: names, conversions, properties and limits as in TensorFlow 1."""

import pickle
import re

import numpy as np
import pytest

import flowexec as tf
from flowexec.framework import dtypes

ALL = [tf.float16, tf.float32, tf.float64, tf.int8, tf.int16, tf.int32, tf.int64, tf.uint8,
       tf.uint16, tf.uint32, tf.uint64, tf.bool, tf.complex64, tf.complex128, tf.string]


@pytest.mark.parametrize("value, expected", [
    ("float32", tf.float32), ("float", tf.float32), ("half", tf.float16),
    ("double", tf.float64), ("int64", tf.int64), ("bool", tf.bool), ("string", tf.string),
    (np.float32, tf.float32), (np.dtype("float64"), tf.float64), (np.int8, tf.int8),
    (np.dtype("uint16"), tf.uint16), (np.bool_, tf.bool), (np.complex64, tf.complex64),
    (np.dtype("S3"), tf.string), (np.dtype("<U2"), tf.string), (np.object_, tf.string),
    (np.str_, tf.string), (float, tf.float32), (bool, tf.bool), (object, tf.string),
    (1, tf.float32), (3, tf.int32), (9, tf.int64), (tf.int16, tf.int16),
])
def test_as_dtype_accepts_tf_numpy_and_python_forms(value, expected):
    assert tf.as_dtype(value) is expected


@pytest.mark.parametrize("value", [int, str, bytes, "int", "float128", 99, [1], None,
                                   np.dtype("datetime64[s]")])
def test_as_dtype_rejects_what_tf1_rejects(value):
    message = f"^Cannot convert value {re.escape(repr(value))} to a TensorFlow DType.$"
    with pytest.raises(TypeError, match=message):
        tf.as_dtype(value)


def test_names_reprs_and_enums():
    assert repr(tf.float32) == "tf.float32" and str(tf.float32) == "<dtype: 'float32'>"
    assert tf.float32.name == "float32" and tf.double is tf.float64 and tf.half is tf.float16
    assert int(tf.float32) == 1 and tf.int32.as_datatype_enum == 3
    assert tf.float32.as_numpy_dtype is np.float32 and tf.string.as_numpy_dtype is object
    assert tf.float32.base_dtype is tf.float32
    assert [d.name for d in ALL] == [
        "float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "uint16",
        "uint32", "uint64", "bool", "complex64", "complex128", "string"]
    assert len({hash(d) for d in ALL}) == len(ALL)


def test_equality_with_other_forms():
    assert tf.float32 == "float32" and tf.float32 == np.float32 and tf.float32 != tf.float64
    assert tf.float32 != None and tf.float32 != "nonsense" and tf.int32 != int  # noqa: E711,E721
    assert tf.int32.is_compatible_with(tf.int32) and not tf.int32.is_compatible_with("int64")


@pytest.mark.parametrize("dt, floating, integer, unsigned, complex_, boolean, numeric", [
    (tf.float32, True, False, False, False, False, True),
    (tf.float16, True, False, False, False, False, True),
    (tf.int32, False, True, False, False, False, True),
    (tf.uint8, False, True, True, False, False, True),
    (tf.complex64, False, False, False, True, False, True),
    (tf.bool, False, False, False, False, True, False),
    (tf.string, False, False, False, False, False, False),
])
def test_type_predicates(dt, floating, integer, unsigned, complex_, boolean, numeric):
    assert (dt.is_floating, dt.is_integer, dt.is_unsigned, dt.is_complex, dt.is_bool,
            dt.is_numeric) == (floating, integer, unsigned, complex_, boolean, numeric)
    assert not dt.is_quantized and dt.is_numpy_compatible


def test_min_max_and_sizes():
    assert tf.int8.min == -128 and tf.int8.max == 127 and tf.uint8.min == 0
    assert tf.int64.max == 2 ** 63 - 1 and isinstance(tf.int32.max, int)
    assert tf.float32.max == np.finfo(np.float32).max and tf.float32.max.dtype == np.float32
    assert tf.float64.min == -np.finfo(np.float64).max
    assert tf.float32.size == 4 and tf.complex128.size == 16 and tf.bool.size == 1
    for dt in (tf.bool, tf.string, tf.complex64):
        with pytest.raises(TypeError, match=f"Cannot find minimum value of <dtype: '{dt.name}'>."):
            dt.min  # noqa: B018
        with pytest.raises(TypeError, match=f"Cannot find maximum value of <dtype: '{dt.name}'>."):
            dt.max  # noqa: B018


def test_real_dtype_pickle_and_from_numpy():
    assert tf.complex64.real_dtype is tf.float32 and tf.complex128.real_dtype is tf.float64
    assert tf.int32.real_dtype is tf.int32
    assert pickle.loads(pickle.dumps(tf.uint16)) is tf.uint16
    assert dtypes.from_numpy(np.dtype(np.int16)) is tf.int16
