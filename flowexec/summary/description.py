"""`tf.summary.get_summary_description`: the SummaryDescription a TF 1.x TensorSummary node
carries as JSON in its "description" attr.

Works on a GraphDef's NodeDef protocol buffer (`graph_def.node[i]`, e.g. from a GraphDef TF
wrote) and on flowexec's `op.node_def`. The proto class and the JSON parser come from the
tensorboard package (protobuf), as the other summary protos.

Example:
    >>> node = [n for n in graph_def.node if n.op == "TensorSummary"][0]
    >>> tf.summary.get_summary_description(node).type_hint
    'scalar'
"""

from flowexec.summary import protos


def _description(node_def):
    attr = node_def.attr
    if "description" not in attr:
        return ""
    value = attr["description"]
    if hasattr(value, "s"):  # an AttrValue protocol buffer
        value = value.s
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


def get_summary_description(node_def):
    """The SummaryDescription of a TensorSummary node.

    Args:
        node_def: the NodeDef of a "TensorSummary" op.

    Returns:
        A `tf.summary.SummaryDescription` parsed from the node's "description" attr (JSON).

    Raises:
        ValueError: the node is not a TensorSummary ("Can't get_summary_description on
            <op>").
        google.protobuf.json_format.ParseError: the description is not a SummaryDescription
            in JSON (an empty one included), as TF.
        ImportError: the tensorboard package is missing.
    """
    if node_def.op != "TensorSummary":
        raise ValueError(f"Can't get_summary_description on {node_def.op}")
    from google.protobuf import json_format

    description = protos.proto_class("SummaryDescription")()
    json_format.Parse(_description(node_def), description)
    return description


__all__ = ["get_summary_description"]
