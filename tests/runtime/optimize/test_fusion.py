"""Elementwise fusion and the MatMul+BiasAdd(+Relu) remapper: output IR and values."""

import numpy as np

import flowexec as tf
from flowexec.ops.fused_ops import FusedStep
from flowexec.runtime.optimize.fusion import fuse_elementwise
from flowexec.runtime.optimize.remapper import fuse_matmul_bias
from tests.runtime.optimize.helpers import evaluate, graph_ir, types

X = np.linspace(-3, 3, 12, dtype=np.float32).reshape(3, 4)


def _gelu_graph(reduce=tf.reduce_max):
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, [None, 4], name="x")
        inner = tf.add(x, tf.multiply(0.044715, x * x * x), name="inner")
        t = tf.tanh(0.7978846 * inner, name="t")
        y = tf.multiply(0.5 * x, 1.0 + t, name="gelu")
        s = reduce(y, name="s")
    return g, x, t, y, s


def test_chain_becomes_one_fused_node_named_after_its_last_op():
    g, x, _t, _y, s = _gelu_graph()
    graph = graph_ir(g, [s], [x])
    out, what = fuse_elementwise(graph)
    assert what == "1 elementwise groups fused (ops per group: 9)"
    fused = out.node("gelu")
    assert fused.type == "_FusedElementwise"
    assert [st.type for st in fused.attrs["expr"]] == [
        "Mul", "Mul", "Mul", "Add", "Mul", "Tanh", "Mul", "Add", "Mul"]
    assert fused.attrs["expr"][0] == FusedStep("Mul", (0, 0), "float32", "mul")
    assert fused.attrs["outputs"] == (len(fused.inputs) + 8,)
    assert [o.name for o in fused.origin][-1] == "gelu" and len(fused.origin) == 9
    assert out.node("s").inputs[0].name == "gelu:0"
    np.testing.assert_array_equal(evaluate(out, {"x:0": X})[0],
                                  evaluate(graph, {"x:0": X})[0])


def test_a_value_read_outside_the_group_is_an_extra_output():
    g, x, t, _y, s = _gelu_graph()
    with g.as_default():
        u = tf.add(s, tf.reduce_min(t), name="u")
    graph = graph_ir(g, [u], [x])
    out, _ = fuse_elementwise(graph)
    fused = out.node("gelu")
    assert len(fused.attrs["outputs"]) == 2 and len(fused.output_dtypes) == 2
    reader = next(n for n in out.nodes if n.type == "Min")
    assert reader.inputs[0].name == "gelu:1"
    np.testing.assert_array_equal(evaluate(out, {"x:0": X})[0],
                                  evaluate(graph, {"x:0": X})[0])


def test_a_sum_over_every_axis_joins_the_group():
    g, x, _t, _y, s = _gelu_graph(tf.reduce_sum)
    graph = graph_ir(g, [s], [x])
    out, what = fuse_elementwise(graph)
    assert what == ("1 elementwise groups fused (ops per group: 9), 1 with the Sum that "
                    "reads them (re-associated sum)")
    fused = out.node("s")
    assert fused.type == "_FusedElementwise" and fused.attrs["reduce"] == "sum"
    assert fused.output_shapes[0].as_list() == [] and "gelu" not in out
    assert [o.name for o in fused.origin][-2:] == ["gelu", "s"]
    big = np.random.default_rng(0).standard_normal((600, 400)).astype(np.float32)
    for feed in (X, big):  # one block (the ops' own kernels), and blocked partial sums
        (got,), (want,) = evaluate(out, {"x:0": feed}), evaluate(graph, {"x:0": feed})
        assert got.shape == () and got.dtype == np.float32
        np.testing.assert_allclose(got, want, rtol=1e-5)


def test_a_sum_over_some_axes_or_keeping_dims_stays():
    for reduce in (lambda y, name: tf.reduce_sum(y, axis=1, name=name),
                   lambda y, name: tf.reduce_sum(y, keepdims=True, name=name)):
        g, x, _t, _y, s = _gelu_graph(reduce)
        out, _ = fuse_elementwise(graph_ir(g, [s], [x]))
        assert out.node("s").type == "Sum"


def test_a_fetched_op_ends_its_group_and_keeps_its_name():
    g, x, t, _y, s = _gelu_graph()
    graph = graph_ir(g, [s, t], [x])
    out, _ = fuse_elementwise(graph)
    assert out.node("t").type == "_FusedElementwise"
    assert out.node("gelu").type == "_FusedElementwise"
    got = evaluate(out, {"x:0": X})
    want = evaluate(graph, {"x:0": X})
    for a, b in zip(got, want):
        np.testing.assert_array_equal(a, b)


def test_no_group_through_an_outside_path():
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, [None], name="x")
        a = tf.exp(x, name="a")
        m = tf.reduce_sum(a, keepdims=True, name="m")   # outside: depends on a
        y = tf.add(a, m, name="y")                       # must not join a's group
        z = tf.tanh(y, name="z")
    out, _what = fuse_elementwise(graph_ir(g, [z], [x]))
    assert types(out)["a"] == "Exp" and types(out)["z"] == "_FusedElementwise"
    assert [st.type for st in out.node("z").attrs["expr"]] == ["Add", "Tanh"]


def test_integer_and_unflagged_ops_are_left_alone():
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.int32, [4], name="x")
        y = tf.negative(x + 1, name="y")
        f = tf.placeholder(tf.float32, [4], name="f")
        z = tf.negative(tf.cumsum(f), name="z")
    _out, what = fuse_elementwise(graph_ir(g, [y, z], [x, f]))
    assert what is None


def test_matmul_bias_relu_is_one_fused_matmul():
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, [3, 4], name="x")
        w = tf.constant(np.arange(8, dtype=np.float32).reshape(4, 2) / 5 - 0.5)
        b = tf.constant([0.25, -1.0])
        h = tf.nn.relu(tf.nn.bias_add(tf.matmul(x, w), b), name="h")
        o = tf.nn.bias_add(tf.matmul(h, tf.ones([2, 2]), transpose_b=True), [1.0, 2.0],
                           name="o")
    graph = graph_ir(g, [o], [x])
    out, what = fuse_matmul_bias(graph)
    assert what == "2 MatMul+BiasAdd fused into _FusedMatMul"
    assert out.node("h").type == "_FusedMatMul"
    assert out.node("h").attrs["fused_ops"] == ("BiasAdd", "Relu")
    assert out.node("o").attrs["fused_ops"] == ("BiasAdd",)
    assert out.node("o").attrs["transpose_b"] is True
    assert {t for t in types(out).values()} == {"Const", "_FusedMatMul"}
    assert [op.name for op in out.node("h").origin] == ["MatMul", "BiasAdd", "h"]
    np.testing.assert_array_equal(evaluate(out, {"x:0": X})[0],
                                  evaluate(graph, {"x:0": X})[0])


def test_matmul_read_twice_is_not_fused():
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, [3, 4], name="x")
        m = tf.matmul(x, tf.ones([4, 2]), name="m")
        o = tf.add(tf.nn.bias_add(m, [1.0, 2.0]), m, name="o")
    _out, what = fuse_matmul_bias(graph_ir(g, [o], [x]))
    assert what is None
