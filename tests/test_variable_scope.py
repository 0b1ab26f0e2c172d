"""tf.variable_scope and tf.get_variable: naming, reuse rules and their TF1 errors, scope
defaults, regularizers, custom getters, per-graph stores."""

import numpy as np
import pytest

import flowexec as tf


def test_get_variable_names_follow_variable_scopes_not_name_scopes():
    with tf.name_scope("ns"), tf.variable_scope("foo"), tf.variable_scope("bar"):
        v = tf.get_variable("v", [1])
        c = tf.constant(1.0, name="c")
    assert v.name == "foo/bar/v:0"
    assert c.name == "ns/foo/bar/c:0"
    names = [op.name for op in tf.get_default_graph().get_operations()]
    assert "foo/bar/v" in names and "foo/bar/v/Assign" in names and "foo/bar/v/read" in names
    assert any(n.startswith("foo/bar/v/Initializer/") for n in names)


def test_tf_variable_inside_variable_scope_uses_the_name_scope():
    with tf.variable_scope("foo"):
        v = tf.Variable(1.0, name="v")
    with tf.variable_scope("foo"):
        w = tf.Variable(1.0, name="v")
        x = tf.get_variable("x", [])
    assert v.name == "foo/v:0"
    assert w.name == "foo_1/v:0"  # the second entry opens name scope foo_1
    assert x.name == "foo/x:0"


def test_get_variable_scope_reports_the_current_scope():
    assert tf.get_variable_scope().name == ""
    with tf.variable_scope("a") as a:
        assert a.name == "a" and a.original_name_scope == "a/"
        with tf.variable_scope("b") as b:
            assert tf.get_variable_scope() is b
            assert b.name == "a/b"
        assert tf.get_variable_scope().name == "a"
    assert tf.get_variable_scope().name == ""


def test_creating_twice_without_reuse_is_an_error():
    with tf.variable_scope("foo"):
        tf.get_variable("v", [1])
    with pytest.raises(ValueError) as e, tf.variable_scope("foo"):
        tf.get_variable("v", [1])
    msg = str(e.value)
    assert msg.startswith("Variable foo/v already exists, disallowed. Did you mean to set "
                          "reuse=True or reuse=tf.AUTO_REUSE in VarScope?")
    assert "Originally defined at:" in msg and "test_variable_scope.py" in msg


def test_reuse_true_requires_an_existing_variable():
    missing = (r"^Variable foo/v does not exist, or was not created with tf.get_variable\(\). "
               r"Did you mean to set reuse=tf.AUTO_REUSE in VarScope\?$")
    with pytest.raises(ValueError, match=missing), tf.variable_scope("foo", reuse=True):
        tf.get_variable("v", [1])
    # tf.Variable does not register in the store either.
    with tf.variable_scope("bar"):
        tf.Variable(1.0, name="w")
    with pytest.raises(ValueError, match="Variable bar/w does not exist"), \
            tf.variable_scope("bar", reuse=True):
        tf.get_variable("w")


def test_reuse_returns_the_same_variable_and_checks_shape_and_dtype():
    with tf.variable_scope("foo"):
        v = tf.get_variable("v", [2])
    with tf.variable_scope("foo", reuse=True):
        assert tf.get_variable("v") is v
        assert tf.get_variable("v", [2]) is v
        assert tf.get_variable("v", [None]) is v
        with pytest.raises(ValueError, match=r"^Trying to share variable foo/v, but specified "
                           r"shape \(3,\) and found shape \(2,\).$"):
            tf.get_variable("v", [3])
        with pytest.raises(ValueError, match="Trying to share variable foo/v, but specified "
                           "dtype int32 and found dtype float32."):
            tf.get_variable("v", [2], dtype=tf.int32)
    assert tf.global_variables() == [v]


def test_auto_reuse_creates_or_returns():
    def layer():
        with tf.variable_scope("layer", reuse=tf.AUTO_REUSE):
            return tf.get_variable("w", [3], initializer=tf.zeros_initializer())

    a = layer()
    b = layer()
    assert a is b and a.name == "layer/w:0"
    assert repr(tf.AUTO_REUSE) == "_ReuseMode.AUTO_REUSE"


