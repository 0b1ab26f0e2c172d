"""Portable graphs: TensorFlow's GraphDef and MetaGraphDef, frozen graphs, TF checkpoints.

Modules, by responsibility:
    protos        TF's generated protobuf classes (tensorboard package; extra `graph`)
    schema        TF's OpDefs of flowexec's ops (tf_op_defs.json): attributes and defaults
    tensor_proto  numpy <-> TensorProto (`make_tensor_proto`, `make_ndarray`)
    attr_value    attribute values <-> AttrValue
    export        Graph -> GraphDef (`Graph.as_graph_def`, `write_graph`)
    lowering      flowexec-only ops written as TF subgraphs
    importer      GraphDef -> Graph (`import_graph_def`)
    functionalize TF 1.x (v1) control flow in a GraphDef -> If/While while importing
    meta_graph    MetaGraphDef (`export_meta_graph`, `import_meta_graph`)
    freeze        frozen graphs (`tf.graph_util`)
    crc32c        CRC-32C and its masked form
    sstable       the LevelDB table format of TF's checkpoint index
    bundle        TF's V2 checkpoints (tensor bundles), read and written
    checkpoint_reader  `NewCheckpointReader`, `load_checkpoint`, `list_variables`,
                  `init_from_checkpoint`
"""

from flowexec.framework import graph as _graph_mod
from flowexec.graph_io.export import as_graph_def, write_graph
from flowexec.graph_io.importer import import_graph_def
from flowexec.graph_io.tensor_proto import make_ndarray, make_tensor_proto

__all__ = ["as_graph_def", "import_graph_def", "make_ndarray", "make_tensor_proto", "write_graph"]

_graph_mod._set_graph_def_exporter(as_graph_def)
