"""What TF 1.x does at the edges of a branch or loop body: branches that return operations,
and fetching a tensor made inside a branch or a body (TF's InaccessibleTensorError)."""

import pytest

import flowexec as tf


def test_cond_of_operations_returns_the_predicate_and_runs_the_taken_side_effect():
    v = tf.Variable(1.0)
    p = tf.placeholder(tf.bool, [])
    out = tf.cond(p, lambda: tf.assign_add(v, 1.0).op, lambda: tf.no_op())
    assert isinstance(out, tf.Tensor) and out.dtype == tf.bool
    with tf.Session() as sess:
        sess.run(v.initializer)
        assert sess.run(out, {p: True})
        assert sess.run(v) == 2.0
        assert not sess.run(out, {p: False})
        assert sess.run(v) == 2.0
        sess.run(out.op, {p: True})
        assert sess.run(v) == 3.0


def test_cond_branch_mixing_an_operation_and_a_tensor():
    v = tf.Variable(0.0)
    p = tf.placeholder(tf.bool, [])
    op, val = tf.cond(p, lambda: (tf.assign(v, 5.0).op, tf.constant(1.0)),
                      lambda: (tf.no_op(), tf.constant(2.0)))
    with tf.Session() as sess:
        sess.run(v.initializer)
        assert sess.run([op, val], {p: True}) == [True, 1.0]
        assert sess.run(v) == 5.0


def test_cond_branch_returning_none_is_tfs_error():
    p = tf.placeholder(tf.bool, [])
    with pytest.raises(ValueError, match="'true_fn' must have a return value."):
        tf.cond(p, lambda: None, lambda: tf.constant(1.0))
    with pytest.raises(ValueError, match="'false_fn' must have a return value."):
        tf.cond(p, lambda: tf.constant(1.0), lambda: None)


def test_fetching_a_tensor_from_a_body_or_branch_is_tfs_error_and_the_session_stays_usable():
    inside = []

    def body(i, v):
        inside.append(v * 2.0)
        return i + 1, inside[-1]

    def branch():
        inside.append(tf.constant(3.0) * 2.0)
        return inside[-1]
    _, y = tf.while_loop(lambda i, v: i < 3, body, (0, tf.constant(1.0)))
    z = tf.cond(tf.constant(True), branch, lambda: tf.constant(0.0))
    with tf.Session() as sess:
        for element in (inside[0], inside[0].op, inside[1], [y, inside[1]]):
            with pytest.raises(tf.errors.InaccessibleTensorError,
                               match="has been marked as not fetchable"):
                sess.run(element)
        assert issubclass(tf.errors.InaccessibleTensorError, ValueError)
        assert sess.run([y, z]) == [8.0, 6.0]


def test_exporting_a_loop_differentiated_through_is_a_clear_error():
    x = tf.constant(2.0)
    y = tf.while_loop(lambda i, v: i < 3, lambda i, v: (i + 1, v * x), (0, x))[1]
    tf.get_default_graph().as_graph_def()  # exports before a gradient is taken
    tf.gradients(y, x)
    with pytest.raises(ValueError, match="intermediates of a gradient taken through it"):
        tf.get_default_graph().as_graph_def()
