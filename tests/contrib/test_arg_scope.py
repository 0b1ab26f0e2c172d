"""tf.contrib.framework.arg_scope / add_arg_scope: defaults for decorated layer functions,
nesting, explicit arguments winning, re-entering a captured scope, TF's errors; model
variables."""

import numpy as np
import pytest

import flowexec as tf

L = tf.contrib.layers
F = tf.contrib.framework


@F.add_arg_scope
def scoped(a, b=1, c=2):
    return a, b, c


def test_arg_scope_sets_defaults_and_explicit_arguments_win():
    with F.arg_scope([scoped], b=10):
        assert scoped(0) == (0, 10, 2)
        assert scoped(0, b=5) == (0, 5, 2)
        with F.arg_scope([scoped], c=20):
            assert scoped(0) == (0, 10, 20)
        assert scoped(0) == (0, 10, 2)
    assert scoped(0) == (0, 1, 2)


def test_reentering_a_captured_scope():
    with F.arg_scope([scoped], c=7) as sc:
        pass
    assert scoped(1) == (1, 1, 2)
    with F.arg_scope(sc):
        assert scoped(1) == (1, 1, 7)
    assert isinstance(sc, dict) and F.current_arg_scope() == {}


def test_errors_and_introspection():
    def plain(x, y=1):
        return x

    with pytest.raises(ValueError) as err:
        with F.arg_scope([plain], y=2):
            pass
    assert err.value.args[0] == "%s is not decorated with @add_arg_scope"
    assert err.value.args[1] == (__name__, "plain")
    with pytest.raises(TypeError, match="list_ops_or_scope must either be a list/tuple"):
        with F.arg_scope(scoped, b=1):
            pass
    with pytest.raises(ValueError, match="kwargs must be empty"):
        with F.arg_scope({}, b=1):
            pass
    assert F.has_arg_scope(scoped) and not F.has_arg_scope(plain)
    assert F.arg_scoped_arguments(scoped) == ("b", "c")
    assert F.has_arg_scope(L.conv2d) and F.has_arg_scope(L.batch_norm)
    assert L.arg_scope is F.arg_scope and L.fully_connected.__name__ == "fully_connected"


def test_arg_scope_over_layers():
    x = tf.placeholder(tf.float32, [None, 8, 8, 3])
    with F.arg_scope([L.conv2d, L.fully_connected],
                     weights_regularizer=L.l2_regularizer(0.01), activation_fn=None):
        with F.arg_scope([L.conv2d], padding="VALID", stride=2):
            net = L.conv2d(x, 4, 3, scope="conv1")
            net2 = L.conv2d(x, 4, 3, padding="SAME", scope="conv2")
        logits = L.fully_connected(L.flatten(net), 10, scope="logits")
    assert net.shape.as_list() == [None, 3, 3, 4]
    assert net2.shape.as_list() == [None, 4, 4, 4]
    assert logits.op.type == "BiasAdd"
    assert [t.op.name for t in tf.get_collection(tf.GraphKeys.REGULARIZATION_LOSSES)] == [
        "conv1/kernel/Regularizer/l2_regularizer", "conv2/kernel/Regularizer/l2_regularizer",
        "logits/kernel/Regularizer/l2_regularizer"]


def test_normalizer_through_arg_scope_and_is_training():
    x = tf.placeholder(tf.float32, [None, 4])
    with F.arg_scope([L.fully_connected], normalizer_fn=L.batch_norm):
        with F.arg_scope([L.batch_norm], is_training=False, scale=True):
            L.fully_connected(x, 3)
    assert sorted(v.name for v in tf.global_variables()) == [
        "fully_connected/BatchNorm/beta:0", "fully_connected/BatchNorm/gamma:0",
        "fully_connected/BatchNorm/moving_mean:0",
        "fully_connected/BatchNorm/moving_variance:0", "fully_connected/weights:0"]
    assert tf.get_collection(tf.GraphKeys.UPDATE_OPS) == []


def test_model_variable_collections():
    with tf.variable_scope("s"):
        v = F.model_variable("v", [2], collections=["extra"])
        w = F.variable("w", [3], trainable=False)
    assert F.get_model_variables() == [v]
    assert tf.get_collection("extra") == [v] and v in tf.trainable_variables()
    assert w in tf.global_variables() and w not in tf.trainable_variables()
    assert F.get_variables("s") == [v, w]
    with F.arg_scope([F.model_variable], initializer=tf.constant_initializer(3.0)):
        u = F.model_variable("u", [2])
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        np.testing.assert_array_equal(sess.run(u), [3.0, 3.0])


def test_get_variables_by_name():
    x = tf.zeros([2, 3])
    L.fully_connected(x, 4, scope="a")
    L.fully_connected(x, 4, scope="b")
    assert [v.op.name for v in F.get_variables_by_name("weights")] == ["a/weights",
                                                                       "b/weights"]
    assert [v.op.name for v in F.get_variables_by_name("biases", scope="b")] == ["b/biases"]
