"""GraphDefs with TF 1.x (v1) control flow, written by TensorFlow with control flow v2 off
(scripts/make_tf_control_flow_fixtures.py, tests/data/tf1/control_flow/): imported as
flowexec If/While, they give TF's recorded outputs; what is not a tf.cond / tf.while_loop
pattern is refused naming the ops."""

import os

import numpy as np
import pytest

import flowexec as tf
from flowexec.graph_io import importer
from tests.graph_io.helpers import DATA

pytest.importorskip("tensorboard")

CF = os.path.join(DATA, "control_flow")
CASES = ["cond_simple", "cond_nested", "while_simple", "while_nested", "cond_in_while",
         "while_in_cond"]


def _graph_def(name):
    return tf.GraphDef.FromString(open(os.path.join(CF, name + ".pb"), "rb").read())


def _feeds(ref):
    k = 0
    while f"out{k}__0" in ref:
        feed = {f"{key.split('__', 1)[1]}:0": ref[key] for key in ref.files
                if key.startswith(f"feed{k}__")}
        outs = [ref[f"out{k}__{i}"] for i in range(len(ref["fetches"]))]
        yield feed, outs
        k += 1


@pytest.mark.parametrize("name", CASES)
def test_v1_control_flow_gives_tfs_outputs(name):
    ref = np.load(os.path.join(CF, name + ".npz"))
    with tf.Graph().as_default() as g:
        tf.import_graph_def(_graph_def(name), name="")
        types = {op.type for op in g.get_operations()}
        assert not types & importer.V1_CONTROL_FLOW
        assert types & {"If", "StatelessIf", "While", "StatelessWhile"}
        with tf.Session() as sess:
            runs = 0
            for feed, want in _feeds(ref):
                got = sess.run(list(ref["fetches"]), feed)
                for g_, w in zip(got, want):
                    np.testing.assert_allclose(g_, w, rtol=1e-6)
                    assert np.asarray(g_).dtype == w.dtype
                runs += 1
    assert runs >= 2


def test_nested_constructs_become_nested_functions():
    with tf.Graph().as_default() as g:
        tf.import_graph_def(_graph_def("while_nested"), name="outer")
        loops = [op for op in g.get_operations() if op.type.endswith("While")]
        assert len(loops) == 1  # the inner loop lives in the outer loop's body function
        with tf.Session() as sess:
            assert sess.run("outer/s:0", {"outer/n:0": 4, "outer/x:0": 1.5}) == pytest.approx(
                1.5 * (0 + 0 + 1 + 3))  # s += j * x for j < i, i < n


def test_return_elements_may_name_a_converted_result():
    with tf.Graph().as_default():
        y, = tf.import_graph_def(_graph_def("cond_simple"), return_elements=["cond/Merge:0"])
        with tf.Session() as sess:
            np.testing.assert_array_equal(sess.run(y, {"import/x:0": [1.0, 1.0, 1.0]}),
                                          [2.0, 2.0, 2.0])


def _edited(name, edit):
    gd = _graph_def(name)
    edit(gd)
    return gd


def _refused(gd, *names):
    with tf.Graph().as_default() as g:
        with pytest.raises(ValueError, match="Cannot convert TF 1.x|v1") as info:
            tf.import_graph_def(gd, name="")
        assert g.get_operations() == []
    for n in names:
        assert f"'{n}'" in str(info.value), (n, str(info.value))
    return str(info.value)


def test_branch_tensor_read_outside_the_cond_is_refused():
    def edit(gd):
        n = gd.node.add(name="leak", op="Identity", input=["cond/mul"])
        n.attr["T"].type = tf.float32.as_datatype_enum
    msg = _refused(_edited("cond_simple", edit), "cond/mul", "leak")
    assert "read from outside" in msg


def test_value_index_of_a_merge_is_refused():
    def edit(gd):
        n = gd.node.add(name="which", op="Identity", input=["cond/Merge:1"])
        n.attr["T"].type = tf.int32.as_datatype_enum
    assert "value_index" in _refused(_edited("cond_simple", edit), "cond/Merge")


def test_loop_without_next_iteration_is_refused_not_hung():
    def edit(gd):
        for n in gd.node:
            if n.name == "while/Merge_1":
                n.input[1] = "while/Enter_1"
    _refused(_edited("while_simple", edit), "while/Enter_1")


def test_merge_without_tf_cond_pivot_is_refused():
    def edit(gd):
        for n in gd.node:
            if n.name == "cond/Switch":
                n.name = "elsewhere/Switch"
            for i, s in enumerate(n.input):
                if s.startswith("cond/Switch"):
                    n.input[i] = s.replace("cond/Switch", "elsewhere/Switch")
    _refused(_edited("cond_simple", edit), "cond/Merge", "cond/Merge_1")


def test_lone_switch_is_refused_naming_it():
    gd = tf.GraphDef()
    p = gd.node.add(name="p", op="Placeholder")
    p.attr["dtype"].type = tf.bool.as_datatype_enum
    x = gd.node.add(name="x", op="Placeholder")
    x.attr["dtype"].type = tf.float32.as_datatype_enum
    sw = gd.node.add(name="sw", op="Switch", input=["x", "p"])
    sw.attr["T"].type = tf.float32.as_datatype_enum
    _refused(gd, "sw")
