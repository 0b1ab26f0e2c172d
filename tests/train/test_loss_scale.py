"""Loss scales and the loss scale optimizer (TF 1.15's training/experimental semantics)."""

import numpy as np
import pytest

import flowexec as tf
from flowexec import mixed_precision
from flowexec.runtime.optimize import auto_mixed_precision as amp
from flowexec.train import loss_scale as loss_scale_module


@pytest.fixture(autouse=True)
def _rewrite_switch_off():
    amp.set_graph_rewrite_enabled(False)
    yield
    amp.set_graph_rewrite_enabled(False)


def _grads_feed():
    g = tf.placeholder(tf.float32, [3], name="g")
    return g


def test_fixed_loss_scale_is_constant_and_always_applies():
    scale = tf.train.experimental.FixedLossScale(128)
    g = _grads_feed()
    update_op, should_apply = scale.update([g])
    assert should_apply is True
    with tf.Session() as sess:
        assert sess.run(scale()) == 128.0
        sess.run(update_op)
        assert sess.run(scale()) == 128.0
    assert scale.get_config() == {"loss_scale_value": 128.0}
    assert scale.weights == []


@pytest.mark.parametrize("bad, error", [(0.5, ValueError), ("2", TypeError), (True, TypeError)])
def test_fixed_loss_scale_rejects_bad_values(bad, error):
    with pytest.raises(error):
        tf.train.experimental.FixedLossScale(bad)


def test_dynamic_loss_scale_defaults_match_tf():
    scale = tf.train.experimental.DynamicLossScale()
    assert (scale.initial_loss_scale, scale.increment_period, scale.multiplier) == \
        (2. ** 15, 2000, 2.)
    assert len(scale.weights) == 2
    assert not any(v in tf.trainable_variables() for v in scale.weights)
    with pytest.raises(ValueError):
        tf.train.experimental.DynamicLossScale(multiplier=1)
    with pytest.raises(ValueError):
        tf.train.experimental.DynamicLossScale(increment_period=0)


def test_dynamic_loss_scale_update_rules_step_by_step():
    scale = tf.train.experimental.DynamicLossScale(initial_loss_scale=8, increment_period=3,
                                                    multiplier=2)
    g = _grads_feed()
    update_op, should_apply = scale.update([g, None])
    good = scale._num_good_steps
    finite = np.ones(3, np.float32)
    inf = np.array([1, np.inf, 0], np.float32)
    nan = np.array([np.nan, 0, 0], np.float32)
    # (gradient, expected should_apply, expected scale, expected good steps) after each step
    steps = [(finite, True, 8, 1), (finite, True, 8, 2), (finite, True, 16, 0),
             (finite, True, 16, 1), (inf, False, 8, 0), (finite, True, 8, 1),
             (nan, False, 4, 0), (nan, False, 2, 0), (nan, False, 1, 0), (inf, False, 1, 0),
             (finite, True, 1, 1), (finite, True, 1, 2), (finite, True, 2, 0)]
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        assert sess.run(scale()) == 8
        for i, (gv, apply, want_scale, want_good) in enumerate(steps):
            got_apply, _ = sess.run([should_apply, update_op], {g: gv})
            assert bool(got_apply) is apply, i
            assert sess.run(scale()) == want_scale, i
            assert sess.run(good) == want_good, i


def test_dynamic_loss_scale_does_not_grow_to_inf():
    scale = tf.train.experimental.DynamicLossScale(initial_loss_scale=3e38,
                                                    increment_period=1, multiplier=2)
    g = _grads_feed()
    update_op, _ = scale.update([g])
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(update_op, {g: np.ones(3, np.float32)})
        assert np.isclose(sess.run(scale()), 3e38)
        assert sess.run(scale._num_good_steps) == 0


def test_get_understands_dynamic_numbers_and_loss_scales():
    assert isinstance(loss_scale_module.get("dynamic"), tf.train.experimental.DynamicLossScale)
    fixed = loss_scale_module.get(64)
    assert isinstance(fixed, tf.train.experimental.FixedLossScale)
    assert loss_scale_module.get(fixed) is fixed
    assert loss_scale_module.get(None) is None
    for bad in ("static", [1]):
        with pytest.raises(ValueError):
            loss_scale_module.get(bad)


def _model(w0):
    x = tf.constant([[1., 2.], [3., 4.]])
    w = tf.Variable(w0, name="w")
    loss = tf.reduce_sum(tf.matmul(x, w) ** 2)
    return w, loss


@pytest.mark.parametrize("make_opt", [lambda: tf.train.GradientDescentOptimizer(0.01),
                                      lambda: tf.train.MomentumOptimizer(0.01, 0.9)])
