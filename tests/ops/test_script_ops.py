"""py_func's results as TF converts them: no cast to `Tout`; a value of another dtype, or
another number of values, is InvalidArgumentError with TF's message naming the op's token.
The expected outcomes are TF's, observed with TensorFlow 2.21's `tf.compat.v1.py_func` in
graph mode."""

import re

import numpy as np
import pytest

import flowexec as tf
from flowexec.ops import script_ops

# (id, function's result, Tout, expected value or (error class, message pattern))
ROWS = [
    ("python_float_to_float32", 1.5, tf.float32,
     (tf.errors.InvalidArgumentError, ("0-th value returned by pyfunc_N is double, but expects "
                                      "float"))),
    ("python_int_to_float32", 1, tf.float32,
     (tf.errors.InvalidArgumentError, "is int64, but expects float")),
    ("python_int_to_int32", 1, tf.int32,
     (tf.errors.InvalidArgumentError, "is int64, but expects int32")),
    ("python_int_to_int64", 1, tf.int64, np.int64(1)),
    ("python_float_to_float64", 1.5, tf.float64, np.float64(1.5)),
    ("float64_array_to_float32", np.array([1.0]), tf.float32,
     (tf.errors.InvalidArgumentError, "is double, but expects float")),
    ("float32_array", np.array([1.0], np.float32), tf.float32, np.array([1.0], np.float32)),
    ("numpy_float64_scalar_to_float32", np.float64(1.0), tf.float32,
     (tf.errors.InvalidArgumentError, "is double, but expects float")),
    ("int32_array_to_int64", np.array([1], np.int32), tf.int64,
     (tf.errors.InvalidArgumentError, "is int32, but expects int64")),
    ("uint8_array_to_int32", np.array([1], np.uint8), tf.int32,
     (tf.errors.InvalidArgumentError, "is uint8, but expects int32")),
    ("bool_to_int32", True, tf.int32,
     (tf.errors.InvalidArgumentError, "is bool, but expects int32")),
    ("complex64_to_complex128", np.array([1j], np.complex64), tf.complex128,
     (tf.errors.InvalidArgumentError, "is complex64, but expects complex128")),
    ("float16", np.array([1.0], np.float16), tf.float16, np.array([1.0], np.float16)),
    ("float_to_string", 1.0, tf.string,
     (tf.errors.InvalidArgumentError, "is double, but expects string")),
    ("bytes_to_float32", b"a", tf.float32,
     (tf.errors.InvalidArgumentError, "is string, but expects float")),
    ("bytes", b"ab", tf.string, b"ab"),   # a scalar string is fetched as bytes, as in TF
    ("str", "ab", tf.string, b"ab"),
    ("unicode_array", np.array(["ab", "c"]), tf.string, np.array([b"ab", b"c"], dtype=object)),
    ("bytes_array", np.array([b"ab", b"c"]), tf.string, np.array([b"ab", b"c"], dtype=object)),
    ("object_str_array", np.array(["ab", "\u00e9"], dtype=object), tf.string,
     np.array([b"ab", b"\xc3\xa9"], dtype=object)),
    ("object_none", np.array([None], dtype=object), tf.string,
     (tf.errors.InternalError, "Unsupported object type NoneType")),
    ("object_mixed", np.array([b"a", 1], dtype=object), tf.string,
     (tf.errors.InternalError, "Unsupported object type int")),
    ("datetime", np.array(["2020-01-01"], dtype="datetime64[D]"), tf.int64,
     (tf.errors.InternalError, "Unsupported numpy type: NPY_DATETIME")),
    ("timedelta", np.array([1], "m8[s]"), tf.int64,
     (tf.errors.InternalError, "Unsupported numpy type: NPY_TIMEDELTA")),
    ("longdouble", np.array([1], np.longdouble), tf.float64,
     (tf.errors.InternalError, "Unsupported numpy type: NPY_LONGDOUBLE")),
    ("none_for_one_output", None, tf.float32,
     (tf.errors.InvalidArgumentError, ("pyfunc_N returns 0 values, but expects to see 1 "
                                      "values."))),
    ("list_for_one_output", [b"a", b"bc"], tf.string,
     (tf.errors.InvalidArgumentError, ("pyfunc_N returns 2 values, but expects to see 1 "
                                      "values."))),
    ("two_for_one", (np.float32(1), np.float32(2)), [tf.float32],
     (tf.errors.InvalidArgumentError, "returns 2 values, but expects to see 1 values.")),
    ("one_for_two", np.float32(1), [tf.float32, tf.float32],
     (tf.errors.InvalidArgumentError, "returns 1 values, but expects to see 2 values.")),
    ("value_for_none", np.float32(1), [],
     (tf.errors.InvalidArgumentError, "returns 1 values, but expects to see 0 values.")),
    ("second_of_two_wrong", (np.float32(1), np.array([1.0])), [tf.float32, tf.float32],
     (tf.errors.InvalidArgumentError, ("1-th value returned by pyfunc_N is double, but expects "
                                      "float"))),
    ("list_of_floats_to_float32_pair", [1.0, 2.0], [tf.float32, tf.float32],
     (tf.errors.InvalidArgumentError, "0-th value returned by pyfunc_N is double")),
    ("nested_list_to_float64", [[1.0, 2.0]], [tf.float64], [np.array([1.0, 2.0])]),
]


@pytest.mark.parametrize("value,tout,expected", [r[1:] for r in ROWS], ids=[r[0] for r in ROWS])
def test_py_func_results_are_converted_as_tf_does(value, tout, expected):
    y = script_ops.py_func(lambda: value, [], tout)
    op = y if isinstance(y, tf.Operation) else (y[0] if isinstance(y, list) else y).op
    token = op.get_attr("token")
    assert re.fullmatch(r"pyfunc_\d+", token)
    with tf.Session() as sess:
        if isinstance(expected, tuple) and isinstance(expected[0], type):
            cls, pattern = expected
            message = re.escape(pattern).replace("pyfunc_N", token)
            with pytest.raises(cls, match=message) as info:
                sess.run(y)
            assert type(info.value) is cls
            assert op.name in str(info.value)
            return
        got = sess.run(y)
    if isinstance(expected, list):
        assert len(got) == len(expected)
        for g, e in zip(got, expected):
            np.testing.assert_array_equal(g, e)
            assert g.dtype == e.dtype
    elif isinstance(expected, bytes):
        assert type(got) is bytes and got == expected
    else:
        np.testing.assert_array_equal(got, expected)
        assert np.asarray(got).dtype == np.asarray(expected).dtype


def test_tokens_are_numbered_in_creation_order():
    a = script_ops.py_func(lambda: np.float32(1), [], tf.float32)
    b = script_ops.py_func(lambda: np.float32(1), [], tf.float32, stateful=False)
    n = int(a.op.get_attr("token").split("_")[1])
    assert b.op.get_attr("token") == f"pyfunc_{n + 1}"
    assert b.op.type == "PyFuncStateless"
