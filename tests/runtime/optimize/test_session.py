"""The optimizer through a Session: default passes, results, traces and errors naming the
user's ops, and gradients (built on the user's graph) through fused steps."""

import json

import numpy as np
import pytest

import flowexec as tf
from flowexec.timeline import Timeline

C = float(np.sqrt(2.0 / np.pi))


def _gelu(x):
    return 0.5 * x * (1.0 + tf.tanh(C * (x + 0.044715 * (x * x * x))))


def test_a_session_runs_the_fused_chain_and_explain_says_so():
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, [None], name="x")
        y = tf.clip_by_value(_gelu(x) * 1.7 - 0.25, -2.0, 2.0, name="y")
        total = tf.reduce_sum(y, name="total")
    xv = np.random.default_rng(0).standard_normal(300_000).astype(np.float32)
    before = [(op.name, op.type, [t.name for t in op.inputs]) for op in g.get_operations()]
    with tf.Session(graph=g) as sess:
        got_y, got_total = sess.run([y, total], {x: xv})
        stages = sess.explain([y, total], [x])
        meta = tf.RunMetadata()
        sess.run(total, {x: xv}, options=tf.RunOptions(trace_level=tf.RunOptions.FULL_TRACE),
                 run_metadata=meta)
    c, k = np.float32(C), np.float32(0.044715)
    want = np.clip(np.float32(0.5) * xv * (np.float32(1) + np.tanh(c * (xv + k * (xv * xv * xv))))
                   * np.float32(1.7) - np.float32(0.25), np.float32(-2), np.float32(2))
    np.testing.assert_allclose(got_y, want, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(got_total, want.sum(dtype=np.float64), rtol=1e-4)
    assert any(line.startswith("remap: 1 elementwise groups fused") for line in stages.applied)
    assert stages.optimized.graph.node("y").type == "_FusedElementwise"
    (stat,) = [n for d in meta.step_stats.dev_stats for n in d.node_stats
               if n.node_name == "total"]
    assert stat.timeline_label.startswith("total = _FusedElementwise[")
    after = [(op.name, op.type, [t.name for t in op.inputs]) for op in g.get_operations()]
    assert after == before  # the user's Graph is never changed


def test_a_failing_fused_step_names_the_users_op_and_line():
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, [None], name="x")
        z = tf.placeholder(tf.float32, [None], name="z")
        y = tf.negative(tf.tanh(tf.add(x, z, name="user_add")) * 2.0, name="t")
    with tf.Session(graph=g) as sess:
        assert sess.explain(y, [x, z]).optimized.graph.node("t").type == "_FusedElementwise"
        with pytest.raises(tf.errors.InvalidArgumentError) as info:
            sess.run(y, {x: np.ones(3, np.float32), z: np.ones(4, np.float32)})
    message = str(info.value)
    assert "Incompatible shapes" in message and "Add op 'user_add'" in message
    assert "test_session.py" in message  # the user's line


def test_matmul_bias_relu_and_gradients_through_fused_steps():
    rng = np.random.default_rng(1)
    xv = rng.standard_normal((8, 5)).astype(np.float32)
    w0 = (rng.standard_normal((5, 3)) / 3).astype(np.float32)
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, [None, 5], name="x")
        w = tf.Variable(w0, name="w")
        b = tf.Variable(np.zeros(3, np.float32) + 0.1, name="b")
        h = tf.nn.relu(tf.nn.bias_add(tf.matmul(x, w), b), name="h")
        loss = tf.reduce_sum(tf.tanh(h) * 0.5 + 1.0, name="loss")
        grad_w, = tf.gradients(loss, [w])
    with tf.Session(graph=g) as sess:
        sess.run(tf.global_variables_initializer())
        got_h, got_loss, got_grad = sess.run([h, loss, grad_w], {x: xv})
        applied = sess.explain([h, loss, grad_w], [x]).applied
    hv = np.maximum(xv @ w0 + np.float32(0.1), 0)
    np.testing.assert_allclose(got_h, hv, rtol=1e-6)
    np.testing.assert_allclose(got_loss, (np.tanh(hv) * 0.5 + 1).sum(), rtol=1e-5)
    dh = 0.5 * (1 - np.tanh(hv) ** 2) * (hv > 0)
    np.testing.assert_allclose(got_grad, xv.T @ dh, rtol=1e-5, atol=1e-6)
    assert any("elementwise groups fused" in line for line in applied)


def test_traces_show_a_fused_step_with_the_user_ops_it_contains():
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, [None, 4], name="x")
        w = tf.constant(np.eye(4, dtype=np.float32), name="w")
        b = tf.constant(np.ones(4, np.float32), name="b")
        h = tf.nn.relu(tf.nn.bias_add(tf.matmul(x, w, name="mm"), b, name="ba"), name="h")
        t = tf.tanh(h, name="t")
        m = tf.multiply(t, 2.0, name="m")
        y = tf.add(m, x, name="y")
    meta = tf.RunMetadata()
    with tf.Session(graph=g) as sess:
        sess.run(y, {x: np.ones((4096, 4), np.float32)},
                 options=tf.RunOptions(trace_level=tf.RunOptions.FULL_TRACE),
                 run_metadata=meta)
    labels = {n.node_name: n.timeline_label for d in meta.step_stats.dev_stats
              for n in d.node_stats}
    assert labels["h"] == "h = _FusedMatMul[mm:MatMul, ba:BiasAdd, h:Relu](x, w, b)"
    assert labels["y"] == "y = _FusedElementwise[t:Tanh, m:Mul, y:Add](h, m/y, x)"
    events = json.loads(Timeline(meta.step_stats).generate_chrome_trace_format())
    (fused,) = [e for e in events["traceEvents"] if e["ph"] == "X" and e["args"]["name"] == "y"]
    assert fused["name"] == "_FusedElementwise(Tanh, Mul, Add)"
    assert fused["args"]["op"] == "_FusedElementwise"
    assert fused["args"]["fused_ops"] == ["t:Tanh", "m:Mul", "y:Add"]
    assert fused["args"]["input0"] == "h"


def _config(**rewrite):
    return tf.ConfigProto(graph_options=tf.GraphOptions(
        rewrite_options=tf.RewriterConfig(**rewrite),
        optimizer_options=tf.OptimizerOptions(opt_level=tf.OptimizerOptions.L0)))


def test_tf_switches_reach_the_plan():
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, [None], name="x")
        c = tf.multiply(tf.constant(2.0), 3.0, name="c")
        y = tf.tanh(x * c + 1.0, name="y")
    xv = np.arange(4, dtype=np.float32)
    results = {}
    for label, config in [
            ("default", None),
            ("no_folding", _config(constant_folding=tf.RewriterConfig.OFF)),
            ("as_written", _config(disable_meta_optimizer=True))]:
        with tf.Session(graph=g, config=config) as sess:
            results[label] = sess.run(y, {x: xv})
            applied = sess.explain(y, [x]).applied
            nodes = sess.explain(y, [x]).optimized.graph
        if label == "default":
            assert applied[0] == "constfold: 1 nodes folded (c)"
        elif label == "no_folding":
            assert not any(a.startswith("constfold") for a in applied)
            assert nodes.node("y").type == "_FusedElementwise"
        else:
            assert applied == () and nodes.node("y").type == "Tanh"
            assert nodes.node("c").type == "Mul"
    for v in results.values():
        np.testing.assert_array_equal(v, results["as_written"])
