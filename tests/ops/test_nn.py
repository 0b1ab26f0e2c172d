"""nn ops: forward vs numpy, inferred vs actual dtype/shape, gradients vs finite differences
(cross entropies and second derivatives of the *Grad ops included), build- and run-time
errors, dropout statistics, and TF1 names."""

import numpy as np
import pytest

import flowexec as tf
from flowexec.framework.registry import apply_op
from tests.ops.harness import OpCase, check_forward, check_gradient, ids


# ----- numpy oracles -------------------------------------------------------------------------
def np_softmax(x, axis=-1):
    x = x.astype(np.float64)
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def np_log_softmax(x, axis=-1):
    x = x.astype(np.float64)
    s = x - x.max(axis=axis, keepdims=True)
    return s - np.log(np.exp(s).sum(axis=axis, keepdims=True))


def np_sigmoid(x):
    return 1 / (1 + np.exp(-x.astype(np.float64)))


def np_softplus(x):
    x = x.astype(np.float64)
    return np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))


def np_elu(x):
    return np.where(x > 0, x, np.expm1(np.minimum(x, 0)))


def cast_like(x):
    return lambda v: np.asarray(v).astype(x.dtype)


# ----- random inputs -------------------------------------------------------------------------
def away(lo, hi, kinks, shape, dtype=np.float64, gap=0.05):
    """Uniform values in [lo, hi) at least `gap` from each kink (finite differences)."""
    def make(rng):
        x = rng.uniform(lo, hi, size=shape)
        for k in kinks:
            near = np.abs(x - k) < gap
            x[near] = k + np.where(x[near] >= k, gap, -gap)
        return x.astype(dtype)
    return make


def normal(*shape, dtype=np.float64, scale=1.0):
    return lambda rng: (rng.standard_normal(shape) * scale).astype(dtype)


def probs(*shape, dtype=np.float64):
    return lambda rng: np_softmax(rng.standard_normal(shape)).astype(dtype)


def labels_for(shape, classes):
    return lambda rng: rng.integers(0, classes, size=shape).astype(np.int32)


def inputs(*makers):
    return lambda rng: [m(rng) for m in makers]


def v2(labels, logits, **kw):
    return tf.nn.softmax_cross_entropy_with_logits_v2(labels=labels, logits=logits, **kw)


def np_xent(z, x, axis=-1):
    return -(z * np_log_softmax(x, axis)).sum(axis=axis)


def np_sparse_xent(x, z):
    lp = np_log_softmax(x)
    return -np.take_along_axis(lp, z[..., None].astype(np.int64), axis=-1)[..., 0]


def np_bias_add(v, b, fmt="NHWC"):
    if fmt == "NCHW":
        return v + b.reshape((-1,) + (1,) * (v.ndim - 2))
    return v + b


def np_bias_add_grad(g, fmt="NHWC"):
    axis = 1 if fmt == "NCHW" else g.ndim - 1
    return g.sum(axis=tuple(i for i in range(g.ndim) if i != axis))


