"""tf.compat: conversions, dimension helpers, forward compatibility, compat.v1."""

import pathlib

import pytest

import flowexec as tf


def test_compat_v1_is_flowexec():
    assert tf.compat.v1 is tf
    assert tf.compat.v1.placeholder is tf.placeholder
    assert not hasattr(tf.compat, "v2")


def test_text_and_bytes():
    assert tf.compat.as_bytes("é") == "é".encode()
    assert tf.compat.as_bytes(bytearray(b"ab")) == b"ab"
    assert tf.compat.as_text(b"\xc3\xa9") == "é"
    assert tf.compat.as_str(b"x") == "x"
    assert tf.compat.as_str_any(b"y") == "y" and tf.compat.as_str_any(3) == "3"
    assert tf.compat.path_to_str(pathlib.Path("/a/b")) == "/a/b"
    assert tf.compat.path_to_str(5) == 5
    with pytest.raises(TypeError, match="Expected binary or unicode string"):
        tf.compat.as_bytes(3)
    assert isinstance(3, tf.compat.integral_types)
    assert isinstance("s", tf.compat.bytes_or_text_types)


def test_dimension_helpers():
    shape = tf.TensorShape([3, None])
    assert tf.compat.dimension_value(shape[0]) == 3
    assert tf.compat.dimension_value(shape[1]) is None
    assert tf.compat.dimension_at_index(tf.TensorShape(None), 2).value is None


def test_forward_compatibility():
    assert tf.compat.forward_compatible(2019, 1, 1)
    assert not tf.compat.forward_compatible(2030, 1, 1)
    with tf.compat.forward_compatibility_horizon(2031, 1, 1):
        assert tf.compat.forward_compatible(2030, 1, 1)
    assert not tf.compat.forward_compatible(2030, 1, 1)
