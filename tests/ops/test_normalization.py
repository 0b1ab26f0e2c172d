"""LRN and fused batch norm against numpy references, finite-difference gradients, and TF's
messages; dropout's keep_prob/rate forms and seeding."""

import numpy as np
import pytest

import flowexec as tf
from tests.ops.harness import OpCase, check_forward, check_gradient, ids
from tests.ops.test_conv import inputs, normal


def np_lrn(x, r=5, bias=1.0, alpha=1.0, beta=0.5):
    x = x.astype(np.float64)
    c = x.shape[-1]
    sq = np.zeros_like(x)
    for d in range(c):
        sq[..., d] = (x[..., max(0, d - r):d + r + 1] ** 2).sum(-1)
    return x / (bias + alpha * sq) ** beta


def np_bn_train(x, scale, offset, eps, fmt="NHWC"):
    axes = (0, 2, 3) if fmt == "NCHW" else (0, 1, 2)
    shape = (1, -1, 1, 1) if fmt == "NCHW" else (1, 1, 1, -1)
    m = x.mean(axis=axes)
    v = x.var(axis=axes)
    n = x.size // x.shape[1 if fmt == "NCHW" else 3]
    y = (x - m.reshape(shape)) / np.sqrt(v.reshape(shape) + eps) * scale.reshape(shape) \
        + offset.reshape(shape)
    return y, m, v * n / (n - 1)


def np_bn_infer(x, scale, offset, mean, var, eps):
    return (x - mean) / np.sqrt(var + eps) * scale + offset


def positive(*shape, dtype=np.float64):
    return lambda rng: rng.uniform(0.5, 2.0, shape).astype(dtype)


CASES = [
    OpCase("lrn_defaults", tf.nn.lrn, np_lrn, inputs(normal(2, 3, 2, 7))),
    OpCase("lrn_radius2", lambda x: tf.nn.local_response_normalization(
        x, depth_radius=2, bias=2.0, alpha=0.5, beta=0.75),
        lambda x: np_lrn(x, 2, 2.0, 0.5, 0.75), inputs(normal(1, 2, 3, 6))),
    OpCase("lrn_f32", lambda x: tf.nn.lrn(x, 1, 1.0, 1e-2, 0.75),
           lambda x: np_lrn(x, 1, 1.0, 1e-2, 0.75).astype(np.float32),
           inputs(normal(1, 2, 2, 4, dtype=np.float32)), grad=False, rtol=1e-5),
    OpCase("fused_batch_norm_train_outputs",
           lambda x, s, o: tf.nn.fused_batch_norm(x, s, o, epsilon=1e-3),
           lambda x, s, o: np_bn_train(x, s, o, 1e-3),
           inputs(normal(2, 3, 2, 3), positive(3), normal(3)), grad=False),
    OpCase("fused_batch_norm_train_y",
           lambda x, s, o: tf.nn.fused_batch_norm(x, s, o, epsilon=1e-3)[0],
           lambda x, s, o: np_bn_train(x, s, o, 1e-3)[0],
           inputs(normal(2, 2, 2, 3), positive(3), normal(3)), grad_atol=1e-4),
    OpCase("fused_batch_norm_train_nchw_y",
           lambda x, s, o: tf.nn.fused_batch_norm(x, s, o, epsilon=1e-3,
                                                  data_format="NCHW")[0],
           lambda x, s, o: np_bn_train(x, s, o, 1e-3, "NCHW")[0],
           inputs(normal(2, 3, 2, 2), positive(3), normal(3)), grad_atol=1e-4),
    OpCase("fused_batch_norm_inference",
           lambda x, s, o, m, v: tf.nn.fused_batch_norm(x, s, o, m, v, epsilon=1e-3,
                                                        is_training=False)[0],
           lambda x, s, o, m, v: np_bn_infer(x, s, o, m, v, 1e-3),
           inputs(normal(2, 2, 2, 3), positive(3), normal(3), normal(3), positive(3)),
           grad=[0, 1, 2]),
    OpCase("fused_batch_norm_f32_statistics",
           lambda x, s, o: tf.nn.fused_batch_norm(x, s, o)[1:],
           lambda x, s, o: [a.astype(np.float32) for a in np_bn_train(x, s, o, 1e-3)[1:]],
           inputs(normal(4, 3, 3, 2, dtype=np.float32), positive(2, dtype=np.float32),
                  normal(2, dtype=np.float32)), grad=False,
           rtol=1e-5, atol=1e-6),
]


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_forward(case):
    check_forward(case)


