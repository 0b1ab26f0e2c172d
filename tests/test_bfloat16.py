"""tf.bfloat16, tf.to_bfloat16 and Cast to and from it, bit for bit against TensorFlow
(tests/data/tf1/bfloat16/, scripts/make_tf_bfloat16_fixtures.py); bfloat16 checkpoints and
tf.dequantize(dtype=bfloat16)."""

import os

import numpy as np
import pytest

import flowexec as tf
from flowexec.framework import dtypes as dtypes_mod
from tests.graph_io.helpers import DATA

ml_dtypes = pytest.importorskip("ml_dtypes")
FIX = np.load(os.path.join(DATA, "bfloat16", "bfloat16.npz"))


def _bits(value):
    return np.asarray(value).view(np.uint16)


def test_dtype_properties():
    b = tf.bfloat16
    assert b is tf.dtypes.bfloat16 and b.name == "bfloat16" and b.as_datatype_enum == 14
    assert tf.as_dtype("bfloat16") is b and tf.as_dtype(14) is b
    assert tf.as_dtype(ml_dtypes.bfloat16) is b and b.size == 2
    assert b.is_floating and b.is_numeric and not b.is_integer and not b.is_quantized
    assert float(b.max) == 3.3895313892515355e38 and float(b.min) == -float(b.max)
    assert repr(b) == "tf.bfloat16" and str(b) == "<dtype: 'bfloat16'>"


def test_cast_rounds_to_nearest_even_as_tf():
    x = tf.constant(FIX["x"])
    b = tf.cast(x, tf.bfloat16)
    back = tf.cast(b, tf.float32)
    ints = tf.to_bfloat16(tf.constant(FIX["ints"]))
    assert b.dtype is tf.bfloat16 and ints.dtype is tf.bfloat16
    assert ints.op.name == "ToBFloat16"
    with tf.Session() as sess:
        bv, backv, iv = sess.run([b, back, ints])
    assert bv.dtype == np.dtype(ml_dtypes.bfloat16)
    np.testing.assert_array_equal(_bits(bv), FIX["to_bits"])
    np.testing.assert_array_equal(backv.view(np.uint32), FIX["back"].view(np.uint32))
    np.testing.assert_array_equal(_bits(iv), FIX["ints_bits"])


def test_arithmetic_and_constants_stay_bfloat16():
    a = tf.constant([1.5, 2.5], dtype=tf.bfloat16)
    y = a * a + a
    with tf.Session() as sess:
        v = sess.run(y)
    want = (np.array([1.5, 2.5], ml_dtypes.bfloat16) ** 2 + np.array([1.5, 2.5],
                                                                     ml_dtypes.bfloat16))
    assert v.dtype == want.dtype
    np.testing.assert_array_equal(_bits(v), _bits(want))


def test_dequantize_to_bfloat16_is_tfs():
    q = tf.constant(FIX["deq_q"].view(tf.quint8.np))
    d = tf.dequantize(q, -1.0, 2.0, dtype=tf.bfloat16)
    assert d.dtype is tf.bfloat16
    with tf.Session() as sess:
        np.testing.assert_array_equal(_bits(sess.run(d)), FIX["deq_bits"])


def test_bfloat16_variable_checkpoint_round_trip(tmp_path):
    value = np.array([0.1, -3.0, 1e30], ml_dtypes.bfloat16)
    v = tf.Variable(value, name="v")
    saver = tf.train.Saver()
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        path = saver.save(sess, str(tmp_path / "m"), write_meta_graph=False)
    assert tf.train.load_checkpoint(path).get_variable_to_dtype_map() == {"v": tf.bfloat16}
    with tf.Session() as sess:
        saver.restore(sess, path)
        np.testing.assert_array_equal(_bits(sess.run(v)), _bits(value))


def test_without_ml_dtypes_cast_says_what_to_install(monkeypatch):
    monkeypatch.setattr(dtypes_mod, "HAS_BFLOAT16", False)
    with pytest.raises(tf.errors.UnimplementedError, match="ml_dtypes"):
        with tf.Session() as sess:
            sess.run(tf.cast(tf.placeholder_with_default([1.0], [1]), tf.bfloat16))
