"""tf.layers: TF's variable names and scopes, reuse, numerics against numpy references,
batch norm's moving averages through UPDATE_OPS, dropout's training switch, regularizers in
REGULARIZATION_LOSSES, and TF's messages."""

import numpy as np
import pytest

import flowexec as tf
from tests.ops.test_conv import np_conv, np_conv_input_grad, np_depthwise
from tests.ops.test_pooling import np_pool


def _run(fetches, feed=None):
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        return sess.run(fetches, feed)


def _values(layer):
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        return sess.run(layer.weights)


# ----- names and reuse -----------------------------------------------------------------------
def test_variables_get_tf_scope_names():
    x = tf.placeholder(tf.float32, [None, 8, 8, 3])
    h = tf.layers.conv2d(x, 4, 3, padding="same")
    h = tf.layers.conv2d(h, 5, 3)
    h = tf.layers.batch_normalization(h, training=True)
    f = tf.layers.flatten(h)
    tf.layers.dense(tf.layers.dense(f, 7), 2)
    names = {v.name: v.shape.as_list() for v in tf.global_variables()}
    assert names == {
        "conv2d/kernel:0": [3, 3, 3, 4], "conv2d/bias:0": [4],
        "conv2d_1/kernel:0": [3, 3, 4, 5], "conv2d_1/bias:0": [5],
        "batch_normalization/gamma:0": [5], "batch_normalization/beta:0": [5],
        "batch_normalization/moving_mean:0": [5],
        "batch_normalization/moving_variance:0": [5],
        "dense/kernel:0": [180, 7], "dense/bias:0": [7],
        "dense_1/kernel:0": [7, 2], "dense_1/bias:0": [2]}
    trainable = {v.name for v in tf.trainable_variables()}
    assert "batch_normalization/moving_mean:0" not in trainable
    assert "batch_normalization/gamma:0" in trainable


def test_ops_live_in_the_layer_name_scope():
    x = tf.placeholder(tf.float32, [None, 4])
    y = tf.layers.dense(x, 3, activation=tf.nn.relu)
    assert y.op.name == "dense/Relu"
    with tf.variable_scope("model"):
        z = tf.layers.dense(x, 2, name="logits")
    assert z.op.name == "model/logits/BiasAdd"
    assert {v.name for v in tf.global_variables()} >= {"model/logits/kernel:0"}


def test_named_functional_layer_needs_reuse_to_share():
    x = tf.placeholder(tf.float32, [None, 4])
    tf.layers.dense(x, 3, name="fc")
    with pytest.raises(ValueError, match="Variable fc/kernel already exists, disallowed"):
        tf.layers.dense(x, 3, name="fc")
    tf.layers.dense(x, 3, name="fc", reuse=True)
    assert len(tf.global_variables()) == 2


def test_calling_a_layer_object_twice_shares_its_variables():
    layer = tf.layers.Dense(3, name="shared")
    a = layer(tf.placeholder(tf.float32, [None, 4]))
    b = layer(tf.placeholder(tf.float32, [None, 4]))
    assert len(tf.global_variables()) == 2
    assert a.op.name == "shared/BiasAdd" and b.op.name == "shared/BiasAdd_1"
    assert [v.name for v in layer.trainable_variables] == ["shared/kernel:0", "shared/bias:0"]
    assert layer.name == "shared" and layer.scope_name == "shared"


def test_untrainable_layer_keeps_weights_out_of_trainable_variables():
    layer = tf.layers.Dense(2, trainable=False)
    layer(tf.zeros([1, 3]))
    assert tf.trainable_variables() == []
    assert len(layer.non_trainable_weights) == 2 and layer.trainable_weights == []


