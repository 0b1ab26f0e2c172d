"""tf.summary.get_summary_description: TF 1.x TensorSummary nodes' "description" JSON, on
GraphDef NodeDef protos and flowexec NodeDefs, with TF's errors (as TensorFlow 2.21's
tf.compat.v1 gives them)."""

import pytest

import flowexec as tf
from flowexec.framework.operation import NodeDef

json_format = pytest.importorskip("google.protobuf.json_format")
pytest.importorskip("tensorboard")


def _proto_node(op, description=None):
    graph_def = tf.GraphDef()
    node = graph_def.node.add()
    node.name, node.op = "ts", op
    if description is not None:
        node.attr["description"].s = description.encode()
    return node


@pytest.mark.parametrize("text", ['{"typeHint": "scalar"}', '{"type_hint": "scalar"}'])
def test_description_of_a_graph_def_node(text):
    description = tf.summary.get_summary_description(_proto_node("TensorSummary", text))
    assert isinstance(description, tf.summary.SummaryDescription)
    assert description.type_hint == "scalar"


def test_description_of_a_flowexec_node_def():
    node = NodeDef("ts", "TensorSummary", [], "", {"description": '{"typeHint": "image"}'})
    assert tf.summary.get_summary_description(node).type_hint == "image"


def test_other_ops_are_value_error():
    with pytest.raises(ValueError, match="^Can't get_summary_description on Const$"):
        tf.summary.get_summary_description(tf.constant(1.0).op.node_def)
    with pytest.raises(ValueError, match="on TensorSummaryV2"):
        tf.summary.get_summary_description(_proto_node("TensorSummaryV2", "{}"))


@pytest.mark.parametrize("text", [None, "not json", '{"foo": 1}'])
def test_a_bad_description_is_a_parse_error(text):
    with pytest.raises(json_format.ParseError):
        tf.summary.get_summary_description(_proto_node("TensorSummary", text))
