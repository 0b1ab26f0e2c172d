"""tf.graph_util: extract_sub_graph, convert_variables_to_constants, remove_training_nodes."""

import numpy as np
import pytest

import flowexec as tf
from tests.graph_io.helpers import mlp, numpy_mlp

pytest.importorskip("tensorboard")


def test_frozen_graph_computes_the_same_without_variables():
    xs = np.random.RandomState(2).randn(4, 4).astype(np.float32)
    with tf.Graph().as_default() as g:
        _, _, init = mlp()
        with tf.Session() as sess:
            sess.run(init)
            frozen = tf.graph_util.convert_variables_to_constants(
                sess, g.as_graph_def(), ["y"])
    ops = {n.op for n in frozen.node}
    assert "VariableV2" not in ops and "Assign" not in ops
    with tf.Graph().as_default():
        tf.import_graph_def(frozen, name="")
        with tf.Session() as sess:
            got = sess.run("y:0", {"x:0": xs})
    np.testing.assert_allclose(got, numpy_mlp(xs), rtol=1e-5)


def test_extract_sub_graph_keeps_what_dest_needs_in_order():
    with tf.Graph().as_default() as g:
        a = tf.constant(1.0, name="a")
        b = tf.constant(2.0, name="b")
        with tf.control_dependencies([b.op]):
            tf.identity(a, name="c")
        tf.constant(3.0, name="unused")
    sub = tf.graph_util.extract_sub_graph(g.as_graph_def(), ["c"])
    assert [n.name for n in sub.node] == ["a", "b", "c"]
    with pytest.raises(AssertionError, match="zz is not in graph"):
        tf.graph_util.extract_sub_graph(g.as_graph_def(), ["zz"])
    with pytest.raises(TypeError, match="dest_nodes must be a list"):
        tf.graph_util.extract_sub_graph(g.as_graph_def(), "c")


def test_remove_training_nodes_splices_identities():
    with tf.Graph().as_default() as g:
        a = tf.constant([1.0], name="a")
        i = tf.identity(tf.identity(a, name="i1"), name="i2")
        tf.check_numerics(i, "msg", name="cn")
        tf.negative(tf.check_numerics(i, "m"), name="out")
        tf.identity(a, name="keep")
    out = tf.graph_util.remove_training_nodes(g.as_graph_def(), protected_nodes=["keep"])
    by = {n.name: n for n in out.node}
    assert "i1" not in by and "i2" not in by and "keep" in by
    assert list(by["out"].input) == ["a"]