def test_reuse_is_inherited_and_reuse_variables():
    with tf.variable_scope("outer"), tf.variable_scope("inner"):
        v = tf.get_variable("v", [1])
    # reuse=False means "inherit".
    with tf.variable_scope("outer", reuse=True), tf.variable_scope("inner", reuse=False):
        assert tf.get_variable_scope().reuse is True
        assert tf.get_variable("v") is v
    with tf.variable_scope("outer") as scope:
        assert scope.reuse is False
        scope.reuse_variables()
        with tf.variable_scope("inner"):
            assert tf.get_variable("v") is v


def test_reentering_a_captured_scope():
    with tf.variable_scope("model") as scope:
        v = tf.get_variable("v", [1])
    with tf.variable_scope(scope, reuse=True) as s2:
        assert s2.name == "model"
        assert s2.original_name_scope == "model/"
        assert tf.get_variable("v") is v
        c = tf.constant(0.0, name="c")
    assert c.op.name == "model_1/c"
    with tf.variable_scope("other"), tf.variable_scope(scope):  # an absolute jump back
        w = tf.get_variable("w", [1])
    assert w.name == "model/w:0"


def test_default_name_scopes_are_made_unique():
    names = []
    for _ in range(3):
        with tf.variable_scope(None, default_name="dense"):
            names.append(tf.get_variable("kernel", [2, 2]).name)
    assert names == ["dense/kernel:0", "dense_1/kernel:0", "dense_2/kernel:0"]
    with pytest.raises(ValueError, match="reuse=True cannot be used without a name_or_scope"), \
            tf.variable_scope(None, default_name="x", reuse=True):
        pass


def test_scope_argument_errors():
    with pytest.raises(TypeError, match="If default_name is None then name_or_scope is "
                       "required"):
        tf.variable_scope(None)
    with pytest.raises(TypeError, match="name_or_scope must be a string or VariableScope"):
        tf.variable_scope(3)
    with pytest.raises(ValueError, match="The reuse parameter must be True or False or None."):
        tf.variable_scope("x", reuse="yes")


def test_default_initializers_glorot_uniform_for_floats_zeros_for_ints():
    w = tf.get_variable("w", [50, 30])
    n = tf.get_variable("n", [4], dtype=tf.int32)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        wv, nv = sess.run([w, n])
    limit = np.sqrt(6.0 / (50 + 30))
    assert wv.dtype == np.float32 and np.all(np.abs(wv) <= limit)
    assert wv.std() > 0.8 * limit / np.sqrt(3.0)
    assert nv.dtype == np.int32 and np.all(nv == 0)
    with pytest.raises(ValueError, match="An initializer for variable c of "):
        tf.get_variable("c", [1], dtype=tf.complex64)


def test_initializer_values_tensors_and_classes():
    a = tf.get_variable("a", initializer=tf.constant([1.0, 2.0]))
    b = tf.get_variable("b", initializer=np.array([1, 2, 3], np.int64))
    c = tf.get_variable("c", [2], initializer=tf.ones_initializer)
    d = tf.get_variable("d", [2], initializer=tf.constant_initializer(7.0), dtype=tf.float64)
    assert a.shape.as_list() == [2] and b.dtype is tf.int64 and d.dtype is tf.float64
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        got = sess.run([a, b, c, d])
    np.testing.assert_array_equal(got[0], [1.0, 2.0])
    np.testing.assert_array_equal(got[1], [1, 2, 3])
    np.testing.assert_array_equal(got[2], [1.0, 1.0])
    np.testing.assert_array_equal(got[3], [7.0, 7.0])
    with pytest.raises(ValueError, match="If initializer is a constant, do not specify shape."):
        tf.get_variable("e", [2], initializer=tf.constant([1.0, 2.0]))
    with pytest.raises(ValueError, match="Initializer type '<dtype: 'float32'>' and explicit "
                       "dtype '<dtype: 'int32'>' don't match."):
        tf.get_variable("f", initializer=tf.constant([1.0]), dtype=tf.int32)
    with pytest.raises(ValueError, match="The initializer passed is not valid"):
        tf.get_variable("g", [None], initializer=tf.zeros_initializer())


def test_scope_initializer_and_dtype_are_inherited():
    with tf.variable_scope("s", initializer=tf.constant_initializer(0.5), dtype=tf.float64):
        v = tf.get_variable("v", [2])
        with tf.variable_scope("inner"):
            w = tf.get_variable("w", [1])
        u = tf.get_variable("u", [1], initializer=tf.zeros_initializer())
    assert v.dtype is tf.float64 and w.dtype is tf.float64
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        np.testing.assert_array_equal(sess.run(v), [0.5, 0.5])
        np.testing.assert_array_equal(sess.run(w), [0.5])
        np.testing.assert_array_equal(sess.run(u), [0.0])


