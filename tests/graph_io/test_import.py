"""tf.import_graph_def: NodeDef syntax, defaults, names, devices, colocation, TF's errors."""

import numpy as np
import pytest

import flowexec as tf
from flowexec.graph_io import importer
from tests.graph_io.helpers import mlp, numpy_mlp

pytest.importorskip("tensorboard")
from google.protobuf import text_format

F = 'attr { key: "T" value { type: DT_FLOAT } }'
C = ('op: "Const" attr { key: "dtype" value { type: DT_FLOAT } } attr { key: "value" value {'
     ' tensor { dtype: DT_FLOAT tensor_shape {} float_val: %s } } }')


def gd(text):
    return text_format.Parse(text, tf.GraphDef())


def test_forward_references_output_index_and_control_inputs():
    g = gd(f'node {{ name: "s" op: "AddV2" input: "a" input: "b:0" input: "^n" {F} }}'
           f'node {{ name: "a" {C % 2} }} node {{ name: "b" {C % 3} }}'
           'node { name: "n" op: "NoOp" }')
    with tf.Graph().as_default():
        s, n = tf.import_graph_def(g, return_elements=["s:0", "n"])
        assert s.name == "import/s:0" and s.op.control_inputs == [n]
        with tf.Session() as sess:
            assert sess.run(s) == 5.0


def test_defaults_filled_from_schema():
    g = gd('node { name: "p" op: "Placeholder" attr { key: "dtype" value { type: DT_FLOAT } } }')
    with tf.Graph().as_default():
        p, = tf.import_graph_def(g, return_elements=["p:0"], name="")
        assert p.shape.ndims is None and p.op.get_attr("dtype") is tf.float32


def test_input_map_replaces_inputs_and_names_are_unique():
    with tf.Graph().as_default() as g0:
        mlp()
    g_def = g0.as_graph_def()
    xs = np.random.RandomState(1).randn(3, 4).astype(np.float32)
    with tf.Graph().as_default() as g:
        z = tf.placeholder(tf.float32, [None, 4], name="z")
        y1, init1 = tf.import_graph_def(g_def, {"x": z}, ["y:0", "init"])
        y2, init2 = tf.import_graph_def(g_def, {"x:0": z}, ["y:0", "init"])
        assert (y1.name, y2.name) == ("import/y:0", "import_1/y:0")
        with tf.Session() as sess:
            sess.run([init1, init2])
            a, b = sess.run([y1, y2], {z: xs})
    np.testing.assert_allclose(a, numpy_mlp(xs), rtol=1e-5)
    np.testing.assert_array_equal(a, b)
    assert g.get_operation_by_name("import/layer1/w/Assign").colocation_groups == [
        "loc:@import/layer1/w"]


def test_export_import_export_is_idempotent():
    with tf.Graph().as_default() as g0:
        _, y, _ = mlp()
        tf.train.GradientDescentOptimizer(0.1).minimize(tf.reduce_sum(y))
    first = g0.as_graph_def()
    with tf.Graph().as_default() as g1:
        tf.import_graph_def(first, name="")
    second = g1.as_graph_def()
    with tf.Graph().as_default() as g2:
        tf.import_graph_def(second, name="")
    assert g2.as_graph_def() == second
    assert [n.name for n in second.node] == [n.name for n in first.node]


def test_devices_full_and_legacy_forms():
    g = gd(f'node {{ name: "a" device: "/gpu:1" {C % 1} }}'
           f'node {{ name: "b" device: "/job:w/replica:0/task:2/device:CPU:0" {C % 1} }}')
    with tf.Graph().as_default():
        a, b = tf.import_graph_def(g, return_elements=["a", "b"])
    assert a.device == "/device:GPU:1"
    assert b.device == "/job:w/replica:0/task:2/device:CPU:0"


def test_ref_ops_map_back_to_flowexec_form():
    with tf.Graph().as_default() as g0:
        v = tf.Variable([1.0, 2.0], name="v")
        tf.assign_add(v, [1.0, 1.0], name="inc")
    with tf.Graph().as_default():
        inc, init = tf.import_graph_def(g0.as_graph_def(), return_elements=["inc:0", "v/Assign"])
        assert inc.op.get_attr("var_name") == "import/v"
        with tf.Session() as sess:
            sess.run(init)
            np.testing.assert_array_equal(sess.run(inc), [2.0, 3.0])


