"""Arithmetic simplification: each rule's output IR, literally, and its values."""

import numpy as np
import pytest

import flowexec as tf
from flowexec.framework.registry import apply_op
from flowexec.runtime.optimize.arithmetic import simplify
from tests.runtime.optimize.helpers import evaluate, graph_ir, types

X = np.arange(6, dtype=np.float32).reshape(2, 3) - 2.5


def _simplify(build, shape=(2, 3)):
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, shape, name="x")
        y = build(x)
    graph = graph_ir(g, [y], [x])
    out, what = simplify(graph)
    return graph, out, what


def _same_values(before, after, feed=X, exact=True):
    a = evaluate(before, {"x:0": feed})[0]
    b = evaluate(after, {"x:0": feed})[0]
    if exact:
        np.testing.assert_array_equal(a, b)
    else:
        np.testing.assert_allclose(a, b, rtol=1e-6)


@pytest.mark.parametrize("build,rule", [
    (lambda x: tf.identity(x + 0.0, name="y"), "add_neutral_element"),
    (lambda x: tf.identity(tf.multiply(1.0, x), name="y"), "mul_neutral_element"),
    (lambda x: tf.identity(x - 0.0, name="y"), "sub_neutral_element"),
    (lambda x: tf.identity(x / 1.0, name="y"), "realdiv_neutral_element"),
    (lambda x: tf.identity(tf.negative(tf.negative(x)), name="y"), "double_neg"),
    (lambda x: tf.identity(apply_op("Cast", x, DstT=tf.float32), name="y"),
     "redundant_cast"),
    (lambda x: tf.identity(tf.reshape(x, [2, 3]), name="y"), "redundant_reshape"),
])
def test_rules_that_forward_to_the_input(build, rule):
    before, after, what = _simplify(build)
    assert what == f"{rule} x1"
    assert types(after) == {"y": "Identity"}
    assert after.node("y").inputs[0].name == "x:0"
    _same_values(before, after)


def test_a_neutral_constant_that_broadcasts_is_kept():
    _before, _after, what = _simplify(lambda x: x + tf.zeros([4, 2, 3]), shape=(2, 3))
    assert what is None


def test_constant_chain_is_one_add():
    def build(x):
        y = x
        for _ in range(50):
            y = y + 1.0
        return tf.identity(y, name="y")
    before, after, what = _simplify(build)
    assert what == "add_constant_chain x1"
    adds = [n for n in after.nodes if n.type == "Add"]
    assert len(adds) == 1 and adds[0].inputs[0].name == "x:0"
    assert after.node(adds[0].inputs[1].node).attrs["value"] == np.float32(50.0)
    assert len(adds[0].origin) == 50
    _same_values(before, after)


def test_mul_chain_reassociates_with_constant_on_either_side():
    before, after, what = _simplify(lambda x: tf.identity(3.0 * (x * 2.0), name="y"))
    assert what == "mul_constant_chain x1"
    _same_values(before, after, exact=False)


def test_add_tree_becomes_addn_left_to_right():
    def build(x):
        a, b, c = tf.tanh(x), tf.sin(x), tf.cos(x)
        return tf.identity(((x + a) + b) + c, name="y")
    before, after, what = _simplify(build)
    assert what == "add_chain_to_addn x1"
    (addn,) = [n for n in after.nodes if n.type == "AddN"]
    assert [r.node for r in addn.inputs] == ["x", "Tanh", "Sin", "Cos"]
    _same_values(before, after)


def test_x_times_x_is_square():
    before, after, what = _simplify(lambda x: tf.identity(x * x, name="y"))
    assert what == "mul_to_square x1"
    assert types(after)["mul"] == "Square"
    _same_values(before, after)


def test_double_transpose_cancels_or_composes():
    before, after, what = _simplify(
        lambda x: tf.identity(tf.transpose(tf.transpose(x)), name="y"))
    assert what == "double_transpose x1" and "Transpose" not in types(after).values()
    _same_values(before, after)
    before, after, what = _simplify(
        lambda x: tf.identity(tf.transpose(tf.transpose(x, [1, 2, 0]), [1, 2, 0]), name="y"),
        shape=(2, 3, 4))
    assert what == "transpose_pair x1"
    assert [n.type for n in after.nodes].count("Transpose") == 1
    feed = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    _same_values(before, after, feed)


def test_reshape_of_reshape_reads_the_input():
    before, after, what = _simplify(
        lambda x: tf.identity(tf.reshape(tf.reshape(x, [3, 2]), [6]), name="y"))
    assert what == "reshape_pair x1"
    (r,) = [n for n in after.nodes if n.type == "Reshape"]
    assert r.inputs[0].name == "x:0"
    _same_values(before, after)


def test_transposes_fold_into_matmul_attributes():
    def build(x):
        w = tf.constant(np.arange(8, dtype=np.float32).reshape(4, 2) / 7)
        return tf.identity(tf.matmul(tf.transpose(x), tf.transpose(w)), name="y")
    before, after, what = _simplify(build)
    assert what == "transpose_into_matmul x1"
    (mm,) = [n for n in after.nodes if n.type == "MatMul"]
    assert mm.attrs["transpose_a"] and mm.attrs["transpose_b"]
    assert mm.inputs[0].name == "x:0" and "Transpose" not in types(after).values()
    _same_values(before, after, exact=False)


def test_fetched_nodes_are_not_rewritten():
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, [2], name="x")
        y = tf.add(x, 0.0, name="y")
    graph = graph_ir(g, [y], [x])
    out, what = simplify(graph)
    assert what is None and types(out)["y"] == "Add"
