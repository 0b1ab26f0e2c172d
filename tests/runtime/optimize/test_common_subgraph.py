"""Common subexpression elimination: duplicated subgraphs collapse; state never merges."""

import numpy as np

import flowexec as tf
from flowexec.runtime.optimize.common_subgraph import (
    eliminate_common_subexpressions as cse,
)
from tests.runtime.optimize.helpers import evaluate, graph_ir, types


def test_duplicated_subgraph_collapses_in_one_walk():
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, [3], name="x")
        a = tf.tanh(x * 2.0, name="a")
        b = tf.tanh(x * 2.0, name="b")
        y = tf.add(a, b, name="y")
    graph = graph_ir(g, [y], [x])
    out, what = cse(graph)
    assert what == "3 duplicate nodes merged"  # the constant 2.0, the Mul, the Tanh
    assert [r.node for r in out.node("y").inputs] == ["a", "a"]
    assert types(out) == {"mul/y": "Const", "mul": "Mul", "a": "Tanh", "y": "Add"}
    np.testing.assert_array_equal(evaluate(out, {"x:0": [0, 1, 2]})[0],
                                  evaluate(graph, {"x:0": [0, 1, 2]})[0])


def test_different_attributes_or_constants_do_not_merge():
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, [2, 2], name="x")
        y = tf.add(tf.matmul(x, x, transpose_a=True), tf.matmul(x, x), name="y")
        z = tf.add(tf.constant([1.0, 2.0]), tf.constant([1.0, 3.0]), name="z")
    _out, what = cse(graph_ir(g, [y, z], [x]))
    assert what is None


def test_random_ops_are_never_merged():
    g = tf.Graph()
    with g.as_default():
        a = tf.random_uniform([2], seed=3, name="a")
        b = tf.random_uniform([2], seed=3, name="b")
        y = tf.add(a, b, name="y")
    out, _what = cse(graph_ir(g, [y]))
    assert sum(t == "RandomUniform" for t in types(out).values()) == 2


def test_a_fetched_duplicate_keeps_its_node():
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, [2], name="x")
        a = tf.negative(x, name="a")
        b = tf.negative(x, name="b")
        y = tf.add(a, b, name="y")
    out, what = cse(graph_ir(g, [y, b], [x]))
    assert what is None and "b" in out and "a" in out


def test_control_readers_of_a_duplicate_wait_for_the_kept_node():
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, [2], name="x")
        a = tf.exp(x, name="a")
        b = tf.exp(x, name="b")
        with tf.control_dependencies([b]):
            y = tf.add(x, a, name="y")
    out, what = cse(graph_ir(g, [y], [x]))
    assert what == "1 duplicate nodes merged"
    assert out.node("y").control_inputs == ("a",)