# ----- numerics ------------------------------------------------------------------------------
def test_dense_matches_numpy_for_rank_2_and_3():
    rng = np.random.default_rng(0)
    x2 = rng.standard_normal((4, 3)).astype(np.float32)
    x3 = rng.standard_normal((2, 5, 3)).astype(np.float32)
    layer = tf.layers.Dense(6, activation=tf.nn.relu,
                            bias_initializer=tf.constant_initializer(0.5))
    y2, y3 = layer(x2), layer(x3)
    assert y3.shape.as_list() == [2, 5, 6]
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        (k, b), g2, g3 = sess.run([layer.weights, y2, y3])
    np.testing.assert_allclose(g2, np.maximum(x2 @ k + b, 0), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(g3, np.maximum(x3 @ k + b, 0), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_conv2d_layer_matches_numpy(data_format):
    rng = np.random.default_rng(1)
    shape = (2, 7, 6, 3) if data_format == "channels_last" else (2, 3, 7, 6)
    x = rng.standard_normal(shape).astype(np.float32)
    layer = tf.layers.Conv2D(4, (3, 2), strides=(2, 1), padding="same",
                             data_format=data_format,
                             bias_initializer=tf.random_normal_initializer())
    y = layer(x)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        (k, b), got = sess.run([layer.weights, y])
    fmt = "NHWC" if data_format == "channels_last" else "NCHW"
    want = np_conv(x.astype(np.float64), k.astype(np.float64), [2, 1], "SAME", fmt=fmt)
    want = want + (b if fmt == "NHWC" else b.reshape(-1, 1, 1))
    assert y.shape.as_list() == list(want.shape)
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)


def test_conv1d_conv3d_and_dilation_shapes_and_values():
    rng = np.random.default_rng(2)
    x1 = rng.standard_normal((2, 9, 2)).astype(np.float32)
    l1 = tf.layers.Conv1D(3, 3, dilation_rate=2, use_bias=False)
    x3 = rng.standard_normal((1, 4, 5, 5, 2)).astype(np.float32)
    l3 = tf.layers.Conv3D(2, 2, strides=2, padding="same", use_bias=False)
    y1, y3 = l1(x1), l3(x3)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        k1, k3, g1, g3 = sess.run([l1.kernel, l3.kernel, y1, y3])
    np.testing.assert_allclose(g1, np_conv(x1, k1, [1], "VALID", [2]), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(g3, np_conv(x3, k3, [2, 2, 2], "SAME"), rtol=1e-4, atol=1e-5)
    assert y1.shape == (2, 5, 3) and y3.shape == (1, 2, 3, 3, 2)


@pytest.mark.parametrize("padding, out", [("same", 8), ("valid", 9)])
def test_conv2d_transpose_layer(padding, out):
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 4, 4, 3)).astype(np.float32)
    ph = tf.placeholder(tf.float32, [None, 4, 4, 3])
    layer = tf.layers.Conv2DTranspose(5, 3, strides=2, padding=padding, use_bias=False)
    y = layer(ph)
    assert y.shape.as_list() == [None, out, out, 5]
    assert layer.kernel.shape == (3, 3, 5, 3)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        k, got = sess.run([layer.kernel, y], {ph: x})
    want = np_conv_input_grad((2, out, out, 5), k, x, [2, 2], padding.upper())
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)


def test_separable_conv2d_layer():
    rng = np.random.default_rng(4)
    x = rng.standard_normal((1, 5, 5, 2)).astype(np.float32)
    layer = tf.layers.SeparableConv2D(3, 3, depth_multiplier=2, padding="same",
                                      use_bias=False)
    y = layer(x)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        dw, pw, got = sess.run([layer.depthwise_kernel, layer.pointwise_kernel, y])
    assert dw.shape == (3, 3, 2, 2) and pw.shape == (1, 1, 4, 3)
    want = np_conv(np_depthwise(x, dw, [1, 1], "SAME"), pw, [1, 1], "VALID")
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("fn, kind", [(tf.layers.max_pooling2d, "max"),
                                      (tf.layers.average_pooling2d, "avg")])
def test_pooling_layers_match_numpy(fn, kind):
    x = np.random.default_rng(5).standard_normal((2, 5, 6, 3))
    got = _run(fn(x, 3, 2, padding="same"))
    np.testing.assert_allclose(got, np_pool(x, [3, 3], [2, 2], "SAME", kind), rtol=1e-6)


def test_pooling_layer_classes_default_strides_to_pool_size():
    x = np.random.default_rng(6).standard_normal((1, 6, 3, 2, 2))
    got = _run(tf.layers.MaxPooling3D(2, padding="same")(x))
    np.testing.assert_allclose(got, np_pool(x, [2, 2, 2], [2, 2, 2], "SAME", "max"))
    x1 = np.random.default_rng(7).standard_normal((2, 7, 3))
    got1 = _run(tf.layers.average_pooling1d(x1, 2, 2))
    np.testing.assert_allclose(got1, np_pool(x1, [2], [2], "VALID", "avg"))


def test_flatten_keeps_unknown_batch_and_channels_first_order():
    ph = tf.placeholder(tf.float32, [None, 2, 3, 4])
    flat = tf.layers.flatten(ph)
    assert flat.shape.as_list() == [None, 24]
    x = np.arange(48, dtype=np.float32).reshape(2, 2, 3, 4)
    np.testing.assert_array_equal(_run(flat, {ph: x}), x.reshape(2, -1))
    cf = tf.layers.Flatten(data_format="channels_first")(ph)
    np.testing.assert_array_equal(_run(cf, {ph: x}),
                                  np.moveaxis(x, 1, -1).reshape(2, -1))


