"""tf.ConditionalAccumulator: mean/sum of applied gradients, stale gradients dropped, a
take that waits for enough gradients and gives up when its step is cancelled."""

import threading
import time

import numpy as np
import pytest

import flowexec as tf


def test_take_grad_returns_the_mean_and_advances_the_global_step():
    rng = np.random.RandomState(0)
    grads = rng.randn(3, 2).astype(np.float32)
    with tf.Graph().as_default(), tf.Session() as sess:
        acc = tf.ConditionalAccumulator(tf.float32, shape=[2])
        g = tf.placeholder(tf.float32, [2])
        step = tf.placeholder(tf.int64, [])
        apply = acc.apply_grad(g, local_step=step)
        take = acc.take_grad(3)
        n = acc.num_accumulated()
        for x in grads:
            sess.run(apply, {g: x, step: 0})
        assert sess.run(n) == 3
        np.testing.assert_allclose(sess.run(take), grads.mean(axis=0), rtol=1e-6)
        assert sess.run(n) == 0
        sess.run(apply, {g: grads[0], step: 0})        # stale: the global step is now 1
        assert sess.run(n) == 0
        sess.run(apply, {g: grads[1], step: 1})
        assert sess.run(n) == 1
        sess.run(acc.set_global_step(5))
        sess.run(apply, {g: grads[2], step: 4})        # stale again
        assert sess.run(n) == 1


def test_sum_reduction_and_shape_errors():
    with tf.Graph().as_default(), tf.Session() as sess:
        acc = tf.ConditionalAccumulator(tf.float32, reduction_type="SUM")
        g = tf.placeholder(tf.float32, None)
        apply = acc.apply_grad(g)
        sess.run(apply, {g: [1.0, 2.0]})
        sess.run(apply, {g: [3.0, 4.0]})
        with pytest.raises(tf.errors.InvalidArgumentError, match="Shape mismatch"):
            sess.run(apply, {g: [1.0, 2.0, 3.0]})
        np.testing.assert_array_equal(sess.run(acc.take_grad(2)), [4.0, 6.0])
        with pytest.raises(tf.errors.InvalidArgumentError, match="num_required must be "
                                                                 "positive, but was 0"):
            sess.run(acc.take_grad(0))
        with pytest.raises(ValueError, match="incompatible"):
            tf.ConditionalAccumulator(tf.float32, shape=[2]).apply_grad([1.0, 2.0, 3.0])
        with pytest.raises(ValueError, match="reduction_type"):
            tf.ConditionalAccumulator(tf.float32, reduction_type="MAX")


def test_take_grad_waits_for_enough_gradients_and_honours_deadlines():
    with tf.Graph().as_default(), tf.Session() as sess:
        acc = tf.ConditionalAccumulator(tf.float32, shape=[])
        apply = acc.apply_grad(2.0)
        take = acc.take_grad(2)
        with pytest.raises(tf.errors.DeadlineExceededError):
            sess.run(take, options=tf.RunOptions(timeout_in_ms=100))
        sess.run(apply)
        out = []
        t = threading.Thread(target=lambda: out.append(sess.run(take)))
        t.start()
        time.sleep(0.1)
        assert out == []
        sess.run(apply)
        t.join(5)
        assert out == [2.0]