CASES = [
    # activations
    OpCase("relu_f32", tf.nn.relu, lambda x: np.maximum(x, 0),
           inputs(away(-3, 3, [0], (3, 4), np.float32))),
    OpCase("relu_f64", tf.nn.relu, lambda x: np.maximum(x, 0),
           inputs(away(-3, 3, [0], (5,)))),
    OpCase("relu_int32", tf.nn.relu, lambda x: np.maximum(x, 0),
           [np.array([-3, 0, 7], np.int32)]),
    OpCase("relu_f16", tf.nn.relu, lambda x: np.maximum(x, 0),
           inputs(normal(4, dtype=np.float16)), grad=False),
    OpCase("relu_fed_unknown_shape", tf.nn.relu, lambda x: np.maximum(x, 0),
           inputs(normal(2, 3)), feed=True),
    OpCase("relu6_f32", tf.nn.relu6, lambda x: np.clip(x, 0, 6),
           inputs(away(-2, 8, [0, 6], (3, 5), np.float32))),
    OpCase("relu6_f64", tf.nn.relu6, lambda x: np.clip(x, 0, 6),
           inputs(away(-2, 8, [0, 6], (7,)))),
    OpCase("relu6_int64", tf.nn.relu6, lambda x: np.clip(x, 0, 6),
           [np.array([-3, 0, 4, 9], np.int64)]),
    OpCase("elu_f32", tf.nn.elu, np_elu, inputs(away(-3, 3, [0], (2, 5), np.float32)),
           atol=1e-6, grad_atol=1e-5),
    OpCase("elu_f64", tf.nn.elu, np_elu, inputs(away(-3, 3, [0], (6,)))),
    OpCase("softplus_f32", tf.nn.softplus, np_softplus, inputs(normal(3, 4, dtype=np.float32))),
    OpCase("softplus_f64", tf.nn.softplus, np_softplus, inputs(normal(6, scale=3))),
    OpCase("softplus_large", tf.nn.softplus, np_softplus,
           [np.array([-1000., -50., 0., 50., 1000.], np.float32)], grad=False, rtol=1e-6),
    OpCase("softplus_f16", tf.nn.softplus, np_softplus,
           inputs(normal(5, dtype=np.float16)), grad=False, atol=2e-3, rtol=2e-3),
    OpCase("leaky_relu_f32", lambda x: tf.nn.leaky_relu(x, alpha=0.1),
           lambda x: np.where(x > 0, x, 0.1 * x).astype(x.dtype),
           inputs(away(-3, 3, [0], (3, 4), np.float32))),
    OpCase("leaky_relu_f64", tf.nn.leaky_relu, lambda x: np.where(x > 0, x, 0.2 * x),
           inputs(away(-3, 3, [0], (6,)))),
    OpCase("leaky_relu_int_input_is_cast", tf.nn.leaky_relu,
           lambda x: np.where(x > 0, x, 0.2 * x).astype(np.float32),
           [np.array([-5, 0, 3], np.int32)]),
    OpCase("selu_f32", tf.nn.selu,
           lambda x: (1.0507009873554805 * np.where(x > 0, x, 1.6732632423543772 *
                                                    np.expm1(np.minimum(x, 0)))),
           inputs(away(-3, 3, [0], (2, 5), np.float32)), rtol=1e-5),
    OpCase("selu_f64", tf.nn.selu,
           lambda x: (1.0507009873554805 * np.where(x > 0, x, 1.6732632423543772 *
                                                    np.expm1(np.minimum(x, 0)))),
           inputs(away(-3, 3, [0], (6,)))),
    OpCase("softsign_f32", tf.nn.softsign, lambda x: x / (1 + np.abs(x)),
           inputs(normal(3, 3, dtype=np.float32, scale=3))),
    OpCase("softsign_f64", tf.nn.softsign, lambda x: x / (1 + np.abs(x)),
           inputs(away(-4, 4, [0], (7,)))),
    # softmax family
    OpCase("softmax_2d", tf.nn.softmax, np_softmax, inputs(normal(3, 4, dtype=np.float32))),
    OpCase("softmax_f64", tf.nn.softmax, np_softmax, inputs(normal(2, 5))),
    OpCase("softmax_3d", tf.nn.softmax, np_softmax, inputs(normal(2, 2, 3))),
    OpCase("softmax_1d", tf.nn.softmax, np_softmax, inputs(normal(4))),
    OpCase("softmax_axis0", lambda x: tf.nn.softmax(x, axis=0),
           lambda x: np_softmax(x, 0), inputs(normal(3, 4))),
    OpCase("softmax_dim1_of_3", lambda x: tf.nn.softmax(x, dim=1),
           lambda x: np_softmax(x, 1), inputs(normal(2, 3, 2))),
    OpCase("softmax_large_logits", tf.nn.softmax, np_softmax,
           [np.array([[1000., 0., -1000.], [-1e4, -1e4, -1e4]], np.float32)], grad=False),
    OpCase("softmax_f16", tf.nn.softmax, np_softmax, inputs(normal(2, 6, dtype=np.float16)),
           grad=False, atol=1e-3, rtol=1e-3),
    OpCase("softmax_fed", tf.nn.softmax, np_softmax, inputs(normal(3, 3)), feed=True),
    OpCase("log_softmax_2d", tf.nn.log_softmax, np_log_softmax,
           inputs(normal(3, 4, dtype=np.float32)), atol=1e-5, rtol=1e-5),
    OpCase("log_softmax_f64", tf.nn.log_softmax, np_log_softmax, inputs(normal(2, 5))),
    OpCase("log_softmax_axis0", lambda x: tf.nn.log_softmax(x, axis=0),
           lambda x: np_log_softmax(x, 0), inputs(normal(4, 3))),
    OpCase("log_softmax_large", tf.nn.log_softmax, np_log_softmax,
           [np.array([[1000., 0., -1000.]], np.float64)], grad=False),
    # bias_add
    OpCase("bias_add_2d", tf.nn.bias_add, np_bias_add,
           inputs(normal(3, 4, dtype=np.float32), normal(4, dtype=np.float32))),
    OpCase("bias_add_4d", tf.nn.bias_add, np_bias_add, inputs(normal(2, 2, 3, 3), normal(3))),
    OpCase("bias_add_nchw", lambda v, b: tf.nn.bias_add(v, b, data_format="NCHW"),
           lambda v, b: np_bias_add(v, b, "NCHW"), inputs(normal(2, 3, 2, 2), normal(3))),
    OpCase("bias_add_int32", tf.nn.bias_add, np_bias_add,
           [np.array([[1, 2], [3, 4]], np.int32), np.array([10, -10], np.int32)]),
    OpCase("bias_add_fed", tf.nn.bias_add, np_bias_add, inputs(normal(2, 3), normal(3)),
           feed=True),
    # l2_loss
    OpCase("l2_loss_f32", tf.nn.l2_loss, lambda t: np.float32((t.astype(np.float64) ** 2)
                                                              .sum() / 2),
           inputs(normal(3, 4, dtype=np.float32)), rtol=1e-5),
    OpCase("l2_loss_f64", tf.nn.l2_loss, lambda t: (t ** 2).sum() / 2, inputs(normal(5))),
    OpCase("l2_loss_scalar", tf.nn.l2_loss, lambda t: t ** 2 / 2, [np.float64(3.0)]),
    # softmax cross entropy (labels first, as the keywords read)
    OpCase("xent_v2", lambda z, x: v2(z, x), np_xent, inputs(probs(3, 4), normal(3, 4)),
           atol=1e-6),
    OpCase("xent_v2_f32", lambda z, x: v2(z, x), np_xent,
           inputs(probs(3, 5, dtype=np.float32), normal(3, 5, dtype=np.float32)), rtol=1e-5),
    OpCase("xent_v1_logits_grad",
           lambda z, x: tf.nn.softmax_cross_entropy_with_logits(labels=z, logits=x),
           np_xent, inputs(probs(2, 3), normal(2, 3)), grad=[1]),
    OpCase("xent_v2_3d", lambda z, x: v2(z, x), np_xent,
           inputs(probs(2, 2, 3), normal(2, 2, 3))),
    OpCase("xent_v2_1d", lambda z, x: v2(z, x), np_xent, inputs(probs(4), normal(4))),
    OpCase("xent_v2_axis0", lambda z, x: v2(z, x, dim=0),
           lambda z, x: np_xent(z, x, 0),
           inputs(lambda rng: np_softmax(rng.standard_normal((3, 2)), 0), normal(3, 2))),
    OpCase("xent_v2_large_logits", lambda z, x: v2(z, x), np_xent,
           [np.array([[0., 1., 0.]], np.float32), np.array([[1e4, -1e4, 0.]], np.float32)],
           grad=False),
    OpCase("xent_v2_f16", lambda z, x: v2(z, x), np_xent,
           inputs(probs(2, 3, dtype=np.float16), normal(2, 3, dtype=np.float16)),
           grad=False, atol=2e-3, rtol=2e-3),
    OpCase("xent_raw_both_outputs",
           lambda x, z: apply_op("SoftmaxCrossEntropyWithLogits", x, z),
           lambda x, z: [np_xent(z, x), np_softmax(x) - z], inputs(normal(3, 4), probs(3, 4))),
    OpCase("sparse_xent",
           lambda x, z: tf.nn.sparse_softmax_cross_entropy_with_logits(labels=z, logits=x),
           np_sparse_xent, inputs(normal(4, 5), labels_for((4,), 5))),
    OpCase("sparse_xent_f32_int64",
           lambda x, z: tf.nn.sparse_softmax_cross_entropy_with_logits(labels=z, logits=x),
           np_sparse_xent,
           inputs(normal(3, 4, dtype=np.float32),
                  lambda rng: rng.integers(0, 4, size=3).astype(np.int64)), rtol=1e-5),
    OpCase("sparse_xent_3d",
           lambda x, z: tf.nn.sparse_softmax_cross_entropy_with_logits(labels=z, logits=x),
           np_sparse_xent, inputs(normal(2, 3, 4), labels_for((2, 3), 4))),
    OpCase("sparse_xent_raw_both_outputs",
           lambda x, z: apply_op("SparseSoftmaxCrossEntropyWithLogits", x, z),
           lambda x, z: [np_sparse_xent(x, z), np_softmax(x) - np.eye(x.shape[1])[z]],
           inputs(normal(3, 4), labels_for((3,), 4))),
    OpCase("sigmoid_xent",
           lambda z, x: tf.nn.sigmoid_cross_entropy_with_logits(labels=z, logits=x),
           lambda z, x: np.maximum(x, 0) - x * z + np.log1p(np.exp(-np.abs(x))),
           inputs(lambda rng: rng.uniform(size=(3, 4)), normal(3, 4, scale=3))),
    OpCase("sigmoid_xent_large",
           lambda z, x: tf.nn.sigmoid_cross_entropy_with_logits(labels=z, logits=x),
           lambda z, x: np.maximum(x, 0) - x * z + np.log1p(np.exp(-np.abs(x))),
           [np.array([0., 1., 1., 0.], np.float32), np.array([-1e4, -1e4, 1e4, 0.], np.float32)],
           grad=False),
    OpCase("weighted_xent",
           lambda z, x: tf.nn.weighted_cross_entropy_with_logits(targets=z, logits=x,
                                                                  pos_weight=3.0),
           lambda z, x: (z * -np.log(np_sigmoid(x)) * 3.0 +
                         (1 - z) * -np.log(1 - np_sigmoid(x))),
           inputs(lambda rng: rng.uniform(size=(3, 4)), normal(3, 4, scale=2))),
    OpCase("weighted_xent_large",
           lambda z, x: tf.nn.weighted_cross_entropy_with_logits(targets=z, logits=x,
                                                                  pos_weight=2.0),
           lambda z, x: (1 - z) * x + (1 + z) * (np.log1p(np.exp(-np.abs(x))) +
                                                 np.maximum(-x, 0)),
           [np.array([1., 0., 1.], np.float32), np.array([-1e4, 1e4, 1e4], np.float32)],
           grad=False),
    OpCase("in_top_k",
           lambda p, t: tf.nn.in_top_k(p, t, 2),
           lambda p, t: np.array([True, True, False, False, False]),
           [np.array([[0.1, 0.5, 0.4], [0.3, 0.3, 0.3], [0.9, 0.05, 0.5],
                      [np.nan, 1.0, 0.0], [0.2, 0.3, 0.5]], np.float32),
            np.array([2, 0, 1, 1, 3], np.int32)], grad=False),
    OpCase("in_top_k_k1_int64",
           lambda p, t: tf.nn.in_top_k(p, t, 1),
           lambda p, t: p.argmax(axis=1) == t,
           inputs(normal(6, 5, dtype=np.float32),
                  lambda rng: rng.integers(0, 5, 6).astype(np.int64)), grad=False),
    OpCase("xw_plus_b", tf.nn.xw_plus_b, lambda x, w, b: x @ w + b,
           inputs(normal(3, 4), normal(4, 2), normal(2))),
    OpCase("relu_layer", tf.nn.relu_layer, lambda x, w, b: np.maximum(x @ w + b, 0),
           inputs(normal(3, 2, scale=0.3), normal(2, 4, scale=0.3),
                  lambda rng: np.array([2.0, -2.0, 1.5, -1.5]))),
    OpCase("l2_normalize_axis1", lambda x: tf.nn.l2_normalize(x, axis=1),
           lambda x: x / np.sqrt((x ** 2).sum(axis=1, keepdims=True)), inputs(normal(3, 4))),
    OpCase("l2_normalize_all_f32", tf.nn.l2_normalize,
           lambda x: x / np.sqrt((x.astype(np.float64) ** 2).sum()),
           inputs(normal(2, 3, dtype=np.float32)), rtol=1e-5),
    OpCase("l2_normalize_zero_vector", lambda x: tf.nn.l2_normalize(x, dim=0),
           lambda x: x, [np.zeros(3, np.float32)], grad=False),
    OpCase("moments_axis0", lambda x: tf.nn.moments(x, axes=[0]),
           lambda x: [x.mean(axis=0), x.var(axis=0)], inputs(normal(5, 3))),
    OpCase("moments_keep_dims", lambda x: tf.nn.moments(x, axes=[0, 1], keep_dims=True),
           lambda x: [x.mean(axis=(0, 1), keepdims=True), x.var(axis=(0, 1), keepdims=True)],
           inputs(normal(2, 3, 2))),
    OpCase("moments_f16", lambda x: tf.nn.moments(x, axes=[1]),
           lambda x: [x.astype(np.float32).mean(axis=1), x.astype(np.float32).var(axis=1)],
           inputs(normal(2, 8, dtype=np.float16)), grad=False, atol=2e-3, rtol=2e-3),
    OpCase("batch_normalization",
           lambda x, m, v, o, sc: tf.nn.batch_normalization(x, m, v, o, sc, 1e-3),
           lambda x, m, v, o, sc: sc * (x - m) / np.sqrt(v + 1e-3) + o,
           inputs(normal(4, 3), normal(3), lambda rng: rng.uniform(0.5, 2.0, 3), normal(3),
                  normal(3))),
    OpCase("batch_normalization_no_scale_offset",
           lambda x, m, v: tf.nn.batch_normalization(x, m, v, None, None, 0.0),
           lambda x, m, v: (x - m) / np.sqrt(v),
           inputs(normal(4, 3), normal(3), lambda rng: rng.uniform(0.5, 2.0, 3))),
    OpCase("zero_fraction", tf.nn.zero_fraction, lambda v: np.float32(0.5),
           [np.array([[0.0, 1.0], [0.0, -2.0]], np.float32)], grad=False),
    OpCase("sigmoid", lambda x: tf.nn.sigmoid(x), np_sigmoid, inputs(normal(2, 3))),
    OpCase("tanh", lambda x: tf.nn.tanh(x), np.tanh, inputs(normal(2, 3))),
    # the *Grad ops on their own: forward and second derivatives
    OpCase("relu_grad_op", lambda g, x: apply_op("ReluGrad", g, x),
           lambda g, x: np.where(x > 0, g, 0), inputs(normal(3, 3), away(-2, 2, [0], (3, 3)))),
    OpCase("relu6_grad_op", lambda g, x: apply_op("Relu6Grad", g, x),
           lambda g, x: np.where((x > 0) & (x < 6), g, 0),
           inputs(normal(8), away(-2, 8, [0, 6], (8,)))),
    OpCase("elu_grad_op", lambda g, y: apply_op("EluGrad", g, y),
           lambda g, y: np.where(y < 0, g * (y + 1), g),
           inputs(normal(6), away(-0.9, 2, [0], (6,)))),
    OpCase("softplus_grad_op", lambda g, x: apply_op("SoftplusGrad", g, x),
           lambda g, x: g * np_sigmoid(x), inputs(normal(6), normal(6, scale=2))),
    OpCase("leaky_relu_grad_op", lambda g, x: apply_op("LeakyReluGrad", g, x, alpha=0.3),
           lambda g, x: np.where(x > 0, g, 0.3 * g),
           inputs(normal(6), away(-2, 2, [0], (6,)))),
    OpCase("selu_grad_op", lambda g, y: apply_op("SeluGrad", g, y),
           lambda g, y: np.where(y < 0, g * (y + 1.7580993408473766), g * 1.0507009873554805),
           inputs(normal(6), away(-1.5, 2, [0], (6,)))),
    OpCase("softsign_grad_op", lambda g, x: apply_op("SoftsignGrad", g, x),
           lambda g, x: g / (1 + np.abs(x)) ** 2, inputs(normal(6), away(-3, 3, [0], (6,)))),
    OpCase("bias_add_grad_op", lambda g: apply_op("BiasAddGrad", g, data_format="NHWC"),
           np_bias_add_grad, inputs(normal(2, 3, 4))),
    OpCase("bias_add_grad_nchw", lambda g: apply_op("BiasAddGrad", g, data_format="NCHW"),
           lambda g: np_bias_add_grad(g, "NCHW"), inputs(normal(2, 3, 2, 2))),
]


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_forward(case):
    check_forward(case)


