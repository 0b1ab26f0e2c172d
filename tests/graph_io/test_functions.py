"""Functional control flow in GraphDefs: TF 2.x's If/StatelessIf/While/StatelessWhile over a
function library (tests/data/tf1/functions/, scripts/make_tf_function_fixtures.py) import
and give TF's outputs; flowexec's If/While export as TF writes them (FunctionDefs in the
library; checked back in TF by that script) and import back, idempotently."""

import os

import numpy as np
import pytest

import flowexec as tf
from scripts.make_tf_function_fixtures import cases
from tests.graph_io.helpers import DATA

pytest.importorskip("tensorboard")

FN = os.path.join(DATA, "functions")
NAMES = ["cond_captures", "while_captures", "nested"]


def _feeds(ref):
    k = 0
    while f"out{k}__0" in ref:
        yield ({f"{key.split('__', 1)[1]}:0": ref[key] for key in ref.files
                if key.startswith(f"feed{k}__")},
               [ref[f"out{k}__{i}"] for i in range(len(ref["fetches"]))])
        k += 1


def _run_all(graph, fetches, feeds):
    with tf.Session(graph=graph) as sess:
        return [sess.run(fetches, feed) for feed in feeds]


@pytest.mark.parametrize("name", NAMES)
def test_tf2_functional_graph_gives_tfs_outputs(name):
    gd = tf.GraphDef.FromString(open(os.path.join(FN, name + ".pb"), "rb").read())
    assert len(gd.library.function) >= 2
    ref = np.load(os.path.join(FN, name + ".npz"))
    with tf.Graph().as_default() as g:
        tf.import_graph_def(gd, name="")
    pairs = list(_feeds(ref))
    for got, (_, want) in zip(_run_all(g, list(ref["fetches"]), [f for f, _ in pairs]), pairs):
        for a, b in zip(got, want):
            np.testing.assert_allclose(a, b, rtol=1e-6)


@pytest.mark.parametrize("name", NAMES)
def test_flowexec_if_while_round_trip_through_a_function_library(name):
    with tf.Graph().as_default() as g:
        fetches, feeds = cases(tf)[name]()
    feeds = [{f"{k}:0": v for k, v in f.items()} for f in feeds]
    want = _run_all(g, fetches, feeds)
    gd = g.as_graph_def()
    assert {n.op for n in gd.node} & {"If", "StatelessIf", "While", "StatelessWhile"}
    with tf.Graph().as_default() as g2:
        tf.import_graph_def(gd, name="")
    for a, b in zip(_run_all(g2, fetches, feeds), want):
        for x, y in zip(a, b):
            np.testing.assert_array_equal(x, y)
    again = g2.as_graph_def()
    assert [f.signature.name for f in again.library.function] == [
        f.signature.name for f in gd.library.function]
    assert [(n.name, n.op, list(n.input)) for n in again.node] == [
        (n.name, n.op, list(n.input)) for n in gd.node]


def test_if_node_def_is_tfs_form():
    with tf.Graph().as_default() as g:
        x = tf.placeholder(tf.float32, [2], name="x")
        w = tf.constant([3.0, 4.0], name="w")
        tf.cond(x[0] > 0, lambda: x * w, lambda: -x, name="c")
    gd = g.as_graph_def(add_shapes=True)
    node, = [n for n in gd.node if n.op.endswith("If")]
    funcs = {f.signature.name: f for f in gd.library.function}
    then_f = funcs[node.attr["then_branch"].func.name]
    else_f = funcs[node.attr["else_branch"].func.name]
    n_in = len(node.input) - 1
    assert len(node.attr["Tin"].list.type) == n_in
    assert len(then_f.signature.input_arg) == len(else_f.signature.input_arg) == n_in
    assert node.attr["Tcond"].type == tf.bool.as_datatype_enum
    assert list(node.attr["Tout"].list.type) == [tf.float32.as_datatype_enum]
    assert [d.size for d in node.attr["output_shapes"].list.shape[0].dim] == [2]
    ret = then_f.ret[then_f.signature.output_arg[0].name]
    assert ret.count(":") == 2  # "node:output_arg:index", as TF names function tensors


def test_branch_and_body_reading_variables_export_and_import():
    with tf.Graph().as_default() as g:
        v = tf.Variable([2.0, 3.0], name="v")
        x = tf.placeholder(tf.float32, [2], name="x")
        y = tf.cond(x[0] > 0, lambda: x * v, lambda: x - v, name="c")
        _, z = tf.while_loop(lambda i, a: i < 3, lambda i, a: (i + 1, a + v),
                             [tf.constant(0), x])
        tf.identity(y, name="y")
        tf.identity(z, name="z")
        init = tf.global_variables_initializer()
    feed = {"x:0": np.array([1.0, 1.0], np.float32)}
    with tf.Session(graph=g) as sess:
        sess.run(init)
        want = sess.run(["y:0", "z:0"], feed)
    with tf.Graph().as_default() as g2:
        tf.import_graph_def(g.as_graph_def(), name="")
        with tf.Session() as sess:
            sess.run(init.name)
            got = sess.run(["y:0", "z:0"], feed)
    np.testing.assert_array_equal(got[0], want[0])
    np.testing.assert_array_equal(got[1], want[1])
    np.testing.assert_array_equal(want[1], [7.0, 10.0])


def test_missing_function_is_refused_naming_the_node():
    gd = tf.GraphDef.FromString(open(os.path.join(FN, "cond_captures.pb"), "rb").read())
    del gd.library.function[:]
    with tf.Graph().as_default() as g:
        with pytest.raises(ValueError, match=r"Node 'cond' \((Stateless)?If\): function "):
            tf.import_graph_def(gd, name="")
        assert g.get_operations() == []


def test_meta_graph_lists_the_ops_inside_functions():
    with tf.Graph().as_default() as g:
        x = tf.placeholder(tf.float32, [], name="x")
        tf.cond(x > 0, lambda: tf.sqrt(x), lambda: x)
        meta = tf.train.export_meta_graph(graph=g)
    ops = [o.name for o in meta.meta_info_def.stripped_op_list.op]
    assert "Sqrt" in ops and ("If" in ops or "StatelessIf" in ops)


def test_recursive_function_is_refused_not_a_recursion_error():
    gd = tf.GraphDef.FromString(open(os.path.join(FN, "cond_captures.pb"), "rb").read())
    node, = [n for n in gd.node if n.op.endswith("If")]
    then_f, = [f for f in gd.library.function
               if f.signature.name == node.attr["then_branch"].func.name]
    true = then_f.node_def.add(name="true", op="Const")  # the function calls its own If
    true.attr["dtype"].type = tf.bool.as_datatype_enum
    true.attr["value"].tensor.CopyFrom(tf.make_tensor_proto(True))
    inner = then_f.node_def.add()
    inner.CopyFrom(node)
    inner.name = "again"
    del inner.input[:]
    inner.input.extend(["true:output:0"] + [a.name for a in then_f.signature.input_arg])
    with tf.Graph().as_default(), pytest.raises(ValueError, match="calls itself"):
        tf.import_graph_def(gd, name="")
