"""Constant folding: literal output IR, feeds override, the size cap, kernel errors."""

import numpy as np

import flowexec as tf
from flowexec.framework.registry import apply_op
from flowexec.runtime.optimize.constant_folding import fold_constants
from tests.runtime.optimize.helpers import evaluate, graph_ir, types

CAP = 10 * 1024 * 1024


def test_folds_a_constant_subgraph_into_a_const_of_the_same_name():
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, [3], name="x")
        c = tf.multiply(tf.constant(2.0, name="a"), tf.constant(3.0, name="b"), name="c")
        d = tf.add(c, tf.constant(1.0, name="one"), name="d")
        y = tf.add(x, d, name="y")
    graph, what = fold_constants(graph_ir(g, [y], [x]), CAP)
    assert what == "2 nodes folded (c, d)"
    assert types(graph) == {"d": "Const", "y": "Add"}
    assert graph.node("d").attrs["value"] == np.float32(7.0)
    assert graph.node("d").origin[0].name == "d"
    np.testing.assert_array_equal(evaluate(graph, {"x:0": [1, 2, 3]})[0], [8, 9, 10])


def test_nothing_downstream_of_a_fed_tensor_is_folded():
    g = tf.Graph()
    with g.as_default():
        c = tf.constant(2.0, name="c")
        d = tf.multiply(c, 3.0, name="d")
        e = tf.add(d, 1.0, name="e")
    graph = graph_ir(g, [e], [d])
    folded, what = fold_constants(graph, CAP)
    assert what is None and folded is graph
    assert evaluate(folded, {"d:0": 10.0})[0] == 11.0


def test_fetched_nodes_are_preserved_and_stateful_ops_never_fold():
    g = tf.Graph()
    with g.as_default():
        c = tf.add(tf.constant(1.0), 2.0, name="c")
        r = tf.random_uniform([2], seed=1, name="r")
        s = tf.add(r, c, name="s")
    graph, what = fold_constants(graph_ir(g, [c, s]), CAP)
    assert what == "1 nodes folded (r/sub)"  # maxval - minval
    assert types(graph)["c"] == "Add" and "RandomUniform" in types(graph).values()
    assert types(graph)["r/mul"] == "Mul"


def test_shape_of_a_statically_known_tensor_folds():
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, [2, 5], name="x")
        shape = apply_op("Shape", x, name="shape", out_type=tf.int32)
        n = tf.reduce_prod(shape, name="n")
        y = tf.add(tf.cast(n, tf.float32), x, name="y")
    graph, what = fold_constants(graph_ir(g, [y], [x]), CAP)
    assert what == "3 nodes folded (shape, n, Cast)"
    np.testing.assert_array_equal(evaluate(graph, {"x:0": np.zeros((2, 5))})[0],
                                  np.full((2, 5), 10.0))


def test_size_cap_keeps_large_results_computed():
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, [], name="x")
        big = tf.fill([1000, 1000], 1.0, name="big")  # 4 MB of float32
        y = tf.add(big, x, name="y")
    folded, what = fold_constants(graph_ir(g, [y], [x]), 1_000_000)
    assert what is None and types(folded)["big"] == "Fill"
    folded, what = fold_constants(graph_ir(g, [y], [x]), CAP)
    assert types(folded)["big"] == "Const"


def test_a_kernel_error_leaves_the_node_for_the_run_to_report():
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.int32, [], name="x")
        q = tf.floordiv(tf.constant(1), tf.constant(0), name="q")
        y = tf.add(q, x, name="y")
    folded, _ = fold_constants(graph_ir(g, [y], [x]), CAP)
    assert types(folded)["q"] == "FloorDiv"


def test_folded_constants_keep_control_inputs():
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, [], name="x")
        side = tf.no_op(name="side")
        with tf.control_dependencies([side]):
            a = tf.constant(2.0, name="a")
        b = tf.multiply(a, 4.0, name="b")
        y = tf.add(b, x, name="y")
    folded, _ = fold_constants(graph_ir(g, [y], [x]), CAP)
    assert folded.node("b").control_inputs == ("side",)
    assert "a" not in folded


def test_placeholder_with_default_is_never_folded_as_in_tf():
    g = tf.Graph()
    with g.as_default():
        d = tf.placeholder_with_default(tf.constant([1.0, 2.0]), [2], name="d")
        y = tf.negative(d, name="y")
        z = tf.add(y, 1.0, name="z")
    folded, what = fold_constants(graph_ir(g, [z]), CAP)
    assert what is None and types(folded)["d"] == "PlaceholderWithDefault"
