"""`tf.graph_util`: frozen graphs (flowexec.graph_io.freeze)."""

from flowexec.graph_io.freeze import (  # noqa: F401
    convert_variables_to_constants,
    extract_sub_graph,
    remove_training_nodes,
)
from flowexec.graph_io.importer import import_graph_def  # noqa: F401
