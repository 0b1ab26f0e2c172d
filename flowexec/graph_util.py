"""`tf.graph_util`: frozen graphs (flowexec.graph_io.freeze), and TF's must_run_on_cpu /
tensor_shape_from_node_def_name rules on live graphs."""

from flowexec.framework import dtypes

from flowexec.graph_io.freeze import (  # noqa: F401
    convert_variables_to_constants,
    extract_sub_graph,
    remove_training_nodes,
)
from flowexec.graph_io.importer import import_graph_def  # noqa: F401


_VARIABLE_OPS = ("Variable", "VariableV2", "AutoReloadVariable", "MutableHashTable",
                 "MutableHashTableV2", "MutableHashTableOfTensors",
                 "MutableHashTableOfTensorsV2", "MutableDenseHashTable",
                 "MutableDenseHashTableV2", "VarHandleOp", "VarIsInitializedOp",
                 "VariableShape", "ReadVariableOp", "AssignVariableOp",
                 "AssignAddVariableOp", "AssignSubVariableOp", "ResourceGather",
                 "ResourceScatterAdd", "ResourceScatterUpdate")


def _attr_dtype(node, name):
    if hasattr(node, "attrs"):  # a flowexec Operation
        value = node.attrs.get(name)
        return None if value is None else dtypes.as_dtype(value)
    if name not in node.attr:  # a NodeDef proto
        return None
    return dtypes.as_dtype(node.attr[name].type)


def must_run_on_cpu(node, pin_variables_on_cpu=False):
    """Whether TF requires `node` (an Operation or NodeDef) on the CPU: string and int32
    constants, int32 DynamicStitch and Cast from int32, and (with pin_variables_on_cpu)
    variable ops."""
    op_type = node.type if hasattr(node, "attrs") else node.op
    if pin_variables_on_cpu and op_type in _VARIABLE_OPS:
        return True
    if op_type == "Const":
        return _attr_dtype(node, "dtype") in (dtypes.string, dtypes.int32)
    if op_type in ("DynamicStitch", "ParallelDynamicStitch"):
        return _attr_dtype(node, "T") is dtypes.int32
    if op_type == "Cast":
        if hasattr(node, "inputs"):
            return node.inputs[0].dtype is dtypes.int32
        return _attr_dtype(node, "SrcT") is dtypes.int32
    return False


def tensor_shape_from_node_def_name(graph, input_name):
    """The static shape of the tensor named `input_name` ("op" means "op:0") in `graph`."""
    if ":" not in input_name:
        input_name = f"{input_name}:0"
    return graph.get_tensor_by_name(input_name).shape
