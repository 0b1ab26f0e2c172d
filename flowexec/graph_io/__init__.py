"""Portable graphs: TensorFlow's GraphDef and MetaGraphDef, frozen graphs, TF checkpoints.

Modules, by responsibility:
    protos        TF's generated protobuf classes (tensorboard package; extra `graph`)
    schema        TF's OpDefs of flowexec's ops (tf_op_defs.json): attributes and defaults
    tensor_proto  numpy <-> TensorProto (`make_tensor_proto`, `make_ndarray`)
    attr_value    attribute values <-> AttrValue
    export        Graph -> GraphDef (`Graph.as_graph_def`, `write_graph`)
    importer      GraphDef -> Graph (`import_graph_def`)
"""

from flowexec.framework import graph as _graph_mod
from flowexec.graph_io.export import as_graph_def, write_graph
from flowexec.graph_io.importer import import_graph_def
from flowexec.graph_io.tensor_proto import make_ndarray, make_tensor_proto

__all__ = ["as_graph_def", "import_graph_def", "make_ndarray", "make_tensor_proto", "write_graph"]

_graph_mod._set_graph_def_exporter(as_graph_def)
