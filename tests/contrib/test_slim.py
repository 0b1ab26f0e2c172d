"""tf.contrib.slim: the namespace, contrib.framework's variable helpers (restore selection,
checkpoint assignment), separable_conv2d / unit_norm, model_analyzer."""

import os

import numpy as np
import pytest

import flowexec as tf
import flowexec.contrib.slim as slim
from tests.contrib.helpers import run
from tests.ops.test_conv import np_conv


def test_namespace():
    assert tf.contrib.slim is slim
    for name in ["conv2d", "fully_connected", "max_pool2d", "avg_pool2d", "flatten", "dropout",
                 "batch_norm", "layer_norm", "repeat", "stack", "separable_conv2d",
                 "conv2d_transpose", "one_hot_encoding", "l2_regularizer",
                 "xavier_initializer", "variance_scaling_initializer", "arg_scope",
                 "add_arg_scope", "model_variable", "variable", "get_variables_to_restore",
                 "assign_from_checkpoint_fn", "get_or_create_global_step", "variable_scope",
                 "unit_norm", "softmax"]:
        assert callable(getattr(slim, name)), name
    assert slim.conv2d is tf.contrib.layers.conv2d
    assert slim.arg_scope is tf.contrib.framework.arg_scope
    for mod in ["losses", "metrics", "learning", "evaluation", "model_analyzer", "summaries"]:
        assert hasattr(slim, mod)


def _model():
    with slim.arg_scope([slim.conv2d], num_outputs=2, kernel_size=3):
        x = tf.placeholder(tf.float32, [None, 4, 4, 1])
        net = slim.conv2d(x, scope="conv1")
        net = slim.conv2d(net, scope="conv10")
        return slim.fully_connected(slim.flatten(net), 3, scope="logits")


def test_variable_queries_and_restore_selection():
    _model()
    names = lambda vs: [v.op.name for v in vs]  # noqa: E731
    assert names(slim.get_variables_to_restore(exclude=["logits"])) == [
        "conv1/weights", "conv1/biases", "conv10/weights", "conv10/biases"]
    # prefix matching as in TF: "conv1" also takes "conv10".
    assert len(slim.get_variables_to_restore(include=["conv1"])) == 4
    assert names(slim.get_variables_to_restore(include=["conv1/"], exclude=["conv1/b"])) == [
        "conv1/weights"]
    with pytest.raises(TypeError):
        slim.get_variables_to_restore(include="conv1")
    assert names(slim.get_variables_by_suffix("biases")) == [
        "conv1/biases", "conv10/biases", "logits/biases"]
    assert slim.get_unique_variable("conv1/weights").op.name == "conv1/weights"
    with pytest.raises(ValueError):
        slim.get_unique_variable("conv")
    with pytest.raises(ValueError):
        slim.get_unique_variable("nothing")
    assert names(slim.filter_variables(tf.global_variables(), include_patterns=["conv"],
                                       exclude_patterns=["biases"])) == [
        "conv1/weights", "conv10/weights"]
    assert names(slim.get_trainable_variables("logits")) == ["logits/weights",
                                                             "logits/biases"]
    loc = slim.local_variable([1.0, 2.0], name="loc")
    glob = slim.global_variable(3, name="glob")
    assert slim.get_local_variables() == [loc]
    assert glob in tf.global_variables() and glob not in tf.trainable_variables()
    assert slim.get_variable_full_name(glob) == "glob"
    chooser = slim.VariableDeviceChooser(num_tasks=2)
    assert [chooser(None), chooser(None)] == ["/job:ps/task:0/device:CPU:0",
                                              "/job:ps/task:1/device:CPU:0"]


def test_assign_from_values_and_zero_initializer():
    w = tf.Variable(tf.zeros([2, 2]), name="w")
    b = tf.Variable(tf.ones([2]), name="b")
    op, feed = slim.assign_from_values({"w": np.arange(4.0), "b": [5.0, 6.0]})
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(op, feed)
        np.testing.assert_allclose(sess.run(w), [[0, 1], [2, 3]])
        sess.run(slim.zero_initializer(b))
        np.testing.assert_allclose(sess.run(b), [0, 0])
        fn = slim.assign_from_values_fn({"b": [7.0, 8.0]})
        fn(sess)
        np.testing.assert_allclose(sess.run(b), [7, 8])
    with pytest.raises(ValueError):
        slim.assign_from_values({"missing": 1.0})


def _save_checkpoint(tmp_path):
    with tf.Graph().as_default():
        a = tf.Variable([1.0, 2.0], name="scope/a")
        tf.Variable([[3.0]], name="scope/b")
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            sess.run(a.assign([10.0, 20.0]))
            return tf.train.Saver().save(sess, os.path.join(str(tmp_path), "model.ckpt"))