# ----- dropout -------------------------------------------------------------------------------
def test_dropout_only_when_training():
    x = tf.ones([4000])
    assert _run(tf.layers.dropout(x, 0.5)).min() == 1.0
    dropped = _run(tf.layers.dropout(x, 0.25, training=True, seed=2))
    assert 0.7 < (dropped != 0).mean() < 0.8
    np.testing.assert_allclose(dropped[dropped != 0], 1 / 0.75, rtol=1e-6)
    training = tf.placeholder(tf.bool, [])
    y = tf.layers.Dropout(0.5, seed=1)(x, training=training)
    with tf.Session() as sess:
        assert sess.run(y, {training: False}).min() == 1.0
        assert (sess.run(y, {training: True}) == 0).any()


# ----- batch normalization -------------------------------------------------------------------
@pytest.mark.parametrize("shape, axis", [((8, 3, 3, 4), -1), ((8, 4, 3, 3), 1), ((16, 5), -1)])
def test_batch_norm_training_updates_moving_averages_through_update_ops(shape, axis):
    rng = np.random.default_rng(8)
    x = (rng.standard_normal(shape) * 3 + 2).astype(np.float32)
    layer = tf.layers.BatchNormalization(axis=axis, momentum=0.9)
    y = layer(x, training=True)
    updates = tf.get_collection(tf.GraphKeys.UPDATE_OPS)
    assert len(updates) == 2 and layer.updates == updates
    reduce = tuple(i for i in range(len(shape)) if i != axis % len(shape))
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        got = sess.run(y)
        sess.run(updates)
        mm, mv = sess.run([layer.moving_mean, layer.moving_variance])
    n = x.size // x.shape[axis]
    mean, var = x.mean(reduce), x.var(reduce)
    keep = [1 if i in reduce else -1 for i in range(len(shape))]
    want = (x - mean.reshape(keep)) / np.sqrt(var.reshape(keep) + 1e-3)
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(mm, 0.1 * mean, rtol=1e-4, atol=1e-5)
    fused = len(shape) == 4
    var_used = var * n / (n - 1) if fused else var  # TF: Bessel-corrected on the fused path
    np.testing.assert_allclose(mv, 0.9 + 0.1 * var_used, rtol=1e-4)
    assert layer.fused == fused


def test_batch_norm_inference_uses_moving_statistics_and_adds_no_updates():
    x = np.random.default_rng(9).standard_normal((4, 2, 2, 3)).astype(np.float32)
    layer = tf.layers.BatchNormalization(
        moving_mean_initializer=tf.constant_initializer(0.5),
        moving_variance_initializer=tf.constant_initializer(4.0),
        gamma_initializer=tf.constant_initializer(2.0))
    y = layer(x)
    assert tf.get_collection(tf.GraphKeys.UPDATE_OPS) == []
    np.testing.assert_allclose(_run(y), 2 * (x - 0.5) / np.sqrt(4.0 + 1e-3), rtol=1e-5)


def test_batch_norm_training_tensor_switches_statistics_and_updates():
    x = (np.random.default_rng(10).standard_normal((6, 4)) + 3).astype(np.float32)
    training = tf.placeholder(tf.bool, [])
    y = tf.layers.batch_normalization(x, training=training, momentum=0.5)
    updates = tf.get_collection(tf.GraphKeys.UPDATE_OPS)
    mean_var = next(v for v in tf.global_variables() if "moving_mean" in v.name)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        np.testing.assert_allclose(sess.run(y, {training: False}), x / np.sqrt(1 + 1e-3),
                                   rtol=1e-5)
        sess.run(updates, {training: False})
        np.testing.assert_allclose(sess.run(mean_var), 0, atol=1e-7)
        sess.run(updates, {training: True})
        np.testing.assert_allclose(sess.run(mean_var), 0.5 * x.mean(0), rtol=1e-5)


def test_batch_norm_trains_through_gradients():
    x = tf.constant(np.random.default_rng(11).standard_normal((8, 2, 2, 3)).astype(np.float32))
    y = tf.layers.batch_normalization(x, training=True)
    gamma, beta = tf.trainable_variables()
    grads = tf.gradients(tf.reduce_sum(y * y) + tf.reduce_sum(y), [x, gamma, beta])
    assert all(g is not None for g in grads)
    gx, gg, gb = _run(grads)
    np.testing.assert_allclose(gb, np.full(3, 32.0), rtol=1e-5)  # d/dbeta of sum(y) + sum(y^2)
    assert gx.shape == (8, 2, 2, 3) and gg.shape == (3,)