@pytest.mark.parametrize("text, kw, exc, match", [
    (f'node {{ name: "B" op: "Identity" input: "A:0" {F} }}', {}, ValueError,
     r"Node 'B': Unknown input node 'A:0'"),
    (f'node {{ name: "A" {C % 1} }}', {"input_map": "z"}, ValueError,
     r"Attempted to map inputs that were not found in graph_def: \[Z:0\]"),
    (('node { name: "A" op: "Const" attr { key: "dtype" value { type: DT_INT32 } } attr { key:'
     ' "value" value { tensor { dtype: DT_INT32 tensor_shape {} int_val: 1 } } } }'
     f'node {{ name: "B" op: "Neg" input: "A" {F} }}'), {}, ValueError,
     (r"Input 0 of node import/B was passed int32 from import/A:0 incompatible with "
     r"expected float\.")),
    ('node { name: "A" op: "FooBar" }', {}, tf.errors.NotFoundError,
     r"Op type not registered 'FooBar'.*node 'A'"),
    ('node { name: "A" op: "NoOp" } node { name: "A" op: "NoOp" }', {}, ValueError,
     r"Node 'A' is not unique"),
    ('node { name: "A" op: "NoOp" }', {"return_elements": ["Q"]}, ValueError,
     r"Requested return node 'Q' not found in graph def"),
    ('node { name: "A" op: "NoOp" }', {"return_elements": ["A:0"]}, ValueError,
     r"Invalid return output 0 of node 'A', which has 0 output\(s\)"),
    (f'node {{ name: "B" op: "Identity" input: "A:3" {F} }} node {{ name: "A" {C % 1} }}', {},
     ValueError, (r"Node 'B': Connecting to invalid output 3 of source node A which has 1 "
     r"outputs\.")),
    (f'node {{ name: "B" op: "Identity" input: "B" {F} }}', {}, ValueError,
     r"1 nodes in a cycle"),
    ('node { name: "A" op: "Placeholder" }', {}, ValueError,
     r"NodeDef missing attr 'dtype'"),
    (('node { name: "pf" op: "PyFunc" attr { key: "token" value { s: "pyfunc_0" } } attr { key:'
     ' "Tin" value { list {} } } attr { key: "Tout" value { list {} } } }'), {}, ValueError,
     r"Node 'pf' of type 'PyFunc' cannot be imported"),
    ((f'node {{ name: "p" {C % 1} }} node {{ name: "sw" op: "Switch" input: "p" input: "p" }}'
     'node { name: "m" op: "Merge" input: "sw" }'), {}, ValueError,
     r"v1\) control flow: nodes 'sw' \(Switch\), 'm' \(Merge\)"),
])
def test_tf_errors(text, kw, exc, match):
    with tf.Graph().as_default() as g:
        if kw.get("input_map") == "z":
            kw = {"input_map": {"Z:0": tf.constant(1.0)}}
        with pytest.raises(exc, match=match):
            tf.import_graph_def(gd(text), **kw)
        assert [op.name for op in g.get_operations()] == (["Const"] if "input_map" in kw else [])


def test_bad_graph_def_type():
    with pytest.raises(TypeError, match="graph_def must be a GraphDef proto"):
        tf.import_graph_def("node {}")
    assert "Switch" in importer.V1_CONTROL_FLOW


@pytest.mark.parametrize("make_opt", [
    lambda: tf.train.FtrlOptimizer(0.1),
    lambda: tf.train.FtrlOptimizer(0.1, l2_shrinkage_regularization_strength=0.01),
    lambda: tf.train.AdadeltaOptimizer(0.1),
    lambda: tf.train.ProximalAdagradOptimizer(0.1),
    lambda: tf.train.ProximalGradientDescentOptimizer(0.1),
])
def test_every_optimizers_update_exports_with_the_variable_as_its_ref_input(make_opt):
    with tf.Graph().as_default() as g0:
        _, y, _ = mlp()
        make_opt().minimize(tf.reduce_sum(y))
    first = g0.as_graph_def()
    updates = [n for n in first.node if n.op.startswith("Apply")]
    assert updates and all("var_names" not in n.attr for n in updates)
    with tf.Graph().as_default() as g1:
        tf.import_graph_def(first, name="")
    assert g1.as_graph_def() == first