def test_trainable_and_collections_arguments():
    a = tf.get_variable("a", [1], trainable=False)
    b = tf.get_variable("b", [1], collections=["mine"])
    c = tf.get_local_variable("c", [1])
    assert a in tf.global_variables() and a not in tf.trainable_variables()
    assert tf.get_collection("mine") == [b] and b in tf.trainable_variables()
    assert b not in tf.global_variables()
    assert tf.local_variables() == [c] and c not in tf.trainable_variables()


def test_regularizer_adds_a_loss_per_variable():
    with tf.variable_scope("reg", regularizer=lambda v: tf.reduce_sum(v * v)):
        v = tf.get_variable("v", initializer=tf.constant([1.0, 2.0]))
        tf.get_variable("w", [1], regularizer=tf.no_regularizer)
    losses = tf.get_collection(tf.GraphKeys.REGULARIZATION_LOSSES)
    assert len(losses) == 1 and losses[0].op.name.startswith("reg/v/Regularizer/")
    with tf.Session() as sess:
        sess.run(v.initializer)
        assert sess.run(losses[0]) == 5.0


def test_custom_getters_wrap_creation_and_nest():
    calls = []

    def outer(getter, name, *args, **kwargs):
        calls.append(("outer", name))
        return getter(name, *args, **kwargs)

    def inner(getter, name, *args, **kwargs):
        calls.append(("inner", name))
        kwargs["trainable"] = False
        return getter(name, *args, **kwargs)

    with tf.variable_scope("a", custom_getter=outer), \
            tf.variable_scope("b", custom_getter=inner):
        v = tf.get_variable("v", [1])
    assert calls == [("inner", "a/b/v"), ("outer", "a/b/v")]
    assert v.name == "a/b/v:0" and v not in tf.trainable_variables()


def test_variable_scope_collections_helpers():
    with tf.variable_scope("m") as m:
        a = tf.get_variable("a", [1])
        b = tf.get_variable("b", [1], trainable=False)
    tf.get_variable("other", [1])
    assert m.global_variables() == [a, b]
    assert m.trainable_variables() == [a]


def test_values_pick_the_graph_and_stores_are_per_graph():
    g = tf.Graph()
    with g.as_default():
        x = tf.constant(1.0)
    with tf.variable_scope("s", values=[x]):
        v = tf.get_variable("v", [1])
    assert v.graph is g
    # The same full name is free in the default graph.
    with tf.variable_scope("s"):
        w = tf.get_variable("v", [1])
    assert w.graph is tf.get_default_graph() and w is not v


def test_partitioner_makes_a_partitioned_variable():
    # The rest is tests/test_partitioned_variables.py.
    p = tf.get_variable("p", [4], partitioner=lambda shape, dtype: [2])
    assert isinstance(p, tf.PartitionedVariable) and [v.name for v in p] == \
        ["p/part_0:0", "p/part_1:0"]
    with pytest.raises(ValueError, match="Partitioner must be callable"):
        tf.get_variable("q", [4], partitioner=3)


def test_no_auxiliary_name_scope_keeps_the_current_name_scope():
    # Names as TensorFlow 1.x gives them (checked against tf.compat.v1).
    with tf.variable_scope("a", auxiliary_name_scope=False) as a:
        assert tf.constant(1, name="c").name == "c:0"
        assert tf.get_variable("v", [1]).name == "a/v:0"
    assert a.original_name_scope == ""
    with tf.variable_scope(a, auxiliary_name_scope=False) as again:
        assert tf.constant(1, name="c").name == "c_1:0"
        assert tf.get_variable("w", [1]).name == "a/w:0"
    assert again.original_name_scope == ""
    with tf.variable_scope(None, default_name="d", auxiliary_name_scope=False) as d:
        assert tf.constant(1, name="c").name == "c_2:0"
        assert tf.get_variable("w", [1]).name == "d/w:0"
    assert d.original_name_scope == ""
    with tf.name_scope("outer"):
        with tf.variable_scope("b", auxiliary_name_scope=False) as b:
            assert tf.constant(1, name="c").name == "outer/c:0"
            assert tf.get_variable("w", [1]).name == "b/w:0"
    assert b.original_name_scope == "outer/"
    with tf.variable_scope(a):  # with its name scope: a fresh one of the scope's name
        assert tf.constant(1, name="c").name == "a/c:0"
