"""make_tensor_proto / make_ndarray: TF's encodings both ways."""

import numpy as np
import pytest

import flowexec as tf

pytest.importorskip("tensorboard")


@pytest.mark.parametrize("value", [
    np.arange(6, dtype=np.float32).reshape(2, 3), np.array([1.5, -2.0]), np.int64(7),
    np.array([[1, 2], [3, 4]], np.int32), np.array([True, False]), np.uint8([0, 255]),
    np.array([1 + 2j, 3 - 1j], np.complex64), np.float16([0.5, -1.25, 65504]),
    np.zeros((0, 3), np.float32),
])
def test_round_trip_keeps_values_and_dtype(value):
    out = tf.make_ndarray(tf.make_tensor_proto(value))
    assert out.dtype == np.asarray(value).dtype and np.array_equal(out, value)


def test_numeric_arrays_use_tensor_content_scalars_typed_lists():
    assert tf.make_tensor_proto(np.ones(3, np.float32)).tensor_content
    scalar = tf.make_tensor_proto(2.5)
    assert not scalar.tensor_content and list(scalar.float_val) == [2.5]
    b = tf.make_tensor_proto([True, False])  # bool is never tensor_content in TF
    assert list(b.bool_val) == [True, False]


def test_one_value_fills_the_shape():
    p = tf.make_tensor_proto(3.0, shape=[2, 2])
    assert list(p.float_val) == [3.0]
    np.testing.assert_array_equal(tf.make_ndarray(p), np.full((2, 2), 3.0, np.float32))


def test_decodes_typed_lists_shorter_than_the_shape():
    p = tf.TensorProto(dtype=tf.int32.as_datatype_enum)
    p.tensor_shape.dim.add(size=4)
    p.int_val.extend([1, 2])
    np.testing.assert_array_equal(tf.make_ndarray(p), [1, 2, 2, 2])


def test_half_val_holds_bit_patterns():
    p = tf.TensorProto(dtype=tf.float16.as_datatype_enum)
    p.tensor_shape.dim.add(size=2)
    p.half_val.extend([int(np.float16(1.5).view(np.uint16)), int(np.float16(-2).view(np.uint16))])
    np.testing.assert_array_equal(tf.make_ndarray(p), np.float16([1.5, -2]))


def test_strings():
    p = tf.make_tensor_proto(["ab", b"c"])
    assert list(p.string_val) == [b"ab", b"c"]
    assert list(tf.make_ndarray(p)) == [b"ab", b"c"]


def test_wrong_content_size_is_an_error():
    p = tf.make_tensor_proto(np.ones(3, np.float32))
    p.tensor_content = p.tensor_content[:-1]
    with pytest.raises(ValueError, match="tensor_content"):
        tf.make_ndarray(p)


def test_too_many_values_for_shape():
    with pytest.raises(ValueError, match="Too many elements"):
        tf.make_tensor_proto([1, 2, 3], shape=[2])
