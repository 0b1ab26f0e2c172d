"""tf.variable_creator_scope (the innermost creator first, TF's kwargs, for tf.Variable and
get_variable alike; a creator may change kwargs or return anything) and tf.container (the
container attr of stateful ops created inside, as TF's Graph sets it)."""

import numpy as np
import pytest

import flowexec as tf

TF_KWARGS = sorted(["aggregation", "caching_device", "collections", "constraint", "dtype",
                    "expected_shape", "experimental_enable_variable_lifting", "import_scope",
                    "initial_value", "name", "shape", "synchronization", "trainable",
                    "use_resource", "validate_shape", "variable_def"])


def test_creators_chain_innermost_first_with_tfs_kwargs():
    log = []

    def outer(next_creator, **kwargs):
        log.append(("outer", sorted(kwargs)))
        kwargs["name"] = kwargs["name"] or "renamed"
        return next_creator(**kwargs)

    def inner(next_creator, **kwargs):
        log.append(("inner", kwargs["initial_value"]))
        kwargs["trainable"] = False
        return next_creator(**kwargs)

    with tf.variable_creator_scope(outer):
        with tf.variable_creator_scope(inner):
            a = tf.Variable(3.0)
            b = tf.get_variable("b", [1], initializer=tf.ones_initializer())
    assert [entry[0] for entry in log] == ["inner", "outer", "inner", "outer"]
    assert log[0][1] == 3.0 and log[1][1] == TF_KWARGS
    assert a.name == "renamed:0" and b.name == "b:0"
    assert not tf.trainable_variables()
    c = tf.Variable(1.0, name="c")  # outside: no creators
    assert c in tf.trainable_variables()
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        assert sess.run(a) == 3.0
        np.testing.assert_array_equal(sess.run(b), [1.0])


def test_a_creator_may_return_anything_and_scopes_are_per_graph():
    with tf.variable_creator_scope(lambda next_creator, **kwargs: 5):
        assert tf.Variable(1.0) == 5
        with tf.Graph().as_default():
            assert isinstance(tf.Variable(1.0), tf.Variable)


def test_positional_arguments_reach_the_creator():
    seen = {}

    def creator(next_creator, **kwargs):
        seen.update(kwargs)
        return next_creator(**kwargs)

    with tf.variable_creator_scope(creator):
        v = tf.Variable([1.0, 2.0], False, name="p")
    assert seen["initial_value"] == [1.0, 2.0] and seen["trainable"] is False
    assert v.name == "p:0"


def test_container_sets_the_attr_of_stateful_ops():
    with tf.container("exp"):
        v = tf.Variable(1.0, name="v")
        q = tf.FIFOQueue(3, tf.float32)
        w = tf.get_variable("w", [2])
        c = tf.constant(1.0)
        with tf.container(""):
            u = tf.Variable(2.0, name="u")
    assert v.op.get_attr("container") == "exp"
    assert w.op.get_attr("container") == "exp"
    assert q.queue_ref.op.get_attr("container") == "exp"
    assert u.op.get_attr("container") == ""
    with pytest.raises(ValueError):
        c.op.get_attr("container")
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        assert sess.run(v) == 1.0
