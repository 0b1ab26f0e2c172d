"""ir: the pruned graph as frozen data (compared literally)."""

import dataclasses

import pytest

import flowexec as tf
from flowexec.runtime import ir
from flowexec.runtime.prune import prune


def _graph_ir(fetches, feeds=(), targets=()):
    return ir.from_pruned(prune(tf.get_default_graph(), list(fetches), list(feeds),
                                list(targets)))


def test_from_pruned_keeps_order_names_refs_and_origin():
    x = tf.placeholder(tf.float32, [2], name="x")
    a = tf.constant([1.0, 2.0], name="a")
    b = tf.add(x, a, name="b")
    with tf.control_dependencies([b]):
        c = tf.identity(a, name="c")
    g = _graph_ir([c, b], feeds=[x])
    assert [(n.name, n.type, n.inputs, n.control_inputs) for n in g.nodes] == [
        ("a", "Const", (), ()),
        ("b", "Add", (ir.Ref("x", 0), ir.Ref("a", 0)), ()),
        ("c", "Identity", (ir.Ref("a", 0),), ("b",)),
    ]
    assert g.feeds == (ir.Ref("x"),)
    assert g.fetches == (ir.Ref("c"), ir.Ref("b"))
    assert [n.origin for n in g.nodes] == [(a.op,), (b.op,), (c.op,)]
    assert g.node("b").inputs[0].dtype is tf.float32
    assert g.node("b").inputs[0].shape.as_list() == [2]
    assert g.node("b").output_shapes[0].as_list() == [2]
    assert g.is_fed(ir.Ref("x")) and not g.is_fed(ir.Ref("a"))
    assert g.producer(ir.Ref("x")) is None and g.producer(ir.Ref("a")) is g.node("a")
    assert g.consumers() == {"a": ["b", "c"], "b": [], "c": []}
    assert str(g) == ("a = Const()\nb = Add(x:0 (fed), a:0)\nc = Identity(a:0, ^b)\n"
                      "feeds: x:0\nfetches: c:0, b:0\ntargets: ")
    assert g.node("b").source_line() == b.op.source_line()


def test_nodes_are_frozen_and_replace_copies():
    a = tf.constant(1.0, name="a")
    g = _graph_ir([a])
    node = g.node("a")
    with pytest.raises(dataclasses.FrozenInstanceError):
        node.name = "b"
    with pytest.raises(TypeError):
        node.attrs["value"] = 2
    moved = node.replace(device="/cpu:0")
    assert moved.device == "/cpu:0" and node.device == ""
    assert moved.origin == node.origin


def test_make_node_infers_outputs_and_with_nodes_sorts_and_validates():
    a = tf.constant([1.0, 2.0], name="a")
    b = tf.negative(a, name="b")
    g = _graph_ir([b])
    neg = g.node("b")
    name = g.unique_name("b")
    assert name == "b_1"
    twice = ir.make_node("Neg", name, [neg.outputs[0]], origin=neg.origin)
    assert twice.output_dtypes == (tf.float32,) and twice.output_shapes[0].as_list() == [2]
    fetched = g.with_nodes([twice, *g.nodes], fetches=[twice.outputs[0]])
    assert [n.name for n in fetched.nodes] == ["a", "b", "b_1"]
    with pytest.raises(ValueError, match="names no node"):
        g.with_nodes([neg])
    with pytest.raises(ValueError, match="Fetched tensor b:0 has no node"):
        g.with_nodes([g.node("a")])
    with pytest.raises(ValueError, match="Duplicate node name"):
        ir.GraphIR((neg, neg))


def test_topological_order_breaks_ties_by_position_and_finds_cycles():
    a = tf.constant(1.0, name="a")
    b = tf.identity(a, name="b")
    c = tf.identity(b, name="c")
    g = _graph_ir([c])
    na, nb, nc = g.nodes
    assert ir.topological_order((nc, nb, na)) == (na, nb, nc)
    looped = nb.replace(control_inputs=("c",))
    with pytest.raises(tf.errors.InvalidArgumentError, match="contains a cycle with 2 nodes"):
        ir.topological_order((na, looped, nc))


def test_fresh_name_and_consumer_map_shared_by_the_stages():
    assert ir.fresh_name("t", set()) == "t"
    assert ir.fresh_name("t", {"t", "t_1", "t_3"}) == "t_2"
    a = ir.Ref("a")
    nodes = [ir.make_node("Placeholder", "a", [], {"dtype": tf.float32, "shape": None},
                          outputs=[(tf.float32, tf.TensorShape(None))]),
             ir.make_node("Add", "s", [a, a], {"T": tf.float32},
                          outputs=[(tf.float32, tf.TensorShape(None))]),
             ir.make_node("Neg", "n", [ir.Ref("s"), ir.Ref("outside")], {"T": tf.float32},
                          outputs=[(tf.float32, tf.TensorShape(None))])]
    # each reader once, in order; a producer outside the nodes is left out
    assert ir.consumer_map(nodes, lambda r: False) == {"a": ["s"], "s": ["n"], "n": []}
    assert ir.consumer_map(nodes, lambda r: r.node == "a") == {"a": [], "s": ["n"], "n": []}