GRAD_CASES = [c for c in CASES if c.grad]


@pytest.mark.parametrize("case", GRAD_CASES, ids=ids(GRAD_CASES))
def test_gradient(case):
    check_gradient(case)


def _run(fetches, feed_dict=None):
    with tf.Session() as sess:
        return sess.run(fetches, feed_dict)


# ----- second derivatives through the cross entropy ------------------------------------------
def test_xent_hessian_vector_product_matches_finite_differences():
    rng = np.random.default_rng(5)
    z, x0, v = probs(2, 3)(rng), rng.standard_normal((2, 3)), rng.standard_normal((2, 3))
    x = tf.placeholder(tf.float64, [2, 3])
    loss = tf.reduce_sum(v2(tf.constant(z), x))
    (g,) = tf.gradients(loss, [x])
    (hv,) = tf.gradients(tf.reduce_sum(g * tf.constant(v)), [x])
    eps = 1e-6
    with tf.Session() as sess:
        got = sess.run(hv, {x: x0})
        numeric = (sess.run(g, {x: x0 + eps * v}) - sess.run(g, {x: x0 - eps * v})) / (2 * eps)
    np.testing.assert_allclose(got, numeric, atol=1e-6)


def test_xent_v1_stops_gradient_into_labels_v2_does_not():
    z = tf.constant([[0.2, 0.8]], tf.float64)
    x = tf.constant([[1.0, -1.0]], tf.float64)
    g1 = tf.gradients(tf.nn.softmax_cross_entropy_with_logits(labels=z, logits=x), [z])
    g2 = tf.gradients(v2(z, x), [z])
    assert g1 == [None]
    np.testing.assert_allclose(_run(g2[0]), -np_log_softmax(np.array([[1.0, -1.0]])))


