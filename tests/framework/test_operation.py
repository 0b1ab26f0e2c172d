"""Operation: its structure, attributes, origin (traceback, source line) and NodeDef."""

import os

import pytest

import flowexec as tf
from tests.framework import fakes


def test_structure():
    a = tf.constant(1.0, name="a")
    b = tf.constant(2.0, name="b")
    with tf.control_dependencies([b]):
        s = fakes.binary(a, a, name="s")
    op = s.op
    assert (op.name, op.type) == ("s", "TestFwBinary")
    assert op.inputs == (a, a) and op.outputs == [s] and op.values() == (s,)
    assert op.control_inputs == [b.op] and op.device == "" and op.graph is a.graph
    assert op.op_def.type == "TestFwBinary"
    assert repr(op) == "<tf.Operation 's' type=TestFwBinary>"
    outs = op.outputs
    outs.append(None)
    assert op.outputs == [s]


def test_multi_output_and_no_output_ops():
    x, y = fakes.split2(tf.constant([1, 2]), name="sp")
    assert x.op.outputs == [x, y]
    n = tf.no_op(name="n")
    assert isinstance(n, tf.Operation) and n.outputs == [] and n.type == "NoOp"


def test_get_attr():
    x = tf.placeholder(tf.float32, [None, 2], name="x")
    assert x.op.get_attr("dtype") is tf.float32
    assert x.op.get_attr("shape") == tf.TensorShape([None, 2])
    with pytest.raises(ValueError, match=r"^Operation 'x' has no attr named 'T'.$"):
        x.op.get_attr("T")


def test_traceback_and_source_line_point_at_this_file():
    line = None

    def build():
        nonlocal line
        line = build.__code__.co_firstlineno + 3
        return tf.constant(1.0, name="here")

    op = build().op
    here = os.path.abspath(__file__)
    assert op.source_line() == f"{__file__}:{line}"
    tb = op.traceback
    assert all(len(frame) == 4 for frame in tb)
    user = [f for f in tb if os.path.abspath(f[0]) == here]
    assert user[-1][1:] == (line, "build", 'return tf.constant(1.0, name="here")')
    assert user[-2][2] == "test_traceback_and_source_line_point_at_this_file"
    # The innermost frames are flowexec's own, as TF's traceback shows TF's.
    assert "flowexec" in tb[-1][0]


def test_source_line_skips_library_frames():
    x = tf.placeholder(tf.float32, name="x")
    line = test_source_line_skips_library_frames.__code__.co_firstlineno + 1
    assert x.op.source_line().endswith(f"test_operation.py:{line}")
    y = tf.identity(x)  # identity converts and calls apply_op inside flowexec
    assert y.op.source_line().endswith(f"test_operation.py:{line + 3}")


def test_node_def_fields_and_dict_access():
    a = tf.constant(1.0, name="a")
    b = tf.no_op(name="b")
    with tf.device("/cpu:0"), tf.control_dependencies([b]):
        x, y = fakes.split2(a, name="sp")
        s = fakes.binary(x, y, name="s")
    nd = s.op.node_def
    assert nd.name == "s" and nd["name"] == "s" and nd.op == "TestFwBinary"
    assert nd.input == ["sp", "sp:1"]  # sp is already dominated by b's block
    assert x.op.node_def.input == ["a", "^b"]
    assert nd.device == "/device:CPU:0" and nd["device"] == "/device:CPU:0"
    with pytest.raises(KeyError):
        nd["nope"]


def test_str_is_tf_node_def_text():
    x = tf.placeholder(tf.float32, [None, 3], name="x")
    assert str(x.op) == (
        'name: "x"\nop: "Placeholder"\n'
        'attr {\n  key: "dtype"\n  value {\n    type: DT_FLOAT\n  }\n}\n'
        'attr {\n  key: "shape"\n  value {\n    shape {\n      dim {\n        size: -1\n      }\n'
        '      dim {\n        size: 3\n      }\n    }\n  }\n}\n')
    c = tf.constant(2, name="c")
    assert str(c.op) == (
        'name: "c"\nop: "Const"\n'
        'attr {\n  key: "dtype"\n  value {\n    type: DT_INT32\n  }\n}\n'
        'attr {\n  key: "value"\n  value {\n    tensor {\n      dtype: DT_INT32\n'
        '      tensor_shape {\n      }\n      int_val: 2\n    }\n  }\n}\n')
    with tf.device("/gpu:0"):
        v = tf.constant([1.0, 2.0], name="v")
    text = str(v.op)
    assert 'device: "/device:GPU:0"' in text
    assert 'tensor_content: "\\000\\000\\200?\\000\\000\\000@"' in text
    s = fakes.binary(c, c, name="s")
    assert str(s.op).startswith('name: "s"\nop: "TestFwBinary"\ninput: "c"\ninput: "c"\n')


def test_str_of_string_bool_and_colocated_ops():
    s = tf.constant("hi", name="s")
    assert 'string_val: "hi"' in str(s.op) and "dtype: DT_STRING" in str(s.op)
    with tf.colocate_with(s):
        b = tf.constant(True, name="b")
    text = str(b.op)
    assert "bool_val: true" in text
    assert 'key: "_class"\n  value {\n    list {\n      s: "loc:@s"\n    }\n  }' in text


def test_run_needs_a_default_session():
    n = tf.no_op()
    with pytest.raises(ValueError, match="default session"):
        n.run()
