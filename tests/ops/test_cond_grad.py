"""Gradients through tf.cond branches with stateful ops: the If outputs the intermediates
its gradient needs, so the backward uses the values of the same run (never a recompute)."""

import numpy as np
import pytest

import flowexec as tf


@pytest.mark.parametrize("taken", [True, False])
def test_cond_with_dropout_gradient_uses_the_forward_mask(taken):
    x = tf.placeholder(tf.float32, [64])
    p = tf.placeholder(tf.bool, [])
    y = tf.cond(p, lambda: tf.nn.dropout(x, keep_prob=0.5), lambda: x * 3.0)
    g = tf.gradients(tf.reduce_sum(y * y), x)[0]
    xv = np.linspace(1.0, 2.0, 64).astype(np.float32)
    with tf.Session() as sess:
        got_y, got_g = sess.run([y, g], {x: xv, p: taken})
    if taken:
        mask = got_y != 0  # kept units, scaled by 1/keep_prob
        assert 0 < mask.sum() < 64
        np.testing.assert_allclose(got_g, np.where(mask, 2 * got_y * 2.0, 0.0), rtol=1e-6)
    else:
        np.testing.assert_allclose(got_g, 2 * 9 * xv, rtol=1e-6)


def test_cond_with_random_values_gradient_is_the_draw():
    x = tf.placeholder(tf.float64, [5])
    y = tf.cond(tf.constant(True), lambda: x * tf.random_normal([5], dtype=tf.float64),
                lambda: x)
    g = tf.gradients(y, x)[0]
    with tf.Session() as sess:
        got_y, got_g = sess.run([y, g], {x: np.ones(5)})
    np.testing.assert_allclose(got_g, got_y)


def test_cond_with_an_assignment_gets_the_value_it_assigned():
    v = tf.Variable(2.0)
    x = tf.placeholder(tf.float32, [])
    p = tf.placeholder(tf.bool, [])
    y = tf.cond(p, lambda: tf.assign_add(v, 1.0) * x * x, lambda: x)
    g = tf.gradients(y, x)[0]
    with tf.Session() as sess:
        sess.run(v.initializer)
        assert sess.run(g, {x: 1.5, p: True}) == 2 * 3.0 * 1.5  # v was 3 in this run
        assert sess.run(v) == 3.0  # the gradient did not assign again
        assert sess.run(g, {x: 1.5, p: False}) == 1.0
        assert sess.run(v) == 3.0


def test_cond_gradient_does_not_rerun_branch_side_effects():
    log = []

    def record(a):
        log.append(float(a))
        return a
    x = tf.placeholder(tf.float32, [])
    y = tf.cond(x > 0, lambda: tf.py_func(record, [x], tf.float32, stateful=True) * x,
                lambda: -x)
    g = tf.gradients(y, x)[0]
    with tf.Session() as sess:
        assert sess.run(g, {x: 2.0}) == 2.0  # py_func has no gradient: only the factor x
    assert log == [2.0]


@pytest.mark.parametrize("k, expected", [(0, 1.0), (2, 2.0), (3, 1.0)])
def test_nested_cond_gradient_where_an_inner_branch_did_not_run(k, expected):
    """The inner If outputs no intermediates (None) for its branch that did not run; the
    outer gradient function passes them on to the inner gradient If, which reads only the
    taken branch's (here the untaken branch holds a Reverse with an int32 axis)."""
    x = tf.constant(np.ones((2, 3), np.float32))
    kp = tf.placeholder(tf.int32, [])
    y = tf.cond(kp < 2, lambda: x,
                lambda: tf.cond(tf.equal(kp, 2), lambda: x * 2, lambda: tf.reverse(x, [1])))
    grad, = tf.gradients(tf.reduce_sum(y), x)
    with tf.Session() as sess:
        np.testing.assert_array_equal(sess.run(grad, {kp: k}), np.full((2, 3), expected))



@pytest.mark.parametrize("steps", [1, 3])
def test_a_second_gradient_of_a_cond_holding_a_while_loop(steps):
    """The first tf.gradients adds outputs to the If (the loop's accumulators); a second
    call (minimize after tf.gradients, as NER code with [None, None] inputs does) must not
    differentiate them."""
    x = tf.placeholder(tf.float32, [2, None])
    n = tf.shape(x)[1]

    def loop():
        def body(i, acc):
            return i + 1, acc * 1.5 + tf.reduce_sum(x[:, i])
        return tf.while_loop(lambda i, a: i < n, body, [0, tf.constant(0.0)])[1]

    y = tf.cond(n > 1, loop, lambda: tf.reduce_sum(x) * 2.0)
    first = tf.gradients(y, x)[0]
    second = tf.gradients(y, x)[0]
    third = tf.gradients(y * 2.0, x)[0]
    want = np.tile(1.5 ** np.arange(steps - 1, -1, -1), (2, 1)) if steps > 1 else \
        np.full((2, 1), 2.0)
    with tf.Session() as sess:
        got = sess.run([first, second, third], {x: np.ones((2, steps), np.float32)})
    np.testing.assert_allclose(got[0], want)
    np.testing.assert_allclose(got[1], want)
    np.testing.assert_allclose(got[2], 2 * want)