# ----- build-time errors ---------------------------------------------------------------------
@pytest.mark.parametrize("fn", [tf.nn.softmax_cross_entropy_with_logits,
                                tf.nn.softmax_cross_entropy_with_logits_v2])
def test_xent_positional_arguments_raise(fn):
    with pytest.raises(ValueError, match=r"Only call `softmax_cross_entropy_with_logits` with "
                                         r"named arguments \(labels=\.\.\., logits=\.\.\., "
                                         r"\.\.\.\)"):
        fn([[0., 1.]], [[1., 2.]])


def test_sparse_and_sigmoid_xent_positional_arguments_raise():
    with pytest.raises(ValueError, match="Only call `sparse_softmax_cross_entropy_with_logits"):
        tf.nn.sparse_softmax_cross_entropy_with_logits([1], [[1., 2.]])
    with pytest.raises(ValueError, match="Only call `sigmoid_cross_entropy_with_logits"):
        tf.nn.sigmoid_cross_entropy_with_logits([1.], [1.])
    with pytest.raises(ValueError, match="Both labels and logits must be provided."):
        tf.nn.softmax_cross_entropy_with_logits_v2(labels=[[1.]])


def test_xent_shape_mismatch():
    with pytest.raises(ValueError, match=r"Dimensions must be equal, but are 3 and 4 for "
                                         r"'.*SoftmaxCrossEntropyWithLogits'"):
        v2(tf.constant(np.zeros((2, 4), np.float32)), tf.constant(np.zeros((2, 3), np.float32)))