@pytest.mark.parametrize("loss_scale", [1024, "dynamic"])
def test_optimizer_matches_plain_optimizer_on_finite_grads(make_opt, loss_scale):
    w0 = np.array([[0.5], [-0.25]], np.float32)
    with tf.Graph().as_default():
        w, loss = _model(w0)
        train = make_opt().minimize(loss)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            for _ in range(3):
                sess.run(train)
            want = sess.run(w)
    with tf.Graph().as_default():
        w, loss = _model(w0)
        opt = tf.train.experimental.MixedPrecisionLossScaleOptimizer(make_opt(), loss_scale)
        grads = opt.compute_gradients(loss)
        step = tf.train.get_or_create_global_step()
        train = opt.apply_gradients(grads, global_step=step)
        plain_grad = tf.gradients(loss, [w])[0]
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            np.testing.assert_allclose(*sess.run([grads[0][0], plain_grad]), rtol=1e-6)
            for _ in range(3):
                sess.run(train)
            np.testing.assert_allclose(sess.run(w), want, rtol=1e-6)
            assert sess.run(step) == 3
    assert want.tolist() != w0.tolist()


def test_optimizer_scales_the_loss_it_differentiates():
    w, loss = _model(np.array([[0.5], [-0.25]], np.float32))
    opt = tf.train.experimental.MixedPrecisionLossScaleOptimizer(
        tf.train.GradientDescentOptimizer(0.1), 1024)
    seen = []
    inner = opt._optimizer.compute_gradients

    def spy(loss, **kwargs):
        seen.append(loss)
        return inner(loss, **kwargs)

    opt._optimizer.compute_gradients = spy
    opt.compute_gradients(loss)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        np.testing.assert_allclose(sess.run(seen[0]), 1024 * sess.run(loss), rtol=1e-6)


@pytest.mark.parametrize("bad", [np.inf, np.nan])
def test_optimizer_skips_non_finite_steps_and_halves_dynamic_scale(bad):
    x = tf.placeholder(tf.float32, [])
    w = tf.Variable(2.0, name="w")
    loss = w * x
    opt = tf.train.experimental.MixedPrecisionLossScaleOptimizer(
        tf.train.GradientDescentOptimizer(0.5),
        tf.train.experimental.DynamicLossScale(initial_loss_scale=16, increment_period=2))
    step = tf.train.get_or_create_global_step()
    train = opt.minimize(loss, global_step=step)
    scale = opt.loss_scale
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(train, {x: bad})
        assert sess.run(w) == 2.0 and sess.run(step) == 0
        assert sess.run(scale()) == 8
        sess.run(train, {x: 1.0})
        assert sess.run(w) == 1.5 and sess.run(step) == 1
        sess.run(train, {x: 1.0})
        assert sess.run(w) == 1.0 and sess.run(scale()) == 16


def test_fixed_scale_optimizer_with_sparse_gradients():
    emb = tf.Variable(np.ones((4, 2), np.float32), name="emb")
    loss = tf.reduce_sum(tf.gather(emb, [1, 3]))
    opt = tf.train.experimental.MixedPrecisionLossScaleOptimizer(
        tf.train.GradientDescentOptimizer(1.0), 8)
    train = opt.minimize(loss)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(train)
        np.testing.assert_allclose(sess.run(emb), [[1, 1], [0, 0], [1, 1], [0, 0]])


def test_optimizer_rejects_non_optimizers_and_none():
    with pytest.raises(ValueError):
        tf.train.experimental.MixedPrecisionLossScaleOptimizer("sgd", 8)
    with pytest.raises(ValueError):
        tf.train.experimental.MixedPrecisionLossScaleOptimizer(
            tf.train.GradientDescentOptimizer(0.1), None)
    with pytest.raises(ValueError):
        tf.train.experimental.enable_mixed_precision_graph_rewrite(object())


def test_enable_and_disable_switch_the_rewrite():
    inner = tf.train.GradientDescentOptimizer(0.1)
    opt = tf.train.experimental.enable_mixed_precision_graph_rewrite(inner)
    assert isinstance(opt, tf.train.experimental.MixedPrecisionLossScaleOptimizer)
    assert isinstance(opt.loss_scale, tf.train.experimental.DynamicLossScale)
    assert amp.graph_rewrite_enabled()
    assert amp.rewrite_enabled(tf.RewriterConfig())
    off = tf.RewriterConfig(auto_mixed_precision=tf.RewriterConfig.OFF)
    assert not amp.rewrite_enabled(off)
    tf.train.experimental.disable_mixed_precision_graph_rewrite()
    assert not amp.graph_rewrite_enabled()
    assert not amp.rewrite_enabled(tf.RewriterConfig())
    assert amp.rewrite_enabled(tf.RewriterConfig(auto_mixed_precision=tf.RewriterConfig.ON))


def test_namespaces_match_tf():
    te = tf.train.experimental
    for name in ("LossScale", "FixedLossScale", "DynamicLossScale"):
        assert getattr(mixed_precision.experimental, name) is getattr(te, name)
    for name in ("LossScale", "FixedLossScale", "DynamicLossScale",
                 "MixedPrecisionLossScaleOptimizer", "enable_mixed_precision_graph_rewrite",
                 "disable_mixed_precision_graph_rewrite"):
        assert getattr(mixed_precision, name) is getattr(te, name)