GRAD_CASES = [c for c in CASES if c.grad]


@pytest.mark.parametrize("case", GRAD_CASES, ids=ids(GRAD_CASES))
def test_gradient(case):
    check_gradient(case)


def test_exponential_avg_factor_blends_running_statistics():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((4, 2, 2, 3)).astype(np.float32)
    m0 = np.ones(3, np.float32)
    v0 = np.full(3, 2.0, np.float32)
    _, m, v = tf.nn.fused_batch_norm(x, np.ones(3, np.float32), np.zeros(3, np.float32), m0,
                                     v0, exponential_avg_factor=0.25)
    with tf.Session() as sess:
        got_m, got_v = sess.run([m, v])
    _, bm, bv = np_bn_train(x.astype(np.float64), np.ones(3), np.zeros(3), 1e-3)
    np.testing.assert_allclose(got_m, 0.75 * m0 + 0.25 * bm, rtol=1e-5)
    np.testing.assert_allclose(got_v, 0.75 * v0 + 0.25 * bv, rtol=1e-5)


@pytest.mark.parametrize("build, error, message", [
    (lambda: tf.nn.lrn(tf.zeros([2, 3])), ValueError, "Shape must be rank 4 but is rank 2"),
    (lambda: tf.nn.fused_batch_norm(tf.zeros([2, 5, 5, 3]), tf.zeros([3]), tf.zeros([3]),
                                    is_training=False),
     ValueError, "Both `mean` and `variance` must be a 1D tensor when `is_training` is False"),
    (lambda: tf.nn.fused_batch_norm(tf.zeros([2, 5, 5, 3]), tf.zeros([4]), tf.zeros([3])),
     ValueError, "Dimensions must be equal, but are 3 and 4"),
    (lambda: tf.nn.fused_batch_norm(tf.zeros([2, 3]), tf.zeros([3]), tf.zeros([3])),
     ValueError, "Shape must be rank 4 but is rank 2"),
    (lambda: tf.nn.fused_batch_norm(tf.zeros([1, 2, 2, 3]), tf.zeros([3], tf.float64),
                                    tf.zeros([3])),
     TypeError, "Value passed to parameter 'scale' has DataType float64"),
])
def test_build_time_errors_use_tf_messages(build, error, message):
    with pytest.raises(error, match=message):
        build()


def test_fused_batch_norm_epsilon_floor_and_shapes():
    y, m, v = tf.nn.fused_batch_norm(tf.zeros([2, 4, 4, 3]), tf.ones([3]), tf.zeros([3]),
                                     epsilon=0.0)
    assert y.op.attrs["epsilon"] == pytest.approx(1.001e-5)
    assert y.shape == (2, 4, 4, 3) and m.shape == (3,) and v.shape == (3,)
    assert m.dtype == tf.float32


def test_dropout_rate_and_keep_prob_agree_under_one_seed():
    x = tf.ones([2000])
    tf.set_random_seed(7)
    a = tf.nn.dropout(x, keep_prob=0.7, seed=3)
    with tf.Graph().as_default():
        tf.set_random_seed(7)
        xb = tf.ones([2000])
        b = tf.nn.dropout(xb, rate=0.3, seed=3)
        with tf.Session() as sess:
            vb = sess.run(b)
    with tf.Session() as sess:
        va = sess.run(a)
    np.testing.assert_array_equal(va, vb)
    kept = va != 0
    assert 0.65 < kept.mean() < 0.75
    np.testing.assert_allclose(va[kept], 1 / 0.7, rtol=1e-6)