def test_sparse_xent_rank_and_shape_mismatch():
    logits = tf.constant(np.zeros((2, 3), np.float32))
    with pytest.raises(ValueError, match=r"Rank mismatch: Rank of labels \(received 2\) should "
                                         r"equal rank of logits minus 1 \(received 2\)\."):
        tf.nn.sparse_softmax_cross_entropy_with_logits(labels=[[0, 1]], logits=logits)
    with pytest.raises(ValueError, match=r"Shape mismatch: The shape of labels \(received "
                                         r"\(3,\)\) should equal the shape of logits except"):
        tf.nn.sparse_softmax_cross_entropy_with_logits(labels=[0, 1, 2], logits=logits)
    with pytest.raises(ValueError, match="Logits cannot be scalars"):
        tf.nn.sparse_softmax_cross_entropy_with_logits(labels=1, logits=1.0)
    with pytest.raises(TypeError, match="DataType float32 not in list of allowed values"):
        tf.nn.sparse_softmax_cross_entropy_with_logits(labels=[0.0, 1.0], logits=logits)


def test_sigmoid_xent_shape_mismatch():
    with pytest.raises(ValueError, match=r"logits and labels must have the same shape "
                                         r"\(\(2,\) vs \(3,\)\)"):
        tf.nn.sigmoid_cross_entropy_with_logits(labels=[1., 0., 1.], logits=[0., 1.])


