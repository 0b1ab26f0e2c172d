"""Patch sharing: a convolution and its filter gradient build the im2col patches once."""

import numpy as np

import flowexec as tf
from flowexec.runtime.optimize.conv_patches import share_conv_patches
from tests.runtime.optimize.helpers import evaluate, graph_ir, types

RNG = np.random.default_rng(3)
X = RNG.standard_normal((2, 6, 5, 4)).astype(np.float32)


def _step(conv=tf.nn.conv2d, x_shape=(2, 6, 5, 4), w_shape=(3, 3, 4, 6), **kw):
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, [None] + list(x_shape[1:]), name="x")
        w = tf.constant(RNG.standard_normal(w_shape).astype(np.float32), name="w")
        y = conv(x, w, [1] * len(x_shape), "SAME", name="conv", **kw)
        loss = tf.reduce_sum(tf.tanh(y))
        dx, dw = tf.gradients(loss, [x, w])
    return g, x, y, dx, dw


def test_filter_gradient_reads_the_forward_patches():
    g, x, y, dx, dw = _step()
    graph = graph_ir(g, [y, dx, dw], [x])
    out, what = share_conv_patches(graph)
    assert what == "1 convolution filter gradients reuse their forward's patches " \
                   "(1 _ConvWithPatches)"
    assert types(out)["conv"] == "_ConvWithPatches"
    grad = out.node(dw.op.name)
    assert grad.type == "_ConvBackpropFilterFromPatches"
    assert grad.inputs[0].name == "conv:1"
    assert [o.name for o in grad.origin] == [dw.op.name]
    for a, b in zip(evaluate(out, {"x:0": X}), evaluate(graph, {"x:0": X})):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)


def test_grouped_and_3d_convolutions_share_too():
    g, x, y, dx, dw = _step(w_shape=(3, 3, 2, 6))
    graph = graph_ir(g, [dw], [x])
    out, what = share_conv_patches(graph)
    assert what is not None
    np.testing.assert_allclose(evaluate(out, {"x:0": X})[0], evaluate(graph, {"x:0": X})[0],
                               rtol=1e-5, atol=1e-5)
    g, x, y, dx, dw = _step(tf.nn.conv3d, (1, 3, 4, 4, 2), (2, 2, 2, 2, 3))
    graph = graph_ir(g, [dw], [x])
    out, _ = share_conv_patches(graph)
    assert types(out)["conv"] == "_ConvWithPatches"
    x3 = RNG.standard_normal((1, 3, 4, 4, 2)).astype(np.float32)
    np.testing.assert_allclose(evaluate(out, {"x:0": x3})[0], evaluate(graph, {"x:0": x3})[0],
                               rtol=1e-5, atol=1e-5)


def test_nothing_shared_without_a_matching_forward():
    g, x, y, dx, dw = _step()
    with g.as_default():
        # Same input, other strides: its patches differ.
        other = tf.nn.conv2d_backprop_filter(x, [3, 3, 4, 6], tf.zeros([2, 3, 3, 6]),
                                             [1, 2, 2, 1], "SAME")
    graph = graph_ir(g, [other], [x])
    assert share_conv_patches(graph) == (graph, None)
    # The forward fed: nothing computes its patches.
    graph = graph_ir(g, [dw], [x, y])
    assert share_conv_patches(graph) == (graph, None)


def test_a_training_session_uses_it_and_matches_the_unshared_step():
    g, x, y, dx, dw = _step()
    with g.as_default():
        off = tf.ConfigProto(graph_options=tf.GraphOptions(
            rewrite_options=tf.RewriterConfig(remapping=tf.RewriterConfig.OFF)))
        with tf.Session() as sess:
            applied = sess.explain([dx, dw], {x: X}).optimized.applied
            shared = sess.run([dx, dw], {x: X})
        with tf.Session(config=off) as sess:
            plain = sess.run([dx, dw], {x: X})
    assert any("reuse their forward's patches" in a for a in applied)
    for a, b in zip(shared, plain):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)
