"""Graph.as_graph_def and write_graph: NodeDefs as TensorFlow writes them."""

import numpy as np
import pytest

import flowexec as tf
from flowexec.graph_io import schema
from tests.graph_io.helpers import mlp

pytest.importorskip("tensorboard")


def _node(gd, name):
    return next(n for n in gd.node if n.name == name)


def test_type_attributes_follow_from_inputs_and_defaults_are_written():
    with tf.Graph().as_default() as g:
        a = tf.placeholder(tf.float32, [2, 3], name="a")
        tf.concat([a, a], 1, name="c")
        tf.reduce_sum(a, axis=1, name="s")
        tf.shape(tf.placeholder(tf.float32, None), out_type=tf.int64, name="sh")
        tf.matmul(a, a, transpose_b=True, name="mm")
    gd = g.as_graph_def()
    c = _node(gd, "c")
    assert (c.attr["N"].i, c.attr["T"].type, c.attr["Tidx"].type) == (
        2, tf.float32.as_datatype_enum, tf.int32.as_datatype_enum)
    assert list(c.input) == ["a", "a", "c/axis"]
    s = _node(gd, "s")
    assert s.attr["keep_dims"].b is False and s.attr["Tidx"].type == tf.int32.as_datatype_enum
    assert _node(gd, "sh").attr["out_type"].type == tf.int64.as_datatype_enum
    mm = _node(gd, "mm")
    assert mm.attr["transpose_b"].b and not mm.attr["transpose_a"].b
    assert set(mm.attr) == set(schema.schema_for("MatMul").attrs)  # TF 2.x adds grad_a/_b


def test_ref_variable_ops_take_the_variable_as_input_zero():
    with tf.Graph().as_default() as g:
        v = tf.Variable([1.0, 2.0], name="v")
        tf.is_variable_initialized(v)
        tf.assign_add(v, [1.0, 1.0], name="inc")
    gd = g.as_graph_def()
    assign = _node(gd, "v/Assign")
    assert list(assign.input) == ["v", "v/initial_value"]
    assert set(assign.attr) == {"T", "validate_shape", "use_locking", "_class"}
    assert list(assign.attr["_class"].list.s) == [b"loc:@v"]
    assert list(_node(gd, "IsVariableInitialized").input) == ["v"]
    assert set(_node(gd, "IsVariableInitialized").attr) == {"dtype", "_class"}
    assert _node(gd, "inc").input[0] == "v"
    assert "var_name" not in _node(gd, "inc").attr


def test_devices_and_control_inputs():
    with tf.Graph().as_default() as g:
        with tf.device("/cpu:0"):
            a = tf.constant(1.0, name="a")
        with tf.control_dependencies([a.op]):
            tf.constant(2.0, name="b")
    gd = g.as_graph_def()
    assert _node(gd, "a").device == "/device:CPU:0"
    assert list(_node(gd, "b").input) == ["^a"]


def test_add_shapes_and_from_version():
    with tf.Graph().as_default() as g:
        tf.placeholder(tf.float32, [None, 3], name="p")
        v = g.version
        tf.constant([1, 2], name="k")
    gd = g.as_graph_def(add_shapes=True)
    dims = [d.size for d in _node(gd, "p").attr["_output_shapes"].list.shape[0].dim]
    assert dims == [-1, 3]
    assert [n.name for n in g.as_graph_def(from_version=v).node] == ["k"]


def test_flowexec_only_op_is_refused_naming_it():
    with tf.Graph().as_default() as g:
        w = tf.Variable(1.0, name="w")
        tf.Variable(w.initialized_value() * 2, name="w2")
    with pytest.raises(ValueError, match="VariableValueOrInitial.*no TensorFlow op"):
        g.as_graph_def()


def test_write_graph_binary_and_text(tmp_path):
    with tf.Graph().as_default() as g:
        mlp()
    pb = tf.io.write_graph(g, str(tmp_path), "g.pb", as_text=False)
    txt = tf.train.write_graph(g, str(tmp_path / "sub"), "g.pbtxt")
    a = tf.GraphDef()
    with open(pb, "rb") as f:
        a.ParseFromString(f.read())
    from google.protobuf import text_format

    with open(txt) as f:
        b = text_format.Parse(f.read(), tf.GraphDef())
    assert a == b == g.as_graph_def()


def test_pyfunc_exports_with_its_token():
    with tf.Graph().as_default() as g:
        x = tf.constant([1.0])
        tf.py_func(lambda a: a, [x], tf.float32, name="pf")
    node = _node(g.as_graph_def(), "pf")
    assert node.attr["token"].s.startswith(b"pyfunc_") and "func" not in node.attr
    assert list(node.attr["Tout"].list.type) == [tf.float32.as_datatype_enum]


def test_training_graph_exports_and_trains_the_same_after_import():
    xs = np.random.RandomState(0).randn(5, 4).astype(np.float32)
    with tf.Graph().as_default() as g:
        x, y, init = mlp()
        loss = tf.reduce_mean(tf.square(y))
        tf.train.GradientDescentOptimizer(0.5).minimize(loss, name="train")
        with tf.Session() as sess:
            sess.run(init)
            sess.run("train", {x: xs})
            want = sess.run(loss, {x: xs})
    gd = g.as_graph_def()
    ops = {n.op for n in gd.node}
    assert {"ApplyGradientDescent", "ReluGrad", "BiasAddGrad", "VariableV2"} <= ops
    assert "ReducedShape" not in ops  # lowered to TF ops (graph_io/lowering.py)
    with tf.Graph().as_default():
        tf.import_graph_def(gd, name="")
        with tf.Session() as sess:
            sess.run("init")
            sess.run("train", {"x:0": xs})
            got = sess.run(loss.name, {"x:0": xs})
    np.testing.assert_allclose(got, want, rtol=1e-6)


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_gather_gradient_is_lowered_to_tf_ops(axis):
    params = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    idx = np.array([[0, 2], [1, 0]], np.int32) if axis != 0 else np.array([1, 1, 0], np.int32)
    with tf.Graph().as_default() as g:
        p = tf.constant(params, name="p")
        w = tf.constant(np.random.RandomState(0).randn(*params.shape).astype(np.float32))
        out = tf.gather(p * w, idx, axis=axis)
        grad, = tf.gradients(tf.reduce_sum(out * out), [p])
        with tf.Session() as sess:
            want = sess.run(grad)
    gd = g.as_graph_def()
    assert "GatherV2Grad" not in {n.op for n in gd.node}
    with tf.Graph().as_default():
        tf.import_graph_def(gd, name="")
        with tf.Session() as sess:
            np.testing.assert_allclose(sess.run(grad.name), want, rtol=1e-6)