def test_bias_add_errors():
    v = tf.constant(np.zeros((2, 3), np.float32))
    with pytest.raises(ValueError, match=r"Dimensions must be equal, but are 3 and 4 for "
                                         r"'BiasAdd' \(op: 'BiasAdd'\) with input shapes: "
                                         r"\[2,3\], \[4\]\."):
        tf.nn.bias_add(v, np.zeros(4, np.float32))
    with pytest.raises(ValueError, match="Shape must be rank 1 but is rank 2"):
        tf.nn.bias_add(v, np.zeros((1, 3), np.float32))
    with pytest.raises(ValueError, match="Shape must be at least rank 2 but is rank 1"):
        tf.nn.bias_add(tf.constant([1., 2.]), [1., 2.])
    with pytest.raises(ValueError, match="data_format"):
        tf.nn.bias_add(v, [1., 2., 3.], data_format="NCWH")
    with pytest.raises(ValueError, match="requested dtype float32 for Tensor with dtype"):
        tf.nn.bias_add(v, tf.constant([1., 2., 3.], tf.float64))


def test_bias_add_runtime_mismatch_with_unknown_shapes():
    v = tf.placeholder(tf.float32)
    b = tf.placeholder(tf.float32)
    out = tf.nn.bias_add(v, b)
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match=r"Must provide as many biases as the last dimension of the input "
                             r"tensor: \[2\] vs\. \[1,3\]"):
        _run(out, {v: np.zeros((1, 3), np.float32), b: np.zeros(2, np.float32)})