def test_assign_from_checkpoint_fn_restores_chosen_and_ignores_missing(tmp_path):
    path = _save_checkpoint(tmp_path)
    a = tf.Variable([0.0, 0.0], name="scope/a")
    b = tf.Variable([[0.0]], name="scope/b")
    c = tf.Variable(5.0, name="new/c")
    strict = slim.assign_from_checkpoint_fn(path, [a, c])
    with tf.Session() as sess, pytest.raises(tf.errors.NotFoundError):
        strict(sess)
    fn = slim.assign_from_checkpoint_fn(path, slim.get_variables_to_restore(exclude=["scope/b"]),
                                        ignore_missing_vars=True)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        fn(sess)
        np.testing.assert_allclose(sess.run(a), [10.0, 20.0])
        np.testing.assert_allclose(sess.run(b), [[0.0]])  # not chosen: untouched
        assert sess.run(c) == 5.0                          # missing: ignored
    assert slim.assign_from_checkpoint_fn(path, [c], ignore_missing_vars=True) is None
    with pytest.raises(ValueError):
        slim.assign_from_checkpoint_fn(path, [])
    op, feed = slim.assign_from_checkpoint(str(tmp_path), {"scope/b": b})
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(op, feed)
        np.testing.assert_allclose(sess.run(b), [[3.0]])
        np.testing.assert_allclose(sess.run(a), [0.0, 0.0])
    with pytest.raises(ValueError):
        slim.assign_from_checkpoint(path, [c])
    op, feed = slim.assign_from_checkpoint(path, [a, c], ignore_missing_vars=True)
    assert len(feed) == 1


def test_separable_conv2d_variables_and_numpy():
    x = tf.placeholder(tf.float32, [1, 5, 5, 2])
    y = slim.separable_conv2d(x, 3, [3, 3], depth_multiplier=2, activation_fn=None,
                              weights_regularizer=slim.l2_regularizer(0.5), scope="sep")
    shapes = {v.op.name: v.shape.as_list() for v in tf.model_variables()}
    assert shapes == {"sep/depthwise_weights": [3, 3, 2, 2],
                      "sep/pointwise_weights": [1, 1, 4, 3], "sep/biases": [3]}
    assert len(tf.get_collection(tf.GraphKeys.REGULARIZATION_LOSSES)) == 2
    d = slim.separable_conv2d(x, None, 3, depth_multiplier=2, activation_fn=None, scope="dw")
    assert tf.get_variable_scope() is not None
    xv = np.random.RandomState(0).standard_normal((1, 5, 5, 2)).astype(np.float32)
    dw = [v for v in tf.model_variables() if v.op.name == "sep/depthwise_weights"][0]
    pw = [v for v in tf.model_variables() if v.op.name == "sep/pointwise_weights"][0]
    dw2 = [v for v in tf.model_variables() if v.op.name == "dw/depthwise_weights"][0]
    out, dout, dwv, pwv, dw2v = run([y, d, dw, pw, dw2], {x: xv})
    assert dout.shape == (1, 5, 5, 4)

    def depthwise(w):
        chans = [np_conv(xv[..., c:c + 1], w[:, :, c:c + 1, :], (1, 1), "SAME")
                 for c in range(2)]
        return np.concatenate(chans, axis=-1)
    np.testing.assert_allclose(dout, depthwise(dw2v), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(out, depthwise(dwv) @ pwv[0, 0], rtol=1e-4, atol=1e-5)


def test_unit_norm():
    x = np.random.RandomState(2).standard_normal((3, 4)).astype(np.float32)
    out = run(slim.unit_norm(tf.constant(x), dim=1))
    np.testing.assert_allclose(out, x / np.linalg.norm(x, axis=1, keepdims=True), rtol=1e-5)
    with pytest.raises(ValueError):
        slim.unit_norm(tf.constant(x), dim=2)


def test_model_analyzer(capsys):
    tf.Variable(tf.zeros([3, 3, 3, 32]), name="conv1/weights")
    tf.Variable(tf.zeros([32], dtype=tf.float64), name="conv1/biases")
    size, nbytes = slim.model_analyzer.analyze_vars(tf.global_variables(), print_info=True)
    assert (size, nbytes) == (864 + 32, 864 * 4 + 32 * 8)
    lines = capsys.readouterr().out.splitlines()
    assert lines[:3] == ["---------", "Variables: name (type shape) [size]", "---------"]
    assert lines[3] == "conv1/weights:0 (float32_ref 3x3x3x32) [864, bytes: 3456]"
    assert lines[-2:] == ["Total size of variables: 896", "Total bytes of variables: 3712"]
    with tf.Graph().as_default() as g:
        tf.constant(np.zeros((2, 3)), name="c")
        tf.placeholder(tf.float32, [None, 3], name="p")
        assert slim.model_analyzer.analyze_ops(g, print_info=True) == 6
    out = capsys.readouterr().out
    assert "c \t-> (float64 2x3) [6]" in out
