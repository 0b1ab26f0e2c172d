"""Dependency optimization: Identity and NoOp removal, redundant control edges."""

import flowexec as tf
from flowexec.runtime.optimize.dependency import optimize_dependencies
from tests.runtime.optimize.helpers import evaluate, graph_ir, types


def test_identity_chain_is_removed_but_fetched_identity_kept():
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, [2], name="x")
        a = tf.identity(tf.identity(x, name="i1"), name="i2")
        y = tf.identity(tf.negative(a, name="n"), name="y")
    out, what = optimize_dependencies(graph_ir(g, [y], [x]))
    assert what == "2 identity nodes removed"
    assert types(out) == {"n": "Neg", "y": "Identity"}
    assert out.node("n").inputs[0].name == "x:0"


def test_identity_of_a_variable_is_its_read_and_stays():
    g = tf.Graph()
    with g.as_default():
        v = tf.Variable([1.0, 2.0], name="v")
        r = tf.identity(v.read_value(), name="read_again")
        y = tf.negative(r, name="y")
    out, _ = optimize_dependencies(graph_ir(g, [y]))
    read = out.node("y").inputs[0].node
    assert "read_again" not in out and out.node(read).inputs[0].name == "v:0"
    assert out.node(read).type == "Identity"


def test_identity_moves_its_control_inputs_to_readers():
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, [2], name="x")
        side = tf.exp(x, name="side")
        with tf.control_dependencies([side]):
            i = tf.identity(x, name="i")
        y = tf.negative(i, name="y")
        z = tf.exp(y, name="z")
    out, what = optimize_dependencies(graph_ir(g, [z], [x]))
    assert "1 identity nodes removed" in what
    assert out.node("y").control_inputs == ("side",)
    assert evaluate(out, {"x:0": [0.0, 1.0]})[0].tolist() == \
        evaluate(graph_ir(g, [z], [x]), {"x:0": [0.0, 1.0]})[0].tolist()


def test_noop_between_one_producer_and_readers_is_bypassed_target_kept():
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, [2], name="x")
        a = tf.exp(x, name="a")
        gate = tf.group(a, name="gate")
        with tf.control_dependencies([gate]):
            y = tf.negative(x, name="y")
        train = tf.group(y, name="train")
    out, what = optimize_dependencies(graph_ir(g, [], [x], [train]))
    assert "1 noop nodes removed" in what
    assert out.node("y").control_inputs == ("a",) and "train" in out and "gate" not in out


def test_redundant_control_edges_are_dropped():
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, [2], name="x")
        a = tf.exp(x, name="a")
        b = tf.negative(a, name="b")
        with tf.control_dependencies([a]):
            c = tf.sin(b, name="c")          # ^a is implied through b
        with tf.control_dependencies([a, b]):
            d = tf.add(b, c, name="d")       # ^a implied (b, a data input, is not added)
    out, what = optimize_dependencies(graph_ir(g, [d], [x]))
    assert what == "2 redundant control edges removed"
    assert out.node("c").control_inputs == () and out.node("d").control_inputs == ()
