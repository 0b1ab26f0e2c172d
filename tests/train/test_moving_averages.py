"""ExponentialMovingAverage vs a numpy recurrence: shadow names and collections, num_updates'
decay cap, tensors' zero-started shadows, variables_to_restore, assign_moving_average."""

import numpy as np
import pytest

import flowexec as tf
from flowexec.train import moving_averages


def test_shadows_follow_the_recurrence_with_num_updates():
    w = tf.Variable([1.0, 2.0], name="w")
    b = tf.Variable(3.0, name="b")
    step = tf.Variable(0, name="step", trainable=False)
    ema = tf.train.ExponentialMovingAverage(0.9, num_updates=step)
    t = tf.constant([4.0, 4.0]) * w
    apply_op = ema.apply([w, b, t])
    inc = [tf.assign_add(w, [1.0, 1.0]), tf.assign_add(step, 1)]
    assert apply_op.name == "ExponentialMovingAverage"
    assert ema.average(w).name == "w/ExponentialMovingAverage:0"
    assert ema.average_name(b) == "b/ExponentialMovingAverage"
    assert tf.moving_average_variables() == [w, b]
    assert ema.average(w) not in tf.trainable_variables()
    wv, sw, sb, st = np.array([1.0, 2.0]), np.array([1.0, 2.0]), 3.0, np.zeros(2)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for n in range(3):
            sess.run(apply_op)
            d = min(0.9, (1 + n) / (10 + n))
            sw, sb, st = (sw - (1 - d) * (sw - wv), sb - (1 - d) * (sb - 3.0),
                          st - (1 - d) * (st - 4 * wv))
            sess.run(inc)
            wv = wv + 1
        got = sess.run([ema.average(w), ema.average(b), ema.average(t)])
    for g, want in zip(got, (sw, sb, st)):
        np.testing.assert_allclose(g, want, rtol=1e-6)


def test_variables_to_restore_maps_shadow_names():
    w = tf.Variable(1.0, name="w")
    other = tf.Variable(0, name="other", trainable=False)
    ema = tf.train.ExponentialMovingAverage(0.5)
    ema.apply([w])
    m = ema.variables_to_restore()
    assert m == {"w/ExponentialMovingAverage": w, "other": other}


def test_errors():
    with pytest.raises(TypeError, match="must be half, float, or double"):
        tf.train.ExponentialMovingAverage(0.5).apply([tf.Variable(1)])
    w = tf.Variable(1.0)
    with pytest.raises(ValueError, match="Moving average already computed"):
        tf.train.ExponentialMovingAverage(0.5).apply([w, w])


def test_assign_moving_average_zero_debias_matches_tfs_formula():
    v = tf.Variable(tf.zeros([2]), name="avg", trainable=False)
    x = tf.placeholder(tf.float32, [2])
    update = moving_averages.assign_moving_average(v, x, 0.9)  # TF's default: zero_debias=True
    names = sorted(u.op.name for u in tf.global_variables())
    assert names == ["avg", "avg/biased", "avg/local_step"]
    biased = np.zeros(2)
    rng = np.random.default_rng(0)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for t in range(1, 5):
            xv = rng.standard_normal(2).astype(np.float32)
            biased = biased * 0.9 + xv * 0.1
            out = sess.run(update, {x: xv})
            np.testing.assert_allclose(out, biased / (1 - 0.9 ** t), rtol=1e-5)
        # a constant input is tracked exactly from the first step
    v2 = tf.Variable(tf.zeros([]), name="avg2", trainable=False)
    up2 = moving_averages.assign_moving_average(v2, 3.0, 0.99)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        np.testing.assert_allclose(sess.run(up2), 3.0, rtol=1e-5)


def test_ema_zero_debias_debiases_tensors_not_variables():
    w = tf.Variable(2.0, name="w")
    t = tf.placeholder(tf.float32, [], name="t")
    ema = tf.train.ExponentialMovingAverage(0.5, zero_debias=True)
    op = ema.apply([w, t * 1.0])
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(op, {t: 4.0})
        # w's shadow started at w's value; the tensor's shadow is debiased: 4.0 at once
        assert sess.run(ema.average(w)) == pytest.approx(2.0)
        shadow_t = [a for k, a in ema._averages.items() if k[1] != w.name][0]
        assert sess.run(shadow_t) == pytest.approx(4.0)