# ----- regularizers --------------------------------------------------------------------------
def test_kernel_and_activity_regularizers_feed_get_regularization_loss():
    x = np.ones((2, 3), np.float32)
    layer = tf.layers.Dense(4, kernel_initializer=tf.constant_initializer(0.5),
                            kernel_regularizer=lambda w: 0.1 * tf.reduce_sum(tf.square(w)),
                            bias_regularizer=lambda b: tf.reduce_sum(b) + 1.0,
                            activity_regularizer=lambda y: 0.01 * tf.reduce_sum(y))
    layer(x)
    losses = tf.get_collection(tf.GraphKeys.REGULARIZATION_LOSSES)
    assert len(losses) == 3 and len(layer.losses) == 3
    total = tf.losses.get_regularization_loss()
    # kernel: 0.1 * 12 * 0.25; bias: 0 + 1; activity: 0.01 * 2 * 4 * 1.5
    np.testing.assert_allclose(_run(total), 0.3 + 1.0 + 0.12, rtol=1e-5)
    conv = tf.layers.conv2d(tf.zeros([1, 4, 4, 1]), 2, 3, kernel_regularizer=tf.nn.l2_loss)
    assert conv is not None
    assert len(tf.get_collection(tf.GraphKeys.REGULARIZATION_LOSSES)) == 4


# ----- messages ------------------------------------------------------------------------------
@pytest.mark.parametrize("build, message", [
    (lambda: tf.layers.dense(tf.placeholder(tf.float32, [None, None]), 3),
     "The last dimension of the inputs to `Dense` should be defined. Found `None`."),
    (lambda: tf.layers.conv2d(tf.zeros([2, 5, 5]), 3, 3),
     "Input 0 of layer conv2d is incompatible with the layer: expected ndim=4, found ndim=3"),
    (lambda: tf.layers.conv2d(tf.placeholder(tf.float32, [2, 5, 5, None]), 3, 3),
     "The channel dimension of the inputs should be defined. Found `None`."),
    (lambda: tf.layers.conv2d(tf.zeros([2, 5, 5, 1]), 3, (3, 3, 3)),
     "The `kernel_size` argument must be a tuple of 2 integers"),
    (lambda: tf.layers.max_pooling2d(tf.zeros([2, 5, 5, 1]), 2, 2, padding="full"),
     "The `padding` argument must be"),
    (lambda: tf.layers.Dense(3, foo=1), "Keyword argument not understood"),
])
def test_tf_messages(build, message):
    with pytest.raises((ValueError, TypeError), match=message):
        build()


def test_layer_input_compatibility_is_checked_on_reuse():
    layer = tf.layers.Dense(3)
    layer(tf.zeros([2, 4]))
    with pytest.raises(ValueError, match="expected axis -1 of input shape to have value 4"):
        layer(tf.zeros([2, 5]))


@pytest.mark.parametrize("data_format, strides, dilation, padding", [
    ("channels_last", 1, 2, "same"), ("channels_last", 2, 1, "valid"),
    ("channels_first", 1, 1, "same")])
def test_separable_conv1d_layer(data_format, strides, dilation, padding):
    rng = np.random.default_rng(8)
    x = rng.standard_normal((2, 9, 3)).astype(np.float32)
    feed = np.moveaxis(x, 1, 2) if data_format == "channels_first" else x
    layer = tf.layers.SeparableConv1D(4, 3, strides=strides, padding=padding,
                                      data_format=data_format, dilation_rate=dilation,
                                      depth_multiplier=2, activation=tf.nn.relu,
                                      bias_initializer=tf.constant_initializer(0.1))
    y = layer(tf.constant(feed))
    assert [v.name for v in layer.weights] == ["separable_conv1d/depthwise_kernel:0",
                                              "separable_conv1d/pointwise_kernel:0",
                                              "separable_conv1d/bias:0"]
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        dw, pw, got = sess.run([layer.depthwise_kernel, layer.pointwise_kernel, y])
    assert dw.shape == (3, 3, 2) and pw.shape == (1, 6, 4)
    depthwise = np_depthwise(x[:, None], dw[None], [1, strides], padding.upper(),
                             dilations=(1, dilation))
    want = np.maximum(np_conv(depthwise, pw[None], [1, 1], "VALID")[:, 0] + 0.1, 0)
    if data_format == "channels_first":
        want = np.moveaxis(want, 2, 1)
    assert y.shape.as_list() == list(want.shape)
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)


def test_separable_conv1d_function_trains_its_weights():
    x = tf.placeholder(tf.float32, [None, 8, 2])
    y = tf.layers.separable_conv1d(x, 3, 2, name="sep")
    grads = tf.gradients(tf.reduce_sum(y * y), tf.trainable_variables())
    assert [v.name for v in tf.trainable_variables()] == [
        "sep/depthwise_kernel:0", "sep/pointwise_kernel:0", "sep/bias:0"]
    assert all(g is not None for g in grads) and y.shape.as_list() == [None, 7, 3]
