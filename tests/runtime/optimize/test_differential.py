"""Differential property test: random DAGs give the same values with every pass on and off.

Bit-exact unless a re-associating rewrite applied (constant chains, add trees, transposes
folded into MatMul, a Sum fused with the elementwise ops it reads): then within rtol 1e-5
(float32, a few ulps per re-associated op).
Random feeds of intermediate tensors check that feeds still override every pass.
"""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import flowexec as tf
from flowexec.framework.registry import apply_op
from flowexec.runtime.optimize import GraphOptions, RewriterConfig, optimize
from tests.runtime.optimize.helpers import evaluate, graph_ir

REASSOCIATING = ("constant_chain", "add_chain_to_addn", "transpose_into_matmul",
                 "re-associated sum")
SWITCHES = ("constant_folding", "arithmetic_optimization", "remapping",
            "common_subgraph_elimination", "dependency_optimization")

UNARY = [tf.negative, tf.tanh, tf.nn.relu, tf.square, tf.identity, tf.sigmoid,
         lambda t: apply_op("Cast", t, DstT=tf.float32),
         lambda t: tf.reshape(tf.reshape(t, [-1]), [-1, 3]),
         lambda t: tf.transpose(tf.transpose(t)),
         lambda t: tf.clip_by_value(t, -1.5, 1.5)]
BINARY = [tf.add, tf.subtract, tf.multiply, tf.maximum, lambda a, b: a * a + b]


def _build(data, rng, rows):
    g = tf.Graph()
    with g.as_default():
        # an unknown batch dimension: the fusion pass fuses what it cannot prove small
        x = tf.placeholder(tf.float32, [None, 3], name="x")
        pool = [x, tf.constant(rng.standard_normal(3).astype(np.float32)) + tf.zeros_like(x)]
        small = [tf.constant(np.float32(data.draw(st.sampled_from([0.0, 1.0, 2.0, -0.5])))),
                 tf.constant(rng.standard_normal(3).astype(np.float32))]
        n_ops = data.draw(st.integers(3, 14))
        for _ in range(n_ops):
            kind = data.draw(st.sampled_from(["unary", "binary", "const_chain", "dense",
                                              "add_n", "sum"]))
            pick = st.integers(0, len(pool) - 1)
            a = pool[data.draw(pick)]
            if kind == "unary":
                out = data.draw(st.sampled_from(UNARY))(a)
            elif kind == "binary":
                b = data.draw(st.sampled_from(pool + small))
                out = data.draw(st.sampled_from(BINARY))(a, b)
            elif kind == "const_chain":
                out = a
                for _ in range(data.draw(st.integers(1, 4))):
                    out = out + float(data.draw(st.sampled_from([0.0, 1.0, 0.25])))
            elif kind == "dense":
                w = tf.constant(rng.standard_normal((3, 3)).astype(np.float32) / 3)
                h = tf.nn.bias_add(tf.matmul(a, w), tf.constant(np.full(3, 0.1, np.float32)))
                out = tf.nn.relu(h) if data.draw(st.booleans()) else h
            elif kind == "sum":
                out = tf.reduce_sum(tf.tanh(a) * 0.5) / float(rows)
            else:
                out = tf.add_n([a, pool[data.draw(pick)], pool[data.draw(pick)]])
            if out.shape.as_list() != [None, 3]:
                out = out + tf.zeros_like(x)
            pool.append(out)
        candidates = pool[2:]
        fetches = data.draw(st.lists(st.sampled_from(candidates), min_size=1, max_size=3,
                                     unique_by=lambda t: t.name))
        feeds = [x]
        if data.draw(st.booleans()) and len(candidates) > 2:
            inner = data.draw(st.sampled_from(candidates[:-1]))
            if inner not in fetches:
                feeds.append(inner)
    return g, fetches, feeds


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_random_dags_agree_with_passes_on_and_off(data):
    rng = np.random.default_rng(data.draw(st.integers(0, 2**16)))
    rows = data.draw(st.sampled_from([4, 4, 4, 30000]))  # 30000 x 3: the blocked kernel
    g, fetches, feeds = _build(data, rng, rows)
    graph = graph_ir(g, fetches, feeds)
    values = {"x:0": rng.standard_normal((rows, 3)).astype(np.float32) * 2}
    for t in feeds[1:]:
        values[t.name] = rng.standard_normal((rows, 3)).astype(np.float32)
    off = {s: data.draw(st.booleans()) for s in SWITCHES}
    config = RewriterConfig(**{s: RewriterConfig.OFF for s, v in off.items() if v},
                            min_graph_nodes=-1)
    optimized = optimize(graph, GraphOptions(rewrite_options=config))
    want = evaluate(graph, values)
    got = evaluate(optimized.graph, values)
    exact = not any(r in line for line in optimized.applied for r in REASSOCIATING)
    for w, v in zip(want, got):
        assert v.dtype == w.dtype and v.shape == w.shape
        if exact:
            np.testing.assert_array_equal(v, w, err_msg="\n".join(optimized.applied))
        else:
            np.testing.assert_allclose(v, w, rtol=1e-5, atol=1e-5,
                                       err_msg="\n".join(optimized.applied))
    for r in graph.fetches:
        assert optimized.graph.get(r.node) is not None or optimized.graph.is_fed(r)
    assert optimized.graph.feeds == graph.feeds and optimized.graph.fetches == graph.fetches