def test_activation_dtype_errors():
    with pytest.raises(TypeError, match="Value passed to parameter 'features' has DataType "
                                        "bool not in list of allowed values"):
        tf.nn.relu([True, False])
    with pytest.raises(TypeError, match="has DataType int32 not in list of allowed values"):
        tf.nn.elu([1, 2])
    with pytest.raises(TypeError, match="has DataType int32 not in list of allowed values"):
        tf.nn.softmax([[1, 2]])
    with pytest.raises(TypeError, match="DataType int32 not in list"):
        tf.nn.l2_loss([1, 2])


def test_softmax_rank_and_axis_errors():
    with pytest.raises(ValueError, match="Shape must be at least rank 1 but is rank 0"):
        tf.nn.softmax(1.0)
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match=r"`dim` must be in the range \[-2, 2\) where 2 is the number of "
                             r"dimensions in the input. Received: dim=2"):
        tf.nn.softmax([[1., 2.]], axis=2)
    with pytest.raises(ValueError, match="Cannot specify both 'axis' and 'dim'"):
        tf.nn.softmax([[1., 2.]], axis=1, dim=1)


def test_in_top_k_errors():
    with pytest.raises(TypeError, match="DataType float64 not in list of allowed values"):
        tf.nn.in_top_k(tf.constant([[1.0]], tf.float64), [0], 1)
    with pytest.raises(ValueError, match="Dimensions must be equal, but are 1 and 2"):
        tf.nn.in_top_k(tf.constant([[1.0]]), [0, 0], 1)


def test_grad_op_dtype_mismatch():
    with pytest.raises(TypeError, match="Input 'features' of 'ReluGrad' Op has type float64 "
                                        "that does not match type float32 of argument "
                                        "'gradients'."):
        apply_op("ReluGrad", tf.constant([1.0]), tf.constant([1.0], tf.float64))


# ----- run-time errors -----------------------------------------------------------------------
def test_sparse_xent_label_out_of_range():
    logits = tf.constant(np.zeros((3, 10), np.float32))
    labels = tf.placeholder(tf.int32, [3])
    loss = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits)
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match=r"Received a label value of 10 which is outside the valid range "
                             r"of \[0, 10\)\.  Label values: 1 10 3"):
        _run(loss, {labels: [1, 10, 3]})
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match=r"Received a label value of -1 which is outside"):
        _run(loss, {labels: [-1, 0, 12]})


# ----- names, shapes -------------------------------------------------------------------------
def test_tf1_names():
    x = tf.constant([[1.0, 2.0]])
    assert tf.nn.relu(x).name == "Relu:0"
    assert tf.nn.softmax(x).name == "Softmax:0"
    assert tf.nn.bias_add(x, [1., 2.]).name == "BiasAdd:0"
    assert tf.nn.l2_loss(x).name == "L2Loss:0"
    assert tf.nn.sigmoid_cross_entropy_with_logits(labels=x, logits=x).name == \
        "logistic_loss:0"
    assert tf.nn.sigmoid_cross_entropy_with_logits(labels=x, logits=x).name == \
        "logistic_loss_1:0"
    assert v2(x, x).name == "softmax_cross_entropy_with_logits:0"
    sg = tf.nn.softmax_cross_entropy_with_logits(labels=x, logits=x)
    assert sg.name == "softmax_cross_entropy_with_logits_sg:0"
    assert tf.nn.relu(x, name="act").name == "act:0"
    d = tf.nn.dropout(x, keep_prob=0.5)
    assert d.name.startswith("dropout/")
    assert tf.nn.dropout(x, keep_prob=0.5).name.startswith("dropout_1/")


