"""tf.layers batch normalization's renorm, virtual_batch_size and adjustment against numpy
simulations of TF 1.x's formulas, and finite-difference gradients."""

import numpy as np
import pytest

import flowexec as tf

EPS = 1e-3


def _moments(x):
    return x.mean(0), x.var(0)


def test_renorm_corrections_and_updates_follow_tf_over_several_steps():
    rng = np.random.default_rng(0)
    batches = [(rng.standard_normal((6, 3)) * s + m).astype(np.float32)
               for s, m in ((1.0, 0.0), (3.0, 2.0), (0.5, -1.0))]
    clip = {"rmax": 1.5, "rmin": 0.8, "dmax": 0.4}
    x = tf.placeholder(tf.float32, [None, 3])
    layer = tf.layers.BatchNormalization(renorm=True, renorm_clipping=clip,
                                         renorm_momentum=0.5, momentum=0.7,
                                         gamma_initializer=tf.constant_initializer(1.5),
                                         beta_initializer=tf.constant_initializer(0.25))
    y = layer(x, training=True)
    names = sorted(v.name for v in layer.weights)
    assert names == sorted(f"batch_normalization/{n}:0" for n in (
        "gamma", "beta", "moving_mean", "moving_variance", "renorm_mean",
        "renorm_mean_weight", "renorm_stddev", "renorm_stddev_weight"))
    assert not layer.fused
    updates = tf.get_collection(tf.GraphKeys.UPDATE_OPS)
    assert len(updates) == 2
    state = dict(mm=np.zeros(3), mv=np.ones(3), rm=np.zeros(3), rmw=0.0, rs=np.zeros(3),
                 rsw=0.0)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for xb in batches:
            got, _ = sess.run([y, updates], {x: xb})
            mean, var = _moments(xb.astype(np.float64))
            std = np.sqrt(var + EPS)
            r = np.clip(std / (state["rs"] + (1 - state["rsw"]) * std), 0.8, 1.5)
            d = np.clip((mean - (state["rm"] + (1 - state["rmw"]) * mean))
                        / (state["rs"] + (1 - state["rsw"]) * std), -0.4, 0.4)
            want = (xb - mean) / std * (r * 1.5) + (d * 1.5 + 0.25)
            np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)
            state["rm"] += (mean - state["rm"]) * 0.5
            state["rmw"] += (1 - state["rmw"]) * 0.5
            state["rs"] += (std - state["rs"]) * 0.5
            state["rsw"] += (1 - state["rsw"]) * 0.5
            new_mean = state["rm"] / state["rmw"]
            new_var = (state["rs"] / state["rsw"]) ** 2 - EPS
            state["mm"] += (new_mean - state["mm"]) * 0.3
            state["mv"] += (new_var - state["mv"]) * 0.3
        mm, mv, rm, rs = sess.run([layer.moving_mean, layer.moving_variance,
                                   layer.renorm_mean, layer.renorm_stddev])
        np.testing.assert_allclose(mm, state["mm"], rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose(mv, state["mv"], rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose(rm, state["rm"], rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose(rs, state["rs"], rtol=1e-4, atol=1e-5)


def test_renorm_with_a_training_tensor_changes_nothing_when_false():
    x = np.random.default_rng(1).standard_normal((5, 2)).astype(np.float32) + 1
    training = tf.placeholder(tf.bool, [])
    layer = tf.layers.BatchNormalization(renorm=True)
    y = layer(x, training=training)
    updates = tf.get_collection(tf.GraphKeys.UPDATE_OPS)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        got, _ = sess.run([y, updates], {training: False})
        np.testing.assert_allclose(got, x / np.sqrt(1 + EPS), rtol=1e-5)
        values = sess.run(layer.weights)
        for v, name in zip(values, [w.name for w in layer.weights]):
            want = 1.0 if ("gamma" in name or "moving_variance" in name) else 0.0
            np.testing.assert_allclose(v, want, err_msg=name)


def _bn_backward(x, w, scale):
    """d sum(w * y) / dx for y = xhat * scale + offset, batch statistics over axis 0."""
    n = x.shape[0]
    mean, var = _moments(x)
    std = np.sqrt(var + EPS)
    xhat = (x - mean) / std
    g = w * scale
    return (n * g - g.sum(0) - xhat * (g * xhat).sum(0)) / (n * std)


def test_renorm_gradient_treats_r_and_d_as_constants():
    rng = np.random.default_rng(2)
    first, second = rng.standard_normal((2, 7, 3))
    second = second * 2 + 1
    w = rng.standard_normal((7, 3))
    x = tf.placeholder(tf.float64, [7, 3])
    layer = tf.layers.BatchNormalization(renorm=True, renorm_momentum=0.5)
    y = layer(x, training=True)
    updates = tf.get_collection(tf.GraphKeys.UPDATE_OPS)
    gx = tf.gradients(tf.reduce_sum(y * w), x)[0]
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(updates, {x: first})
        rs, rsw = sess.run([layer.renorm_stddev, layer.renorm_stddev_weight])
        got = sess.run(gx, {x: second})
    std = np.sqrt(second.var(0) + EPS)
    r = std / (rs + (1 - rsw) * std)
    assert not np.allclose(r, 1)
    np.testing.assert_allclose(got, _bn_backward(second, w, r), rtol=1e-6, atol=1e-8)


def test_virtual_batches_normalize_tf_strided_ghost_batches():
    rng = np.random.default_rng(3)
    xv = (rng.standard_normal((8, 2, 2, 3)) * 2 + 1).astype(np.float32)
    layer = tf.layers.BatchNormalization(virtual_batch_size=4, momentum=0.6)
    y = layer(xv, training=True)
    assert not layer.fused
    assert layer.gamma.shape.as_list() == [1, 1, 1, 1, 3]
    assert layer.moving_mean.shape.as_list() == [1, 1, 1, 1, 3]
    updates = tf.get_collection(tf.GraphKeys.UPDATE_OPS)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        got, _ = sess.run([y, updates])
        mm, mv = sess.run([layer.moving_mean, layer.moving_variance])
    ghosts = xv.astype(np.float64).reshape(4, 2, 2, 2, 3)  # [v, N / v, H, W, C]
    mean = ghosts.mean(axis=(0, 2, 3), keepdims=True)
    var = ghosts.var(axis=(0, 2, 3), keepdims=True)
    want = ((ghosts - mean) / np.sqrt(var + EPS)).reshape(xv.shape)
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(mm.ravel(), 0.4 * mean.mean(1).ravel(), rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(mv.ravel(), 0.6 + 0.4 * var.mean(1).ravel(), rtol=1e-4)
    # Inference: the moving statistics, broadcast from their [1, 1, ..., C] shape.
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        np.testing.assert_allclose(sess.run(layer(xv, training=False)), xv / np.sqrt(1 + EPS),
                                   rtol=1e-5)


def test_virtual_batch_gradient_matches_finite_differences():
    rng = np.random.default_rng(4)
    xv = rng.standard_normal((6, 2))
    w = rng.standard_normal((6, 2))
    x = tf.placeholder(tf.float64, [6, 2])
    y = tf.layers.batch_normalization(x, training=True, virtual_batch_size=3,
                                      gamma_initializer=tf.constant_initializer(1.3))
    loss = tf.reduce_sum(y * w)
    gx = tf.gradients(loss, x)[0]
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        got = sess.run(gx, {x: xv})
        num = np.zeros_like(xv)
        for i in np.ndindex(*xv.shape):
            step = np.zeros_like(xv)
            step[i] = 1e-6
            num[i] = (sess.run(loss, {x: xv + step}) - sess.run(loss, {x: xv - step})) / 2e-6
    np.testing.assert_allclose(got, num, rtol=1e-5, atol=1e-7)


def test_adjustment_applies_in_training_only():
    x = np.random.default_rng(5).standard_normal((6, 3)).astype(np.float32)
    training = tf.placeholder(tf.bool, [])
    y = tf.layers.batch_normalization(
        x, training=training,
        adjustment=lambda shape: (tf.fill([3], 2.0), tf.fill([3], 0.5)))
    mean, var = _moments(x)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        np.testing.assert_allclose(sess.run(y, {training: True}),
                                   2 * (x - mean) / np.sqrt(var + EPS) + 0.5, rtol=1e-4,
                                   atol=1e-5)
        np.testing.assert_allclose(sess.run(y, {training: False}), x / np.sqrt(1 + EPS),
                                   rtol=1e-5)


@pytest.mark.parametrize("kwargs, shape, message", [
    ({"renorm": True, "renorm_clipping": {"rmax": 2, "foo": 1}}, [4, 3],
     r"renorm_clipping .* contains keys not in \['rmax', 'rmin', 'dmax'\]"),
    ({"virtual_batch_size": 2, "axis": 0}, [4, 3],
     "When using virtual_batch_size, the batch dimension must be 0 and thus axis cannot "
     "include 0"),
    ({"virtual_batch_size": 0}, [4, 3], "virtual_batch_size must be a positive integer"),
    ({"virtual_batch_size": 2, "adjustment": lambda s: (1.0, 0.0)}, [4, 3],
     "When using virtual_batch_size, adjustment cannot be specified"),
    ({"renorm": True, "fused": True}, [2, 2, 2, 3],
     "Passing both fused=True and renorm=True is unsupported"),
])
def test_tf_messages(kwargs, shape, message):
    with pytest.raises(ValueError, match=message):
        tf.layers.batch_normalization(tf.zeros(shape), training=True, **kwargs)
