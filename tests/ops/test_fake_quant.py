"""fake_quant_ops against TF's recorded outputs; the gradient ops against the nudged-range
rule, and tf.gradients through the forward ops."""

import numpy as np
import pytest

import flowexec as tf
from flowexec.ops import fake_quant_ops as fq

X = np.array([-7.0, -0.4, 0.0, 0.3, 0.55, 2.9, 7.0], np.float32)
Y = np.array([[-1.0, 0.2, 3.0], [0.5, -2.0, 1.0]], np.float32)

# values recorded from TensorFlow 2.x's kernels
TF_VALUES = [
    (lambda: fq.fake_quant_with_min_max_args(X, min=-1.0, max=3.0, num_bits=4),
     [-1.0666667222976685, -0.2666666805744171, 0.0, 0.2666666805744171, 0.5333333611488342,
      2.933333396911621, 2.933333396911621]),
    (lambda: fq.fake_quant_with_min_max_args(X, min=0.1, max=2.0, num_bits=3,
                                             narrow_range=True),
     [0.0, 0.0, 0.0, 0.3166666626930237, 0.6333333253860474, 1.899999976158142,
      1.899999976158142]),
    (lambda: fq.fake_quant_with_min_max_vars(X, -0.3, 2.7, num_bits=5),
     [-0.29032257199287415, -0.29032257199287415, 0.0, 0.29032257199287415,
      0.5806451439857483, 2.709677219390869, 2.709677219390869]),
    (lambda: fq.fake_quant_with_min_max_vars_per_channel(Y, [-1.0, 0.0, -2.0], [1.0, 1.0, 2.0],
                                                         num_bits=3),
     [[-0.8571429252624512, 0.1428571492433548, 2.2857143878936768],
      [0.5714285969734192, 0.0, 1.1428571939468384]]),
    (lambda: fq.fake_quant_with_min_max_vars_gradient(np.ones(7, np.float32), X, -0.3, 2.7,
                                                      num_bits=5),
     [[0.0, 0.0, 1.0, 1.0, 1.0, 0.0, 0.0], 2.0, 2.0]),
    (lambda: fq.fake_quant_with_min_max_vars_per_channel_gradient(
        np.ones((2, 3), np.float32), Y, [-1.0, 0.0, -2.0], [1.0, 1.0, 2.0], num_bits=3),
     [[[0.0, 1.0, 0.0], [1.0, 0.0, 1.0]], [1.0, 1.0, 0.0], [0.0, 0.0, 1.0]]),
    (lambda: fq.fake_quant_with_min_max_args_gradient(np.ones(7, np.float32), X, min=-1.0,
                                                      max=3.0, num_bits=4),
     [0.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.0]),
]


@pytest.mark.parametrize("i", range(len(TF_VALUES)))
def test_matches_tensorflow(i):
    build, want = TF_VALUES[i]
    with tf.Graph().as_default():
        out = build()
        with tf.Session() as sess:
            got = sess.run(out)
    if isinstance(got, (list, tuple)):
        for g, w in zip(got, want):
            np.testing.assert_allclose(g, w, rtol=1e-6, atol=1e-7)
    else:
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7)


def test_gradients_flow_through_the_forward_ops():
    with tf.Graph().as_default():
        x = tf.constant(X)
        lo, hi = tf.constant(-0.3), tf.constant(2.7)
        y = fq.fake_quant_with_min_max_vars(x, lo, hi, num_bits=5)
        gx, glo, ghi = tf.gradients(tf.reduce_sum(y * 2.0), [x, lo, hi])
        ya = fq.fake_quant_with_min_max_args(x, min=-1.0, max=3.0, num_bits=4)
        (ga,) = tf.gradients(tf.reduce_sum(ya), x)
        with tf.Session() as sess:
            gx, glo, ghi, ga = sess.run([gx, glo, ghi, ga])
    np.testing.assert_array_equal(gx, [0, 0, 2, 2, 2, 0, 0])
    assert glo == 4.0 and ghi == 4.0
    np.testing.assert_array_equal(ga, [0, 1, 1, 1, 1, 1, 0])


def test_errors():
    with tf.Graph().as_default():
        bad = fq.fake_quant_with_min_max_args(X, min=2.0, max=1.0)
        bits = fq.fake_quant_with_min_max_vars(X, 0.0, 1.0, num_bits=1)
        with tf.Session() as sess:
            with pytest.raises(tf.errors.InvalidArgumentError, match="smaller than max"):
                sess.run(bad)
            with pytest.raises(tf.errors.InvalidArgumentError, match="num_bits"):
                sess.run(bits)
        with pytest.raises(TypeError):
            fq.fake_quant_with_min_max_vars(tf.constant([1.0], tf.float64), 0.0, 1.0)
