"""Sequence columns and sequence_input_layer equal TF 1.15's algorithm over TF's columns
(recorded), and sequence numeric columns densify with their default value."""

import numpy as np

import flowexec as tf
import flowexec.feature_column as fc
from tests.feature_column import cases, fixtures


def test_sequence_input_layer_matches_tf():
    got, meta = cases.run_sequence_case(tf, fc, fc.sequence_input_layer)
    arrays, want = fixtures.recorded()
    np.testing.assert_allclose(got["out"], arrays["sequence/out"], atol=1e-6)
    np.testing.assert_array_equal(got["length"], arrays["sequence/length"])
    assert meta == want["sequence"]


def test_sequence_numeric_column():
    col = fc.sequence_numeric_column("t", default_value=-1.0)
    sp = tf.SparseTensor([[0, 0], [0, 1], [1, 0]], [1.0, 2.0, 3.0], [3, 2])
    out, length = fc.sequence_input_layer({"t": sp}, [col])
    with tf.Session() as sess:
        o, n = sess.run([out, length])
    np.testing.assert_allclose(o[..., 0], [[1.0, 2.0], [3.0, -1.0], [-1.0, -1.0]])
    np.testing.assert_array_equal(n, [2, 1, 0])
    assert fc.make_parse_example_spec([col]) == {"t": tf.VarLenFeature(tf.float32)}