def test_static_shapes():
    x = tf.placeholder(tf.float32, [None, 5])
    assert tf.nn.softmax(x).shape.as_list() == [None, 5]
    assert v2(x, x).shape.as_list() == [None]
    z = tf.placeholder(tf.int32, [None])
    assert tf.nn.sparse_softmax_cross_entropy_with_logits(labels=z, logits=x).shape.as_list() \
        == [None]
    y = tf.placeholder(tf.float32, [4, None, 3])
    assert v2(y, y).shape.as_list() == [4, None]
    assert tf.nn.bias_add(tf.placeholder(tf.float32, [None, None]), tf.zeros([7])) \
        .shape.as_list() == [None, 7]
    assert tf.nn.l2_loss(x).shape.as_list() == []
    assert tf.nn.dropout(x, keep_prob=0.5).shape.as_list() == [None, 5]


def test_sigmoid_and_tanh_are_math_ops_functions():
    from flowexec.ops import math_ops

    assert tf.nn.sigmoid is math_ops.sigmoid
    assert tf.nn.tanh is math_ops.tanh
    assert "sigmoid" in tf.nn.__all__


# ----- dropout -------------------------------------------------------------------------------
def test_dropout_keep_fraction_and_scaling():
    x = tf.ones([200, 500])
    out = tf.nn.dropout(x, keep_prob=0.3, seed=7)
    v = _run(out)
    assert v.dtype == np.float32
    kept = v != 0
    assert abs(kept.mean() - 0.3) < 0.01
    np.testing.assert_allclose(v[kept], 1 / 0.3, rtol=1e-6)


def test_dropout_rate_and_keep_prob_agree():
    x = tf.constant(np.random.default_rng(0).standard_normal((50, 40)).astype(np.float32))
    a = tf.nn.dropout(x, keep_prob=0.75, seed=3)
    b = tf.nn.dropout(x, rate=0.25, seed=3)
    va, vb = _run([a, b])
    np.testing.assert_array_equal(va, vb)
    assert 0.6 < (va != 0).mean() < 0.9


def test_dropout_tensor_keep_prob_and_new_mask_each_run():
    keep = tf.placeholder(tf.float32, [])
    out = tf.nn.dropout(tf.ones([1000]), keep_prob=keep)
    with tf.Session() as sess:
        first = sess.run(out, {keep: 0.5})
        second = sess.run(out, {keep: 0.5})
        everything = sess.run(out, {keep: 1.0})
    assert not np.array_equal(first, second)
    assert set(np.unique(first)) <= {0.0, 2.0}
    np.testing.assert_array_equal(everything, np.ones(1000, np.float32))


def test_dropout_noise_shape_drops_whole_rows():
    out = tf.nn.dropout(tf.ones([300, 4]), keep_prob=0.5, noise_shape=[300, 1], seed=1)
    v = _run(out)
    assert ((v == 0).all(axis=1) | (v == 2).all(axis=1)).all()
    assert 0.3 < (v[:, 0] != 0).mean() < 0.7


def test_dropout_keep_all_is_identity_and_bad_arguments_raise():
    x = tf.constant([1.0, 2.0])
    assert tf.nn.dropout(x, keep_prob=1.0) is x
    assert tf.nn.dropout(x, rate=0.0) is x
    with pytest.raises(ValueError, match="Cannot specify both 'keep_prob' and 'rate'"):
        tf.nn.dropout(x, keep_prob=0.5, rate=0.5)
    with pytest.raises(ValueError, match="You must provide a rate to dropout."):
        tf.nn.dropout(x)
    with pytest.raises(ValueError, match=r"rate must be a scalar tensor or a float in the range "
                                         r"\[0, 1\), got 1\.5"):
        tf.nn.dropout(x, rate=1.5)
    with pytest.raises(ValueError, match="x has to be a floating point tensor"):
        tf.nn.dropout(tf.constant([1, 2]), keep_prob=0.5)
    with pytest.raises(ValueError, match="keep_prob must be a floating point number or Tensor"):
        tf.nn.dropout(x, keep_prob="half")


def test_dropout_gradient_is_mask_over_keep_prob():
    x = tf.placeholder(tf.float32, [100])
    out = tf.nn.dropout(x, keep_prob=0.4, seed=2)
    (g,) = tf.gradients(tf.reduce_sum(out), [x])
    with tf.Session() as sess:
        vo, vg = sess.run([out, g], {x: np.ones(100, np.float32)})
    np.testing.assert_allclose(vg, vo, rtol=1e-6)  # d out/dx = mask / keep_prob = out for x=1
